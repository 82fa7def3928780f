// A hostile peer, played by a man in the middle that rewrites handshake messages (even
// encrypted ones): messages out of order, repeated, missing, malformed or lying. Each case
// must end with the exact RFC 8446 alert on the side that detects it, a message naming what
// was wrong, the alert delivered to the peer (which reports alert_received), and both
// connections failed for good.
#include <gtest/gtest.h>

#include <memory>

#include "support/mitm.h"
#include "support/tls_pair.h"
#include "wire/extensions.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::Dir;
using test::Flight;
using test::Item;
using test::kApplicationKeys;
using test::kHandshakeKeys;
using test::kPlaintext;
using test::Mitm;
using wire::ExtensionType;
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

// Runs `f` once, on the first flight in `dir` holding a message of type `t`.
Mitm::FlightMutator once(Dir dir, HandshakeType t, std::function<void(Flight&)> f) {
  auto done = std::make_shared<bool>(false);
  return [=](Flight& fl) {
    if (*done || fl.dir != dir || !fl.has(t)) return;
    *done = true;
    f(fl);
  };
}

// Runs `f` on the n-th (0-based) flight in `dir` holding a message of type `t`.
Mitm::FlightMutator nth(Dir dir, HandshakeType t, int n, std::function<void(Flight&)> f) {
  auto seen = std::make_shared<int>(0);
  return [=](Flight& fl) {
    if (fl.dir != dir || !fl.has(t)) return;
    if ((*seen)++ == n) f(fl);
  };
}

// A Finished message of the right length and wrong contents.
Item bogus_finished(unsigned epoch) { return test::handshake_item(HandshakeType::finished, Bytes(32, 0x5a), epoch); }

Bytes new_session_ticket_body(uint32_t lifetime) {
  const uint8_t nonce[1] = {0};
  const uint8_t ticket[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  wire::NewSessionTicket nst;
  nst.ticket_lifetime = lifetime;
  nst.ticket_nonce = nonce;
  nst.ticket = ticket;
  return test::encode_value(nst);
}

// --- the harness itself ---

TEST(Mitm, ForwardsAWholeHandshakeUnchanged) {
  auto s = server_opts();
  s.tickets = 2;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->client().handshake_done()) << test::Flight{Dir::to_client, m->forwarded(Dir::to_client)}.describe();
  ASSERT_TRUE(m->server().handshake_done());
  // The harness saw every message in the clear.
  const Flight sc{Dir::to_client, m->original(Dir::to_client)};
  EXPECT_EQ(sc.describe(),
            "server->client [server_hello@0, ChangeCipherSpec@0, encrypted_extensions@1, certificate@1, "
            "certificate_verify@1, finished@1, new_session_ticket@2, new_session_ticket@2]");
  const Flight cs{Dir::to_server, m->original(Dir::to_server)};
  EXPECT_EQ(cs.describe(), "client->server [client_hello@0, ChangeCipherSpec@0, finished@1]");
  // Application data and KeyUpdates (whose keys the harness derives) pass both ways.
  ASSERT_TRUE(m->client().write(Bytes{'p', 'i', 'n', 'g'}));
  ASSERT_TRUE(m->client().key_update(true));
  ASSERT_TRUE(m->client().write(Bytes{'a', 'g', 'a', 'i', 'n'}));
  m->run();
  ASSERT_TRUE(m->server().write(Bytes{'p', 'o', 'n', 'g'}));
  m->run();
  uint8_t buf[32];
  EXPECT_EQ(m->server().read(buf), 9u);
  EXPECT_EQ(m->client().read(buf), 4u);
  EXPECT_EQ(m->sender_epoch(Dir::to_server), 3u);
  EXPECT_EQ(m->sender_epoch(Dir::to_client), 3u);
  EXPECT_FALSE(m->client().error());
  EXPECT_FALSE(m->server().error());
}

TEST(Mitm, ReframesEachMessageIntoItsOwnRecordWithPadding) {
  auto c = client_opts();
  c.alpn = {"h2"};
  auto s = server_opts();
  s.alpn = {"h2"};
  s.client_auth = ClientAuth::optional;
  s.client_ca_files = c.ca_files;
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->on_flight = [](Flight& f) {
    for (auto& i : f.items) {
      i.own_record = true;
      if (i.epoch != kPlaintext) i.padding = 100;
    }
  };
  m->run();
  EXPECT_TRUE(m->client().handshake_done()) << (m->client().error() ? m->client().error()->to_string() : "");
  EXPECT_TRUE(m->server().handshake_done()) << (m->server().error() ? m->server().error()->to_string() : "");
  EXPECT_EQ(m->client().negotiated().alpn, "h2");
}

TEST(Mitm, FollowsAHelloRetryRequest) {
  auto c = client_opts();
  c.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
  auto s = server_opts();
  s.groups = {NamedGroup::secp384r1};
  s.cipher_suites = {CipherSuite::TLS_AES_256_GCM_SHA384};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->client().handshake_done());
  EXPECT_TRUE(m->client().negotiated().hello_retry_request);
  const Flight cs{Dir::to_server, m->original(Dir::to_server)};
  EXPECT_EQ(cs.describe(), "client->server [client_hello@0, ChangeCipherSpec@0, client_hello@0, finished@1]");
}

// --- messages out of order, repeated or missing: server to client ---

TEST(OutOfOrder, CertificateBeforeEncryptedExtensions) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    std::swap(f.items[f.find(HandshakeType::encrypted_extensions)], f.items[f.find(HandshakeType::certificate)]);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate received in state ExpectEncryptedExtensions");
}

TEST(OutOfOrder, EncryptedExtensionsMissing) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions,
                      [](Flight& f) { f.drop(HandshakeType::encrypted_extensions); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate received in state ExpectEncryptedExtensions");
}

TEST(OutOfOrder, CertificateMissing) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) { f.drop(HandshakeType::certificate); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message,
                     "certificate_verify received in state ExpectCertificateOrCertificateRequest");
}

TEST(OutOfOrder, CertificateVerifyMissing) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_verify,
                      [](Flight& f) { f.drop(HandshakeType::certificate_verify); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "finished received in state ExpectCertificateVerify");
}

TEST(OutOfOrder, ServerFinishedMissing) {
  // Without the server's Finished the client waits; anything else the server says next
  // under the handshake keys is out of place.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    f.get(HandshakeType::finished) = test::handshake_item(HandshakeType::certificate_verify,
                                                          f.get(HandshakeType::certificate_verify).body(), kHandshakeKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate_verify received in state ExpectFinished");
}

TEST(OutOfOrder, ServerFinishedTwiceInOneRecord) {
  // RFC 8446 §5.1: a message that changes the keys must end its record.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    Item copy = f.get(HandshakeType::finished);
    f.insert_after(HandshakeType::finished, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "handshake data follows a key change");
}

TEST(OutOfOrder, ServerFinishedTwiceUnderApplicationKeys) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    Item copy = f.get(HandshakeType::finished);
    copy.epoch = kApplicationKeys;
    f.insert_after(HandshakeType::finished, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "finished received after the handshake");
}

