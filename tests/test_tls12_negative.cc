// A hostile TLS 1.2 peer, played by the man in the middle (tests/support/mitm.h, which
// follows TLS 1.2's keys from the CLIENT_RANDOM key log line): messages out of order,
// missing or repeated, a bad ServerKeyExchange signature, wrong Finished messages, a
// ChangeCipherSpec in the wrong place, renegotiation attempts, an extended master secret
// dropped on resumption, malformed and oversized records. Each case asserts the RFC 5246
// alert on the side that detects it and the sentence naming what was wrong.
#include <gtest/gtest.h>

#include <memory>

#include "support/mitm.h"
#include "support/tls_pair.h"
#include "wire/extensions.h"
#include "wire/messages.h"
#include "wire/messages12.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using record::ContentType;
using test::Dir;
using test::Flight;
using test::Item;
using test::kApplicationKeys;
using test::kPlaintext;
using test::Mitm;
using wire::ExtensionType;
using wire::HandshakeType;
using A = AlertDescription;

ClientOptions client_opts() {
  auto c = test::client_options_for(KeyType::ec_p256);
  c.min_version = c.max_version = ProtocolVersion::tls12;
  return c;
}
ServerOptions server_opts() {
  auto s = test::server_options_for(KeyType::ec_p256);
  // Each Mitm builds its own configurations; a fixed ticket key lets a session made through
  // one be resumed through the next (RFC 5077 tickets).
  s.tickets = 1;
  s.ticket_key = Bytes(32, 0x5c);
  return s;
}

std::unique_ptr<Mitm> make(ClientOptions c = client_opts(), ServerOptions s = server_opts(),
                           const SessionTicket* ticket = nullptr) {
  auto m = Mitm::create(std::move(c), std::move(s), "localhost", ticket);
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  return std::move(*m);
}

// Rewrites the first flight in `dir` that holds a message of type `t`.
Mitm::FlightMutator on_first(Dir dir, HandshakeType t, std::function<void(Flight&)> f) {
  auto done = std::make_shared<bool>(false);
  return [=](Flight& fl) {
    if (*done || fl.dir != dir || !fl.has(t)) return;
    *done = true;
    f(fl);
  };
}

TEST(Tls12Negative, TheHarnessForwardsAWholeHandshake) {
  // Without mutations the handshake completes through the harness, decrypting both
  // Finished messages: the cases below rewrite a working connection.
  auto m = make();
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  EXPECT_EQ(m->client().negotiated().version, ProtocolVersion::tls12);
  const auto& items = m->forwarded(Dir::to_server);
  ASSERT_FALSE(items.empty());
  EXPECT_TRUE(std::any_of(items.begin(), items.end(), [](const Item& i) {
    return i.is(HandshakeType::finished) && i.epoch == kApplicationKeys;
  }));
}

TEST(Tls12Negative, ServerKeyExchangeBeforeCertificate) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::server_key_exchange, [](Flight& fl) {
    Item ske = fl.get(HandshakeType::server_key_exchange);
    fl.drop(HandshakeType::server_key_exchange);
    fl.insert_before(HandshakeType::certificate, ske);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "server_key_exchange received in state ExpectCertificate");
}

TEST(Tls12Negative, MissingServerKeyExchange) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::server_key_exchange,
                          [](Flight& fl) { fl.drop(HandshakeType::server_key_exchange); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message,
                     "server_hello_done received in state ExpectServerKeyExchange");
}

TEST(Tls12Negative, RepeatedCertificate) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::certificate, [](Flight& fl) {
    fl.insert_after(HandshakeType::certificate, fl.get(HandshakeType::certificate));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate received in state ExpectServerKeyExchange");
}

TEST(Tls12Negative, MissingClientKeyExchange) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_server, HandshakeType::client_key_exchange,
                          [](Flight& fl) { fl.drop(HandshakeType::client_key_exchange); });
  m->run();
  // Without ClientKeyExchange the server has no keys yet, so the ChangeCipherSpec is early.
  test::expect_fatal(*m, Side::server, A::unexpected_message, "ChangeCipherSpec received in state");
}

TEST(Tls12Negative, BadServerKeyExchangeSignature) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::server_key_exchange, [](Flight& fl) {
    Item& ske = fl.get(HandshakeType::server_key_exchange);
    ske.data.back() ^= 0x01;  // the last byte of the signature
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decrypt_error, "ServerKeyExchange signature does not verify");
}

