// tlspp::Stream, the blocking socket shell around Connection, on 127.0.0.1: round trips,
// close_notify versus a bare TCP close, alerts reaching the peer on failures, name
// resolution, moves.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "io/socket.h"
#include "support/tls_pair.h"
#include "tlspp/stream.h"

namespace tlspp {
namespace {

using crypto::KeyType;

ByteView bytes(const std::string& s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

// A listening socket on 127.0.0.1 and a thread that accepts one connection, runs the
// server handshake on it and hands the result to `body`.
class OneShotServer {
 public:
  OneShotServer(ServerOptions options, std::function<void(Result<Stream>)> body) {
    auto config = ServerConfig::create(std::move(options));
    EXPECT_TRUE(config) << config.error().to_string();
    auto l = io::listen_tcp("127.0.0.1", 0);
    EXPECT_TRUE(l);
    listener_ = l ? *l : -1;
    auto p = io::local_port(listener_);
    port_ = p ? *p : 0;
    thread_ = std::thread([this, cfg = config ? *config : nullptr, body = std::move(body)] {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      body(Stream::accept(cfg, fd));
    });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  void join() { thread_.join(); }
  [[nodiscard]] uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

std::shared_ptr<const ClientConfig> client_config(ClientOptions o = test::client_options_for(KeyType::ec_p256)) {
  auto c = ClientConfig::create(std::move(o));
  EXPECT_TRUE(c) << c.error().to_string();
  return c ? *c : nullptr;
}

// Reads until close_notify; fails the test on an error.
std::string read_all(Stream& s) {
  std::string out;
  uint8_t buf[4096];
  for (;;) {
    auto n = s.read(buf);
    EXPECT_TRUE(n) << n.error().to_string();
    if (!n || *n == 0) return out;
    out.append(reinterpret_cast<const char*>(buf), *n);
  }
}

TEST(Stream, EchoRoundTripAndCloseNotifyBothWays) {
  std::string server_saw;
  Negotiated server_negotiated;
  OneShotServer server(test::server_options_for(KeyType::ec_p256), [&](Result<Stream> s) {
    ASSERT_TRUE(s) << s.error().to_string();
    server_negotiated = s->connection().negotiated();
    server_saw = read_all(*s);  // until the client's close_notify
    EXPECT_TRUE(s->write_all(bytes("reply after your close")));
    EXPECT_TRUE(s->close());
  });
  auto s = Stream::connect(client_config(), "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(s->connection().handshake_done());
  EXPECT_TRUE(s->connection().negotiated().peer_verified);
  ASSERT_TRUE(s->write_all(bytes("hello ")));
  ASSERT_TRUE(s->write_all(bytes("world")));
  // RFC 8446 §6.1: close_notify closes our direction only; the server may still answer.
  ASSERT_TRUE(s->close());
  EXPECT_EQ(read_all(*s), "reply after your close");
  server.join();
  EXPECT_EQ(server_saw, "hello world");
  EXPECT_EQ(server_negotiated.server_name, "localhost");
  // After close_notify read() keeps returning 0.
  uint8_t buf[8];
  auto again = s->read(buf);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST(Stream, LargeTransferBothWays) {
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 251);
  OneShotServer server(test::server_options_for(KeyType::ec_p256), [&](Result<Stream> s) {
    ASSERT_TRUE(s) << s.error().to_string();
    // A Stream is used by one thread at a time: read everything, then send it back.
    const std::string got = read_all(*s);
    EXPECT_TRUE(s->write_all(bytes(got)));
    EXPECT_TRUE(s->close());
  });
  auto s = Stream::connect(client_config(), "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  ASSERT_TRUE(s->write_all(bytes(data)));
  ASSERT_TRUE(s->close());
  const std::string got = read_all(*s);
  EXPECT_TRUE(got == data) << got.size();
}

TEST(Stream, TcpCloseWithoutCloseNotifyIsAnError) {
  OneShotServer server(test::server_options_for(KeyType::ec_p256), [&](Result<Stream> s) {
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_TRUE(s->write_all(bytes("partial")));
    // The Stream is destroyed here: the socket closes without close_notify.
  });
  auto s = Stream::connect(client_config(), "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  uint8_t buf[64];
  std::string got;
  Result<size_t> n;
  while ((n = s->read(buf)) && *n) got.append(reinterpret_cast<const char*>(buf), *n);
  EXPECT_EQ(got, "partial");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().kind, ErrorKind::truncated);
  EXPECT_NE(n.error().message.find("without close_notify"), std::string::npos) << n.error().message;
}

// Connection::transport_closed in memory: the application's word that its transport ended.
TEST(TransportClosed, SucceedsAfterCloseNotify) {
  auto pair = test::connect(test::client_options_for(KeyType::ec_p256), test::server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair) << pair.error().to_string();
  ASSERT_TRUE(pair->server.write(bytes("last words")));
  pair->server.close();
  ASSERT_TRUE(test::pump(pair->client, pair->server));
  ASSERT_TRUE(pair->client.peer_closed());
  EXPECT_TRUE(pair->client.transport_closed());
  // Nothing failed: the data is there and the connection can still answer close_notify.
  EXPECT_FALSE(pair->client.error());
  uint8_t buf[32];
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), pair->client.read(buf)), "last words");
  pair->client.close();
  EXPECT_FALSE(pair->client.pending_output().empty());
}

TEST(TransportClosed, WithoutCloseNotifyIsTruncation) {
  auto pair = test::connect(test::client_options_for(KeyType::ec_p256), test::server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair) << pair.error().to_string();
  ASSERT_TRUE(pair->server.write(bytes("cut sh")));
  ASSERT_TRUE(test::pump(pair->client, pair->server));  // no close_notify follows
  const Status s = pair->client.transport_closed();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::truncated);
  EXPECT_EQ(s.error().alert, AlertDescription::close_notify);
  EXPECT_EQ(s.error().message, "the peer closed the connection without close_notify (data may be truncated)");
  EXPECT_EQ(error_kind_name(ErrorKind::truncated), "truncated");
  // The connection stays failed, sends nothing more (there is no transport), and what
  // arrived before the end is still readable.
  ASSERT_TRUE(pair->client.error());
  EXPECT_EQ(pair->client.error()->kind, ErrorKind::truncated);
  EXPECT_TRUE(pair->client.pending_output().empty());
  EXPECT_FALSE(pair->client.write(bytes("more")));
  EXPECT_EQ(pair->client.transport_closed().error().kind, ErrorKind::truncated);
  uint8_t buf[32];
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), pair->client.read(buf)), "cut sh");
}

