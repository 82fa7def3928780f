// Making certificates, for tests and for `tlspp demo`: not on any handshake path, so it
// uses OpenSSL's X509 API (through crypto::build_x509) rather than our parser's machinery.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sig.h"
#include "pki/certificate.h"
#include "pki/trust_store.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki {

// Describes one certificate. Defaults: valid from an hour ago for a year, a random
// 16-byte serial, an end-entity with keyUsage digitalSignature and extKeyUsage
// serverAuth+clientAuth (ca(true) switches the defaults to keyCertSign+cRLSign and no
// extKeyUsage), subjectKeyIdentifier and (when issued) authorityKeyIdentifier.
class CertificateBuilder {
 public:
  CertificateBuilder();

  CertificateBuilder& common_name(std::string cn);
  CertificateBuilder& organization(std::string o);
  // subjectAltName entries, in order. ip_address takes the text form; a bad one makes
  // build fail.
  CertificateBuilder& dns_name(std::string name);
  CertificateBuilder& ip_address(std::string text);
  CertificateBuilder& validity(time_t not_before, time_t not_after);
  CertificateBuilder& serial(uint64_t serial);
  // basicConstraints (critical): cA and optional pathLenConstraint.
  CertificateBuilder& ca(bool is_ca, std::optional<uint32_t> path_len = std::nullopt);
  CertificateBuilder& no_basic_constraints();
  // keyUsage (critical) from key_usage:: bits; 0 omits the extension.
  CertificateBuilder& key_usage(uint16_t bits);
  // extKeyUsage from ext_key_usage::server_auth / client_auth / any bits; 0 omits it.
  CertificateBuilder& ext_key_usage(uint8_t bits);
  // nameConstraints (critical) with permitted / excluded dNSName subtrees.
  CertificateBuilder& permitted_dns(std::string name);
  CertificateBuilder& excluded_dns(std::string name);
  // Any extension, given its dotted OID and the DER of its value.
  CertificateBuilder& extension(std::string dotted_oid, bool critical, Bytes value_der);
  // Sign RSA keys with RSASSA-PSS (hash = SHA-256, salt 32) instead of PKCS #1 v1.5.
  CertificateBuilder& rsa_pss(bool on);
  // The signature hash for RSA and ECDSA signers: 1 (SHA-1, to test its refusal), 256,
  // 384 or 512. Default: SHA-256, or the curve's own hash for P-384/P-521.
  CertificateBuilder& signature_hash(int bits);

  // Issuer = subject, signed by `key` (whose public half is the subject key).
  [[nodiscard]] Result<Bytes> self_signed(const crypto::PrivateKey& key) const;
  // Issued by the certificate `issuer_der`, signed with `issuer_key`, for `subject_key`.
  [[nodiscard]] Result<Bytes> issued_by(const crypto::PublicKey& subject_key, ByteView issuer_der,
                                        const crypto::PrivateKey& issuer_key) const;

 private:
  [[nodiscard]] Result<Bytes> build(const crypto::PublicKey& subject_key, ByteView issuer_der,
                                    const crypto::PrivateKey& signer) const;
  struct RawExtension {
    std::string oid;
    bool critical;
    Bytes value;
  };
  std::string cn_, org_;
  std::vector<std::string> dns_, ips_;
  std::vector<std::string> permitted_dns_, excluded_dns_;
  time_t not_before_, not_after_;
  std::optional<uint64_t> serial_;
  bool basic_constraints_ = true;
  bool ca_ = false;
  std::optional<uint32_t> path_len_;
  std::optional<uint16_t> key_usage_;
  std::optional<uint8_t> eku_;
  std::vector<RawExtension> extra_;
  bool rsa_pss_ = false;
  int hash_bits_ = 0;
};

// A ready-made PKI: a root CA, optionally an intermediate CA, and a leaf for `names`.
struct TestPkiOptions {
  // DNS names and/or IP literals for the leaf's subjectAltName; names[0] is also its CN.
  std::vector<std::string> names{"localhost"};
  // The key type of every certificate: ec_p256, ec_p384, rsa (rsa_bits) or ed25519.
  crypto::KeyType key_type = crypto::KeyType::ec_p256;
  int rsa_bits = 2048;
  bool intermediate = true;
  // Validity is [now - 1 hour, now + 30 days] for every certificate.
  time_t now = std::time(nullptr);
  std::string organization = "tlspp test";
};

struct TestPki {
  Bytes root;
  crypto::PrivateKey root_key;
  Bytes intermediate;  // empty without an intermediate
  crypto::PrivateKey intermediate_key;
  Bytes leaf;
  crypto::PrivateKey leaf_key;

  // What a server sends: the leaf, then the intermediate if any.
  [[nodiscard]] std::vector<Bytes> chain() const;
  // A trust store holding only the root.
  [[nodiscard]] TrustStore trust_store() const;
};

[[nodiscard]] Result<TestPki> make_test_pki(const TestPkiOptions& options = {});

}  // namespace tlspp::pki
