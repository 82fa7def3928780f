// The client handshake (RFC 8446 §2, RFC 5246 §7.3): one ClientHello for every version the
// configuration allows, and one place where the server's choice of version is checked and
// the handshake continues as TLS 1.3 or TLS 1.2:
//
//   start -> ClientHello -> ExpectServerHello -+-> TLS 1.3 (handshake/tls13_client.cc)
//                                              +-> TLS 1.2 (handshake/tls12_client.cc)
#pragma once

#include <memory>

#include "handshake/io.h"
#include "tlspp/config.h"

namespace tlspp::handshake {

// `session` (may be null) is a session to offer for resumption; it is copied.
[[nodiscard]] std::unique_ptr<Handshake> make_client(std::shared_ptr<const ClientConfig> config,
                                                     const ServerName& server_name, const SessionTicket* session);

}  // namespace tlspp::handshake
