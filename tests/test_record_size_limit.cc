// record_size_limit (RFC 8449) over memory, TLS 1.3 and TLS 1.2: each side fragments its
// protected records to the peer's limit (TLS 1.3 counting the content type byte), handshake
// messages included, and refuses a protected record above its own negotiated limit with
// record_overflow.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "support/mitm.h"
#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::Dir;
using test::Mitm;
using A = AlertDescription;

struct Sizes {
  // The largest protected record seen per direction: TLSInnerPlaintext in TLS 1.3 (body less
  // the tag), the plaintext in TLS 1.2 (body less explicit nonce and tag; AES-GCM suites).
  std::map<Dir, size_t> largest;
  std::map<Dir, size_t> protected_records;
};

// Sums up the records in `wire` (whole records, as a sender wrote them) into `sizes`.
// TLS 1.3: every application_data record is protected. TLS 1.2: what follows the sender's
// ChangeCipherSpec is (AES-GCM: 8 bytes of explicit nonce before the ciphertext).
void measure(ByteView wire, Dir dir, Sizes& sizes, bool tls12, bool& seen_ccs) {
  while (wire.size() >= 5) {
    const uint8_t type = wire[0];
    const size_t body = size_t{wire[3]} << 8 | wire[4];
    if (type == 20) seen_ccs = true;
    const bool is_protected = tls12 ? seen_ccs && type != 20 : type == 23;
    if (is_protected) {
      const size_t inner = body - 16 - (tls12 ? 8 : 0);
      sizes.largest[dir] = std::max(sizes.largest[dir], inner);
      ++sizes.protected_records[dir];
    }
    wire = wire.subspan(std::min(wire.size(), 5 + body));
  }
}

// A client and a server joined through memory, every record they write measured.
struct Measured {
  ClientConnection client;
  ServerConnection server;
  Sizes sizes;
  bool tls12 = false;
  bool ccs[2] = {false, false};

  // Moves bytes both ways until neither side has anything to send.
  void pump() {
    for (int i = 0; i < 1000; ++i) {
      const bool a = move(client, server, Dir::to_server);
      const bool b = move(server, client, Dir::to_client);
      if (!a && !b) return;
    }
  }
  bool move(Connection& from, Connection& to, Dir dir) {
    if (from.pending_output().empty()) return false;
    const Bytes wire(from.pending_output().begin(), from.pending_output().end());
    from.consume_output(wire.size());
    measure(wire, dir, sizes, tls12, ccs[dir == Dir::to_server ? 0 : 1]);
    ByteView rest(wire);
    while (!rest.empty()) {
      auto taken = to.receive(rest);
      if (!taken) return false;
      rest = rest.subspan(*taken);
      uint8_t sink[4096];
      while (to.read(sink) > 0) {
      }
      if (*taken == 0) break;
    }
    return true;
  }
  // Writes `n` bytes on `from` and delivers them.
  void send(Connection& from, size_t n) {
    Bytes data(n, 'd');
    EXPECT_TRUE(from.write(data));
    pump();
  }
};

std::unique_ptr<Measured> connect(const ClientOptions& c, const ServerOptions& s, bool tls12 = false) {
  auto cc = ClientConfig::create(c);
  auto sc = ServerConfig::create(s);
  if (!cc || !sc) {
    ADD_FAILURE() << (cc ? sc.error().to_string() : cc.error().to_string());
    return nullptr;
  }
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  if (!client || !server) {
    ADD_FAILURE() << "cannot create the connections";
    return nullptr;
  }
  auto m = std::make_unique<Measured>(Measured{std::move(*client), std::move(*server), {}, tls12});
  m->pump();
  EXPECT_TRUE(m->client.handshake_done()) << (m->client.error() ? m->client.error()->to_string() : "");
  EXPECT_TRUE(m->server.handshake_done()) << (m->server.error() ? m->server.error()->to_string() : "");
  return m;
}

// The same through the Mitm harness, which can seal records of any size itself.
std::unique_ptr<Mitm> mitm_connect(ClientOptions c, ServerOptions s) {
  auto m = Mitm::create(std::move(c), std::move(s));
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  (*m)->run();
  return std::move(*m);
}

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 1);
  return b;
}

