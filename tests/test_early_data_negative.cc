// A hostile network around 0-RTT (RFC 8446 §2.3, §4.2.10, §4.5, §4.2.11): early data records
// moved after EndOfEarlyData or a second ClientHello, data under the wrong keys, EndOfEarlyData
// where none belongs (declined, not offered, twice, missing, with a body), a tampered binder,
// tampered early data, and more early data than the server allows or skips. Each case checks
// the alert the server sends, what the application reads, and that both sides stay failed.
#include <gtest/gtest.h>

#include <memory>

#include "support/mitm.h"
#include "support/tls_pair.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using record::ContentType;
using test::Dir;
using test::Flight;
using test::Item;
using test::kEarlyKeys;
using test::kHandshakeKeys;
using test::Mitm;
using wire::HandshakeType;
using A = AlertDescription;

const Bytes kRequest = {'G', 'E', 'T', ' ', '/', 'a', '\r', '\n'};
const Bytes kSecond = {'G', 'E', 'T', ' ', '/', 'b', '\r', '\n'};

ServerOptions server_opts(uint32_t max_early) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.tickets = 1;
  s.ticket_key = Bytes(32, 0x5a);  // every configuration made here opens the others' tickets
  s.max_early_data = max_early;
  return s;
}

ClientOptions client_opts() {
  auto c = test::client_options_for(KeyType::ec_p256);
  c.early_data = true;
  return c;
}

// A ticket allowing `max_early` bytes of early data, from a full handshake.
std::optional<SessionTicket> ticket(uint32_t max_early = 4096) {
  auto m = Mitm::create(client_opts(), server_opts(max_early));
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return std::nullopt;
  }
  (*m)->run();
  auto tickets = (*m)->client().take_session_tickets();
  if (tickets.empty()) {
    ADD_FAILURE() << "no ticket from the first handshake";
    return std::nullopt;
  }
  EXPECT_EQ(tickets.front().max_early_data, max_early);
  return tickets.front();
}

// A client resuming `t` with early data offered, against a server allowing `max_early`
// (0: declined); `early` is written as early data, one record per element.
std::unique_ptr<Mitm> resuming(const SessionTicket& t, ServerOptions s, const std::vector<Bytes>& early,
                               ClientOptions c = client_opts()) {
  auto m = Mitm::create(std::move(c), std::move(s), "localhost", &t);
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  EXPECT_EQ((*m)->client().early_data(), EarlyData::offered);
  for (const Bytes& b : early) {
    auto st = (*m)->client().write_early_data(b);
    if (!st) ADD_FAILURE() << st.error().to_string();
  }
  return std::move(*m);
}

Bytes read_early(Connection& c) {
  Bytes got;
  uint8_t buf[1024];
  while (const size_t n = c.read_early_data(buf)) got.insert(got.end(), buf, buf + n);
  return got;
}

Mitm::FlightMutator once(Dir dir, HandshakeType t, std::function<void(Flight&)> f) {
  auto done = std::make_shared<bool>(false);
  return [=](Flight& fl) {
    if (*done || fl.dir != dir || !fl.has(t)) return;
    *done = true;
    f(fl);
  };
}

// Index of the last early data record in a flight, or items.size().
size_t last_early_record(const Flight& f) {
  for (size_t i = f.items.size(); i-- > 0;)
    if (f.items[i].type == ContentType::application_data && f.items[i].epoch == kEarlyKeys) return i;
  return f.items.size();
}

// Runs `first` on the client's first flight (ClientHello and early data) and `second` on
// the flight carrying its Finished.
Mitm::FlightMutator client_flights(std::function<void(Flight&)> first, std::function<void(Flight&)> second) {
  return [=](Flight& f) {
    if (f.dir != Dir::to_server) return;
    if (f.has(HandshakeType::client_hello) && first) first(f);
    if (f.has(HandshakeType::finished) && second) second(f);
  };
}

// --- the harness follows 0-RTT ---

TEST(EarlyDataHarness, FollowsAcceptedEarlyData) {
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest, kSecond});
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  EXPECT_EQ(m->server().early_data(), EarlyData::accepted);
  EXPECT_EQ(m->client().early_data(), EarlyData::accepted);
  Bytes both = kRequest;
  both.insert(both.end(), kSecond.begin(), kSecond.end());
  EXPECT_EQ(read_early(m->server()), both);
  EXPECT_EQ(Flight(Dir::to_server, m->forwarded(Dir::to_server)).describe(),
            "client->server [client_hello@0, ChangeCipherSpec@0, application data (8 bytes)@early, "
            "application data (8 bytes)@early, end_of_early_data@early, finished@1]");
  EXPECT_EQ(test::transfer(m->client(), m->server(), kSecond), kSecond);
}

