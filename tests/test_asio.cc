// tlspp::asio::stream (adapters/asio) against OpenSSL's s_server and s_client on 127.0.0.1:
// handshakes (TLS 1.3 and 1.2), requests and responses, verification failures as error
// codes, close_notify as asio::error::eof, a cut transport as stream_truncated, the three
// completion-token styles (callbacks, use_future, use_awaitable), a megabyte each way, and
// the two example programs.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/tls_pair.h"
#include "tlspp/asio.h"

extern char** environ;

namespace tlspp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tcp = ::asio::ip::tcp;
using tls_stream = tlspp::asio::stream<tcp::socket>;

// ---------------------------------------------------------------- the test PKI as files

struct Files {
  std::string root, chain, key, other_root;
};

void write_file(const std::string& path, const Bytes& data) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                              static_cast<std::streamsize>(data.size()));
}

// A chain for "localhost" under a test root, and a real root (Let's Encrypt's) that does
// not vouch for it.
const Files& files() {
  static const Files f = [] {
    Files x;
    const auto& pki = test::shared_pki(crypto::KeyType::ec_p256, "localhost");
    x.root = test::write_temp_pem(pki.root, "asio-root.pem");
    const std::string dir = x.root.substr(0, x.root.rfind('/'));
    const auto pair = test::pem_pair(pki);
    x.chain = dir + "/asio-chain.pem";
    x.key = dir + "/asio-key.pem";
    write_file(x.chain, pair.cert_pem);
    write_file(x.key, pair.key_pem);
    x.other_root = TLSPP_SOURCE_DIR "/tests/data/pki/ISRG_Root_X1.pem";
    return x;
  }();
  return f;
}

std::shared_ptr<const ClientConfig> client_config(const std::string& ca_file = files().root) {
  ClientOptions o;
  o.ca_files = {ca_file};
  auto c = ClientConfig::create(o);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().to_string());
  return c ? *c : nullptr;
}

std::shared_ptr<const ServerConfig> server_config() {
  ServerOptions o;
  CertificateKeyPair pair;
  pair.cert_file = files().chain;
  pair.key_file = files().key;
  o.certificates.push_back(pair);
  auto c = ServerConfig::create(o);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().to_string());
  return c ? *c : nullptr;
}

// ---------------------------------------------------------------- processes

// A child process with pipes on stdin, stdout and stderr; killed (by its PID) and reaped
// when destroyed.
class Process {
 public:
  explicit Process(std::vector<std::string> argv) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return;
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    fcntl(out_, F_SETFL, O_NONBLOCK);
    fcntl(err_, F_SETFL, O_NONBLOCK);
  }
  ~Process() {
    kill_now();
    for (int fd : {in_, out_, err_})
      if (fd >= 0) close(fd);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Writes all of `data` to the child's stdin (blocking).
  bool write_stdin(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = write(in_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }
  // Collects stdout (and stderr) until stdout holds `text` or `timeout` passes.
  bool wait_stdout(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (out_text_.find(text) == std::string::npos) {
      if (Clock::now() > deadline || !pump(deadline)) return out_text_.find(text) != std::string::npos;
    }
    return true;
  }
  // Collects stdout until it holds `bytes` bytes or `timeout` passes.
  bool wait_stdout_size(size_t bytes, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (out_text_.size() < bytes) {
      if (Clock::now() > deadline || !pump(deadline)) return out_text_.size() >= bytes;
    }
    return true;
  }
  // Waits for the child to exit (collecting its output); its exit code, or -1.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (out_ >= 0 || err_ >= 0) {
      if (Clock::now() > deadline || !pump(deadline)) break;
    }
    for (;;) {
      int st = 0;
      const pid_t r = waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      if (r < 0 || Clock::now() > deadline) return -1;
      std::this_thread::sleep_for(5ms);
    }
  }
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  [[nodiscard]] const std::string& out() const { return out_text_; }
  [[nodiscard]] const std::string& err() const { return err_text_; }

 private:
  // One poll of stdout and stderr; false once both are closed.
  bool pump(Clock::time_point deadline) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
    if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
    if (n == 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (poll(fds, n, static_cast<int>(std::max<long>(left, 0))) <= 0) return true;
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      const bool is_out = fds[i].fd == out_;
      char buf[65536];
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        (is_out ? out_text_ : err_text_).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(fds[i].fd);
        (is_out ? out_ : err_) = -1;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_text_, err_text_;
};

