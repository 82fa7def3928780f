// The copy-free variants of write() and read(): write_into() seals records straight into the
// caller's buffer, read_view()/consume_read() read received data where it was decrypted.
// Each suite and version, and the edges: a buffer too small, output already queued, the
// handshake not done yet, an automatic KeyUpdate in the middle of a write.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::client_options_for;
using test::server_options_for;

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + (i >> 8));
  return b;
}

// Everything `to` can read, taken with read_view() and consume_read().
Bytes take_view(Connection& to) {
  const ByteView v = to.read_view();
  Bytes got(v.begin(), v.end());
  EXPECT_EQ(to.readable(), v.size());
  to.consume_read(v.size());
  EXPECT_EQ(to.readable(), 0u);
  EXPECT_TRUE(to.read_view().empty());
  return got;
}

// Hands `wire` to `to` and returns the application data it yields (by read_view()), taking
// it as it arrives, as receive()'s back-pressure asks.
Bytes deliver(Connection& to, ByteView wire) {
  Bytes got;
  for (int rounds = 0; rounds < 1000; ++rounds) {
    auto taken = to.receive(wire);
    EXPECT_TRUE(taken) << taken.error().to_string();
    if (!taken) break;
    wire = wire.subspan(*taken);
    const Bytes part = take_view(to);
    got.insert(got.end(), part.begin(), part.end());
    if (wire.empty()) break;
  }
  EXPECT_TRUE(wire.empty());
  return got;
}

struct Case {
  ProtocolVersion version;
  CipherSuite suite;
};

class ZeroCopy : public ::testing::TestWithParam<Case> {
 protected:
  test::Pair connect() {
    auto c = client_options_for(KeyType::ec_p256);
    auto s = server_options_for(KeyType::ec_p256);
    c.min_version = c.max_version = GetParam().version;
    c.cipher_suites = {GetParam().suite};
    auto pair = test::connect(c, s);
    EXPECT_TRUE(pair) << pair.error().to_string();
    EXPECT_EQ(pair->client.negotiated().cipher_suite, GetParam().suite);
    return std::move(*pair);
  }
};

TEST_P(ZeroCopy, WriteIntoSealsEveryRecordIntoTheCallersBuffer) {
  auto p = connect();
  for (size_t len : {size_t{1}, size_t{16384}, size_t{16385}, size_t{100000}}) {
    const Bytes data = pattern(len);
    const size_t expect = p.client.sealed_size(len);
    const size_t records = (len + 16383) / 16384;
    const size_t per_record = GetParam().version == ProtocolVersion::tls13 ? 5 + 1 + 16
                              : GetParam().suite == CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
                                  ? 5 + 16
                                  : 5 + 8 + 16;
    EXPECT_EQ(expect, len + records * per_record) << len;
    Bytes buf(expect + 7, 0xee);
    auto n = p.client.write_into(data, buf);
    ASSERT_TRUE(n) << n.error().to_string();
    EXPECT_EQ(*n, expect) << "all records in the caller's buffer";
    EXPECT_TRUE(p.client.pending_output().empty()) << "nothing queued";
    EXPECT_EQ(buf[expect], 0xee) << "nothing written past the records";
    EXPECT_EQ(deliver(p.server, ByteView(buf).first(*n)), data);
  }
  // The other direction, and the ordinary calls still work after it.
  const Bytes reply = pattern(3000);
  EXPECT_EQ(test::transfer(p.server, p.client, reply), reply);
  EXPECT_EQ(test::transfer(p.client, p.server, reply), reply);
}

