// `tlspp server`: many connections from one epoll loop. Each connection is a sans-I/O
// ServerConnection with its own buffers on a non-blocking socket; no thread per
// connection. --http answers each request with the connection's summary, --echo sends
// everything back.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>

#include "commands.h"
#include "io/socket.h"
#include "options.h"
#include "summary.h"
#include "tlspp/connection.h"
#include "trace.h"

namespace tlspp::cli {
namespace {

int run(const std::vector<std::string>& argv);

const FlagSpec kFlags[] = {
    {"--listen", true, false, "ADDR:PORT", "the address and port to listen on (default 127.0.0.1:8443; port 0 picks a free one)."},
    {"--cert", true, false, "FILE",
     "a certificate chain (PEM), leaf first; repeat with its own --key to serve several, chosen by SNI.", true},
    {"--key", true, false, "FILE", "the private key (PEM) of the --cert before it.", true},
    {"--record-size-limit", true, false, "BYTES",
     "answer a client's record_size_limit (RFC 8449) with this one: its protected records to us may carry at most "
     "BYTES (64 to 16385). The client's limit is honoured either way."},
    {"--post-handshake-auth", false, false, "",
     "after the handshake, ask each client that offered post_handshake_auth (RFC 8446 §4.6.2, TLS 1.3) for a "
     "certificate, verified against --client-ca; --http answers once the client has."},
    {"--raw-key", false, false, "",
     "also present each --key as a raw public key (RFC 7250, TLS 1.3) to clients that ask for one; with no --cert, "
     "present it only that way. Prints each key's SPKI SHA-256, what `tlspp client --pin-spki` takes."},
    {"--pin-client-spki", true, false, "SHA256HEX",
     "with --client-auth, accept a client raw public key (RFC 7250, TLS 1.3) whose SubjectPublicKeyInfo has this "
     "SHA-256 (64 hex digits; may be repeated; --client-ca is then optional).", true},
    {"--alpn", true, false, "LIST",
     "ALPN protocols to accept, comma-separated, most preferred first; --http accepts only http/1.1 and http/1.0."},
    {"--groups", true, false, "LIST",
     "key exchange groups to accept, most preferred first (x25519, secp256r1 or P-256, secp384r1 or P-384)."},
    TLSPP_CLI_VERSION_FLAGS,
    {"--ciphers", true, false, "LIST",
     "cipher suites to accept, most preferred first, TLS 1.3 and TLS 1.2 ones (IANA names)."},
    {"--http", false, false, "",
     "answer each HTTP/1.x request with the connection's parameters as text/plain, then close (the default)."},
    {"--echo", false, false, "", "send back everything each client sends, until it closes (any ALPN protocol)."},
    {"--keylog", true, false, "FILE",
     "append every connection's secrets to FILE in the NSS key log format (default: $SSLKEYLOGFILE, if set)."},
    {"--client-auth", true, false, "MODE",
     "none (the default), optional (ask clients for a certificate) or required (insist on one); the last two need "
     "--client-ca."},
    {"--client-ca", true, false, "FILE",
     "verify client certificates against the CAs of this PEM file (may be repeated; needs --client-auth or --post-handshake-auth).", true},
    {"--max-connections", true, false, "N", "serve at most N connections at once; more wait to be accepted (default: no limit)."},
    {"--exit-after", true, false, "N", "exit once N connections have been accepted and have ended."},
    {"--trace", false, false, "", "print every connection's messages and keys to stderr as they happen, prefixed [ID]."},
    {"--quiet", false, false, "", "do not print the one line per connection."},
};

const char kAbout[] =
    "Serves TLS 1.3 and TLS 1.2 on ADDR:PORT from one event loop (no thread per connection). Prints\n"
    "\"listening on ADDR:PORT\" to stderr once ready, then one line per connection that ended:\n"
    "  tlspp server: PEER VERSION SUITE GROUP sni=NAME alpn=PROTOCOL resumed=yes|no in=BYTES out=BYTES ok\n"
    "with error=SENTENCE instead of ok when it failed (VERSION SUITE GROUP are - when the handshake\n"
    "did not finish; GROUP is none for a resumed TLS 1.2 session, which has no key exchange); in and\n"
    "out count the bytes received and sent on the socket.";
const char kNotes[] =
    "--http never selects h2 or another protocol it does not speak: those in --alpn are not offered\n"
    "(a note on stderr says which), and --alpn with none of http/1.1 and http/1.0 is a usage error.\n"
    "SIGINT and SIGTERM stop the server after sending close_notify on every open connection.\n"
    "Exit status: 0 when stopped or done (--exit-after), 1 on a startup failure, 2 on a usage error.";

const Command kServer{
    "server",
    "server [--listen ADDR:PORT] --cert FILE --key FILE [--cert FILE --key FILE ...] [--raw-key] [--record-size-limit BYTES] [--post-handshake-auth] [--alpn LIST] "
    "[--groups LIST] [--tls1.2 | --tls1.3 | --min-version V --max-version V] [--ciphers LIST] [--http | --echo] [--keylog FILE] "
    "[--client-auth optional|required --client-ca FILE ...] [--max-connections N] [--exit-after N] [--trace] "
    "[--quiet]",
    "serve TLS on ADDR:PORT (default 127.0.0.1:8443) from one event loop; answer HTTP with the "
    "connection's parameters (--http, the default) or echo (--echo)",
    &run};
const Registration reg{kServer};

using Clock = std::chrono::steady_clock;

enum class Mode { http, echo };

// Past this much unsent output we stop reading from that peer until it catches up, so a
// client that writes without reading cannot make us buffer without bound.
constexpr size_t kMaxPendingOutput = 256 * 1024;
// An HTTP request head larger than this is refused.
constexpr size_t kMaxRequestHead = 16 * 1024;
// After our close_notify and FIN we keep reading (and discarding) for a while before
// closing: closing a socket with unread input makes the kernel send RST, which can
// destroy the response before the client has read it.
constexpr auto kLinger = std::chrono::seconds(2);

struct Client {
  Client(int f, std::string p, ServerConnection c) : fd(f), peer(std::move(p)), conn(std::move(c)) {}
  int fd;
  std::string peer;
  ServerConnection conn;
  std::string request;        // --http: the request head read so far
  Bytes backlog;              // received bytes the connection could not take yet
  bool closing = false;       // our close_notify is queued; FIN follows once it is sent
  bool shut_down = false;     // FIN sent; now only draining input until EOF or deadline
  bool eof = false;           // the client's FIN arrived; it may still be reading
  Clock::time_point deadline;
  uint32_t events = 0;        // what epoll is watching for this fd
  uint64_t bytes_in = 0, bytes_out = 0;  // on the socket
  std::optional<Error> failure;          // what ended the connection, for its log line
  bool certificate_requested = false;    // --post-handshake-auth: asked already
};

// The connection's log line: "PEER VERSION SUITE GROUP sni=.. alpn=.. resumed=.. in=N out=N"
// and "ok" or "error=SENTENCE" (the --help text documents the format).
std::string connection_line(const Client& c) {
  const Negotiated& n = c.conn.negotiated();
  std::string line = c.peer;
  if (c.conn.handshake_done())
    line += " " + std::string(protocol_version_name(n.version)) + " " + std::string(cipher_suite_name(n.cipher_suite)) +
            // A resumed TLS 1.2 session has no key exchange, hence no group.
            " " + (n.group == NamedGroup{} ? std::string("none") : std::string(named_group_name(n.group)));
  else
    line += " - - -";
  line += " sni=" + (n.server_name.empty() ? std::string("none") : n.server_name);
  line += " alpn=" + (n.alpn.empty() ? std::string("none") : n.alpn);
  line += std::string(" resumed=") + (n.resumed ? "yes" : "no");
  line += " in=" + std::to_string(c.bytes_in) + " out=" + std::to_string(c.bytes_out);
  if (c.failure)
    line += std::string(" error=") + (c.conn.handshake_done() ? "" : "handshake failed: ") + describe(*c.failure);
  else
    line += " ok";
  return line;
}

class Server {
 public:
  Server(std::shared_ptr<const ServerConfig> config, Mode mode, bool quiet, int listen_fd, int signal_fd,
         int epoll_fd, size_t max_connections, size_t exit_after, bool post_handshake_auth = false)
      : config_(std::move(config)),
        mode_(mode),
        quiet_(quiet),
        listen_fd_(listen_fd),
        signal_fd_(signal_fd),
        ep_(epoll_fd),
        max_connections_(max_connections),
        exit_after_(exit_after),
        post_handshake_auth_(post_handshake_auth) {}

