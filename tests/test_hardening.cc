// Regression tests for the findings of the first review (issue 8): resumption bound to the
// server it was made with, typed server names, client CAs that must be given, RSA key size
// bounds, key material kept out of plain memory, encoders that fail instead of truncating
// (items 1-6); certificate choice by what the client can verify (9); ClientHellos with
// lists of every size the wire allows (10); what an alert instead of a ServerHello means (13).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <type_traits>

#include "common/buffer.h"
#include "crypto/kx.h"
#include "crypto/secret.h"
#include "handshake/common.h"
#include "record/record.h"
#include "crypto/sig.h"
#include "pki/builder.h"
#include "pki/verify.h"
#include "support/tls_pair.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;

const pki::TestPki& pki_for(const std::string& name, KeyType type = KeyType::ec_p256, int rsa_bits = 2048) {
  static std::map<std::string, std::unique_ptr<pki::TestPki>> cache;
  const std::string key = name + "/" + std::to_string(static_cast<int>(type)) + "/" + std::to_string(rsa_bits);
  auto& slot = cache[key];
  if (!slot) {
    pki::TestPkiOptions o;
    o.names = {name};
    o.key_type = type;
    o.rsa_bits = rsa_bits;
    auto p = pki::make_test_pki(o);
    EXPECT_TRUE(p) << p.error().to_string();
    slot = std::make_unique<pki::TestPki>(std::move(*p));
  }
  return *slot;
}

std::string root_file(const pki::TestPki& p, const std::string& name) { return test::write_temp_pem(p.root, name); }

// --- Item 1: a session resumes only with the server (name) it was made with -------------

class ResumptionBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    // One server, two names with certificates from two CAs the client trusts.
    ServerOptions s;
    s.certificates = {test::pem_pair(pki_for("a.example")), test::pem_pair(pki_for("b.example"))};
    s.tickets = 1;
    s.alpn = {"h2", "http/1.1"};
    server = *ServerConfig::create(s);
    client_opts.ca_files = {root_file(pki_for("a.example"), "a-root.pem"), root_file(pki_for("b.example"), "b-root.pem")};
    client_opts.alpn = {"h2"};
    client_opts.on_event = [this](const Event& e) {
      if (e.type == EventType::message_sent && e.message.type == MessageType::client_hello)
        for (const auto& [k, v] : e.details)
          if (k == "pre_shared_key") offered_psk = true;
    };
  }

  SessionTicket ticket_for(const std::string& name, const ClientOptions& opts) {
    auto cc = ClientConfig::create(opts);
    EXPECT_TRUE(cc) << cc.error().to_string();
    auto client = ClientConnection::create(*cc, test::server_name(name));
    auto srv = ServerConnection::create(server);
    EXPECT_TRUE(client && srv);
    EXPECT_TRUE(test::pump(*client, *srv));
    auto tickets = client->take_session_tickets();
    EXPECT_EQ(tickets.size(), 1u);
    offered_psk = false;
    return tickets.empty() ? SessionTicket{} : tickets.front();
  }

  struct Outcome {
    bool ok = false;
    bool client_resumed = false;
    bool server_resumed = false;
    std::string peer_subject;
    bool peer_verified = false;
  };
  Outcome resume(const std::string& name, const SessionTicket& ticket, const ClientOptions& opts) {
    auto cc = ClientConfig::create(opts);
    EXPECT_TRUE(cc);
    auto client = ClientConnection::create(*cc, test::server_name(name), ticket);
    auto srv = ServerConnection::create(server);
    EXPECT_TRUE(client && srv);
    Outcome o;
    o.ok = static_cast<bool>(test::pump(*client, *srv)) && client->handshake_done();
    o.client_resumed = client->negotiated().resumed;
    o.server_resumed = srv->negotiated().resumed;
    o.peer_subject = client->negotiated().peer_subject;
    o.peer_verified = client->negotiated().peer_verified;
    return o;
  }

  std::shared_ptr<const ServerConfig> server;
  ClientOptions client_opts;
  bool offered_psk = false;
};