// A port nobody listens on right now (the kernel's choice).
uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(a.sin_port);
}

// `openssl s_server` on 127.0.0.1 with the test chain; ready once it accepts connections.
class SServer {
 public:
  explicit SServer(std::vector<std::string> extra) : port_(free_port()), proc_(argv(port_, std::move(extra))) {
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      // A probe connection, closed at once (s_server logs a failed handshake and goes on).
      if (probe()) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "openssl s_server did not start: " << proc_.err();
  }
  [[nodiscard]] bool ready() const { return ready_; }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] tcp::endpoint endpoint() const { return {::asio::ip::address_v4::loopback(), port_}; }
  Process& process() { return proc_; }

 private:
  static std::vector<std::string> argv(uint16_t port, std::vector<std::string> extra) {
    std::vector<std::string> a = {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                  "-cert",   files().chain, "-cert_chain", files().chain, "-key", files().key};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  [[nodiscard]] bool probe() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return ok;
  }
  uint16_t port_;
  Process proc_;
  bool ready_ = false;
};

// `openssl s_client` against 127.0.0.1:port, verifying the test chain for "localhost".
std::vector<std::string> s_client_argv(uint16_t port, std::vector<std::string> extra) {
  std::vector<std::string> a = {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                                "-servername", "localhost", "-verify_hostname", "localhost",
                                "-CAfile", files().root, "-verify_return_error", "-nocommands"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Runs `io` until `done` or the deadline; false on timeout.
bool run_until(::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  io.restart();
  while (!done()) {
    if (Clock::now() > deadline) return false;
    io.run_for(20ms);
    if (io.stopped()) io.restart();
  }
  return true;
}

const std::string kGet = "GET / HTTP/1.0\r\n\r\n";

// ---------------------------------------------------------------- client against s_server

// Callback style: handshake, an HTTP request to s_server -www, its response up to its
// close_notify (eof), then our close_notify.
void fetch_with_callbacks(const std::vector<std::string>& server_args, ProtocolVersion expected) {
  SServer server(server_args);
  ASSERT_TRUE(server.ready());
  ::asio::io_context io;
  tcp::socket sock(io);
  sock.connect(server.endpoint());
  tls_stream tls(std::move(sock), client_config(), "localhost");

  std::optional<std::error_code> hs, wr, rd, sd;
  std::string response;
  char buf[4096];
  std::function<void()> read_more = [&] {
    tls.async_read_some(::asio::buffer(buf), [&](std::error_code ec, size_t n) {
      response.append(buf, n);
      if (ec) {
        rd = ec;
        tls.async_shutdown([&](std::error_code e) { sd = e; });
        return;
      }
      read_more();
    });
  };
  tls.async_handshake(tls.client, [&](std::error_code ec) {
    hs = ec;
    if (ec) return;
    ::asio::async_write(tls, ::asio::buffer(kGet), [&](std::error_code e, size_t) {
      wr = e;
      if (!e) read_more();
    });
  });
  ASSERT_TRUE(run_until(io, [&] { return sd.has_value() || (hs && *hs) || (wr && *wr); }));
  ASSERT_FALSE(*hs) << hs->message();
  ASSERT_FALSE(*wr) << wr->message();
  EXPECT_EQ(*rd, ::asio::error::eof) << rd->message();
  EXPECT_FALSE(*sd) << sd->message();
  EXPECT_EQ(response.rfind("HTTP/1.0 200 ok", 0), 0u) << response.substr(0, 200);
  EXPECT_NE(response.find("</HTML>"), std::string::npos) << "the whole page arrives before eof";
  ASSERT_NE(tls.connection(), nullptr);
  EXPECT_EQ(tls.connection()->negotiated().version, expected);
  EXPECT_TRUE(tls.connection()->negotiated().peer_verified);
}

TEST(Asio, ClientTls13RequestResponseAgainstSServer) {
  fetch_with_callbacks({"-www", "-tls1_3"}, ProtocolVersion::tls13);
}

TEST(Asio, ClientTls12RequestResponseAgainstSServer) {
  fetch_with_callbacks({"-www", "-tls1_2"}, ProtocolVersion::tls12);
}

TEST(Asio, UseFutureForm) {
  SServer server({"-www", "-tls1_3"});
  ASSERT_TRUE(server.ready());
  ::asio::io_context io;
  auto work = ::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  tcp::socket sock(io);
  sock.connect(server.endpoint());
  tls_stream tls(std::move(sock), client_config(), "localhost");
  std::string response;
  bool clean_eof = false;
  try {
    tls.async_handshake(tls.client, ::asio::use_future).get();
    EXPECT_EQ(::asio::async_write(tls, ::asio::buffer(kGet), ::asio::use_future).get(), kGet.size());
    char buf[4096];
    for (;;) {
      auto f = tls.async_read_some(::asio::buffer(buf), ::asio::use_future);
      ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
      try {
        response.append(buf, f.get());
      } catch (const std::system_error& e) {
        clean_eof = e.code() == ::asio::error::eof;
        EXPECT_TRUE(clean_eof) << e.code().message();
        break;
      }
    }
    tls.async_shutdown(::asio::use_future).get();
  } catch (const std::system_error& e) {
    ADD_FAILURE() << e.code().message();
  }
  work.reset();
  runner.join();
  EXPECT_TRUE(clean_eof);
  EXPECT_EQ(response.rfind("HTTP/1.0 200 ok", 0), 0u);
}

TEST(Asio, CoroutineForm) {
  SServer server({"-www"});
  ASSERT_TRUE(server.ready());
  ::asio::io_context io;
  std::string response;
  std::error_code last;
  bool finished = false;
  auto session = [&]() -> ::asio::awaitable<void> {
    tcp::socket sock(co_await ::asio::this_coro::executor);
    co_await sock.async_connect(server.endpoint(), ::asio::use_awaitable);
    tls_stream tls(std::move(sock), client_config(), "localhost");
    co_await tls.async_handshake(tls.client, ::asio::use_awaitable);
    co_await ::asio::async_write(tls, ::asio::buffer(kGet), ::asio::use_awaitable);
    char buf[4096];
    for (;;) {
      const size_t n =
          co_await tls.async_read_some(::asio::buffer(buf), ::asio::redirect_error(::asio::use_awaitable, last));
      response.append(buf, n);
      if (last) break;
    }
    co_await tls.async_shutdown(::asio::use_awaitable);
  };
  ::asio::co_spawn(io, session(), [&](std::exception_ptr e) {
    finished = true;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        ADD_FAILURE() << x.what();
      }
    }
  });
  ASSERT_TRUE(run_until(io, [&] { return finished; }));
  EXPECT_EQ(last, ::asio::error::eof) << last.message();
  EXPECT_EQ(response.rfind("HTTP/1.0 200 ok", 0), 0u);
}