  int run() {
    watch_listener(true);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = signal_fd_;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, signal_fd_, &ev) != 0) return report(io::io_error("epoll_ctl", errno));
    while (!stopping_) {
      if (exit_after_ && accepted_ >= exit_after_ && clients_.empty()) break;
      epoll_event events[64];
      const int n = epoll_wait(ep_, events, 64, lingering() ? 200 : -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return report(io::io_error("epoll_wait", errno));
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == signal_fd_) {
          stopping_ = true;
        } else if (fd == listen_fd_) {
          accept_all();
        } else if (auto it = clients_.find(fd); it != clients_.end()) {
          service(*it->second, events[i].events);
        }
      }
      expire_lingering();
    }
    // Shutting down: tell every established peer, best effort, then close.
    for (auto& [fd, c] : clients_) {
      if (c->conn.handshake_done()) c->conn.close();
      else if (!c->failure) c->failure = Error(ErrorKind::closed, AlertDescription::close_notify, "the server stopped");
      (void)send_some(*c);
      log(*c);
      ::close(fd);
    }
    clients_.clear();
    return 0;
  }

 private:
  static int report(const Error& e) {
    std::fprintf(stderr, "tlspp server: %s\n", describe(e).c_str());
    return 1;
  }

  bool lingering() const {
    for (const auto& [fd, c] : clients_)
      if (c->shut_down) return true;
    return false;
  }

  void watch_listener(bool on) {
    if (on == listening_) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    (void)epoll_ctl(ep_, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd_, &ev);
    listening_ = on;
  }

  bool may_accept() const {
    if (exit_after_ && accepted_ >= exit_after_) return false;
    return !max_connections_ || clients_.size() < max_connections_;
  }

  void accept_all() {
    while (may_accept()) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        // EAGAIN: nothing more waiting. EMFILE and the like: this attempt fails, the
        // listener stays, and the loop carries on with the connections it has.
        if (errno != EAGAIN && errno != EWOULDBLOCK) report(io::io_error("accept", errno));
        break;
      }
      ++accepted_;
      const int one = 1;
      (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto conn = ServerConnection::create(config_);
      if (!conn) {
        std::fprintf(stderr, "tlspp server: %s: %s\n", io::peer_name(fd).c_str(), describe(conn.error()).c_str());
        ::close(fd);
        continue;
      }
      auto c = std::make_unique<Client>(fd, io::peer_name(fd), std::move(*conn));
      Client& ref = *c;
      clients_.emplace(fd, std::move(c));
      update_interest(ref);
    }
    watch_listener(may_accept());
  }

  void update_interest(Client& c) {
    const size_t pending = c.conn.pending_output().size();
    uint32_t want = 0;
    // No reading while the connection holds bytes it could not take (back-pressure: the
    // kernel's receive window then stops the client) or while our output backs up.
    if (!c.eof && c.backlog.empty() && (c.shut_down || pending < kMaxPendingOutput)) want |= EPOLLIN;
    if (pending && !c.shut_down) want |= EPOLLOUT;
    if (want == c.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = c.fd;
    (void)epoll_ctl(ep_, c.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev);
    c.events = want;
  }

  // One line per connection, when it ends (--quiet: none). A client that ended TCP
  // without close_notify is reported as Connection::transport_closed judges it.
  void log(Client& c) {
    if (!c.failure && c.eof && c.conn.handshake_done())
      if (auto s = c.conn.transport_closed(); !s) c.failure = s.error();
    if (!c.failure && c.conn.error()) c.failure = c.conn.error();
    if (!quiet_) std::fprintf(stderr, "tlspp server: %s\n", connection_line(c).c_str());
  }

  void drop(Client& c) {
    log(c);
    const int fd = c.fd;
    (void)epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    clients_.erase(fd);
    watch_listener(may_accept());
  }

  // Remembers what went wrong for the connection's line, then sends what the connection
  // still has queued (the alert) and closes it the way start_close does: the FIN, then a
  // short drain, so that no RST overtakes the alert. A broken socket is dropped at once.
  void fail_connection(Client& c, const Error& e, bool socket_ok = true) {
    if (!c.failure) c.failure = e;
    c.closing = true;
    if (!socket_ok || c.eof) {
      (void)send_some(c);
      return drop(c);
    }
    (void)flush(c);
  }

  // Sends as much pending output as the socket takes now; false on a socket error.
  bool send_some(Client& c) {
    while (!c.conn.pending_output().empty()) {
      const ByteView out = c.conn.pending_output();
      const ssize_t n = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      c.conn.consume_output(static_cast<size_t>(n));
      c.bytes_out += static_cast<uint64_t>(n);
    }
    return true;
  }

  // Returns false when the client has been dropped.
  bool flush(Client& c) {
    if (!send_some(c)) {
      // The peer reset or vanished; nothing more can reach it.
      if (!c.failure && !c.closing) c.failure = io::io_error("send", errno);
      drop(c);
      return false;
    }
    if (c.closing && c.conn.pending_output().empty()) {
      // Everything is out. A client that has closed its side needs nothing more.
      if (c.eof) {
        drop(c);
        return false;
      }
    }
    if (c.closing && !c.shut_down && c.conn.pending_output().empty()) {
      ::shutdown(c.fd, SHUT_WR);
      c.shut_down = true;
      c.deadline = Clock::now() + kLinger;
    }
    update_interest(c);
    return true;
  }

  void service(Client& c, uint32_t events) {
    if (events & EPOLLOUT) {
      if (!flush(c)) return;
      // Output drained: what the connection could not take before may fit now.
      if (!c.backlog.empty()) {
        const Bytes pending = std::exchange(c.backlog, {});
        if (!offer(c, pending)) return;
        if (!flush(c)) return;
      }
    }
    if (!c.eof && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_input(c);
  }

  void read_input(Client& c) {
    uint8_t buf[17 * 1024];
    // A few reads per wakeup, then the other connections get their turn; epoll is
    // level-triggered, so what is left is reported again.
    for (int round = 0; round < 4; ++round) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (c.shut_down) return drop(c);
        return fail_connection(c, io::io_error("recv", errno), false);
      }
      if (n == 0) return end_of_stream(c);
      c.bytes_in += static_cast<uint64_t>(n);
      if (!offer(c, ByteView(buf, static_cast<size_t>(n)))) return;
      if (!c.backlog.empty()) break;  // wait until the connection can take more
    }
    (void)flush(c);
  }

  // Hands received bytes to the connection and serves what it decrypts, for as long as it
  // takes them; what it cannot take yet (its read buffer or our output is full) waits in
  // c.backlog, and reading the socket pauses. Returns false when the client was dropped.
  bool offer(Client& c, ByteView data) {
    while (!data.empty()) {
      // After a failure the input no longer matters.
      if (c.conn.error()) return true;
      auto taken = c.conn.receive(data);
      if (!taken) {
        if (c.shut_down) return true;
        fail_connection(c, taken.error());
        return false;
      }
      data = data.subspan(*taken);
      if (c.closing) {
        // Draining after our close: still decrypted, so that the client's close_notify is
        // seen (its line then says ok), but whatever data it sends is dropped.
        uint8_t sink[4096];
        while (c.conn.read(sink)) {
        }
      } else if (!serve(c)) {
        return false;
      }
      if (*taken == 0 && !data.empty() && c.conn.readable() == 0) {
        // Our output is what is full: wait for the client to read it.
        c.backlog.assign(data.begin(), data.end());
        return true;
      }
    }
    return true;
  }

  void end_of_stream(Client& c) {
    c.eof = true;
    if (c.shut_down) return drop(c);  // both sides are closed
    if (!c.conn.handshake_done())
      return fail_connection(c, Error(ErrorKind::closed, AlertDescription::close_notify,
                                      "the client closed the connection during the handshake"),
                             false);
    // A FIN closes only the client's sending side: it may still be reading what we have
    // queued (an echo of its last bytes, a response). Send that and our close_notify,
    // then drop the connection.
    if (!c.closing) start_close(c);
    (void)flush(c);
  }

  // Runs the application protocol on whatever has been decrypted. Returns false when the
  // client has been dropped.
  bool serve(Client& c) {
    if (!c.conn.handshake_done() || c.closing) return true;
    // --post-handshake-auth: one CertificateRequest per client that offered it (RFC 8446 §4.6.2).
    if (post_handshake_auth_ && !c.certificate_requested && c.conn.negotiated().post_handshake_auth_offered) {
      c.certificate_requested = true;
      if (auto s = c.conn.request_client_certificate(); !s) {
        fail_connection(c, s.error());
        return false;
      }
    }
    uint8_t buf[16384];
    if (mode_ == Mode::echo) {
      while (const size_t n = c.conn.read(buf)) {
        if (auto s = c.conn.write(ByteView(buf, n)); !s) {
          fail_connection(c, s.error());
          return false;
        }
      }
    } else {
      while (const size_t n = c.conn.read(buf)) c.request.append(reinterpret_cast<const char*>(buf), n);
      // HTTP/1.x: the head ends at an empty line (RFC 9112 §2.1); bare LFs are tolerated
      // for people typing requests by hand.
      // The page describes the client's certificate once the requested one has come.
      const bool head_done =
          c.request.find("\r\n\r\n") != std::string::npos || c.request.find("\n\n") != std::string::npos;
      if (head_done && !c.conn.negotiated().post_handshake_auth_pending) return respond(c);
      if (c.request.size() > kMaxRequestHead) {
        c.failure = Error::config("the request head exceeds " + std::to_string(kMaxRequestHead) + " bytes");
        start_close(c);
        return true;
      }
    }
    // The client has finished sending: we are done too.
    if (c.conn.peer_closed()) start_close(c);
    return true;
  }

  // Returns false when the client has been dropped.
  bool respond(Client& c) {
    const std::string body = format_summary(summarize(c.conn, Side::server));
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    if (auto s = c.conn.write(ByteView(reinterpret_cast<const uint8_t*>(response.data()), response.size())); !s) {
      fail_connection(c, s.error());
      return false;
    }
    start_close(c);
    return true;
  }

  void start_close(Client& c) {
    c.conn.close();
    c.closing = true;
  }

  void expire_lingering() {
    const auto now = Clock::now();
    std::vector<int> expired;
    for (const auto& [fd, c] : clients_)
      if (c->shut_down && c->deadline <= now) expired.push_back(fd);
    for (int fd : expired) drop(*clients_.at(fd));
  }

  std::shared_ptr<const ServerConfig> config_;
  Mode mode_;
  bool quiet_;
  int listen_fd_, signal_fd_, ep_;
  size_t max_connections_, exit_after_;
  bool post_handshake_auth_ = false;
  size_t accepted_ = 0;
  bool listening_ = false;
  bool stopping_ = false;
  std::map<int, std::unique_ptr<Client>> clients_;
};

