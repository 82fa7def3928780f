// Whole TLS 1.3 handshakes, client to server through memory: every suite x group x server
// key type, HelloRetryRequest, ALPN, SNI, KeyUpdate, close_notify, large transfers.
#include <gtest/gtest.h>

#include <numeric>
#include <tuple>

#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;
using test::transfer;

class Matrix : public ::testing::TestWithParam<std::tuple<CipherSuite, NamedGroup, KeyType>> {};

TEST_P(Matrix, HandshakeAndDataBothWays) {
  const auto [suite, group, key] = GetParam();
  auto c = client_options_for(key);
  c.cipher_suites = {suite};
  c.groups = {group};
  auto s = server_options_for(key);
  auto pair = test::connect(c, s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_TRUE(pair->client.handshake_done());
  EXPECT_TRUE(pair->server.handshake_done());
  const auto& n = pair->client.negotiated();
  EXPECT_EQ(n.cipher_suite, suite);
  EXPECT_EQ(n.group, group);
  EXPECT_TRUE(n.peer_verified);
  EXPECT_EQ(n.peer_subject.find("CN=localhost"), 0u) << n.peer_subject;
  EXPECT_FALSE(n.hello_retry_request);
  EXPECT_EQ(pair->server.negotiated().signature_scheme, n.signature_scheme);

  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(transfer(pair->client, pair->server, hello), hello);
  const Bytes reply = {'w', 'o', 'r', 'l', 'd', '!'};
  EXPECT_EQ(transfer(pair->server, pair->client, reply), reply);
}

std::string matrix_name(const ::testing::TestParamInfo<Matrix::ParamType>& info) {
  std::string s = std::string(cipher_suite_name(std::get<0>(info.param))) + "_" +
                  std::string(named_group_name(std::get<1>(info.param))) + "_";
  return s + test::key_type_label(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    AllSuitesGroupsKeys, Matrix,
    ::testing::Combine(::testing::Values(CipherSuite::TLS_AES_128_GCM_SHA256, CipherSuite::TLS_AES_256_GCM_SHA384,
                                         CipherSuite::TLS_CHACHA20_POLY1305_SHA256),
                       ::testing::Values(NamedGroup::x25519, NamedGroup::secp256r1, NamedGroup::secp384r1),
                       ::testing::Values(KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa, KeyType::ed25519)),
    matrix_name);

TEST(Tls13, HelloRetryRequestWhenTheFirstShareIsNotAccepted) {
  auto c = client_options_for(KeyType::ec_p256);
  c.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
  auto s = server_options_for(KeyType::ec_p256);
  s.groups = {NamedGroup::secp384r1};
  auto pair = test::connect(c, s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_TRUE(pair->client.negotiated().hello_retry_request);
  EXPECT_TRUE(pair->server.negotiated().hello_retry_request);
  EXPECT_EQ(pair->client.negotiated().group, NamedGroup::secp384r1);
  const Bytes data = {1, 2, 3};
  EXPECT_EQ(transfer(pair->client, pair->server, data), data);
}

TEST(Tls13, NoCommonGroupIsHandshakeFailure) {
  auto c = client_options_for(KeyType::ec_p256);
  c.groups = {NamedGroup::x25519};
  auto s = server_options_for(KeyType::ec_p256);
  s.groups = {NamedGroup::secp384r1};
  auto pair = test::connect(c, s);
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::handshake_failure);
}

TEST(Tls13, AlpnIsNegotiatedByServerPreference) {
  auto c = client_options_for(KeyType::ec_p256);
  c.alpn = {"http/1.1", "h2"};
  auto s = server_options_for(KeyType::ec_p256);
  s.alpn = {"h2", "http/1.1"};
  auto pair = test::connect(c, s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_EQ(pair->client.negotiated().alpn, "h2");
  EXPECT_EQ(pair->server.negotiated().alpn, "h2");
}

TEST(Tls13, AlpnWithoutOverlapIsNoApplicationProtocol) {
  auto c = client_options_for(KeyType::ec_p256);
  c.alpn = {"imap"};
  auto s = server_options_for(KeyType::ec_p256);
  s.alpn = {"h2"};
  auto pair = test::connect(c, s);
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::no_application_protocol);
}

TEST(Tls13, SniSelectsTheMatchingCertificate) {
  const auto& other = test::shared_pki(KeyType::ec_p256, "other.example");
  auto s = server_options_for(KeyType::ec_p256);  // localhost first
  s.certificates.push_back(test::pem_pair(other));
  ClientOptions c;
  c.ca_files = {test::write_temp_pem(other.root, "other-root.pem")};
  auto pair = test::connect(c, s, "other.example");
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_EQ(pair->server.negotiated().server_name, "other.example");
  EXPECT_EQ(pair->client.negotiated().peer_subject.find("CN=other.example"), 0u);
}

TEST(Tls13, KeyUpdateBothWays) {
  auto pair = test::connect(client_options_for(KeyType::ec_p256), server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->client.key_update(/*request_peer=*/true));
  ASSERT_TRUE(test::pump(pair->client, pair->server));
  const Bytes a = {'a'}, b = {'b'};
  EXPECT_EQ(transfer(pair->client, pair->server, a), a);
  EXPECT_EQ(transfer(pair->server, pair->client, b), b);
  ASSERT_TRUE(pair->server.key_update(false));
  EXPECT_EQ(transfer(pair->server, pair->client, b), b);
}

TEST(Tls13, AutomaticKeyUpdateBeforeTheUsageLimit) {
  auto c = client_options_for(KeyType::ec_p256);
  c.key_update_after_records = 3;
  std::vector<std::string> names;
  c.on_event = [&](const Event& e) {
    if (e.type == EventType::message_sent) names.push_back(e.name);
  };
  auto pair = test::connect(c, server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair);
  Bytes big(10 * 16384, 7);
  EXPECT_EQ(transfer(pair->client, pair->server, big), big);
  EXPECT_EQ(std::count(names.begin(), names.end(), "KeyUpdate"), 3);
}

TEST(Tls13, CloseNotifyBothWays) {
  auto pair = test::connect(client_options_for(KeyType::ec_p256), server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair);
  pair->client.close();
  ASSERT_TRUE(test::pump(pair->client, pair->server));
  EXPECT_TRUE(pair->server.peer_closed());
  EXPECT_FALSE(pair->client.write(Bytes{1}));
  pair->server.close();
  ASSERT_TRUE(test::pump(pair->client, pair->server));
  EXPECT_TRUE(pair->client.peer_closed());
}

TEST(Tls13, LargeTransfersCrossRecordBoundaries) {
  auto pair = test::connect(client_options_for(KeyType::ec_p256), server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair);
  Bytes big(1 << 20);
  std::iota(big.begin(), big.end(), 0);
  EXPECT_EQ(transfer(pair->client, pair->server, big), big);
  EXPECT_EQ(transfer(pair->server, pair->client, big), big);
}

TEST(Tls13, DataWrittenBeforeTheHandshakeIsSentAfterIt) {
  auto cc = ClientConfig::create(client_options_for(KeyType::ec_p256));
  auto sc = ServerConfig::create(server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(cc && sc);
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(client->write(Bytes{'e', 'a', 'r', 'l', 'y'}));
  ASSERT_TRUE(test::pump(*client, *server));
  uint8_t buf[16];
  ASSERT_EQ(server->read(buf), 5u);
  EXPECT_EQ(std::string(buf, buf + 5), "early");
}

TEST(Tls13, ExportersAgree) {
  auto pair = test::connect(client_options_for(KeyType::ec_p256), server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair);
  auto a = pair->client.export_keying_material("EXPORTER-tlspp", Bytes{1}, 32);
  auto b = pair->server.export_keying_material("EXPORTER-tlspp", Bytes{1}, 32);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(Tls13, SessionTicketsReachTheClient) {
  auto s = server_options_for(KeyType::ec_p256);
  s.tickets = 2;
  auto pair = test::connect(client_options_for(KeyType::ec_p256), s);
  ASSERT_TRUE(pair);
  auto tickets = pair->client.take_session_tickets();
  ASSERT_EQ(tickets.size(), 2u);
  EXPECT_EQ(tickets[0].lifetime_seconds, 7200u);
  EXPECT_EQ(tickets[0].resumption_secret.size(), 32u);
  EXPECT_NE(tickets[0].resumption_secret, tickets[1].resumption_secret);
}

TEST(Tls13, WrongHostNameIsBadCertificate) {
  auto pair = test::connect(client_options_for(KeyType::ec_p256), server_options_for(KeyType::ec_p256),
                            "wrong.example");
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::bad_certificate);
  EXPECT_NE(pair.error().message.find("wrong.example"), std::string::npos) << pair.error().message;
}

TEST(Tls13, UntrustedRootIsUnknownCa) {
  auto c = client_options_for(KeyType::ec_p256);
  pki::TestPkiOptions o;
  o.organization = "someone else";
  auto unrelated = pki::make_test_pki(o);
  ASSERT_TRUE(unrelated);
  c.ca_files = {test::write_temp_pem(unrelated->root, "unrelated.pem")};
  auto pair = test::connect(c, server_options_for(KeyType::ec_p256));
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::unknown_ca) << pair.error().message;
}

TEST(Tls13, InsecureModeSkipsVerificationButStillChecksTheSignature) {
  ClientOptions c;
  c.insecure_skip_verification = true;
  auto pair = test::connect(c, server_options_for(KeyType::ec_p256), "anything.example");
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_FALSE(pair->client.negotiated().peer_verified);
}

}  // namespace
}  // namespace tlspp

