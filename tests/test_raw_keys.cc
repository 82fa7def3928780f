// Raw public keys (RFC 7250) in TLS 1.3 handshakes over memory: a server's bare key
// trusted only by a pin, X.509 when the client does not ask for raw keys, clean refusals
// when the two sides have no certificate type in common, and client raw keys for client
// authentication.
#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.h"
#include "crypto/pem.h"
#include "support/mitm.h"
#include "support/tls_pair.h"
#include "wire/extensions.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::Dir;
using test::Mitm;
using wire::ExtensionType;
using wire::HandshakeType;
using A = AlertDescription;

crypto::PrivateKey new_key(KeyType type = KeyType::ec_p256) {
  auto k = crypto::PrivateKey::generate(type);
  if (!k) ADD_FAILURE() << k.error().to_string();
  return k ? *k : crypto::PrivateKey();
}

CertificateKeyPair raw_pair(const crypto::PrivateKey& key) {
  CertificateKeyPair p;
  const std::string pem = crypto::pem_encode("PRIVATE KEY", key.pkcs8_der());
  p.key_pem.assign(pem.begin(), pem.end());
  p.raw_public_key = true;
  return p;
}

Bytes spki_hash(const crypto::PrivateKey& key) {
  const auto d = crypto::HashCtx::digest(crypto::HashAlg::sha256, key.public_key().spki());
  return Bytes(d.view().begin(), d.view().end());
}

std::string hex(ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

ServerOptions raw_server(const crypto::PrivateKey& key) {
  ServerOptions s;
  s.certificates = {raw_pair(key)};
  return s;
}

// A client that trusts the shared PKI (for the X.509 cases) and pins `pins`.
ClientOptions pinning_client(std::vector<Bytes> pins) {
  ClientOptions c = test::client_options_for(KeyType::ec_p256);
  c.pinned_spki_sha256 = std::move(pins);
  return c;
}

std::unique_ptr<Mitm> handshake(ClientOptions c, ServerOptions s, Mitm::FlightMutator mutate = {}) {
  auto m = Mitm::create(std::move(c), std::move(s));
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  (*m)->on_flight = std::move(mutate);
  (*m)->run();
  return std::move(*m);
}

bool client_hello_has(const test::Flight& f, ExtensionType t) {
  const auto ch = wire::ClientHello::decode(f.items[f.find(HandshakeType::client_hello)].body());
  if (!ch) {
    ADD_FAILURE() << ch.error().to_string();
    return false;
  }
  return wire::find_extension(ch->extensions, t) != nullptr;
}

TEST(RawPublicKey, PinnedServerKeyIsAccepted) {
  const auto key = new_key();
  auto m = handshake(pinning_client({spki_hash(key)}), raw_server(key));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  const auto& n = m->client().negotiated();
  EXPECT_EQ(n.version, ProtocolVersion::tls13);
  EXPECT_TRUE(n.peer_raw_public_key);
  EXPECT_TRUE(n.peer_verified);
  EXPECT_EQ(n.peer_key, "ECDSA P-256");
  EXPECT_EQ(n.peer_spki_sha256, hex(spki_hash(key)));
  EXPECT_TRUE(n.peer_subject.empty());
  ASSERT_EQ(n.peer_certificates.size(), 1u);
  EXPECT_EQ(n.peer_certificates[0], key.public_key().spki());
  EXPECT_EQ(n.signature_scheme, SignatureScheme::ecdsa_secp256r1_sha256);
  const std::string hello = "over a raw key";
  EXPECT_EQ(test::transfer(m->client(), m->server(), ByteView(reinterpret_cast<const uint8_t*>(hello.data()), hello.size())),
            Bytes(hello.begin(), hello.end()));
}

TEST(RawPublicKey, PinBySpkiAndOtherKeyTypes) {
  for (KeyType type : {KeyType::ed25519, KeyType::ec_p384, KeyType::rsa}) {
    const auto key = new_key(type);
    ClientOptions c = pinning_client({});
    c.pinned_spki = {key.public_key().spki()};
    auto m = handshake(c, raw_server(key));
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
    EXPECT_TRUE(m->client().negotiated().peer_raw_public_key);
    EXPECT_EQ(m->client().negotiated().peer_key, key.public_key().describe());
  }
}

TEST(RawPublicKey, WrongPinIsBadCertificate) {
  const auto key = new_key(), other = new_key();
  auto m = handshake(pinning_client({spki_hash(other)}), raw_server(key));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate,
                     "server raw public key (ECDSA P-256, SPKI SHA-256 " + hex(spki_hash(key)) +
                         ") matches none of the 1 pinned key(s)");
}

TEST(RawPublicKey, CertificateVerifyIsCheckedWithTheRawKey) {
  // A second key the client also pins replaces the server's in the Certificate message: the
  // pin matches, but the server's signature was made with the first key.
  const auto key = new_key(), other = new_key();
  const Bytes other_spki = other.public_key().spki();
  auto m = handshake(pinning_client({spki_hash(key), spki_hash(other)}), raw_server(key), [&](test::Flight& f) {
    if (f.dir != Dir::to_client || !f.has(HandshakeType::certificate)) return;
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate),
                                     [&](wire::Certificate& c) { c.certificate_list[0].cert_data = other_spki; });
  });
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::decrypt_error, "server CertificateVerify signature does not verify");
}