ClientOptions client13(uint16_t limit) {
  ClientOptions c = test::client_options_for(KeyType::rsa);
  c.min_version = ProtocolVersion::tls13;
  c.record_size_limit = limit;
  return c;
}

ServerOptions server13(uint16_t limit) {
  ServerOptions s = test::server_options_for(KeyType::rsa);  // a chain of a few KiB
  s.record_size_limit = limit;
  return s;
}

TEST(RecordSizeLimit, BothSidesFragmentToThePeersLimitInTls13) {
  auto m = connect(client13(256), server13(1000));
  ASSERT_TRUE(m);
  // The server's encrypted flight (a certificate chain of several KiB) in records of at
  // most 256 bytes of TLSInnerPlaintext.
  EXPECT_LE(m->sizes.largest[Dir::to_client], 256u);
  EXPECT_GT(m->sizes.protected_records[Dir::to_client], 5u);
  m->send(m->server, 20000);
  m->send(m->client, 20000);
  EXPECT_EQ(m->sizes.largest[Dir::to_client], 256u);
  EXPECT_EQ(m->sizes.largest[Dir::to_server], 1000u);
  EXPECT_EQ(m->client.negotiated().peer_record_size_limit, 1000);
  EXPECT_TRUE(m->client.negotiated().record_size_limit_negotiated);
  EXPECT_EQ(m->server.negotiated().peer_record_size_limit, 256);
  EXPECT_TRUE(m->server.negotiated().record_size_limit_negotiated);
}

TEST(RecordSizeLimit, SmallestLimitCarriesTheHandshake) {
  auto m = connect(client13(64), server13(64));
  ASSERT_TRUE(m);
  EXPECT_LE(m->sizes.largest[Dir::to_client], 64u);
  EXPECT_LE(m->sizes.largest[Dir::to_server], 64u);
  m->send(m->client, 1000);
  EXPECT_EQ(m->sizes.largest[Dir::to_server], 64u);
  // And the data arrives whole, 63 bytes a record.
  const Bytes data = pattern(1000);
  EXPECT_EQ(test::transfer(m->client, m->server, data), data);
}

TEST(RecordSizeLimit, AServerWithoutALimitStillHonoursTheClients) {
  auto m = connect(client13(512), server13(0));
  ASSERT_TRUE(m);
  m->send(m->server, 5000);
  EXPECT_EQ(m->sizes.largest[Dir::to_client], 512u);
  // Not answered: the client's limit is not negotiated and the client sends full records.
  m->send(m->client, 5000);
  EXPECT_EQ(m->sizes.largest[Dir::to_server], 5001u);
  EXPECT_FALSE(m->client.negotiated().record_size_limit_negotiated);
  EXPECT_EQ(m->client.negotiated().peer_record_size_limit, 0);
  EXPECT_EQ(m->server.negotiated().peer_record_size_limit, 512);
}

TEST(RecordSizeLimit, NotConfiguredMeansNotSent) {
  auto m = connect(client13(0), server13(300));
  ASSERT_TRUE(m);
  m->send(m->server, 20000);
  EXPECT_EQ(m->sizes.largest[Dir::to_client], 16385u);  // a server answers only a client's limit
  EXPECT_EQ(m->server.negotiated().peer_record_size_limit, 0);
}

TEST(RecordSizeLimit, RecordAboveTheNegotiatedLimitIsRecordOverflow) {
  for (const Dir dir : {Dir::to_client, Dir::to_server}) {
    auto m = mitm_connect(client13(300), server13(200));
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
    // 300 bytes of TLSInnerPlaintext to the client, 200 to the server: at the limit, fine.
    const size_t limit = dir == Dir::to_client ? 300 : 200;
    Bytes inner(limit, 'a');
    inner.back() = 23;  // application_data
    const auto ok = m->deliver_raw(dir, m->seal_raw(dir, test::kApplicationKeys, inner));
    EXPECT_TRUE(ok) << ok.error().to_string();
    inner.insert(inner.begin(), 'a');
    const Side detector = dir == Dir::to_client ? Side::client : Side::server;
    (void)m->deliver_raw(dir, m->seal_raw(dir, test::kApplicationKeys, inner));
    m->run();
    test::expect_fatal(*m, detector, A::record_overflow,
                       "protected record of " + std::to_string(limit + 1) +
                           " bytes exceeds the record_size_limit of " + std::to_string(limit) +
                           " this side negotiated (RFC 8449)");
  }
}