TEST(OutOfOrder, NewSessionTicketBeforeServerFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    f.insert_before(HandshakeType::finished,
                    test::handshake_item(HandshakeType::new_session_ticket, new_session_ticket_body(3600), kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "new_session_ticket received in state ExpectFinished");
}

TEST(OutOfOrder, ServerHelloTwiceInOneRecord) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::server_hello, [](Flight& f) {
    Item copy = f.get(HandshakeType::server_hello);
    f.insert_after(HandshakeType::server_hello, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "handshake data follows a key change");
}

TEST(OutOfOrder, ServerHelloAgainUnderHandshakeKeys) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::server_hello, [](Flight& f) {
    Item copy = f.get(HandshakeType::server_hello);
    copy.epoch = kHandshakeKeys;
    f.insert_before(HandshakeType::encrypted_extensions, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "server_hello received in state ExpectEncryptedExtensions");
}

TEST(OutOfOrder, CertificateRequestAfterCertificate) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    wire::ExtensionsBuilder b;
    b.add(ExtensionType::signature_algorithms, wire::SignatureSchemeList{{SignatureScheme::ecdsa_secp256r1_sha256}});
    wire::CertificateRequest cr;
    cr.extensions = b.list().value();
    f.insert_after(HandshakeType::certificate, test::handshake_item(wire::encode_message(cr).value(), kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate_request received in state ExpectCertificateVerify");
}

TEST(OutOfOrder, KeyUpdateDuringTheServerFlight) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    f.insert_before(HandshakeType::certificate, test::handshake_item(HandshakeType::key_update, Bytes{0}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message,
                     "key_update received in state ExpectCertificateOrCertificateRequest");
}

TEST(OutOfOrder, EncryptedExtensionsInsteadOfServerHello) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::server_hello, [](Flight& f) {
    f.get(HandshakeType::server_hello) = test::handshake_item(HandshakeType::encrypted_extensions, Bytes{0, 0}, kPlaintext);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "encrypted_extensions received in state ExpectServerHello");
}

TEST(OutOfOrder, UnknownHandshakeMessageFromServer) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    f.insert_before(HandshakeType::encrypted_extensions,
                    test::handshake_item(static_cast<HandshakeType>(99), Bytes{1, 2, 3}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "received in state ExpectEncryptedExtensions");
}

// --- messages out of order, repeated or missing: client to server ---

TEST(OutOfOrder, ClientFinishedBeforeAnything) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello,
                      [](Flight& f) { f.get(HandshakeType::client_hello) = bogus_finished(kPlaintext); });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "finished received in state ExpectClientHello");
}

TEST(OutOfOrder, ServerHelloSentToTheServer) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    Item& ch = f.get(HandshakeType::client_hello);
    ch.data[0] = static_cast<uint8_t>(HandshakeType::server_hello);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "server_hello received in state ExpectClientHello");
}

TEST(OutOfOrder, ClientHelloTwiceInOneRecord) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    Item copy = f.get(HandshakeType::client_hello);
    f.insert_after(HandshakeType::client_hello, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "handshake data follows a key change");
}

TEST(OutOfOrder, SecondClientHelloAfterServerHelloEncrypted) {
  auto m = make();
  ASSERT_TRUE(m);
  auto first = std::make_shared<Item>();
  m->on_flight = [first, step = 0](Flight& f) mutable {
    if (f.dir != Dir::to_server) return;
    if (step++ == 0) {
      *first = f.get(HandshakeType::client_hello);
      return;
    }
    Item again = *first;
    again.epoch = kHandshakeKeys;
    f.insert_before(HandshakeType::finished, again);
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "client_hello received in state ExpectFinished");
}

TEST(OutOfOrder, SecondClientHelloAfterServerHelloInTheClear) {
  auto m = make();
  ASSERT_TRUE(m);
  auto first = std::make_shared<Item>();
  m->on_flight = [first, step = 0](Flight& f) mutable {
    if (f.dir != Dir::to_server) return;
    if (step++ == 0) {
      *first = f.get(HandshakeType::client_hello);
      return;
    }
    f.items.insert(f.items.begin(), *first);
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "unprotected handshake record after encryption started");
}

TEST(OutOfOrder, ClientFinishedTwiceUnderApplicationKeys) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) {
    Item copy = f.get(HandshakeType::finished);
    copy.epoch = kApplicationKeys;
    f.insert_after(HandshakeType::finished, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "finished received after the handshake");
}

TEST(OutOfOrder, ClientFinishedTwiceInOneRecord) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) {
    Item copy = f.get(HandshakeType::finished);
    f.insert_after(HandshakeType::finished, copy);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "handshake data follows a key change");
}

TEST(OutOfOrder, UnrequestedClientCertificate) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) {
    f.insert_before(HandshakeType::finished,
                    test::handshake_item(HandshakeType::certificate, Bytes{0, 0, 0, 0}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "certificate received in state ExpectFinished");
}

TEST(OutOfOrder, KeyUpdateFromTheClientBeforeItsFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) {
    f.insert_before(HandshakeType::finished, test::handshake_item(HandshakeType::key_update, Bytes{1}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "key_update received in state ExpectFinished");
}

TEST(OutOfOrder, NewSessionTicketFromTheClient) {
  auto m = make();
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->server().handshake_done());
  (void)m->deliver(Dir::to_server, {test::handshake_item(HandshakeType::new_session_ticket, new_session_ticket_body(60),
                                                         kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "new_session_ticket received after the handshake");
}

TEST(OutOfOrder, ClientAuthCertificateMissing) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  auto c = client_opts();
  c.client_certificates = {test::pem_pair(cpki)};
  auto s = server_opts();
  s.client_auth = ClientAuth::required;
  s.client_ca_files = {test::write_temp_pem(cpki.root, "client-root.pem")};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) { f.drop(HandshakeType::certificate); });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "certificate_verify received in state ExpectCertificate");
}

TEST(OutOfOrder, ClientAuthCertificateVerifyMissing) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  auto c = client_opts();
  c.client_certificates = {test::pem_pair(cpki)};
  auto s = server_opts();
  s.client_auth = ClientAuth::required;
  s.client_ca_files = {test::write_temp_pem(cpki.root, "client-root.pem")};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) { f.drop(HandshakeType::certificate_verify); });
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "finished received in state ExpectCertificateVerify");
}

TEST(OutOfOrder, EachServerMessageRepeated) {
  // A repeated message arrives where the next one is expected.
  const struct {
    HandshakeType type;
    const char* state;
  } cases[] = {
      {HandshakeType::encrypted_extensions, "encrypted_extensions received in state ExpectCertificateOrCertificateRequest"},
      {HandshakeType::certificate, "certificate received in state ExpectCertificateVerify"},
      {HandshakeType::certificate_verify, "certificate_verify received in state ExpectFinished"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(wire::handshake_type_name(c.type)));
    auto m = make();
    ASSERT_TRUE(m);
    m->on_flight = once(Dir::to_client, c.type, [t = c.type](Flight& f) {
      Item copy = f.get(t);
      f.insert_after(t, copy);
    });
    m->run();
    test::expect_fatal(*m, Side::client, A::unexpected_message, c.state);
  }
}

