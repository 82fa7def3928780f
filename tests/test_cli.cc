// The `tlspp client` and `tlspp server` commands, run as real processes on 127.0.0.1:
// HTTP summaries, echo, handshake failures reported in one line, many clients served at
// once by one server, client certificates, key logs, usage errors, signals.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "io/socket.h"
#include "support/tls_pair.h"
#include "tlspp/stream.h"

namespace tlspp {
namespace {

using namespace cli_test;

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& ch : s) {
    x = x * 1103515245u + 12345u;
    ch = static_cast<char>(x >> 24);
  }
  return s;
}


// A "simple server" like the example servers of Python's ssl module or wolfSSL: the
// library's ServerConnection on a blocking socket. For each of `runs` connections it
// completes the handshake, reads exactly one TLS record of application data, waits
// `pause`, answers, and closes the socket at once (after close_notify, or without it)
// without reading anything more. Whatever the client sent after its request is then
// unread, and the kernel answers the close with a reset (RFC 1122 §4.2.2.13), dropping
// what it had not sent yet.
class OneRecordServer {
 public:
  OneRecordServer(int runs, bool close_notify, std::chrono::milliseconds pause) {
    auto config = ServerConfig::create(test::server_options_for(crypto::KeyType::ec_p256));
    EXPECT_TRUE(config) << config.error().to_string();
    auto l = io::listen_tcp("127.0.0.1", 0);
    EXPECT_TRUE(l);
    listener_ = l ? *l : -1;
    auto p = io::local_port(listener_);
    port_ = p ? *p : 0;
    thread_ = std::thread([this, cfg = config ? *config : nullptr, runs, close_notify, pause] {
      for (int i = 0; i < runs && cfg; ++i) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        serve(cfg, fd, close_notify, pause);
        close(fd);
      }
    });
  }
  ~OneRecordServer() {
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  OneRecordServer(const OneRecordServer&) = delete;
  OneRecordServer& operator=(const OneRecordServer&) = delete;
  [[nodiscard]] std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] static std::string reply() { return "HTTP/1.0 200 OK\r\n\r\nreply to: GET / HTTP/1.0\n"; }

 private:
  static bool send_pending(Connection& conn, int fd) {
    const ByteView out = conn.pending_output();
    if (!out.empty() && !io::send_all(fd, out)) return false;
    conn.consume_output(out.size());
    return true;
  }
  // Reads exactly one record (header, then the length it names) into the connection.
  static bool receive_record(Connection& conn, int fd) {
    uint8_t rec[5 + 18432];
    if (recv(fd, rec, 5, MSG_WAITALL) != 5) return false;
    const size_t len = (size_t{rec[3]} << 8) | rec[4];
    if (len > sizeof rec - 5 || (len && recv(fd, rec + 5, len, MSG_WAITALL) != static_cast<ssize_t>(len))) return false;
    return conn.receive(ByteView(rec, 5 + len)).has_value();
  }
  static void serve(const std::shared_ptr<const ServerConfig>& cfg, int fd, bool close_notify,
                    std::chrono::milliseconds pause) {
    auto conn = ServerConnection::create(cfg);
    if (!conn) return;
    while (conn->readable() == 0) {
      if (!send_pending(*conn, fd) || !receive_record(*conn, fd)) return;
    }
    std::this_thread::sleep_for(pause);
    // The answer in two writes, as servers that send headers and body apart do: Nagle's
    // algorithm (on here, as in most servers) holds the second until the first is
    // acknowledged, so it is still queued when the socket closes. A close with unread
    // input resets the connection and discards it.
    const std::string r = reply();
    const size_t half = r.find("\r\n\r\n") + 4;
    if (!conn->write(ByteView(reinterpret_cast<const uint8_t*>(r.data()), half)) || !send_pending(*conn, fd)) return;
    if (!conn->write(ByteView(reinterpret_cast<const uint8_t*>(r.data()) + half, r.size() - half))) return;
    if (close_notify) conn->close();
    (void)send_pending(*conn, fd);
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// ---------------------------------------------------------------- tests

TEST(Cli, HttpServerAnswersWithTheConnectionSummary) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  // The response: status line, headers, and the server's view of the connection.
  EXPECT_EQ(o.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(o.out.find("Connection: close\r\n"), std::string::npos);
  const size_t body = o.out.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(o.out.find("Content-Length: " + std::to_string(o.out.size() - body - 4) + "\r\n"), std::string::npos);
  EXPECT_NE(o.out.find("protocol: TLSv1.3\n"), std::string::npos);
  EXPECT_NE(o.out.find("sni: localhost\n"), std::string::npos);
  EXPECT_NE(o.out.find("peer_certificate: none\n"), std::string::npos);
  // The client's summary on stderr.
  for (const char* line : {"protocol: TLSv1.3\n", "cipher: TLS_AES_128_GCM_SHA256\n", "group: x25519\n",
                           "signature_scheme: ecdsa_secp256r1_sha256\n", "alpn: none\n", "sni: localhost\n",
                           "peer_certificate: CN=localhost", "verified: yes\n"})
    EXPECT_NE(o.err.find(line), std::string::npos) << line << " missing from:\n" << o.err;
}

TEST(Cli, ChosenGroupCipherAndAlpnShowOnBothSides) {
  Server server({"--http", "--alpn", "h2,http/1.1"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--groups", "P-384", "--ciphers",
                                              "TLS_CHACHA20_POLY1305_SHA256", "--alpn", "http/1.1", "--request",
                                              "GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  for (const std::string* s : {&o.out, &o.err}) {
    EXPECT_NE(s->find("cipher: TLS_CHACHA20_POLY1305_SHA256\n"), std::string::npos) << *s;
    EXPECT_NE(s->find("group: secp384r1\n"), std::string::npos) << *s;
    EXPECT_NE(s->find("alpn: http/1.1\n"), std::string::npos) << *s;
  }
}

TEST(Cli, HelloRetryRequestIsReported) {
  Server server({"--http", "--groups", "secp256r1"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--groups", "x25519,secp256r1", "--request",
                                              "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("group: secp256r1\n"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("hello_retry_request: yes\n"), std::string::npos) << o.err;
}

TEST(Cli, WrongServerNameFailsWithOneLineNamingTheReason) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  auto args = client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"});
  args[3] = "wrong.example";
  const auto o = run_cli(args);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err,
            "tlspp client: handshake failed: bad_certificate: certificate for 'localhost' does not match the requested "
            "name 'wrong.example'\n");
  // The alert reached the server, which logged one line and kept serving.
  EXPECT_TRUE(server.read_err_until("handshake failed: peer sent fatal alert bad_certificate\n", 10s)) << server.log();
  const auto ok = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("protocol: TLSv1.3\n"), std::string::npos);
}

TEST(Cli, UntrustedCertificateFailsUnlessInsecure) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  // No --ca: the system trust store, which does not know our test root.
  const auto o = run_cli({"client", server.addr(), "--servername", "localhost", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.err.rfind("tlspp client: handshake failed: unknown_ca: ", 0), 0u) << o.err;

  const auto insecure = run_cli({"client", server.addr(), "--insecure", "--summary", "--request",
                                 "GET / HTTP/1.0\\r\\n\\r\\n"});
  EXPECT_EQ(insecure.status, 0) << insecure.err;
  EXPECT_NE(insecure.err.find("verified: no (insecure)\n"), std::string::npos) << insecure.err;
  // No SNI for an IP address literal (RFC 6066 §3).
  EXPECT_NE(insecure.err.find("sni: none\n"), std::string::npos) << insecure.err;
  EXPECT_NE(insecure.out.find("sni: none\n"), std::string::npos) << insecure.out;
}

TEST(Cli, IpAddressIsVerifiedWhenNoServerNameIsGiven) {
  // The test leaf names only "localhost", so verifying 127.0.0.1 must fail, naming both.
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli({"client", server.addr(), "--ca", files().root, "--request", "GET / HTTP/1.0\\r\\n\\r\\n"});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("'127.0.0.1'"), std::string::npos) << o.err;
}

