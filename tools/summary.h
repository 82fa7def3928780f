// The "key: value" lines describing an established connection, shared by
// `tlspp client --summary` and the body of `tlspp server --http` responses.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tlspp/connection.h"

namespace tlspp::cli {

using SummaryLines = std::vector<std::pair<std::string, std::string>>;

// protocol, cipher, group, signature_scheme, alpn, sni, hello_retry_request, resumed,
// peer_certificate, peer_key, peer_spki_sha256 (when a key was received),
// peer_record_size_limit (when the peer sent one), post_handshake_auth (when the client
// offered it), verified. `side` is the side that owns `conn`. For a
// resumed session, peer_certificate and verified describe the certificate of the session's
// first handshake (none is sent again).
[[nodiscard]] SummaryLines summarize(const Connection& conn, Side side);
// "protocol: TLSv1.3\ncipher: ...\n"
[[nodiscard]] std::string format_summary(const SummaryLines& lines);

}  // namespace tlspp::cli
