// Certificates a hostile or misconfigured peer presents in a real handshake: validity,
// names, trust, key usage, chains; client authentication. Each failure must carry the
// alert src/pki/verify.h documents (RFC 8446 §6.2), a message naming the certificate, and
// reach the peer as alert_received.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "crypto/hash.h"
#include "crypto/pem.h"
#include "pki/builder.h"
#include "support/mitm.h"
#include "support/tls_pair.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using pki::CertificateBuilder;
using test::Mitm;
using A = AlertDescription;

// Every certificate here is dated relative to this instant, and both sides' clocks stand
// still at it, so the tests do not depend on the day they run.
constexpr std::time_t kNow = 1750000000;  // 2025-06-15
constexpr std::time_t kDay = 86400;

crypto::PrivateKey new_key() {
  auto k = crypto::PrivateKey::generate(KeyType::ec_p256);
  if (!k) ADD_FAILURE() << k.error().to_string();
  return k ? *k : crypto::PrivateKey();
}

Bytes must(Result<Bytes> r) {
  if (!r) ADD_FAILURE() << r.error().to_string();
  return r ? *r : Bytes();
}

// A root, an intermediate and a leaf, each changeable before it is issued.
struct Chain {
  crypto::PrivateKey root_key = new_key(), inter_key = new_key(), leaf_key = new_key();
  CertificateBuilder root_b, inter_b, leaf_b;
  Bytes root, inter, leaf;
  bool send_intermediate = true;

  explicit Chain(const std::string& name = "localhost", const std::string& org = "tlspp certs test") {
    root_b.common_name("certs test root").organization(org).validity(kNow - 10 * kDay, kNow + 365 * kDay).ca(true);
    inter_b.common_name("certs test intermediate").organization(org).validity(kNow - 10 * kDay, kNow + 365 * kDay).ca(true, 0);
    leaf_b.common_name(name).organization(org).validity(kNow - kDay, kNow + 30 * kDay).dns_name(name);
  }
  // Issues the certificates from the builders as they are now.
  Chain& issue() {
    root = must(root_b.self_signed(root_key));
    inter = must(inter_b.issued_by(inter_key.public_key(), root, root_key));
    leaf = must(leaf_b.issued_by(leaf_key.public_key(), inter, inter_key));
    return *this;
  }
  [[nodiscard]] CertificateKeyPair pair() const {
    CertificateKeyPair p;
    std::string pem = crypto::pem_encode("CERTIFICATE", leaf);
    if (send_intermediate) pem += crypto::pem_encode("CERTIFICATE", inter);
    p.cert_pem.assign(pem.begin(), pem.end());
    const std::string key = crypto::pem_encode("PRIVATE KEY", leaf_key.pkcs8_der());
    p.key_pem.assign(key.begin(), key.end());
    return p;
  }
  [[nodiscard]] std::string root_file(const std::string& name) const { return test::write_temp_pem(root, name); }
};

ClientOptions client_trusting(const std::string& ca_file) {
  ClientOptions c;
  c.ca_files = {ca_file};
  c.clock = [] { return kNow; };
  return c;
}

ServerOptions server_with(const CertificateKeyPair& pair) {
  ServerOptions s;
  s.certificates = {pair};
  s.clock = [] { return kNow; };
  return s;
}

std::unique_ptr<Mitm> handshake(ClientOptions c, ServerOptions s, const std::string& host = "localhost") {
  auto m = Mitm::create(std::move(c), std::move(s), host);
  if (!m) {
    ADD_FAILURE() << m.error().to_string();
    return nullptr;
  }
  (*m)->run();
  return std::move(*m);
}

std::unique_ptr<Mitm> against(Chain& chain, const std::string& host = "localhost") {
  return handshake(client_trusting(chain.root_file("root.pem")), server_with(chain.pair()), host);
}

// --- the server's certificate, as the client sees it ---

TEST(ServerCertificate, ValidChainIsAccepted) {
  Chain chain;
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
  EXPECT_TRUE(m->client().negotiated().peer_verified);
  EXPECT_EQ(m->client().negotiated().peer_subject, "CN=localhost, O=tlspp certs test");
  EXPECT_EQ(m->client().negotiated().peer_certificates.size(), 2u);
}

TEST(ServerCertificate, ExpiredLeaf) {
  Chain chain;
  chain.leaf_b.validity(kNow - 30 * kDay, kNow - kDay);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::certificate_expired, "certificate 'CN=localhost, O=tlspp certs test' expired on");
}

TEST(ServerCertificate, LeafNotYetValid) {
  // src/pki/verify.h: "expired, and also not yet valid -> certificate_expired" (RFC 8446
  // §6.2: "a certificate has expired or is not currently valid").
  Chain chain;
  chain.leaf_b.validity(kNow + kDay, kNow + 30 * kDay);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::certificate_expired,
                     "certificate 'CN=localhost, O=tlspp certs test' is not valid before");
}

