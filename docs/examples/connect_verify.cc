// connect_verify: a client that verifies the server's certificate, sends an HTTP request and
// prints the first line of the answer.
//
//   connect_verify HOST PORT CA_FILE [NAME]
//
// The certificate must chain to CA_FILE (without it, to the system's roots) and name NAME
// (HOST by default). Exit status 0 on success, 1 with the reason on stderr otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tlspp/config.h"
#include "tlspp/server_name.h"
#include "tlspp/stream.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT CA_FILE [NAME]\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<uint16_t>(std::atoi(argv[2]));

  // One configuration for every connection: trust anchors, versions, suites...
  tlspp::ClientOptions options;
  options.ca_files = {argv[3]};  // leave empty to use the system's roots
  auto config = tlspp::ClientConfig::create(options);
  if (!config) {
    std::fprintf(stderr, "configuration: %s\n", config.error().to_string().c_str());
    return 1;
  }

  // The name the certificate must carry (sent as SNI too).
  auto name = tlspp::ServerName::parse(argc > 4 ? argv[4] : host);
  if (!name) {
    std::fprintf(stderr, "name: %s\n", name.error().to_string().c_str());
    return 1;
  }

  // Resolves, connects and runs the handshake; a certificate that does not verify fails here.
  auto stream = tlspp::Stream::connect(*config, host, port, *name);
  if (!stream) {
    std::fprintf(stderr, "connect: %s\n", stream.error().to_string().c_str());
    return 1;
  }
  const tlspp::Negotiated& n = stream->connection().negotiated();
  std::printf("verified %s: %s, %s\n", n.peer_subject.c_str(), std::string(tlspp::protocol_version_name(n.version)).c_str(),
              std::string(tlspp::cipher_suite_name(n.cipher_suite)).c_str());

  const std::string request = "GET / HTTP/1.0\r\nHost: " + name->str() + "\r\n\r\n";
  if (auto s = stream->write_all(tlspp::ByteView(reinterpret_cast<const uint8_t*>(request.data()), request.size())); !s) {
    std::fprintf(stderr, "write: %s\n", s.error().to_string().c_str());
    return 1;
  }
  std::string response;
  uint8_t buf[4096];
  for (;;) {
    auto got = stream->read(buf);  // 0: the server's close_notify
    if (!got) {
      std::fprintf(stderr, "read: %s\n", got.error().to_string().c_str());
      return 1;
    }
    if (*got == 0) break;
    response.append(reinterpret_cast<const char*>(buf), *got);
  }
  std::printf("%s\n", response.substr(0, response.find("\r\n")).c_str());
  (void)stream->close();
  return 0;
}
