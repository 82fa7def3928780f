// Signature keys and the TLS signature schemes (RFC 8446 §4.2.3).
#pragma once

#include <string>

#include "tlspp/error.h"
#include "tlspp/random.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

enum class KeyType : uint8_t { rsa, rsa_pss, ec_p256, ec_p384, ec_p521, ed25519, ed448, other };
[[nodiscard]] std::string_view key_type_name(KeyType t);  // "RSA-2048" style is in describe()

// A public key (owns an EVP_PKEY reference). Cheap to copy (reference counted).
class PublicKey {
 public:
  PublicKey() = default;
  PublicKey(const PublicKey& o);
  PublicKey& operator=(const PublicKey& o);
  PublicKey(PublicKey&& o) noexcept;
  PublicKey& operator=(PublicKey&& o) noexcept;
  ~PublicKey();

  // From a DER SubjectPublicKeyInfo.
  [[nodiscard]] static Result<PublicKey> from_spki(ByteView der);
  [[nodiscard]] bool valid() const { return pkey_ != nullptr; }
  [[nodiscard]] KeyType type() const;
  [[nodiscard]] int bits() const;
  // "ECDSA P-256", "RSA 2048", "Ed25519", "RSA-PSS 2048".
  [[nodiscard]] std::string describe() const;
  // DER SubjectPublicKeyInfo.
  [[nodiscard]] Bytes spki() const;
  [[nodiscard]] void* native() const { return pkey_; }  // EVP_PKEY*, for crypto/ and pki/ only
  static PublicKey adopt(void* evp_pkey);                // takes ownership of one reference

 private:
  void* pkey_ = nullptr;
};

// A private key (owns an EVP_PKEY reference). Cheap to copy; shared read-only by configs.
class PrivateKey {
 public:
  PrivateKey() = default;
  PrivateKey(const PrivateKey& o);
  PrivateKey& operator=(const PrivateKey& o);
  PrivateKey(PrivateKey&& o) noexcept;
  PrivateKey& operator=(PrivateKey&& o) noexcept;
  ~PrivateKey();

  // From PEM or DER: PKCS#8 (plain), SEC1 EC, PKCS#1 RSA. `what` names the source in
  // errors ("key file 'server.key'").
  [[nodiscard]] static Result<PrivateKey> parse(ByteView pem_or_der, std::string_view what);
  // Generates a fresh key (for tests and the demo): any KeyType but `other`; rsa and
  // rsa_pss take `rsa_bits`.
  [[nodiscard]] static Result<PrivateKey> generate(KeyType type, int rsa_bits = 2048);

  [[nodiscard]] bool valid() const { return pkey_ != nullptr; }
  [[nodiscard]] KeyType type() const;
  // Same wording as PublicKey::describe().
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] PublicKey public_key() const;
  // PKCS#8 DER / PEM of the private key.
  [[nodiscard]] Bytes pkcs8_der() const;
  [[nodiscard]] void* native() const { return pkey_; }
  static PrivateKey adopt(void* evp_pkey);

 private:
  void* pkey_ = nullptr;
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

}  // namespace tlspp::crypto
