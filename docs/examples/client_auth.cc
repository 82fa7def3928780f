// client_auth: client certificates, required and optional (RFC 8446 §4.3.2, §4.4.2).
//
//   client_auth CERT_DIR     (ca.pem, localhost.{pem,key}, client.example.{pem,key})
//
// The server verifies client certificates against client_ca_files. With ClientAuth::required
// a client without one is refused (certificate_required); with ClientAuth::optional it is let
// in, and negotiated() tells the server who, if anyone, proved an identity. A socketpair
// stands in for the network.
#include <sys/socket.h>

#include <cstdio>
#include <string>
#include <thread>

#include "tlspp/config.h"
#include "tlspp/server_name.h"
#include "tlspp/stream.h"

namespace {

std::string dir;

// One connection: the server asks per `mode`, the client has a certificate or not.
void attempt(tlspp::ClientAuth mode, bool client_has_cert) {
  tlspp::ServerOptions so;
  tlspp::CertificateKeyPair server_pair;
  server_pair.cert_file = dir + "/localhost.pem";
  server_pair.key_file = dir + "/localhost.key";
  so.certificates.push_back(server_pair);
  so.client_auth = mode;
  so.client_ca_files = {dir + "/ca.pem"};
  auto server_config = tlspp::ServerConfig::create(so);

  tlspp::ClientOptions co;
  co.ca_files = {dir + "/ca.pem"};
  if (client_has_cert) {
    tlspp::CertificateKeyPair client_pair;
    client_pair.cert_file = dir + "/client.example.pem";
    client_pair.key_file = dir + "/client.example.key";
    co.client_certificates.push_back(client_pair);  // sent only when the server asks
  }
  auto client_config = tlspp::ClientConfig::create(co);
  if (!server_config || !client_config) {
    std::fprintf(stderr, "configuration failed\n");
    return;
  }

  const char* label = mode == tlspp::ClientAuth::required ? "required" : "optional";
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return;
  std::string server_says;
  std::thread server([&, fd = fds[1]] {
    auto s = tlspp::Stream::accept(*server_config, fd);
    if (!s) {
      server_says = "refused: " + s.error().to_string();
      return;
    }
    const tlspp::Negotiated& n = s->connection().negotiated();
    server_says = n.peer_subject.empty() ? "accepted an anonymous client"
                                         : "accepted " + n.peer_subject + (n.peer_verified ? " (verified)" : "");
    const uint8_t hello[] = {'h', 'i'};
    (void)s->write_all(hello);
    (void)s->close();
  });

  // In TLS 1.3 the client finishes its handshake before the server has judged its
  // certificate: a refusal arrives as an alert on the first read.
  std::string client_says;
  auto c = tlspp::Stream::connect_fd(*client_config, fds[0], *tlspp::ServerName::parse("localhost"));
  if (!c) {
    client_says = "failed: " + c.error().to_string();
  } else {
    uint8_t buf[16];
    auto got = c->read(buf);
    client_says = got ? "read " + std::to_string(*got) + " bytes" : "failed: " + got.error().to_string();
  }
  server.join();
  std::printf("%s, client %s a certificate: server %s; client %s\n", label, client_has_cert ? "with" : "without",
              server_says.c_str(), client_says.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CERT_DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  attempt(tlspp::ClientAuth::required, true);
  attempt(tlspp::ClientAuth::required, false);
  attempt(tlspp::ClientAuth::optional, true);
  attempt(tlspp::ClientAuth::optional, false);
  return 0;
}
