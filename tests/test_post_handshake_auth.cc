// Post-handshake client authentication (RFC 8446 §4.6.2) over memory: a server asks a
// client that offered post_handshake_auth for a certificate after the handshake, the client
// answers with Certificate, CertificateVerify and Finished (or an empty Certificate), and the
// server's Negotiated says what came of it; the refusals and the protocol errors around it.
#include <gtest/gtest.h>

#include <string>

#include "support/mitm.h"
#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using test::Dir;
using test::Mitm;
using wire::HandshakeType;
using A = AlertDescription;

// A client certificate issued by a PKI of its own (its root is the server's client CA).
const pki::TestPki& client_pki() { return test::shared_pki(KeyType::ec_p256, "client.example"); }

ClientOptions client_with_certificate() {
  ClientOptions c = test::client_options_for(KeyType::ec_p256);
  c.client_certificates = {test::pem_pair(client_pki())};
  return c;
}

// A server that does not ask for certificates in the handshake but can verify one after it.
ServerOptions server_verifying_clients() {
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.client_ca_files = {test::write_temp_pem(client_pki().root, "pha-client-root.pem")};
  return s;
}

std::unique_ptr<Mitm> handshake(ClientOptions c, ServerOptions s) {
  auto m = Mitm::create(std::move(c), std::move(s));
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  (*m)->run();
  EXPECT_TRUE((*m)->client().handshake_done());
  EXPECT_TRUE((*m)->server().handshake_done());
  return std::move(*m);
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Writes `data` on one side and moves it through the harness; what the other side read.
Bytes through(Mitm& m, Side from, const std::string& data) {
  EXPECT_TRUE(m.conn(from).write(text(data)));
  m.run();
  Connection& to = m.conn(from == Side::client ? Side::server : Side::client);
  Bytes got(to.readable());
  got.resize(to.read(got));
  return got;
}

TEST(PostHandshakeAuth, ClientWithACertificateIsAuthenticatedAfterTheHandshake) {
  auto m = handshake(client_with_certificate(), server_verifying_clients());
  ASSERT_TRUE(m);
  const auto& sn = m->server().negotiated();
  EXPECT_TRUE(sn.post_handshake_auth_offered);
  EXPECT_TRUE(m->client().negotiated().post_handshake_auth_offered);
  EXPECT_TRUE(sn.peer_certificates.empty());  // none asked for in the handshake
  ASSERT_TRUE(m->server().request_client_certificate());
  EXPECT_TRUE(sn.post_handshake_auth_pending);
  // One at a time.
  const auto again = m->server().request_client_certificate();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "a post-handshake certificate request is outstanding");
  m->run();
  ASSERT_FALSE(m->server().error()) << m->server().error()->to_string();
  ASSERT_FALSE(m->client().error()) << m->client().error()->to_string();
  EXPECT_FALSE(sn.post_handshake_auth_pending);
  EXPECT_EQ(sn.post_handshake_auth_answers, 1u);
  EXPECT_FALSE(sn.post_handshake_auth_declined);
  EXPECT_EQ(sn.peer_subject, "CN=client.example, O=tlspp test");
  EXPECT_TRUE(sn.peer_verified);
  EXPECT_EQ(sn.peer_key, "ECDSA P-256");
  EXPECT_EQ(sn.peer_certificates.size(), 2u);
  EXPECT_EQ(m->client().negotiated().post_handshake_auth_answers, 1u);
  // The answer went under the application keys; data still flows both ways, and the server
  // may ask again (a new context).
  EXPECT_EQ(through(*m, Side::client, "after"), text("after"));
  EXPECT_EQ(through(*m, Side::server, "reply"), text("reply"));
  ASSERT_TRUE(m->server().request_client_certificate());
  m->run();
  EXPECT_EQ(sn.post_handshake_auth_answers, 2u);
  EXPECT_FALSE(m->server().error());
}

TEST(PostHandshakeAuth, AnswerAfterAKeyUpdateUsesTheCurrentSecret) {
  auto m = handshake(client_with_certificate(), server_verifying_clients());
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->client().key_update(true));
  m->run();
  ASSERT_TRUE(m->server().request_client_certificate());
  m->run();
  ASSERT_FALSE(m->server().error()) << m->server().error()->to_string();
  EXPECT_EQ(m->server().negotiated().post_handshake_auth_answers, 1u);
}

TEST(PostHandshakeAuth, ClientWithoutACertificateDoesNotOfferIt) {
  auto m = handshake(test::client_options_for(KeyType::ec_p256), server_verifying_clients());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->server().negotiated().post_handshake_auth_offered);
  const auto s = m->server().request_client_certificate();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::config);
  EXPECT_NE(s.error().message.find("the client did not offer post_handshake_auth"), std::string::npos);
  // Refused, not failed: the connection goes on.
  EXPECT_FALSE(m->server().error());
  EXPECT_EQ(through(*m, Side::server, "still here"), text("still here"));
}