TEST(Tls12Negative, TruncatedServerKeyExchangeIsDecodeError) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::server_key_exchange, [](Flight& fl) {
    Item& ske = fl.get(HandshakeType::server_key_exchange);
    Bytes body(ske.body().begin(), ske.body().end() - 1);
    ske = test::handshake_item(HandshakeType::server_key_exchange, body, kPlaintext);
  });
  m->run();
  ASSERT_TRUE(m->client().error());
  EXPECT_EQ(m->client().error()->alert, A::decode_error) << m->client().error()->to_string();
}

TEST(Tls12Negative, WrongClientFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& fl) {
    if (fl.dir != Dir::to_server || !fl.has(HandshakeType::finished)) return;
    fl.get(HandshakeType::finished).data.back() ^= 0x80;
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::decrypt_error, "Finished does not verify");
}

TEST(Tls12Negative, WrongServerFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& fl) {
    if (fl.dir != Dir::to_client || !fl.has(HandshakeType::finished)) return;
    fl.get(HandshakeType::finished).data.back() ^= 0x80;
  };
  m->run();
  test::expect_fatal(*m, Side::client, A::decrypt_error, "server Finished does not verify");
}

TEST(Tls12Negative, TamperedHandshakeBreaksTheKeys) {
  // An extension the attacker adds to the ClientHello is accepted by the server, but the
  // transcripts now differ. With the extended master secret (RFC 7627 §4) the session hash
  // is part of the keys, so the two sides hold different keys and the server cannot even
  // open the client's Finished.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_server, HandshakeType::client_hello, [](Flight& fl) {
    test::rewrite<wire::ClientHello>(fl.get(HandshakeType::client_hello), [](wire::ClientHello& ch) {
      static const uint8_t grease[1] = {0};
      ch.extensions.insert(ch.extensions.begin(), wire::Extension{0x0a0a, ByteView(grease, 1)});
    });
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
}

TEST(Tls12Negative, ChangeCipherSpecBeforeTheServerFlight) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::certificate, [](Flight& fl) {
    fl.insert_before(HandshakeType::certificate, test::record_item(ContentType::change_cipher_spec, Bytes{1}, kPlaintext));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "ChangeCipherSpec received in state ExpectCertificate");
}

TEST(Tls12Negative, ApplicationDataBeforeFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& fl) {
    if (fl.dir != Dir::to_server || !fl.has(HandshakeType::finished)) return;
    fl.insert_before(HandshakeType::finished,
                     test::record_item(ContentType::application_data, Bytes{'e', 'a', 'r', 'l', 'y'}, kApplicationKeys));
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message,
                     "application data received before the handshake completed");
}

TEST(Tls12Negative, OversizedPlaintextRecord) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_records = [](Dir dir, std::vector<Bytes>& records) {
    if (dir != Dir::to_client || records.empty() || records[0][0] != 22) return;
    records.insert(records.begin(), test::raw_record(ContentType::handshake, Bytes(record::kMaxPlaintext + 1, 0)));
  };
  m->run();
  test::expect_fatal(*m, Side::client, A::record_overflow, "exceeds 2^14");
}

TEST(Tls12Negative, RecordLongerThanAnyCiphertext) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_records = [](Dir dir, std::vector<Bytes>& records) {
    if (dir != Dir::to_server) return;
    const size_t len = record::kMaxCiphertext + 1;
    records.insert(records.begin(), Bytes{22, 3, 3, uint8_t(len >> 8), uint8_t(len)});
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::record_overflow, "exceeds the limit");
}

// --- renegotiation is refused, the connection carries on (RFC 5746 §4.2, §4.4) ---

std::unique_ptr<Mitm> connected() {
  auto m = make();
  if (!m) return nullptr;
  m->run();
  if (!m->client().handshake_done() || !m->server().handshake_done()) {
    ADD_FAILURE() << "handshake failed";
    return nullptr;
  }
  return m;
}