TEST_F(ResumptionBinding, SameNameResumes) {
  const auto t = ticket_for("a.example", client_opts);
  EXPECT_EQ(t.server_name, "a.example");
  const auto o = resume("a.example", t, client_opts);
  EXPECT_TRUE(o.ok);
  EXPECT_TRUE(offered_psk);
  EXPECT_TRUE(o.client_resumed);
  EXPECT_TRUE(o.server_resumed);
}

TEST_F(ResumptionBinding, TicketForAnotherNameIsNotOfferedAndTheNewNameIsVerified) {
  const auto t = ticket_for("a.example", client_opts);
  const auto o = resume("b.example", t, client_opts);
  ASSERT_TRUE(o.ok);
  EXPECT_FALSE(offered_psk);
  EXPECT_FALSE(o.client_resumed);
  // The full handshake verified b.example's own certificate, not a.example's identity.
  EXPECT_EQ(o.peer_subject.find("CN=b.example"), 0u) << o.peer_subject;
  EXPECT_TRUE(o.peer_verified);
}

TEST_F(ResumptionBinding, ServerRefusesATicketUnderAnotherSni) {
  // A client that lies about (or does not check) the ticket's name still gets no
  // resumption: the server's ticket carries the SNI it was issued under.
  auto t = ticket_for("a.example", client_opts);
  t.server_name = "b.example";
  const auto o = resume("b.example", t, client_opts);
  ASSERT_TRUE(o.ok);
  EXPECT_TRUE(offered_psk);
  EXPECT_FALSE(o.server_resumed);
  EXPECT_FALSE(o.client_resumed);
  EXPECT_EQ(o.peer_subject.find("CN=b.example"), 0u) << o.peer_subject;
}

TEST_F(ResumptionBinding, TicketWhoseAlpnIsNoLongerConfiguredIsNotOffered) {
  const auto t = ticket_for("a.example", client_opts);
  EXPECT_EQ(t.alpn, "h2");
  auto other = client_opts;
  other.alpn = {"http/1.1"};
  const auto o = resume("a.example", t, other);
  ASSERT_TRUE(o.ok);
  EXPECT_FALSE(offered_psk);
  EXPECT_FALSE(o.client_resumed);
}

TEST_F(ResumptionBinding, TicketForASuiteNotConfiguredIsNotOffered) {
  const auto t = ticket_for("a.example", client_opts);
  auto other = client_opts;
  other.cipher_suites = {t.cipher_suite == CipherSuite::TLS_AES_256_GCM_SHA384 ? CipherSuite::TLS_AES_128_GCM_SHA256
                                                                              : CipherSuite::TLS_AES_256_GCM_SHA384};
  const auto o = resume("a.example", t, other);
  ASSERT_TRUE(o.ok);
  EXPECT_FALSE(offered_psk);
  EXPECT_FALSE(o.client_resumed);
}

TEST_F(ResumptionBinding, UnverifiedSessionDoesNotResumeAsVerified) {
  auto insecure = client_opts;
  insecure.insecure_skip_verification = true;
  const auto t = ticket_for("a.example", insecure);
  EXPECT_FALSE(t.peer_verified);
  const auto o = resume("a.example", t, client_opts);
  ASSERT_TRUE(o.ok);
  EXPECT_FALSE(offered_psk);
  EXPECT_FALSE(o.client_resumed);
  EXPECT_TRUE(o.peer_verified);
}

// --- Item 2: the server name is typed and cannot be empty --------------------------------

TEST(ServerNameType, ParsesNamesAndAddresses) {
  auto dns = ServerName::parse("Example.COM.");
  ASSERT_TRUE(dns);
  EXPECT_EQ(dns->str(), "example.com");
  EXPECT_FALSE(dns->is_ip_address());
  EXPECT_EQ(dns->sni(), "example.com");
  auto v4 = ServerName::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_ip_address());
  EXPECT_TRUE(v4->sni().empty());
  auto v6 = ServerName::parse("[2001:db8::1]");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->str(), "2001:db8::1");
}

