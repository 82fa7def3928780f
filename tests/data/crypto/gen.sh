#!/bin/sh
# Regenerates the crypto test fixtures with the openssl CLI (OpenSSL 3). The tests only
# check formats and round trips, so fresh keys from a rerun work as well as these.
set -eu
cd "$(dirname "$0")"

# One P-256 key in SEC1 ("EC PRIVATE KEY"), PKCS#8 PEM and PKCS#8 DER.
openssl ecparam -name prime256v1 -genkey -noout -out ec_p256_sec1.pem
openssl pkcs8 -topk8 -nocrypt -in ec_p256_sec1.pem -out ec_p256_pkcs8.pem
openssl pkcs8 -topk8 -nocrypt -in ec_p256_sec1.pem -outform DER -out ec_p256_pkcs8.der
# The same key's public half, for comparing against what the parser derived.
openssl pkey -in ec_p256_sec1.pem -pubout -outform DER -out ec_p256_spki.der
# The same key encrypted (must be refused with a clear message, never prompt).
openssl pkcs8 -topk8 -v2 aes-128-cbc -passout pass:secret -in ec_p256_sec1.pem -out ec_p256_encrypted.pem

# P-384 in PKCS#8.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec_p384_pkcs8.pem

# RSA-2048 in PKCS#1 ("RSA PRIVATE KEY") and RSASSA-PSS-2048 in PKCS#8.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048_pkcs8.pem
openssl pkey -in rsa2048_pkcs8.pem -traditional -out rsa2048_pkcs1.pem
rm rsa2048_pkcs8.pem
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out rsapss2048_pkcs8.pem

# Ed25519 in PKCS#8 PEM and DER.
openssl genpkey -algorithm ED25519 -out ed25519_pkcs8.pem
openssl pkey -in ed25519_pkcs8.pem -outform DER -out ed25519_pkcs8.der

# A CA and a leaf certificate it issued (P-256, valid for 100 years).
openssl req -x509 -new -key ec_p384_pkcs8.pem -subj "/CN=tlspp test CA" -days 36500 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out ca.pem
openssl req -new -key ec_p256_sec1.pem -subj "/CN=leaf.example" -out leaf.csr
printf 'subjectAltName=DNS:leaf.example\nbasicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ec_p384_pkcs8.pem -CAcreateserial -days 36500 \
  -extfile leaf.ext -out leaf.pem
rm -f leaf.csr leaf.ext ca.srl
openssl x509 -in leaf.pem -outform DER -out leaf.der
cat leaf.pem ca.pem > chain.pem
