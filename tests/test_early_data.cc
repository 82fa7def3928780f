// 0-RTT early data (RFC 8446 §2.3, §4.2.10, §8): accepted, and declined (off, HelloRetryRequest,
// another ALPN, a stale ticket age, a replayed ClientHello) with the handshake going on in
// 1-RTT and the declined records skipped.
#include <cstring>
#include <ctime>
#include <gtest/gtest.h>

#include "support/tls_pair.h"
#include "wire/extensions.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;

const Bytes kRequest = {'G', 'E', 'T', ' ', '/', '\r', '\n'};

Bytes read_early(Connection& c) {
  Bytes got;
  uint8_t buf[1024];
  while (const size_t n = c.read_early_data(buf)) got.insert(got.end(), buf, buf + n);
  return got;
}

struct Fixture {
  ServerOptions s = server_options_for(KeyType::ec_p256);
  ClientOptions c = client_options_for(KeyType::ec_p256);
  std::shared_ptr<const ServerConfig> server;
  std::shared_ptr<const ClientConfig> client;

  explicit Fixture(uint32_t max_early = 4096) {
    s.max_early_data = max_early;
    s.ticket_key = Bytes(32, 0x44);  // so that a second configuration can open the tickets
    c.early_data = true;
  }
  // Both sides read `now`, a clock the test moves (from the time of the call).
  std::time_t now = 0;
  void use_clock() {
    now = std::time(nullptr);
    c.clock = [this] { return now; };
    s.clock = [this] { return now; };
  }
  void build() {
    auto so = s;
    auto sc = ServerConfig::create(so);
    auto cc = ClientConfig::create(c);
    ASSERT_TRUE(sc) << sc.error().to_string();
    ASSERT_TRUE(cc) << cc.error().to_string();
    server = *sc;
    client = *cc;
  }
  // A full handshake; returns the first ticket it brought.
  SessionTicket ticket() {
    auto cl = ClientConnection::create(client, test::server_name("localhost"));
    auto sv = ServerConnection::create(server);
    EXPECT_TRUE(cl && sv);
    EXPECT_TRUE(test::pump(*cl, *sv));
    auto t = cl->take_session_tickets();
    EXPECT_FALSE(t.empty());
    return t.empty() ? SessionTicket{} : t.front();
  }
};

TEST(EarlyData, AcceptedArrivesMarkedAsEarlyBeforeTheHandshakeCompletes) {
  Fixture f;
  f.build();
  const SessionTicket t = f.ticket();
  EXPECT_EQ(t.max_early_data, 4096u);
  auto client = ClientConnection::create(f.client, test::server_name("localhost"), t);
  auto server = ServerConnection::create(f.server);
  ASSERT_TRUE(client && server);
  EXPECT_EQ(client->early_data(), EarlyData::offered);
  ASSERT_TRUE(client->write_early_data(kRequest));
  // The first flight alone: the server has the early data before the handshake is done.
  const Bytes flight(client->pending_output().begin(), client->pending_output().end());
  client->consume_output(flight.size());
  ASSERT_TRUE(test::offer_all(*server, flight));
  EXPECT_EQ(server->early_data(), EarlyData::accepted);
  EXPECT_FALSE(server->handshake_done());
  EXPECT_EQ(read_early(*server), kRequest);
  EXPECT_EQ(server->readable(), 0u) << "early data is not 1-RTT data";
  ASSERT_TRUE(test::pump(*client, *server));
  EXPECT_EQ(client->early_data(), EarlyData::accepted);
  EXPECT_TRUE(client->negotiated().resumed);
  EXPECT_TRUE(server->handshake_done());
  const Bytes more = {'1', 'r', 't', 't'};
  EXPECT_EQ(test::transfer(*client, *server, more), more);
  EXPECT_EQ(test::transfer(*server, *client, more), more);
  // No more early data once the server has answered.
  EXPECT_FALSE(client->write_early_data(kRequest));
}

