// keylog: the secrets of a connection as NSS key log lines (the SSLKEYLOGFILE format that
// Wireshark and tshark read to decrypt a capture).
//
//   SSLKEYLOGFILE=keys.txt keylog CERT_DIR      (ca.pem, localhost.{pem,key})
//
// CommonOptions::keylog receives each line; keylog_from_environment() is the callback that
// appends to $SSLKEYLOGFILE (empty when it is not set), keylog_to_file(path) one for a path
// of your choice. Anyone with the file can decrypt the traffic: log only while debugging.
// A socketpair stands in for the network.
#include <sys/socket.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tlspp/config.h"
#include "tlspp/server_name.h"
#include "tlspp/stream.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CERT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];

  tlspp::ServerOptions so;
  tlspp::CertificateKeyPair pair;
  pair.cert_file = dir + "/localhost.pem";
  pair.key_file = dir + "/localhost.key";
  so.certificates.push_back(pair);
  auto server = tlspp::ServerConfig::create(so);

  // The client logs: to $SSLKEYLOGFILE if set, and the labels to stdout here.
  std::vector<std::string> labels;
  tlspp::ClientOptions co;
  co.ca_files = {dir + "/ca.pem"};
  co.keylog = [to_file = tlspp::keylog_from_environment(), &labels](const std::string& line) {
    if (to_file) to_file(line);
    labels.push_back(line.substr(0, line.find(' ')));
  };
  auto client = tlspp::ClientConfig::create(co);
  if (!server || !client) return 1;

  for (tlspp::ProtocolVersion version : {tlspp::ProtocolVersion::tls13, tlspp::ProtocolVersion::tls12}) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 1;
    std::thread srv([&, fd = fds[1]] {
      if (auto s = tlspp::Stream::accept(*server, fd)) (void)s->close();
    });
    // This client's configuration speaks both versions; a second one limited to TLS 1.2
    // shows the TLS 1.2 line (CLIENT_RANDOM).
    std::shared_ptr<const tlspp::ClientConfig> config = *client;
    if (version == tlspp::ProtocolVersion::tls12) {
      tlspp::ClientOptions o12 = co;
      o12.max_version = version;
      config = *tlspp::ClientConfig::create(o12);
    }
    labels.clear();
    auto c = tlspp::Stream::connect_fd(config, fds[0], *tlspp::ServerName::parse("localhost"));
    srv.join();
    if (!c) {
      std::fprintf(stderr, "connect: %s\n", c.error().to_string().c_str());
      return 1;
    }
    std::printf("%s:", std::string(tlspp::protocol_version_name(version)).c_str());
    for (const auto& l : labels) std::printf(" %s", l.c_str());
    std::printf("\n");
  }
  return 0;
}
