// The TLS 1.2 server (handshake/tls12_server.cc) against OpenSSL's libssl as the client, in
// process through memory BIOs: every suite and server key type, groups, client
// certificates, session-ID and ticket resumption, the extended master secret, refused
// renegotiation, the downgrade sentinel, TLS_FALLBACK_SCSV, application data and exporters.
// Then ClientHellos made by hand for what OpenSSL never sends (the alerts and sentences of
// RFC 5246's MUSTs), and the session cache and tickets on their own.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "handshake/common.h"
#include "handshake/config_impl.h"
#include "handshake/sessions.h"
#include "keysched/tls12.h"
#include "record/record.h"
#include "support/tls_pair.h"
#include "wire/messages.h"

namespace tlspp {
namespace {

using crypto::KeyType;
using A = AlertDescription;

template <auto Free>
struct Freer {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Freer<SSL_CTX_free>>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, Freer<SSL_SESSION_free>>;

std::string hex(ByteView b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) s += {d[c >> 4], d[c & 15]};
  return s;
}

// A gtest parameter name: letters and digits only.
std::string param_name(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// What the OpenSSL client is set up with.
struct ClientSetup {
  KeyType server_key = KeyType::ec_p256;  // whose test root the client trusts
  const char* ciphers = nullptr;          // OpenSSL names; null: its defaults
  const char* groups = nullptr;
  const pki::TestPki* certificate = nullptr;  // a client certificate to offer
  bool extended_master_secret = true;
  bool tickets = true;
  bool fallback_scsv = false;
};

SslCtxPtr client_ctx(const ClientSetup& setup) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  EXPECT_TRUE(ctx);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  const auto& root = test::shared_pki(setup.server_key).root;
  const std::string root_file = test::write_temp_pem(root, "ossl-root-" + std::to_string(int(setup.server_key)) + ".pem");
  EXPECT_EQ(SSL_CTX_load_verify_locations(ctx.get(), root_file.c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (setup.ciphers) {
    EXPECT_EQ(SSL_CTX_set_cipher_list(ctx.get(), setup.ciphers), 1);
  }
  if (setup.groups) {
    EXPECT_EQ(SSL_CTX_set1_groups_list(ctx.get(), setup.groups), 1);
  }
  if (!setup.extended_master_secret) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
  if (!setup.tickets) SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  if (setup.fallback_scsv) SSL_CTX_set_mode(ctx.get(), SSL_MODE_SEND_FALLBACK_SCSV);
  if (const auto* p = setup.certificate) {
    const uint8_t* der = p->leaf.data();
    X509* leaf = d2i_X509(nullptr, &der, static_cast<long>(p->leaf.size()));
    const Bytes pkcs8 = p->leaf_key.pkcs8_der();
    const uint8_t* k = pkcs8.data();
    EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &k, static_cast<long>(pkcs8.size()));
    EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), leaf), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), key), 1);
    if (!p->intermediate.empty()) {
      const uint8_t* i = p->intermediate.data();
      X509* inter = d2i_X509(nullptr, &i, static_cast<long>(p->intermediate.size()));
      EXPECT_EQ(SSL_CTX_add0_chain_cert(ctx.get(), inter), 1);
    }
    X509_free(leaf);
    EVP_PKEY_free(key);
  }
  return ctx;
}

// One OpenSSL client connection on memory BIOs.
class OsslClient {
 public:
  explicit OsslClient(SSL_CTX* ctx, const char* sni = "localhost") : ssl_(SSL_new(ctx)) {
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    if (sni) SSL_set_tlsext_host_name(ssl_, sni);
    // The test certificates name localhost; other names are sent only as SNI.
    if (sni && std::string_view(sni) == "localhost") SSL_set1_host(ssl_, sni);
  }
  ~OsslClient() {
    // A connection that ended well leaves its session resumable (OpenSSL invalidates the
    // session of one freed without a shutdown).
    if (!failed) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
  }
  OsslClient(const OsslClient&) = delete;
  OsslClient& operator=(const OsslClient&) = delete;

  SSL* ssl() { return ssl_; }
  Bytes take_output() {
    Bytes b(static_cast<size_t>(BIO_ctrl_pending(out_)));
    if (!b.empty()) BIO_read(out_, b.data(), static_cast<int>(b.size()));
    return b;
  }
  void give(ByteView b) { BIO_write(in_, b.data(), static_cast<int>(b.size())); }
  // Advances the handshake or reads application data; remembers a failure.
  void step() {
    if (failed) return;
    int r;
    if (!SSL_is_init_finished(ssl_)) {
      r = SSL_do_handshake(ssl_);
    } else {
      uint8_t buf[4096];
      while ((r = SSL_read(ssl_, buf, sizeof buf)) > 0) received.insert(received.end(), buf, buf + r);
    }
    const int e = SSL_get_error(ssl_, r);
    if (r <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_ZERO_RETURN) {
      failed = true;
      reason = ERR_GET_REASON(ERR_peek_last_error());
      ERR_clear_error();
    }
  }
  void write(std::string_view s) { EXPECT_EQ(SSL_write(ssl_, s.data(), static_cast<int>(s.size())), int(s.size())); }

  Bytes received;
  bool failed = false;
  int reason = 0;  // ERR_GET_REASON of the failure (SSL_R_...)
  Bytes first_flight;  // the ClientHello record as sent

 private:
  SSL* ssl_;
  BIO* in_;
  BIO* out_;
};

// Moves bytes both ways until neither side has more to say. Returns the server's error, if
// it failed (its alert is still delivered to the client).
Status pump(OsslClient& c, ServerConnection& s) {
  Status result;
  for (int i = 0; i < 100; ++i) {
    c.step();
    bool moved = false;
    const Bytes out = c.take_output();
    if (c.first_flight.empty()) c.first_flight = out;
    if (!out.empty() && result) {
      moved = true;
      result = test::offer_all(s, out);
    }
    if (s.wants_write()) {
      moved = true;
      c.give(s.pending_output());
      s.consume_output(s.pending_output().size());
    }
    if (!moved) {
      c.step();
      if (!c.take_output().empty()) continue;
      break;
    }
  }
  return result;
}

std::string read_all(Connection& c) {
  std::string s;
  uint8_t buf[4096];
  while (size_t n = c.read(buf)) s.append(reinterpret_cast<const char*>(buf), n);
  return s;
}