TEST(ServerNameType, RefusesEmptyAndInvalidNames) {
  for (const char* bad : {"", "has space.example", "a..b", "[not-an-ip]", "-"}) {
    auto n = ServerName::parse(bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().kind, ErrorKind::config);
    EXPECT_NE(n.error().message.find("server name"), std::string::npos) << n.error().message;
  }
  EXPECT_NE(ServerName::parse("").error().message.find("empty"), std::string::npos);
  EXPECT_FALSE(ServerName::parse(std::string(64, 'a') + ".example"));
}

TEST(ServerNameType, WrongNameFailsAndVerifyChainOnlyIsTheExplicitWayToSkipIt) {
  const auto& p = pki_for("localhost");
  ClientOptions c;
  c.ca_files = {root_file(p, "localhost-root.pem")};
  ServerOptions s;
  s.certificates = {test::pem_pair(p)};
  auto failed = test::connect(c, s, "other.example");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().alert, AlertDescription::bad_certificate);
  EXPECT_NE(failed.error().message.find("does not match the requested name 'other.example'"), std::string::npos)
      << failed.error().message;

  c.verify_chain_only = true;
  auto chain_only = test::connect(c, s, "other.example");
  ASSERT_TRUE(chain_only) << chain_only.error().to_string();
  EXPECT_FALSE(chain_only->client.negotiated().peer_verified);
  EXPECT_EQ(chain_only->client.negotiated().peer_subject.find("CN=localhost"), 0u);

  // The chain is still verified: an untrusted root fails even with verify_chain_only.
  ClientOptions stranger;
  stranger.ca_files = {root_file(pki_for("other.example"), "other-root.pem")};
  stranger.verify_chain_only = true;
  auto untrusted = test::connect(stranger, s, "localhost");
  ASSERT_FALSE(untrusted);
  // (Both test roots share one subject, so the verifier reports the failed signature.)
  EXPECT_EQ(untrusted.error().kind, ErrorKind::bad_certificate) << untrusted.error().message;
}

// --- Item 3: client authentication needs its own trust anchors ----------------------------

TEST(ClientCaRequired, ClientAuthWithoutClientCaIsAConfigError) {
  for (auto mode : {ClientAuth::optional, ClientAuth::required}) {
    ServerOptions s = test::server_options_for(KeyType::ec_p256);
    s.client_auth = mode;
    auto cfg = ServerConfig::create(s);
    ASSERT_FALSE(cfg);
    EXPECT_EQ(cfg.error().kind, ErrorKind::config);
    EXPECT_NE(cfg.error().message.find("no client CA is configured"), std::string::npos) << cfg.error().message;
  }
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.client_auth = ClientAuth::optional;
  s.client_ca_files = {root_file(pki_for("client.example"), "client-root.pem")};
  EXPECT_TRUE(ServerConfig::create(s));
}

// --- Item 4: RSA key sizes are bounded ----------------------------------------------------

TEST(RsaKeySize, ServerWith1024BitKeyIsRefusedByDefaultAndAcceptedWhenLowered) {
  const auto& weak = pki_for("localhost", KeyType::rsa, 1024);
  ServerOptions s;
  s.certificates = {test::pem_pair(weak)};
  // Our own certificate is held to the same bound.
  auto refused_own = ServerConfig::create(s);
  ASSERT_FALSE(refused_own);
  EXPECT_NE(refused_own.error().message.find("1024-bit RSA key"), std::string::npos) << refused_own.error().message;
  s.min_rsa_key_bits = 1024;

  ClientOptions c;
  c.ca_files = {root_file(weak, "weak-root.pem")};
  auto refused = test::connect(c, s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().alert, AlertDescription::unsupported_certificate);
  EXPECT_NE(refused.error().message.find("1024-bit RSA key; at least 2048 bits are required"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("certificate '"), std::string::npos) << refused.error().message;

  c.min_rsa_key_bits = 1024;
  auto legacy = test::connect(c, s);
  ASSERT_TRUE(legacy) << legacy.error().to_string();
}

TEST(RsaKeySize, InsecureClientStillBoundsTheKeyItUses) {
  const auto& weak = pki_for("localhost", KeyType::rsa, 1024);
  ServerOptions s;
  s.certificates = {test::pem_pair(weak)};
  s.min_rsa_key_bits = 1024;
  ClientOptions c;
  c.insecure_skip_verification = true;
  auto refused = test::connect(c, s);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("1024-bit RSA key"), std::string::npos) << refused.error().message;
}

