// https_get: fetch "/" from an HTTPS server with the blocking tlspp::Stream.
//
//   https_get HOST [PORT] [CA_FILE]
//
// Without CA_FILE the system's trust store is used. The certificate is checked against
// HOST, which is also sent as SNI.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tlspp/config.h"
#include "tlspp/stream.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s HOST [PORT] [CA_FILE]\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const int port = argc > 2 ? std::atoi(argv[2]) : 443;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "bad port '%s'\n", argv[2]);
    return 2;
  }

  // 1. A configuration, checked once and shareable by any number of connections.
  tlspp::ClientOptions options;
  if (argc > 3) options.ca_files = {argv[3]};
  options.alpn = {"http/1.1"};
  options.keylog = tlspp::keylog_from_environment();  // honours $SSLKEYLOGFILE
  auto config = tlspp::ClientConfig::create(options);
  if (!config) {
    std::fprintf(stderr, "configuration: %s\n", config.error().to_string().c_str());
    return 1;
  }

  // 2. Connect and handshake. On failure the error names the reason, e.g.
  //    "bad_certificate: certificate for 'a.example' does not match the requested name 'b.example'".
  auto stream = tlspp::Stream::connect(*config, host, static_cast<uint16_t>(port));
  if (!stream) {
    std::fprintf(stderr, "connect: %s\n", stream.error().to_string().c_str());
    return 1;
  }
  const tlspp::Negotiated& n = stream->connection().negotiated();
  std::fprintf(stderr, "connected: %s, %s, %s, server %s\n", std::string(tlspp::protocol_version_name(n.version)).c_str(),
               std::string(tlspp::cipher_suite_name(n.cipher_suite)).c_str(),
               std::string(tlspp::named_group_name(n.group)).c_str(), n.peer_subject.c_str());

  // 3. Send the request. "Connection: close" asks the server to close after answering.
  const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (auto s = stream->write_all(tlspp::ByteView(reinterpret_cast<const uint8_t*>(request.data()), request.size()));
      !s) {
    std::fprintf(stderr, "write: %s\n", s.error().to_string().c_str());
    return 1;
  }

  // 4. Print the response until the server's close_notify (read() returns 0).
  uint8_t buf[16384];
  for (;;) {
    auto got = stream->read(buf);
    if (!got) {
      std::fprintf(stderr, "read: %s\n", got.error().message.c_str());
      return 1;
    }
    if (*got == 0) break;
    std::fwrite(buf, 1, *got, stdout);
  }

  // 5. Say goodbye; the Stream closes its socket when it goes out of scope.
  (void)stream->close();
  return 0;
}
