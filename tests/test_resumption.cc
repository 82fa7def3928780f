// Resumption as users expect it: tickets by default (2 after a full handshake, 1 after a
// resumed one), rotating ticket keys shared by servers that share a master or a key source,
// a client session store that offers each ticket once, and the text form of sessions.
#include <gtest/gtest.h>

#include <map>

#include "handshake/sessions.h"
#include "support/tls_pair.h"
#include "tlspp/session_store.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;

struct Clock {
  std::time_t now = 1'800'000'000;
  std::function<std::time_t()> fn() {
    return [this] { return now; };
  }
};

struct Connected {
  bool ok = false;
  bool resumed = false;
  std::vector<SessionTicket> tickets;
  std::string error;
};

Connected connect_once(const std::shared_ptr<const ClientConfig>& cc, const std::shared_ptr<const ServerConfig>& sc,
                       const SessionTicket* ticket = nullptr) {
  Connected out;
  auto client = ticket ? ClientConnection::create(cc, test::server_name("localhost"), *ticket)
                       : ClientConnection::create(cc, test::server_name("localhost"));
  auto server = ServerConnection::create(sc);
  if (!client || !server) {
    out.error = "create failed";
    return out;
  }
  auto st = test::pump(*client, *server);
  out.ok = st && client->handshake_done() && server->handshake_done();
  if (!st) out.error = st.error().to_string();
  out.resumed = client->negotiated().resumed;
  EXPECT_EQ(out.resumed, server->negotiated().resumed);
  out.tickets = client->take_session_tickets();
  return out;
}

std::shared_ptr<const ClientConfig> client_config(ClientOptions o) {
  auto c = ClientConfig::create(std::move(o));
  EXPECT_TRUE(c) << c.error().to_string();
  return c ? *c : nullptr;
}

std::shared_ptr<const ServerConfig> server_config(ServerOptions o) {
  auto c = ServerConfig::create(std::move(o));
  EXPECT_TRUE(c) << c.error().to_string();
  return c ? *c : nullptr;
}

TEST(Tickets, TwoAfterAFullHandshakeOneAfterAResumedOne) {
  const auto cc = client_config(client_options_for(KeyType::ec_p256));
  const auto sc = server_config(server_options_for(KeyType::ec_p256));
  auto first = connect_once(cc, sc);
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_FALSE(first.resumed);
  ASSERT_EQ(first.tickets.size(), 2u);
  EXPECT_NE(first.tickets[0].ticket, first.tickets[1].ticket);
  auto second = connect_once(cc, sc, &first.tickets[0]);
  ASSERT_TRUE(second.ok) << second.error;
  EXPECT_TRUE(second.resumed);
  ASSERT_EQ(second.tickets.size(), 1u);
  // The other ticket of the first connection is still good, and so is the new one.
  EXPECT_TRUE(connect_once(cc, sc, &first.tickets[1]).resumed);
  EXPECT_TRUE(connect_once(cc, sc, &second.tickets[0]).resumed);
}

TEST(Tickets, ZeroTurnsThemOffAndTheCountsAreConfigurable) {
  const auto cc = client_config(client_options_for(KeyType::ec_p256));
  auto s = server_options_for(KeyType::ec_p256);
  s.tickets = 0;
  EXPECT_TRUE(connect_once(cc, server_config(s)).tickets.empty());
  s.tickets = 3;
  s.tickets_after_resumption = 0;
  const auto sc = server_config(s);
  auto first = connect_once(cc, sc);
  ASSERT_EQ(first.tickets.size(), 3u);
  auto again = connect_once(cc, sc, &first.tickets[2]);
  EXPECT_TRUE(again.resumed);
  EXPECT_TRUE(again.tickets.empty());
}