void expect_still_talking(Mitm& m) {
  ASSERT_TRUE(m.client().write(Bytes{'p', 'i', 'n', 'g'}));
  ASSERT_TRUE(m.server().write(Bytes{'p', 'o', 'n', 'g'}));
  m.run();
  uint8_t buf[8];
  EXPECT_EQ(m.server().read(buf), 4u);
  EXPECT_EQ(m.client().read(buf), 4u);
  EXPECT_FALSE(m.client().error()) << m.client().error()->to_string();
  EXPECT_FALSE(m.server().error()) << m.server().error()->to_string();
}

TEST(Tls12Renegotiation, ClientAnswersHelloRequestWithNoRenegotiationWarning) {
  auto m = connected();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->deliver(Dir::to_client, {test::handshake_item(HandshakeType::hello_request, {}, kApplicationKeys)}));
  m->run();
  ASSERT_FALSE(m->client().error()) << m->client().error()->to_string();
  const Item* last = m->last_forwarded(Dir::to_server);
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(last->is_alert() && last->data == Bytes({1, static_cast<uint8_t>(A::no_renegotiation)}))
      << last->describe();
  expect_still_talking(*m);
}

TEST(Tls12Renegotiation, ServerAnswersClientHelloWithNoRenegotiationWarning) {
  auto m = connected();
  ASSERT_TRUE(m);
  // The client's original ClientHello, replayed under the connection's keys.
  const auto& sent = m->forwarded(Dir::to_server);
  auto it = std::find_if(sent.begin(), sent.end(), [](const Item& i) { return i.is(HandshakeType::client_hello); });
  ASSERT_NE(it, sent.end());
  Item again = *it;
  again.epoch = kApplicationKeys;
  ASSERT_TRUE(m->deliver(Dir::to_server, {again}));
  m->run();
  ASSERT_FALSE(m->server().error()) << m->server().error()->to_string();
  const Item* last = m->last_forwarded(Dir::to_client);
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(last->is_alert() && last->data == Bytes({1, static_cast<uint8_t>(A::no_renegotiation)}))
      << last->describe();
  expect_still_talking(*m);
}

TEST(Tls12Renegotiation, EndlessHelloRequestsAreAFlood) {
  auto m = connected();
  ASSERT_TRUE(m);
  std::vector<Item> many(8, test::handshake_item(HandshakeType::hello_request, {}, kApplicationKeys));
  (void)m->deliver(Dir::to_client, many);
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "too many renegotiation attempts");
}

TEST(Tls12Negative, ServerHelloWithoutRenegotiationInfo) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::server_hello, [](Flight& fl) {
    test::rewrite<wire::ServerHello>(fl.get(HandshakeType::server_hello), [](wire::ServerHello& sh) {
      test::remove_extension(sh.extensions, ExtensionType::renegotiation_info);
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::handshake_failure, "does not support secure renegotiation");
}

// --- the extended master secret on resumption (RFC 7627 §5.3) ---

SessionTicket first_session(const ClientOptions& c, const ServerOptions& s) {
  auto m = make(c, s);
  if (!m) return {};
  m->run();
  auto sessions = m->client().take_session_tickets();
  if (sessions.empty()) {
    ADD_FAILURE() << "no session from the first handshake";
    return {};
  }
  return sessions.back();
}

TEST(Tls12Resumption, ServerResumingWithoutExtendedMasterSecretIsRefused) {
  const auto c = client_opts();
  const auto s = server_opts();
  const SessionTicket t = first_session(c, s);
  auto m = make(c, s, &t);
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_client, HandshakeType::server_hello, [](Flight& fl) {
    test::rewrite<wire::ServerHello>(fl.get(HandshakeType::server_hello), [](wire::ServerHello& sh) {
      test::remove_extension(sh.extensions, ExtensionType::extended_master_secret);
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::handshake_failure, "without the extended master secret");
}

TEST(Tls12Resumption, ClientHelloDroppingExtendedMasterSecretIsRefused) {
  const auto c = client_opts();
  const auto s = server_opts();
  const SessionTicket t = first_session(c, s);
  auto m = make(c, s, &t);
  ASSERT_TRUE(m);
  m->on_flight = on_first(Dir::to_server, HandshakeType::client_hello, [](Flight& fl) {
    test::rewrite<wire::ClientHello>(fl.get(HandshakeType::client_hello), [](wire::ClientHello& ch) {
      test::remove_extension(ch.extensions, ExtensionType::extended_master_secret);
    });
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::handshake_failure, "extended master secret");
}

}  // namespace
}  // namespace tlspp