TEST(Cli, EchoRoundTripFromStdin) {
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  const std::string data = pattern(300 * 1024, 1);
  const auto o = run_cli(client_args(server, {}), data);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.size(), data.size());
  EXPECT_TRUE(o.out == data);
  EXPECT_EQ(o.err, "");
}

TEST(Cli, EchoOfRequestString) {
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  // An echo server waits for the client to close: after --timeout of silence it does.
  const auto o = run_cli(client_args(server, {"--request", "a\\r\\nb\\n\\x", "--timeout", "0.2"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "a\r\nb\n\\x");
}

TEST(Cli, ManyClientsAtOnceFromOneServer) {
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  constexpr int kClients = 8;
  std::vector<Child> children;
  std::vector<std::string> inputs;
  for (int i = 0; i < kClients; ++i) {
    inputs.push_back(pattern(64 * 1024 + static_cast<size_t>(i), static_cast<unsigned>(i + 10)));
    children.push_back(spawn(client_args(server, {})));
  }
  // Feed them one after the other while all are running: each finish() waits for its
  // own child only, the others stay connected meanwhile.
  std::vector<std::thread> threads;
  std::vector<Outcome> outcomes(kClients);
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&, i] { outcomes[i] = finish(children[i], inputs[i]); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(outcomes[i].status, 0) << i << ": " << outcomes[i].err;
    EXPECT_TRUE(outcomes[i].out == inputs[i]) << "client " << i << " got " << outcomes[i].out.size() << " bytes";
  }
}

TEST(Cli, OneServerHoldsManyOpenConnections) {
  // Open several connections and finish every handshake before any sends data: a
  // server serving one connection at a time could not complete the second handshake.
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  ClientOptions options;
  options.ca_files = {files().root};
  auto config = ClientConfig::create(options);
  ASSERT_TRUE(config) << config.error().to_string();
  std::vector<Stream> streams;
  for (int i = 0; i < 6; ++i) {
    auto s = Stream::connect(*config, "127.0.0.1", server.port(), *ServerName::parse("localhost"));
    ASSERT_TRUE(s) << s.error().to_string();
    streams.push_back(std::move(*s));
  }
  for (size_t i = streams.size(); i-- > 0;) {
    const std::string msg = "stream " + std::to_string(i);
    ASSERT_TRUE(streams[i].write_all(ByteView(reinterpret_cast<const uint8_t*>(msg.data()), msg.size())));
    std::string got;
    uint8_t buf[64];
    while (got.size() < msg.size()) {
      auto n = streams[i].read(buf);
      ASSERT_TRUE(n) << n.error().to_string();
      ASSERT_NE(*n, 0u);
      got.append(reinterpret_cast<const char*>(buf), *n);
    }
    EXPECT_EQ(got, msg);
  }
  for (auto& s : streams) {
    ASSERT_TRUE(s.close());
    uint8_t buf[16];
    auto n = s.read(buf);
    ASSERT_TRUE(n) << n.error().to_string();
    EXPECT_EQ(*n, 0u);  // the server answered our close_notify with its own
  }
}

TEST(Cli, ServerSurvivesAGarbageClient) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  auto fd = io::connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(fd);
  const std::string junk = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_TRUE(io::send_all(*fd, ByteView(reinterpret_cast<const uint8_t*>(junk.data()), junk.size())));
  // The server answers with an alert and closes.
  std::string reply;
  uint8_t buf[256];
  for (;;) {
    auto n = io::recv_some(*fd, buf);
    if (!n || *n == 0) break;
    reply.append(reinterpret_cast<const char*>(buf), *n);
  }
  close(*fd);
  ASSERT_GE(reply.size(), 7u);
  EXPECT_EQ(reply[0], 21);  // an alert record
  EXPECT_TRUE(server.read_err_until("handshake failed: ", 10s)) << server.log();
  EXPECT_EQ(count_lines(server.log()), 2u) << server.log();
  const auto ok = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  EXPECT_EQ(ok.status, 0) << ok.err;
}

TEST(Cli, ClientThatIsNotTlsGetsAHandshakeFailureLine) {
  // A plain TCP "server" that answers in HTTP: the client reports one line and exits 1.
  auto listener = io::listen_tcp("127.0.0.1", 0);
  ASSERT_TRUE(listener);
  auto port = io::local_port(*listener);
  ASSERT_TRUE(port);
  std::thread plain([fd = *listener] {
    const int c = accept(fd, nullptr, nullptr);
    if (c < 0) return;
    const char reply[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    (void)send(c, reply, sizeof reply - 1, MSG_NOSIGNAL);
    shutdown(c, SHUT_WR);
    char sink[4096];
    while (recv(c, sink, sizeof sink, 0) > 0) {
    }
    close(c);
  });
  const auto o = run_cli({"client", "127.0.0.1:" + std::to_string(*port), "--ca", files().root});
  plain.join();
  close(*listener);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.err.rfind("tlspp client: handshake failed: ", 0), 0u) << o.err;
}

TEST(Cli, ConnectionRefusedIsOneLine) {
  auto listener = io::listen_tcp("127.0.0.1", 0);
  ASSERT_TRUE(listener);
  auto port = io::local_port(*listener);
  ASSERT_TRUE(port);
  close(*listener);  // nothing listens there any more
  const auto o = run_cli({"client", "127.0.0.1:" + std::to_string(*port), "--ca", files().root});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, "tlspp client: cannot connect to 127.0.0.1:" + std::to_string(*port) + ": Connection refused\n");
}