TEST(ServerCertificate, ExpiresAtTheLastSecond) {
  // RFC 5280 §4.1.2.5: notAfter is inclusive.
  Chain chain;
  chain.leaf_b.validity(kNow - kDay, kNow);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
}

TEST(ServerCertificate, WrongHost) {
  Chain chain;
  chain.issue();
  auto m = against(chain, "wrong.example");
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate,
                     "certificate for 'localhost' does not match the requested name 'wrong.example'");
}

TEST(ServerCertificate, WrongIpAddress) {
  Chain chain;
  chain.leaf_b = CertificateBuilder();
  chain.leaf_b.common_name("127.0.0.1").validity(kNow - kDay, kNow + kDay).ip_address("127.0.0.1");
  chain.issue();
  auto ok = against(chain, "127.0.0.1");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->client().handshake_done()) << ok->client().error()->to_string();
  auto m = against(chain, "127.0.0.2");
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate, "certificate for '127.0.0.1' does not match the requested name '127.0.0.2'");
}

TEST(ServerCertificate, UntrustedRoot) {
  Chain chain;
  chain.issue();
  Chain other("localhost", "someone else");
  other.issue();
  auto m = handshake(client_trusting(other.root_file("other-root.pem")), server_with(chain.pair()));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::unknown_ca,
                     "certificate 'CN=certs test intermediate, O=tlspp certs test' is not signed by a trusted authority");
}

TEST(ServerCertificate, SelfSignedLeafNotInTheStore) {
  Chain chain;
  chain.issue();
  CertificateBuilder self;
  self.common_name("localhost").organization("self").validity(kNow - kDay, kNow + kDay).dns_name("localhost");
  const Bytes leaf = must(self.self_signed(chain.leaf_key));
  chain.leaf = leaf;
  chain.send_intermediate = false;
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::unknown_ca, "self-signed certificate 'CN=localhost, O=self' is not trusted");
}

TEST(ServerCertificate, SelfSignedLeafInTheStoreIsTrusted) {
  Chain chain;
  CertificateBuilder self;
  self.common_name("localhost").validity(kNow - kDay, kNow + kDay).dns_name("localhost");
  chain.leaf = must(self.self_signed(chain.leaf_key));
  chain.send_intermediate = false;
  auto m = handshake(client_trusting(test::write_temp_pem(chain.leaf, "pinned.pem")), server_with(chain.pair()));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->client().handshake_done()) << m->client().error()->to_string();
}

TEST(ServerCertificate, ExpiredIntermediate) {
  Chain chain;
  chain.inter_b.validity(kNow - 30 * kDay, kNow - kDay);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::certificate_expired,
                     "certificate 'CN=certs test intermediate, O=tlspp certs test' expired on");
}

TEST(ServerCertificate, MissingIntermediate) {
  // Without the intermediate there is no path to the trust anchor.
  Chain chain;
  chain.issue();
  chain.send_intermediate = false;
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::unknown_ca,
                     "certificate 'CN=localhost, O=tlspp certs test' is not signed by a trusted authority");
}

TEST(ServerCertificate, IntermediateThatIsNotACa) {
  Chain chain;
  chain.inter_b.ca(false);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate, "is not a CA");
}

TEST(ServerCertificate, LeafSignedByTheWrongKey) {
  Chain chain;
  chain.issue();
  chain.leaf = must(chain.leaf_b.issued_by(chain.leaf_key.public_key(), chain.inter, new_key()));
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate, "has a signature that does not verify");
}

TEST(ServerCertificate, OnlyClientAuthExtendedKeyUsage) {
  // src/pki/verify.h: extKeyUsage forbidding the purpose -> unsupported_certificate.
  Chain chain;
  chain.leaf_b.ext_key_usage(pki::ext_key_usage::client_auth);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::unsupported_certificate,
                     "certificate 'CN=localhost, O=tlspp certs test' is not valid for");
}

TEST(ServerCertificate, KeyUsageWithoutDigitalSignature) {
  Chain chain;
  chain.leaf_b.key_usage(pki::key_usage::key_encipherment);
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::unsupported_certificate, "may not be used for signing");
}

TEST(ServerCertificate, UnknownCriticalExtension) {
  Chain chain;
  chain.leaf_b.extension("1.3.6.1.4.1.55555.1", true, Bytes{0x05, 0x00});
  chain.issue();
  auto m = against(chain);
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::client, A::bad_certificate, "has a critical extension tlspp does not support");
}

TEST(ServerCertificate, ServerKeyDoesNotMatchItsCertificate) {
  // The server signs with a key that is not the certificate's: its configuration refuses
  // the pair before any handshake.
  Chain chain;
  chain.issue();
  auto pair = chain.pair();
  const std::string key = crypto::pem_encode("PRIVATE KEY", new_key().pkcs8_der());
  pair.key_pem.assign(key.begin(), key.end());
  auto config = ServerConfig::create(server_with(pair));
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("private key does not match the leaf certificate"), std::string::npos)
      << config.error().message;
}