TEST(Asio, SynchronousForm) {
  SServer server({"-www", "-tls1_2"});
  ASSERT_TRUE(server.ready());
  ::asio::io_context io;
  tcp::socket sock(io);
  sock.connect(server.endpoint());
  tls_stream tls(std::move(sock), client_config(), "localhost");
  std::error_code ec;
  tls.handshake(tls.client, ec);
  ASSERT_FALSE(ec) << ec.message();
  ::asio::write(tls, ::asio::buffer(kGet), ec);
  ASSERT_FALSE(ec) << ec.message();
  std::string response;
  char buf[4096];
  for (;;) {
    const size_t n = tls.read_some(::asio::buffer(buf), ec);
    response.append(buf, n);
    if (ec) break;
  }
  EXPECT_EQ(ec, ::asio::error::eof) << ec.message();
  EXPECT_EQ(response.rfind("HTTP/1.0 200 ok", 0), 0u);
  tls.shutdown(ec);
  EXPECT_FALSE(ec) << ec.message();
}

// Verification failures complete the handshake with an error of the tlspp category that
// names the certificate problem.
struct FailedHandshake {
  std::error_code ec;
  std::optional<Error> last_error;
};
FailedHandshake failed_handshake(const std::string& name, const std::string& ca_file) {
  SServer server({"-www"});
  if (!server.ready()) return {};
  ::asio::io_context io;
  tcp::socket sock(io);
  sock.connect(server.endpoint());
  tls_stream tls(std::move(sock), client_config(ca_file), name);
  std::optional<std::error_code> hs;
  tls.async_handshake(tls.client, [&](std::error_code ec) { hs = ec; });
  EXPECT_TRUE(run_until(io, [&] { return hs.has_value(); }));
  return {hs.value_or(std::error_code{}), tls.last_error()};
}