TEST_P(ZeroCopy, RecordsThatDoNotFitAreQueuedInOrder) {
  auto p = connect();
  const Bytes data = pattern(50000);  // four records
  const size_t whole = p.client.sealed_size(data.size());
  Bytes buf(whole / 2);  // room for one and a half records
  auto n = p.client.write_into(data, buf);
  ASSERT_TRUE(n) << n.error().to_string();
  // One record is sealed in place; the next goes to the queue and tops the buffer up.
  EXPECT_EQ(*n, buf.size()) << "the buffer is filled";
  EXPECT_EQ(*n + p.client.pending_output().size(), whole);
  Bytes wire(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  wire.insert(wire.end(), p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(p.client.pending_output().size());
  EXPECT_EQ(deliver(p.server, wire), data);

  // An empty buffer: write_into() is write().
  n = p.client.write_into(data, MutByteView());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(p.client.pending_output().size(), whole);
  wire.assign(p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(wire.size());
  EXPECT_EQ(deliver(p.server, wire), data);
}

TEST_P(ZeroCopy, QueuedOutputGoesIntoTheBufferFirst) {
  auto p = connect();
  const Bytes first = pattern(1000), second = pattern(2000);
  ASSERT_TRUE(p.client.write(first));
  const size_t queued = p.client.pending_output().size();
  ASSERT_GT(queued, 1000u);
  Bytes buf(queued + p.client.sealed_size(second.size()));
  auto n = p.client.write_into(second, buf);
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, buf.size());
  EXPECT_TRUE(p.client.pending_output().empty());
  Bytes both = first;
  both.insert(both.end(), second.begin(), second.end());
  EXPECT_EQ(deliver(p.server, buf), both);

  // Queued output larger than the buffer: the buffer takes its front, the rest and the new
  // record stay queued behind it.
  ASSERT_TRUE(p.client.write(first));
  buf.assign(100, 0);
  n = p.client.write_into(second, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 100u);
  Bytes wire(buf.begin(), buf.end());
  wire.insert(wire.end(), p.client.pending_output().begin(), p.client.pending_output().end());
  p.client.consume_output(p.client.pending_output().size());
  EXPECT_EQ(deliver(p.server, wire), both);
}

TEST_P(ZeroCopy, ReadViewAndReadShareOneBuffer) {
  auto p = connect();
  const Bytes data = pattern(30000);
  ASSERT_TRUE(p.client.write(data));
  // Under the default read limit (32 KiB), both records are taken.
  ASSERT_TRUE(test::offer_all(p.server, p.client.pending_output()));
  p.client.consume_output(p.client.pending_output().size());
  ASSERT_EQ(p.server.read_view().size(), data.size());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), p.server.read_view().begin()));
  p.server.consume_read(123);
  EXPECT_EQ(p.server.readable(), data.size() - 123);
  uint8_t some[1000];
  ASSERT_EQ(p.server.read(some), sizeof some);
  EXPECT_TRUE(std::equal(some, some + sizeof some, data.begin() + 123));
  EXPECT_EQ(p.server.read_view().front(), data[1123]);
  p.server.consume_read(size_t{1} << 40);  // more than there is: all of it
  EXPECT_EQ(p.server.readable(), 0u);
  uint8_t none[1];
  EXPECT_EQ(p.server.read(none), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Suites, ZeroCopy,
    ::testing::Values(Case{ProtocolVersion::tls13, CipherSuite::TLS_AES_128_GCM_SHA256},
                      Case{ProtocolVersion::tls13, CipherSuite::TLS_CHACHA20_POLY1305_SHA256},
                      Case{ProtocolVersion::tls12, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
                      Case{ProtocolVersion::tls12, CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(cipher_suite_name(p.param.suite)); });

TEST(ZeroCopyHandshake, BeforeTheHandshakeTheBufferTakesTheHandshakeBytesAndTheDataWaits) {
  auto cc = ClientConfig::create(client_options_for(KeyType::ec_p256));
  auto sc = ServerConfig::create(server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(cc && sc);
  auto c = ClientConnection::create(*cc, test::server_name("localhost"));
  ASSERT_TRUE(c) << c.error().to_string();
  const Bytes hello(c->pending_output().begin(), c->pending_output().end());
  ASSERT_FALSE(hello.empty());
  const Bytes data = pattern(500);
  Bytes buf(hello.size() + 1000);
  auto n = c->write_into(data, buf);
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, hello.size());
  EXPECT_TRUE(std::equal(hello.begin(), hello.end(), buf.begin())) << "the ClientHello, as it was queued";
  EXPECT_TRUE(c->pending_output().empty());

  auto s = ServerConnection::create(*sc);
  ASSERT_TRUE(s) << s.error().to_string();
  ASSERT_TRUE(test::offer_all(*s, ByteView(buf).first(*n)));
  ASSERT_TRUE(test::pump(*c, *s));
  ASSERT_TRUE(c->handshake_done());
  EXPECT_EQ(take_view(*s), data) << "the data written before the handshake arrives after it";
}

TEST(ZeroCopyKeyUpdate, AnAutomaticKeyUpdateLandsInTheBufferBetweenTheRecords) {
  auto co = client_options_for(KeyType::ec_p256);
  co.key_update_after_records = 2;
  size_t updates = 0;
  co.on_event = [&](const Event& e) {
    if (e.type == EventType::message_sent && e.message.type == MessageType::key_update) ++updates;
  };
  auto p = test::connect(co, server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(p) << p.error().to_string();
  const Bytes data = pattern(5 * 16384);
  Bytes buf(p->client.sealed_size(data.size()) + 1000);  // room for the KeyUpdate records too
  auto n = p->client.write_into(data, buf);
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(updates, 2u);
  EXPECT_TRUE(p->client.pending_output().empty());
  EXPECT_GT(*n, p->client.sealed_size(data.size()));
  EXPECT_EQ(deliver(p->server, ByteView(buf).first(*n)), data) << "the server follows both key generations";
}

}  // namespace
}  // namespace tlspp