TEST(Cli, ClientCertificateRequired) {
  Server server({"--http", "--client-auth", "required", "--client-ca", files().client_root});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto with = run_cli(client_args(server, {"--cert", files().client_chain, "--key", files().client_key,
                                                 "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(with.status, 0) << with.err;
  EXPECT_NE(with.out.find("peer_certificate: CN=client.example"), std::string::npos) << with.out;
  EXPECT_NE(with.out.find("verified: yes\n"), std::string::npos) << with.out;

  // RFC 8446 §4.4.2.4: without a certificate the server aborts with certificate_required.
  const auto without = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  EXPECT_EQ(without.status, 1);
  EXPECT_EQ(count_lines(without.err), 1u) << without.err;
  EXPECT_NE(without.err.find("certificate_required"), std::string::npos) << without.err;
  EXPECT_TRUE(server.read_err_until("certificate_required", 10s)) << server.log();
}

TEST(Cli, OptionalClientCertificate) {
  Server server({"--http", "--client-auth", "optional", "--client-ca", files().client_root});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("peer_certificate: none\n"), std::string::npos) << o.out;
}

// The pin `tlspp server --raw-key` printed at start-up for its key.
std::string printed_pin(const Server& s) {
  const std::string marker = "): SPKI SHA-256 ";
  const size_t at = s.log().find(marker);
  return at == std::string::npos ? "" : s.log().substr(at + marker.size(), 64);
}

// SHA-256 of a key file's SubjectPublicKeyInfo, computed here, not by the tool.
std::string spki_sha256_of(const std::string& key_file) {
  auto key = crypto::load_private_key(key_file);
  if (!key) return "";
  const auto d = crypto::HashCtx::digest(crypto::HashAlg::sha256, key->public_key().spki());
  std::string hex;
  for (uint8_t b : d.view()) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

TEST(Cli, RawKeyServerIsTrustedByItsPin) {
  Server server({"--http", "--raw-key"}, 0, false);
  ASSERT_NE(server.port(), 0) << server.log();
  ASSERT_TRUE(server.read_err_until("SPKI SHA-256", 10s) && server.read_err_until("\n", 10s)) << server.log();
  const std::string pin = printed_pin(server);
  ASSERT_EQ(pin, spki_sha256_of(files().key)) << server.log();
  const auto ok = run_cli(client_args(server, {"--pin-spki", pin, "--summary", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.err.find("peer_certificate: raw public key (RFC 7250)\n"), std::string::npos) << ok.err;
  EXPECT_NE(ok.err.find("peer_spki_sha256: " + pin + "\n"), std::string::npos) << ok.err;
  EXPECT_NE(ok.err.find("verified: yes (pinned key)\n"), std::string::npos) << ok.err;

  // Another pin: bad_certificate, one line naming the hash that was received.
  const std::string other = spki_sha256_of(files().client_key);
  const auto wrong = run_cli(client_args(server, {"--pin-spki", other, "--request", "x"}));
  EXPECT_EQ(wrong.status, 1);
  EXPECT_EQ(count_lines(wrong.err), 1u) << wrong.err;
  EXPECT_NE(wrong.err.find("SPKI SHA-256 " + pin + ") matches none of the 1 pinned key(s)"), std::string::npos)
      << wrong.err;
  EXPECT_NE(wrong.err.find("bad_certificate"), std::string::npos) << wrong.err;

  // No pin: no raw keys offered, and this server has nothing else.
  const auto none = run_cli(client_args(server, {"--request", "x"}));
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("unsupported_certificate"), std::string::npos) << none.err;
  EXPECT_TRUE(server.read_err_until("client does not offer raw public keys", 10s)) << server.log();
}

TEST(Cli, RawKeyBesideACertificateAndClientRawKeys) {
  const std::string client_pin = spki_sha256_of(files().client_key);
  Server server({"--http", "--raw-key", "--client-auth", "required", "--pin-client-spki", client_pin});
  ASSERT_NE(server.port(), 0) << server.log();
  ASSERT_TRUE(server.read_err_until("SPKI SHA-256", 10s) && server.read_err_until("\n", 10s)) << server.log();
  // Without a pin the client gets the certificate; it must still present a key (required),
  // and does so as a raw key.
  const auto x509 = run_cli(client_args(server, {"--key", files().client_key, "--raw-key", "--summary",
                                                 "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(x509.status, 0) << x509.err;
  EXPECT_NE(x509.err.find("peer_certificate: CN=localhost"), std::string::npos) << x509.err;
  EXPECT_NE(x509.out.find("peer_certificate: raw public key (RFC 7250)\n"), std::string::npos) << x509.out;
  EXPECT_NE(x509.out.find("peer_spki_sha256: " + client_pin + "\n"), std::string::npos) << x509.out;
  const auto raw = run_cli(client_args(server, {"--key", files().client_key, "--raw-key", "--pin-spki",
                                                printed_pin(server), "--summary", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_NE(raw.err.find("peer_certificate: raw public key (RFC 7250)\n"), std::string::npos) << raw.err;
}

TEST(Cli, RawKeyUsageErrors) {
  const struct {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"client", "127.0.0.1:1", "--pin-spki", "abcd"},
       "tlspp client: a raw public key pin is the SHA-256 of a SubjectPublicKeyInfo as 64 hex digits, not 'abcd'"},
      {{"client", "127.0.0.1:1", "--raw-key"}, "tlspp client: --raw-key needs --key FILE"},
      {{"server", "--raw-key"}, "tlspp server: --raw-key needs --key FILE"},
      {{"server", "--key", files().key}, "tlspp server: at least one --cert FILE --key FILE is required"},
      {{"server", "--key", files().key, "--raw-key", "--pin-client-spki", std::string(64, 'a')},
       "tlspp server: --pin-client-spki needs --client-auth optional or required"},
  };
  for (const auto& t : cases) {
    const auto o = run_cli(t.args);
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_EQ(o.err.rfind(t.says, 0), 0u) << o.err;
  }
}

TEST(Cli, PostHandshakeAuthAsksClientsThatOfferIt) {
  Server server({"--http", "--post-handshake-auth", "--client-ca", files().client_root});
  ASSERT_NE(server.port(), 0) << server.log();
  // A client with a certificate offers post_handshake_auth and is asked after the handshake;
  // the page comes once it has answered.
  const auto with = run_cli(client_args(server, {"--cert", files().client_chain, "--key", files().client_key,
                                                 "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(with.status, 0) << with.err;
  EXPECT_NE(with.out.find("\npost_handshake_auth: answered with a certificate\n"), std::string::npos) << with.out;
  EXPECT_NE(with.out.find("\npeer_certificate: CN=client.example"), std::string::npos) << with.out;
  EXPECT_NE(with.out.find("\nverified: yes\n"), std::string::npos) << with.out;
  // One without offers nothing and is not asked.
  const auto without = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(without.status, 0) << without.err;
  EXPECT_EQ(without.out.find("post_handshake_auth"), std::string::npos) << without.out;
  EXPECT_NE(without.out.find("\npeer_certificate: none\n"), std::string::npos) << without.out;
  const auto usage = run_cli({"server", "--cert", files().chain, "--key", files().key, "--post-handshake-auth"});
  EXPECT_EQ(usage.status, 2);
  EXPECT_EQ(usage.err.rfind("tlspp server: --post-handshake-auth needs --client-ca FILE", 0), 0u) << usage.err;
}

TEST(Cli, RecordSizeLimitIsNegotiatedAndReported) {
  Server server({"--http", "--record-size-limit", "2000"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--record-size-limit", "700", "--summary", "--request",
                                              "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("\npeer_record_size_limit: 2000 (ours negotiated)\n"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("\npeer_record_size_limit: 700 (ours negotiated)\n"), std::string::npos) << o.out;
  // Without one from the client the server sends none (RFC 8449 §4: it answers the client's).
  const auto plain = run_cli(client_args(server, {"--summary", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.err.find("peer_record_size_limit"), std::string::npos) << plain.err;
  for (const std::string bad : {"63", "16386", "lots"}) {
    const auto u = run_cli({"client", "127.0.0.1:1", "--record-size-limit", bad});
    EXPECT_EQ(u.status, 2);
    EXPECT_EQ(u.err.rfind("tlspp client: --record-size-limit takes a number of bytes from 64 to 16385, not '" + bad + "'", 0),
              0u)
        << u.err;
  }
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

void expect_tls13_keylog(const std::vector<std::string>& lines) {
  // NSS key log format: LABEL <64 hex client random> <hex secret>; the five TLS 1.3 labels.
  ASSERT_EQ(lines.size(), 5u);
  for (const char* label : {"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
                            "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 ", "EXPORTER_SECRET "}) {
    const auto it = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(label, 0) == 0; });
    ASSERT_NE(it, lines.end()) << label;
    EXPECT_EQ(it->size(), std::strlen(label) + 64 + 1 + 64) << *it;
  }
}

TEST(Cli, KeyLogFromOptionAndEnvironment) {
  const std::string server_log = files().dir + "/server-keylog.txt";
  const std::string option_log = files().dir + "/client-keylog.txt";
  const std::string env_log = files().dir + "/env-keylog.txt";
  for (const auto& p : {server_log, option_log, env_log}) std::remove(p.c_str());
  Server server({"--http", "--keylog", server_log});
  ASSERT_NE(server.port(), 0) << server.log();
  auto o = run_cli(client_args(server, {"--keylog", option_log, "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  expect_tls13_keylog(read_lines(option_log));
  o = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}), "", {"SSLKEYLOGFILE=" + env_log});
  ASSERT_EQ(o.status, 0) << o.err;
  expect_tls13_keylog(read_lines(env_log));
  // Both sides log the same secrets for the same connection.
  const auto server_lines = read_lines(server_log);
  ASSERT_EQ(server_lines.size(), 10u);
  for (const auto& line : read_lines(option_log))
    EXPECT_NE(std::find(server_lines.begin(), server_lines.end(), line), server_lines.end()) << line;
}

TEST(Cli, ExitAfterServesThatManyConnections) {
  Server server({"--echo", "--exit-after", "2"});
  ASSERT_NE(server.port(), 0) << server.log();
  for (int i = 0; i < 2; ++i) {
    const auto o = run_cli(client_args(server, {"--request", "ping", "--timeout", "0.2"}));
    EXPECT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.out, "ping");
  }
  EXPECT_EQ(server.wait_exit(10s), 0) << server.log();
}

TEST(Cli, SigintAndSigtermStopTheServerCleanly) {
  for (int sig : {SIGINT, SIGTERM}) {
    Server server({"--echo"});
    ASSERT_NE(server.port(), 0) << server.log();
    // One connection is open when the signal arrives.
    auto s = echo_round_trip(server);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(server.stop(sig), 0) << server.log();
    // The server said goodbye properly on the way out.
    uint8_t buf[16];
    auto n = s->read(buf);
    ASSERT_TRUE(n) << n.error().to_string();
    EXPECT_EQ(*n, 0u);
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"client"},
      {"client", "127.0.0.1"},
      {"client", "127.0.0.1:99999"},
      {"client", "127.0.0.1:443", "--frobnicate"},
      {"client", "127.0.0.1:443", "--groups", "ffdhe2048"},
      {"client", "127.0.0.1:443", "--ciphers", "RC4-MD5"},
      {"client", "127.0.0.1:443", "--servername"},
      {"server"},
      {"server", "--cert", "a.pem"},
      {"server", "--cert", "a", "--key", "b", "--http", "--echo"},
      {"server", "--cert", "a", "--key", "b", "--client-auth", "sometimes"},
  };
  for (const auto& args : bad) {
    const auto o = run_cli(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(o.status, 2) << joined << "\n" << o.err;
    EXPECT_NE(o.err.find("usage: tlspp "), std::string::npos) << joined << "\n" << o.err;
  }
}

TEST(Cli, UnreadableFilesExitOneWithTheFileName) {
  const auto o = run_cli({"server", "--listen", "127.0.0.1:0", "--cert", "/nonexistent/cert.pem", "--key", files().key});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("/nonexistent/cert.pem"), std::string::npos) << o.err;
  const auto c = run_cli({"client", "127.0.0.1:1", "--ca", "/nonexistent/ca.pem"});
  EXPECT_EQ(c.status, 1);
  EXPECT_NE(c.err.find("/nonexistent/ca.pem"), std::string::npos) << c.err;
}

TEST(Cli, ClientTraceDrawsTheSessionInTextAndMermaid) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto text = run_cli(client_args(server, {"--trace", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << "the trace goes to stderr, not into the data";
  // RFC 8446 §2 order, as the client saw it.
  size_t at = 0;
  for (const char* m : {"ClientHello", "ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify",
                        "Finished", "application data", "close_notify"}) {
    const size_t next = text.err.find(m, at);
    ASSERT_NE(next, std::string::npos) << m << " missing or out of order in:\n" << text.err;
    at = next;
  }
  const auto mermaid = run_cli(client_args(server, {"--trace=mermaid", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(mermaid.status, 0) << mermaid.err;
  EXPECT_EQ(mermaid.err.rfind("sequenceDiagram\n", 0), 0u) << mermaid.err;
  EXPECT_NE(mermaid.err.find("Client->>Server: ClientHello"), std::string::npos);
  EXPECT_NE(mermaid.err.find("Server-->>Client: ServerHello"), std::string::npos);
  EXPECT_NE(run_cli(client_args(server, {"--trace=svg"})).status, 0);
}

TEST(Cli, FailedHandshakeIsTracedToo) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  auto args = client_args(server, {"--trace"});
  args[3] = "wrong.example";  // --servername
  const auto o = run_cli(args);
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("ClientHello"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("bad_certificate"), std::string::npos) << o.err;
}

TEST(Cli, ServerTracePrefixesEachConnection) {
  Server server({"--http", "--trace"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  ASSERT_TRUE(server.read_err_until("close_notify", 10s)) << server.log();
  const std::string& log = server.log();
  const size_t hello = log.find("ClientHello");
  ASSERT_NE(hello, std::string::npos) << log;
  const size_t line = log.rfind('\n', hello) + 1;
  EXPECT_EQ(log[line], '[') << log.substr(line, 40);
  EXPECT_NE(log.find("CertificateVerify"), std::string::npos);
}


// ---------------------------------------------------------------- issue 8, item 7

TEST(Cli, RequestReplyFromAOneRecordServerIsNotLost) {
  // The server reads the request record, pauses (so that anything the client sends right
  // after its request has arrived), answers and closes. A client that sent close_notify
  // right after the request would have it unread there: the server's kernel resets the
  // connection and the reply is lost (as it is, in nearly every run, when the same
  // request comes from stdin, after which the client does send close_notify at once).
  constexpr int kRuns = 3;
  OneRecordServer server(kRuns, true, 20ms);
  for (int i = 0; i < kRuns; ++i) {
    const auto o = run_cli({"client", server.addr(), "--servername", "localhost", "--ca", files().root, "--request",
                            "GET / HTTP/1.0\\r\\n\\r\\n"});
    EXPECT_EQ(o.out, OneRecordServer::reply()) << "run " << i << ": " << o.err;
    EXPECT_EQ(o.status, 0) << "run " << i << ": " << o.err;
    EXPECT_EQ(o.err, "") << "run " << i;
  }
}

TEST(Cli, ServerEndingTcpWithoutCloseNotifyIsAWarningAndExitOne) {
  // RFC 8446 §6.1: without close_notify the end of the data is not authenticated.
  OneRecordServer server(1, false, 0ms);
  const auto o = run_cli({"client", server.addr(), "--servername", "localhost", "--ca", files().root, "--request",
                          "GET / HTTP/1.0\\r\\n\\r\\n"});
  EXPECT_EQ(o.out, OneRecordServer::reply()) << o.err;  // what did arrive is still printed
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err,
            "tlspp client: warning: the peer closed the connection without close_notify (data may be truncated)\n");
}

TEST(Cli, RequestToAServerThatStaysOpenEndsAfterTheTimeout) {
  // An echo server waits for the client: after --timeout of silence the client sends
  // close_notify, the server answers with its own, and the client exits 0.
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto start = Clock::now();
  const auto o = run_cli(client_args(server, {"--request", "ping", "--timeout", "0.5"}));
  const auto took = Clock::now() - start;
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "ping");
  EXPECT_EQ(o.err, "");
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 5s);
}

TEST(Cli, ServerThatNeverClosesIsGivenUpOnAfterTheTimeout) {
  // A server that completes the handshake and then neither reads nor closes.
  auto listener = io::listen_tcp("127.0.0.1", 0);
  ASSERT_TRUE(listener);
  auto port = io::local_port(*listener);
  ASSERT_TRUE(port);
  std::atomic<bool> done{false};
  std::thread silent([fd = *listener, &done] {
    auto config = ServerConfig::create(test::server_options_for(crypto::KeyType::ec_p256));
    if (!config) return;
    const int c = accept(fd, nullptr, nullptr);
    if (c < 0) return;
    auto s = Stream::accept(*config, c);
    while (!done) std::this_thread::sleep_for(10ms);
  });
  const auto o = run_cli({"client", "127.0.0.1:" + std::to_string(*port), "--servername", "localhost", "--ca",
                          files().root, "--request", "hello", "--timeout", "0.3"});
  done = true;
  silent.join();
  close(*listener);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, "tlspp client: the server did not close the connection within 0.3 s of our close_notify\n");
}

TEST(Cli, StayOpenWaitsWithoutTimeLimitUntilTheServerCloses) {
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  Child c = spawn(client_args(server, {"--stay-open"}));
  const std::string input = "still here\n";
  ASSERT_EQ(write(c.in, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(c.in);  // end of input: without --stay-open the client would close now
  c.in = -1;
  std::this_thread::sleep_for(1500ms);
  int st = 0;
  EXPECT_EQ(waitpid(c.pid, &st, WNOHANG), 0) << "the client ended although the server had not closed";
  // The server closes (with close_notify) when it stops: the client then ends cleanly.
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
  const auto o = finish(c, "");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, input);
}

TEST(Cli, StdinModeStillHalfClosesAtEndOfInput) {
  // At the end of stdin close_notify goes out at once (no --timeout wait) and the echo
  // server's answer is still read.
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto start = Clock::now();
  const auto o = run_cli(client_args(server, {}), "half\n");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "half\n");
  EXPECT_LT(Clock::now() - start, 5s);
}

// ---------------------------------------------------------------- issue 8, item 8

TEST(Cli, HttpServerNeverSelectsAProtocolItDoesNotSpeak) {
  // Chromium offers h2 first; an --http server that selected it would then answer the
  // HTTP/2 preface in HTTP/1.1.
  Server server({"--http", "--alpn", "h2,http/1.1"});
  ASSERT_NE(server.port(), 0) << server.log();
  EXPECT_TRUE(server.read_err_until("tlspp server: --http speaks only HTTP/1.x: not offering ALPN h2\n", 5s))
      << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--alpn", "h2,http/1.1", "--request",
                                              "GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("alpn: http/1.1\n"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("alpn: http/1.1\n"), std::string::npos) << o.out;
  // A client that speaks only h2 finds nothing in common (RFC 7301 §3.2).
  const auto h2 = run_cli(client_args(server, {"--alpn", "h2", "--request", "x"}));
  EXPECT_EQ(h2.status, 1);
  EXPECT_NE(h2.err.find("no_application_protocol"), std::string::npos) << h2.err;
  // Only protocols --http cannot speak: a usage error saying why.
  const auto bad = run_cli({"server", "--listen", "127.0.0.1:0", "--cert", files().chain, "--key", files().key,
                            "--http", "--alpn", "h2,spdy/3"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err.rfind("tlspp server: --http speaks only HTTP/1.1 and HTTP/1.0, so it cannot serve --alpn h2,spdy/3",
                          0),
            0u)
      << bad.err;
}

TEST(Cli, EchoServerSelectsAnyAlpnProtocol) {
  Server server({"--echo", "--alpn", "h2"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--alpn", "h2"}), "x");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("alpn: h2\n"), std::string::npos) << o.err;
}

// ---------------------------------------------------------------- issue 8, item 11

// The options a --help text lists: "--name" of each "  --name ..." line.
std::vector<std::string> help_options(const std::string& help) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = help.find("\n  --", at)) != std::string::npos) {
    at += 3;
    size_t end = help.find_first_of(" =[\n", at);
    out.push_back(help.substr(at, end - at));
  }
  return out;
}

TEST(Cli, EverySubcommandAnswersHelp) {
  std::ifstream readme_file(std::string(TLSPP_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(readme_file)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(readme.empty());
  for (const std::string cmd : {"client", "server", "demo", "selfcheck", "bench"}) {
    for (const std::string flag : {"--help", "-h"}) {
      const auto o = run_cli({cmd, flag});
      EXPECT_EQ(o.status, 0) << cmd << " " << flag << ": " << o.err;
      EXPECT_EQ(o.out.rfind("usage: tlspp " + cmd, 0), 0u) << cmd << " " << flag << ":\n" << o.out;
      EXPECT_EQ(o.err, "") << cmd << " " << flag;
    }
    // Each option on its own line, and in the README's section for the command.
    const std::string help = run_cli({cmd, "--help"}).out;
    const size_t section = readme.find("`tlspp " + cmd);
    ASSERT_NE(section, std::string::npos) << "README has no `tlspp " << cmd << "` entry";
    const size_t section_end = readme.find("\n- `tlspp ", section + 1);
    const std::string entry = readme.substr(section, section_end == std::string::npos ? std::string::npos
                                                                                        : section_end - section);
    const auto options = help_options(help);
    if (cmd != "selfcheck") {
      EXPECT_GE(options.size(), 3u) << help;
    }
    for (const auto& opt : options) {
      EXPECT_NE(entry.find("`" + opt), std::string::npos) << "README's tlspp " << cmd << " misses " << opt;
    }
  }
  for (const std::vector<std::string>& top : {std::vector<std::string>{"--help"}, {"-h"}, {"help"}}) {
    const auto o = run_cli(top);
    EXPECT_EQ(o.status, 0);
    EXPECT_EQ(o.out.rfind("usage: tlspp COMMAND", 0), 0u) << o.out;
  }
}

// Redis URLs (--anti-replay, --ticket-keys) work only in a build with the Redis adapter
// (TLSPP_REDIS); any other build says so instead of ignoring them. test_redis covers the rest.
TEST(Cli, RedisUrlsNeedABuildWithTheRedisAdapter) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--early-data", "100", "--anti-replay", "redis://127.0.0.1:1"},
        {"--ticket-keys", "redis://127.0.0.1:1"}}) {
    std::vector<std::string> args = {"server", "--listen", "127.0.0.1:0", "--cert", files().chain, "--key", files().key};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto o = run_cli(args);
    const std::string flag = flags[flags.size() - 2];
#ifdef TLSPP_CLI_HAS_REDIS
    // Nothing listens on port 1: the startup PING fails.
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_EQ(o.err, "tlspp server: " + flag + ": Redis at 127.0.0.1:1: Connection refused\n");
#else
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find("tlspp server: " + flag + " URL: this tlspp was built without Redis support"), std::string::npos)
        << o.err;
#endif
  }
}

// ---------------------------------------------------------------- issue 8, item 12

TEST(Cli, ContradictoryOrUselessFlagsAreUsageErrorsThatSayWhy) {
  const std::string& c = files().chain;
  const std::string& k = files().key;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"server", "--cert", c, "--key", k, "--client-ca", files().client_root},
       "tlspp server: --client-ca is used only to verify client certificates, which are asked for only with "
       "--client-auth optional or required"},
      {{"server", "--cert", c, "--key", k, "--client-auth", "none", "--client-ca", files().client_root},
       "tlspp server: --client-ca is used only"},
      {{"server", "--cert", c, "--key", k, "--client-auth", "required"},
       "tlspp server: --client-auth required needs --client-ca FILE"},
      {{"server", "--cert", c, "--key", k, "--client-auth", "optional"},
       "tlspp server: --client-auth optional needs --client-ca FILE"},
      {{"server", "--cert", c, "--key", k, "--http", "--echo"}, "tlspp server: --http and --echo exclude each other"},
      {{"server", "--cert", c, "--key", k, "--alpn", "h2", "--alpn", "http/1.1"},
       "tlspp server: option '--alpn' is given more than once"},
      {{"server", "--cert", c, "--key", k, "--exit-after", "0"}, "tlspp server: --exit-after must be at least 1"},
      {{"client", "127.0.0.1:1", "--insecure", "--ca", files().root},
       "tlspp client: --insecure skips certificate verification, so --ca would not be used"},
      {{"client", "127.0.0.1:1", "--stay-open", "--timeout", "3"},
       "tlspp client: --stay-open waits without a time limit, so --timeout would not be used"},
      {{"client", "127.0.0.1:1", "--timeout", "soon"}, "tlspp client: --timeout takes a number of seconds"},
      {{"client", "127.0.0.1:1", "--timeout", "0"}, "tlspp client: --timeout must be between"},
      {{"client", "127.0.0.1:1", "--cert", files().client_chain}, "tlspp client: --cert and --key go together"},
      {{"client", "127.0.0.1:1", "--request", "a", "--request", "b"},
       "tlspp client: option '--request' is given more than once"},
  };
  for (const auto& t : cases) {
    const auto o = run_cli(t.args);
    std::string joined;
    for (const auto& a : t.args) joined += a + " ";
    EXPECT_EQ(o.status, 2) << joined << "\n" << o.err;
    EXPECT_EQ(o.err.rfind(t.says, 0), 0u) << joined << "\n" << o.err;
    EXPECT_NE(o.err.find("\nusage: tlspp "), std::string::npos) << joined << "\n" << o.err;
  }
}

TEST(Cli, RuntimeErrorsShareTheSubcommandPrefix) {
  const auto c = run_cli({"client", "127.0.0.1:1", "--ca", "/nonexistent/ca.pem"});
  EXPECT_EQ(c.err.rfind("tlspp client: ", 0), 0u) << c.err;
  const auto s = run_cli({"server", "--listen", "127.0.0.1:0", "--cert", "/nonexistent/c.pem", "--key", files().key});
  EXPECT_EQ(s.err.rfind("tlspp server: ", 0), 0u) << s.err;
}

// ---------------------------------------------------------------- issue 8, item 14

TEST(Cli, ServerPrintsOneLinePerConnection) {
  Server server({"--http", "--alpn", "http/1.1"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--alpn", "http/1.1", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  ASSERT_TRUE(server.read_err_until(" ok\n", 10s)) << server.log();
  const std::string& log = server.log();
  const size_t at = log.find("tlspp server: 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << log;
  const std::string line = log.substr(at, log.find('\n', at) - at);
  // tlspp server: 127.0.0.1:PORT TLSv1.3 SUITE GROUP sni=.. alpn=.. resumed=no in=N out=N ok
  const std::string fixed = " TLSv1.3 TLS_AES_128_GCM_SHA256 x25519 sni=localhost alpn=http/1.1 resumed=no in=";
  ASSERT_NE(line.find(fixed), std::string::npos) << line;
  const std::string counts = line.substr(line.find(fixed) + fixed.size());
  size_t in = 0, out = 0;
  ASSERT_EQ(std::sscanf(counts.c_str(), "%zu out=%zu", &in, &out), 2) << line;
  EXPECT_GT(in, 200u);   // ClientHello, Finished, the request, close_notify
  EXPECT_GT(out, o.out.size());  // the whole flight, the response, close_notify
  EXPECT_EQ(line.substr(line.size() - 3), " ok") << line;

  // A failed handshake: the same line, with the error.
  auto args = client_args(server, {"--request", "x"});
  args[3] = "wrong.example";
  EXPECT_EQ(run_cli(args).status, 1);
  ASSERT_TRUE(server.read_err_until("\n", 10s)) << server.log();
  const size_t fail_at = server.log().rfind("tlspp server: 127.0.0.1:");
  const std::string fail_line = server.log().substr(fail_at);
  EXPECT_NE(fail_line.find(" - - - sni=wrong.example alpn=none resumed=no in="), std::string::npos) << fail_line;
  EXPECT_NE(fail_line.find(" error=handshake failed: peer sent fatal alert bad_certificate\n"), std::string::npos)
      << fail_line;
}

TEST(Cli, ServerLineReportsAClientThatEndsTcpWithoutCloseNotify) {
  Server server({"--echo"});
  ASSERT_NE(server.port(), 0) << server.log();
  {
    auto s = echo_round_trip(server);
    ASSERT_TRUE(s) << s.error().to_string();
  }  // closed without close_notify
  ASSERT_TRUE(server.read_err_until("\n", 10s)) << server.log();
  EXPECT_NE(server.log().find("error=the peer closed the connection without close_notify (data may be truncated)\n"),
            std::string::npos)
      << server.log();
}

TEST(Cli, QuietServerPrintsNoConnectionLines) {
  Server server({"--echo", "--quiet", "--exit-after", "1"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {}), "q");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(server.wait_exit(10s), 0);
  EXPECT_FALSE(server.read_err_until("tlspp server:", 500ms)) << server.log();
  EXPECT_EQ(count_lines(server.log()), 1u) << server.log();  // "listening on ..."
}

// ---------------------------------------------------------------- --reconnect

// Splits the client's stderr into its --summary blocks (each starts with "protocol: ").
std::vector<std::string> summaries(const std::string& err) {
  std::vector<std::string> out;
  for (size_t at = err.find("protocol: "); at != std::string::npos;) {
    const size_t next = err.find("\nprotocol: ", at);
    out.push_back(err.substr(at, next == std::string::npos ? std::string::npos : next + 1 - at));
    at = next == std::string::npos ? next : next + 1;
  }
  return out;
}

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

TEST(Cli, ReconnectMakesThatManyMoreConnections) {
  // `tlspp server --tickets 0` issues no tickets, so nothing can be resumed: three full
  // handshakes.
  Server server({"--http", "--tickets", "0"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--reconnect", "2", "--request",
                                              "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  // Three answers in turn on stdout, each the server's view of a fresh connection.
  EXPECT_EQ(count_of(o.out, "HTTP/1.1 200 OK\r\n"), 3u) << o.out;
  EXPECT_EQ(count_of(o.out, "\nresumed: no\n"), 3u) << o.out;
  // Three summaries on stderr, each with its resumed line, and nothing else.
  const auto blocks = summaries(o.err);
  ASSERT_EQ(blocks.size(), 3u) << o.err;
  for (const auto& b : blocks) {
    EXPECT_NE(b.find("\nresumed: no\n"), std::string::npos) << b;
    EXPECT_NE(b.find("\nverified: yes\n"), std::string::npos) << b;
  }
  EXPECT_EQ(o.err.rfind("protocol: ", 0), 0u) << o.err;
  // The server saw three connections.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(server.read_err_until(" resumed=no in=", 10s)) << i << ": " << server.log();
}

TEST(Cli, ServerTicketsByDefaultLetReconnectsResume) {
  // By default the server sends two tickets after a full handshake and one after a
  // resumed one; the client offers each once: one full handshake, then resumptions.
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--reconnect", "3", "--request",
                                              "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(count_of(o.out, "\nprotocol: TLSv1.3\n"), 4u) << o.out;
  EXPECT_EQ(count_of(o.out, "\nresumed: no\n"), 1u) << o.out;
  EXPECT_EQ(count_of(o.out, "\nresumed: yes\n"), 3u) << o.out;
  ASSERT_TRUE(server.read_err_count(" resumed=no in=", 1, 10s)) << server.log();
  ASSERT_TRUE(server.read_err_count(" resumed=yes in=", 3, 10s)) << server.log();
}

TEST(Cli, SessOutSavesSessionsThatSessInResumesInALaterRun) {
  Server server({"--http"});
  ASSERT_NE(server.port(), 0) << server.log();
  const std::string file = ::testing::TempDir() + "tlspp-sessions-" + std::to_string(::getpid()) + ".txt";
  std::remove(file.c_str());
  const auto first = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n", "--sess-out", file}));
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("\nresumed: no\n"), std::string::npos) << first.out;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the file holds resumption secrets";
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(count_of(text, "tlspp-session 1\n"), 2u) << text;
  EXPECT_NE(text.find("\nsecret "), std::string::npos) << text;
  // A later run resumes from the file, and saves what is left plus the new ticket.
  const auto second = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n", "--sess-in", file,
                                                   "--sess-out", file}));
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.out.find("\nresumed: yes\n"), std::string::npos) << second.out;
  std::ifstream again(file);
  const std::string text2((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(count_of(text2, "tlspp-session 1\n"), 2u) << text2;
  // A file that is not sessions is an error naming the line.
  {
    std::ofstream out(file, std::ios::trunc);
    out << "not a session\n";
  }
  const auto bad = run_cli(client_args(server, {"--request", "GET / HTTP/1.0\\r\\n\\r\\n", "--sess-in", file}));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("line 1"), std::string::npos) << bad.err;
  std::remove(file.c_str());
}

TEST(Cli, ReconnectResumesATls12SessionById) {
  // Over TLS 1.2 `tlspp server` keeps sessions by ID (no tickets needed): the second and
  // third connections resume the first one's session.
  Server server({"--http", "--tls1.2", "--tickets", "0"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--summary", "--reconnect", "2", "--request",
                                              "GET / HTTP/1.0\\r\\n\\r\\n"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(count_of(o.out, "\nprotocol: TLSv1.2\n"), 3u) << o.out;
  EXPECT_EQ(count_of(o.out, "\nresumed: no\n"), 1u) << o.out;
  EXPECT_EQ(count_of(o.out, "\nresumed: yes\n"), 2u) << o.out;
  const auto blocks = summaries(o.err);
  ASSERT_EQ(blocks.size(), 3u) << o.err;
  EXPECT_NE(blocks[0].find("\nresumed: no\n"), std::string::npos) << blocks[0];
  EXPECT_NE(blocks[0].find("\ngroup: x25519\n"), std::string::npos) << blocks[0];
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_NE(blocks[i].find("\nresumed: yes\n"), std::string::npos) << blocks[i];
    // An abbreviated handshake: no key exchange and no signature, the same server.
    EXPECT_NE(blocks[i].find("\ngroup: none\n"), std::string::npos) << blocks[i];
    EXPECT_NE(blocks[i].find("\nsignature_scheme: none\n"), std::string::npos) << blocks[i];
    EXPECT_NE(blocks[i].find("\npeer_certificate: CN=localhost"), std::string::npos) << blocks[i];
    EXPECT_NE(blocks[i].find("\nverified: yes\n"), std::string::npos) << blocks[i];
  }
  ASSERT_TRUE(server.read_err_count(" resumed=no in=", 1, 10s)) << server.log();
  ASSERT_TRUE(server.read_err_count(" resumed=yes in=", 2, 10s)) << server.log();
}

TEST(Cli, ReconnectStopsAtTheFirstFailure) {
  // --exit-after 1: the second connection finds the server gone (refused, or reset if it
  // was still queued when the server exited); the run ends there, with one line why.
  Server server({"--http", "--exit-after", "1"});
  ASSERT_NE(server.port(), 0) << server.log();
  const auto o = run_cli(client_args(server, {"--reconnect", "3", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"}));
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_EQ(count_of(o.out, "HTTP/1.1 200 OK\r\n"), 1u) << o.out;
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.err.rfind("tlspp client: ", 0), 0u) << o.err;
  EXPECT_EQ(server.wait_exit(10s), 0) << server.log();
}

// A server in this process, with the library's own ticket settings: for each of `runs`
// connections it completes the handshake (its tickets follow it), reads the request,
// answers whether the connection resumed a session, and closes.
class TicketServer {
 public:
  explicit TicketServer(int runs) {
    auto options = test::server_options_for(crypto::KeyType::ec_p256);
    options.tickets = 2;
    auto config = ServerConfig::create(options);
    EXPECT_TRUE(config) << config.error().to_string();
    auto l = io::listen_tcp("127.0.0.1", 0);
    EXPECT_TRUE(l);
    listener_ = l ? *l : -1;
    auto p = io::local_port(listener_);
    port_ = p ? *p : 0;
    thread_ = std::thread([this, cfg = config ? *config : nullptr, runs] {
      for (int i = 0; i < runs && cfg; ++i) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        auto s = Stream::accept(cfg, fd);
        if (!s) continue;
        uint8_t buf[512];
        if (auto n = s->read(buf); !n || *n == 0) continue;
        const std::string reply = std::string("HTTP/1.0 200 OK\r\n\r\nresumed: ") +
                                  (s->connection().negotiated().resumed ? "yes" : "no") + "\n";
        if (!s->write_all(ByteView(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()))) continue;
        if (!s->close()) continue;
        while (auto n = s->read(buf)) {  // until the client's close_notify
          if (*n == 0) break;
        }
      }
    });
  }
  ~TicketServer() {
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  TicketServer(const TicketServer&) = delete;
  TicketServer& operator=(const TicketServer&) = delete;
  [[nodiscard]] std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(Cli, ReconnectResumesWithTheTicketItWasGiven) {
  TicketServer server(3);
  const auto o = run_cli({"client", server.addr(), "--servername", "localhost", "--ca", files().root, "--summary",
                          "--reconnect", "2", "--request", "GET / HTTP/1.0\\r\\n\\r\\n"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out,
            "HTTP/1.0 200 OK\r\n\r\nresumed: no\n"
            "HTTP/1.0 200 OK\r\n\r\nresumed: yes\n"
            "HTTP/1.0 200 OK\r\n\r\nresumed: yes\n");
  const auto blocks = summaries(o.err);
  ASSERT_EQ(blocks.size(), 3u) << o.err;
  EXPECT_NE(blocks[0].find("\nresumed: no\n"), std::string::npos) << blocks[0];
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_NE(blocks[i].find("\nresumed: yes\n"), std::string::npos) << blocks[i];
    // No certificate is sent again: the summary names the one the session was made with.
    EXPECT_NE(blocks[i].find("\npeer_certificate: CN=localhost"), std::string::npos) << blocks[i];
    EXPECT_NE(blocks[i].find("\nverified: yes\n"), std::string::npos) << blocks[i];
  }
}

TEST(Cli, ReconnectUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"client", "127.0.0.1:1", "--reconnect", "2"},
       "tlspp client: --reconnect needs --request (stdin can be sent only once)"},
      {{"client", "127.0.0.1:1", "--reconnect", "0", "--request", "x"}, "tlspp client: --reconnect must be between 1"},
      {{"client", "127.0.0.1:1", "--reconnect", "1001", "--request", "x"},
       "tlspp client: --reconnect must be between 1"},
      {{"client", "127.0.0.1:1", "--reconnect", "two", "--request", "x"},
       "tlspp client: --reconnect takes a number"},
      {{"client", "127.0.0.1:1", "--reconnect", "", "--request", "x"}, "tlspp client: --reconnect takes a number"},
  };
  for (const auto& [args, says] : cases) {
    const auto o = run_cli(args);
    EXPECT_EQ(o.status, 2) << args[2] << " " << args[3] << "\n" << o.err;
    EXPECT_EQ(o.err.rfind(says, 0), 0u) << o.err;
    EXPECT_NE(o.err.find("\nusage: tlspp client"), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "");
  }
}

}  // namespace
}  // namespace tlspp