TEST(RawPublicKey, TwoEntriesAreRefused) {
  const auto key = new_key();
  const Bytes spki = key.public_key().spki();
  auto m = handshake(pinning_client({spki_hash(key)}), raw_server(key), [&](test::Flight& f) {
    if (f.dir != Dir::to_client || !f.has(HandshakeType::certificate)) return;
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate),
                                     [&](wire::Certificate& c) { c.certificate_list.push_back({spki, {}}); });
  });
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate, "server sent 2 entries for a raw public key");
}

TEST(RawPublicKey, ClientWithoutPinsGetsTheChain) {
  // The server has both a chain and its key as a raw key; a client without pins must not
  // offer RawPublicKey and so is served the X.509 chain.
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.certificates[0].raw_public_key = true;
  bool offered = true;
  auto m = handshake(test::client_options_for(KeyType::ec_p256), s, [&](test::Flight& f) {
    if (f.dir != Dir::to_server || !f.has(HandshakeType::client_hello)) return;
    offered = client_hello_has(f, ExtensionType::server_certificate_type) ||
              client_hello_has(f, ExtensionType::client_certificate_type);
  });
  ASSERT_TRUE(m);
  EXPECT_FALSE(offered);
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  const auto& n = m->client().negotiated();
  EXPECT_FALSE(n.peer_raw_public_key);
  EXPECT_TRUE(n.peer_verified);
  EXPECT_EQ(n.peer_certificates.size(), 2u);
  // The leaf's SPKI as its certificate encodes it, the same bytes as the key's own DER.
  EXPECT_EQ(n.peer_spki_sha256, hex(spki_hash(test::shared_pki(KeyType::ec_p256).leaf_key)));
}

TEST(RawPublicKey, PinningClientAcceptsAVerifiedChain) {
  // With pins the client lists RawPublicKey, then X.509; a server without raw keys selects
  // X.509, which is verified through the trust anchors as usual.
  auto m = handshake(pinning_client({spki_hash(new_key())}), test::server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  EXPECT_FALSE(m->client().negotiated().peer_raw_public_key);
  EXPECT_TRUE(m->client().negotiated().peer_verified);
}

TEST(RawPublicKey, RawOnlyServerRefusesAClientThatDoesNotOfferIt) {
  auto m = handshake(test::client_options_for(KeyType::ec_p256), raw_server(new_key()));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::unsupported_certificate,
                     "client does not offer raw public keys (RFC 7250 server_certificate_type) and this server has "
                     "only raw public keys for it");
}

TEST(RawPublicKey, RawOnlyServerRefusesTls12) {
  const auto key = new_key();
  ClientOptions c = pinning_client({spki_hash(key)});
  c.max_version = ProtocolVersion::tls12;
  auto m = handshake(c, raw_server(key));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::unsupported_certificate,
                     "this server has only raw public keys, which tlspp serves only over TLS 1.3");
}

TEST(RawPublicKey, Tls12ServerSelectingRawKeysIsRefused) {
  // The ClientHello offering TLS 1.3 and 1.2 lists RawPublicKey; a TLS 1.2 server that
  // selects it meets a client that implements raw keys for TLS 1.3 only.
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.max_version = ProtocolVersion::tls12;
  auto m = handshake(pinning_client({spki_hash(new_key())}), s, [&](test::Flight& f) {
    if (f.dir != Dir::to_client || !f.has(HandshakeType::server_hello)) return;
    test::rewrite<wire::ServerHello>(f.get(HandshakeType::server_hello), [&](wire::ServerHello& sh) {
      static const Bytes raw = {2};
      test::set_extension(sh.extensions, ExtensionType::server_certificate_type, raw);
    });
  });
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::unsupported_certificate,
                     "TLS 1.2 server selected certificate type 2 in server_certificate_type; tlspp supports raw "
                     "public keys (RFC 7250) only with TLS 1.3");
}

TEST(RawPublicKey, ServerSelectingAnUnlistedTypeIsIllegal) {
  // The client offers its own raw key only (no X.509 chain): a server selecting X.509 for
  // it picks a type the client did not list.
  const auto key = new_key(), client_key = new_key();
  ClientOptions c = pinning_client({spki_hash(key)});
  c.client_certificates = {raw_pair(client_key)};
  ServerOptions s = raw_server(key);
  s.client_auth = ClientAuth::optional;
  s.pinned_client_spki_sha256 = {spki_hash(client_key)};
  auto m = handshake(c, s, [&](test::Flight& f) {
    if (f.dir != Dir::to_client || !f.has(HandshakeType::encrypted_extensions)) return;
    test::rewrite<wire::EncryptedExtensions>(f.get(HandshakeType::encrypted_extensions),
                                             [&](wire::EncryptedExtensions& ee) {
                                               static const Bytes x509 = {0};
                                               test::set_extension(ee.extensions, ExtensionType::client_certificate_type, x509);
                                             });
  });
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::illegal_parameter,
                     "server selected client_certificate_type 0, which the client did not list");
}