Result<size_t> parse_count(const Args& args, const char* name) {
  const auto v = args.value(name);
  if (!v) return size_t{0};
  size_t n = 0;
  if (v->empty() || v->size() > 9) return fail(Error::config(std::string(name) + " needs a number"));
  for (char ch : *v) {
    if (ch < '0' || ch > '9') return fail(Error::config(std::string(name) + " needs a number"));
    n = n * 10 + static_cast<size_t>(ch - '0');
  }
  return n;
}

int run(const std::vector<std::string>& argv) {
  if (wants_help(argv)) return print_help(kServer, kFlags, kAbout, kNotes);
  auto args = parse_args(argv, kFlags);
  if (!args) return usage_error(kServer, args.error().message);
  if (!args->positional.empty()) return usage_error(kServer, "unexpected argument '" + args->positional[0] + "'");
  if (args->has("--http") && args->has("--echo")) return usage_error(kServer, "--http and --echo exclude each other");
  const Mode mode = args->has("--echo") ? Mode::echo : Mode::http;
  auto endpoint = io::parse_endpoint(args->value("--listen").value_or("127.0.0.1:8443"));
  if (!endpoint) return usage_error(kServer, endpoint.error().message);
  auto max_connections = parse_count(*args, "--max-connections");
  auto exit_after = parse_count(*args, "--exit-after");
  if (!max_connections) return usage_error(kServer, max_connections.error().message);
  if (!exit_after) return usage_error(kServer, exit_after.error().message);
  // 0 is how "no limit" is kept inside: given explicitly it would mean that silently.
  for (const char* flag : {"--max-connections", "--exit-after"})
    if (args->has(flag) && args->value(flag) && *args->value(flag) == "0")
      return usage_error(kServer, std::string(flag) + " must be at least 1 (leave it out for no limit)");

  ServerOptions options;
  const auto certs = args->values("--cert");
  const auto keys = args->values("--key");
  if (certs.empty() && !args->has("--raw-key"))
    return usage_error(kServer, "at least one --cert FILE --key FILE is required (or --key FILE --raw-key)");
  if (!certs.empty() && certs.size() != keys.size()) return usage_error(kServer, "each --cert needs its own --key");
  for (size_t i = 0; i < certs.size(); ++i) {
    CertificateKeyPair pair;
    pair.cert_file = certs[i];
    pair.key_file = keys[i];
    options.certificates.push_back(std::move(pair));
  }
  std::vector<std::string> raw_key_lines;  // printed once listening
  if (args->has("--raw-key")) {
    auto lines = apply_raw_key_option(keys, options);
    if (!lines) return usage_error(kServer, lines.error().message);
    raw_key_lines = std::move(*lines);
  }
  if (auto auth = args->value("--client-auth")) {
    if (*auth == "none")
      options.client_auth = ClientAuth::none;
    else if (*auth == "optional")
      options.client_auth = ClientAuth::optional;
    else if (*auth == "required")
      options.client_auth = ClientAuth::required;
    else
      return usage_error(kServer, "--client-auth takes none, optional or required, not '" + *auth + "'");
  }
  options.client_ca_files = args->values("--client-ca");
  for (const auto& v : args->values("--pin-client-spki")) {
    auto pin = parse_spki_pin(v);
    if (!pin) return usage_error(kServer, pin.error().message);
    options.pinned_client_spki_sha256.push_back(std::move(*pin));
  }
  if (options.client_auth == ClientAuth::none && args->has("--pin-client-spki"))
    return usage_error(kServer, "--pin-client-spki needs --client-auth optional or required");
  if (options.client_auth != ClientAuth::none && options.client_ca_files.empty() &&
      options.pinned_client_spki_sha256.empty())
    return usage_error(kServer, "--client-auth " + *args->value("--client-auth") +
                                    " needs --client-ca FILE: client certificates are verified against those CAs");
  if (options.client_auth == ClientAuth::none && !options.client_ca_files.empty() &&
      !args->has("--post-handshake-auth"))
    return usage_error(kServer, "--client-ca is used only to verify client certificates, which are asked for only with "
                                "--client-auth optional or required (or --post-handshake-auth)");
  if (args->has("--post-handshake-auth") && options.client_ca_files.empty() && options.pinned_client_spki_sha256.empty())
    return usage_error(kServer, "--post-handshake-auth needs --client-ca FILE to verify the certificates it asks for");
  if (auto s = apply_common_options(*args, options); !s) return usage_error(kServer, s.error().message);
  // --http speaks HTTP/1.x and nothing else: selecting h2 (say) would promise a protocol
  // the server then does not speak (RFC 7301 §3.2: the server selects what it will use).
  std::vector<std::string> not_offered;
  if (mode == Mode::http && !options.alpn.empty()) {
    std::vector<std::string> spoken;
    for (auto& p : options.alpn) (p == "http/1.1" || p == "http/1.0" ? spoken : not_offered).push_back(p);
    if (spoken.empty())
      return usage_error(kServer, "--http speaks only HTTP/1.1 and HTTP/1.0, so it cannot serve --alpn " +
                                      *args->value("--alpn") + " (give http/1.1, or use --echo)");
    options.alpn = std::move(spoken);
  }

  // --trace: every connection's messages and keys on stderr as they happen, each line
  // prefixed with the connection's id. A connection's trace ends with its closure alerts.
  std::map<uint64_t, std::unique_ptr<trace::TraceStream>> traces;
  std::map<uint64_t, int> closures;
  if (args->has("--trace")) {
    const trace::RenderOptions render = trace::terminal_options(STDERR_FILENO, false);
    options.on_event = [&traces, &closures, render](const Event& e) {
      auto& t = traces[e.connection_id];
      if (!t)
        t = std::make_unique<trace::TraceStream>(
            Side::server, render, [](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); },
            "[" + std::to_string(e.connection_id) + "] ");
      t->on_event(e);
      const bool alert = e.type == EventType::alert_sent || e.type == EventType::alert_received;
      if (alert && (e.alert.description != AlertDescription::close_notify || ++closures[e.connection_id] == 2)) {
        traces.erase(e.connection_id);
        closures.erase(e.connection_id);
      }
    };
  }
  auto config = ServerConfig::create(std::move(options));
  if (!config) {
    std::fprintf(stderr, "tlspp server: %s\n", describe(config.error()).c_str());
    return 1;
  }

  // SIGINT/SIGTERM arrive through a signalfd in the event loop, so the loop stops between
  // two events and closes every connection, rather than dying in the middle of one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    std::perror("tlspp server: sigprocmask");
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (signal_fd < 0 || ep < 0) {
    std::perror("tlspp server: signalfd/epoll_create1");
    return 1;
  }

  auto listener = io::listen_tcp(endpoint->host, endpoint->port);
  if (!listener) {
    std::fprintf(stderr, "tlspp server: %s\n", describe(listener.error()).c_str());
    return 1;
  }
  if (auto s = io::set_nonblocking(*listener); !s) {
    std::fprintf(stderr, "tlspp server: %s\n", describe(s.error()).c_str());
    return 1;
  }
  auto port = io::local_port(*listener);
  if (!port) {
    std::fprintf(stderr, "tlspp server: %s\n", describe(port.error()).c_str());
    return 1;
  }
  // Tests and scripts wait for this line to learn the port (with --listen HOST:0).
  std::fprintf(stderr, "listening on %s\n", io::format_endpoint(endpoint->host, *port).c_str());
  for (const auto& line : raw_key_lines) std::fprintf(stderr, "tlspp server: %s\n", line.c_str());
  if (!not_offered.empty()) {
    std::string list;
    for (const auto& p : not_offered) list += (list.empty() ? "" : ",") + p;
    std::fprintf(stderr, "tlspp server: --http speaks only HTTP/1.x: not offering ALPN %s\n", list.c_str());
  }
  std::fflush(stderr);

  Server server(*config, mode, args->has("--quiet"), *listener, signal_fd, ep, *max_connections, *exit_after,
                args->has("--post-handshake-auth"));
  const int rc = server.run();
  ::close(*listener);
  ::close(ep);
  ::close(signal_fd);
  return rc;
}

}  // namespace
}  // namespace tlspp::cli
