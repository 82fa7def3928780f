// X.509 certificates (RFC 5280), parsed by our own DER reader into views of the DER.
//
// Parsing is on the handshake path: a client parses two or more certificates per
// handshake, and OpenSSL's d2i_X509 costs far more than the signature checks themselves.
// parse_certificate() therefore allocates nothing and copies nothing: every field is a
// view into the caller's DER, which must outlive the Certificate (OwnedCertificate keeps
// it alive when that is inconvenient). Strings for humans (subject_string(), ...) are
// built only when asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki {

// The signatureAlgorithm of a certificate (RFC 5280 §4.1.1.2; RFC 4055 for PSS; RFC 5758
// for ECDSA; RFC 8410 for Ed25519/Ed448). `unsupported` covers everything else (MD5,
// DSA, ...): such a certificate parses, but a signature made with it never verifies.
enum class SignatureAlgorithm : uint8_t {
  unsupported,
  rsa_pkcs1_sha1,
  rsa_pkcs1_sha256,
  rsa_pkcs1_sha384,
  rsa_pkcs1_sha512,
  // RSASSA-PSS whose parameters are MGF1 with the same hash and a salt as long as the
  // hash (the only form TLS 1.3 uses); other PSS parameters count as unsupported.
  rsa_pss_sha256,
  rsa_pss_sha384,
  rsa_pss_sha512,
  ecdsa_sha1,
  ecdsa_sha256,
  ecdsa_sha384,
  ecdsa_sha512,
  ed25519,
  ed448,
};
// "sha256WithRSAEncryption", "ecdsa-with-SHA384", "Ed25519", ...
[[nodiscard]] std::string_view signature_algorithm_name(SignatureAlgorithm a);

// The algorithm of a SubjectPublicKeyInfo, as far as the parser can tell without
// decoding the key itself.
enum class KeyAlgorithm : uint8_t { unknown, rsa, rsa_pss, ec_p256, ec_p384, ec_p521, ec_other, ed25519, ed448 };
// "RSA", "RSA-PSS", "ECDSA P-256", "Ed25519", ...
[[nodiscard]] std::string_view key_algorithm_name(KeyAlgorithm a);

// keyUsage bits (RFC 5280 §4.2.1.3): bit n of the BIT STRING is (1 << n) here.
namespace key_usage {
inline constexpr uint16_t digital_signature = 1 << 0;
inline constexpr uint16_t non_repudiation = 1 << 1;
inline constexpr uint16_t key_encipherment = 1 << 2;
inline constexpr uint16_t data_encipherment = 1 << 3;
inline constexpr uint16_t key_agreement = 1 << 4;
inline constexpr uint16_t key_cert_sign = 1 << 5;
inline constexpr uint16_t crl_sign = 1 << 6;
inline constexpr uint16_t encipher_only = 1 << 7;
inline constexpr uint16_t decipher_only = 1 << 8;
}  // namespace key_usage

// extKeyUsage purposes we act on (RFC 5280 §4.2.1.12).
namespace ext_key_usage {
inline constexpr uint8_t server_auth = 1 << 0;
inline constexpr uint8_t client_auth = 1 << 1;
inline constexpr uint8_t any = 1 << 2;    // anyExtendedKeyUsage
inline constexpr uint8_t other = 1 << 3;  // at least one purpose we do not know
}  // namespace ext_key_usage

// One GeneralName (RFC 5280 §4.2.1.6) from a subjectAltName or nameConstraints subtree.
struct GeneralName {
  enum class Type : uint8_t { other_name, rfc822_name, dns_name, x400_address, directory_name,
                              edi_party_name, uri, ip_address, registered_id };
  Type type;
  // dNSName, rfc822Name, URI: the IA5String (ASCII) bytes. iPAddress: 4 or 16 bytes in a
  // subjectAltName, address+mask (8 or 32 bytes) in nameConstraints. Others: the contents.
  ByteView value;
  [[nodiscard]] std::string_view text() const {
    return {reinterpret_cast<const char*>(value.data()), value.size()};
  }
};

// Iterates a GeneralNames SEQUENCE body, or the bases of a GeneralSubtrees body
// (RFC 5280 §4.2.1.10), already validated by the parser.
class GeneralNames {
 public:
  GeneralNames() = default;
  explicit GeneralNames(ByteView body, bool subtrees = false) : body_(body), subtrees_(subtrees) {}
  [[nodiscard]] bool empty() const { return body_.empty(); }

  class iterator {
   public:
    using value_type = GeneralName;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(ByteView rest, bool subtrees) : rest_(rest), subtrees_(subtrees) { load(); }
    const GeneralName& operator*() const { return current_; }
    const GeneralName* operator->() const { return &current_; }
    iterator& operator++() { load(); return *this; }
    iterator operator++(int) { iterator t = *this; load(); return t; }
    bool operator==(const iterator& o) const {
      return done_ == o.done_ && (done_ || current_.value.data() == o.current_.value.data());
    }

