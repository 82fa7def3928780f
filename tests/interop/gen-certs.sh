#!/usr/bin/env bash
# Generates the interop test PKI in DIR with the openssl CLI:
#   ca.pem / ca.key          root CA (ECDSA P-256), self-signed, CA:TRUE
#   other-ca.pem             an unrelated root, to check that untrusted chains are refused
#   {ecdsa,rsa,ed25519}.pem  leaf for localhost (SAN DNS:localhost, IP:127.0.0.1), signed by ca
#   {ecdsa,rsa,ed25519}.key  its key: ECDSA P-256, RSA 2048, Ed25519 (PKCS#8 PEM)
#   client.pem / client.key  a client certificate (CN=tlspp interop client, clientAuth only,
#                            ECDSA P-256) signed by ca, for servers that require one
# Usage: gen-certs.sh DIR
set -euo pipefail
dir=${1:?usage: gen-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

ossl() {
  # openssl prints progress to stderr; show it only when a step fails.
  local log
  if ! log=$(openssl "$@" 2>&1); then
    echo "gen-certs: openssl $* failed:" >&2
    echo "$log" >&2
    exit 1
  fi
}

root() {  # root NAME CN
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
  ossl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 -sha256 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
}

root ca "tlspp interop root"
root other-ca "tlspp interop unrelated root"

# keyUsage is digitalSignature (all TLS 1.3 needs); the RSA leaf adds keyEncipherment, as
# RSA server certificates usually do, because NSS refuses an RSA server certificate without it
# (SEC_ERROR_INADEQUATE_KEY_USAGE).
cat > leaf.ext <<'EXT'
basicConstraints=critical,CA:FALSE
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT

leaf() {  # leaf NAME KEY-USAGE genpkey-args...
  local name=$1 usage=$2; shift 2
  ossl genpkey "$@" -out "$name.key"
  ossl req -new -key "$name.key" -out "$name.csr" -subj "/CN=localhost"
  { cat leaf.ext; echo "keyUsage=critical,$usage"; } >"$name.ext"
  ossl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
    -extfile "$name.ext" -out "$name.pem"
  ossl verify -CAfile ca.pem "$name.pem"
}

leaf ecdsa digitalSignature -algorithm EC -pkeyopt ec_paramgen_curve:P-256
leaf rsa digitalSignature,keyEncipherment -algorithm RSA -pkeyopt rsa_keygen_bits:2048
leaf ed25519 digitalSignature -algorithm ED25519

# The client: no name to match, clientAuth only.
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key
ossl req -new -key client.key -out client.csr -subj "/CN=tlspp interop client"
cat > client.ext <<'EXT'
basicConstraints=critical,CA:FALSE
extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
ossl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
  -extfile client.ext -out client.pem
ossl verify -CAfile ca.pem -purpose sslclient client.pem
rm -f ./*.csr ./*.ext ca.srl