TEST(Asio, WrongNameFailsVerification) {
  const auto [ec, last_error] = failed_handshake("wrong.example", files().root);
  ASSERT_TRUE(ec);
  EXPECT_EQ(&ec.category(), &tlspp::asio::category());
  EXPECT_EQ(tlspp::asio::error_kind(ec), ErrorKind::bad_certificate) << ec.message();
  EXPECT_NE(ec.message().find("certificate"), std::string::npos) << ec.message();
  ASSERT_TRUE(last_error.has_value());
  EXPECT_NE(last_error->message.find("wrong.example"), std::string::npos) << last_error->message;
}

TEST(Asio, UntrustedCaFailsVerification) {
  const auto [ec, last_error] = failed_handshake("localhost", files().other_root);
  ASSERT_TRUE(ec);
  EXPECT_EQ(tlspp::asio::error_kind(ec), ErrorKind::bad_certificate) << ec.message();
  EXPECT_EQ(tlspp::asio::error_alert(ec), AlertDescription::unknown_ca) << ec.message();
  EXPECT_NE(ec.message().find("unknown_ca"), std::string::npos) << ec.message();
  EXPECT_NE(ec, ::asio::error::eof);
  ASSERT_TRUE(last_error.has_value());
  EXPECT_NE(last_error->message.find("not signed by a trusted authority"), std::string::npos) << last_error->message;
}