TEST(RawPublicKey, ClientRawKeyIsPinnedByTheServer) {
  const auto key = new_key(), client_key = new_key(KeyType::ed25519);
  ClientOptions c = pinning_client({spki_hash(key)});
  c.client_certificates = {raw_pair(client_key)};
  ServerOptions s = raw_server(key);
  s.client_auth = ClientAuth::required;
  s.pinned_client_spki = {client_key.public_key().spki()};
  auto m = handshake(c, s);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  const auto& n = m->server().negotiated();
  EXPECT_TRUE(n.peer_raw_public_key);
  EXPECT_TRUE(n.peer_verified);
  EXPECT_EQ(n.peer_key, "Ed25519");
  EXPECT_EQ(n.peer_spki_sha256, hex(spki_hash(client_key)));
}

TEST(RawPublicKey, UnpinnedClientRawKeyIsBadCertificate) {
  const auto key = new_key(), client_key = new_key();
  ClientOptions c = pinning_client({spki_hash(key)});
  c.client_certificates = {raw_pair(client_key)};
  ServerOptions s = raw_server(key);
  s.client_auth = ClientAuth::optional;
  s.pinned_client_spki_sha256 = {spki_hash(new_key())};
  auto m = handshake(c, s);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::bad_certificate,
                     "client raw public key (ECDSA P-256, SPKI SHA-256 " + hex(spki_hash(client_key)) +
                         ") matches none of the 1 pinned key(s)");
}

TEST(RawPublicKey, ClientRawKeyWithoutServerPinsIsUnsupported) {
  // The client can present only a raw key; the server verifies X.509 client certificates
  // only: no type in common (RFC 7250 §4.2 outcome 2).
  const auto key = new_key();
  ClientOptions c = pinning_client({spki_hash(key)});
  c.client_certificates = {raw_pair(new_key())};
  ServerOptions s = raw_server(key);
  s.client_auth = ClientAuth::optional;
  s.client_ca_files = test::client_options_for(KeyType::ec_p256).ca_files;
  auto m = handshake(c, s);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::unsupported_certificate,
                     "client_certificate_type: the client lists RawPublicKey, this server has X509");
}

TEST(RawPublicKey, ConfigurationErrors) {
  CertificateKeyPair bare = raw_pair(new_key());
  bare.raw_public_key = false;
  ServerOptions s;
  s.certificates = {bare};
  auto sc = ServerConfig::create(s);
  ASSERT_FALSE(sc);
  EXPECT_NE(sc.error().message.find("set raw_public_key to present the key alone"), std::string::npos)
      << sc.error().message;

  ClientOptions c = pinning_client({Bytes(20, 1)});
  auto cc = ClientConfig::create(c);
  ASSERT_FALSE(cc);
  EXPECT_NE(cc.error().message.find("32-byte SHA-256 values, one is 20 bytes"), std::string::npos) << cc.error().message;

  ClientOptions d = pinning_client({});
  d.pinned_spki = {Bytes{0x30, 0x03, 0x02, 0x01, 0x00}};
  EXPECT_FALSE(ClientConfig::create(d));

  ServerOptions pins_without_auth = raw_server(new_key());
  pins_without_auth.pinned_client_spki_sha256 = {Bytes(32, 7)};
  EXPECT_FALSE(ServerConfig::create(pins_without_auth));
}

}  // namespace
}  // namespace tlspp

namespace tlspp {
namespace {

// A resumed session sends no Certificate: it reports the raw key the session was made with.
TEST(RawPublicKey, AResumedSessionRemembersThePinnedKey) {
  const auto key = new_key();
  auto sc = ServerConfig::create(raw_server(key));
  auto cc = ClientConfig::create(pinning_client({spki_hash(key)}));
  ASSERT_TRUE(sc && cc);
  auto client = ClientConnection::create(*cc, test::server_name("localhost"));
  auto server = ServerConnection::create(*sc);
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(test::pump(*client, *server));
  auto tickets = client->take_session_tickets();
  ASSERT_FALSE(tickets.empty());
  EXPECT_TRUE(tickets[0].peer_raw_public_key);
  auto again = ClientConnection::create(*cc, test::server_name("localhost"), tickets[0]);
  auto server2 = ServerConnection::create(*sc);
  ASSERT_TRUE(again && server2);
  ASSERT_TRUE(test::pump(*again, *server2));
  const auto& n = again->negotiated();
  EXPECT_TRUE(n.resumed);
  EXPECT_TRUE(n.peer_raw_public_key);
  EXPECT_EQ(n.peer_spki_sha256, hex(spki_hash(key)));
  EXPECT_TRUE(n.peer_verified);
}

}  // namespace
}  // namespace tlspp
