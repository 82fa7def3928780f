// The server handshake: the one place where the server picks the protocol version (RFC 8446
// §4.2.1, RFC 5246 Appendix E, RFC 7507), then continues as TLS 1.3 or TLS 1.2:
//
//   ExpectClientHello -+-> TLS 1.3 (handshake/tls13_server.cc)
//                      +-> TLS 1.2 (handshake/tls12_server.cc)
#pragma once

#include <memory>

#include "handshake/io.h"
#include "tlspp/config.h"
#include "wire/messages.h"

namespace tlspp::handshake {

[[nodiscard]] std::unique_ptr<Handshake> make_server(std::shared_ptr<const ServerConfig> config);

// A version's server machine. The dispatcher hands it the first ClientHello already
// decoded, so that a hello is parsed once; every later message arrives through handle().
class ServerHandshake : public Handshake {
 public:
  Status start(Io&) override { return {}; }
  [[nodiscard]] virtual Status first_client_hello(Io& io, const wire::HandshakeMessage& m,
                                                  const wire::ClientHello& ch) = 0;
};

// The continuations. `downgrade`: the TLS 1.2 server writes the RFC 8446 §4.1.3 sentinel
// because it could have spoken TLS 1.3.
[[nodiscard]] std::unique_ptr<ServerHandshake> make_tls13_server(std::shared_ptr<const ServerConfig> config);
[[nodiscard]] std::unique_ptr<ServerHandshake> make_tls12_server(std::shared_ptr<const ServerConfig> config,
                                                                 bool downgrade);

}  // namespace tlspp::handshake
