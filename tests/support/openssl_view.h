// What OpenSSL's own X.509 parser (d2i_X509) makes of a certificate, in our types.
//
// Tests cross-check pki/'s DER parser against it. It is test support, not library code:
// nothing in the library calls it (d2i_X509 is exactly the cost the parser avoids), and
// outside crypto/ only tests/ and bench/ may include OpenSSL headers (check-layers.sh).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::test {

struct OpensslCertView {
  int version = 0;                 // 1..3
  std::string serial_hex;          // BN_bn2hex: upper case, no leading zeros, '-' if negative
  std::string subject;             // X509_NAME_print_ex, RFC 2253 order and escaping, ", " separators
  std::string issuer;
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::string signature_algorithm; // OpenSSL's long name ("sha256WithRSAEncryption", "ED25519")
  std::string key_algorithm;       // in key_algorithm_name() wording: "RSA", "ECDSA P-256", ...
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // inet_ntop text
  bool is_ca = false;
  std::optional<uint32_t> path_len;
  std::optional<uint16_t> key_usage;      // key_usage:: bits
  std::optional<uint8_t> ext_key_usage;   // ext_key_usage:: server_auth/client_auth/any bits
};

[[nodiscard]] Result<OpensslCertView> openssl_parse_certificate(ByteView der);

}  // namespace tlspp::test