TEST(TransportClosed, DuringTheHandshakeIsClosed) {
  auto config = client_config();
  auto conn = ClientConnection::create(config, test::server_name("localhost"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->consume_output(conn->pending_output().size());
  const Status s = conn->transport_closed();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::closed);
  // Before any ServerHello the client can say more than "closed" (test_hardening.cc).
  EXPECT_EQ(s.error().message,
            "the server closed the connection without answering the ClientHello (it may not support TLS 1.3 or TLS 1.2)");
  EXPECT_TRUE(conn->pending_output().empty());
  ASSERT_TRUE(conn->error());
}

// A close_notify during the handshake does not make the end of the stream clean: the
// handshake is still incomplete, so transport_closed() never succeeds there.
TEST(TransportClosed, CloseNotifyDuringTheHandshakeIsStillClosed) {
  auto config = client_config();
  auto conn = ClientConnection::create(config, test::server_name("localhost"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  const uint8_t close_notify[] = {21, 3, 3, 0, 2, 1, 0};  // a plaintext warning close_notify
  (void)conn->receive(close_notify);
  const Status s = conn->transport_closed();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().kind, ErrorKind::truncated);
}

TEST(Stream, ClientRejectionReachesTheServerAsAnAlert) {
  Error server_error;
  OneShotServer server(test::server_options_for(KeyType::ec_p256), [&](Result<Stream> s) {
    ASSERT_FALSE(s);
    server_error = s.error();
  });
  auto s = Stream::connect(client_config(), "127.0.0.1", server.port(), *ServerName::parse("wrong.example"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().alert, AlertDescription::bad_certificate);
  EXPECT_EQ(s.error().message,
            "certificate for 'localhost' does not match the requested name 'wrong.example'");
  server.join();
  EXPECT_EQ(server_error.kind, ErrorKind::alert_received);
  EXPECT_EQ(server_error.alert, AlertDescription::bad_certificate);
}

TEST(Stream, ServerRejectionReachesTheClientAsAnAlert) {
  auto s_opts = test::server_options_for(KeyType::ec_p256);
  s_opts.groups = {NamedGroup::secp384r1};
  Error server_error;
  OneShotServer server(s_opts, [&](Result<Stream> s) {
    ASSERT_FALSE(s);
    server_error = s.error();
  });
  auto c_opts = test::client_options_for(KeyType::ec_p256);
  c_opts.groups = {NamedGroup::x25519};
  auto s = Stream::connect(client_config(c_opts), "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  server.join();
  ASSERT_FALSE(s);
  EXPECT_EQ(server_error.alert, AlertDescription::handshake_failure);
  EXPECT_EQ(s.error().kind, ErrorKind::alert_received);
  EXPECT_EQ(s.error().alert, AlertDescription::handshake_failure);
}

TEST(Stream, RequiredClientCertificateMissingSurfacesAsTheServersAlert) {
  auto s_opts = test::server_options_for(KeyType::ec_p256);
  s_opts.client_auth = ClientAuth::required;
  s_opts.client_ca_files = test::client_options_for(KeyType::ec_p256).ca_files;
  OneShotServer server(s_opts, [&](Result<Stream> s) { EXPECT_FALSE(s); });
  // In TLS 1.3 the client finishes its handshake before the server judges its (missing)
  // certificate; the server's alert then arrives on the next read.
  auto s = Stream::connect(client_config(), "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  server.join();
  Error e;
  if (!s) {
    e = s.error();
  } else {
    uint8_t buf[16];
    auto n = s->read(buf);
    ASSERT_FALSE(n);
    e = n.error();
  }
  EXPECT_EQ(e.kind, ErrorKind::alert_received);
  EXPECT_EQ(e.alert, AlertDescription::certificate_required);
}

TEST(Stream, ConnectResolvesAHostNameAndVerifiesIt) {
  OneShotServer server(test::server_options_for(KeyType::ec_p256), [&](Result<Stream> s) {
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->connection().negotiated().server_name, "localhost");
    EXPECT_TRUE(s->close());
  });
  // "localhost" may resolve to ::1 first, where nothing listens: the next address is tried.
  auto s = Stream::connect(client_config(), "localhost", server.port());
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->connection().negotiated().server_name, "localhost");
  EXPECT_EQ(read_all(*s), "");
}

TEST(Stream, ConnectionRefusedIsAnIoError) {
  auto l = io::listen_tcp("127.0.0.1", 0);
  ASSERT_TRUE(l);
  auto port = io::local_port(*l);
  ASSERT_TRUE(port);
  close(*l);
  auto s = Stream::connect(client_config(), "127.0.0.1", *port, *ServerName::parse("localhost"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::io);
  EXPECT_EQ(s.error().message, "cannot connect to 127.0.0.1:" + std::to_string(*port) + ": Connection refused");
}

TEST(Stream, MoveTransfersTheSocket) {
  OneShotServer server(test::server_options_for(KeyType::ec_p256), [&](Result<Stream> s) {
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(read_all(*s), "moved");
    EXPECT_TRUE(s->close());
  });
  auto s = Stream::connect(client_config(), "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  const int fd = s->fd();
  Stream moved = std::move(*s);
  EXPECT_EQ(s->fd(), -1);
  EXPECT_EQ(moved.fd(), fd);
  ASSERT_TRUE(moved.write_all(bytes("moved")));
  ASSERT_TRUE(moved.close());
  EXPECT_EQ(read_all(moved), "");
}

TEST(Stream, EndpointParsing) {
  auto a = io::parse_endpoint("127.0.0.1:8443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8443);
  auto b = io::parse_endpoint("[::1]:443");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 443);
  auto c = io::parse_endpoint("example.com:0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 0);
  for (const char* bad : {"127.0.0.1", "::1:443", "[::1]443", "host:", ":443", "host:65536", "host:12a", "[::1"})
    EXPECT_FALSE(io::parse_endpoint(bad)) << bad;
  EXPECT_EQ(io::format_endpoint("::1", 443), "[::1]:443");
  EXPECT_EQ(io::format_endpoint("127.0.0.1", 1), "127.0.0.1:1");
}

}  // namespace
}  // namespace tlspp