TEST(OutOfOrder, EachClientAuthMessageRepeated) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  const struct {
    HandshakeType type;
    const char* state;
  } cases[] = {
      {HandshakeType::certificate, "certificate received in state ExpectCertificateVerify"},
      {HandshakeType::certificate_verify, "certificate_verify received in state ExpectFinished"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(wire::handshake_type_name(c.type)));
    auto copts = client_opts();
    copts.client_certificates = {test::pem_pair(cpki)};
    auto sopts = server_opts();
    sopts.client_auth = ClientAuth::required;
    sopts.client_ca_files = {test::write_temp_pem(cpki.root, "client-root.pem")};
    auto m = make(copts, sopts);
    ASSERT_TRUE(m);
    m->on_flight = once(Dir::to_server, HandshakeType::finished, [t = c.type](Flight& f) {
      Item copy = f.get(t);
      f.insert_after(t, copy);
    });
    m->run();
    test::expect_fatal(*m, Side::server, A::unexpected_message, c.state);
  }
}

// --- malformed messages ---

TEST(Malformed, TruncatedEncryptedExtensions) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    // The extension list announces 5 bytes and holds 2.
    f.get(HandshakeType::encrypted_extensions) =
        test::handshake_item(HandshakeType::encrypted_extensions, Bytes{0, 5, 0, 0}, kHandshakeKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "truncated");
}

TEST(Malformed, TrailingBytesAfterEncryptedExtensions) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    f.get(HandshakeType::encrypted_extensions) =
        test::handshake_item(HandshakeType::encrypted_extensions, Bytes{0, 0, 0xff}, kHandshakeKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "1 trailing bytes after EncryptedExtensions");
}

TEST(Malformed, CertificateListLengthTooLong) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    Item& c = f.get(HandshakeType::certificate);
    // body: context<0..255> (1 byte, empty), certificate_list<0..2^24-1>: 64 KiB longer.
    c.data[4 + 1 + 1] += 1;
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "Certificate certificate_list is truncated");
}

TEST(Malformed, CertificateEntryLengthTooLong) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    Item& c = f.get(HandshakeType::certificate);
    c.data[4 + 1 + 3 + 1] += 1;  // the first cert_data length, 64 KiB longer
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "truncated");
}

TEST(Malformed, EmptyServerCertificateList) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    f.get(HandshakeType::certificate) = test::handshake_item(HandshakeType::certificate, Bytes{0, 0, 0, 0}, kHandshakeKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "server sent an empty certificate list");
}

TEST(Malformed, FinishedTooLong) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) {
    Item& fin = f.get(HandshakeType::finished);
    Bytes body(fin.body().begin(), fin.body().end());
    body.push_back(0);
    fin = test::handshake_item(HandshakeType::finished, body, kHandshakeKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "Finished verify_data is 33 bytes; expected 32");
}

TEST(Malformed, ClientFinishedTooShort) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) {
    f.get(HandshakeType::finished) = test::handshake_item(HandshakeType::finished, Bytes(12, 1), kHandshakeKeys);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::decode_error, "Finished verify_data is 12 bytes; expected 32");
}

TEST(Malformed, CertificateVerifySignatureLengthTooLong) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_verify, [](Flight& f) {
    Item& cv = f.get(HandshakeType::certificate_verify);
    cv.data[4 + 2] += 1;  // signature<0..2^16-1> length, 256 longer
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "truncated");
}

TEST(Malformed, TruncatedServerHello) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::server_hello, [](Flight& f) {
    Item& sh = f.get(HandshakeType::server_hello);
    const ByteView body = sh.body();
    sh = test::handshake_item(HandshakeType::server_hello, body.first(body.size() - 3), kPlaintext);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "ServerHello");
}

TEST(Malformed, TruncatedClientHello) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    Item& ch = f.get(HandshakeType::client_hello);
    ch = test::handshake_item(HandshakeType::client_hello, ch.body().first(40), kPlaintext);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::decode_error, "ClientHello");
}

TEST(Malformed, TrailingByteAfterClientHelloExtensions) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    Item& ch = f.get(HandshakeType::client_hello);
    Bytes body(ch.body().begin(), ch.body().end());
    body.push_back(0);
    ch = test::handshake_item(HandshakeType::client_hello, body, kPlaintext);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::decode_error, "ClientHello");
}

TEST(Malformed, KeyUpdateWithRequestTwo) {
  auto m = make();
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->client().handshake_done());
  m->on_flight = once(Dir::to_server, HandshakeType::key_update, [](Flight& f) {
    f.get(HandshakeType::key_update).data.back() = 2;
  });
  ASSERT_TRUE(m->client().key_update(false));
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "KeyUpdate request_update is 2; only 0 and 1 exist");
}

TEST(Malformed, KeyUpdateOfTheWrongLength) {
  auto m = make();
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->server().handshake_done());
  m->on_flight = once(Dir::to_client, HandshakeType::key_update, [](Flight& f) {
    f.get(HandshakeType::key_update) = test::handshake_item(HandshakeType::key_update, Bytes{0, 0}, kApplicationKeys);
  });
  ASSERT_TRUE(m->server().key_update(false));
  m->run();
  test::expect_fatal(*m, Side::client, A::decode_error, "KeyUpdate");
}

TEST(Malformed, DuplicatedExtensionInEncryptedExtensions) {
  auto c = client_opts();
  c.alpn = {"h2"};
  auto s = server_opts();
  s.alpn = {"h2"};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    test::rewrite<wire::EncryptedExtensions>(f.get(HandshakeType::encrypted_extensions),
                                             [](wire::EncryptedExtensions& ee) { ee.extensions.push_back(ee.extensions.front()); });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter,
                     "EncryptedExtensions has more than one application_layer_protocol_negotiation extension");
}

TEST(Malformed, DuplicatedExtensionInServerHello) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::server_hello, [](Flight& f) {
    test::rewrite<wire::ServerHello>(f.get(HandshakeType::server_hello), [](wire::ServerHello& sh) {
      sh.extensions.push_back(*wire::find_extension(sh.extensions, ExtensionType::supported_versions));
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "more than one supported_versions extension");
}

TEST(Malformed, DuplicatedExtensionInClientHello) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello, [](Flight& f) {
    test::rewrite<wire::ClientHello>(f.get(HandshakeType::client_hello), [](wire::ClientHello& ch) {
      ch.extensions.insert(ch.extensions.begin(), *wire::find_extension(ch.extensions, ExtensionType::supported_groups));
    });
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "more than one supported_groups extension");
}

TEST(Malformed, TicketLifetimeOverSevenDays) {
  auto s = server_opts();
  s.tickets = 1;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::new_session_ticket, [](Flight& f) {
    test::rewrite<wire::NewSessionTicket>(f.get(HandshakeType::new_session_ticket),
                                          [](wire::NewSessionTicket& t) { t.ticket_lifetime = 604801; });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "604801 s exceeds seven days");
}

TEST(Malformed, ServerCertificateWithRequestContext) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    static const uint8_t ctx[2] = {1, 2};
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate),
                                     [](wire::Certificate& c) { c.certificate_request_context = ctx; });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "server Certificate has a non-empty request context");
}