TEST(Asio, TruncationIsStreamTruncated) {
  SServer server({"-quiet"});
  ASSERT_TRUE(server.ready());
  ::asio::io_context io;
  tcp::socket sock(io);
  sock.connect(server.endpoint());
  tls_stream tls(std::move(sock), client_config(), "localhost");
  std::error_code ec;
  tls.handshake(tls.client, ec);
  ASSERT_FALSE(ec) << ec.message();
  ::asio::write(tls, ::asio::buffer(std::string("ping\n")), ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(server.process().wait_stdout("ping\n", 5s));
  // The server's data arrives, then its process dies: TCP ends without close_notify.
  ASSERT_TRUE(server.process().write_stdin("pong\n"));
  std::string got;
  std::optional<std::error_code> rd;
  char buf[256];
  std::function<void()> read_more = [&] {
    tls.async_read_some(::asio::buffer(buf), [&](std::error_code e, size_t n) {
      got.append(buf, n);
      if (got == "pong\n") server.process().kill_now();
      if (e) {
        rd = e;
        return;
      }
      read_more();
    });
  };
  read_more();
  ASSERT_TRUE(run_until(io, [&] { return rd.has_value(); }));
  EXPECT_EQ(got, "pong\n");
  EXPECT_EQ(*rd, tlspp::asio::error::stream_truncated) << rd->message();
  EXPECT_NE(*rd, ::asio::error::eof);
  EXPECT_EQ(tlspp::asio::error_kind(*rd), ErrorKind::truncated);
}

// A megabyte up and a megabyte down at the same time (one read and one write outstanding):
// s_server -quiet prints what it receives and sends what it reads from stdin.
TEST(Asio, MegabyteBothWays) {
  SServer server({"-quiet"});
  ASSERT_TRUE(server.ready());
  constexpr size_t kSize = 1 << 20;
  std::string up(kSize, '\0'), down(kSize, '\0');
  for (size_t i = 0; i < kSize; ++i) {
    up[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    down[i] = static_cast<char>('A' + (i * 11 + i / 1000) % 26);
  }
  ::asio::io_context io;
  tcp::socket sock(io);
  sock.connect(server.endpoint());
  tls_stream tls(std::move(sock), client_config(), "localhost");
  std::error_code ec;
  tls.handshake(tls.client, ec);
  ASSERT_FALSE(ec) << ec.message();

  std::thread feeder([&] { server.process().write_stdin(down); });
  std::atomic<bool> uploaded{false};
  std::thread collector([&] { uploaded = server.process().wait_stdout_size(kSize, 15s); });

  std::optional<std::error_code> wr, rd;
  std::string received;
  std::vector<char> buf(20000);
  ::asio::async_write(tls, ::asio::buffer(up), [&](std::error_code e, size_t n) {
    wr = e;
    EXPECT_EQ(n, kSize);
  });
  std::function<void()> read_more = [&] {
    tls.async_read_some(::asio::buffer(buf), [&](std::error_code e, size_t n) {
      received.append(buf.data(), n);
      if (e || received.size() >= kSize) {
        rd = e;
        return;
      }
      read_more();
    });
  };
  read_more();
  const bool finished = run_until(io, [&] { return wr.has_value() && rd.has_value(); }, 15s);
  feeder.join();
  collector.join();
  ASSERT_TRUE(finished);
  EXPECT_FALSE(*wr) << wr->message();
  EXPECT_FALSE(*rd) << rd->message();
  EXPECT_TRUE(received == down) << "received " << received.size() << " bytes";
  ASSERT_TRUE(uploaded);
  EXPECT_TRUE(server.process().out() == up) << "s_server printed " << server.process().out().size() << " bytes";
}

// ---------------------------------------------------------------- server against s_client

struct EchoResult {
  std::optional<std::error_code> handshake, end, shutdown;
  size_t echoed = 0;
  std::optional<ProtocolVersion> version;
};

// A callback-chained echo server for one connection. With `close_after` > 0 the server
// itself sends close_notify once it has echoed that many bytes.
class EchoServer {
 public:
  EchoServer(::asio::io_context& io, size_t close_after = 0)
      : acceptor_(io, tcp::endpoint(::asio::ip::address_v4::loopback(), 0)), close_after_(close_after) {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket sock) {
      if (ec) {
        result.handshake = ec;
        return;
      }
      tls_.emplace(std::move(sock), server_config());
      tls_->async_handshake(tls_->server, [this](std::error_code e) {
        result.handshake = e;
        if (e) return;
        result.version = tls_->connection()->negotiated().version;
        read();
      });
    });
  }
  [[nodiscard]] uint16_t port() const { return acceptor_.local_endpoint().port(); }
  EchoResult result;

 private:
  void read() {
    tls_->async_read_some(::asio::buffer(buf_), [this](std::error_code ec, size_t n) {
      if (ec) {
        result.end = ec;
        if (ec == ::asio::error::eof) shutdown();
        return;
      }
      ::asio::async_write(*tls_, ::asio::buffer(buf_, n), [this](std::error_code e, size_t m) {
        if (e) {
          result.end = e;
          return;
        }
        result.echoed += m;
        if (close_after_ && result.echoed >= close_after_) return shutdown();
        read();
      });
    });
  }
  void shutdown() {
    tls_->async_shutdown([this](std::error_code e) { result.shutdown = e; });
  }
  tcp::acceptor acceptor_;
  size_t close_after_;
  std::optional<tls_stream> tls_;
  char buf_[8192];
};

// s_client sends a line, sees it echoed, then its stdin ends: it sends close_notify, which
// the server reads as eof and answers with its own.
void echo_against_s_client(const std::vector<std::string>& client_args, ProtocolVersion expected) {
  ::asio::io_context io;
  EchoServer server(io);
  Process client(s_client_argv(server.port(), client_args));
  ASSERT_TRUE(client.write_stdin("hello through asio\n"));
  std::atomic<bool> echoed{false};
  std::thread watcher([&] {
    echoed = client.wait_stdout("hello through asio\n", 8s);
    client.close_stdin();
  });
  const bool finished = run_until(io, [&] {
    const auto& r = server.result;
    return r.shutdown.has_value() || (r.end.has_value() && *r.end != ::asio::error::eof) ||
           (r.handshake.has_value() && *r.handshake);
  });
  watcher.join();
  EXPECT_EQ(client.wait_exit(5s), 0) << client.err();
  ASSERT_TRUE(finished) << client.err();
  ASSERT_TRUE(server.result.handshake.has_value());
  EXPECT_FALSE(*server.result.handshake) << server.result.handshake->message();
  EXPECT_TRUE(echoed) << client.out();
  EXPECT_EQ(server.result.version, expected);
  EXPECT_EQ(server.result.echoed, std::string("hello through asio\n").size());
  EXPECT_EQ(*server.result.end, ::asio::error::eof) << server.result.end->message();
  EXPECT_FALSE(*server.result.shutdown) << server.result.shutdown->message();
}

