// A hostile peer at the record layer (RFC 8446 §5 and §6): tampered, oversized, misplaced,
// empty and malformed records, ChangeCipherSpec abuse, alerts; and what a connection does
// after a fatal error (its only output is the alert; every later call returns the error).
#include <gtest/gtest.h>

#include <memory>

#include "support/mitm.h"
#include "support/tls_pair.h"
#include "wire/extensions.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using record::ContentType;
using test::Dir;
using test::Flight;
using test::Item;
using test::kApplicationKeys;
using test::kHandshakeKeys;
using test::kPlaintext;
using test::Mitm;
using wire::HandshakeType;
using A = AlertDescription;

ClientOptions client_opts() { return test::client_options_for(KeyType::ec_p256); }
ServerOptions server_opts() { return test::server_options_for(KeyType::ec_p256); }

std::unique_ptr<Mitm> make(ClientOptions c = client_opts(), ServerOptions s = server_opts()) {
  auto m = Mitm::create(std::move(c), std::move(s));
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  return std::move(*m);
}

std::unique_ptr<Mitm> connected(ClientOptions c = client_opts(), ServerOptions s = server_opts()) {
  auto m = make(std::move(c), std::move(s));
  if (!m) return nullptr;
  m->run();
  if (!m->client().handshake_done() || !m->server().handshake_done()) {
    ADD_FAILURE() << "handshake through the harness failed";
    return nullptr;
  }
  return m;
}

Mitm::FlightMutator once(Dir dir, HandshakeType t, std::function<void(Flight&)> f) {
  auto done = std::make_shared<bool>(false);
  return [=](Flight& fl) {
    if (*done || fl.dir != dir || !fl.has(t)) return;
    *done = true;
    f(fl);
  };
}

// Flips one ciphertext bit of the first protected record of the next delivery in `dir`.
Mitm::RecordMutator tamper_first_protected(Dir dir) {
  auto done = std::make_shared<bool>(false);
  return [=](Dir d, std::vector<Bytes>& records) {
    if (*done || d != dir) return;
    for (Bytes& r : records)
      if (r[0] == static_cast<uint8_t>(ContentType::application_data)) {
        r[record::kHeaderLen + 3] ^= 0x10;
        *done = true;
        return;
      }
  };
}

// --- record protection ---

TEST(Records, TamperedCiphertextFromTheServer) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_records = tamper_first_protected(Dir::to_client);
  m->run();
  test::expect_fatal(*m, Side::client, A::bad_record_mac, "record authentication failed");
}

TEST(Records, TamperedCiphertextFromTheClient) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_records = tamper_first_protected(Dir::to_server);
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
}

TEST(Records, TamperedApplicationData) {
  auto m = connected();
  ASSERT_TRUE(m);
  m->on_records = tamper_first_protected(Dir::to_client);
  ASSERT_TRUE(m->server().write(Bytes(100, 'd')));
  m->run();
  test::expect_fatal(*m, Side::client, A::bad_record_mac, "record authentication failed");
  uint8_t buf[128];
  EXPECT_EQ(m->client().read(buf), 0u);
}

TEST(Records, TamperedTagOfTheClientFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_records = [done = false](Dir d, std::vector<Bytes>& records) mutable {
    if (done || d != Dir::to_server || records.back()[0] != 23) return;
    records.back().back() ^= 1;
    done = true;
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
}

TEST(Records, ReplayedProtectedRecord) {
  // RFC 8446 §5.3: each record has its own nonce, so a replayed record does not open.
  auto m = connected();
  ASSERT_TRUE(m);
  m->on_records = [](Dir d, std::vector<Bytes>& records) {
    if (d == Dir::to_server) records.push_back(records.back());
  };
  ASSERT_TRUE(m->client().write(Bytes{'o', 'n', 'c', 'e'}));
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "record authentication failed");
  uint8_t buf[16];
  EXPECT_EQ(m->server().read(buf), 4u);
}

TEST(Records, ProtectedRecordTooShortForATag) {
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_client, test::raw_record(ContentType::application_data, Bytes(16, 0)));
  m->run();
  test::expect_fatal(*m, Side::client, A::bad_record_mac, "too short");
}

// --- sizes ---