// A SubjectPublicKeyInfo of an RSA key with a `bits`-bit modulus (not a real key pair:
// key generation at these sizes takes minutes, and only the size matters here).
Bytes rsa_spki_with_modulus_bits(size_t bits) {
  auto len = [](size_t n) {
    Bytes l;
    if (n < 128) {
      l.push_back(static_cast<uint8_t>(n));
    } else if (n < 256) {
      l = {0x81, static_cast<uint8_t>(n)};
    } else {
      l = {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    }
    return l;
  };
  auto tlv = [&](uint8_t tag, const Bytes& body) {
    Bytes out{tag};
    const Bytes l = len(body.size());
    out.insert(out.end(), l.begin(), l.end());
    out.insert(out.end(), body.begin(), body.end());
    return out;
  };
  Bytes modulus(bits / 8 + 1, 0xc5);
  modulus[0] = 0x00;  // positive
  modulus.back() |= 1;
  Bytes rsa_key = tlv(0x02, modulus);
  const Bytes e = tlv(0x02, {0x01, 0x00, 0x01});
  rsa_key.insert(rsa_key.end(), e.begin(), e.end());
  Bytes bit_string{0x00};
  const Bytes seq = tlv(0x30, rsa_key);
  bit_string.insert(bit_string.end(), seq.begin(), seq.end());
  const Bytes alg = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
  Bytes body = alg;
  const Bytes bs = tlv(0x03, bit_string);
  body.insert(body.end(), bs.begin(), bs.end());
  return tlv(0x30, body);
}

TEST(RsaKeySize, KeysOver8192BitsAreAlwaysRefused) {
  auto big = crypto::PublicKey::from_spki(rsa_spki_with_modulus_bits(16384));
  ASSERT_TRUE(big) << big.error().to_string();
  EXPECT_EQ(big->bits(), 16384);
  auto s = pki::check_key_size(*big, "certificate 'CN=huge'", 1024);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().alert, AlertDescription::unsupported_certificate);
  EXPECT_EQ(s.error().message, "certificate 'CN=huge' has a 16384-bit RSA key; at most 8192 bits are accepted");
  auto ok = crypto::PublicKey::from_spki(rsa_spki_with_modulus_bits(8192));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(pki::check_key_size(*ok, "certificate 'CN=fine'", 2048));
}

TEST(RsaKeySize, MinimumIsConfigurableOnlyWithinBounds) {
  ClientOptions c;
  c.insecure_skip_verification = true;
  c.min_rsa_key_bits = 512;
  auto low = ClientConfig::create(c);
  ASSERT_FALSE(low);
  EXPECT_NE(low.error().message.find("min_rsa_key_bits"), std::string::npos);
  c.min_rsa_key_bits = 1024;
  EXPECT_TRUE(ClientConfig::create(c));
}

// --- Item 5: secrets do not outlive their use in plain memory ----------------------------

TEST(SecretHygiene, ConfigurationsDoNotHandOutKeyMaterial) {
  ServerOptions s = test::server_options_for(KeyType::ec_p256);
  s.ticket_key = Bytes(32, 0x5a);
  ASSERT_FALSE(s.certificates[0].key_pem.empty());
  auto cfg = ServerConfig::create(s);
  ASSERT_TRUE(cfg);
  EXPECT_TRUE((*cfg)->options().certificates[0].key_pem.empty());
  EXPECT_TRUE((*cfg)->options().ticket_key.empty());
  // The configuration still works: it kept the parsed key and the ticket key.
  auto pair = test::connect(test::client_options_for(KeyType::ec_p256), s);
  EXPECT_TRUE(pair);

  ClientOptions c = test::client_options_for(KeyType::ec_p256);
  c.client_certificates = {test::pem_pair(test::shared_pki(KeyType::ec_p256))};
  auto ccfg = ClientConfig::create(c);
  ASSERT_TRUE(ccfg);
  EXPECT_TRUE((*ccfg)->options().client_certificates[0].key_pem.empty());
}

