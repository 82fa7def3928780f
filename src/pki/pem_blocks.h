// Splitting a PEM text into its CERTIFICATE blocks (RFC 7468 §2, §5), one result per block.
//
// crypto::parse_certificates() treats a file as a unit: one bad block fails it. A system
// CA bundle holds a hundred-odd certificates from many sources, and the trust store must
// skip (and count) the ones it cannot use rather than lose them all, so it needs each
// block's outcome separately; hence this small decoder here.
#pragma once

#include <vector>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki {

// Each "-----BEGIN CERTIFICATE-----" ... "-----END CERTIFICATE-----" block, base64-decoded
// (RFC 4648 §4; whitespace ignored), in order. A block with bad base64 or no END line is an
// Error{config} naming its 1-based number. Text outside blocks is ignored.
[[nodiscard]] std::vector<Result<Bytes>> decode_pem_certificates(ByteView text);

// Whether `data` looks like PEM (contains a "-----BEGIN " line) rather than DER.
[[nodiscard]] bool looks_like_pem(ByteView data);

}  // namespace tlspp::pki