TEST(Malformed, ServerCertificateEntryWithAnExtension) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate, [](Flight& f) {
    static const uint8_t empty[1] = {0};
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate), [](wire::Certificate& c) {
      // RFC 8446 §4.4.2: only extensions the client offered; it offered no status_request.
      c.certificate_list.front().extensions.push_back(
          {static_cast<uint16_t>(ExtensionType::signed_certificate_timestamp), ByteView(empty, 1)});
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unsupported_extension, "signed_certificate_timestamp");
}

TEST(Malformed, CertificateRequestWithoutSignatureAlgorithms) {
  auto s = server_opts();
  s.client_auth = ClientAuth::optional;
  s.client_ca_files = client_opts().ca_files;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_request, [](Flight& f) {
    static const uint8_t sa_cert[] = {0, 2, 4, 3};
    test::rewrite<wire::CertificateRequest>(f.get(HandshakeType::certificate_request), [](wire::CertificateRequest& cr) {
      test::remove_extension(cr.extensions, ExtensionType::signature_algorithms);
      test::set_extension(cr.extensions, ExtensionType::signature_algorithms_cert, sa_cert);
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::missing_extension, "CertificateRequest has no signature_algorithms extension");
}

TEST(Malformed, CertificateRequestWithContextDuringTheHandshake) {
  auto s = server_opts();
  s.client_auth = ClientAuth::optional;
  s.client_ca_files = client_opts().ca_files;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_request, [](Flight& f) {
    static const uint8_t ctx[1] = {7};
    test::rewrite<wire::CertificateRequest>(f.get(HandshakeType::certificate_request),
                                            [](wire::CertificateRequest& cr) { cr.certificate_request_context = ctx; });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "non-empty context");
}

// Every message of both flights, one byte short (its header length adjusted) or one byte
// long: decode_error, whatever field the cut lands in.
struct Resize {
  Dir dir;
  HandshakeType type;
  int delta;
};

void run_resize(const Resize& r) {
  SCOPED_TRACE(std::string(wire::handshake_type_name(r.type)) + (r.delta < 0 ? " truncated" : " with a trailing byte"));
  auto s = server_opts();
  s.client_auth = ClientAuth::optional;
  s.client_ca_files = client_opts().ca_files;
  s.tickets = 1;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = once(r.dir, r.type, [r](Flight& f) {
    Item& i = f.get(r.type);
    Bytes body(i.body().begin(), i.body().end());
    if (r.delta < 0) body.pop_back();
    else body.push_back(0);
    i = test::handshake_item(r.type, body, i.epoch);
  });
  m->run();
  // The message names the message whose field is wrong.
  const char* name = r.type == HandshakeType::server_hello           ? "ServerHello"
                     : r.type == HandshakeType::encrypted_extensions ? "EncryptedExtensions"
                     : r.type == HandshakeType::certificate_request  ? "CertificateRequest"
                     : r.type == HandshakeType::certificate          ? "Certificate"
                     : r.type == HandshakeType::certificate_verify   ? "CertificateVerify"
                     : r.type == HandshakeType::finished             ? "Finished"
                     : r.type == HandshakeType::new_session_ticket   ? "NewSessionTicket"
                                                                     : "ClientHello";
  test::expect_fatal(*m, r.dir == Dir::to_client ? Side::client : Side::server, A::decode_error, name);
}

TEST(Malformed, EveryMessageOneByteShort) {
  for (auto t : {HandshakeType::server_hello, HandshakeType::encrypted_extensions, HandshakeType::certificate_request,
                 HandshakeType::certificate, HandshakeType::certificate_verify, HandshakeType::finished,
                 HandshakeType::new_session_ticket})
    run_resize({Dir::to_client, t, -1});
  for (auto t : {HandshakeType::client_hello, HandshakeType::certificate, HandshakeType::finished})
    run_resize({Dir::to_server, t, -1});
}

TEST(Malformed, EveryMessageOneByteLong) {
  for (auto t : {HandshakeType::server_hello, HandshakeType::encrypted_extensions, HandshakeType::certificate_request,
                 HandshakeType::certificate, HandshakeType::certificate_verify, HandshakeType::finished,
                 HandshakeType::new_session_ticket})
    run_resize({Dir::to_client, t, +1});
  for (auto t : {HandshakeType::client_hello, HandshakeType::certificate, HandshakeType::finished})
    run_resize({Dir::to_server, t, +1});
}

// --- Finished and CertificateVerify ---

void flip_last_byte(Item& i) { i.data.back() ^= 0x01; }

TEST(Authentication, WrongServerFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::finished, [](Flight& f) { flip_last_byte(f.get(HandshakeType::finished)); });
  m->run();
  test::expect_fatal(*m, Side::client, A::decrypt_error, "server Finished does not verify");
}

TEST(Authentication, WrongClientFinished) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::finished, [](Flight& f) { flip_last_byte(f.get(HandshakeType::finished)); });
  m->run();
  test::expect_fatal(*m, Side::server, A::decrypt_error, "client Finished does not verify");
  EXPECT_FALSE(m->server().handshake_done());
}

TEST(Authentication, BadServerCertificateVerifySignature) {
  for (KeyType key : {KeyType::ec_p256, KeyType::ed25519, KeyType::rsa}) {
    SCOPED_TRACE(std::string(crypto::key_type_name(key)));
    auto m = make(test::client_options_for(key), test::server_options_for(key));
    ASSERT_TRUE(m);
    m->on_flight = once(Dir::to_client, HandshakeType::certificate_verify,
                        [](Flight& f) { flip_last_byte(f.get(HandshakeType::certificate_verify)); });
    m->run();
    test::expect_fatal(*m, Side::client, A::decrypt_error, "server CertificateVerify signature does not verify");
  }
}

TEST(Authentication, ServerCertificateVerifyWithASchemeNotOffered) {
  auto c = client_opts();
  c.signature_schemes = {SignatureScheme::ecdsa_secp256r1_sha256, SignatureScheme::ed25519};
  auto m = make(c, server_opts());
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_verify, [](Flight& f) {
    test::rewrite<wire::CertificateVerify>(f.get(HandshakeType::certificate_verify), [](wire::CertificateVerify& cv) {
      cv.algorithm = SignatureScheme::ecdsa_secp384r1_sha384;
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "server signed with ecdsa_secp384r1_sha384, which was not offered");
}

TEST(Authentication, ServerCertificateVerifyWithPkcs1) {
  // RFC 8446 §4.4.3: RSASSA-PKCS1-v1_5 may not sign a TLS 1.3 CertificateVerify, even if
  // offered (for certificates).
  auto m = make(test::client_options_for(KeyType::rsa), test::server_options_for(KeyType::rsa));
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_verify, [](Flight& f) {
    test::rewrite<wire::CertificateVerify>(f.get(HandshakeType::certificate_verify),
                                           [](wire::CertificateVerify& cv) { cv.algorithm = SignatureScheme::rsa_pkcs1_sha256; });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "rsa_pkcs1_sha256");
}

TEST(Authentication, ServerCertificateVerifySchemeNotMatchingTheKey) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::certificate_verify, [](Flight& f) {
    test::rewrite<wire::CertificateVerify>(f.get(HandshakeType::certificate_verify),
                                           [](wire::CertificateVerify& cv) { cv.algorithm = SignatureScheme::ed25519; });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "which does not match its ECDSA P-256 key");
}

ServerOptions client_auth_server(ClientAuth mode, const pki::TestPki& client_pki) {
  auto s = server_opts();
  s.client_auth = mode;
  s.client_ca_files = {test::write_temp_pem(client_pki.root, "client-root.pem")};
  return s;
}

TEST(Authentication, BadClientCertificateVerifySignature) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  auto c = client_opts();
  c.client_certificates = {test::pem_pair(cpki)};
  auto m = make(c, client_auth_server(ClientAuth::required, cpki));
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::certificate_verify,
                      [](Flight& f) { flip_last_byte(f.get(HandshakeType::certificate_verify)); });
  m->run();
  test::expect_fatal(*m, Side::server, A::decrypt_error, "client CertificateVerify signature does not verify");
}