TEST(TicketKeys, RotateEachPeriodAndTheLastPeriodsTicketsStillOpen) {
  Clock clock;
  auto s = server_options_for(KeyType::ec_p256);
  s.ticket_key_rotation_seconds = 3600;
  s.ticket_lifetime_seconds = 3600;
  s.clock = clock.fn();  // the client keeps the system clock, so it offers what it has
  const auto cc = client_config(client_options_for(KeyType::ec_p256));
  const auto sc = server_config(s);
  clock.now = 1'800'000'000 / 3600 * 3600 + 3500;  // 100 s before the period ends
  auto first = connect_once(cc, sc);
  ASSERT_EQ(first.tickets.size(), 2u);
  clock.now += 200;  // the next period: its key seals, the previous one still opens
  auto second = connect_once(cc, sc, &first.tickets[0]);
  EXPECT_TRUE(second.resumed) << "a ticket of the previous period must open";
  ASSERT_EQ(second.tickets.size(), 1u);
  EXPECT_NE(Bytes(first.tickets[1].ticket.begin(), first.tickets[1].ticket.begin() + 8),
            Bytes(second.tickets[0].ticket.begin(), second.tickets[0].ticket.begin() + 8))
      << "tickets say their period";
  clock.now += 3600;  // two periods on
  auto third = connect_once(cc, sc, &first.tickets[1]);
  EXPECT_TRUE(third.ok) << third.error;
  EXPECT_FALSE(third.resumed) << "a ticket two periods old must not open";
  EXPECT_TRUE(connect_once(cc, sc, &second.tickets[0]).resumed) << "last period's ticket, still alive, opens";
}

// The keys themselves: a period's key is retired after the next period, whatever the
// session's own lifetime says.
TEST(TicketKeys, APeriodsKeyOpensInTheNextPeriodOnly) {
  handshake::TicketKeys keys(crypto::Secret(Bytes(32, 9)), 100, nullptr);
  FixedRandom random;
  handshake::StoredSession session;
  session.suite = CipherSuite::TLS_AES_128_GCM_SHA256;
  session.secret = crypto::Secret(Bytes(32, 1));
  session.server_name = "localhost";
  session.created = 1000;
  session.lifetime = 100000;
  const Bytes ticket = keys.seal(random, handshake::TicketKind::tls13, session, 1050);  // period 10
  ASSERT_FALSE(ticket.empty());
  EXPECT_TRUE(keys.open(handshake::TicketKind::tls13, 1099, ticket));
  EXPECT_TRUE(keys.open(handshake::TicketKind::tls13, 1199, ticket));   // period 11
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls13, 1200, ticket));  // period 12: retired
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls13, 999, ticket));   // before it was made
  // The period in the clear is authenticated: moving a ticket to another period fails.
  Bytes moved = ticket;
  moved[7] ^= 1;
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls13, 1150, moved));
  // And a different master opens nothing.
  handshake::TicketKeys others(crypto::Secret(Bytes(32, 8)), 100, nullptr);
  EXPECT_FALSE(others.open(handshake::TicketKind::tls13, 1050, ticket));
}

TEST(TicketKeys, LifetimeOverTheRotationPeriodIsAConfigError) {
  auto s = server_options_for(KeyType::ec_p256);
  s.ticket_key_rotation_seconds = 600;
  s.ticket_lifetime_seconds = 601;
  auto c = ServerConfig::create(s);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("rotation period"), std::string::npos) << c.error().message;
}

TEST(TicketKeys, ServersSharingAMasterResumeEachOthersSessions) {
  auto s = server_options_for(KeyType::ec_p256);
  s.ticket_key = Bytes(32, 0x61);
  const auto a = server_config(s);
  s.ticket_key = Bytes(32, 0x61);  // wiped from the options by the first create
  const auto b = server_config(s);
  s.ticket_key = Bytes(32, 0x62);
  const auto other = server_config(s);
  const auto cc = client_config(client_options_for(KeyType::ec_p256));
  auto first = connect_once(cc, a);
  ASSERT_EQ(first.tickets.size(), 2u);
  EXPECT_TRUE(connect_once(cc, b, &first.tickets[0]).resumed);
  EXPECT_FALSE(connect_once(cc, other, &first.tickets[1]).resumed);
}

