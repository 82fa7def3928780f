// Back-pressure: what a peer can make a connection hold when the application does not keep
// up. receive() stops taking bytes while the read buffer is full or our output is backed
// up, and says how much it took; KeyUpdate requests that arrive while our own KeyUpdate has
// not left are answered by it (RFC 8446 §4.6.3). Each test here grew without bound before.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;

constexpr size_t kRecord = 16384;

// Moves everything `from` has queued onto `wire` (the network between the two).
void send_all(Connection& from, Bytes& wire) {
  wire.insert(wire.end(), from.pending_output().begin(), from.pending_output().end());
  from.consume_output(from.pending_output().size());
}

// Offers the wire to `to`; removes what it took. Returns how much that was.
size_t offer(Connection& to, Bytes& wire) {
  auto taken = to.receive(wire);
  EXPECT_TRUE(taken) << taken.error().to_string();
  if (!taken) return 0;
  wire.erase(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(*taken));
  return *taken;
}

Bytes read_all(Connection& c) {
  Bytes got;
  uint8_t buf[4096];
  while (const size_t n = c.read(buf)) got.insert(got.end(), buf, buf + n);
  return got;
}

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + (i >> 8));
  return b;
}

TEST(Backpressure, ReceiveStopsAtTheReadLimitAndLosesNothing) {
  auto s = server_options_for(KeyType::ec_p256);
  auto pair = test::connect(client_options_for(KeyType::ec_p256), s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  const Bytes data = pattern(300 * 1024);
  ASSERT_TRUE(pair->client.write(data));
  Bytes wire, got;
  send_all(pair->client, wire);
  const size_t total = wire.size();
  const size_t first = offer(pair->server, wire);
  EXPECT_LT(first, total) << "receive() took 300 KiB with nobody reading";
  EXPECT_GE(pair->server.readable(), s.read_buffer_limit);
  EXPECT_LE(pair->server.readable(), s.read_buffer_limit + kRecord);
  // Offering more without reading takes nothing.
  EXPECT_EQ(offer(pair->server, wire), 0u);
  for (int i = 0; i < 1000 && got.size() < data.size(); ++i) {
    const Bytes part = read_all(pair->server);
    got.insert(got.end(), part.begin(), part.end());
    (void)offer(pair->server, wire);
    EXPECT_LE(pair->server.readable(), s.read_buffer_limit + kRecord);
  }
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(got, data);
}

TEST(Backpressure, ASmallLimitTakesOneRecordAtATime) {
  auto s = server_options_for(KeyType::ec_p256);
  s.read_buffer_limit = 1;
  auto pair = test::connect(client_options_for(KeyType::ec_p256), s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  const Bytes data = pattern(5 * kRecord);
  ASSERT_TRUE(pair->client.write(data));
  Bytes wire, got;
  send_all(pair->client, wire);
  for (int i = 0; i < 5; ++i) {
    EXPECT_GT(offer(pair->server, wire), kRecord);
    EXPECT_EQ(pair->server.readable(), kRecord);
    EXPECT_EQ(offer(pair->server, wire), 0u);
    const Bytes part = read_all(pair->server);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(got, data);
}

// The reported attack: a client with a small receive window that never reads sends
// KeyUpdate(update_requested) over and over between bits of application data, to an echo
// server. The server's output never leaves (the client does not read), so what it queues
// must stop growing: its KeyUpdate answers coalesce, and receive() stops taking input.
TEST(Backpressure, AClientThatNeverReadsCannotGrowTheServersQueues) {
  auto s = server_options_for(KeyType::ec_p256);
  size_t key_updates_sent = 0;
  s.on_event = [&](const Event& e) {
    if (e.type == EventType::message_sent && e.message.type == MessageType::key_update) ++key_updates_sent;
  };
  auto pair = test::connect(client_options_for(KeyType::ec_p256), s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  Bytes wire;
  const Bytes chunk = pattern(700);
  size_t stalled = 0, peak_out = 0, peak_in = 0;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(pair->client.key_update(/*request_peer=*/true));
    ASSERT_TRUE(pair->client.write(chunk));
    send_all(pair->client, wire);
    if (offer(pair->server, wire) == 0) ++stalled;
    ASSERT_FALSE(pair->server.error()) << pair->server.error()->to_string();
    // An echo server: everything read is written back, and nothing is ever sent.
    const Bytes echo = read_all(pair->server);
    if (!echo.empty()) {
      ASSERT_TRUE(pair->server.write(echo));
    }
    peak_out = std::max(peak_out, pair->server.pending_output().size());
    peak_in = std::max(peak_in, pair->server.readable() + pair->server.buffered_input());
  }
  EXPECT_GT(stalled, 0u) << "the server never pushed back";
  // The output stops at the limit plus what one receive() could decrypt and echo.
  EXPECT_LE(peak_out, s.output_limit + s.read_buffer_limit + 2 * (kRecord + 256));
  EXPECT_LE(peak_in, s.read_buffer_limit + 2 * (kRecord + 256));
  // One KeyUpdate answers all the requests that arrived while it waited in the queue, and
  // echoed data re-arms the next one: far fewer than the 3000 requests.
  EXPECT_GE(key_updates_sent, 1u);
  EXPECT_LT(key_updates_sent, 200u);
}

// The closing server of the report: it stopped calling read() but went on calling
// receive(); everything decrypted used to pile up in its read buffer.
TEST(Backpressure, AServerThatStoppedReadingHoldsAtMostTheLimit) {
  auto s = server_options_for(KeyType::ec_p256);
  auto pair = test::connect(client_options_for(KeyType::ec_p256), s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  pair->server.close();
  Bytes to_client;
  send_all(pair->server, to_client);
  Bytes wire;
  const Bytes chunk = pattern(8000);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(pair->client.write(chunk));
    send_all(pair->client, wire);
    (void)offer(pair->server, wire);
    ASSERT_LE(pair->server.readable(), s.read_buffer_limit + kRecord);
  }
  EXPECT_GT(wire.size(), 3'000'000u) << "the bytes not taken stay with the application";
}

TEST(KeyUpdateCoalescing, RequestsWhileOurUpdateIsUnsentGetOneAnswer) {
  auto s = server_options_for(KeyType::ec_p256);
  size_t sent = 0;
  s.on_event = [&](const Event& e) {
    if (e.type == EventType::message_sent && e.message.type == MessageType::key_update) ++sent;
  };
  auto pair = test::connect(client_options_for(KeyType::ec_p256), s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  Bytes c2s, s2c;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pair->client.key_update(true));
  send_all(pair->client, c2s);
  const size_t ten = c2s.size();
  ASSERT_EQ(offer(pair->server, c2s), ten);  // all ten KeyUpdates taken
  EXPECT_EQ(sent, 1u) << "ten requests while silent: one KeyUpdate";

  // Once it has left, the next request is answered by a new one.
  send_all(pair->server, s2c);
  ASSERT_TRUE(pair->client.key_update(true));
  send_all(pair->client, c2s);
  (void)offer(pair->server, c2s);
  EXPECT_EQ(sent, 2u);

  // Data sent after our KeyUpdate: a request must be answered again, even with the
  // previous KeyUpdate still queued.
  const Bytes reply = {'o', 'k'};
  ASSERT_TRUE(pair->server.write(reply));
  ASSERT_TRUE(pair->client.key_update(true));
  send_all(pair->client, c2s);
  (void)offer(pair->server, c2s);
  EXPECT_EQ(sent, 3u);

  // And both directions still decrypt: the client follows every generation.
  send_all(pair->server, s2c);
  ASSERT_TRUE(test::offer_all(pair->client, s2c));
  EXPECT_EQ(read_all(pair->client), reply);
  const Bytes more = pattern(3000);
  EXPECT_EQ(test::transfer(pair->server, pair->client, more), more);
  EXPECT_EQ(test::transfer(pair->client, pair->server, more), more);
}

TEST(Backpressure, BytesAfterCloseNotifyAreTakenAndIgnored) {
  auto pair = test::connect(client_options_for(KeyType::ec_p256), server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair) << pair.error().to_string();
  pair->client.close();
  Bytes wire;
  send_all(pair->client, wire);
  wire.insert(wire.end(), 100, 0x17);  // garbage after the closure alert
  auto taken = pair->server.receive(wire);
  ASSERT_TRUE(taken) << taken.error().to_string();
  EXPECT_EQ(*taken, wire.size());
  EXPECT_TRUE(pair->server.peer_closed());
}

}  // namespace
}  // namespace tlspp