// Application data both ways after the handshake.
void expect_data_both_ways(OsslClient& c, ServerConnection& s) {
  c.write("ping from openssl");
  ASSERT_TRUE(s.write(ByteView(reinterpret_cast<const uint8_t*>("pong from tlspp"), 15)));
  ASSERT_TRUE(pump(c, s));
  EXPECT_EQ(read_all(s), "ping from openssl");
  EXPECT_EQ(std::string(c.received.begin(), c.received.end()), "pong from tlspp");
  c.received.clear();
}

struct Run {
  std::shared_ptr<const ServerConfig> config;
  std::unique_ptr<ServerConnection> server;
  std::unique_ptr<OsslClient> client;
  Status status;
};

std::shared_ptr<const ServerConfig> config_of(const ServerOptions& options) {
  auto cfg = ServerConfig::create(options);
  EXPECT_TRUE(cfg) << cfg.error().to_string();
  return cfg ? *cfg : nullptr;
}

// One handshake of a new OpenSSL client with a new connection of `config`, offering the
// session `resume` when given.
Run run(std::shared_ptr<const ServerConfig> config, SSL_CTX* ctx, SSL_SESSION* resume = nullptr,
        const char* sni = "localhost") {
  Run r;
  r.config = std::move(config);
  auto server = ServerConnection::create(r.config);
  EXPECT_TRUE(server);
  r.server = std::make_unique<ServerConnection>(std::move(*server));
  r.client = std::make_unique<OsslClient>(ctx, sni);
  if (resume) {
    EXPECT_EQ(SSL_set_session(r.client->ssl(), resume), 1);
  }
  r.status = pump(*r.client, *r.server);
  return r;
}
Run run(const ServerOptions& options, SSL_CTX* ctx) { return run(config_of(options), ctx); }

std::string ossl_reason(int reason) {
  const char* s = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, reason));
  return s ? s : "reason " + std::to_string(reason);
}

void expect_ok(const Run& r) {
  ASSERT_TRUE(r.status) << r.status.error().to_string();
  ASSERT_FALSE(r.client->failed) << ossl_reason(r.client->reason);
  ASSERT_TRUE(r.server->handshake_done());
  ASSERT_TRUE(SSL_is_init_finished(r.client->ssl()));
}

// --- suites and keys ------------------------------------------------------------------------

struct SuiteCase {
  CipherSuite suite;
  const char* openssl_name;
  KeyType key;
};

class Suites : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(Suites, HandshakeDataAndExporter) {
  const auto& p = GetParam();
  auto ctx = client_ctx({.server_key = p.key, .ciphers = p.openssl_name});
  auto r = run(test::server_options_for(p.key), ctx.get());
  expect_ok(r);
  const auto& n = r.server->negotiated();
  EXPECT_EQ(n.version, ProtocolVersion::tls12);
  EXPECT_EQ(n.cipher_suite, p.suite);
  EXPECT_EQ(SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(r.client->ssl())), static_cast<uint16_t>(p.suite));
  EXPECT_EQ(n.group, NamedGroup::x25519);
  EXPECT_EQ(n.server_name, "localhost");
  EXPECT_FALSE(n.resumed);
  expect_data_both_ways(*r.client, *r.server);
  // RFC 5705 exporters agree (the session uses the extended master secret, RFC 7627 §5.4).
  const std::string label = "EXPORTER-tlspp-test";
  const uint8_t context[] = {1, 2, 3};
  auto ours = r.server->export_keying_material(label, context, 42);
  ASSERT_TRUE(ours) << ours.error().to_string();
  Bytes theirs(42);
  ASSERT_EQ(SSL_export_keying_material(r.client->ssl(), theirs.data(), theirs.size(), label.data(), label.size(),
                                       context, sizeof context, 1),
            1);
  EXPECT_EQ(*ours, theirs);
}