TEST(Authentication, ClientCertificateVerifyWithASchemeNotRequested) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  auto c = client_opts();
  c.client_certificates = {test::pem_pair(cpki)};
  auto s = client_auth_server(ClientAuth::required, cpki);
  s.signature_schemes = {SignatureScheme::ecdsa_secp256r1_sha256, SignatureScheme::ed25519};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::certificate_verify, [](Flight& f) {
    test::rewrite<wire::CertificateVerify>(f.get(HandshakeType::certificate_verify), [](wire::CertificateVerify& cv) {
      cv.algorithm = SignatureScheme::ecdsa_secp384r1_sha384;
    });
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter,
                     "client signed with ecdsa_secp384r1_sha384, which the server did not request");
}

TEST(Authentication, ClientCertificateWithRequestContextNotSent) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  auto c = client_opts();
  c.client_certificates = {test::pem_pair(cpki)};
  auto m = make(c, client_auth_server(ClientAuth::required, cpki));
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::certificate, [](Flight& f) {
    static const uint8_t ctx[1] = {9};
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate),
                                     [](wire::Certificate& cert) { cert.certificate_request_context = ctx; });
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "request context");
}

TEST(Authentication, ClientCertificateEntryWithAnExtension) {
  const auto& cpki = test::shared_pki(KeyType::ec_p256, "client.example");
  auto c = client_opts();
  c.client_certificates = {test::pem_pair(cpki)};
  auto m = make(c, client_auth_server(ClientAuth::required, cpki));
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::certificate, [](Flight& f) {
    static const uint8_t empty[1] = {0};
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate), [](wire::Certificate& cert) {
      cert.certificate_list.front().extensions.push_back(
          {static_cast<uint16_t>(ExtensionType::signed_certificate_timestamp), ByteView(empty, 1)});
    });
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::unsupported_extension, "client certificate entry carries an unsolicited extension");
}

// --- ServerHello lies ---

Mitm::FlightMutator rewrite_server_hello(std::function<void(wire::ServerHello&)> f) {
  return once(Dir::to_client, HandshakeType::server_hello,
              [f](Flight& fl) { test::rewrite<wire::ServerHello>(fl.get(HandshakeType::server_hello), f); });
}

TEST(ServerHello, SuiteNotOffered) {
  auto c = client_opts();
  c.cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256, CipherSuite::TLS_CHACHA20_POLY1305_SHA256};
  auto m = make(c, server_opts());
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello([](wire::ServerHello& sh) { sh.cipher_suite = CipherSuite::TLS_AES_256_GCM_SHA384; });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter,
                     "ServerHello chose cipher suite TLS_AES_256_GCM_SHA384, which was not offered");
}

TEST(ServerHello, Tls12SuiteInATls13ServerHello) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello([](wire::ServerHello& sh) { sh.cipher_suite = static_cast<CipherSuite>(0xc02f); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "which was not offered");
}