TEST(Records, RecordLongerThanTheCiphertextLimit) {
  // RFC 8446 §5.2: a record over 2^14 + 256 bytes is record_overflow, as soon as its header
  // says so.
  for (Side victim : {Side::client, Side::server}) {
    auto m = connected();
    ASSERT_TRUE(m);
    const uint8_t header[5] = {23, 3, 3, 0x41, 0x01};  // 16641
    (void)m->deliver_raw(test::reverse(test::from(victim)), header);
    m->run();
    test::expect_fatal(*m, victim, A::record_overflow, "record of 16641 bytes exceeds the limit of 16640");
  }
}

TEST(Records, OversizePlaintextRecordBeforeEncryption) {
  // RFC 8446 §5.1: a TLSPlaintext fragment is at most 2^14 bytes.
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::handshake, Bytes(16385, 1)));
  m->run();
  test::expect_fatal(*m, Side::server, A::record_overflow, "plaintext record of 16385 bytes exceeds 2^14");
}

TEST(Records, OversizeInnerPlaintext) {
  // RFC 8446 §5.2: a TLSInnerPlaintext over 2^14 + 1 bytes is record_overflow even when
  // the ciphertext is within its limit.
  auto m = connected();
  ASSERT_TRUE(m);
  Bytes inner(16384 + 10, 'x');
  inner.push_back(static_cast<uint8_t>(ContentType::application_data));
  (void)m->deliver_raw(Dir::to_server, m->seal_raw(Dir::to_server, kApplicationKeys, inner));
  m->run();
  test::expect_fatal(*m, Side::server, A::record_overflow, "decrypted record of 16395 bytes exceeds 2^14+1");
}

TEST(Records, MaximumSizeRecordsAreAccepted) {
  auto m = connected();
  ASSERT_TRUE(m);
  Bytes inner(16384, 'y');
  inner.push_back(static_cast<uint8_t>(ContentType::application_data));
  ASSERT_TRUE(m->deliver_raw(Dir::to_client, m->seal_raw(Dir::to_client, kApplicationKeys, inner)));
  // Padding up to the limit too (RFC 8446 §5.4).
  Bytes padded = {'z', static_cast<uint8_t>(ContentType::application_data)};
  padded.resize(16385, 0);
  ASSERT_TRUE(m->deliver_raw(Dir::to_client, m->seal_raw(Dir::to_client, kApplicationKeys, padded)));
  EXPECT_EQ(m->client().readable(), 16385u);
}

// --- record types in the wrong place ---

TEST(Records, PlaintextHandshakeRecordAfterEncryptionStarted) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions,
                      [](Flight& f) { f.get(HandshakeType::encrypted_extensions).epoch = kPlaintext; });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "unprotected handshake record after encryption started");
}

TEST(Records, PlaintextApplicationDataAfterEncryptionStarted) {
  // An application_data record is always taken as protected once keys exist; one in the
  // clear does not decrypt.
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::application_data, Bytes{'h', 'i'}));
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_record_mac, "too short");
}

TEST(Records, ApplicationDataBeforeTheHandshake) {
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::application_data, Bytes{1, 2, 3}));
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "application data record before any keys were established");
}

TEST(Records, ProtectedApplicationDataBeforeTheServerFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    f.insert_before(HandshakeType::finished, test::record_item(ContentType::application_data, Bytes{'e', 'a', 'r', 'l', 'y'},
                                                               kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "application data received before the handshake completed");
  uint8_t buf[8];
  EXPECT_EQ(m->client().read(buf), 0u);
}

TEST(Records, ProtectedApplicationDataBeforeTheClientFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) {
    f.insert_before(HandshakeType::finished, test::record_item(ContentType::application_data, Bytes{'x'}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "application data received before the handshake completed");
}

TEST(Records, EmptyPlaintextHandshakeRecord) {
  // RFC 8446 §5.1: zero-length fragments of handshake type are not allowed.
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::handshake, {}));
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "empty handshake record");
}

TEST(Records, EmptyProtectedHandshakeRecord) {
  // ... "even if those fragments contain padding".
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    Item empty = test::record_item(ContentType::handshake, {}, kHandshakeKeys);
    empty.padding = 12;
    f.insert_before(HandshakeType::encrypted_extensions, empty);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "empty handshake record");
}

TEST(Records, UnknownContentType) {
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(static_cast<ContentType>(25), Bytes{1}));
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "record of unknown content type 25");
}

TEST(Records, ProtectedRecordOfOnlyPadding) {
  // RFC 8446 §5.4: no non-zero octet in the plaintext is unexpected_message.
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_client, m->seal_raw(Dir::to_client, kApplicationKeys, Bytes(20, 0)));
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "protected record holds only padding");
}