INSTANTIATE_TEST_SUITE_P(
    All, Suites,
    ::testing::Values(
        SuiteCase{CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", KeyType::ec_p256},
        SuiteCase{CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", KeyType::ec_p256},
        SuiteCase{CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305",
                  KeyType::ec_p256},
        SuiteCase{CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", KeyType::rsa},
        SuiteCase{CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", KeyType::rsa},
        SuiteCase{CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305",
                  KeyType::rsa}),
    [](const auto& p) { return std::string(cipher_suite_name(p.param.suite)); });

struct KeyCase {
  KeyType key;
  SignatureScheme scheme;  // what the ServerKeyExchange is signed with
  bool ecdsa_suite;
};

class ServerKeys : public ::testing::TestWithParam<KeyCase> {};

TEST_P(ServerKeys, SignsTheServerKeyExchange) {
  const auto& p = GetParam();
  auto ctx = client_ctx({.server_key = p.key});
  auto r = run(test::server_options_for(p.key), ctx.get());
  expect_ok(r);
  const auto& n = r.server->negotiated();
  EXPECT_EQ(n.signature_scheme, p.scheme);
  EXPECT_EQ(handshake::tls12_suite(n.cipher_suite)->ecdsa, p.ecdsa_suite);
  int nid = 0;
  ASSERT_EQ(SSL_get_peer_signature_type_nid(r.client->ssl(), &nid), 1);
  EXPECT_NE(nid, NID_undef);
  expect_data_both_ways(*r.client, *r.server);
}

INSTANTIATE_TEST_SUITE_P(All, ServerKeys,
                         ::testing::Values(KeyCase{KeyType::ec_p256, SignatureScheme::ecdsa_secp256r1_sha256, true},
                                           KeyCase{KeyType::ec_p384, SignatureScheme::ecdsa_secp384r1_sha384, true},
                                           KeyCase{KeyType::rsa, SignatureScheme::rsa_pss_rsae_sha256, false},
                                           KeyCase{KeyType::ed25519, SignatureScheme::ed25519, true}),
                         [](const auto& p) { return param_name(crypto::key_type_name(p.param.key)); });

// Options serving the test certificates of two key types, `first` first.
ServerOptions serving(KeyType first, KeyType second) {
  auto s = test::server_options_for(first);
  s.certificates.push_back(test::pem_pair(test::shared_pki(second)));
  return s;
}

TEST(Tls12Server, RsaPkcs1WhenTheClientOffersNoPss) {
  auto ctx = client_ctx({.server_key = KeyType::rsa});
  ASSERT_EQ(SSL_CTX_set1_sigalgs_list(ctx.get(), "RSA+SHA384:RSA+SHA256"), 1);
  auto r = run(test::server_options_for(KeyType::rsa), ctx.get());
  expect_ok(r);
  EXPECT_EQ(r.server->negotiated().signature_scheme, SignatureScheme::rsa_pkcs1_sha256);
}

TEST(Tls12Server, PicksTheCertificateThatSuitsTheSuite) {
  // An ECDSA and an RSA certificate: a client offering only ECDHE_RSA gets the RSA one.
  auto s = serving(KeyType::ec_p256, KeyType::rsa);
  auto ctx = client_ctx({.server_key = KeyType::rsa, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"});
  auto r = run(s, ctx.get());
  expect_ok(r);
  EXPECT_EQ(r.server->negotiated().cipher_suite, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
  // Server order wins by default; with the client's order, the client's first suite.
  auto ctx2 = client_ctx({.server_key = KeyType::ec_p256,
                          .ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256"});
  auto r2 = run(s, ctx2.get());
  expect_ok(r2);
  EXPECT_EQ(r2.server->negotiated().cipher_suite, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
  s.prefer_server_cipher_order = false;
  auto r3 = run(s, ctx2.get());
  expect_ok(r3);
  EXPECT_EQ(r3.server->negotiated().cipher_suite, CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
}

TEST(Tls12Server, NoCertificateForTheClientsSuites) {
  auto ctx = client_ctx({.server_key = KeyType::ec_p256, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"});
  auto r = run(test::server_options_for(KeyType::ec_p256), ctx.get());
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.error().alert, A::handshake_failure);
  EXPECT_NE(r.status.error().message.find("no server certificate suits the cipher suites in common"),
            std::string::npos)
      << r.status.error().message;
  EXPECT_TRUE(r.client->failed);
  EXPECT_EQ(r.client->reason, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
}

class Groups : public ::testing::TestWithParam<std::pair<const char*, NamedGroup>> {};

TEST_P(Groups, Ecdhe) {
  // An RSA certificate, so that the client's groups constrain the ECDHE group alone.
  auto ctx = client_ctx({.server_key = KeyType::rsa, .groups = GetParam().first});
  auto r = run(test::server_options_for(KeyType::rsa), ctx.get());
  expect_ok(r);
  EXPECT_EQ(r.server->negotiated().group, GetParam().second);
  expect_data_both_ways(*r.client, *r.server);
}

INSTANTIATE_TEST_SUITE_P(All, Groups,
                         ::testing::Values(std::pair{"X25519", NamedGroup::x25519},
                                           std::pair{"P-256", NamedGroup::secp256r1},
                                           std::pair{"P-384", NamedGroup::secp384r1}),
                         [](const auto& p) { return std::string(named_group_name(p.param.second)); });

TEST(Tls12Server, EcdsaCertificateOnACurveTheClientLists) {
  // RFC 8422 §5.3: the key in the certificate respects the client's curves.
  auto s = serving(KeyType::ec_p256, KeyType::ec_p384);
  auto ctx = client_ctx({.server_key = KeyType::ec_p384, .groups = "X25519:P-384"});
  auto r = run(s, ctx.get());
  expect_ok(r);
  EXPECT_EQ(r.server->negotiated().signature_scheme, SignatureScheme::ecdsa_secp384r1_sha384);
  EXPECT_EQ(r.server->negotiated().group, NamedGroup::x25519);
}

TEST(Tls12Server, NoCommonGroup) {
  auto ctx = client_ctx({.groups = "P-256"});
  auto s = test::server_options_for(KeyType::ec_p256);
  s.groups = {NamedGroup::x25519};
  auto r = run(s, ctx.get());
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.error().alert, A::handshake_failure);
  EXPECT_NE(r.status.error().message.find("no key exchange group in common"), std::string::npos);
}

TEST(Tls12Server, Alpn) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.alpn = {"h2", "http/1.1"};
  auto ctx = client_ctx({});
  const uint8_t protos[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1', 2, 'h', '2'};
  ASSERT_EQ(SSL_CTX_set_alpn_protos(ctx.get(), protos, sizeof protos), 0);
  auto r = run(s, ctx.get());
  expect_ok(r);
  EXPECT_EQ(r.server->negotiated().alpn, "h2");
  const uint8_t* sel = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(r.client->ssl(), &sel, &len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sel), len), "h2");
}

// --- what the server says about itself ------------------------------------------------------

TEST(Tls12Server, DowngradeSentinelOnlyWhenTls13WasPossible) {
  auto ctx = client_ctx({});
  const auto sentinel = [](OsslClient& c) {
    uint8_t random[32];
    EXPECT_EQ(SSL_get_server_random(c.ssl(), random, sizeof random), sizeof random);
    return wire::downgrade_sentinel(ByteView(random));
  };
  // RFC 8446 §4.1.3: a TLS 1.3 server that negotiates TLS 1.2 says so in its random.
  auto r = run(test::server_options_for(KeyType::ec_p256), ctx.get());
  expect_ok(r);
  EXPECT_EQ(sentinel(*r.client), wire::DowngradeSentinel::tls12);
  auto s = test::server_options_for(KeyType::ec_p256);
  s.max_version = ProtocolVersion::tls12;
  auto r2 = run(s, ctx.get());
  expect_ok(r2);
  EXPECT_EQ(sentinel(*r2.client), wire::DowngradeSentinel::none);
}

TEST(Tls12Server, FallbackScsvRefusedByATls13Server) {
  // RFC 7507 §3: a client retrying with less than it speaks, to a server that could give it
  // TLS 1.3, is being downgraded.
  auto ctx = client_ctx({.fallback_scsv = true});
  auto r = run(test::server_options_for(KeyType::ec_p256), ctx.get());
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.error().alert, A::inappropriate_fallback);
  EXPECT_TRUE(r.client->failed);
  EXPECT_EQ(r.client->reason, SSL_R_TLSV1_ALERT_INAPPROPRIATE_FALLBACK);
  // A TLS 1.2-only server is the best the client can get.
  auto s = test::server_options_for(KeyType::ec_p256);
  s.max_version = ProtocolVersion::tls12;
  auto r2 = run(s, ctx.get());
  expect_ok(r2);
}

TEST(Tls12Server, ExtendedMasterSecretAndKeyLog) {
  std::vector<std::string> lines;
  auto s = test::server_options_for(KeyType::ec_p256);
  s.keylog = [&](const std::string& line) { lines.push_back(line); };
  auto ctx = client_ctx({});
  auto r = run(s, ctx.get());
  expect_ok(r);
  EXPECT_EQ(SSL_get_extms_support(r.client->ssl()), 1);
  // The NSS key log line names the client random and the master secret OpenSSL has too.
  uint8_t random[32], master[48];
  ASSERT_EQ(SSL_get_client_random(r.client->ssl(), random, sizeof random), sizeof random);
  ASSERT_EQ(SSL_SESSION_get_master_key(SSL_get_session(r.client->ssl()), master, sizeof master), sizeof master);
  EXPECT_EQ(lines, std::vector<std::string>{"CLIENT_RANDOM " + hex(random) + " " + hex(master)});
}

TEST(Tls12Server, WithoutExtendedMasterSecretNoExporter) {
  auto ctx = client_ctx({.extended_master_secret = false});
  auto r = run(test::server_options_for(KeyType::ec_p256), ctx.get());
  expect_ok(r);
  EXPECT_EQ(SSL_get_extms_support(r.client->ssl()), 0);
  expect_data_both_ways(*r.client, *r.server);
  // RFC 7627 §5.4.
  auto e = r.server->export_keying_material("EXPORTER-x", {}, 16);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("RFC 7627"), std::string::npos);
}

TEST(Tls12Server, EventsNameTheMessages) {
  std::vector<std::pair<EventType, MessageType>> seen;
  std::vector<std::pair<std::string, std::string>> ske_details;
  auto s = test::server_options_for(KeyType::ec_p256);
  s.tickets = 0;  // the flow without RFC 5077's NewSessionTicket
  s.on_event = [&](const Event& e) {
    if (e.type != EventType::message_sent && e.type != EventType::message_received) return;
    seen.emplace_back(e.type, e.message.type);
    if (e.message.type == MessageType::server_key_exchange) ske_details = e.details;
  };
  auto ctx = client_ctx({});
  auto r = run(s, ctx.get());
  expect_ok(r);
  using E = EventType;
  using M = MessageType;
  const std::vector<std::pair<E, M>> want = {
      {E::message_received, M::client_hello},        {E::message_sent, M::server_hello},
      {E::message_sent, M::certificate},             {E::message_sent, M::server_key_exchange},
      {E::message_sent, M::server_hello_done},       {E::message_received, M::client_key_exchange},
      {E::message_received, M::change_cipher_spec},  {E::message_received, M::finished},
      {E::message_sent, M::change_cipher_spec},      {E::message_sent, M::finished}};
  EXPECT_EQ(seen, want);
  const std::vector<std::pair<std::string, std::string>> want_ske = {{"named_curve", "x25519"},
                                                                     {"signature_scheme", "ecdsa_secp256r1_sha256"}};
  EXPECT_EQ(ske_details, want_ske);
}

// --- client certificates --------------------------------------------------------------------

ServerOptions client_auth_options(ClientAuth mode, KeyType client_key = KeyType::ec_p256) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.client_auth = mode;
  s.client_ca_files = {
      test::write_temp_pem(test::shared_pki(client_key, "client").root, "client-root-" + std::to_string(int(client_key)))};
  return s;
}

class ClientCertificates : public ::testing::TestWithParam<KeyType> {};

TEST_P(ClientCertificates, RequiredAndSent) {
  const auto& client_pki = test::shared_pki(GetParam(), "client");
  auto ctx = client_ctx({.certificate = &client_pki});
  auto r = run(client_auth_options(ClientAuth::required, GetParam()), ctx.get());
  expect_ok(r);
  const auto& n = r.server->negotiated();
  EXPECT_TRUE(n.peer_verified);
  EXPECT_NE(n.peer_subject.find("CN=client"), std::string::npos) << n.peer_subject;
  ASSERT_FALSE(n.peer_certificates.empty());
  EXPECT_EQ(n.peer_certificates[0], client_pki.leaf);
  expect_data_both_ways(*r.client, *r.server);
}

INSTANTIATE_TEST_SUITE_P(All, ClientCertificates, ::testing::Values(KeyType::ec_p256, KeyType::rsa, KeyType::ed25519),
                         [](const auto& p) { return param_name(crypto::key_type_name(p.param)); });

TEST(Tls12ServerClientAuth, RequiredButNoneSent) {
  auto ctx = client_ctx({});
  auto r = run(client_auth_options(ClientAuth::required), ctx.get());
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.error().alert, A::handshake_failure);
  EXPECT_EQ(r.status.error().message, "the client sent no certificate, and this server requires one");
  EXPECT_TRUE(r.client->failed);
}

TEST(Tls12ServerClientAuth, OptionalWithAndWithout) {
  auto ctx = client_ctx({.certificate = &test::shared_pki(KeyType::ec_p256, "client")});
  auto r = run(client_auth_options(ClientAuth::optional), ctx.get());
  expect_ok(r);
  EXPECT_TRUE(r.server->negotiated().peer_verified);
  auto bare = client_ctx({});
  auto r2 = run(client_auth_options(ClientAuth::optional), bare.get());
  expect_ok(r2);
  EXPECT_FALSE(r2.server->negotiated().peer_verified);
  EXPECT_TRUE(r2.server->negotiated().peer_certificates.empty());
  expect_data_both_ways(*r2.client, *r2.server);
}

TEST(Tls12ServerClientAuth, NoneAsksForNothing) {
  auto ctx = client_ctx({.certificate = &test::shared_pki(KeyType::ec_p256, "client")});
  auto r = run(test::server_options_for(KeyType::ec_p256), ctx.get());
  expect_ok(r);
  EXPECT_TRUE(r.server->negotiated().peer_certificates.empty());
  const STACK_OF(X509_NAME)* cas = SSL_get_client_CA_list(r.client->ssl());
  EXPECT_TRUE(cas == nullptr || sk_X509_NAME_num(cas) == 0);
}

TEST(Tls12ServerClientAuth, CertificateRequestNamesTheClientCas) {
  auto ctx = client_ctx({.certificate = &test::shared_pki(KeyType::ec_p256, "client")});
  auto r = run(client_auth_options(ClientAuth::required), ctx.get());
  expect_ok(r);
  const STACK_OF(X509_NAME)* cas = SSL_get_client_CA_list(r.client->ssl());
  ASSERT_NE(cas, nullptr);
  ASSERT_EQ(sk_X509_NAME_num(cas), 1);
  uint8_t* der = nullptr;
  const int len = i2d_X509_NAME(sk_X509_NAME_value(cas, 0), &der);
  const auto root = pki::parse_certificate(test::shared_pki(KeyType::ec_p256, "client").root);
  ASSERT_TRUE(root);
  EXPECT_EQ(Bytes(der, der + len), Bytes(root->subject.begin(), root->subject.end()));
  OPENSSL_free(der);
}

TEST(Tls12ServerClientAuth, UntrustedClientCertificate) {
  // A client certificate from a CA the server does not trust.
  auto ctx = client_ctx({.certificate = &test::shared_pki(KeyType::ec_p256, "stranger")});
  auto r = run(client_auth_options(ClientAuth::required), ctx.get());
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.error().kind, ErrorKind::bad_certificate) << r.status.error().to_string();
  EXPECT_FALSE(r.server->negotiated().peer_verified);
}

// --- resumption -----------------------------------------------------------------------------

SslSessionPtr session_of(OsslClient& c) { return SslSessionPtr(SSL_get1_session(c.ssl())); }

// A full handshake with `config`, then another connection that offers its session (from
// `second_ctx`, by default the same client context).
struct Resumption {
  Run first, second;
  SslSessionPtr session;
};
Resumption resume_after(const std::shared_ptr<const ServerConfig>& config, SSL_CTX* ctx, SSL_CTX* second_ctx = nullptr,
                        const char* sni = "localhost") {
  Resumption r;
  r.first = run(config, ctx);
  expect_ok(r.first);
  r.session = session_of(*r.first.client);
  r.second = run(config, second_ctx ? second_ctx : ctx, r.session.get(), sni);
  return r;
}

void expect_resumed(const Run& r) {
  expect_ok(r);
  EXPECT_TRUE(r.server->negotiated().resumed);
  EXPECT_EQ(SSL_session_reused(r.client->ssl()), 1);
}

TEST(Tls12Resumption, BySessionId) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.tickets = 0;  // no RFC 5077 tickets: the session ID is what resumes
  const auto cfg = config_of(s);
  auto ctx = client_ctx({});
  auto r = resume_after(cfg, ctx.get());
  unsigned id_len = 0;
  SSL_SESSION_get_id(r.session.get(), &id_len);
  EXPECT_EQ(id_len, 32u);
  EXPECT_EQ(SSL_SESSION_has_ticket(r.session.get()), 0);
  EXPECT_EQ(cfg->impl().session_cache->size(), 1u);
  expect_resumed(r.second);
  EXPECT_EQ(r.second.server->negotiated().cipher_suite, r.first.server->negotiated().cipher_suite);
  expect_data_both_ways(*r.second.client, *r.second.server);
  // Exporters of a resumed session use its master secret and the new randoms.
  const uint8_t context[] = {9};
  Bytes theirs(20);
  ASSERT_EQ(SSL_export_keying_material(r.second.client->ssl(), theirs.data(), theirs.size(), "EXPORTER-r", 10, context,
                                       sizeof context, 1),
            1);
  auto ours = r.second.server->export_keying_material("EXPORTER-r", context, 20);
  ASSERT_TRUE(ours);
  EXPECT_EQ(*ours, theirs);
}

TEST(Tls12Resumption, ByTicket) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.tickets = 1;
  const auto cfg = config_of(s);
  auto ctx = client_ctx({});
  auto r = resume_after(cfg, ctx.get());
  EXPECT_EQ(SSL_SESSION_has_ticket(r.session.get()), 1);
  EXPECT_EQ(SSL_SESSION_get_ticket_lifetime_hint(r.session.get()), 7200u);
  // RFC 5077 §3.4: the server that issues a ticket gives no session ID, and keeps nothing.
  EXPECT_EQ(cfg->impl().session_cache->size(), 0u);
  expect_resumed(r.second);
  expect_data_both_ways(*r.second.client, *r.second.server);
  // A server with another ticket key does not open it; one with the same key does.
  auto other = run(config_of(s), ctx.get(), r.session.get());
  expect_ok(other);
  EXPECT_FALSE(other.server->negotiated().resumed);
  s.ticket_key = Bytes(32, 9);
  auto issued = run(config_of(s), ctx.get());
  expect_ok(issued);
  auto shared = session_of(*issued.client);
  auto elsewhere = run(config_of(s), ctx.get(), shared.get());
  expect_resumed(elsewhere);
}

TEST(Tls12Resumption, SessionIdWhenTheClientAsksForNoTicket) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.tickets = 1;
  auto no_tickets = client_ctx({.tickets = false});
  auto r = resume_after(config_of(s), no_tickets.get());
  EXPECT_EQ(SSL_SESSION_has_ticket(r.session.get()), 0);
  expect_resumed(r.second);
}

TEST(Tls12Resumption, NoSessionIdWithoutACache) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.session_cache_size = 0;
  s.tickets = 0;
  auto ctx = client_ctx({});
  auto r = resume_after(config_of(s), ctx.get());
  unsigned id_len = 1;
  SSL_SESSION_get_id(r.session.get(), &id_len);
  EXPECT_EQ(id_len, 0u);
  expect_ok(r.second);
  EXPECT_FALSE(r.second.server->negotiated().resumed);
}

TEST(Tls12Resumption, RestoresTheClientIdentity) {
  for (unsigned tickets : {0u, 1u}) {
    auto s = client_auth_options(ClientAuth::required);
    s.tickets = tickets;
    auto ctx = client_ctx({.certificate = &test::shared_pki(KeyType::ec_p256, "client")});
    auto r = resume_after(config_of(s), ctx.get());
    expect_resumed(r.second);
    const auto& n = r.second.server->negotiated();
    EXPECT_TRUE(n.peer_verified) << "tickets " << tickets;
    EXPECT_EQ(n.peer_subject, r.first.server->negotiated().peer_subject);
    EXPECT_EQ(n.peer_key, r.first.server->negotiated().peer_key);
  }
}

TEST(Tls12Resumption, OnlyUnderTheSameServerNameAndWhileAlive) {
  for (unsigned tickets : {0u, 1u}) {
    std::time_t now = std::time(nullptr);
    size_t offers = 0;  // ClientHellos that offered the session
    auto s = test::server_options_for(KeyType::ec_p256);
    s.on_event = [&](const Event& e) {
      if (e.type != EventType::message_received || e.message.type != MessageType::client_hello) return;
      offers += std::any_of(e.details.begin(), e.details.end(), [](const auto& d) {
        return d.first == "session_id" || (d.first == "session_ticket" && d.second != "0 bytes");
      });
    };
    s.tickets = tickets;
    s.ticket_lifetime_seconds = 100;
    s.clock = [&now] { return now; };
    const auto cfg = config_of(s);
    auto ctx = client_ctx({});
    // Another name (OpenSSL checks no host name here, so the certificate still verifies).
    auto r = resume_after(cfg, ctx.get(), nullptr, "other.example");
    expect_ok(r.second);
    EXPECT_FALSE(r.second.server->negotiated().resumed);
    EXPECT_EQ(r.second.server->negotiated().server_name, "other.example");
    now += 100;
    expect_resumed(run(cfg, ctx.get(), r.session.get()));
    now += 1;
    auto expired = run(cfg, ctx.get(), r.session.get());
    expect_ok(expired);
    EXPECT_FALSE(expired.server->negotiated().resumed) << "tickets " << tickets;
    EXPECT_EQ(offers, 3u);  // every refusal above was the server's
  }
}

TEST(Tls12Resumption, OnlyWithTheSameAlpnProtocol) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.alpn = {"h2", "http/1.1"};
  const auto cfg = config_of(s);
  auto h2 = client_ctx({});
  auto http = client_ctx({});
  const uint8_t h2_list[] = {2, 'h', '2'};
  const uint8_t http_list[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  ASSERT_EQ(SSL_CTX_set_alpn_protos(h2.get(), h2_list, sizeof h2_list), 0);
  ASSERT_EQ(SSL_CTX_set_alpn_protos(http.get(), http_list, sizeof http_list), 0);
  expect_resumed(resume_after(cfg, h2.get()).second);
  auto r = resume_after(cfg, h2.get(), http.get());
  expect_ok(r.second);
  EXPECT_FALSE(r.second.server->negotiated().resumed);
  EXPECT_EQ(r.second.server->negotiated().alpn, "http/1.1");
}

TEST(Tls12Resumption, ExtendedMasterSecretRules) {
  const auto cfg = config_of(test::server_options_for(KeyType::ec_p256));
  auto with = client_ctx({});
  auto without = client_ctx({.extended_master_secret = false});
  // RFC 7627 §5.3: a session with the extended master secret, resumed by a hello without it,
  // ends the handshake.
  auto r = resume_after(cfg, with.get(), without.get());
  ASSERT_FALSE(r.second.status);
  EXPECT_EQ(r.second.status.error().alert, A::handshake_failure);
  EXPECT_NE(r.second.status.error().message.find("RFC 7627 §5.3"), std::string::npos);
  // A session without it is never resumed: a full handshake.
  auto legacy = resume_after(cfg, without.get());
  expect_ok(legacy.second);
  EXPECT_FALSE(legacy.second.server->negotiated().resumed);
}

TEST(Tls12Resumption, RefusedWhenResumptionIsOff) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.accept_resumption = false;
  s.tickets = 1;
  auto ctx = client_ctx({});
  auto r = resume_after(config_of(s), ctx.get());
  EXPECT_EQ(SSL_SESSION_has_ticket(r.session.get()), 0);
  expect_ok(r.second);
  EXPECT_FALSE(r.second.server->negotiated().resumed);
}

