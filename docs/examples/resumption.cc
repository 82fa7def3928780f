// resumption: a client that keeps the sessions servers give it and resumes them, in TLS 1.3
// (NewSessionTicket, RFC 8446 §4.6.1) and TLS 1.2 (session IDs and RFC 5077 tickets).
//
//   resumption CERT_DIR      (ca.pem, localhost.{pem,key})
//
// ClientOptions::session_store does it all: each connection offers the newest session kept
// for its server name, and the sessions the server sends go into the store. The server
// resumes sessions it issued (tickets are sealed with keys of its configuration; servers of
// a fleet share ServerOptions::ticket_key). A socketpair stands in for the network.
#include <sys/socket.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "tlspp/config.h"
#include "tlspp/server_name.h"
#include "tlspp/session_store.h"
#include "tlspp/stream.h"

namespace {

// One connection: the server answers "ok" and closes; the client reads to the end, which
// also takes in the tickets the server sent after the handshake.
bool connect_once(const std::shared_ptr<const tlspp::ClientConfig>& client,
                  const std::shared_ptr<const tlspp::ServerConfig>& server, int round) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return false;
  std::thread srv([&, fd = fds[1]] {
    auto s = tlspp::Stream::accept(server, fd);
    if (!s) return;
    const uint8_t ok[] = {'o', 'k'};
    (void)s->write_all(ok);
    (void)s->close();
  });
  auto c = tlspp::Stream::connect_fd(client, fds[0], *tlspp::ServerName::parse("localhost"));
  bool good = false;
  if (c) {
    uint8_t buf[16];
    while (true) {
      auto got = c->read(buf);
      if (!got || *got == 0) break;
    }
    const tlspp::Negotiated& n = c->connection().negotiated();
    std::printf("%s connection %d: %s, server %s\n", std::string(tlspp::protocol_version_name(n.version)).c_str(),
                round, n.resumed ? "resumed" : "full handshake", n.peer_subject.c_str());
    good = true;
  } else {
    std::fprintf(stderr, "connect: %s\n", c.error().to_string().c_str());
  }
  srv.join();
  return good;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CERT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (tlspp::ProtocolVersion version : {tlspp::ProtocolVersion::tls13, tlspp::ProtocolVersion::tls12}) {
    tlspp::ServerOptions so;
    tlspp::CertificateKeyPair pair;
    pair.cert_file = dir + "/localhost.pem";
    pair.key_file = dir + "/localhost.key";
    so.certificates.push_back(pair);
    so.max_version = version;
    auto server = tlspp::ServerConfig::create(so);

    tlspp::ClientOptions co;
    co.ca_files = {dir + "/ca.pem"};
    co.max_version = version;
    auto store = std::make_shared<tlspp::MemorySessionStore>();
    co.session_store = store;
    auto client = tlspp::ClientConfig::create(co);
    if (!server || !client) return 1;

    // The first connection is a full handshake; the next ones resume (the subject is the one
    // the first connection verified: no certificate is sent when resuming).
    for (int round = 1; round <= 3; ++round)
      if (!connect_once(*client, *server, round)) return 1;
    std::printf("sessions kept: %zu\n", store->size());
  }
  return 0;
}