TEST(Records, ProtectedRecordOfUnknownInnerType) {
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, m->seal_raw(Dir::to_server, kApplicationKeys, Bytes{'a', 99}));
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "protected record of inner content type 99");
}

TEST(Records, HandshakeMessageInterleavedWithApplicationData) {
  // RFC 8446 §5.1: "if a handshake message is split over two or more records, there MUST
  // NOT be any other records between them."
  auto s = server_opts();
  s.tickets = 1;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::new_session_ticket, [](Flight& f) {
    const Item nst = f.get(HandshakeType::new_session_ticket);
    Item head = test::record_item(ContentType::handshake, Bytes(nst.data.begin(), nst.data.begin() + 10), kApplicationKeys);
    Item tail = test::record_item(ContentType::handshake, Bytes(nst.data.begin() + 10, nst.data.end()), kApplicationKeys);
    f.items = {head, test::record_item(ContentType::application_data, Bytes{'!'}, kApplicationKeys), tail};
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "record interleaved within a fragmented handshake message");
}

TEST(Records, HandshakeMessageInterleavedWithAnAlert) {
  // The same rule with a warning alert between the fragments of EncryptedExtensions.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    const Item ee = f.get(HandshakeType::encrypted_extensions);
    Item head = test::record_item(ContentType::handshake, Bytes(ee.data.begin(), ee.data.begin() + 3), kHandshakeKeys);
    Item tail = test::record_item(ContentType::handshake, Bytes(ee.data.begin() + 3, ee.data.end()), kHandshakeKeys);
    const size_t at = f.find(HandshakeType::encrypted_extensions);
    f.items[at] = tail;
    f.items.insert(f.items.begin() + static_cast<ptrdiff_t>(at),
                   {head, test::alert_item(A::user_canceled, kHandshakeKeys, 1)});
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "record interleaved within a fragmented handshake message");
}

// Splits the first message of type t in the flight into two records with `between` in
// between.
void split_around(Flight& f, HandshakeType t, size_t at, const Item& between) {
  const size_t i = f.find(t);
  ASSERT_NE(i, f.items.size());
  const Item msg = f.items[i];
  Item head = test::record_item(ContentType::handshake, Bytes(msg.data.begin(), msg.data.begin() + static_cast<ptrdiff_t>(at)),
                                msg.epoch);
  Item tail = test::record_item(ContentType::handshake, Bytes(msg.data.begin() + static_cast<ptrdiff_t>(at), msg.data.end()),
                                msg.epoch);
  f.items[i] = tail;
  f.items.insert(f.items.begin() + static_cast<ptrdiff_t>(i), {head, between});
}

TEST(Records, HandshakeMessageInterleavedWithAChangeCipherSpec) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    split_around(f, HandshakeType::certificate, 20, test::record_item(ContentType::change_cipher_spec, Bytes{1}, kPlaintext));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "ChangeCipherSpec");
}

TEST(Records, HandshakeMessageInterleavedWithAnEmptyApplicationDataRecord) {
  // An empty record is a record too.
  auto s = server_opts();
  s.tickets = 1;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::new_session_ticket, [](Flight& f) {
    split_around(f, HandshakeType::new_session_ticket, 6,
                 test::record_item(ContentType::application_data, {}, kApplicationKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "record interleaved within a fragmented handshake message");
}

TEST(Records, EmptyProtectedApplicationDataBeforeTheServerFinished) {
  // RFC 8446 §2 / §4.4.4: no application data before the Finished, zero-length included.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    f.insert_before(HandshakeType::finished, test::record_item(ContentType::application_data, {}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "application data received before the handshake completed");
}

TEST(Records, FragmentedHandshakeMessagesAreReassembled) {
  // Every handshake message in records of at most 7 bytes, both ways.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& f) {
    std::vector<Item> out;
    for (const Item& i : f.items) {
      if (i.type != ContentType::handshake) {
        out.push_back(i);
        continue;
      }
      for (size_t off = 0; off < i.data.size(); off += 7) {
        const size_t end = std::min(i.data.size(), off + 7);
        out.push_back(test::record_item(ContentType::handshake,
                                        Bytes(i.data.begin() + static_cast<ptrdiff_t>(off),
                                              i.data.begin() + static_cast<ptrdiff_t>(end)),
                                        i.epoch));
      }
    }
    f.items = std::move(out);
  };
  m->run();
  EXPECT_TRUE(m->client().handshake_done()) << (m->client().error() ? m->client().error()->to_string() : "");
  EXPECT_TRUE(m->server().handshake_done()) << (m->server().error() ? m->server().error()->to_string() : "");
}

// --- ChangeCipherSpec (RFC 8446 §5 and Appendix D.4) ---

TEST(ChangeCipherSpec, WrongByte) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& f) {
    if (f.dir != Dir::to_server) return;
    for (Item& i : f.items)
      if (i.type == ContentType::change_cipher_spec) i.data = {2};
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "ChangeCipherSpec record with invalid contents");
}

