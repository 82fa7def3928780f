// Whole TLS 1.2 handshakes, tlspp client to tlspp server through memory (RFC 5246 with RFC
// 8422, 5288, 7905, 7627, 5746, 5077): every suite x group x server key type, client
// authentication in its three modes, resumption by session ID and by ticket, version
// negotiation over every min/max combination, and the downgrade sentinel of RFC 8446 §4.1.3.
#include <gtest/gtest.h>

#include <tuple>

#include "handshake/common.h"
#include "support/tls_pair.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;
using test::transfer;
using V = ProtocolVersion;

ClientOptions tls12_client(KeyType key) {
  auto c = client_options_for(key);
  c.min_version = c.max_version = V::tls12;
  return c;
}

class Tls12Matrix : public ::testing::TestWithParam<std::tuple<CipherSuite, NamedGroup, KeyType>> {};

TEST_P(Tls12Matrix, HandshakeDataAndExporterBothWays) {
  const auto [suite, group, key] = GetParam();
  auto c = tls12_client(key);
  c.cipher_suites = {suite};
  // RFC 8422 §5.1: the client's supported_groups also bound the curve of an ECDSA server
  // certificate, so the client lists that curve too; the server's only group is `group`.
  c.groups = {group};
  if (key == KeyType::ec_p256 && group != NamedGroup::secp256r1) c.groups.push_back(NamedGroup::secp256r1);
  if (key == KeyType::ec_p384 && group != NamedGroup::secp384r1) c.groups.push_back(NamedGroup::secp384r1);
  auto s = server_options_for(key);
  s.groups = {group};
  auto pair = test::connect(c, s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  const auto& n = pair->client.negotiated();
  EXPECT_EQ(n.version, V::tls12);
  EXPECT_EQ(pair->server.negotiated().version, V::tls12);
  EXPECT_EQ(n.cipher_suite, suite);
  EXPECT_EQ(pair->server.negotiated().cipher_suite, suite);
  EXPECT_EQ(n.group, group);
  EXPECT_TRUE(n.peer_verified);
  EXPECT_EQ(n.peer_subject.find("CN=localhost"), 0u) << n.peer_subject;
  EXPECT_FALSE(n.resumed);
  EXPECT_EQ(pair->server.negotiated().signature_scheme, n.signature_scheme);

  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(transfer(pair->client, pair->server, hello), hello);
  const Bytes big(100000, 0x5a);  // several records each way
  EXPECT_EQ(transfer(pair->server, pair->client, big), big);
  // RFC 5705 with the extended master secret (RFC 7627), which both sides negotiate.
  auto ec = pair->client.export_keying_material("EXPORTER-test", Bytes{1, 2, 3}, 32);
  auto es = pair->server.export_keying_material("EXPORTER-test", Bytes{1, 2, 3}, 32);
  ASSERT_TRUE(ec) << ec.error().to_string();
  ASSERT_TRUE(es) << es.error().to_string();
  EXPECT_EQ(*ec, *es);
  // TLS 1.2 has no KeyUpdate: asking is a clear error that leaves the connection working.
  auto ku = pair->client.key_update(false);
  ASSERT_FALSE(ku);
  EXPECT_NE(ku.error().message.find("TLS 1.2 has no key update"), std::string::npos) << ku.error().message;
}

std::string matrix_name(const ::testing::TestParamInfo<Tls12Matrix::ParamType>& info) {
  std::string s = std::string(cipher_suite_name(std::get<0>(info.param))) + "_" +
                  std::string(named_group_name(std::get<1>(info.param))) + "_";
  return s + test::key_type_label(std::get<2>(info.param));
}

constexpr NamedGroup kGroups[] = {NamedGroup::x25519, NamedGroup::secp256r1, NamedGroup::secp384r1};

INSTANTIATE_TEST_SUITE_P(
    EcdsaSuites, Tls12Matrix,
    ::testing::Combine(::testing::Values(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                         CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                         CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
                       ::testing::ValuesIn(kGroups),
                       ::testing::Values(KeyType::ec_p256, KeyType::ec_p384, KeyType::ed25519)),
    matrix_name);
INSTANTIATE_TEST_SUITE_P(
    RsaSuites, Tls12Matrix,
    ::testing::Combine(::testing::Values(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                         CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                         CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
                       ::testing::ValuesIn(kGroups), ::testing::Values(KeyType::rsa)),
    matrix_name);

TEST(Tls12, CertificateCurveTheClientDoesNotListIsHandshakeFailure) {
  // RFC 8422 §5.1: "the server MUST consider the extensions in both cases".
  auto c = tls12_client(KeyType::ec_p384);
  c.groups = {NamedGroup::x25519};
  auto pair = test::connect(c, server_options_for(KeyType::ec_p384));
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::handshake_failure) << pair.error().to_string();
}

TEST(Tls12, SuiteThatNoCertificateCanAuthenticateIsHandshakeFailure) {
  // An RSA-only client against an ECDSA-only server: nothing in common.
  auto c = tls12_client(KeyType::ec_p256);
  c.cipher_suites = {CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
  auto pair = test::connect(c, server_options_for(KeyType::ec_p256));
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::handshake_failure) << pair.error().to_string();
}

// --- version negotiation ------------------------------------------------------------------

struct Range {
  V min, max;
};

TEST(VersionNegotiation, EveryMinMaxCombination) {
  const Range ranges[] = {{V::tls12, V::tls12}, {V::tls12, V::tls13}, {V::tls13, V::tls13}};
  for (const Range& cr : ranges)
    for (const Range& sr : ranges) {
      SCOPED_TRACE(std::string("client ") + std::string(protocol_version_name(cr.min)) + ".." +
                   std::string(protocol_version_name(cr.max)) + ", server " +
                   std::string(protocol_version_name(sr.min)) + ".." + std::string(protocol_version_name(sr.max)));
      auto c = client_options_for(KeyType::ec_p256);
      c.min_version = cr.min;
      c.max_version = cr.max;
      auto s = server_options_for(KeyType::ec_p256);
      s.min_version = sr.min;
      s.max_version = sr.max;
      const V lo = std::max(cr.min, sr.min), hi = std::min(cr.max, sr.max);
      auto pair = test::connect(c, s);
      if (lo > hi) {
        ASSERT_FALSE(pair);
        EXPECT_EQ(pair.error().alert, AlertDescription::protocol_version) << pair.error().to_string();
        continue;
      }
      ASSERT_TRUE(pair) << pair.error().to_string();
      // Both support both: TLS 1.3 is preferred.
      EXPECT_EQ(pair->client.negotiated().version, hi);
      EXPECT_EQ(pair->server.negotiated().version, hi);
    }
}

TEST(VersionNegotiation, ConfigurationsRefuseEmptyRanges) {
  auto c = client_options_for(KeyType::ec_p256);
  c.min_version = V::tls13;
  c.max_version = V::tls12;
  auto cc = ClientConfig::create(c);
  ASSERT_FALSE(cc);
  EXPECT_NE(cc.error().message.find("is above max_version"), std::string::npos) << cc.error().message;
  auto s = server_options_for(KeyType::ec_p256);
  s.min_version = s.max_version = V::tls12;
  s.cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256};
  auto sc = ServerConfig::create(s);
  ASSERT_FALSE(sc);
  EXPECT_NE(sc.error().message.find("no TLS 1.2 cipher suite"), std::string::npos) << sc.error().message;
  s.min_version = s.max_version = ProtocolVersion::tls11;
  ASSERT_FALSE(ServerConfig::create(s));
}

// --- resumption ---------------------------------------------------------------------------

// A full handshake, then a second connection offering the session it produced.
struct Resumed {
  Result<test::Pair> first = fail(Error::internal("not run"));
  Result<test::Pair> second = fail(Error::internal("not run"));
  std::vector<SessionTicket> sessions;
};

Resumed connect_twice(const ClientOptions& c, const ServerOptions& s) {
  Resumed r;
  auto cc = ClientConfig::create(c);
  auto sc = ServerConfig::create(s);
  if (!cc || !sc) return r;
  const auto run = [&](const SessionTicket* t) -> Result<test::Pair> {
    auto client = t ? ClientConnection::create(*cc, test::server_name("localhost"), *t)
                    : ClientConnection::create(*cc, test::server_name("localhost"));
    if (!client) return fail(client.error());
    auto server = ServerConnection::create(*sc);
    if (!server) return fail(server.error());
    TLSPP_TRY(test::pump(*client, *server));
    return test::Pair{std::move(*client), std::move(*server)};
  };
  r.first = run(nullptr);
  if (!r.first) return r;
  r.sessions = r.first->client.take_session_tickets();
  if (r.sessions.empty()) return r;
  r.second = run(&r.sessions.back());
  return r;
}

TEST(Tls12Resumption, BySessionId) {
  auto s = server_options_for(KeyType::ec_p256);
  s.tickets = 0;  // session IDs only
  auto r = connect_twice(tls12_client(KeyType::ec_p256), s);
  ASSERT_TRUE(r.first) << r.first.error().to_string();
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].version, V::tls12);
  EXPECT_EQ(r.sessions[0].session_id.size(), 32u);
  EXPECT_TRUE(r.sessions[0].ticket.empty());
  EXPECT_TRUE(r.sessions[0].extended_master_secret);
  ASSERT_TRUE(r.second) << r.second.error().to_string();
  EXPECT_TRUE(r.second->client.negotiated().resumed);
  EXPECT_TRUE(r.second->server.negotiated().resumed);
  // The identity proven in the first handshake is reported again.
  EXPECT_TRUE(r.second->client.negotiated().peer_verified);
  EXPECT_EQ(r.second->client.negotiated().peer_subject, r.first->client.negotiated().peer_subject);
  const Bytes data = {'a', 'g', 'a', 'i', 'n'};
  EXPECT_EQ(transfer(r.second->client, r.second->server, data), data);
}