TEST(Asio, EchoServerTls13AgainstSClient) { echo_against_s_client({"-tls1_3"}, ProtocolVersion::tls13); }
TEST(Asio, EchoServerTls12AgainstSClient) { echo_against_s_client({"-tls1_2"}, ProtocolVersion::tls12); }

// Our side closes first: s_client answers our close_notify with its own, which completes
// async_shutdown without error.
TEST(Asio, ServerInitiatedShutdownExchange) {
  ::asio::io_context io;
  const std::string line = "close after this\n";
  EchoServer server(io, line.size());
  Process client(s_client_argv(server.port(), {"-quiet"}));
  ASSERT_TRUE(client.write_stdin(line));
  ASSERT_TRUE(run_until(io, [&] { return server.result.shutdown.has_value() || server.result.end.has_value(); }))
      << client.err();
  EXPECT_FALSE(server.result.end.has_value()) << server.result.end->message();
  ASSERT_TRUE(server.result.shutdown.has_value());
  EXPECT_FALSE(*server.result.shutdown) << server.result.shutdown->message();
  EXPECT_EQ(client.wait_exit(5s), 0) << client.err();
  EXPECT_NE(client.out().find(line), std::string::npos) << client.out();
}

// ---------------------------------------------------------------- the examples

TEST(Asio, EchoServerExampleAgainstSClient) {
  Process server({TLSPP_ASIO_ECHO_SERVER, files().chain, files().key, "0"});
  // The example says where it listens on stderr.
  const auto deadline = Clock::now() + 5s;
  uint16_t port = 0;
  while (port == 0 && Clock::now() < deadline) {
    server.wait_stdout("\n", 50ms);
    const std::string prefix = "listening on 127.0.0.1:";
    if (const size_t at = server.err().find(prefix); at != std::string::npos && server.err().find('\n', at) != std::string::npos)
      port = static_cast<uint16_t>(std::stoi(server.err().substr(at + prefix.size())));
  }
  ASSERT_NE(port, 0) << server.err();
  Process client(s_client_argv(port, {}));
  ASSERT_TRUE(client.write_stdin("echo me\n"));
  EXPECT_TRUE(client.wait_stdout("echo me\n", 5s)) << client.out() << client.err();
  client.close_stdin();
  EXPECT_EQ(client.wait_exit(5s), 0) << client.err();
  // The server logged the connection's clean end (the client's close_notify, answered).
  const auto until = Clock::now() + 3s;
  while (server.err().find("closed after 8 bytes") == std::string::npos && Clock::now() < until)
    server.wait_stdout("\n", 50ms);
  EXPECT_NE(server.err().find("closed after 8 bytes"), std::string::npos) << server.err();
}

TEST(Asio, HttpsGetExampleAgainstSServer) {
  SServer server({"-www"});
  ASSERT_TRUE(server.ready());
  Process get({TLSPP_ASIO_HTTPS_GET, "localhost", std::to_string(server.port()), "/", files().root});
  EXPECT_EQ(get.wait_exit(8s), 0) << get.err();
  EXPECT_EQ(get.out().rfind("HTTP/1.0 200 ok", 0), 0u) << get.out().substr(0, 200) << get.err();
  EXPECT_NE(get.err().find("connected: TLSv1.3"), std::string::npos) << get.err();
}

TEST(Asio, HttpsGetExampleRefusesUntrustedServer) {
  SServer server({"-www"});
  ASSERT_TRUE(server.ready());
  Process get({TLSPP_ASIO_HTTPS_GET, "localhost", std::to_string(server.port()), "/", files().other_root});
  EXPECT_EQ(get.wait_exit(8s), 1) << get.err();
  EXPECT_EQ(get.out(), "");
  EXPECT_NE(get.err().find("unknown_ca"), std::string::npos) << get.err();
}

}  // namespace
}  // namespace tlspp