TEST(ChangeCipherSpec, TwoBytes) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& f) {
    if (f.dir != Dir::to_client) return;
    for (Item& i : f.items)
      if (i.type == ContentType::change_cipher_spec) i.data = {1, 1};
  };
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "ChangeCipherSpec record with invalid contents");
}

TEST(ChangeCipherSpec, AfterTheHandshakeToTheClient) {
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_client, test::raw_record(ContentType::change_cipher_spec, Bytes{1}));
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "ChangeCipherSpec received after the handshake");
}

TEST(ChangeCipherSpec, AfterTheHandshakeToTheServer) {
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::change_cipher_spec, Bytes{1}));
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "ChangeCipherSpec received after the handshake");
}

TEST(ChangeCipherSpec, BeforeTheClientHello) {
  // RFC 8446 §5: "If an implementation detects a change_cipher_spec record received before
  // the first ClientHello message or after the peer's Finished message, it MUST be treated
  // as an unexpected record type".
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::change_cipher_spec, Bytes{1}));
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "ChangeCipherSpec");
}

TEST(ChangeCipherSpec, Protected) {
  // RFC 8446 §5: a ChangeCipherSpec is never encrypted.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    f.insert_before(HandshakeType::encrypted_extensions,
                    test::record_item(ContentType::change_cipher_spec, Bytes{1}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "protected record of inner content type 20");
}

TEST(ChangeCipherSpec, TooManyDuringTheHandshake) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    for (int i = 0; i < 100; ++i)
      f.insert_before(HandshakeType::encrypted_extensions,
                      test::record_item(ContentType::change_cipher_spec, Bytes{1}, kPlaintext));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "too many ChangeCipherSpec records");
}

TEST(ChangeCipherSpec, AFewExtraAreDropped) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& f) {
    if (f.has(HandshakeType::finished))
      for (int i = 0; i < 3; ++i) f.items.insert(f.items.begin(), test::record_item(ContentType::change_cipher_spec, Bytes{1}, 0));
  };
  m->run();
  EXPECT_TRUE(m->client().handshake_done());
  EXPECT_TRUE(m->server().handshake_done());
}

// --- empty records ---

TEST(Records, TooManyEmptyApplicationDataRecords) {
  auto m = connected();
  ASSERT_TRUE(m);
  std::vector<Item> empties(100, test::record_item(ContentType::application_data, {}, kApplicationKeys));
  (void)m->deliver(Dir::to_server, empties);
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "too many consecutive empty records");
}

TEST(Records, AFewEmptyApplicationDataRecordsAreFine) {
  // RFC 8446 §5.1: zero-length application data fragments may be sent (traffic analysis).
  auto m = connected();
  ASSERT_TRUE(m);
  std::vector<Item> items(5, test::record_item(ContentType::application_data, {}, kApplicationKeys));
  items.push_back(test::record_item(ContentType::application_data, Bytes{'k'}, kApplicationKeys));
  ASSERT_TRUE(m->deliver(Dir::to_server, items));
  EXPECT_EQ(m->server().readable(), 1u);
  EXPECT_FALSE(m->server().error());
}

// --- alerts ---

TEST(Alerts, ThreeByteAlertRecord) {
  // RFC 8446 §5.1: an alert record holds exactly one two-byte alert.
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::alert, Bytes{2, 40, 0}));
  m->run();
  test::expect_fatal(*m, Side::server, A::decode_error, "alert record of 3 bytes");
}