// Declined early data: the handshake goes on in 1-RTT, the early records are skipped, and
// nothing is resent by itself; the application sends its request again with write().
void expect_declined(Fixture& f, const SessionTicket& t, bool resumed = true) {
  auto client = ClientConnection::create(f.client, test::server_name("localhost"), t);
  auto server = ServerConnection::create(f.server);
  ASSERT_TRUE(client && server);
  ASSERT_EQ(client->early_data(), EarlyData::offered);
  ASSERT_TRUE(client->write_early_data(kRequest));
  ASSERT_TRUE(client->write_early_data(Bytes(500, 'x')));
  auto st = test::pump(*client, *server);
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(client->early_data(), EarlyData::rejected);
  EXPECT_EQ(server->early_data(), EarlyData::rejected);
  EXPECT_TRUE(read_early(*server).empty());
  EXPECT_EQ(server->readable(), 0u);
  EXPECT_EQ(client->negotiated().resumed, resumed);
  EXPECT_EQ(test::transfer(*client, *server, kRequest), kRequest);
}

TEST(EarlyData, AServerWithEarlyDataOffSkipsItAndCarriesOn) {
  Fixture f;
  f.build();
  const SessionTicket t = f.ticket();
  f.s.max_early_data = 0;  // the same ticket keys, early data now off
  f.build();
  expect_declined(f, t);
}

TEST(EarlyData, AHelloRetryRequestDeclinesIt) {
  Fixture f;
  f.build();
  const SessionTicket t = f.ticket();
  f.s.groups = {NamedGroup::secp384r1};  // the client's first share is X25519
  f.c.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
  f.build();
  expect_declined(f, t);
}

TEST(EarlyData, AnotherAlpnDeclinesIt) {
  Fixture f;
  f.s.alpn = {"h2", "http/1.1"};
  f.c.alpn = {"h2", "http/1.1"};
  f.build();
  const SessionTicket t = f.ticket();
  ASSERT_EQ(t.alpn, "h2");
  f.s.alpn = {"http/1.1", "h2"};
  f.s.prefer_server_cipher_order = true;
  f.build();
  expect_declined(f, t);
}

TEST(EarlyData, AStaleTicketAgeDeclinesIt) {
  Fixture f;
  f.use_clock();
  f.build();
  const SessionTicket t = f.ticket();
  f.now += 30;
  // The client believes the ticket is 30 s old; tell the server it is 30 s older still.
  SessionTicket skewed = t;
  skewed.age_add += 30'000;  // the client reports 30 s more than the server counts
  expect_declined(f, skewed);
}

// RFC 8446 §4.2.11.1 with a clock of whole seconds: the age the client reports never runs
// ahead of the real one, which may be up to a second less than the difference of two
// readings (GnuTLS declines early data from a client whose age is ahead of its own view).
TEST(EarlyData, TheReportedTicketAgeIsALowerBound) {
  Fixture f;
  f.use_clock();
  f.build();
  const SessionTicket t = f.ticket();
  for (const auto& [later, want_ms] : {std::pair{0, 0u}, {1, 0u}, {2, 1000u}, {30, 29000u}}) {
    f.now = t.received_at + later;
    auto client = ClientConnection::create(f.client, test::server_name("localhost"), t);
    ASSERT_TRUE(client);
    // The first record holds the ClientHello, its last extension the offered PSK.
    const ByteView out = client->pending_output();
    ASSERT_GT(out.size(), 5u);
    wire::Reader r(out.subspan(5));
    auto msg = wire::read_handshake(r);
    ASSERT_TRUE(msg) << msg.error().to_string();
    auto ch = wire::ClientHello::decode(msg->body);
    ASSERT_TRUE(ch) << ch.error().to_string();
    ASSERT_FALSE(ch->extensions.empty());
    ASSERT_EQ(ch->extensions.back().ext_type(), wire::ExtensionType::pre_shared_key);
    auto psk = wire::OfferedPsks::decode(ch->extensions.back().data);
    ASSERT_TRUE(psk) << psk.error().to_string();
    ASSERT_FALSE(psk->identities.empty());
    EXPECT_EQ(psk->identities[0].obfuscated_ticket_age - t.age_add, want_ms) << later << " s later";
  }
}