   private:
    void load();
    ByteView rest_;
    bool subtrees_ = false;
    GeneralName current_{};
    bool done_ = true;
  };
  [[nodiscard]] iterator begin() const { return iterator(body_, subtrees_); }
  [[nodiscard]] iterator end() const { return iterator(); }

 private:
  ByteView body_;
  bool subtrees_ = false;
};

// A parsed certificate: views into the DER it was parsed from.
struct Certificate {
  ByteView der;                  // the whole Certificate
  ByteView tbs;                  // tbsCertificate, the signed bytes (tag and length included)
  uint8_t version = 0;           // 1, 2 or 3
  ByteView serial;               // INTEGER contents (two's complement, minimal)
  SignatureAlgorithm signature_algorithm = SignatureAlgorithm::unsupported;
  ByteView signature_algorithm_oid;  // OID contents, for messages about unsupported ones
  ByteView signature;            // signatureValue bits (for ECDSA: the DER ECDSA-Sig-Value)
  ByteView issuer;               // Name, whole DER (compare bytewise)
  ByteView subject;              // Name, whole DER
  int64_t not_before = 0;        // seconds since the epoch, inclusive
  int64_t not_after = 0;         // seconds since the epoch, inclusive
  ByteView spki;                 // SubjectPublicKeyInfo, whole DER (PublicKey::from_spki)
  ByteView public_key_bits;      // its subjectPublicKey BIT STRING contents
  KeyAlgorithm key_algorithm = KeyAlgorithm::unknown;

  // Extensions (RFC 5280 §4.2). Absent ones keep these defaults.
  bool has_basic_constraints = false;
  bool is_ca = false;
  std::optional<uint32_t> path_len;          // pathLenConstraint
  std::optional<uint16_t> key_usage;         // key_usage:: bits
  std::optional<uint8_t> ext_key_usage;      // ext_key_usage:: bits
  bool has_subject_alt_name = false;
  GeneralNames subject_alt_names;
  ByteView authority_key_id;                 // keyIdentifier, if present
  ByteView subject_key_id;
  bool has_name_constraints = false;
  GeneralNames permitted_subtrees;           // GeneralSubtree bases, flattened
  GeneralNames excluded_subtrees;
  // RFC 5280 §4.2: a critical extension we do not process makes the certificate unusable.
  // The first such extension's OID contents, or empty.
  ByteView unhandled_critical_extension;

  // Issuer and subject are the same Name (RFC 5280 §6.1: "self-issued").
  [[nodiscard]] bool self_issued() const;
  // One-line forms, most specific attribute first: "CN=localhost, O=tlspp test".
  [[nodiscard]] std::string subject_string() const;
  [[nodiscard]] std::string issuer_string() const;
  // The subject's last (most specific) commonName as raw bytes, if it has one.
  [[nodiscard]] std::optional<ByteView> common_name() const;
  // Convenience copies for tests and tools (the verifier walks subject_alt_names itself).
  [[nodiscard]] std::vector<std::string> dns_names() const;
  [[nodiscard]] std::vector<std::string> ip_addresses() const;  // text form
};

// Parses one DER certificate. Malformed input yields
// Error{bad_certificate, bad_certificate, "certificate <position> is malformed: <what>"},
// where `position` is the certificate's 1-based place in its list (1 = the leaf).
// Unknown critical extensions and unsupported algorithms are not parse errors; the
// verifier rejects such certificates when it has to rely on them.
[[nodiscard]] Result<Certificate> parse_certificate(ByteView der, size_t position = 1);

// A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) taken apart: views into the DER given.
struct PublicKeyInfo {
  ByteView spki;             // the whole DER
  ByteView public_key_bits;  // the subjectPublicKey BIT STRING contents
  KeyAlgorithm key_algorithm = KeyAlgorithm::unknown;
};
// A SubjectPublicKeyInfo on its own, as a raw public key arrives (RFC 7250 §3): strict DER
// with nothing after it, checked as parse_certificate checks a certificate's.
[[nodiscard]] Result<PublicKeyInfo> parse_public_key_info(ByteView der);

// A Certificate that keeps its DER alive; cheap to copy (the DER is shared, read-only).
class OwnedCertificate {
 public:
  [[nodiscard]] static Result<OwnedCertificate> parse(Bytes der, size_t position = 1);
  [[nodiscard]] const Certificate& cert() const { return cert_; }
  [[nodiscard]] const Certificate* operator->() const { return &cert_; }
  [[nodiscard]] ByteView der() const { return *der_; }

 private:
  std::shared_ptr<const Bytes> der_;
  Certificate cert_;
};

// The one-line form of a DER Name ("CN=x, O=y"), RFC 4514 order and escaping, values as
// UTF-8. Attributes use OpenSSL's short names where it has them, else the dotted OID.
[[nodiscard]] std::string name_to_string(ByteView name_der);
// "IP address 192.0.2.1" / "2001:db8::1" style text of a 4- or 16-byte address.
[[nodiscard]] std::string ip_to_string(ByteView address);

}  // namespace tlspp::pki