TEST(Alerts, OneByteProtectedAlertRecord) {
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver(Dir::to_client, {test::record_item(ContentType::alert, Bytes{2}, kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "alert record of 1 bytes");
}

TEST(Alerts, TwoAlertsInOneRecord) {
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver(Dir::to_server, {test::record_item(ContentType::alert, Bytes{1, 90, 1, 0}, kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::server, A::decode_error, "alert record of 4 bytes");
}

void expect_alert_received(Connection& c, A alert) {
  ASSERT_TRUE(c.error().has_value());
  EXPECT_EQ(error_kind_name(c.error()->kind), error_kind_name(ErrorKind::alert_received));
  EXPECT_EQ(alert_name(c.error()->alert), alert_name(alert));
  EXPECT_NE(c.error()->message.find(alert_name(alert)), std::string::npos) << c.error()->message;
  // No alert answers an alert.
  EXPECT_FALSE(c.wants_write());
  test::expect_stays_failed(c);
}

TEST(Alerts, FatalAlertInTheClearDuringTheHandshake) {
  auto m = make();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->step(Dir::to_server));
  m->server().consume_output(m->server().pending_output().size());
  EXPECT_FALSE(m->client().receive(test::raw_record(ContentType::alert, Bytes{2, 40})));
  expect_alert_received(m->client(), A::handshake_failure);
  EXPECT_FALSE(m->client().handshake_done());
}

TEST(Alerts, ProtectedFatalAlertAfterTheHandshake) {
  auto m = connected();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->deliver(Dir::to_server, {test::alert_item(A::bad_certificate, kApplicationKeys)}));
  expect_alert_received(m->server(), A::bad_certificate);
}

TEST(Alerts, WarningLevelAlertOtherThanCloseIsFatal) {
  // RFC 8446 §6: all alerts but close_notify and user_canceled are fatal, whatever the
  // level byte says.
  auto m = connected();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->deliver(Dir::to_client, {test::alert_item(A::decrypt_error, kApplicationKeys, 1)}));
  expect_alert_received(m->client(), A::decrypt_error);
}

TEST(Alerts, UnknownAlertIsFatal) {
  auto m = connected();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->deliver(Dir::to_client, {test::alert_item(static_cast<A>(200), kApplicationKeys)}));
  ASSERT_TRUE(m->client().error().has_value());
  EXPECT_EQ(error_kind_name(m->client().error()->kind), error_kind_name(ErrorKind::alert_received));
  EXPECT_EQ(static_cast<int>(m->client().error()->alert), 200);
}

TEST(Alerts, DataAfterCloseNotifyIsIgnored) {
  // RFC 8446 §6.1: data received after a closure alert is ignored.
  auto m = connected();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->deliver(Dir::to_server, {test::alert_item(A::close_notify, kApplicationKeys, 1),
                                          test::record_item(ContentType::application_data, Bytes{'x'}, kApplicationKeys)}));
  EXPECT_TRUE(m->server().peer_closed());
  EXPECT_EQ(m->server().readable(), 0u);
  EXPECT_FALSE(m->server().error());
}

TEST(Alerts, PlaintextAlertAfterTheHandshakeIsRejected) {
  // Once both sides have application keys, a cleartext alert can only be forged.
  auto m = connected();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_client, test::raw_record(ContentType::alert, Bytes{2, 40}));
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "unprotected alert record after encryption started");
}

// --- post-handshake messages ---

TEST(PostHandshake, TooManyKeyUpdatesWithoutData) {
  auto m = connected();
  ASSERT_TRUE(m);
  // Each KeyUpdate goes under the keys the previous one installed.
  std::vector<Item> updates;
  for (unsigned e = kApplicationKeys; e < kApplicationKeys + 40; ++e)
    updates.push_back(test::handshake_item(HandshakeType::key_update, Bytes{0}, e));
  for (Item& i : updates) i.own_record = true;
  (void)m->deliver(Dir::to_server, updates);
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "too many KeyUpdates without application data");
}

TEST(PostHandshake, KeyUpdatesInterleavedWithDataAreFine) {
  auto m = connected();
  ASSERT_TRUE(m);
  std::vector<Item> items;
  for (unsigned e = kApplicationKeys; e < kApplicationKeys + 40; ++e) {
    items.push_back(test::record_item(ContentType::handshake, Bytes{24, 0, 0, 1, 0}, e));
    items.push_back(test::record_item(ContentType::application_data, Bytes{'.'}, e + 1));
  }
  ASSERT_TRUE(m->deliver(Dir::to_server, items));
  EXPECT_EQ(m->server().readable(), 40u);
}