// --- renegotiation --------------------------------------------------------------------------

// Follows the records of an established TLS 1.2 connection in both directions, opening and
// sealing each again, so that the test can add a record or take one away while each side's
// sequence numbers still run as it expects (RFC 5246 §6.2.3.3).
class Relay {
 public:
  Relay(OsslClient& c, const Negotiated& n) {
    uint8_t cr[32], sr[32], master[48];
    EXPECT_EQ(SSL_get_client_random(c.ssl(), cr, 32), 32u);
    EXPECT_EQ(SSL_get_server_random(c.ssl(), sr, 32), 32u);
    EXPECT_EQ(SSL_SESSION_get_master_key(SSL_get_session(c.ssl()), master, 48), 48u);
    const auto params = *handshake::tls12_suite(n.cipher_suite);
    const auto kb = keysched::tls12::key_block(params.hash, params.aead, ByteView(master), ByteView(cr), ByteView(sr));
    for (auto* p : {&from_client_, &to_server_})
      EXPECT_TRUE(p->install(params.aead, kb.client_write_key.view(), kb.client_write_iv.view(), record::RecordForm::tls12));
    for (auto* p : {&from_server_, &to_client_})
      EXPECT_TRUE(p->install(params.aead, kb.server_write_key.view(), kb.server_write_iv.view(), record::RecordForm::tls12));
    // Each side has sent its Finished under these keys.
    for (auto* p : {&from_client_, &to_server_, &from_server_, &to_client_}) p->set_sequence(1);
  }