TEST(Tls12Resumption, ByTicket) {
  auto s = server_options_for(KeyType::rsa);
  s.tickets = 1;
  s.session_cache_size = 0;  // tickets only
  auto r = connect_twice(tls12_client(KeyType::rsa), s);
  ASSERT_TRUE(r.first) << r.first.error().to_string();
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_FALSE(r.sessions[0].ticket.empty());
  ASSERT_TRUE(r.second) << r.second.error().to_string();
  EXPECT_TRUE(r.second->client.negotiated().resumed);
  EXPECT_TRUE(r.second->server.negotiated().resumed);
  const Bytes data = {'t', 'i', 'c', 'k', 'e', 't'};
  EXPECT_EQ(transfer(r.second->server, r.second->client, data), data);
}

TEST(Tls12Resumption, SessionForAnotherNameIsNotOffered) {
  auto s = server_options_for(KeyType::ec_p256);
  auto r = connect_twice(tls12_client(KeyType::ec_p256), s);
  ASSERT_TRUE(r.first) << r.first.error().to_string();
  ASSERT_FALSE(r.sessions.empty());
  SessionTicket other = r.sessions.back();
  other.server_name = "elsewhere.example";
  auto cc = ClientConfig::create(tls12_client(KeyType::ec_p256));
  auto sc = ServerConfig::create(s);
  ASSERT_TRUE(cc && sc);
  auto client = ClientConnection::create(*cc, test::server_name("localhost"), other);
  auto server = ServerConnection::create(*sc);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  EXPECT_FALSE(client->negotiated().resumed);
}