TEST(EarlyDataHarness, FollowsDeclinedEarlyData) {
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(0), {kRequest});
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  EXPECT_EQ(m->server().early_data(), EarlyData::rejected);
  EXPECT_EQ(m->client().early_data(), EarlyData::rejected);
  EXPECT_TRUE(read_early(m->server()).empty());
  EXPECT_EQ(Flight(Dir::to_server, m->forwarded(Dir::to_server)).describe(),
            "client->server [client_hello@0, ChangeCipherSpec@0, application data (8 bytes)@early, finished@1]");
}

// --- records in the wrong place ---

TEST(EarlyDataNegative, EarlyRecordMovedAfterEndOfEarlyData) {
  // RFC 8446 §4.5: after EndOfEarlyData the server reads under the client's handshake keys;
  // an early data record held back and sent after it does not open (§5.2: bad_record_mac)
  // and never reaches the application as early data.
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest, kSecond});
  ASSERT_TRUE(m);
  auto held = std::make_shared<Item>();
  m->on_flight = client_flights(
      [held](Flight& f) {
        const size_t i = last_early_record(f);
        ASSERT_NE(i, f.items.size()) << f.describe();
        *held = f.items[i];
        f.items.erase(f.items.begin() + static_cast<ptrdiff_t>(i));
      },
      [held](Flight& f) { f.insert_after(HandshakeType::end_of_early_data, *held); });
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
  EXPECT_EQ(read_early(m->server()), kRequest) << "the moved record must not count as early data";
  EXPECT_FALSE(m->server().handshake_done());
}

