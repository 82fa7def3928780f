// Signature keys and the TLS signature schemes (RFC 8446 §4.2.3).
#pragma once

#include <string>

#include "tlspp/error.h"
#include "tlspp/random.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

enum class KeyType : uint8_t { rsa, rsa_pss, ec_p256, ec_p384, ec_p521, ed25519, ed448, other };
[[nodiscard]] std::string_view key_type_name(KeyType t);  // "RSA-2048" style is in describe()

// One counted reference to an EVP_PKEY: copying takes another reference, destruction
// drops one. PublicKey and PrivateKey are built on it.
class PkeyRef {
 public:
  PkeyRef() = default;
  explicit PkeyRef(void* adopted) : p_(adopted) {}  // takes over one reference
  PkeyRef(const PkeyRef& o);
  PkeyRef& operator=(const PkeyRef& o);
  PkeyRef(PkeyRef&& o) noexcept;
  PkeyRef& operator=(PkeyRef&& o) noexcept;
  ~PkeyRef();
  [[nodiscard]] void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

// A public key (owns an EVP_PKEY reference). Cheap to copy (reference counted).
class PublicKey {
 public:
  PublicKey() = default;

  // From a DER SubjectPublicKeyInfo.
  [[nodiscard]] static Result<PublicKey> from_spki(ByteView der);
  // From the parts of a SubjectPublicKeyInfo that a certificate parser has already taken
  // apart, without the generic decoder behind from_spki (crypto/public_key_parts.cc says
  // why). Each fails with an Error whose message says what was wrong ("not a valid P-256
  // point").
  // RFC 5480 §2.2: the ECPoint octets of a key on `curve` (ec_p256, ec_p384 or ec_p521).
  [[nodiscard]] static Result<PublicKey> from_ec_point(KeyType curve, ByteView point);
  // RFC 8410 §4: the raw public key octets of an ed25519 or ed448 key.
  [[nodiscard]] static Result<PublicKey> from_eddsa(KeyType type, ByteView raw);
  // RFC 8017 §A.1.1: an RSA key from its modulus and public exponent (unsigned big-endian).
  [[nodiscard]] static Result<PublicKey> from_rsa(ByteView modulus, ByteView exponent);
  [[nodiscard]] bool valid() const { return pkey_.get() != nullptr; }
  [[nodiscard]] KeyType type() const;
  [[nodiscard]] int bits() const;
  // "ECDSA P-256", "RSA 2048", "Ed25519", "RSA-PSS 2048".
  [[nodiscard]] std::string describe() const;
  // DER SubjectPublicKeyInfo.
  [[nodiscard]] Bytes spki() const;
  // EVP_PKEY*, for crypto/ only (and tests that cross-check it against OpenSSL).
  [[nodiscard]] void* native() const { return pkey_.get(); }
  static PublicKey adopt(void* evp_pkey);                // takes ownership of one reference

 private:
  PkeyRef pkey_;
};

// A private key (owns an EVP_PKEY reference). Cheap to copy; shared read-only by configs.
class PrivateKey {
 public:
  PrivateKey() = default;

  // From PEM or DER: PKCS#8 (plain), SEC1 EC, PKCS#1 RSA. `what` names the source in
  // errors ("key file 'server.key'").
  [[nodiscard]] static Result<PrivateKey> parse(ByteView pem_or_der, std::string_view what);
  // Generates a fresh key (for tests and the demo): any KeyType but `other`; rsa and
  // rsa_pss take `rsa_bits`.
  [[nodiscard]] static Result<PrivateKey> generate(KeyType type, int rsa_bits = 2048);

  [[nodiscard]] bool valid() const { return pkey_.get() != nullptr; }
  [[nodiscard]] KeyType type() const;
  // Same wording as PublicKey::describe().
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] PublicKey public_key() const;
  // PKCS#8 DER / PEM of the private key.
  [[nodiscard]] Bytes pkcs8_der() const;
  [[nodiscard]] void* native() const { return pkey_.get(); }
  static PrivateKey adopt(void* evp_pkey);

 private:
  PkeyRef pkey_;
};

// Whether `scheme` can be used with a key of this type (e.g. ecdsa_secp256r1_sha256 needs
// a P-256 key; rsa_pss_rsae_* needs an rsaEncryption key, rsa_pss_pss_* an RSASSA-PSS key).
[[nodiscard]] bool scheme_matches_key(SignatureScheme scheme, KeyType type);

// Signs `message` (hashing it as the scheme says). ECDSA output is DER (as TLS carries it).
[[nodiscard]] Result<Bytes> sign(const PrivateKey& key, SignatureScheme scheme, ByteView message);
// Verifies; failure is Error{crypto, decrypt_error, "... signature ... does not verify"},
// an unusable scheme/key pairing is Error{peer_misbehaved, illegal_parameter, ...}.
[[nodiscard]] Status verify(const PublicKey& key, SignatureScheme scheme, ByteView message,
                            ByteView signature);

// An ECDSA signature made with the hash of the ecdsa_* `scheme` by an EC key on any curve.
// X.509 allows any pairing of hash and curve (RFC 5758 §3.2: a P-384 CA may sign with
// ecdsa-with-SHA256, as some public roots do); a TLS 1.3 SignatureScheme ties them, so
// verify() refuses such pairs. Failure is Error{crypto, decrypt_error, "ECDSA signature
// does not verify"}.
[[nodiscard]] Status verify_ecdsa_any_curve(const PublicKey& key, SignatureScheme scheme, ByteView message,
                                            ByteView signature);

}  // namespace tlspp::crypto