// A fleet's key source: keys by period, and a switch to make it unavailable.
class FleetKeys final : public TicketKeySource {
 public:
  SecretBytes key(uint64_t period) override {
    ++calls;
    if (down) return {};
    auto [it, inserted] = keys.try_emplace(period);
    if (inserted) it->second = Bytes(32, static_cast<uint8_t>(period * 7 + 1));
    return SecretBytes(it->second);
  }
  std::map<uint64_t, Bytes> keys;
  bool down = false;
  int calls = 0;
};

TEST(TicketKeys, AKeySourceSuppliesThemAndItsOutageMeansFullHandshakes) {
  auto fleet = std::make_shared<FleetKeys>();
  auto s = server_options_for(KeyType::ec_p256);
  s.ticket_key_source = fleet;
  const auto a = server_config(s);
  const auto b = server_config(s);
  const auto cc = client_config(client_options_for(KeyType::ec_p256));
  auto first = connect_once(cc, a);
  ASSERT_EQ(first.tickets.size(), 2u);
  EXPECT_GT(fleet->calls, 0);
  EXPECT_TRUE(connect_once(cc, b, &first.tickets[0]).resumed);
  fleet->down = true;
  const auto c = server_config(s);  // a new server that never had the key cached
  auto during = connect_once(cc, c, &first.tickets[1]);
  EXPECT_TRUE(during.ok) << during.error;
  EXPECT_FALSE(during.resumed);
  EXPECT_TRUE(during.tickets.empty()) << "no key, no tickets";
}

// A store that remembers every ticket it handed out.
class RecordingStore final : public SessionStore {
 public:
  void put(const std::string& name, SessionTicket t) override { inner.put(name, std::move(t)); }
  std::optional<SessionTicket> take(const std::string& name) override {
    auto t = inner.take(name);
    if (t) taken.push_back(t->ticket);
    return t;
  }
  MemorySessionStore inner;
  std::vector<Bytes> taken;
};

TEST(SessionStore, ConnectionsResumeByThemselvesAndUseEachTicketOnce) {
  auto store = std::make_shared<RecordingStore>();
  auto c = client_options_for(KeyType::ec_p256);
  c.session_store = store;
  const auto cc = client_config(c);
  const auto sc = server_config(server_options_for(KeyType::ec_p256));
  auto first = connect_once(cc, sc);
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_FALSE(first.resumed);
  EXPECT_TRUE(first.tickets.empty()) << "with a store, tickets go to the store";
  EXPECT_EQ(store->inner.size(), 2u);
  for (int i = 0; i < 4; ++i) {
    auto next = connect_once(cc, sc);
    EXPECT_TRUE(next.resumed) << i;
    EXPECT_EQ(store->inner.size(), 2u) << "one taken, one new";
  }
  // Each ticket was offered once.
  ASSERT_EQ(store->taken.size(), 4u);
  for (size_t i = 0; i < store->taken.size(); ++i)
    for (size_t j = i + 1; j < store->taken.size(); ++j) EXPECT_NE(store->taken[i], store->taken[j]);
  // Emptied: a full handshake.
  (void)store->inner.take_all();
  EXPECT_FALSE(connect_once(cc, sc).resumed);
}

TEST(SessionStore, SessionsThatCannotResumeAreSkipped) {
  auto store = std::make_shared<MemorySessionStore>();
  auto c = client_options_for(KeyType::ec_p256);
  c.session_store = store;
  const auto cc = client_config(c);
  const auto sc = server_config(server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(connect_once(cc, sc).ok);
  ASSERT_EQ(store->size(), 2u);
  SessionTicket expired;  // newer than the real ones, but expired: skipped and dropped
  expired.server_name = "localhost";
  expired.cipher_suite = CipherSuite::TLS_AES_128_GCM_SHA256;
  expired.ticket = Bytes(40, 1);
  expired.resumption_secret = SecretBytes(Bytes(32, 2));
  expired.received_at = 1000;
  expired.lifetime_seconds = 10;
  store->put("localhost", expired);
  EXPECT_TRUE(connect_once(cc, sc).resumed);
  EXPECT_EQ(store->size(), 2u);  // the expired one and one real one gone, one new
}

TEST(SessionStore, KeyedByServerNameAndBounded) {
  MemorySessionStore store(3, 2);
  auto named = [](const std::string& n, uint8_t tag) {
    SessionTicket t;
    t.server_name = n;
    t.ticket = Bytes(4, tag);
    return t;
  };
  store.put("a", named("a", 1));
  store.put("a", named("a", 2));
  store.put("a", named("a", 3));  // only two per name: 1 goes
  store.put("b", named("b", 4));
  EXPECT_EQ(store.size(), 3u);
  store.put("c", named("c", 5));  // three in all: the oldest (a/2) goes
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.take("a")->ticket, Bytes(4, 3));
  EXPECT_FALSE(store.take("a"));
  EXPECT_EQ(store.take("b")->ticket, Bytes(4, 4));
  EXPECT_FALSE(store.take("d"));
  EXPECT_EQ(store.size(), 1u);
}