namespace tlspp {
namespace {

struct Resumption : ::testing::Test {
  std::shared_ptr<const ClientConfig> client_config;
  std::shared_ptr<const ServerConfig> server_config;
  std::vector<std::string> client_messages;
  void SetUp() override {
    auto c = test::client_options_for(crypto::KeyType::ec_p256);
    c.on_event = [this](const Event& e) {
      if (e.type == EventType::message_received) client_messages.push_back(e.name);
    };
    auto s = test::server_options_for(crypto::KeyType::ec_p256);
    s.tickets = 1;
    client_config = *ClientConfig::create(c);
    server_config = *ServerConfig::create(s);
  }
  SessionTicket first_ticket() {
    auto client = ClientConnection::create(client_config, test::server_name("localhost"));
    auto server = ServerConnection::create(server_config);
    EXPECT_TRUE(client && server);
    EXPECT_TRUE(test::pump(*client, *server));
    auto tickets = client->take_session_tickets();
    EXPECT_EQ(tickets.size(), 1u);
    client_messages.clear();
    return tickets.empty() ? SessionTicket{} : tickets.front();
  }
};

TEST_F(Resumption, TicketResumesWithoutCertificates) {
  const SessionTicket ticket = first_ticket();
  auto client = ClientConnection::create(client_config, test::server_name("localhost"), ticket);
  auto server = ServerConnection::create(server_config);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  ASSERT_TRUE(client->handshake_done());
  EXPECT_TRUE(client->negotiated().resumed);
  EXPECT_TRUE(server->negotiated().resumed);
  // RFC 8446 §2.2: no Certificate or CertificateVerify in a resumed handshake, but the
  // identity proven by the original handshake is reported again.
  EXPECT_EQ(std::count(client_messages.begin(), client_messages.end(), "Certificate"), 0);
  EXPECT_EQ(std::count(client_messages.begin(), client_messages.end(), "CertificateVerify"), 0);
  EXPECT_TRUE(client->negotiated().peer_verified);
  EXPECT_EQ(client->negotiated().peer_subject.find("CN=localhost"), 0u);
  const Bytes data = {'r', 'e', 's', 'u', 'm', 'e', 'd'};
  EXPECT_EQ(transfer(*client, *server, data), data);
  // The resumed connection gets a fresh ticket of its own.
  EXPECT_EQ(client->take_session_tickets().size(), 1u);
}

TEST_F(Resumption, TicketSealedByAnotherServerGivesAFullHandshake) {
  const SessionTicket ticket = first_ticket();
  auto other = ServerConfig::create(test::server_options_for(crypto::KeyType::ec_p256));
  ASSERT_TRUE(other);
  auto client = ClientConnection::create(client_config, test::server_name("localhost"), ticket);
  auto server = ServerConnection::create(*other);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  EXPECT_FALSE(client->negotiated().resumed);
  EXPECT_EQ(std::count(client_messages.begin(), client_messages.end(), "Certificate"), 1);
}

TEST_F(Resumption, TamperedTicketGivesAFullHandshake) {
  SessionTicket ticket = first_ticket();
  ticket.ticket[ticket.ticket.size() / 2] ^= 1;
  auto client = ClientConnection::create(client_config, test::server_name("localhost"), ticket);
  auto server = ServerConnection::create(server_config);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  EXPECT_FALSE(server->negotiated().resumed);
  EXPECT_TRUE(client->handshake_done());
}

TEST_F(Resumption, WrongPskMakesTheBinderFailWithDecryptError) {
  SessionTicket ticket = first_ticket();
  ticket.resumption_secret.data()[0] ^= 1;
  auto client = ClientConnection::create(client_config, test::server_name("localhost"), ticket);
  auto server = ServerConnection::create(server_config);
  ASSERT_TRUE(client && server);
  auto s = test::pump(*client, *server);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().alert, AlertDescription::decrypt_error);
  ASSERT_TRUE(server->error().has_value());
  EXPECT_NE(server->error()->message.find("binder"), std::string::npos);
  ASSERT_TRUE(client->error().has_value());
  EXPECT_EQ(client->error()->kind, ErrorKind::alert_received);
}

TEST_F(Resumption, ExpiredTicketIsNotOffered) {
  SessionTicket ticket = first_ticket();
  ticket.received_at -= ticket.lifetime_seconds + 1;
  auto client = ClientConnection::create(client_config, test::server_name("localhost"), ticket);
  auto server = ServerConnection::create(server_config);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  EXPECT_FALSE(client->negotiated().resumed);
}

TEST(ResumptionRetry, ResumptionAfterHelloRetryRequest) {
  // The second ClientHello carries a new binder over message_hash, the retry and itself.
  auto c = test::client_options_for(crypto::KeyType::ec_p256);
  c.groups = {NamedGroup::x25519, NamedGroup::secp256r1};
  auto s = test::server_options_for(crypto::KeyType::ec_p256);
  s.tickets = 1;
  s.groups = {NamedGroup::secp256r1};
  s.ticket_key = Bytes(32, 7);
  auto issuing = *ServerConfig::create(s);
  auto cc = *ClientConfig::create(c);
  auto client1 = ClientConnection::create(cc, test::server_name("localhost"));
  auto server1 = ServerConnection::create(issuing);
  ASSERT_TRUE(test::pump(*client1, *server1));
  auto tickets = client1->take_session_tickets();
  ASSERT_EQ(tickets.size(), 1u);
  auto client = ClientConnection::create(cc, test::server_name("localhost"), tickets.front());
  auto server = ServerConnection::create(issuing);
  ASSERT_TRUE(test::pump(*client, *server));
  EXPECT_TRUE(client->negotiated().hello_retry_request);
  EXPECT_TRUE(client->negotiated().resumed);
  EXPECT_TRUE(server->negotiated().resumed);
}

}  // namespace
}  // namespace tlspp
