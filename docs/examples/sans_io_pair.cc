// sans_io_pair: the sans-I/O core with no sockets at all. A client and a server connection
// exchange bytes through memory: whatever one has in pending_output() is handed to the
// other's receive(). An event loop does the same with sockets (examples/event_loop_server.cc),
// and so would a test, a fuzzer or a transport that is not TCP.
//
//   sans_io_pair CERT_DIR      (ca.pem, localhost.{pem,key})
#include <cstdio>
#include <string>

#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "tlspp/server_name.h"

namespace {

// Moves what `from` has queued to `to`. False when `to` fails (its alert is then queued for
// `from`, the way a real peer would see it).
bool deliver(tlspp::Connection& from, tlspp::Connection& to) {
  while (from.wants_write()) {
    const tlspp::ByteView out = from.pending_output();
    auto taken = to.receive(out);
    if (!taken) {
      std::printf("error: %s\n", taken.error().to_string().c_str());
      return false;
    }
    from.consume_output(*taken);
    if (*taken < out.size()) break;  // `to` is full: it must be read first
  }
  return true;
}

tlspp::ByteView bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string take_all(tlspp::Connection& c) {
  std::string text;
  uint8_t buf[4096];
  while (const size_t n = c.read(buf)) text.append(reinterpret_cast<const char*>(buf), n);
  return text;
}

}  // namespace

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
  auto server_config = tlspp::ServerConfig::create(so);
  tlspp::ClientOptions co;
  co.ca_files = {dir + "/ca.pem"};
  auto client_config = tlspp::ClientConfig::create(co);
  if (!server_config || !client_config) return 1;

  // create() queues the ClientHello; nothing has been sent anywhere yet.
  auto client = tlspp::ClientConnection::create(*client_config, *tlspp::ServerName::parse("localhost"));
  auto server = tlspp::ServerConnection::create(*server_config);
  if (!client || !server) return 1;

  // Data written before the handshake completes waits, and leaves with the client's Finished.
  (void)client->write(bytes("ping"));

  // The handshake: flights go back and forth until neither side has anything to send.
  int flights = 0;
  while (client->wants_write() || server->wants_write()) {
    if (!deliver(*client, *server) || !deliver(*server, *client)) return 1;
    ++flights;
  }
  std::printf("handshake done: client %s, server %s, after %d round trips\n", client->handshake_done() ? "yes" : "no",
              server->handshake_done() ? "yes" : "no", flights);
  std::printf("negotiated %s %s, server verified as %s\n",
              std::string(tlspp::protocol_version_name(client->negotiated().version)).c_str(),
              std::string(tlspp::cipher_suite_name(client->negotiated().cipher_suite)).c_str(),
              client->negotiated().peer_subject.c_str());

  std::printf("server read: %s\n", take_all(*server).c_str());
  (void)server->write(bytes("pong"));
  if (!deliver(*server, *client)) return 1;
  std::printf("client read: %s\n", take_all(*client).c_str());

  // The same without the copies: the record is sealed straight into a buffer of ours (a
  // socket's send buffer would do), and the data is read where the connection decrypted it.
  const std::string request = "GET / HTTP/1.1";
  uint8_t send_buffer[256];
  auto sealed = client->write_into(bytes(request), send_buffer);
  if (!sealed || *sealed != client->sealed_size(request.size())) return 1;
  auto taken = server->receive(tlspp::ByteView(send_buffer, *sealed));
  if (!taken) return 1;
  const tlspp::ByteView in_place = server->read_view();
  std::printf("server read in place: %.*s (%zu bytes of record)\n", static_cast<int>(in_place.size()),
              reinterpret_cast<const char*>(in_place.data()), *sealed);
  server->consume_read(in_place.size());

  // close_notify both ways (RFC 8446 §6.1).
  client->close();
  if (!deliver(*client, *server)) return 1;
  std::printf("server sees close_notify: %s\n", server->peer_closed() ? "yes" : "no");
  server->close();
  if (!deliver(*server, *client)) return 1;
  std::printf("client sees close_notify: %s\n", client->peer_closed() ? "yes" : "no");
  return 0;
}