  // Seals a handshake record for the server as if the client had sent it.
  Bytes inject_to_server(ByteView message) {
    Buffer out;
    EXPECT_TRUE(to_server_.seal(record::ContentType::handshake, message, 0, out));
    return Bytes(out.view().begin(), out.view().end());
  }
  // Passes records on, dropping those `drop` picks.
  template <class Drop>
  Bytes forward(ByteView wire, bool from_client, Drop drop) {
    record::Deframer d;
    d.feed(wire);
    Buffer out;
    auto& open = from_client ? from_client_ : from_server_;
    auto& seal = from_client ? to_server_ : to_client_;
    while (true) {
      auto rec = d.next();
      EXPECT_TRUE(rec);
      if (!rec || !*rec) break;
      auto opened = open.open(**rec);
      EXPECT_TRUE(opened);
      if (!opened) break;
      if (drop(opened->type, ByteView(opened->plaintext))) continue;
      EXPECT_TRUE(seal.seal(opened->type, opened->plaintext, 0, out));
    }
    return Bytes(out.view().begin(), out.view().end());
  }

 private:
  record::Protection from_client_, to_server_, from_server_, to_client_;
};

// A handshake with a server that notes the alerts it sends.
Run run_noting_alerts(std::vector<AlertInfo>& alerts, SSL_CTX* ctx) {
  auto s = test::server_options_for(KeyType::ec_p256);
  s.on_event = [&alerts](const Event& e) {
    if (e.type == EventType::alert_sent) alerts.push_back(e.alert);
  };
  auto r = run(s, ctx);
  expect_ok(r);
  return r;
}