// --- client authentication ------------------------------------------------------------------

struct ClientAuthCase {
  ClientAuth mode;
  bool client_has_cert;
  bool succeeds;
};

TEST(Tls12ClientAuth, RequiredOptionalAndNone) {
  const auto& client_pki = test::shared_pki(KeyType::ec_p384, "client.example");
  const std::string client_ca = test::write_temp_pem(client_pki.root, "tls12-client-root.pem");
  const ClientAuthCase cases[] = {{ClientAuth::required, true, true},  {ClientAuth::required, false, false},
                                  {ClientAuth::optional, true, true},  {ClientAuth::optional, false, true},
                                  {ClientAuth::none, true, true}};
  for (const auto& k : cases) {
    SCOPED_TRACE(std::to_string(static_cast<int>(k.mode)) + (k.client_has_cert ? " with cert" : " without cert"));
    auto c = tls12_client(KeyType::rsa);
    if (k.client_has_cert) c.client_certificates = {test::pem_pair(client_pki)};
    auto s = server_options_for(KeyType::rsa);
    s.client_auth = k.mode;
    if (k.mode != ClientAuth::none) s.client_ca_files = {client_ca};
    auto pair = test::connect(c, s);
    if (!k.succeeds) {
      ASSERT_FALSE(pair);
      EXPECT_EQ(pair.error().alert, AlertDescription::handshake_failure) << pair.error().to_string();
      continue;
    }
    ASSERT_TRUE(pair) << pair.error().to_string();
    const auto& n = pair->server.negotiated();
    const bool sent = k.client_has_cert && k.mode != ClientAuth::none;
    EXPECT_EQ(n.peer_verified, sent);
    EXPECT_EQ(n.peer_certificates.size(), sent ? 2u : 0u);
    if (sent) {
      EXPECT_EQ(n.peer_subject.find("CN=client.example"), 0u) << n.peer_subject;
    }
  }
}

