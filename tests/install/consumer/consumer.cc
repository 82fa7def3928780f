// A program built against an installed tlspp, with nothing but its public headers: a
// client and a server connection, joined in memory, run a TLS 1.3 handshake (external PSK,
// so no certificate files are needed), exchange a byte each way and close. Exits 0 only
// when all of it worked; tests/install/run.sh builds it with CMake and with pkg-config.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "tlspp/server_name.h"
#include "tlspp/types.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++failures;
  }
}

// Moves what `from` has queued into `to`.
bool pump(tlspp::Connection& from, tlspp::Connection& to) {
  while (from.wants_write()) {
    const tlspp::ByteView out = from.pending_output();
    auto taken = to.receive(out);
    if (!taken) {
      std::fprintf(stderr, "FAIL: receive: %s\n", taken.error().to_string().c_str());
      return false;
    }
    from.consume_output(*taken);
    if (*taken == 0) return false;  // back-pressure cannot happen with one byte of data
  }
  return true;
}

}  // namespace

int main() {
  tlspp::ExternalPsk psk;
  psk.identity = "install-test";
  const tlspp::Bytes key(32, 0x5a);
  psk.key = tlspp::SecretBytes(key);

  tlspp::ClientOptions client_options;
  client_options.use_system_roots = false;
  client_options.external_psk = psk;
  auto client_config = tlspp::ClientConfig::create(client_options);
  if (!client_config) {
    std::fprintf(stderr, "FAIL: ClientConfig::create: %s\n", client_config.error().to_string().c_str());
    return 1;
  }
  tlspp::ServerOptions server_options;
  server_options.external_psks.push_back(psk);
  auto server_config = tlspp::ServerConfig::create(server_options);
  if (!server_config) {
    std::fprintf(stderr, "FAIL: ServerConfig::create: %s\n", server_config.error().to_string().c_str());
    return 1;
  }

  auto name = tlspp::ServerName::parse("localhost");
  check(name.has_value(), "ServerName::parse(\"localhost\")");
  check(!tlspp::ServerName::parse("bad name!").has_value(), "ServerName::parse refuses \"bad name!\"");
  if (!name) return 1;
  auto client = tlspp::ClientConnection::create(*client_config, *name);
  auto server = tlspp::ServerConnection::create(*server_config);
  if (!client || !server) {
    std::fprintf(stderr, "FAIL: creating the connections\n");
    return 1;
  }

  for (int round = 0; round < 10 && !(client->handshake_done() && server->handshake_done()); ++round) {
    if (!pump(*client, *server) || !pump(*server, *client)) return 1;
  }
  check(client->handshake_done() && server->handshake_done(), "the handshake completes");
  if (failures) return 1;
  check(client->negotiated().version == tlspp::ProtocolVersion::tls13, "TLS 1.3 negotiated");
  check(server->negotiated().psk_identity == "install-test", "the server saw the PSK identity");
  check(!tlspp::cipher_suite_name(client->negotiated().cipher_suite).empty(), "the suite has a name");

  const tlspp::Bytes ping = {0x42};
  check(client->write(ping).has_value(), "client write");
  if (!pump(*client, *server)) return 1;
  uint8_t got = 0;
  check(server->read(tlspp::MutByteView(&got, 1)) == 1 && got == 0x42, "the server reads the client's byte");
  const tlspp::Bytes pong = {0x43};
  check(server->write(pong).has_value(), "server write");
  if (!pump(*server, *client)) return 1;
  got = 0;
  check(client->read(tlspp::MutByteView(&got, 1)) == 1 && got == 0x43, "the client reads the server's byte");

  auto client_ekm = client->export_keying_material("EXPORTER-install-test", {}, 32);
  auto server_ekm = server->export_keying_material("EXPORTER-install-test", {}, 32);
  check(client_ekm && server_ekm && *client_ekm == *server_ekm, "both sides export the same keying material");

  client->close();
  if (!pump(*client, *server)) return 1;
  check(server->peer_closed(), "the server sees close_notify");
  if (failures) return 1;
  std::printf("ok: %s %s\n", std::string(tlspp::protocol_version_name(client->negotiated().version)).c_str(),
              std::string(tlspp::cipher_suite_name(client->negotiated().cipher_suite)).c_str());
  return 0;
}