TEST(ServerHello, KeyShareForAGroupOfferedWithoutAShare) {
  auto m = make();  // the client sends an x25519 share and lists P-256 and P-384 too
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>();
  m->on_flight = rewrite_server_hello([ks](wire::ServerHello& sh) {
    const Bytes point(65, 4);
    *ks = test::encode_value(wire::KeyShareServerHello{{NamedGroup::secp256r1, point}});
    test::set_extension(sh.extensions, ExtensionType::key_share, *ks);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter,
                     "ServerHello key share is for group secp256r1, but the client sent x25519");
}

TEST(ServerHello, KeyShareForAGroupNotOffered) {
  auto c = client_opts();
  c.groups = {NamedGroup::x25519};
  auto m = make(c, server_opts());
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>();
  m->on_flight = rewrite_server_hello([ks](wire::ServerHello& sh) {
    const Bytes point(97, 4);
    *ks = test::encode_value(wire::KeyShareServerHello{{NamedGroup::secp384r1, point}});
    test::set_extension(sh.extensions, ExtensionType::key_share, *ks);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "ServerHello key share is for group secp384r1");
}

TEST(ServerHello, LowOrderX25519Share) {
  // RFC 8446 §7.4.2 / RFC 7748 §6.1: an all-zero shared secret must be refused.
  auto m = make();
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>();
  m->on_flight = rewrite_server_hello([ks](wire::ServerHello& sh) {
    const Bytes zero(32, 0);
    *ks = test::encode_value(wire::KeyShareServerHello{{NamedGroup::x25519, zero}});
    test::set_extension(sh.extensions, ExtensionType::key_share, *ks);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "low-order");
}

TEST(ServerHello, P256ShareNotOnTheCurve) {
  auto c = client_opts();
  c.groups = {NamedGroup::secp256r1};
  auto m = make(c, server_opts());
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>();
  m->on_flight = rewrite_server_hello([ks](wire::ServerHello& sh) {
    Bytes point(65, 1);
    point[0] = 4;
    *ks = test::encode_value(wire::KeyShareServerHello{{NamedGroup::secp256r1, point}});
    test::set_extension(sh.extensions, ExtensionType::key_share, *ks);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "not a point on the curve");
}

TEST(ServerHello, MissingKeyShare) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello([](wire::ServerHello& sh) { test::remove_extension(sh.extensions, ExtensionType::key_share); });
  m->run();
  test::expect_fatal(*m, Side::client, A::missing_extension, "ServerHello has no key_share extension");
}

TEST(ServerHello, SelectsTls12InSupportedVersions) {
  // RFC 8446 §4.2.1: a selected version not offered, or below TLS 1.3, is illegal_parameter.
  auto m = make();
  ASSERT_TRUE(m);
  auto sv = std::make_shared<Bytes>(Bytes{3, 3});
  m->on_flight = rewrite_server_hello(
      [sv](wire::ServerHello& sh) { test::set_extension(sh.extensions, ExtensionType::supported_versions, *sv); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "ServerHello selected version TLSv1.2, which was not offered");
}

TEST(ServerHello, SelectsAFutureVersion) {
  auto m = make();
  ASSERT_TRUE(m);
  auto sv = std::make_shared<Bytes>(Bytes{3, 5});
  m->on_flight = rewrite_server_hello(
      [sv](wire::ServerHello& sh) { test::set_extension(sh.extensions, ExtensionType::supported_versions, *sv); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "which was not offered");
}

TEST(ServerHello, DoesNotEchoTheSessionId) {
  auto m = make();
  ASSERT_TRUE(m);
  auto other = std::make_shared<Bytes>(32, 0xee);
  m->on_flight = rewrite_server_hello([other](wire::ServerHello& sh) { sh.legacy_session_id_echo = *other; });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "ServerHello does not echo the client's legacy_session_id");
}

TEST(ServerHello, EchoesAnEmptySessionIdForANonEmptyOne) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello([](wire::ServerHello& sh) { sh.legacy_session_id_echo = {}; });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "does not echo");
}

TEST(ServerHello, DowngradeSentinelWithoutSupportedVersions) {
  // RFC 8446 §4.1.3: a TLS 1.3 client that sees "DOWNGRD\x01" in a TLS 1.2 ServerHello
  // aborts with illegal_parameter.
  for (const auto& sentinel : {wire::kDowngradeSentinelTls12, wire::kDowngradeSentinelTls11}) {
    auto m = make();
    ASSERT_TRUE(m);
    auto random = std::make_shared<Bytes>();
    m->on_flight = rewrite_server_hello([random, sentinel](wire::ServerHello& sh) {
      random->assign(sh.random.begin(), sh.random.end());
      std::copy(sentinel.begin(), sentinel.end(), random->end() - 8);
      sh.random = *random;
      test::remove_extension(sh.extensions, ExtensionType::supported_versions);
    });
    m->run();
    test::expect_fatal(*m, Side::client, A::illegal_parameter, "downgrade sentinel");
  }
}

TEST(ServerHello, Tls12WithoutSentinelIsProtocolVersion) {
  // A TLS 1.3-only client and a ServerHello that picks TLS 1.2.
  ClientOptions c = client_opts();
  c.min_version = ProtocolVersion::tls13;
  auto m = make(c);
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello([](wire::ServerHello& sh) {
    test::remove_extension(sh.extensions, ExtensionType::supported_versions);
    test::remove_extension(sh.extensions, ExtensionType::key_share);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::protocol_version, "this client offers only TLS 1.3");
}

TEST(ServerHello, NonNullCompression) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello([](wire::ServerHello& sh) { sh.legacy_compression_method = 1; });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "compression");
}

TEST(ServerHello, UnsolicitedExtension) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_server_hello(
      [](wire::ServerHello& sh) { test::set_extension(sh.extensions, static_cast<ExtensionType>(0x1234), {}); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unsupported_extension, "ServerHello carries extension");
}

TEST(ServerHello, OfferedExtensionNotAllowedInServerHello) {
  // RFC 8446 §4.2: signature_algorithms is a ClientHello/CertificateRequest extension.
  auto m = make();
  ASSERT_TRUE(m);
  auto sa = std::make_shared<Bytes>(Bytes{0, 2, 4, 3});
  m->on_flight = rewrite_server_hello(
      [sa](wire::ServerHello& sh) { test::set_extension(sh.extensions, ExtensionType::signature_algorithms, *sa); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "ServerHello may not carry extension signature_algorithms");
}

// --- EncryptedExtensions ---

Mitm::FlightMutator rewrite_ee(std::function<void(wire::EncryptedExtensions&)> f) {
  return once(Dir::to_client, HandshakeType::encrypted_extensions, [f](Flight& fl) {
    test::rewrite<wire::EncryptedExtensions>(fl.get(HandshakeType::encrypted_extensions), f);
  });
}

TEST(EncryptedExtensions, UnsolicitedExtension) {
  auto m = make();  // no ALPN offered
  ASSERT_TRUE(m);
  auto alpn = std::make_shared<Bytes>(Bytes{0, 3, 2, 'h', '2'});
  m->on_flight = rewrite_ee([alpn](wire::EncryptedExtensions& ee) {
    test::set_extension(ee.extensions, ExtensionType::application_layer_protocol_negotiation, *alpn);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unsupported_extension,
                     "EncryptedExtensions carries extension application_layer_protocol_negotiation, which was not offered");
}

TEST(EncryptedExtensions, UnknownExtension) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_ee(
      [](wire::EncryptedExtensions& ee) { test::set_extension(ee.extensions, static_cast<ExtensionType>(0xabcd), {}); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unsupported_extension, "which was not offered");
}

TEST(EncryptedExtensions, OfferedExtensionNotAllowedThere) {
  auto m = make();
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>(Bytes{0, 0x1d, 0, 0});
  m->on_flight = rewrite_ee(
      [ks](wire::EncryptedExtensions& ee) { test::set_extension(ee.extensions, ExtensionType::key_share, *ks); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "EncryptedExtensions may not carry extension key_share");
}

TEST(EncryptedExtensions, AlpnProtocolNotOffered) {
  auto c = client_opts();
  c.alpn = {"h2", "http/1.1"};
  auto s = server_opts();
  s.alpn = {"h2"};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  auto alpn = std::make_shared<Bytes>(Bytes{0, 5, 4, 'e', 'v', 'i', 'l'});
  m->on_flight = rewrite_ee([alpn](wire::EncryptedExtensions& ee) {
    test::set_extension(ee.extensions, ExtensionType::application_layer_protocol_negotiation, *alpn);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "server selected ALPN protocol 'evil', which was not offered");
}

// --- ClientHello lies (the server detects them) ---

Mitm::FlightMutator rewrite_client_hello(std::function<void(wire::ClientHello&)> f) {
  return once(Dir::to_server, HandshakeType::client_hello,
              [f](Flight& fl) { test::rewrite<wire::ClientHello>(fl.get(HandshakeType::client_hello), f); });
}

TEST(ClientHello, WithoutSupportedVersions) {
  // RFC 8446 §4.2.1: a TLS 1.3-only server and a client that offers TLS 1.2 at most.
  ServerOptions s = server_opts();
  s.min_version = ProtocolVersion::tls13;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  m->on_flight = rewrite_client_hello(
      [](wire::ClientHello& ch) { test::remove_extension(ch.extensions, ExtensionType::supported_versions); });
  m->run();
  test::expect_fatal(*m, Side::server, A::protocol_version, "this server requires TLSv1.3");
}

TEST(ClientHello, OffersOnlyTls12) {
  ServerOptions s = server_opts();
  s.min_version = ProtocolVersion::tls13;
  auto m = make(client_opts(), s);
  ASSERT_TRUE(m);
  auto sv = std::make_shared<Bytes>(Bytes{2, 3, 3});
  m->on_flight = rewrite_client_hello(
      [sv](wire::ClientHello& ch) { test::set_extension(ch.extensions, ExtensionType::supported_versions, *sv); });
  m->run();
  test::expect_fatal(*m, Side::server, A::protocol_version, "client offers TLSv1.2; this server requires TLSv1.3");
}

TEST(ClientHello, MissingKeyShare) {
  // RFC 8446 §9.2: without PSK, key_share is mandatory: missing_extension.
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight =
      rewrite_client_hello([](wire::ClientHello& ch) { test::remove_extension(ch.extensions, ExtensionType::key_share); });
  m->run();
  test::expect_fatal(*m, Side::server, A::missing_extension, "ClientHello has no key_share extension");
}

TEST(ClientHello, MissingSignatureAlgorithms) {
  auto m = make();
  ASSERT_TRUE(m);
  m->on_flight = rewrite_client_hello(
      [](wire::ClientHello& ch) { test::remove_extension(ch.extensions, ExtensionType::signature_algorithms); });
  m->run();
  test::expect_fatal(*m, Side::server, A::missing_extension, "ClientHello has no signature_algorithms extension");
}

TEST(ClientHello, CompressionOffered) {
  // RFC 8446 §4.1.2: legacy_compression_methods must be exactly the null method.
  auto m = make();
  ASSERT_TRUE(m);
  static const uint8_t methods[2] = {1, 0};
  m->on_flight = rewrite_client_hello([](wire::ClientHello& ch) { ch.legacy_compression_methods = methods; });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "compression");
}

TEST(ClientHello, KeyShareForAGroupNotInSupportedGroups) {
  // RFC 8446 §4.2.8: each KeyShareEntry must correspond to a group in supported_groups.
  auto m = make();
  ASSERT_TRUE(m);
  auto sg = std::make_shared<Bytes>(test::encode_value(wire::SupportedGroups{{NamedGroup::secp256r1}}));
  m->on_flight = rewrite_client_hello(
      [sg](wire::ClientHello& ch) { test::set_extension(ch.extensions, ExtensionType::supported_groups, *sg); });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "ClientHello key share for x25519, which is not in its supported_groups");
}

TEST(ClientHello, TwoKeySharesForOneGroup) {
  auto m = make();
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>();
  m->on_flight = rewrite_client_hello([ks](wire::ClientHello& ch) {
    auto shares = wire::KeyShareClientHello::decode(wire::find_extension(ch.extensions, ExtensionType::key_share)->data);
    ASSERT_TRUE(shares);
    shares->client_shares.push_back(shares->client_shares.front());
    *ks = test::encode_value(*shares);
    test::set_extension(ch.extensions, ExtensionType::key_share, *ks);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "key_share offers two shares for group x25519");
}

TEST(ClientHello, LowOrderX25519Share) {
  auto m = make();
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>();
  m->on_flight = rewrite_client_hello([ks](wire::ClientHello& ch) {
    const Bytes zero(32, 0);
    *ks = test::encode_value(wire::KeyShareClientHello{{{NamedGroup::x25519, zero}}});
    test::set_extension(ch.extensions, ExtensionType::key_share, *ks);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "low-order");
}

TEST(ClientHello, PreSharedKeyNotLast) {
  // RFC 8446 §4.2.11: pre_shared_key must be the last extension.
  auto m = make();
  ASSERT_TRUE(m);
  // identities: one of 1 byte with age 0; binders: one of 32 bytes.
  auto psk = std::make_shared<Bytes>(Bytes{0, 7, 0, 1, 'x', 0, 0, 0, 0, 0, 33, 32});
  psk->resize(psk->size() + 32, 0xbb);
  m->on_flight = rewrite_client_hello([psk](wire::ClientHello& ch) {
    ch.extensions.insert(ch.extensions.begin(), {static_cast<uint16_t>(ExtensionType::pre_shared_key), *psk});
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "pre_shared_key extension is not the last extension");
}

TEST(ClientHello, NoCommonSignatureScheme) {
  auto m = make();
  ASSERT_TRUE(m);
  auto sa = std::make_shared<Bytes>(test::encode_value(wire::SignatureSchemeList{{SignatureScheme::ed25519}}));
  m->on_flight = rewrite_client_hello(
      [sa](wire::ClientHello& ch) { test::set_extension(ch.extensions, ExtensionType::signature_algorithms, *sa); });
  m->run();
  test::expect_fatal(*m, Side::server, A::handshake_failure, "client accepts no signature scheme for the server's");
}

// --- resumption (RFC 8446 §4.2.11) ---

// Options whose servers share one ticket key, so a ticket from one connection resumes on
// the next.
ServerOptions resuming_server() {
  auto s = server_opts();
  s.tickets = 1;
  s.ticket_key = Bytes(32, 0x33);
  return s;
}

// A ticket from a full handshake through the harness.
std::optional<SessionTicket> first_ticket() {
  auto m = make(client_opts(), resuming_server());
  if (!m) return std::nullopt;
  m->run();
  auto tickets = m->client().take_session_tickets();
  if (tickets.empty()) {
    ADD_FAILURE() << "no ticket from the first handshake";
    return std::nullopt;
  }
  return tickets.front();
}

std::unique_ptr<Mitm> make_resuming(const SessionTicket& ticket) {
  auto m = Mitm::create(client_opts(), resuming_server(), "localhost", &ticket);
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  return std::move(*m);
}

TEST(Resumption, ThroughTheHarness) {
  auto ticket = first_ticket();
  ASSERT_TRUE(ticket);
  auto m = make_resuming(*ticket);
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->client().handshake_done());
  EXPECT_TRUE(m->client().negotiated().resumed);
  EXPECT_EQ(Flight(Dir::to_client, m->original(Dir::to_client)).describe(),
            "server->client [server_hello@0, ChangeCipherSpec@0, encrypted_extensions@1, finished@1, new_session_ticket@2]");
}

TEST(Resumption, TamperedBinder) {
  // RFC 8446 §4.2.11: "If the binder does not validate, the server MUST abort the
  // handshake with a "decrypt_error" alert".
  auto ticket = first_ticket();
  ASSERT_TRUE(ticket);
  auto m = make_resuming(*ticket);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_server, HandshakeType::client_hello,
                      [](Flight& f) { f.get(HandshakeType::client_hello).data.back() ^= 1; });
  m->run();
  test::expect_fatal(*m, Side::server, A::decrypt_error, "PSK binder of the offered ticket does not verify");
}

TEST(Resumption, UnknownTicketFallsBackToAFullHandshake) {
  auto ticket = first_ticket();
  ASSERT_TRUE(ticket);
  ticket->ticket[5] ^= 0xff;  // the server cannot open it; the binder is the client's own
  auto m = make_resuming(*ticket);
  ASSERT_TRUE(m);
  m->run();
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  EXPECT_FALSE(m->client().negotiated().resumed);
  EXPECT_TRUE(m->client().negotiated().peer_verified);
}

TEST(Resumption, ServerSelectsAnIdentityNotOffered) {
  // RFC 8446 §4.2.11: a selected_identity outside the client's list is illegal_parameter.
  auto ticket = first_ticket();
  ASSERT_TRUE(ticket);
  auto m = make_resuming(*ticket);
  ASSERT_TRUE(m);
  auto psk = std::make_shared<Bytes>(Bytes{0, 1});
  m->on_flight = once(Dir::to_client, HandshakeType::server_hello, [psk](Flight& f) {
    test::rewrite<wire::ServerHello>(f.get(HandshakeType::server_hello), [psk](wire::ServerHello& sh) {
      test::set_extension(sh.extensions, ExtensionType::pre_shared_key, *psk);
    });
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "ServerHello selected PSK identity 1");
}

TEST(Resumption, UnsolicitedPreSharedKeyInServerHello) {
  auto m = make();
  ASSERT_TRUE(m);
  auto psk = std::make_shared<Bytes>(Bytes{0, 0});
  m->on_flight = rewrite_server_hello(
      [psk](wire::ServerHello& sh) { test::set_extension(sh.extensions, ExtensionType::pre_shared_key, *psk); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unsupported_extension, "ServerHello carries extension pre_shared_key");
}

TEST(Resumption, CertificateInAResumedHandshake) {
  // RFC 8446 §4.4.2: with a PSK the server sends no Certificate.
  auto ticket = first_ticket();
  ASSERT_TRUE(ticket);
  auto m = make_resuming(*ticket);
  ASSERT_TRUE(m);
  m->on_flight = once(Dir::to_client, HandshakeType::encrypted_extensions, [](Flight& f) {
    f.insert_after(HandshakeType::encrypted_extensions,
                   test::handshake_item(HandshakeType::certificate, Bytes{0, 0, 0, 0}, kHandshakeKeys));
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "certificate received in state");
}

// --- HelloRetryRequest ---

ClientOptions hrr_client() {
  auto c = client_opts();
  c.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
  return c;
}
ServerOptions hrr_server() {
  auto s = server_opts();
  s.groups = {NamedGroup::secp384r1};
  return s;
}

TEST(HelloRetry, SecondHelloRetryRequest) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  auto hrr = std::make_shared<Item>();
  m->on_flight = [hrr](Flight& f) {
    if (f.dir != Dir::to_client || !f.has(HandshakeType::server_hello)) return;
    Item& sh = f.get(HandshakeType::server_hello);
    if (test::is_hello_retry_request(sh)) {
      *hrr = sh;
      return;
    }
    // The server's ServerHello becomes the same HelloRetryRequest again.
    f.items = {*hrr};
  };
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message, "second HelloRetryRequest");
}

Mitm::FlightMutator rewrite_hrr(std::function<void(wire::ServerHello&)> f) {
  return [f](Flight& fl) {
    if (fl.dir != Dir::to_client || !fl.has(HandshakeType::server_hello)) return;
    Item& sh = fl.get(HandshakeType::server_hello);
    if (test::is_hello_retry_request(sh)) test::rewrite<wire::ServerHello>(sh, f);
  };
}

TEST(HelloRetry, AsksForTheGroupAlreadySent) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>(test::encode_value(wire::KeyShareHelloRetryRequest{NamedGroup::x25519}));
  m->on_flight =
      rewrite_hrr([ks](wire::ServerHello& hrr) { test::set_extension(hrr.extensions, ExtensionType::key_share, *ks); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter,
                     "HelloRetryRequest asks for a key share the client already sent (x25519)");
}

TEST(HelloRetry, AsksForAGroupNotOffered) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  auto ks = std::make_shared<Bytes>(test::encode_value(wire::KeyShareHelloRetryRequest{NamedGroup::secp256r1}));
  m->on_flight =
      rewrite_hrr([ks](wire::ServerHello& hrr) { test::set_extension(hrr.extensions, ExtensionType::key_share, *ks); });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "HelloRetryRequest asks for group secp256r1, which was not offered");
}

TEST(HelloRetry, ChangesNothing) {
  // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal.
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  m->on_flight = rewrite_hrr([](wire::ServerHello& hrr) {
    test::remove_extension(hrr.extensions, ExtensionType::key_share);
    test::remove_extension(hrr.extensions, ExtensionType::cookie);
  });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "HelloRetryRequest would not change the ClientHello");
}

TEST(HelloRetry, SuiteNotOffered) {
  auto c = hrr_client();
  c.cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256};
  auto m = make(c, hrr_server());
  ASSERT_TRUE(m);
  m->on_flight = rewrite_hrr([](wire::ServerHello& hrr) { hrr.cipher_suite = CipherSuite::TLS_CHACHA20_POLY1305_SHA256; });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter,
                     "HelloRetryRequest chose cipher suite TLS_CHACHA20_POLY1305_SHA256, which was not offered");
}