TEST(PostHandshakeAuth, ClientWithNoFittingCertificateSendsAnEmptyOne) {
  // The server accepts only Ed25519 signatures; the client's key is ECDSA P-256.
  ServerOptions only_ed = server_verifying_clients();
  only_ed.signature_schemes = {SignatureScheme::ed25519};
  auto m2 = handshake(client_with_certificate(), only_ed);
  ASSERT_TRUE(m2);
  ASSERT_TRUE(m2->server().request_client_certificate());
  m2->run();
  ASSERT_FALSE(m2->server().error()) << m2->server().error()->to_string();
  const auto& sn = m2->server().negotiated();
  EXPECT_EQ(sn.post_handshake_auth_answers, 1u);
  EXPECT_TRUE(sn.post_handshake_auth_declined);
  EXPECT_TRUE(sn.peer_certificates.empty());
  EXPECT_FALSE(sn.peer_verified);
  EXPECT_TRUE(m2->client().negotiated().post_handshake_auth_declined);
}

TEST(PostHandshakeAuth, UntrustedClientCertificateFailsTheConnection) {
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  // Client CAs that did not issue the client's certificate.
  s.client_ca_files = {test::write_temp_pem(test::shared_pki(KeyType::ec_p256, "other.example").root, "pha-other.pem")};
  auto m = handshake(client_with_certificate(), s);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->server().request_client_certificate());
  m->run();
  test::expect_fatal(*m, Side::server, A::bad_certificate, "has a signature that does not verify with the key of");
}

TEST(PostHandshakeAuth, ServerWithoutClientCasCannotAsk) {
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  auto m = handshake(client_with_certificate(), s);
  ASSERT_TRUE(m);
  const auto r = m->server().request_client_certificate();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("needs client_ca_files or pinned client keys"), std::string::npos);
}

TEST(PostHandshakeAuth, RequestBeforeTheHandshakeOrOverTls12IsRefused) {
  auto sc = ServerConfig::create(server_verifying_clients());
  ASSERT_TRUE(sc);
  auto early = ServerConnection::create(*sc);
  ASSERT_TRUE(early);
  EXPECT_FALSE(early->request_client_certificate());

  ServerOptions s12 = server_verifying_clients();
  s12.max_version = ProtocolVersion::tls12;
  auto m = handshake(client_with_certificate(), s12);
  ASSERT_TRUE(m);
  const auto r = m->server().request_client_certificate();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("needs TLS 1.3"), std::string::npos);
  EXPECT_FALSE(m->server().error());
}

TEST(PostHandshakeAuth, ClientThatDidNotOfferItRefusesARequest) {
  // RFC 8446 §4.6.2: unexpected_message.
  auto m = handshake(test::client_options_for(KeyType::ec_p256), server_verifying_clients());
  ASSERT_TRUE(m);
  wire::ExtensionsBuilder b;
  b.add(wire::ExtensionType::signature_algorithms, wire::SignatureSchemeList{{SignatureScheme::ed25519}});
  wire::CertificateRequest cr;
  const Bytes context = {1, 2, 3};
  cr.certificate_request_context = context;
  cr.extensions = b.list().value();
  (void)m->deliver(Dir::to_client, {test::handshake_item(wire::encode_message(cr).value(), test::kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::client, A::unexpected_message,
                     "certificate_request received after the handshake, but the client did not offer "
                     "post_handshake_auth (RFC 8446 §4.6.2)");
}

TEST(PostHandshakeAuth, TamperedFinishedIsDecryptError) {
  auto m = handshake(client_with_certificate(), server_verifying_clients());
  ASSERT_TRUE(m);
  m->on_flight = [](test::Flight& f) {
    if (f.dir != Dir::to_server || !f.has(HandshakeType::finished)) return;
    f.get(HandshakeType::finished).data.back() ^= 1;
  };
  ASSERT_TRUE(m->server().request_client_certificate());
  m->run();
  test::expect_fatal(*m, Side::server, A::decrypt_error, "client post-handshake Finished does not verify");
}

TEST(PostHandshakeAuth, WrongContextIsIllegalParameter) {
  auto m = handshake(client_with_certificate(), server_verifying_clients());
  ASSERT_TRUE(m);
  m->on_flight = [](test::Flight& f) {
    if (f.dir != Dir::to_server || !f.has(HandshakeType::certificate)) return;
    test::rewrite<wire::Certificate>(f.get(HandshakeType::certificate), [](wire::Certificate& c) {
      static const Bytes other(16, 9);
      c.certificate_request_context = other;
    });
  };
  ASSERT_TRUE(m->server().request_client_certificate());
  m->run();
  test::expect_fatal(*m, Side::server, A::illegal_parameter,
                     "client Certificate does not echo the post-handshake CertificateRequest's context");
}

TEST(PostHandshakeAuth, AnswerWithoutARequestIsUnexpected) {
  auto m = handshake(client_with_certificate(), server_verifying_clients());
  ASSERT_TRUE(m);
  const auto fin = wire::encode_message(wire::Finished{Bytes(32, 0)}).value();
  (void)m->deliver(Dir::to_server, {test::handshake_item(fin, test::kApplicationKeys)});
  m->run();
  test::expect_fatal(*m, Side::server, A::unexpected_message, "finished received after the handshake");
}

}  // namespace
}  // namespace tlspp
