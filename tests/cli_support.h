// Helpers for the tests that run the `tlspp` binary (TLSPP_CLI_PATH) as real processes on
// 127.0.0.1: spawning it with pipes, waiting with deadlines, the test PKI as PEM files, and a
// `tlspp server` fixture that learns its port from the "listening on" line.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/socket.h"
#include "support/tls_pair.h"
#include "tlspp/stream.h"

extern char** environ;

namespace tlspp::cli_test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- processes

struct Child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;
};

// Starts `tlspp ARGS...` with pipes for stdin, stdout and stderr, and `env` added to the
// environment. A `max_fds` other than 0 becomes the child's RLIMIT_NOFILE (soft and hard).
// The child gets no descriptor of this process's beyond the three pipes (whatever ran the
// tests may have handed some down), only `inherit` open descriptors of /dev/null besides.
inline Child spawn(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                   rlim_t max_fds = 0, int inherit = 0) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return {};
  }
  std::vector<std::string> argv_s = {TLSPP_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "SSLKEYLOGFILE=", 14) != 0) env_s.emplace_back(*e);
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close_range(3, ~0U, 0);
    for (int i = 0; i < inherit; ++i)
      if (open("/dev/null", O_RDONLY) < 0) _exit(125);
    if (max_fds) {
      const rlimit lim{max_fds, max_fds};
      if (setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(126);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  return {pid, in[1], out[0], err[0]};
}

struct Outcome {
  int status = -1;  // exit code, or -1 when killed / timed out
  bool timed_out = false;
  std::string out, err;
};

// Waits for `pid` until `deadline`; kills it when the deadline passes.
inline int wait_for(pid_t pid, Clock::time_point deadline, bool* timed_out = nullptr) {
  for (;;) {
    int st = 0;
    const pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (r < 0) return -1;
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      if (timed_out) *timed_out = true;
      return -1;
    }
    std::this_thread::sleep_for(5ms);
  }
}

// Feeds `input` to a spawned process, collects its output, and waits for it to exit.
inline Outcome finish(Child c, const std::string& input, std::chrono::seconds timeout = 20s) {
  Outcome o;
  const auto deadline = Clock::now() + timeout;
  size_t written = 0;
  if (input.empty()) {
    close(c.in);
    c.in = -1;
  }
  while (c.out >= 0 || c.err >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    int* owners[3];
    if (c.out >= 0) owners[n] = &c.out, fds[n++] = {c.out, POLLIN, 0};
    if (c.err >= 0) owners[n] = &c.err, fds[n++] = {c.err, POLLIN, 0};
    if (c.in >= 0) owners[n] = &c.in, fds[n++] = {c.in, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      o.timed_out = true;
      break;
    }
    if (poll(fds, n, static_cast<int>(left)) < 0) continue;
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      int& fd = *owners[i];
      if (&fd == &c.in) {
        const ssize_t w = write(fd, input.data() + written, std::min<size_t>(input.size() - written, 65536));
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 || written == input.size()) {
          close(fd);
          fd = -1;
        }
        continue;
      }
      char buf[65536];
      const ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        close(fd);
        fd = -1;
      } else {
        (&fd == &c.out ? o.out : o.err).append(buf, static_cast<size_t>(r));
      }
    }
  }
  for (int fd : {c.in, c.out, c.err})
    if (fd >= 0) close(fd);
  bool killed = false;
  o.status = wait_for(c.pid, o.timed_out ? Clock::now() : deadline, &killed);
  o.timed_out = o.timed_out || killed;
  return o;
}

inline Outcome run_cli(const std::vector<std::string>& args, const std::string& input = "",
                const std::vector<std::string>& env = {}) {
  return finish(spawn(args, env), input);
}

