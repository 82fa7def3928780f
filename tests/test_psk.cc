// External pre-shared keys (RFC 8446 §4.2.11, §4.2.9): psk_dhe_ke and psk_ke, selection by
// identity, constant-time binders, fallback to certificates for unknown identities.
#include <gtest/gtest.h>

#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;

ExternalPsk psk(std::string identity, uint8_t fill, size_t len = 32, bool sha384 = false) {
  ExternalPsk p;
  p.identity = std::move(identity);
  p.key = SecretBytes(Bytes(len, fill));
  p.sha384 = sha384;
  return p;
}

// A client that trusts nothing: only a PSK can authenticate the server to it.
ClientOptions psk_client(ExternalPsk p, PskMode mode = PskMode::dhe_ke) {
  ClientOptions c;
  c.use_system_roots = false;
  c.ca_files = {};
  c.insecure_skip_verification = false;
  c.external_psk = std::move(p);
  c.psk_mode = mode;
  return c;
}

struct Outcome {
  Status status;
  std::optional<Error> client_error, server_error;
  Negotiated client, server;
  bool certificate_sent = false;
  Bytes echoed;
};

Outcome run(ClientOptions c, ServerOptions s) {
  Outcome o;
  s.on_event = [&o](const Event& e) {
    if (e.type == EventType::message_sent && e.message.type == MessageType::certificate) o.certificate_sent = true;
  };
  auto cc = ClientConfig::create(c);
  auto sc = ServerConfig::create(s);
  EXPECT_TRUE(cc) << cc.error().to_string();
  EXPECT_TRUE(sc) << sc.error().to_string();
  if (!cc || !sc) return o;
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  EXPECT_TRUE(client && server);
  if (!client || !server) return o;
  o.status = test::pump(*client, *server);
  o.client_error = client->error();
  o.server_error = server->error();
  o.client = client->negotiated();
  o.server = server->negotiated();
  if (o.status) o.echoed = test::transfer(*client, *server, Bytes{'p', 's', 'k'});
  return o;
}

TEST(ExternalPsk, DheKeAuthenticatesBothSidesWithoutCertificates) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("other", 0x22), psk("client-1", 0x11)};
  const auto o = run(psk_client(psk("client-1", 0x11)), s);
  ASSERT_TRUE(o.status) << o.status.error().to_string();
  EXPECT_EQ(o.client.psk_identity, "client-1");
  EXPECT_EQ(o.server.psk_identity, "client-1");
  EXPECT_FALSE(o.client.psk_without_dhe);
  EXPECT_EQ(o.client.group, NamedGroup::x25519) << "psk_dhe_ke still runs (EC)DHE";
  EXPECT_EQ(o.client.peer_key, "PSK");
  EXPECT_FALSE(o.client.resumed);
  EXPECT_FALSE(o.certificate_sent);
  EXPECT_EQ(o.echoed, (Bytes{'p', 's', 'k'}));
}

TEST(ExternalPsk, KeModeSkipsTheKeyExchangeWhereAllowed) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("client-1", 0x11)};
  s.allow_psk_ke = true;
  const auto o = run(psk_client(psk("client-1", 0x11), PskMode::ke), s);
  ASSERT_TRUE(o.status) << o.status.error().to_string();
  EXPECT_TRUE(o.client.psk_without_dhe);
  EXPECT_TRUE(o.server.psk_without_dhe);
  EXPECT_EQ(o.client.group, NamedGroup{});
  EXPECT_EQ(o.echoed, (Bytes{'p', 's', 'k'}));
}

TEST(ExternalPsk, KeModeRefusedByDefaultFallsBackToTheCertificate) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("client-1", 0x11)};
  // allow_psk_ke stays false: the PSK cannot be used, the certificate is.
  auto c = client_options_for(KeyType::ec_p256);
  c.external_psk = psk("client-1", 0x11);
  c.psk_mode = PskMode::ke;
  const auto o = run(c, s);
  ASSERT_TRUE(o.status) << o.status.error().to_string();
  EXPECT_TRUE(o.client.psk_identity.empty());
  EXPECT_TRUE(o.certificate_sent);
  EXPECT_TRUE(o.client.peer_verified);
}