TEST(SessionStore, ATls12SessionIsKeptAgainAfterEachResumption) {
  auto store = std::make_shared<MemorySessionStore>();
  auto c = client_options_for(KeyType::ec_p256);
  auto s = server_options_for(KeyType::ec_p256);
  c.max_version = s.max_version = ProtocolVersion::tls12;
  c.session_store = store;
  const auto cc = client_config(c);
  const auto sc = server_config(s);
  EXPECT_FALSE(connect_once(cc, sc).resumed);
  EXPECT_EQ(store->size(), 1u);
  EXPECT_TRUE(connect_once(cc, sc).resumed);
  EXPECT_TRUE(connect_once(cc, sc).resumed);
  EXPECT_EQ(store->size(), 1u);
}

TEST(SessionText, RoundTripsBothVersionsAndResumes) {
  const auto cc = client_config(client_options_for(KeyType::ec_p256));
  const auto sc = server_config(server_options_for(KeyType::ec_p256));
  auto c12 = client_options_for(KeyType::ec_p256);
  c12.max_version = ProtocolVersion::tls12;
  const auto cc12 = client_config(c12);
  auto first = connect_once(cc, sc);
  auto first12 = connect_once(cc12, sc);
  ASSERT_EQ(first.tickets.size(), 2u);
  ASSERT_EQ(first12.tickets.size(), 1u);
  const std::string text = encode_sessions({first.tickets[0], first12.tickets[0]});
  EXPECT_EQ(text.rfind("tlspp-session 1\nversion tls13\nsuite TLS_AES_128_GCM_SHA256\nserver-name localhost\n", 0), 0u)
      << text;
  auto back = decode_sessions(text);
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(encode_sessions(*back), text);
  EXPECT_TRUE((*back)[0].resumption_secret == first.tickets[0].resumption_secret);
  EXPECT_TRUE(connect_once(cc, sc, &(*back)[0]).resumed);
  EXPECT_TRUE(connect_once(cc12, sc, &(*back)[1]).resumed);
}

TEST(SessionText, MalformedTextSaysWhichLine) {
  EXPECT_TRUE(decode_sessions("").has_value());
  const auto expect_error = [](std::string_view text, std::string_view words) {
    auto r = decode_sessions(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  };
  expect_error("hello\n", "line 1: expected 'tlspp-session 1'");
  expect_error("tlspp-session 1\nversion tls14\n", "line 2: unknown version");
  expect_error("tlspp-session 1\nsuite TLS_FOO\n", "unknown cipher suite");
  expect_error("tlspp-session 1\nsecret 0g\n", "hexadecimal");
  expect_error("tlspp-session 1\nlifetime -5\n", "32-bit number");
  expect_error("tlspp-session 1\nsuite TLS_AES_128_GCM_SHA256\nend\n", "line 3: a session without its suite and secret");
  expect_error("tlspp-session 1\nsuite TLS_AES_128_GCM_SHA256\nsecret 00\n", "ends inside a session");
  // Unknown keys (a later version's) are ignored.
  auto ok = decode_sessions("tlspp-session 1\nsuite TLS_AES_128_GCM_SHA256\nsecret 0011\nfuture-key x\nend\n");
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->size(), 1u);
}

}  // namespace
}  // namespace tlspp