inline size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// Whether this build (and so the tlspp binary the tests spawn) runs under AddressSanitizer,
// whose allocator, redzones and shadow memory make RSS figures larger than a release build's.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// While it lives, processes spawned get no ASan quarantine (freed blocks would otherwise sit
// in it, up to 256 MB, and a server's RSS count every block it ever freed, not what it
// holds); without ASan the variable means nothing.
class NoAsanQuarantine {
 public:
  NoAsanQuarantine() {
    const char* asan = std::getenv("ASAN_OPTIONS");
    had_ = asan != nullptr;
    saved_ = asan ? asan : "";
    ::setenv("ASAN_OPTIONS",
             (saved_ + (saved_.empty() ? "" : ":") + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0").c_str(), 1);
  }
  ~NoAsanQuarantine() {
    if (had_) {
      ::setenv("ASAN_OPTIONS", saved_.c_str(), 1);
    } else {
      ::unsetenv("ASAN_OPTIONS");
    }
  }
  NoAsanQuarantine(const NoAsanQuarantine&) = delete;
  NoAsanQuarantine& operator=(const NoAsanQuarantine&) = delete;

 private:
  bool had_ = false;
  std::string saved_;
};

// A process's resident memory (VmRSS of /proc/PID/status) in bytes; 0 if unknown.
inline size_t rss_bytes(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  return 0;
}

// How many descriptors a process has open (/proc/PID/fd).
inline size_t open_fds(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

// ---------------------------------------------------------------- fixtures

struct Files {
  std::string dir, root, chain, key, client_root, client_chain, client_key;
};

inline void write_file(const std::string& path, const Bytes& data) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                              static_cast<std::streamsize>(data.size()));
}

// A server PKI for "localhost" and a client PKI for "client.example", as PEM files.
inline const Files& files() {
  static const Files f = [] {
    Files x;
    const auto& server = test::shared_pki(crypto::KeyType::ec_p256, "localhost");
    x.root = test::write_temp_pem(server.root, "cli-root.pem");
    x.dir = x.root.substr(0, x.root.rfind('/'));
    const auto pair = test::pem_pair(server);
    x.chain = x.dir + "/cli-chain.pem";
    x.key = x.dir + "/cli-key.pem";
    write_file(x.chain, pair.cert_pem);
    write_file(x.key, pair.key_pem);
    const auto& client = test::shared_pki(crypto::KeyType::ec_p256, "client.example");
    x.client_root = test::write_temp_pem(client.root, "cli-client-root.pem");
    const auto cpair = test::pem_pair(client);
    x.client_chain = x.dir + "/cli-client-chain.pem";
    x.client_key = x.dir + "/cli-client-key.pem";
    write_file(x.client_chain, cpair.cert_pem);
    write_file(x.client_key, cpair.key_pem);
    return x;
  }();
  return f;
}

// A `tlspp server` on 127.0.0.1 with a free port; stopped (by PID) when destroyed.
class Server {
 public:
  // `max_fds`, `inherit`: as for spawn().
  // `with_cert` false: no --cert (for --raw-key servers, which need only --key).
  // `with_key` false (with `with_cert` false): neither, when `extra` brings its own.
  explicit Server(std::vector<std::string> extra, rlim_t max_fds = 0, bool with_cert = true, bool with_key = true,
                  int inherit = 0) {
    std::vector<std::string> args = {"server", "--listen", "127.0.0.1:0"};
    if (with_key) args.insert(args.end(), {"--key", files().key});
    if (with_cert) args.insert(args.end(), {"--cert", files().chain});
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = spawn(args, {}, max_fds, inherit);
    close(child_.in);
    child_.in = -1;
    const std::string prefix = "listening on 127.0.0.1:";
    if (!read_err_until("\n", 10s)) return;
    const size_t at = log_.find(prefix);
    if (at != std::string::npos) port_ = static_cast<uint16_t>(std::stoi(log_.substr(at + prefix.size())));
  }
  ~Server() {
    if (child_.pid > 0) {
      kill(child_.pid, SIGTERM);
      (void)wait_for(child_.pid, Clock::now() + 10s);
    }
    for (int fd : {child_.out, child_.err})
      if (fd >= 0) close(fd);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] pid_t pid() const { return child_.pid; }
  // Reads the server's stderr until `text` appears after what was seen so far; false on timeout.
  bool read_err_until(const std::string& text, std::chrono::milliseconds timeout) {
    const size_t from = seen_;
    if (!read_err_while([&] { return log_.find(text, from) == std::string::npos; }, timeout)) return false;
    seen_ = log_.find(text, from) + text.size();
    return true;
  }
  // Waits until the log holds `text` at least `n` times in all (from its start), whatever
  // else is between them: the lines of connections served by different event loops come
  // in no fixed order.
  bool read_err_count(const std::string& text, size_t n, std::chrono::milliseconds timeout) {
    return read_err_while(
        [&] {
          size_t k = 0;
          for (size_t at = log_.find(text); at != std::string::npos && k < n; at = log_.find(text, at + text.size())) ++k;
          return k < n;
        },
        timeout);
  }
  // Reads the server's stderr into the log while `more()` says so; false when the time runs
  // out or the server closes its stderr first.
  template <class More>
  bool read_err_while(More more, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (more()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0 || child_.err < 0) return false;
      pollfd p{child_.err, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[4096];
      const ssize_t r = read(child_.err, buf, sizeof buf);
      if (r <= 0) {
        close(child_.err);
        child_.err = -1;
        return !more();
      }
      log_.append(buf, static_cast<size_t>(r));
    }
    return true;
  }
  [[nodiscard]] const std::string& log() const { return log_; }
  // Waits for the server to exit by itself; its exit code, or -1.
  int wait_exit(std::chrono::seconds timeout) {
    const int rc = wait_for(child_.pid, Clock::now() + timeout);
    child_.pid = -1;
    return rc;
  }
  // The exit code if the server exits within `timeout` (-1 when killed by a signal);
  // nothing, and the server left running, otherwise.
  std::optional<int> exit_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int st = 0;
      const pid_t r = waitpid(child_.pid, &st, WNOHANG);
      if (r == child_.pid || r < 0) {
        child_.pid = -1;
        return r > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }
  void signal(int sig) { kill(child_.pid, sig); }
  // Makes the pipe of the server's stderr hold only `bytes` (rounded up to a page), so that
  // a test not reading it soon fills it.
  bool shrink_stderr_pipe(int bytes) { return fcntl(child_.err, F_SETPIPE_SZ, bytes) >= 0; }
  int stop(int sig) {
    kill(child_.pid, sig);
    return wait_exit(10s);
  }