TEST(RecordSizeLimit, UnansweredLimitIsNotEnforced) {
  auto m = mitm_connect(client13(300), server13(0));
  ASSERT_TRUE(m);
  Bytes inner(2000, 'a');
  inner.back() = 23;
  const auto s = m->deliver_raw(Dir::to_client, m->seal_raw(Dir::to_client, test::kApplicationKeys, inner));
  EXPECT_TRUE(s) << s.error().to_string();
  EXPECT_FALSE(m->client().error());
}

TEST(RecordSizeLimit, Tls12CountsThePlaintext) {
  ClientOptions c = test::client_options_for(KeyType::ec_p256);
  c.record_size_limit = 16385;  // offered with TLS 1.3; the TLS 1.2 server reads it as 2^14
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.max_version = ProtocolVersion::tls12;
  s.cipher_suites = {CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
  s.record_size_limit = 500;
  auto m = connect(c, s, true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client.negotiated().version, ProtocolVersion::tls12);
  m->send(m->client, 20000);
  m->send(m->server, 20000);
  EXPECT_EQ(m->sizes.largest[Dir::to_server], 500u);
  EXPECT_EQ(m->sizes.largest[Dir::to_client], 16384u);
  EXPECT_EQ(m->server.negotiated().peer_record_size_limit, 16385);
  EXPECT_EQ(m->client.negotiated().peer_record_size_limit, 500);
}

TEST(RecordSizeLimit, Tls12RecordAboveTheLimitIsRecordOverflow) {
  ClientOptions c = test::client_options_for(KeyType::ec_p256);
  c.max_version = ProtocolVersion::tls12;
  c.record_size_limit = 100;
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.record_size_limit = 100;
  auto m = mitm_connect(c, s);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  // The server wrote under the client's limit; a 101-byte record is one too many.
  ASSERT_TRUE(m->deliver(Dir::to_client, {test::record_item(record::ContentType::application_data, Bytes(100, 'x'),
                                                            test::kApplicationKeys)}));
  (void)m->deliver(Dir::to_client, {test::record_item(record::ContentType::application_data, Bytes(101, 'x'),
                                                      test::kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::client, A::record_overflow,
                     "protected record of 101 bytes exceeds the record_size_limit of 100 this side negotiated");
}

TEST(RecordSizeLimit, ServerLimitBelow64IsIllegalParameter) {
  // RFC 8449 §4: "An endpoint MUST treat receipt of a smaller value as a fatal error and
  // generate an illegal_parameter alert."
  auto m = Mitm::create(client13(300), server13(0));
  ASSERT_TRUE(m);
  (*m)->on_flight = [](test::Flight& f) {
    if (f.dir != Dir::to_server || !f.has(wire::HandshakeType::client_hello)) return;
    test::rewrite<wire::ClientHello>(f.get(wire::HandshakeType::client_hello), [](wire::ClientHello& ch) {
      static const Bytes tiny = {0, 63};
      test::set_extension(ch.extensions, wire::ExtensionType::record_size_limit, tiny);
    });
  };
  (*m)->run();
  test::expect_fatal(**m, Side::server, A::illegal_parameter, "record_size_limit 63 is below the minimum of 64");
}

TEST(RecordSizeLimit, ConfigurationIsChecked) {
  for (uint16_t bad : {uint16_t{1}, uint16_t{63}, uint16_t{16386}, uint16_t{65535}}) {
    ClientOptions c = client13(bad);
    auto cc = ClientConfig::create(c);
    ASSERT_FALSE(cc) << bad;
    EXPECT_NE(cc.error().message.find("record_size_limit must be 0 (not sent) or between 64 and 16385"),
              std::string::npos);
  }
  EXPECT_TRUE(ClientConfig::create(client13(64)));
  EXPECT_TRUE(ServerConfig::create(server13(16385)));
}

}  // namespace
}  // namespace tlspp