TEST(PostHandshake, CertificateRequestWithoutPostHandshakeAuth) {
  // RFC 8446 §4.6.2: a client that did not offer post_handshake_auth treats a
  // CertificateRequest after the handshake as unexpected_message.
  auto m = connected();
  ASSERT_TRUE(m);
  wire::ExtensionsBuilder b;
  b.add(wire::ExtensionType::signature_algorithms, wire::SignatureSchemeList{{SignatureScheme::ed25519}});
  wire::CertificateRequest cr;
  static const uint8_t ctx[1] = {1};
  cr.certificate_request_context = ctx;
  cr.extensions = b.list().value();
  (void)m->deliver(Dir::to_client, {test::handshake_item(wire::encode_message(cr).value(), kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate_request received after the handshake");
}

TEST(PostHandshake, HandshakeMessageOverTheSizeLimit) {
  // CommonOptions::max_handshake_message (64 KiB by default) bounds what a peer can make
  // us buffer; the header alone decides. OpenSSL also answers illegal_parameter.
  auto m = make();
  ASSERT_TRUE(m);
  (void)m->deliver_raw(Dir::to_server, test::raw_record(ContentType::handshake, Bytes{1, 0x01, 0x11, 0x70}));
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "handshake message of 70000 bytes exceeds the limit of 65536");
}

// --- after a fatal error ---

TEST(AfterError, TheClientsOnlyOutputIsTheAlert) {
  auto c = client_opts();
  c.middlebox_compat = false;  // no ChangeCipherSpec in the client's second flight
  auto m = make(c, server_opts());
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished,
                      [](Flight& f) { f.get(HandshakeType::finished).data.back() ^= 0x80; });
  ASSERT_TRUE(m->step(Dir::to_server));
  ASSERT_FALSE(m->step(Dir::to_client));
  // One protected record holding a two-byte alert: header, alert, content type, tag.
  EXPECT_EQ(m->client().pending_output().size(), 5u + 2 + 1 + 16);
  m->run();
  EXPECT_EQ(Flight(Dir::to_server, m->forwarded(Dir::to_server)).describe(),
            "client->server [client_hello@0, alert(fatal, decrypt_error)@1]");
  test::expect_fatal(*m, Side::client, A::decrypt_error, "server Finished does not verify");
  EXPECT_FALSE(m->client().handshake_done());
}

TEST(AfterError, TheServerSendsNoTicketsAfterABadFinished) {
  auto s = server_opts();
  s.tickets = 2;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished,
                      [](Flight& f) { f.get(HandshakeType::finished).data.back() ^= 0x80; });
  ASSERT_TRUE(m->step(Dir::to_server));
  ASSERT_TRUE(m->step(Dir::to_client));
  ASSERT_FALSE(m->step(Dir::to_server));
  EXPECT_EQ(m->server().pending_output().size(), 5u + 2 + 1 + 16);
  m->run();
  const auto& sent = m->forwarded(Dir::to_client);
  EXPECT_EQ(std::count_if(sent.begin(), sent.end(), [](const Item& i) { return i.is(HandshakeType::new_session_ticket); }), 0);
  test::expect_fatal(*m, Side::server, A::decrypt_error, "client Finished does not verify");
  EXPECT_TRUE(m->client().take_session_tickets().empty());
}

TEST(AfterError, DataWrittenBeforeTheErrorIsNeverSent) {
  auto m = make();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->client().write(Bytes{'s', 'e', 'c', 'r', 'e', 't'}));
  m->on_flight = once(Dir::to_client, HandshakeType::finished,
                      [](Flight& f) { f.get(HandshakeType::finished).data.back() ^= 0x80; });
  m->run();
  test::expect_fatal(*m, Side::client, A::decrypt_error, "server Finished does not verify");
  for (const Item& i : m->forwarded(Dir::to_server)) EXPECT_NE(i.type, ContentType::application_data) << i.describe();
  EXPECT_EQ(m->server().readable(), 0u);
}

TEST(Alerts, FatalAlertAfterCloseNotifyIsIgnored) {
  auto m = connected();
  ASSERT_TRUE(m);
  m->client().close();
  m->run();
  EXPECT_TRUE(m->server().peer_closed());
  EXPECT_FALSE(m->server().error());
  // A fatal alert after close_notify is ignored too.
  EXPECT_TRUE(m->deliver(Dir::to_server, {test::alert_item(A::internal_error, kApplicationKeys)}));
  EXPECT_FALSE(m->server().error());
}

}  // namespace
}  // namespace tlspp