 private:
  Child child_;
  uint16_t port_ = 0;
  std::string log_;
  size_t seen_ = 0;
};

inline std::vector<std::string> client_args(const Server& s, std::vector<std::string> extra) {
  std::vector<std::string> args = {"client", s.addr(), "--servername", "localhost", "--ca", files().root};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// A plain TCP connection to the server (no TLS); -1 on failure.
inline int connect_raw(const Server& server) {
  auto fd = io::connect_tcp("127.0.0.1", server.port());
  return fd ? *fd : -1;
}

// A client in the middle of its handshake: a plain TCP connection that has sent the first
// bytes of a ClientHello record (its header and the start of the message), as a TLS client
// does at once; -1 on failure. `tlspp server` takes a connection only once its client has
// spoken (TCP_DEFER_ACCEPT), so this is the client a test can count on being accepted now.
inline int connect_speaking(const Server& server) {
  const int fd = connect_raw(server);
  if (fd < 0) return -1;
  static constexpr uint8_t kStart[] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03};
  if (::send(fd, kStart, sizeof kStart, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof kStart)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Waits until the peer ends the connection on `fd` (end of stream or reset); false when it
// is still open after `timeout`. Whatever arrives before the end is appended to `got`.
inline bool ends_within(int fd, std::chrono::milliseconds timeout, std::string* got = nullptr) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
    if (got) got->append(buf, static_cast<size_t>(n));
  }
}

// Connects to an --echo server, trusting the test root, and makes one round trip, so that
// the server has finished its side of the handshake too.
inline Result<Stream> echo_round_trip(const Server& server) {
  ClientOptions options;
  options.ca_files = {files().root};
  auto config = ClientConfig::create(options);
  if (!config) return fail(config.error());
  auto s = Stream::connect(*config, "127.0.0.1", server.port(), *ServerName::parse("localhost"));
  if (!s) return s;
  const uint8_t ping[] = {'p'};
  uint8_t buf[4];
  TLSPP_TRY(s->write_all(ping));
  auto n = s->read(buf);
  if (!n) return fail(n.error());
  if (*n != 1) return fail(Error::internal("the echo server did not answer the ping"));
  return s;
}

}  // namespace tlspp::cli_test