TEST(SecretHygiene, TicketSecretIsASelfWipingType) {
  static_assert(std::is_same_v<decltype(SessionTicket::resumption_secret), SecretBytes>);
  static_assert(!std::is_convertible_v<SecretBytes, Bytes>);
  const uint8_t k[4] = {1, 2, 3, 4};
  SecretBytes a(k);
  SecretBytes b = a;
  EXPECT_TRUE(a == b);
  b.data()[0] ^= 1;
  EXPECT_FALSE(a == b);
  a.wipe();
  EXPECT_TRUE(a.empty());
  SecretBytes c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from secret is empty
  EXPECT_EQ(c.size(), 4u);
}

TEST(SecretHygiene, ReleasedBufferBlocksAreClearedBeforeReuse) {
  // A block released by one buffer (a connection's decrypted data) is the next one another
  // buffer on this thread gets; it must not still hold the plaintext.
  const Bytes plaintext(3000, 0xab);
  {
    Buffer first;
    first.append(plaintext);
    first.consume(first.size());
    first.release_if_empty();
  }
  Buffer second;
  const MutByteView region = second.prepare(plaintext.size());
  ASSERT_GE(region.size(), plaintext.size());
  EXPECT_EQ(std::count(region.begin(), region.begin() + static_cast<ptrdiff_t>(plaintext.size()), uint8_t{0xab}), 0);

  // A block released by a buffer that is still alive is wiped for any other buffer...
  Buffer owner;
  owner.append(plaintext);
  owner.consume(owner.size());
  owner.release_if_empty();
  Buffer other;
  const MutByteView r2 = other.prepare(plaintext.size());
  EXPECT_EQ(std::count(r2.begin(), r2.begin() + static_cast<ptrdiff_t>(plaintext.size()), uint8_t{0xab}), 0);
  other.release_if_empty();
  // ...and the same buffer takes its own block back and keeps working.
  owner.append(Bytes(10, 0x01));
  EXPECT_EQ(owner.view().size(), 10u);
  EXPECT_EQ(owner.view()[9], 0x01);

  // The same when the buffer grows into a bigger block (the old one is recycled).
  Buffer growing;
  growing.append(plaintext);
  growing.consume(plaintext.size() - 1);
  growing.append(Bytes(8000, 0x11));
  growing.consume(growing.size());
  growing.release_if_empty();
  Buffer third;
  const MutByteView r3 = third.prepare(plaintext.size());
  EXPECT_EQ(std::count(r3.begin(), r3.begin() + static_cast<ptrdiff_t>(plaintext.size()), uint8_t{0xab}), 0);
  EXPECT_EQ(std::count(r3.begin(), r3.begin() + static_cast<ptrdiff_t>(plaintext.size()), uint8_t{0x11}), 0);
}

// --- Item 6: lengths that do not fit fail loudly ------------------------------------------

TEST(EncoderLimits, WriterVectorsThatDoNotFitFail) {
  {
    Bytes out;
    wire::Writer w(out);
    w.vec8(Bytes(255, 1));
    EXPECT_TRUE(w.ok());
    w.vec8(Bytes(256, 1));
    EXPECT_FALSE(w.ok());
    auto s = w.status("test vector");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().alert, AlertDescription::internal_error);
    EXPECT_EQ(s.error().message, "cannot encode test vector: a field of 256 bytes does not fit its 1-byte length");
  }
  {
    Bytes out;
    wire::Writer w(out);
    w.vec16(Bytes(65536, 1));
    EXPECT_FALSE(w.ok());
  }
  {
    Bytes out;
    wire::Writer w(out);
    auto mark = w.open(1);
    w.bytes(Bytes(300, 2));
    w.close(mark);
    EXPECT_FALSE(w.ok());
  }
}