TEST(Tls12Renegotiation, OpensslRenegotiationIsRefusedWithAWarning) {
  std::vector<AlertInfo> alerts_sent;
  auto ctx = client_ctx({});
  auto r = run_noting_alerts(alerts_sent, ctx.get());
  expect_data_both_ways(*r.client, *r.server);
  EXPECT_EQ(SSL_get_secure_renegotiation_support(r.client->ssl()), 1);
  ASSERT_EQ(SSL_renegotiate(r.client->ssl()), 1);
  ASSERT_LE(SSL_do_handshake(r.client->ssl()), 0);  // the ClientHello is out; it waits
  const Bytes hello = r.client->take_output();
  ASSERT_FALSE(hello.empty());
  // RFC 5746 §4.4 / RFC 5246 §7.4.1.2: the server refuses with a warning and carries on.
  ASSERT_TRUE(r.server->receive(hello));
  ASSERT_EQ(alerts_sent.size(), 1u);
  EXPECT_EQ(alerts_sent[0].description, A::no_renegotiation);
  EXPECT_EQ(alerts_sent[0].level, AlertLevel::warning);
  EXPECT_FALSE(r.server->error());
  // OpenSSL's client treats a refused renegotiation as fatal (its policy, not the RFC's:
  // "the client may then continue or abort"), so the warning ends this connection on its side.
  r.client->give(r.server->pending_output());
  r.server->consume_output(r.server->pending_output().size());
  r.client->step();
  EXPECT_TRUE(r.client->failed);
  EXPECT_EQ(r.client->reason, SSL_R_NO_RENEGOTIATION);
}

