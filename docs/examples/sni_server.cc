// sni_server: one server configuration with several certificates, chosen by the name the
// client asks for (SNI, RFC 6066 §3). The first certificate serves clients that send no
// name or one that matches none.
//
//   sni_server CERT_DIR      (CERT_DIR holds ca.pem, a.example.{pem,key}, b.example.{pem,key})
//
// A real server gets each socket from accept(); here a socketpair stands in for the network
// so that the example runs anywhere: for each name, a client thread connects and prints
// which certificate it was shown.
#include <sys/socket.h>

#include <cstdio>
#include <string>
#include <thread>

#include "tlspp/config.h"
#include "tlspp/server_name.h"
#include "tlspp/stream.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CERT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];

  tlspp::ServerOptions server_options;
  for (const char* host : {"a.example", "b.example"}) {
    tlspp::CertificateKeyPair pair;
    pair.cert_file = dir + "/" + host + ".pem";  // leaf first, then any intermediates
    pair.key_file = dir + "/" + host + ".key";
    server_options.certificates.push_back(pair);
  }
  auto server_config = tlspp::ServerConfig::create(server_options);
  if (!server_config) {
    std::fprintf(stderr, "server configuration: %s\n", server_config.error().to_string().c_str());
    return 1;
  }

  tlspp::ClientOptions client_options;
  client_options.ca_files = {dir + "/ca.pem"};
  auto client_config = tlspp::ClientConfig::create(client_options);
  if (!client_config) {
    std::fprintf(stderr, "client configuration: %s\n", client_config.error().to_string().c_str());
    return 1;
  }

  int status = 0;
  for (const char* host : {"a.example", "b.example"}) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 1;

    // The server side: Stream::accept runs the handshake on an accepted socket.
    std::thread server([&, fd = fds[1]] {
      auto s = tlspp::Stream::accept(*server_config, fd);
      if (!s) {
        std::fprintf(stderr, "server: %s\n", s.error().to_string().c_str());
        return;
      }
      std::printf("server: client asked for %s\n", s->connection().negotiated().server_name.c_str());
      (void)s->close();
    });

    auto s = tlspp::Stream::connect_fd(*client_config, fds[0], *tlspp::ServerName::parse(host));
    if (s) {
      std::printf("client: %s was served %s\n", host, s->connection().negotiated().peer_subject.c_str());
      uint8_t buf[16];
      (void)s->read(buf);  // the server's close_notify
    } else {
      std::fprintf(stderr, "client: %s\n", s.error().to_string().c_str());
      status = 1;
    }
    server.join();
  }
  return status;
}