TEST(EarlyData, AReplayedFirstFlightIsDeclinedAndATicketIsUsedOnce) {
  Fixture f;
  f.build();
  const SessionTicket t = f.ticket();
  auto client = ClientConnection::create(f.client, test::server_name("localhost"), t);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->write_early_data(kRequest));
  const Bytes flight(client->pending_output().begin(), client->pending_output().end());
  auto first = ServerConnection::create(f.server);
  ASSERT_TRUE(first && test::offer_all(*first, flight));
  EXPECT_EQ(first->early_data(), EarlyData::accepted);
  EXPECT_EQ(read_early(*first), kRequest);
  // An attacker sends the same bytes to the server again.
  auto replay = ServerConnection::create(f.server);
  ASSERT_TRUE(replay);
  auto st = replay->receive(flight);
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(replay->early_data(), EarlyData::rejected);
  EXPECT_TRUE(read_early(*replay).empty()) << "replayed early data must not reach the application";
  // A new ClientHello with the same ticket: the ticket was used once already.
  auto again = ClientConnection::create(f.client, test::server_name("localhost"), t);
  auto server = ServerConnection::create(f.server);
  ASSERT_TRUE(again && server);
  ASSERT_TRUE(again->write_early_data(kRequest));
  ASSERT_TRUE(test::pump(*again, *server));
  EXPECT_EQ(server->early_data(), EarlyData::rejected);
  EXPECT_TRUE(again->negotiated().resumed) << "declining 0-RTT still resumes";
}

TEST(EarlyData, TheTicketsLimitBindsTheClient) {
  Fixture f(100);
  f.build();
  const SessionTicket t = f.ticket();
  auto client = ClientConnection::create(f.client, test::server_name("localhost"), t);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->write_early_data(Bytes(60, 'a')));
  auto over = client->write_early_data(Bytes(41, 'b'));
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("40 bytes left"), std::string::npos) << over.error().message;
  // Without early_data in the options, or a ticket that allows none, nothing is offered.
  f.c.early_data = false;
  f.build();
  auto plain = ClientConnection::create(f.client, test::server_name("localhost"), t);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->early_data(), EarlyData::not_offered);
  EXPECT_FALSE(plain->write_early_data(kRequest));
}

TEST(EarlyData, TooMuchDeclinedEarlyDataIsUnexpectedMessage) {
  Fixture f(60000);
  f.build();
  const SessionTicket t = f.ticket();
  f.s.max_early_data = 0;  // skips up to 16 KiB
  f.build();
  auto client = ClientConnection::create(f.client, test::server_name("localhost"), t);
  auto server = ServerConnection::create(f.server);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(client->write_early_data(Bytes(40000, 'z')));
  auto st = test::pump(*client, *server);
  ASSERT_FALSE(st);
  ASSERT_TRUE(server->error());
  EXPECT_EQ(server->error()->alert, AlertDescription::unexpected_message);
  EXPECT_NE(server->error()->message.find("more early data than the server skips"), std::string::npos)
      << server->error()->message;
}

// RFC 8446 §8: the in-memory store remembers each id until its expiry, declines when full of
// ids still to be remembered, and forgets expired ones to make room.
TEST(MemoryAntiReplay, RemembersUntilExpiryAndDeclinesWhenFull) {
  auto store = make_memory_anti_replay(3);
  const std::time_t now = std::time(nullptr);
  const Bytes a = {1, 2, 3}, b = {4}, c = {5}, d = {6}, e = {7};
  EXPECT_TRUE(store->first_use(a, now + 60));
  EXPECT_FALSE(store->first_use(a, now + 60)) << "a replay of the same id";
  EXPECT_TRUE(store->first_use(b, now + 60));
  EXPECT_TRUE(store->first_use(c, now - 5)) << "already expired: accepted once, then forgotten";
  EXPECT_TRUE(store->first_use(d, now + 60)) << "c's expired slot makes room for d";
  EXPECT_FALSE(store->first_use(e, now + 60)) << "full of live ids: decline, never forget one";
  EXPECT_FALSE(store->first_use(a, now + 60));
  EXPECT_FALSE(store->first_use(d, now + 60));
}

TEST(MemoryAntiReplay, AFullStoreDeclinesNewIdsAndStillKnowsOldOnes) {
  auto store = make_memory_anti_replay(20000);
  const std::time_t now = std::time(nullptr);
  Bytes id(8);
  for (uint32_t i = 0; i < 20000; ++i) {
    std::memcpy(id.data(), &i, sizeof i);
    ASSERT_TRUE(store->first_use(id, now + 3600));
  }
  // At capacity every new id is declined (and costs one lookup, not a scan of the store).
  for (uint32_t i = 20000; i < 60000; ++i) {
    std::memcpy(id.data(), &i, sizeof i);
    ASSERT_FALSE(store->first_use(id, now + 3600));
  }
  for (uint32_t i = 0; i < 20000; i += 997) {
    std::memcpy(id.data(), &i, sizeof i);
    EXPECT_FALSE(store->first_use(id, now + 3600));
  }
}

}  // namespace
}  // namespace tlspp