TEST(Tls12Renegotiation, ConnectionCarriesOnAfterTheRefusal) {
  // A client that accepts the refusal, played by a relay between OpenSSL and tlspp: the
  // relay sends tlspp a renegotiating ClientHello (OpenSSL's own first one, again) under
  // the client's keys and keeps tlspp's warning from OpenSSL, re-sequencing the records
  // around both. Data must then flow both ways as before.
  std::vector<AlertInfo> alerts_sent;
  auto ctx = client_ctx({});
  auto r = run_noting_alerts(alerts_sent, ctx.get());
  const ByteView hello = ByteView(r.client->first_flight).subspan(record::kHeaderLen);
  ASSERT_EQ(hello[0], 1);  // ClientHello
  Relay relay(*r.client, r.server->negotiated());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(r.server->receive(relay.inject_to_server(hello))) << r.server->error()->to_string();
    bool warned = false;
    const Bytes to_client = relay.forward(r.server->pending_output(), false, [&](record::ContentType t, ByteView b) {
      const bool warning = t == record::ContentType::alert && b.size() == 2 && b[0] == 1 && b[1] == 100;
      warned |= warning;
      return warning;
    });
    r.server->consume_output(r.server->pending_output().size());
    EXPECT_TRUE(warned);
    EXPECT_TRUE(to_client.empty());
    // Data both ways through the relay.
    r.client->write("client after refusal " + std::to_string(round));
    const std::string server_says = "server after refusal " + std::to_string(round);
    ASSERT_TRUE(r.server->write(ByteView(reinterpret_cast<const uint8_t*>(server_says.data()), server_says.size())));
    const auto keep = [](record::ContentType, ByteView) { return false; };
    ASSERT_TRUE(r.server->receive(relay.forward(r.client->take_output(), true, keep)));
    r.client->give(relay.forward(r.server->pending_output(), false, keep));
    r.server->consume_output(r.server->pending_output().size());
    r.client->step();
    ASSERT_FALSE(r.client->failed) << r.client->reason;
    EXPECT_EQ(read_all(*r.server), "client after refusal " + std::to_string(round));
    EXPECT_EQ(std::string(r.client->received.begin(), r.client->received.end()), server_says);
    r.client->received.clear();
  }
  EXPECT_EQ(alerts_sent.size(), 3u);
}

// --- ClientHellos by hand -------------------------------------------------------------------