TEST(EncoderLimits, OversizedMessageIsAnErrorNotWrongBytes) {
  // An ALPN list of 300 names of 255 bytes does not fit the extension's 2-byte length.
  std::vector<std::string> names(300, std::string(255, 'p'));
  std::vector<ByteView> views;
  for (const auto& n : names) views.emplace_back(reinterpret_cast<const uint8_t*>(n.data()), n.size());
  wire::ExtensionsBuilder b;
  b.add(wire::ExtensionType::application_layer_protocol_negotiation, wire::ProtocolNameList{views});
  auto list = b.list();
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message.find("does not fit"), std::string::npos) << list.error().message;

  // And a whole connection with such a configuration fails at the ClientHello.
  ClientOptions c;
  c.insecure_skip_verification = true;
  c.alpn = names;
  auto cfg = ClientConfig::create(c);
  ASSERT_TRUE(cfg);
  auto conn = ClientConnection::create(*cfg, test::server_name("localhost"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().alert, AlertDescription::internal_error);
}

TEST(EncoderLimits, SecretsOver64BytesAreRefused) {
  const Bytes big(65, 7);
  auto s = crypto::Secret::from(big);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("65 bytes"), std::string::npos);
  EXPECT_TRUE(crypto::Secret::from(Bytes(64, 7)));
  EXPECT_DEATH({ crypto::Secret never(big); }, "65-byte secret exceeds");
}

// --- Item 9: the certificate is chosen by what the client can verify ----------------------

class CertificateChoiceTest : public ::testing::Test {
 protected:
  static ServerOptions ed25519_then_ecdsa() {
    ServerOptions s;
    s.certificates = {test::pem_pair(pki_for("localhost", KeyType::ed25519)),
                      test::pem_pair(pki_for("localhost", KeyType::ec_p256))};
    return s;
  }
  static ClientOptions trusting_both() {
    ClientOptions c;
    c.ca_files = {root_file(pki_for("localhost", KeyType::ed25519), "ed-root.pem"),
                  root_file(pki_for("localhost", KeyType::ec_p256), "ec-root.pem")};
    return c;
  }
};

TEST_F(CertificateChoiceTest, ClientWithoutEd25519GetsTheEcdsaCertificate) {
  // What NSS and Chromium offer: no Ed25519.
  auto c = trusting_both();
  c.signature_schemes = {SignatureScheme::ecdsa_secp256r1_sha256, SignatureScheme::rsa_pss_rsae_sha256,
                         SignatureScheme::rsa_pkcs1_sha256};
  auto pair = test::connect(c, ed25519_then_ecdsa());
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_EQ(pair->client.negotiated().peer_key, "ECDSA P-256");
  EXPECT_EQ(pair->client.negotiated().signature_scheme, SignatureScheme::ecdsa_secp256r1_sha256);
}

TEST_F(CertificateChoiceTest, ConfiguredOrderWinsWhenTheClientAcceptsBoth) {
  auto pair = test::connect(trusting_both(), ed25519_then_ecdsa());
  ASSERT_TRUE(pair) << pair.error().to_string();
  EXPECT_EQ(pair->client.negotiated().peer_key, "Ed25519");
}

TEST_F(CertificateChoiceTest, NoUsableCertificateIsHandshakeFailure) {
  auto c = trusting_both();
  c.signature_schemes = {SignatureScheme::rsa_pss_rsae_sha256};
  auto pair = test::connect(c, ed25519_then_ecdsa());
  ASSERT_FALSE(pair);
  EXPECT_EQ(pair.error().alert, AlertDescription::handshake_failure);
}