TEST(HelloRetry, ServerHelloChangesTheSuite) {
  // RFC 8446 §4.1.4: the ServerHello's suite must be the HelloRetryRequest's.
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  m->on_flight = rewrite_hrr([](wire::ServerHello& hrr) { hrr.cipher_suite = CipherSuite::TLS_CHACHA20_POLY1305_SHA256; });
  m->run();
  test::expect_fatal(*m, Side::client, A::illegal_parameter, "different cipher suite than the HelloRetryRequest");
}

TEST(HelloRetry, UnsolicitedExtensionInHelloRetryRequest) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  m->on_flight = rewrite_hrr(
      [](wire::ServerHello& hrr) { test::set_extension(hrr.extensions, static_cast<ExtensionType>(0x7777), {}); });
  m->run();
  test::expect_fatal(*m, Side::client, A::unsupported_extension, "HelloRetryRequest carries extension");
}

Mitm::FlightMutator rewrite_second_client_hello(std::function<void(wire::ClientHello&)> f) {
  return nth(Dir::to_server, HandshakeType::client_hello, 1, [f](Flight& fl) {
    test::rewrite<wire::ClientHello>(fl.get(HandshakeType::client_hello), f);
  });
}

TEST(HelloRetry, SecondClientHelloWithABadCookie) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  auto cookie = std::make_shared<Bytes>();
  m->on_flight = rewrite_second_client_hello([cookie](wire::ClientHello& ch) {
    const auto* e = wire::find_extension(ch.extensions, ExtensionType::cookie);
    ASSERT_NE(e, nullptr);
    *cookie = Bytes(e->data.begin(), e->data.end());
    (*cookie)[10] ^= 0x40;
    test::set_extension(ch.extensions, ExtensionType::cookie, *cookie);
  });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "ClientHello after HelloRetryRequest carries an invalid cookie");
}

