// Reading certificates and keys from files or memory, PEM or DER.
#pragma once

#include <string>
#include <vector>

#include "crypto/sig.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

// Every "CERTIFICATE" block of a PEM text, decoded to DER; or the input itself if it is
// one DER certificate. `what` names the source in errors. Errors: no certificate found,
// bad base64, DER that is not a certificate ("certificate file 'a.pem': block 2 is not a
// valid X.509 certificate").
[[nodiscard]] Result<std::vector<Bytes>> parse_certificates(ByteView pem_or_der, std::string_view what);
[[nodiscard]] Result<std::vector<Bytes>> load_certificates(const std::string& path);
[[nodiscard]] Result<PrivateKey> load_private_key(const std::string& path);
// Whole file; error names the file and the OS reason.
[[nodiscard]] Result<Bytes> read_file(const std::string& path);
// Strict base64 (RFC 4648 §4, whitespace ignored, canonical padding). The error says what
// is wrong ("contains a character that is not base64"), for the caller to put in context.
[[nodiscard]] Result<Bytes> base64_decode(std::string_view text);
// PEM armour ("-----BEGIN <label>-----", base64 at 64 columns).
[[nodiscard]] std::string pem_encode(std::string_view label, ByteView der);

}  // namespace tlspp::crypto