TEST(ExternalPsk, AWrongKeyIsDecryptErrorNamingTheIdentity) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("client-1", 0x11)};
  const auto o = run(psk_client(psk("client-1", 0x12)), s);
  ASSERT_FALSE(o.status);
  ASSERT_TRUE(o.server_error);
  EXPECT_EQ(o.server_error->alert, AlertDescription::decrypt_error);
  EXPECT_NE(o.server_error->message.find("external PSK 'client-1' does not verify"), std::string::npos)
      << o.server_error->message;
  ASSERT_TRUE(o.client_error);
  EXPECT_EQ(o.client_error->alert, AlertDescription::decrypt_error);
}

TEST(ExternalPsk, AnUnknownIdentityFallsBackToACertificateHandshake) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("client-1", 0x11)};
  auto c = client_options_for(KeyType::ec_p256);
  c.external_psk = psk("stranger", 0x11);
  const auto o = run(c, s);
  ASSERT_TRUE(o.status) << o.status.error().to_string();
  EXPECT_TRUE(o.client.psk_identity.empty());
  EXPECT_TRUE(o.certificate_sent);
  EXPECT_TRUE(o.client.peer_verified);
}

TEST(ExternalPsk, APskOnlyServerRefusesUnknownIdentities) {
  ServerOptions s;
  s.external_psks = {psk("client-1", 0x11)};
  const auto ok = run(psk_client(psk("client-1", 0x11)), s);
  ASSERT_TRUE(ok.status) << ok.status.error().to_string();
  const auto o = run(psk_client(psk("stranger", 0x11)), s);
  ASSERT_FALSE(o.status);
  ASSERT_TRUE(o.server_error);
  EXPECT_EQ(o.server_error->alert, AlertDescription::handshake_failure);
  EXPECT_NE(o.server_error->message.find("no PSK the server knows"), std::string::npos) << o.server_error->message;
}

TEST(ExternalPsk, Sha384PsksUseASha384Suite) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("big", 0x33, 48, true)};
  auto c = psk_client(psk("big", 0x33, 48, true));
  // The suite decides the hash (§4.2.11): a SHA-384 PSK needs a SHA-384 suite chosen.
  c.cipher_suites = {CipherSuite::TLS_AES_256_GCM_SHA384};
  const auto o = run(c, s);
  ASSERT_TRUE(o.status) << o.status.error().to_string();
  EXPECT_EQ(o.client.cipher_suite, CipherSuite::TLS_AES_256_GCM_SHA384);
  EXPECT_EQ(o.client.psk_identity, "big");
  // Without a SHA-384 suite the client cannot offer it.
  c.cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256};
  auto cc = ClientConfig::create(c);
  ASSERT_TRUE(cc);
  auto conn = ClientConnection::create(*cc, test::server_name("localhost"));
  ASSERT_FALSE(conn);
  EXPECT_NE(conn.error().message.find("SHA-384"), std::string::npos) << conn.error().message;
}

TEST(ExternalPsk, ConfigurationChecksTheKeys) {
  auto c = psk_client(psk("client-1", 0x11, 8));
  auto cc = ClientConfig::create(c);
  ASSERT_FALSE(cc);
  EXPECT_NE(cc.error().message.find("16 to 64 bytes"), std::string::npos) << cc.error().message;
  ServerOptions s;
  s.external_psks = {psk("", 0x11)};
  auto sc = ServerConfig::create(s);
  ASSERT_FALSE(sc);
  EXPECT_NE(sc.error().message.find("identity"), std::string::npos) << sc.error().message;
  EXPECT_FALSE(ServerConfig::create(ServerOptions{})) << "neither certificates nor PSKs";
}

TEST(ExternalPsk, TheSessionItMadeResumesByTicket) {
  auto s = server_options_for(KeyType::ec_p256);
  s.external_psks = {psk("client-1", 0x11)};
  auto sc = ServerConfig::create(s);
  auto cc = ClientConfig::create(psk_client(psk("client-1", 0x11)));
  ASSERT_TRUE(sc && cc);
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  const auto tickets = client->take_session_tickets();
  EXPECT_EQ(tickets.size(), 2u);
}

}  // namespace
}  // namespace tlspp