TEST(CertificateChoice, SignatureAlgorithmsCertPrefersAChainTheClientCanVerify) {
  LoadedCertificate rsa_signed, ecdsa_signed;
  rsa_signed.key_type = ecdsa_signed.key_type = KeyType::ec_p256;
  rsa_signed.dns_names = ecdsa_signed.dns_names = {"a.example"};
  rsa_signed.chain_signatures = {pki::SignatureAlgorithm::rsa_pkcs1_sha256};
  ecdsa_signed.chain_signatures = {pki::SignatureAlgorithm::ecdsa_sha256};
  const std::vector<LoadedCertificate> certs = {rsa_signed, ecdsa_signed};
  const std::vector<SignatureScheme> sig_algs = {SignatureScheme::ecdsa_secp256r1_sha256,
                                                 SignatureScheme::rsa_pkcs1_sha256};
  const std::vector<SignatureScheme> only_ecdsa = {SignatureScheme::ecdsa_secp256r1_sha256};
  auto pick = handshake::choose_certificate(certs, "a.example", sig_algs, only_ecdsa, handshake::tls13_handshake_scheme);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->certificate, &certs[1]);
  // Without signature_algorithms_cert, signature_algorithms covers both chains: first wins.
  pick = handshake::choose_certificate(certs, "a.example", sig_algs, {}, handshake::tls13_handshake_scheme);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->certificate, &certs[0]);
  // A chain nobody asked for is still sent when it is all there is (RFC 8446 §4.4.2.2).
  const std::vector<SignatureScheme> only_ed = {SignatureScheme::ed25519};
  pick = handshake::choose_certificate(certs, "a.example", only_ecdsa, only_ed, handshake::tls13_handshake_scheme);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->certificate, &certs[0]);
  EXPECT_EQ(pick->scheme, SignatureScheme::ecdsa_secp256r1_sha256);
}

// --- Item 10: lists of every length the wire format allows ---------------------------------

// A ClientHello as a hostile or merely unusual client sends it, framed into plaintext
// handshake records of at most 2^14 bytes.
Bytes client_hello_records(uint16_t legacy_version, size_t sig_alg_entries, size_t group_entries,
                           const crypto::KeyShare& share) {
  wire::ClientHello ch;
  ch.legacy_version = static_cast<ProtocolVersion>(legacy_version);
  const Bytes random(32, 0x42);
  ch.random = random;
  ch.cipher_suites = {static_cast<CipherSuite>(0x0a0a), static_cast<CipherSuite>(0xc02b),
                      CipherSuite::TLS_AES_128_GCM_SHA256};
  static const uint8_t kNull[1] = {0};
  ch.legacy_compression_methods = kNull;
  std::vector<SignatureScheme> schemes;
  for (size_t i = 0; i < sig_alg_entries; ++i)
    schemes.push_back(static_cast<SignatureScheme>(i % 3 == 0 ? 0x0a0a : 0xfe00 + (i % 200)));  // GREASE, unknown
  schemes.push_back(SignatureScheme::ecdsa_secp256r1_sha256);
  std::vector<NamedGroup> groups;
  for (size_t i = 0; i < group_entries; ++i) groups.push_back(static_cast<NamedGroup>(0x1a1a + (i % 7) * 0x1010));
  groups.push_back(NamedGroup::x25519);
  wire::ExtensionsBuilder b;
  b.add_raw(0x2a2a, {});  // a GREASE extension
  b.add(wire::ExtensionType::supported_versions,
        wire::SupportedVersionsList{{static_cast<ProtocolVersion>(0x7a7a), ProtocolVersion::tls13}});
  b.add(wire::ExtensionType::supported_groups, wire::SupportedGroups{groups});
  b.add(wire::ExtensionType::signature_algorithms, wire::SignatureSchemeList{schemes});
  wire::KeyShareClientHello ks;
  ks.client_shares.push_back({share.group(), share.public_bytes()});
  b.add(wire::ExtensionType::key_share, ks);
  ch.extensions = b.list().value();
  const Bytes msg = wire::encode_message(ch).value();
  Buffer out;
  for (size_t off = 0; off < msg.size(); off += record::kMaxPlaintext)
    record::write_plaintext_record(out, record::ContentType::handshake,
                                   ByteView(msg).subspan(off, std::min(record::kMaxPlaintext, msg.size() - off)));
  return Bytes(out.view().begin(), out.view().end());
}