// --- downgrade protection (RFC 8446 §4.1.3) -------------------------------------------------

// The last 8 bytes of the ServerHello.random a server sends to `c`.
Bytes server_random_tail(const ClientOptions& c, const ServerOptions& s) {
  auto cc = ClientConfig::create(c);
  auto sc = ServerConfig::create(s);
  if (!cc || !sc) return {};
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  if (!client || !server) return {};
  if (!server->receive(client->pending_output())) return {};
  const ByteView out = server->pending_output();
  // record header (5), handshake header (4), version (2), random (32)
  if (out.size() < 5 + 4 + 2 + 32 || out[5] != 2) return {};
  return Bytes(out.begin() + 5 + 4 + 2 + 24, out.begin() + 5 + 4 + 2 + 32);
}

TEST(Downgrade, ServerWritesTheSentinelOnlyWhenItCouldHaveSpokenTls13) {
  const Bytes sentinel(wire::kDowngradeSentinelTls12.begin(), wire::kDowngradeSentinelTls12.end());
  auto c = tls12_client(KeyType::ec_p256);
  auto s = server_options_for(KeyType::ec_p256);
  EXPECT_EQ(server_random_tail(c, s), sentinel);
  s.max_version = V::tls12;
  const Bytes tail = server_random_tail(c, s);
  ASSERT_EQ(tail.size(), 8u);
  EXPECT_NE(tail, sentinel);
}

TEST(Downgrade, Tls13ClientRejectsTheSentinel) {
  // An attacker strips supported_versions from a TLS 1.3 client's hello; the 1.3-capable
  // server answers in TLS 1.2 with the sentinel, and the client, which offered 1.3, aborts.
  auto cc = ClientConfig::create(client_options_for(KeyType::ec_p256));
  auto sc = ServerConfig::create(server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(cc && sc);
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  ASSERT_TRUE(client && server);
  Bytes hello(client->pending_output().begin(), client->pending_output().end());
  client->consume_output(hello.size());
  // Rewrite the ClientHello without supported_versions.
  auto ch = wire::ClientHello::decode(ByteView(hello).subspan(9));
  ASSERT_TRUE(ch);
  std::vector<wire::Extension> kept;
  for (const auto& e : ch->extensions)
    if (e.ext_type() != wire::ExtensionType::supported_versions && e.ext_type() != wire::ExtensionType::key_share)
      kept.push_back(e);
  ch->extensions = kept;
  auto msg = wire::encode_message(*ch);
  ASSERT_TRUE(msg);
  Bytes rec = {22, 3, 3, uint8_t(msg->size() >> 8), uint8_t(msg->size())};
  rec.insert(rec.end(), msg->begin(), msg->end());
  ASSERT_TRUE(server->receive(rec)) << server->error()->to_string();
  EXPECT_EQ(server->negotiated().version, V::tls12);
  auto st = client->receive(server->pending_output());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().alert, AlertDescription::illegal_parameter);
  EXPECT_NE(st.error().message.find("downgrade"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace tlspp