TEST(EarlyDataNegative, ApplicationDataUnderHandshakeKeysAfterEndOfEarlyData) {
  // Between EndOfEarlyData and Finished the client sends handshake messages only (§2.3).
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = client_flights(nullptr, [](Flight& f) {
    f.insert_after(HandshakeType::end_of_early_data,
                   test::record_item(ContentType::application_data, Bytes{'x'}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "application data received before the handshake completed");
  EXPECT_EQ(read_early(m->server()), kRequest);
  EXPECT_EQ(m->server().readable(), 0u);
}

TEST(EarlyDataNegative, EarlyRecordMovedAfterTheSecondClientHello) {
  // §4.2.10: after a HelloRetryRequest the server skips application_data records only until
  // the second ClientHello; an early record after it is under keys the server does not use.
  auto t = ticket();
  ASSERT_TRUE(t);
  auto c = client_opts();
  c.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
  auto s = server_opts(4096);
  s.groups = {NamedGroup::secp384r1};  // the client's first share is X25519: HelloRetryRequest
  auto m = resuming(*t, s, {kRequest, kSecond}, c);
  ASSERT_TRUE(m);
  auto held = std::make_shared<Item>();
  auto flights = std::make_shared<int>(0);
  m->on_flight = [held, flights](Flight& f) {
    if (f.dir != Dir::to_server || !f.has(HandshakeType::client_hello)) return;
    if ((*flights)++ == 0) {
      const size_t i = last_early_record(f);
      ASSERT_NE(i, f.items.size()) << f.describe();
      *held = f.items[i];
      f.items.erase(f.items.begin() + static_cast<ptrdiff_t>(i));
      return;
    }
    f.insert_after(HandshakeType::client_hello, *held);
  };
  m->run();
  ASSERT_EQ(*flights, 2) << "no HelloRetryRequest";
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
  EXPECT_TRUE(read_early(m->server()).empty());
  EXPECT_EQ(m->server().early_data(), EarlyData::rejected);
}

// --- EndOfEarlyData where it does not belong (RFC 8446 §4.5) ---

TEST(EarlyDataNegative, EndOfEarlyDataAfterDeclinedEarlyData) {
  // A server that declined early data expects the client's Finished under handshake keys.
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(0), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = client_flights(nullptr, [](Flight& f) {
    f.insert_before(HandshakeType::finished, test::handshake_item(HandshakeType::end_of_early_data, Bytes{}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "end_of_early_data received in state ExpectFinished");
  EXPECT_EQ(m->server().early_data(), EarlyData::rejected);
  EXPECT_TRUE(read_early(m->server()).empty());
}

TEST(EarlyDataNegative, EndOfEarlyDataWithoutEarlyDataOffered) {
  auto c = client_opts();
  c.early_data = false;
  auto m = Mitm::create(c, server_opts(4096));
  ASSERT_TRUE(m);
  (*m)->on_flight = client_flights(nullptr, [](Flight& f) {
    f.insert_before(HandshakeType::finished, test::handshake_item(HandshakeType::end_of_early_data, Bytes{}, kHandshakeKeys));
  });
  (*m)->run();
  test::expect_fatal(**m, Side::server, A::unexpected_message, "end_of_early_data received in state ExpectFinished");
  EXPECT_EQ((*m)->server().early_data(), EarlyData::not_offered);
}

TEST(EarlyDataNegative, EndOfEarlyDataTwice) {
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = client_flights(nullptr, [](Flight& f) {
    f.insert_after(HandshakeType::end_of_early_data,
                   test::handshake_item(HandshakeType::end_of_early_data, Bytes{}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "end_of_early_data received in state ExpectFinished");
}

TEST(EarlyDataNegative, EndOfEarlyDataMissing) {
  // §4.2.10: a server that accepted early data reads under the early keys until
  // EndOfEarlyData; the Finished under handshake keys does not open there (bad_record_mac).
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = client_flights(nullptr, [](Flight& f) { f.drop(HandshakeType::end_of_early_data); });
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
  EXPECT_FALSE(m->server().handshake_done());
}

TEST(EarlyDataNegative, FinishedUnderEarlyKeysInsteadOfEndOfEarlyData) {
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = client_flights(nullptr, [](Flight& f) {
    f.drop(HandshakeType::end_of_early_data);
    f.get(HandshakeType::finished).epoch = kEarlyKeys;
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "finished received in state ExpectEndOfEarlyData");
  EXPECT_FALSE(m->server().handshake_done());
}

TEST(EarlyDataNegative, EndOfEarlyDataWithABody) {
  // §4.5: struct {} EndOfEarlyData.
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = client_flights(nullptr, [](Flight& f) {
    f.get(HandshakeType::end_of_early_data) = test::handshake_item(HandshakeType::end_of_early_data, Bytes{0}, kEarlyKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::decode_error, "EndOfEarlyData (its body is empty)");
}

// --- the first flight tampered with ---

TEST(EarlyDataNegative, TamperedBinderWithEarlyData) {
  // RFC 8446 §4.2.11: a binder that does not verify is decrypt_error, and none of the early
  // data reaches the application.
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    // The binders are the last bytes of the ClientHello (pre_shared_key comes last).
    Item& ch = f.get(HandshakeType::client_hello);
    ch.data[ch.data.size() - 7] ^= 0x40;
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::decrypt_error, "PSK binder of the offered ticket does not verify");
  EXPECT_NE(m->server().early_data(), EarlyData::accepted);
  EXPECT_TRUE(read_early(m->server()).empty());
}

TEST(EarlyDataNegative, TamperedEarlyDataRecord) {
  // §4.2.10: "if the server fails to decrypt a 0-RTT record following an accepted
  // early_data extension, it MUST terminate the connection with a bad_record_mac alert".
  auto t = ticket();
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(4096), {kRequest});
  ASSERT_TRUE(m);
  m->on_records = [done = false](Dir d, std::vector<Bytes>& records) mutable {
    if (done || d != Dir::to_server) return;
    for (Bytes& r : records)
      if (r[0] == static_cast<uint8_t>(ContentType::application_data)) {
        r[record::kHeaderLen + 2] ^= 0x01;
        done = true;
        return;
      }
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
  EXPECT_EQ(m->server().early_data(), EarlyData::accepted);
  EXPECT_TRUE(read_early(m->server()).empty());
}

// --- how much (RFC 8446 §4.2.10 and §4.6.1 max_early_data_size) ---

TEST(EarlyDataNegative, MoreEarlyDataThanAcceptedIsUnexpectedMessage) {
  // The client stays within the ticket's 100 bytes; the attacker adds one byte more.
  auto t = ticket(100);
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(100), {Bytes(100, 'e')});
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    const size_t i = last_early_record(f);
    ASSERT_NE(i, f.items.size()) << f.describe();
    f.items.insert(f.items.begin() + static_cast<ptrdiff_t>(i) + 1,
                   test::record_item(ContentType::application_data, Bytes{'!'}, kEarlyKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message,
                     "early data over the 100 bytes the server allows (max_early_data)");
  EXPECT_EQ(read_early(m->server()), Bytes(100, 'e'));
}

TEST(EarlyDataNegative, PaddingDoesNotCountAgainstTheLimit) {
  // §4.6.1: only the Application Data payload counts, "not padding or the inner content
  // type byte". 100 bytes with 1000 bytes of padding fit a limit of 100.
  auto t = ticket(100);
  ASSERT_TRUE(t);
  auto m = resuming(*t, server_opts(100), {Bytes(100, 'p')});
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    const size_t i = last_early_record(f);
    ASSERT_NE(i, f.items.size()) << f.describe();
    f.items[i].padding = 1000;
  });
  m->run();
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  EXPECT_EQ(read_early(m->server()), Bytes(100, 'p'));
}

TEST(EarlyDataNegative, TooMuchDeclinedEarlyDataIsUnexpectedMessage) {
  // A server that declines skips at most max(its max_early_data, 16 KiB) of records it
  // cannot open; a client sending more (here within the ticket's old, larger limit) is
  // cut off with unexpected_message rather than read forever.
  auto t = ticket(60000);
  ASSERT_TRUE(t);
  std::vector<Bytes> early(4, Bytes(10000, 'z'));
  auto m = resuming(*t, server_opts(0), early);
  ASSERT_TRUE(m);
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "more early data than the server skips");
  EXPECT_EQ(m->server().early_data(), EarlyData::rejected);
  EXPECT_TRUE(read_early(m->server()).empty());
}

}  // namespace
}  // namespace tlspp