TEST(HelloRetry, SecondClientHelloWithoutTheCookie) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  m->on_flight = rewrite_second_client_hello(
      [](wire::ClientHello& ch) { test::remove_extension(ch.extensions, ExtensionType::cookie); });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "ClientHello after HelloRetryRequest has no cookie");
}

TEST(HelloRetry, SecondClientHelloWithoutTheRequestedShare) {
  auto m = make(hrr_client(), hrr_server());
  ASSERT_TRUE(m);
  auto first_share = std::make_shared<Bytes>();
  m->on_flight = [first_share, n = 0](Flight& f) mutable {
    if (f.dir != Dir::to_server || !f.has(HandshakeType::client_hello)) return;
    Item& ch = f.get(HandshakeType::client_hello);
    if (n++ == 0) {
      test::rewrite<wire::ClientHello>(ch, [&](wire::ClientHello& h) {
        const auto* e = wire::find_extension(h.extensions, ExtensionType::key_share);
        *first_share = Bytes(e->data.begin(), e->data.end());
      });
      return;
    }
    // The retry repeats the x25519 share instead of the secp384r1 one asked for.
    test::rewrite<wire::ClientHello>(
        ch, [&](wire::ClientHello& h) { test::set_extension(h.extensions, ExtensionType::key_share, *first_share); });
  };
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "has no key share for secp384r1");
}

TEST(HelloRetry, SecondClientHelloChangesTheSuites) {
  auto c = hrr_client();
  auto s = hrr_server();
  s.cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256, CipherSuite::TLS_AES_256_GCM_SHA384};
  auto m = make(c, s);
  ASSERT_TRUE(m);
  m->on_flight = rewrite_second_client_hello(
      [](wire::ClientHello& ch) { ch.cipher_suites = {CipherSuite::TLS_AES_256_GCM_SHA384}; });
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter, "changed the cipher suites");
}

}  // namespace
}  // namespace tlspp