// --- client authentication (RFC 8446 §4.3.2, §4.4.2.4) ---

struct ClientAuthSetup {
  Chain server_chain, client_chain{"client.example", "tlspp clients"};
  ClientAuthSetup() {
    server_chain.issue();
    client_chain.issue();
  }
  ClientOptions client(bool with_cert) {
    auto c = client_trusting(server_chain.root_file("server-root.pem"));
    if (with_cert) c.client_certificates = {client_chain.pair()};
    return c;
  }
  ServerOptions server(ClientAuth mode, const Chain* trusted = nullptr) {
    auto s = server_with(server_chain.pair());
    s.client_auth = mode;
    s.client_ca_files = {(trusted ? *trusted : client_chain).root_file("client-root.pem")};
    return s;
  }
};

TEST(ClientAuth, RequiredButNoCertificate) {
  ClientAuthSetup setup;
  auto m = handshake(setup.client(false), setup.server(ClientAuth::required));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::certificate_required,
                     "client did not send a certificate, which this server requires");
  EXPECT_FALSE(m->server().handshake_done());
}

TEST(ClientAuth, OptionalWithoutCertificate) {
  ClientAuthSetup setup;
  auto m = handshake(setup.client(false), setup.server(ClientAuth::optional));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  ASSERT_TRUE(m->client().handshake_done());
  EXPECT_FALSE(m->server().negotiated().peer_verified);
  EXPECT_TRUE(m->server().negotiated().peer_subject.empty());
  EXPECT_TRUE(m->server().negotiated().peer_certificates.empty());
}

TEST(ClientAuth, ValidClientCertificate) {
  ClientAuthSetup setup;
  auto m = handshake(setup.client(true), setup.server(ClientAuth::required));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  const auto& n = m->server().negotiated();
  EXPECT_EQ(n.peer_subject, "CN=client.example, O=tlspp clients");
  EXPECT_TRUE(n.peer_verified);
  EXPECT_EQ(n.peer_key, "ECDSA P-256");
  EXPECT_EQ(n.peer_certificates.size(), 2u);
  EXPECT_EQ(n.signature_scheme, SignatureScheme::ecdsa_secp256r1_sha256);
  // The SHA-256 of the client leaf's SubjectPublicKeyInfo, in lower-case hex.
  const auto spki =
      crypto::HashCtx::digest(crypto::HashAlg::sha256, setup.client_chain.leaf_key.public_key().spki());
  std::string want;
  for (uint8_t b : spki.view()) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", b);
    want += two;
  }
  EXPECT_EQ(n.peer_spki_sha256, want);
}

TEST(ClientAuth, ClientCertificateFromAnUntrustedCa) {
  ClientAuthSetup setup;
  Chain stranger("client.example", "strangers");
  stranger.issue();
  auto m = handshake(setup.client(true), setup.server(ClientAuth::required, &stranger));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::unknown_ca, "'CN=certs test intermediate, O=tlspp clients'");
  EXPECT_FALSE(m->server().handshake_done());
}

TEST(ClientAuth, UntrustedCertificateFailsEvenWhenOptional) {
  // A certificate that is sent is verified, even when one was not required.
  ClientAuthSetup setup;
  Chain stranger("client.example", "strangers");
  stranger.issue();
  auto m = handshake(setup.client(true), setup.server(ClientAuth::optional, &stranger));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::unknown_ca, "is not signed by a trusted authority");
}

TEST(ClientAuth, ExpiredClientCertificate) {
  ClientAuthSetup setup;
  setup.client_chain.leaf_b.validity(kNow - 20 * kDay, kNow - 10 * kDay);
  setup.client_chain.issue();
  auto m = handshake(setup.client(true), setup.server(ClientAuth::required));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::certificate_expired, "certificate 'CN=client.example, O=tlspp clients' expired on");
}

TEST(ClientAuth, ClientCertificateForServersOnly) {
  ClientAuthSetup setup;
  setup.client_chain.leaf_b.ext_key_usage(pki::ext_key_usage::server_auth);
  setup.client_chain.issue();
  auto m = handshake(setup.client(true), setup.server(ClientAuth::required));
  ASSERT_TRUE(m);
  test::expect_fatal(*m, Side::server, A::unsupported_certificate, "extKeyUsage lacks clientAuth");
}

TEST(ClientAuth, ClientNameIsNotCheckedAgainstAnything) {
  // A client certificate identifies the client; there is no name to match it with.
  ClientAuthSetup setup;
  setup.client_chain.leaf_b = CertificateBuilder();
  setup.client_chain.leaf_b.common_name("anyone").validity(kNow - kDay, kNow + kDay);
  setup.client_chain.issue();
  auto m = handshake(setup.client(true), setup.server(ClientAuth::required));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->server().handshake_done()) << m->server().error()->to_string();
  EXPECT_EQ(m->server().negotiated().peer_subject, "CN=anyone");
}

}  // namespace
}  // namespace tlspp