struct Hello {
  std::vector<CipherSuite> suites = {CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
  Bytes compression = {0};
  bool signature_algorithms = true;
  std::optional<Bytes> point_formats = std::nullopt;  // the extension's data
  std::optional<Bytes> renegotiation_info = std::nullopt;
  std::vector<NamedGroup> groups = {NamedGroup::x25519, NamedGroup::secp256r1};
};

// A TLS 1.2 ClientHello as one plaintext record.
Bytes hello_record(const Hello& h) {
  wire::ExtensionsBuilder b;
  if (h.signature_algorithms)
    b.add(wire::ExtensionType::signature_algorithms, wire::SignatureSchemeList{{SignatureScheme::ecdsa_secp256r1_sha256}});
  if (!h.groups.empty()) b.add(wire::ExtensionType::supported_groups, wire::SupportedGroups{h.groups});
  if (h.point_formats) b.add_raw(static_cast<uint16_t>(wire::ExtensionType::ec_point_formats), *h.point_formats);
  if (h.renegotiation_info)
    b.add_raw(static_cast<uint16_t>(wire::ExtensionType::renegotiation_info), *h.renegotiation_info);
  const uint8_t random[32] = {7};
  wire::ClientHello ch;
  ch.legacy_version = ProtocolVersion::tls12;
  ch.random = ByteView(random);
  ch.cipher_suites = h.suites;
  ch.legacy_compression_methods = h.compression;
  auto exts = b.list();
  EXPECT_TRUE(exts);
  ch.extensions = *exts;
  auto msg = wire::encode_message(ch);
  EXPECT_TRUE(msg);
  Bytes rec = {22, 3, 3, uint8_t(msg->size() >> 8), uint8_t(msg->size())};
  rec.insert(rec.end(), msg->begin(), msg->end());
  return rec;
}

struct Fed {
  std::unique_ptr<ServerConnection> server;
  Status status;
};

Fed feed(ByteView bytes, const ServerOptions& s = test::server_options_for(KeyType::ec_p256)) {
  auto server = ServerConnection::create(config_of(s));
  EXPECT_TRUE(server);
  Fed f{std::make_unique<ServerConnection>(std::move(*server)), {}};
  f.status = test::offer_all(*f.server, bytes);
  return f;
}

void expect_refused(const Hello& h, AlertDescription alert, const std::string& sentence) {
  const auto f = feed(hello_record(h));
  ASSERT_FALSE(f.status);
  EXPECT_EQ(f.status.error().alert, alert) << f.status.error().to_string();
  EXPECT_NE(f.status.error().message.find(sentence), std::string::npos) << f.status.error().message;
}

TEST(Tls12ServerHello, AcceptedAsWritten) {
  const auto f = feed(hello_record({}));
  ASSERT_TRUE(f.status) << f.status.error().to_string();
  EXPECT_TRUE(f.server->wants_write());
  EXPECT_EQ(f.server->negotiated().version, ProtocolVersion::tls12);
}

TEST(Tls12ServerHello, NoSignatureAlgorithmsMeansSha1) {
  expect_refused({.signature_algorithms = false}, A::handshake_failure,
                 "the client sent no signature_algorithms, which in TLS 1.2 means it accepts only SHA-1 signatures "
                 "(RFC 5246 §7.4.1.4.1), and this server does not sign with SHA-1");
}

TEST(Tls12ServerHello, PointFormatsMustListUncompressed) {
  expect_refused({.point_formats = Bytes{1, 1}}, A::illegal_parameter, "does not include uncompressed");
  const auto ok = feed(hello_record({.point_formats = Bytes{2, 1, 0}}));
  EXPECT_TRUE(ok.status);
}

TEST(Tls12ServerHello, RenegotiationInfoMustBeEmpty) {
  expect_refused({.renegotiation_info = Bytes{12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}, A::handshake_failure,
                 "renegotiation_info is not empty");
  EXPECT_TRUE(feed(hello_record({.renegotiation_info = Bytes{0}})).status);
}

TEST(Tls12ServerHello, CompressionMustIncludeNull) {
  expect_refused({.compression = {1}}, A::illegal_parameter, "null compression method");
  EXPECT_TRUE(feed(hello_record({.compression = {1, 0}})).status);
}

TEST(Tls12ServerHello, NothingInCommon) {
  expect_refused({.suites = {CipherSuite::TLS_AES_128_GCM_SHA256, static_cast<CipherSuite>(0x009c)}},
                 A::handshake_failure, "no TLS 1.2 cipher suite in common with the client");
  // RFC 8422 §5.3: the P-256 certificate is on no curve the client lists.
  expect_refused({.groups = {NamedGroup::x25519}}, A::handshake_failure, "on a curve it lists (x25519)");
  auto s = test::server_options_for(KeyType::ec_p256);
  s.groups = {NamedGroup::x25519};
  const auto g = feed(hello_record({.groups = {NamedGroup::secp256r1}}), s);
  ASSERT_FALSE(g.status);
  EXPECT_EQ(g.status.error().alert, A::handshake_failure);
  EXPECT_NE(g.status.error().message.find("no key exchange group in common"), std::string::npos);
  // Without supported_groups the client takes any group (ours first) and any curve.
  const auto f = feed(hello_record({.groups = {}}));
  ASSERT_TRUE(f.status);
  EXPECT_EQ(f.server->negotiated().group, NamedGroup::x25519);
}

TEST(Tls12ServerHello, OutOfOrderMessages) {
  Bytes bytes = hello_record({});
  // A Finished where the ClientKeyExchange belongs.
  const Bytes finished = {22, 3, 3, 0, 16, 20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  bytes.insert(bytes.end(), finished.begin(), finished.end());
  const auto f = feed(bytes);
  ASSERT_FALSE(f.status);
  EXPECT_EQ(f.status.error().alert, A::unexpected_message);
  EXPECT_EQ(f.status.error().message, "finished received in state ExpectClientKeyExchange");
  // A ChangeCipherSpec before the ClientKeyExchange.
  Bytes ccs = hello_record({});
  const Bytes ccs_record = {20, 3, 3, 0, 1, 1};
  ccs.insert(ccs.end(), ccs_record.begin(), ccs_record.end());
  const auto g = feed(ccs);
  ASSERT_FALSE(g.status);
  EXPECT_EQ(g.status.error().alert, A::unexpected_message);
}

TEST(Tls12ServerHello, BadClientKeyExchangePoint) {
  Bytes bytes = hello_record({});
  const Bytes cke = {22, 3, 3, 0, 38, 16, 0, 0, 34, 33, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                     18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  bytes.insert(bytes.end(), cke.begin(), cke.end());
  const auto f = feed(bytes);
  ASSERT_FALSE(f.status);
  EXPECT_EQ(f.status.error().alert, A::illegal_parameter);
}

// --- the session cache and tickets alone ----------------------------------------------------

handshake::StoredSession session_named(std::string name, std::time_t created = 1000) {
  handshake::StoredSession s;
  s.suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
  s.secret = crypto::Secret(Bytes(48, 0x42));
  s.server_name = std::move(name);
  s.created = created;
  s.lifetime = 60;
  s.extended_master_secret = true;
  return s;
}

TEST(Tls12SessionCache, BoundedOldestFirstAndExpiring) {
  handshake::SessionCache cache(2);
  const Bytes a(32, 1), b(32, 2), c(32, 3);
  cache.store(a, session_named("a"));
  cache.store(b, session_named("b"));
  cache.store(c, session_named("c"));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find(a, 1000));
  ASSERT_TRUE(cache.find(b, 1000));
  EXPECT_EQ(cache.find(c, 1060)->server_name, "c");
  EXPECT_FALSE(cache.find(c, 1061));  // expired, and dropped
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.find(b, 999));  // not made yet
}

TEST(Tls12Tickets, KindsNeverConfuseEachOther) {
  FixedRandom random;
  const handshake::TicketKeys keys(crypto::Secret(Bytes(32, 5)), 3600, nullptr);
  const handshake::TicketKeys others(crypto::Secret(Bytes(32, 6)), 3600, nullptr);
  auto s = session_named("example.com");
  s.alpn = "h2";
  s.peer = {"CN=client", "ECDSA P-256", true};
  const Bytes t12 = keys.seal(random, handshake::TicketKind::tls12, s, 1000);
  const Bytes t13 = keys.seal(random, handshake::TicketKind::tls13, s, 1000);
  ASSERT_FALSE(t12.empty());
  ASSERT_FALSE(t13.empty());
  auto back = keys.open(handshake::TicketKind::tls12, 1010, t12);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->server_name, "example.com");
  EXPECT_EQ(back->alpn, "h2");
  EXPECT_EQ(back->peer.subject, "CN=client");
  EXPECT_TRUE(back->peer.verified);
  EXPECT_TRUE(back->extended_master_secret);
  EXPECT_EQ(Bytes(back->secret.view().begin(), back->secret.view().end()), Bytes(48, 0x42));
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls13, 1010, t12));
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls12, 1010, t13));
  EXPECT_TRUE(keys.open(handshake::TicketKind::tls13, 1010, t13));
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls12, 1061, t12));  // expired
  EXPECT_FALSE(others.open(handshake::TicketKind::tls12, 1010, t12));
  Bytes tampered = t12;
  tampered[20] ^= 1;
  EXPECT_FALSE(keys.open(handshake::TicketKind::tls12, 1010, tampered));
}

}  // namespace
}  // namespace tlspp
