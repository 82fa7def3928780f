// Making X.509 certificates with OpenSSL's X509 API, for pki::CertificateBuilder (tests and
// `tlspp demo`). Not on any handshake path, so it uses OpenSSL's machinery rather than our
// parser's; pki/ decides what goes into the certificate, this only encodes and signs it.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sig.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

// Everything a certificate says, with every default already resolved by the caller.
struct X509Spec {
  struct Extension {
    std::string oid;  // dotted
    bool critical;
    Bytes value;      // DER of the extension's value
  };
  // Subject: O then CN; an empty one is left out.
  std::string common_name, organization;
  // subjectAltName entries; IP addresses in text form, already checked by the caller.
  std::vector<std::string> dns_names, ip_addresses;
  time_t not_before = 0, not_after = 0;
  std::optional<uint64_t> serial;  // a random 16-byte serial when absent
  bool basic_constraints = true;   // critical, with ca and path_len
  bool ca = false;
  std::optional<uint32_t> path_len;
  uint16_t key_usage = 0;  // critical; bit i is KeyUsage bit i (RFC 5280 §4.2.1.3); 0 omits it
  bool eku_server_auth = false, eku_client_auth = false, eku_any = false;  // none omits it
  std::vector<std::string> permitted_dns, excluded_dns;  // nameConstraints (critical)
  std::vector<Extension> extensions;                       // added last, as given
  bool rsa_pss = false;  // RSA signers use RSASSA-PSS (SHA-256, salt 32)
  int hash_bits = 0;     // 1, 256, 384 or 512; 0: SHA-256, or the curve's own hash
};

// DER of the certificate for `subject_key`, issued by the certificate `issuer_der` (self-
// issued when empty) and signed with `signer`. Adds subjectKeyIdentifier, and
// authorityKeyIdentifier when issued. Errors: Error{internal, "building a certificate:
// ... failed (...)"}.
[[nodiscard]] Result<Bytes> build_x509(const X509Spec& spec, const PublicKey& subject_key, ByteView issuer_der,
                                       const PrivateKey& signer);

}  // namespace tlspp::crypto