TEST(ClientHelloLists, ThousandsOfUnknownAndDuplicatedEntriesAreAccepted) {
  auto share = crypto::KeyShare::generate(NamedGroup::x25519, *system_random());
  ASSERT_TRUE(share);
  // 16000 signature schemes and 8000 groups: about 48 KiB, under the 64 KiB message limit.
  const Bytes hello = client_hello_records(0x0303, 16000, 8000, *share);
  ASSERT_GT(hello.size(), 40000u);
  auto server = ServerConnection::create(*ServerConfig::create(test::server_options_for(KeyType::ec_p256)));
  ASSERT_TRUE(server);
  auto s = server->receive(hello);
  ASSERT_TRUE(s) << s.error().to_string();
  const ByteView out = server->pending_output();
  ASSERT_GE(out.size(), 6u);
  EXPECT_EQ(out[0], 22);  // a handshake record
  EXPECT_EQ(out[5], 2);   // holding the ServerHello
  EXPECT_EQ(server->negotiated().signature_scheme, SignatureScheme::ecdsa_secp256r1_sha256);
  EXPECT_EQ(server->negotiated().group, NamedGroup::x25519);
}

TEST(ClientHelloLists, LegacyVersionOfSsl3IsRefusedWithProtocolVersion) {
  auto share = crypto::KeyShare::generate(NamedGroup::x25519, *system_random());
  ASSERT_TRUE(share);
  for (uint16_t v : {uint16_t{0x0300}, uint16_t{0x0200}}) {
    auto server = ServerConnection::create(*ServerConfig::create(test::server_options_for(KeyType::ec_p256)));
    ASSERT_TRUE(server);
    auto s = server->receive(client_hello_records(v, 4, 4, *share));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().alert, AlertDescription::protocol_version);
    EXPECT_NE(s.error().message.find("SSL 3.0 or older"), std::string::npos) << s.error().message;
  }
  // TLS 1.0 in legacy_version with supported_versions offering 1.3 is fine (§4.2.1).
  auto server = ServerConnection::create(*ServerConfig::create(test::server_options_for(KeyType::ec_p256)));
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->receive(client_hello_records(0x0301, 4, 4, *share)));
}

// --- Item 13: an alert instead of a ServerHello says what it means -------------------------

TEST(AlertInsteadOfServerHello, ProtocolVersionMeansNoTls13) {
  for (auto [alert, expected] :
       {std::pair{AlertDescription::protocol_version, "the server does not support TLS 1.3 or TLS 1.2 (it answered protocol_version)"},
        std::pair{AlertDescription::handshake_failure, "it answered handshake_failure"}}) {
    ClientOptions c;
    c.insecure_skip_verification = true;
    auto client = ClientConnection::create(*ClientConfig::create(c), test::server_name("localhost"));
    ASSERT_TRUE(client);
    const uint8_t record[7] = {21, 3, 3, 0, 2, 2, static_cast<uint8_t>(alert)};
    auto s = client->receive(record);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().kind, ErrorKind::alert_received);
    EXPECT_EQ(s.error().alert, alert);
    EXPECT_NE(s.error().message.find(expected), std::string::npos) << s.error().message;
  }
  // A server that just closes (OpenSSL 3.0's s_server -tls1_2 does) is explained too.
  ClientOptions c;
  c.insecure_skip_verification = true;
  auto client = ClientConnection::create(*ClientConfig::create(c), test::server_name("localhost"));
  ASSERT_TRUE(client);
  auto s = client->transport_closed();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::closed);
  EXPECT_EQ(s.error().message,
            "the server closed the connection without answering the ClientHello (it may not support TLS 1.3 or TLS 1.2)");
}

}  // namespace
}  // namespace tlspp
