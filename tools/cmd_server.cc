// `tlspp server`: many connections from a few epoll loops (--threads, one per CPU by
// default), which share one listener and one ServerConfig. Each connection is a sans-I/O
// ServerConnection with its own buffers on a non-blocking socket; no thread per
// connection. --http answers each request with the connection's summary, --echo sends
// everything back.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commands.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "io/socket.h"
#include "options.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "summary.h"
#include "tlspp/connection.h"
#include "trace.h"
#ifdef TLSPP_HAVE_REDIS
#include "tlspp/redis.h"
#endif

namespace tlspp::cli {
namespace {

int run(const std::vector<std::string>& argv);

const FlagSpec kFlags[] = {
    {"--listen", true, false, "ADDR:PORT",
     "the address and port to listen on (default 127.0.0.1:8443; port 0 picks a free one)."},
    {"--cert", true, false, "FILE",
     "a certificate chain (PEM), leaf first; repeat with its own --key to serve several, chosen by SNI. Read again "
     "on SIGHUP and when it changes.",
     true},
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
    TLSPP_CLI_PSK_FLAGS,
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
     "verify client certificates against the CAs of this PEM file (may be repeated; needs --client-auth or "
     "--post-handshake-auth).", true},
    {"--early-data", true, false, "MAX",
     "accept up to MAX bytes of 0-RTT early data from resuming clients (default: none); early data can be replayed, "
     "which --anti-replay limits: accept it only for requests that are safe to repeat."},
    {"--anti-replay", true, false, "memory|URL",
     "how early data is kept from being accepted twice: memory (the default; single-use tickets and a ClientHello "
     "record, in this process) or a Redis URL, redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:///PATH, that the "
     "servers of a fleet share (0-RTT is declined while Redis does not answer; needs a build with TLSPP_REDIS)."},
    {"--ticket-keys", true, false, "URL",
     "keep the session ticket keys in Redis (a URL as for --anti-replay), so that every server given the same URL "
     "resumes the others' tickets (no tickets are issued or opened while Redis does not answer; needs a build with "
     "TLSPP_REDIS)."},
    {"--tickets", true, false, "N",
     "TLS 1.3 session tickets sent after each full handshake (default 2; one after a resumed one; 0: none, and no "
     "TLS 1.2 tickets either)."},
    {"--max-connections", true, false, "N",
     "serve at most N connections at once; a client beyond them gets a fatal internal_error alert and is closed at "
     "once (default: the soft RLIMIT_NOFILE less the descriptors open at start and a reserve, at least half of what "
     "is left)."},
    {"--exit-after", true, false, "N",
     "exit once N connections have been accepted and have ended (later clients are refused)."},
    {"--handshake-timeout", true, false, "SECONDS",
     "close a connection whose handshake has not finished this long after it was accepted (default 10; 0: never)."},
    {"--idle-timeout", true, false, "SECONDS",
     "send close_notify on an established connection when nothing was received or sent for this long (default 60; "
     "0: never)."},
    {"--partial-timeout", true, false, "SECONDS",
     "close a connection that sent part of a record or handshake message and not the rest for this long (default 10; "
     "0: never)."},
    {"--threads", true, false, "N",
     "run N event loops, each on its own thread, sharing the listener and the configuration (default: the number of "
     "CPUs); a connection stays on the loop that accepted it."},
    {"--grace", true, false, "SECONDS",
     "after the first SIGINT or SIGTERM, how long open connections may take to finish (default 5; 0: none)."},
    {"--trace", false, false, "",
     "print every connection's messages and keys to stderr as they happen, prefixed [ID]."},
    {"--quiet", false, false, "", "do not print the one line per connection."},
};

const char kAbout[] =
    "Serves TLS 1.3 and TLS 1.2 on ADDR:PORT from --threads event loops (no thread per connection),\n"
    "which accept from one listener; a connection stays on the loop that accepted it. Prints\n"
    "\"listening on ADDR:PORT\" to stderr once ready, then one line per connection that ended:\n"
    "  tlspp server: PEER VERSION SUITE GROUP sni=NAME alpn=PROTOCOL resumed=yes|no in=BYTES out=BYTES\n"
    "  duration=SECONDS ok\n"
    "(on one line) with error=SENTENCE instead of ok when it failed (VERSION SUITE GROUP are - when\n"
    "the handshake did not finish; GROUP is none for a resumed TLS 1.2 session, which has no key\n"
    "exchange); in and out count the bytes received and sent on the socket, duration the time from\n"
    "accept to close (\"0.253s\"). The kernel hands over a connection once its client has sent its\n"
    "first bytes (TCP_DEFER_ACCEPT), or about a second after it connected when it sends nothing.\n"
    "A connection ended by one of the timeouts says which:\n"
    "error=handshake timed out after 10 s, error=idle timeout: nothing sent or received for 60 s,\n"
    "error=timed out waiting for the rest of a record or handshake message after 10 s. Timeouts are\n"
    "checked at least once a second, and at each deadline.\n"
    "The lines are written by a thread of their own, so that a slow stderr never holds up a\n"
    "connection: when more than 1024 wait, the newest are dropped and a line counts them. Of the\n"
    "lines with the same error, at most 10 a second are written; a line then says how many similar\n"
    "ones were suppressed.";
const char kNotes[] =
    "--http never selects h2 or another protocol it does not speak: those in --alpn are not offered\n"
    "(a note on stderr says which), and --alpn with none of http/1.1 and http/1.0 is a usage error.\n"
    "The first SIGINT or SIGTERM stops accepting (new clients are refused) and lets the open\n"
    "connections finish for --grace seconds: an idle one (handshake done, nothing received in part,\n"
    "nothing waiting to be sent, no --http request begun) is sent close_notify at once, a busy one\n"
    "once it becomes idle; the server exits when none is left. When the grace period ends, or at a\n"
    "second signal, the rest are sent close_notify (best effort) and closed, and the server exits.\n"
    "When accept() fails for lack of file descriptors (EMFILE, ENFILE) or memory, the clients waiting\n"
    "are accepted with a descriptor kept in reserve and closed at once, and the listener rests for\n"
    "250 ms; one line says when that starts and one when connections are accepted again, with a count.\n"
    "Clients refused beyond --max-connections are logged the same way, not one line each.\n"
    "Certificates are reloaded on SIGHUP, and when a --cert or --key file changes (each is looked\n"
    "at once a second: its inode, size and times; a change counts once the files have been still\n"
    "for 200 ms, so write the key and the certificate close together, or rename both into place).\n"
    "New connections get the new certificates, established ones keep theirs; one line per\n"
    "certificate says \"certificate reloaded (WHY): new connections get 'SUBJECT' serial HEX, not\n"
    "after TIME, from FILE\" (for a --raw-key without --cert: \"the raw public key of FILE, SPKI\n"
    "SHA-256 HEX\", the new pin). When the new files do not load (missing, not PEM, a key that does not\n"
    "match its certificate), the previous certificates stay in use and one line says why. Session\n"
    "tickets from before a reload still resume, and early data accepted before it is not accepted\n"
    "again after it; the TLS 1.2 session ID cache starts empty.\n"
    "Exit status: 0 when stopped or done (--exit-after), 1 on a startup failure, 2 on a usage error.";

const Command kServer{
    "server",
    "server [--listen ADDR:PORT] --cert FILE --key FILE [--cert FILE --key FILE ...] [--raw-key] "
    "[--record-size-limit BYTES] [--post-handshake-auth] [--alpn LIST] "
    "[--groups LIST] [--tls1.2 | --tls1.3 | --min-version V --max-version V] [--ciphers LIST] [--http | --echo] "
    "[--keylog FILE] [--psk-identity ID --psk HEX [--psk-mode dhe_ke|ke]] [--client-auth optional|required "
    "--client-ca FILE ...] [--tickets N] [--early-data MAX [--anti-replay memory|URL]] [--ticket-keys URL] [--max-connections N] [--exit-after N] "
    "[--handshake-timeout S] [--idle-timeout S] [--partial-timeout S] [--grace S] [--threads N] [--trace] [--quiet]",
    "serve TLS on ADDR:PORT (default 127.0.0.1:8443) from an event loop per CPU; answer HTTP with the "
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
// The same while shutting down: the peer has had our close_notify, and whoever stops the
// server should not wait long for connections that are over.
constexpr auto kDrainLinger = std::chrono::milliseconds(500);
// When accept() fails for lack of descriptors (or memory), the listener is left alone this
// long: it stays readable while the client waits, so retrying at once would spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(250);

// The server's lines after "listening on" go through a bounded queue that a writer thread
// empties onto stderr, so that a slow stderr (a pipe nobody reads, a paused terminal) never
// stalls an event loop: past kLogQueueLimit lines waiting, new ones are dropped and counted.
// Bursts of failures are rate-limited: of the lines with the same error, kSimilarPerSecond a
// second are written, and the rest summed up once the second is over.
class LogWriter {
 public:
  static constexpr size_t kLogQueueLimit = 1024;
  static constexpr size_t kSimilarPerSecond = 10;

  LogWriter() : thread_([this] { write_loop(); }) {}
  ~LogWriter() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queues "tlspp server: TEXT\n". `similar`: for a failure, what makes lines alike (the
  // error); empty for a line that is never suppressed.
  void line(const std::string& text, const std::string& similar = "") {
    std::lock_guard lock(mutex_);
    if (!similar.empty()) {
      const auto now = Clock::now();
      Window& w = windows_[similar];
      if (now - w.start >= std::chrono::seconds(1)) {
        summarize(similar, w);
        w = Window{now, 0, 0};
      }
      if (++w.written > kSimilarPerSecond) {
        ++w.suppressed;
        return;
      }
    }
    enqueue("tlspp server: " + text + "\n");
  }

 private:
  struct Window {
    Clock::time_point start;
    size_t written = 0, suppressed = 0;
  };

  // With mutex_ held.
  void enqueue(std::string text) {
    if (queue_.size() >= kLogQueueLimit) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) wake_.notify_one();
  }
  void summarize(const std::string& similar, Window& w) {
    if (w.suppressed)
      enqueue("tlspp server: " + std::to_string(w.suppressed) + " similar lines suppressed (" + similar + ")\n");
    w.suppressed = 0;
  }
  // With mutex_ held: the summaries of the windows that are over, and forgets those.
  void end_windows(bool all) {
    const auto now = Clock::now();
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (all || now - it->second.start >= std::chrono::seconds(1)) {
        summarize(it->first, it->second);
        it = windows_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void write_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      // Awake at least every half second while a window may hold suppressed lines.
      const auto ready = [&] { return !queue_.empty() || stopping_; };
      if (windows_.empty())
        wake_.wait(lock, ready);
      else
        wake_.wait_for(lock, std::chrono::milliseconds(500), ready);
      end_windows(stopping_);
      if (dropped_) {
        queue_.push_back("tlspp server: " + std::to_string(dropped_) + " log lines dropped: stderr was too slow\n");
        dropped_ = 0;
      }
      std::string out;
      for (auto& l : queue_) out += l;
      queue_.clear();
      const bool last = stopping_;
      lock.unlock();
      write_all(out);
      lock.lock();
      if (last && queue_.empty()) return;
    }
  }

  static void write_all(const std::string& out) {
    for (size_t at = 0; at < out.size();) {
      const ssize_t n = ::write(STDERR_FILENO, out.data() + at, out.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // stderr is gone: nothing else to do with the lines
      at += static_cast<size_t>(n);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  size_t dropped_ = 0;
  std::map<std::string, Window> windows_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

// Something that can happen to many connections in a row (descriptors ran out, the server is
// full) is logged once when it starts and once when it ends, with how many clients it
// turned away, instead of once per client. Shared by the event loops.
class Episode {
 public:
  Episode(LogWriter& log, std::string ending) : log_(log), ending_(std::move(ending)) {}
  // Counts one refused client; prints `starting` for the first of an episode.
  void refused(const std::string& starting) {
    std::lock_guard lock(mutex_);
    if (!active_) log_.line(starting);
    active_ = true;
    ++count_;
  }
  // A client was admitted again: prints the closing line once.
  void over() {
    if (!active_.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex_);
    if (!active_) return;
    log_.line(ending_ + " (" + std::to_string(count_) + " refused meanwhile)");
    active_ = false;
    count_ = 0;
  }

 private:
  LogWriter& log_;
  std::mutex mutex_;
  std::string ending_;
  std::atomic<bool> active_ = false;
  size_t count_ = 0;
};

struct Client {
  Client(int f, std::string p, ServerConnection c) : fd(f), peer(std::move(p)), conn(std::move(c)) {}
  int fd;
  std::string peer;
  ServerConnection conn;
  std::string request;         // --http: the request head read so far
  Bytes backlog;               // received bytes the connection could not take yet
  bool closing = false;        // our close_notify is queued; FIN follows once it is sent
  bool shut_down = false;      // FIN sent; now only draining input until EOF or deadline
  bool eof = false;            // the client's FIN arrived; it may still be reading
  Clock::time_point deadline;  // while shut_down: when to stop draining
  Clock::time_point started = Clock::now();
  Clock::time_point last_active = started;         // when bytes last moved on the socket
  std::optional<Clock::time_point> partial_since;  // a record or handshake message arrived in part
  bool timed_out = false;                          // `failure` is one of our deadlines
  uint32_t events = 0;                             // what epoll is watching for this fd
  uint64_t bytes_in = 0, bytes_out = 0;            // on the socket
  std::optional<Error> failure;                    // what ended the connection, for its log line
  bool certificate_requested = false;              // --post-handshake-auth: asked already
};

// "0.253s": how long a connection lasted, to the millisecond.
std::string duration_text(Clock::duration d) {
  const long ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  const std::string frac = std::to_string(1000 + ms % 1000).substr(1);
  return std::to_string(ms / 1000) + "." + frac + "s";
}

// The connection's log line: "PEER VERSION SUITE GROUP sni=.. alpn=.. resumed=.. in=N out=N
// duration=S" and "ok" or "error=SENTENCE" (the --help text documents the format).
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
  line += " duration=" + duration_text(Clock::now() - c.started);
  if (c.failure)
    line += std::string(" error=") + (c.conn.handshake_done() || c.timed_out ? "" : "handshake failed: ") +
            describe(*c.failure);
  else
    line += " ok";
  return line;
}

using Millis = std::chrono::milliseconds;

// "10 s", "0.25 s": a timeout as the log line names it.
std::string seconds_text(Millis ms) {
  std::string s = std::to_string(ms.count() / 1000);
  if (const long frac = ms.count() % 1000) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s + " s";
}

// What the command line settled; 0 for a timeout means none.
struct Settings {
  Mode mode = Mode::http;
  bool quiet = false;
  size_t max_connections = 0;
  size_t exit_after = 0;  // 0: no limit
  Millis handshake_timeout{10'000};
  Millis idle_timeout{60'000};
  Millis partial_timeout{10'000};
  Millis grace{5'000};  // after the first SIGINT/SIGTERM
  size_t threads = 1;
  bool post_handshake_auth = false;  // ask each client that offered it for a certificate
};

// What the event loops share. Each loop has its own epoll instance and connections (a
// connection never moves to another loop); they all accept from the one listener.
struct Shared {
  Shared(std::shared_ptr<const ServerConfig> c, const Settings& s, int listener)
      : settings(s), listen_fd(listener), config_(std::move(c)) {}

  // The configuration for new connections. A reload replaces it (publish) while the loops
  // accept; a loop takes a new copy only when config_generation has moved, so accepting
  // normally costs one atomic load, not a lock. Connections keep the configuration they
  // were created with (each ServerConnection holds its own shared_ptr).
  std::shared_ptr<const ServerConfig> config() const {
    std::lock_guard lock(config_mutex_);
    return config_;
  }
  void publish(std::shared_ptr<const ServerConfig> c) {
    {
      std::lock_guard lock(config_mutex_);
      config_ = std::move(c);
    }
    // Bumped after the pointer: a loop that sees the new number reads the new pointer.
    config_generation.fetch_add(1, std::memory_order_release);
  }
  std::atomic<uint64_t> config_generation{0};

  Settings settings;
  int listen_fd;
  std::vector<int> wake_fds;               // an eventfd per loop: look at `stop` and `accepted`
  std::atomic<size_t> open{0};             // connections held by all loops together
  std::atomic<size_t> accepted{0};         // connections admitted, for --exit-after
  std::atomic<int> stop{0};                // 0 serving, 1 draining (first signal), 2 stop now
  std::atomic<Clock::rep> drain_until{0};  // the end of the grace period, set before stop = 1
  LogWriter log;
  Episode out_of_fds{log, "accepting connections again"};
  Episode full{log, "below --max-connections again"};
  std::mutex accept_mutex;
  // Asks for the certificates to be read again (SIGHUP); set once the reloader runs.
  std::function<void()> request_reload;

  void wake_all() const {
    for (int fd : wake_fds) {
      const uint64_t one = 1;
      (void)!::write(fd, &one, sizeof one);
    }
  }

 private:
  mutable std::mutex config_mutex_;
  std::shared_ptr<const ServerConfig> config_;
};

// Certificate hot reload. A thread of its own builds a new ServerConfig from the same
// options (so that parsing PEM, or a slow disk, never holds up an event loop) and publishes
// it in Shared; new connections get it, established ones keep theirs. It runs
//   - when asked (SIGHUP, through Shared::request_reload), and
//   - when a --cert or --key file changes: every file is stat()ed once a second, and a
//     change of device, inode, size, modification or status-change time counts. Polling
//     rather than inotify: it sees a file replaced by rename(), a symbolic link retargeted
//     (stat follows links, as the loader does) and a directory mounted over, with no watch
//     to re-arm; one stat() per file a second costs nothing.
// A change is acted on once the files have been still for kSettle, so that a certificate
// and its key written one after the other are read as a pair. A new configuration that fails
// (a file missing or not PEM, a key that does not match its certificate) keeps the old one
// and is logged in one line; the same files are not retried until they change again (or
// another SIGHUP). Session tickets survive a reload: every configuration is given the same
// ticket key, made at startup, and the same anti-replay record for early data. The TLS 1.2
// session ID cache belongs to a configuration and starts empty after a reload.
class Reloader {
 public:
  static constexpr auto kPollInterval = std::chrono::seconds(1);
  static constexpr auto kSettle = std::chrono::milliseconds(200);

  // What stat() says of a file; `error` is its errno when it could not be looked at.
  struct FileState {
    int error = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{}, ctime{};
    bool operator==(const FileState& o) const {
      return error == o.error && dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
             mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
    }
  };

  // The files to watch: every --cert and --key.
  static std::vector<std::string> watched_files(const ServerOptions& options) {
    std::vector<std::string> files;
    for (const auto& pair : options.certificates)
      for (const std::string* f : {&pair.cert_file, &pair.key_file})
        if (!f->empty()) files.push_back(*f);
    return files;
  }
  static std::vector<FileState> snapshot(const std::vector<std::string>& files) {
    std::vector<FileState> out;
    for (const auto& f : files) {
      FileState st;
      struct stat sb {};
      if (::stat(f.c_str(), &sb) != 0) {
        st.error = errno;
      } else {
        st.dev = sb.st_dev;
        st.ino = sb.st_ino;
        st.size = sb.st_size;
        st.mtime = sb.st_mtim;
        st.ctime = sb.st_ctim;
      }
      out.push_back(st);
    }
    return out;
  }

  // `before`: the files as they were before the configuration in `shared` was built from
  // them, so that a change made while it was being built is not missed.
  Reloader(Shared& shared, ServerOptions options, std::vector<FileState> before)
      : shared_(shared), options_(std::move(options)), files_(watched_files(options_)), seen_(std::move(before)) {
    shared_.request_reload = [this] {
      {
        std::lock_guard lock(mutex_);
        requested_ = true;
      }
      wake_.notify_one();
    };
    thread_ = std::thread([this] { run(); });
  }
  ~Reloader() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    shared_.request_reload = nullptr;
  }
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

 private:

  // Which file changed, for the log line.
  std::string changed_file(const std::vector<FileState>& now) const {
    for (size_t i = 0; i < now.size() && i < seen_.size(); ++i)
      if (!(now[i] == seen_[i])) return files_[i];
    return files_.empty() ? std::string("a file") : files_.front();
  }

  // Sleeps for `d`, or less when asked to reload or stop; true when asked something.
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, d, [this] { return requested_ || stopping_; });
  }

  void run() {
    for (;;) {
      (void)sleep_for(kPollInterval);
      std::string why;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        if (requested_) why = "SIGHUP";
        requested_ = false;
      }
      if (why.empty()) {
        auto now = snapshot(files_);
        if (now == seen_) continue;
        // Wait until the files stay the same for kSettle (at most a few seconds: a file
        // rewritten without pause is read as it is then).
        for (int i = 0; i < 20; ++i) {
          if (sleep_for(kSettle)) break;
          auto later = snapshot(files_);
          if (later == now) break;
          now = std::move(later);
        }
        why = changed_file(now) + " changed";
      }
      // What is read below is what the files were at this point (or later): a change after
      // it is seen by the next poll.
      seen_ = snapshot(files_);
      reload(why);
    }
  }

  void reload(const std::string& why) {
    if (options_.certificates.empty()) {
      shared_.log.line(why + ": no --cert to reload");
      return;
    }
    auto config = ServerConfig::create(options_);
    if (!config) {
      shared_.log.line("certificate reload (" + why +
                       ") failed, still serving the previous certificates: " + describe(config.error()));
      return;
    }
    shared_.publish(std::move(*config));
    for (const auto& pair : options_.certificates)
      shared_.log.line("certificate reloaded (" + why + "): new connections get " + describe_pair(pair));
  }

  static std::string hex(ByteView bytes, const char* digits) {
    std::string out;
    for (uint8_t b : bytes) {
      out += digits[b >> 4];
      out += digits[b & 15];
    }
    return out;
  }

  // "'CN=localhost, O=example' serial 01AB..., not after 2027-01-01 00:00:00 UTC, from FILE",
  // or for a key served only as a raw public key (--raw-key without --cert) "the raw public
  // key of FILE, SPKI SHA-256 HEX" (what clients pin). Read again here, after the
  // configuration was built from them: should the files have changed in between, the next
  // poll reloads and logs again.
  static std::string describe_pair(const CertificateKeyPair& pair) {
    if (pair.cert_file.empty()) {
      auto key = crypto::load_private_key(pair.key_file);
      if (!key) return "the raw public key of " + pair.key_file;
      const auto digest = crypto::HashCtx::digest(crypto::HashAlg::sha256, key->public_key().spki());
      return "the raw public key of " + pair.key_file + ", SPKI SHA-256 " + hex(digest.view(), "0123456789abcdef");
    }
    auto chain = crypto::load_certificates(pair.cert_file);
    if (!chain || chain->empty()) return pair.cert_file;
    auto leaf = pki::parse_certificate(chain->front());
    if (!leaf) return pair.cert_file;
    return "'" + leaf->subject_string() + "' serial " + hex(leaf->serial, "0123456789ABCDEF") + ", not after " +
           pki::der::format_time(leaf->not_after) + ", from " + pair.cert_file;
  }

  Shared& shared_;
  const ServerOptions options_;
  std::vector<std::string> files_;
  std::vector<FileState> seen_;  // the files as last read (only the thread touches it after start)
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false, stopping_ = false;
  std::thread thread_;
};

// One event loop: its connections, on its own epoll instance.
class Server {
 public:
  // `signal_fd`: -1 but for the loop that handles SIGINT and SIGTERM for all.
  Server(Shared& shared, int wake_fd, int signal_fd, int epoll_fd)
      : shared_(shared),
        config_(shared.config()),
        config_generation_(shared.config_generation.load()),
        settings_(shared.settings),
        mode_(settings_.mode),
        quiet_(settings_.quiet),
        listen_fd_(shared.listen_fd),
        wake_fd_(wake_fd),
        signal_fd_(signal_fd),
        ep_(epoll_fd),
        max_connections_(settings_.max_connections),
        exit_after_(settings_.exit_after),
        post_handshake_auth_(settings_.post_handshake_auth) {
    // The deadline scan runs at least this often, so that a deadline set after one scan (at
    // least the shortest timeout away) is met by the next one on time.
    for (Millis t : {settings_.handshake_timeout, settings_.idle_timeout, settings_.partial_timeout})
      if (t.count() > 0) tick_ = std::min(tick_, t);
  }
  ~Server() {
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int run() {
    // Held in reserve: when descriptors run out it is closed to make room for accepting
    // (and at once closing) the clients that wait, so that they fail fast.
    {
      std::lock_guard lock(shared_.accept_mutex);
      reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    watch_listener(true);
    for (int fd : {wake_fd_, signal_fd_}) {
      if (fd < 0) continue;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) return report(io::io_error("epoll_ctl", errno));
    }
    for (;;) {
      follow_shared_state();
      if (stopped_) break;
      // The loop that takes the signals keeps running until no loop has connections left, so
      // that a signal still stops the others.
      const bool empty = signal_fd_ < 0 ? clients_.empty() : shared_.open.load() == 0;
      if (exit_after_ && shared_.accepted.load() >= exit_after_ && empty) break;
      if (draining_ && (empty || Clock::now() >= drain_until_)) break;
      epoll_event events[64];
      const int n = epoll_wait(ep_, events, 64, wait_ms());
      if (n < 0) {
        if (errno == EINTR) continue;
        return report(io::io_error("epoll_wait", errno));
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == signal_fd_) {
          on_signals();
        } else if (fd == wake_fd_) {
          uint64_t count;
          (void)!::read(wake_fd_, &count, sizeof count);
        } else if (fd == listen_fd_) {
          accept_all();
        } else if (auto it = clients_.find(fd); it != clients_.end()) {
          service(*it->second, events[i].events);
          if (draining_) close_if_idle(fd);
        }
      }
      if (Clock::now() >= next_scan_) scan_deadlines();
      resume_accepting();
    }
    // Stopping now (a second signal, or the grace period is over): tell every established
    // peer, best effort, then close. A connection that was still busy says so in its line.
    for (auto& [fd, c] : clients_) {
      if (!c->failure && !c->shut_down && (!idle(*c) || !c->conn.handshake_done()))
        c->failure = Error(ErrorKind::closed, AlertDescription::close_notify, "the server stopped");
      if (c->conn.handshake_done() && !c->closing) c->conn.close();
      (void)send_some(*c);
      log(*c);
      ::close(fd);
    }
    shared_.open.fetch_sub(clients_.size());
    clients_.clear();
    return 0;
  }

 private:
  int report(const Error& e) {
    shared_.log.line(describe(e));
    return 1;
  }

  void watch_listener(bool on) {
    if (on == listening_) return;
    epoll_event ev{};
    // Every loop watches the listener; EPOLLEXCLUSIVE wakes one of those waiting, not all,
    // for each new connection.
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = listen_fd_;
    (void)epoll_ctl(ep_, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd_, &ev);
    listening_ = on;
  }

  // How long epoll_wait may sleep: until the next deadline scan or the end of the accept
  // back-off, or (-1) until the next event.
  int wait_ms() const {
    Clock::time_point until = next_scan_;
    if (paused_until_) until = std::min(until, *paused_until_);
    if (draining_) until = std::min(until, drain_until_);
    if (until == Clock::time_point::max()) return -1;
    const auto left = std::chrono::ceil<Millis>(until - Clock::now()).count();
    return static_cast<int>(std::clamp<long>(left, 0, 60'000));
  }

  // Whether to watch the listener. A full server still accepts, to turn clients away.
  bool may_accept() const {
    if (paused_until_ || draining_ || shared_.stop.load() != 0) return false;
    return !exit_after_ || shared_.accepted.load() < exit_after_;
  }

  void accept_all() {
    while (may_accept()) {
      int fd, err;
      sockaddr_storage address{};
      bool over_limit = false;
      {
        // One loop at a time: when descriptors run out, the one a loop frees from its
        // reserve must go to the client it sheds, not to another loop's accept(). The
        // count is taken under the same lock, so that clients are admitted in the order
        // they were queued and the one refused is the one beyond the limit.
        std::lock_guard lock(shared_.accept_mutex);
        socklen_t address_len = sizeof address;
        fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &address_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        err = errno;
        if (fd >= 0 && shared_.open.fetch_add(1) >= max_connections_) {
          shared_.open.fetch_sub(1);
          over_limit = true;
        }
      }
      if (fd < 0) {
        // ECONNABORTED: that client gave up while queued; the next may be there.
        if (err == EINTR || err == ECONNABORTED) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        // EINVAL: another loop has shut the listener down (a signal, --exit-after reached).
        if (!may_accept()) break;
        // EMFILE, ENFILE, ENOBUFS, ENOMEM (or anything else that would fail again at once).
        return out_of_resources(err);
      }
      shared_.out_of_fds.over();
      if (over_limit) {
        refuse(fd);
        continue;
      }
      shared_.full.over();
      if (exit_after_) {
        // Another loop may have taken the last one meanwhile: this client is one too many.
        const size_t n = shared_.accepted.fetch_add(1) + 1;
        if (n > exit_after_) {
          shared_.open.fetch_sub(1);
          ::close(fd);
          break;
        }
        if (n == exit_after_) {
          // No more clients will be taken: they are refused rather than left in the queue,
          // and the loops left without connections can end.
          ::shutdown(listen_fd_, SHUT_RD);
          shared_.wake_all();
        }
      }
      // A reload since the last accept: this connection and the next get the new one.
      if (const uint64_t g = shared_.config_generation.load(std::memory_order_acquire); g != config_generation_) {
        config_ = shared_.config();
        config_generation_ = g;
      }
      auto conn = ServerConnection::create(config_);
      if (!conn) {
        shared_.log.line(io::address_name(address) + ": " + describe(conn.error()), "error=" + describe(conn.error()));
        ::close(fd);
        if (shared_.open.fetch_sub(1) == 1) shared_.wake_all();
        continue;
      }
      auto c = std::make_unique<Client>(fd, io::address_name(address), std::move(*conn));
      Client& ref = *c;
      clients_.emplace(fd, std::move(c));
      next_scan_ = std::min(next_scan_, Clock::now() + tick_);
      // The listener defers (TCP_DEFER_ACCEPT): the client's first bytes, its ClientHello,
      // are normally here already, so they are read now rather than after another turn of
      // epoll_wait. read_input registers the socket with epoll (or drops the client).
      read_input(ref);
    }
    watch_listener(may_accept());
  }

  // accept() failed while clients wait. Those clients are taken off the queue with the
  // reserve descriptor and closed, so that they see the connection end instead of hanging;
  // then the listener rests for kAcceptBackoff, while the connections we have go on.
  void out_of_resources(int err) {
    shared_.out_of_fds.refused("accept: " + std::string(std::strerror(err)) +
                               ": closing new connections at once until the server can take them");
    std::lock_guard lock(shared_.accept_mutex);
    if (reserve_fd_ >= 0) {
      ::close(reserve_fd_);
      for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          break;
        }
        ::close(fd);
        shared_.out_of_fds.refused("");
      }
      reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    watch_listener(false);
    paused_until_ = Clock::now() + kAcceptBackoff;
  }

  // A client beyond --max-connections: told so in the clear, in the one record a server may
  // send before any handshake message, a fatal alert (RFC 8446 §6; internal_error: the
  // refusal has nothing to do with what the client offered), then closed. What it has sent
  // already is read first, since closing a socket with unread input resets the connection,
  // which can discard the alert before the client has read it.
  void refuse(int fd) {
    shared_.full.refused("--max-connections " + std::to_string(max_connections_) +
                         " reached: refusing new clients with an internal_error alert");
    uint8_t sink[4096];
    for (int i = 0; i < 4 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    static constexpr uint8_t kAlert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50};  // fatal, internal_error
    (void)::send(fd, kAlert, sizeof kAlert, MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  void resume_accepting() {
    if (!paused_until_ || Clock::now() < *paused_until_) return;
    paused_until_.reset();
    if (reserve_fd_ < 0) {
      std::lock_guard lock(shared_.accept_mutex);
      reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    watch_listener(may_accept());
  }

  // SIGINT or SIGTERM. The first stops accepting (the listener is shut down, so that new
  // clients are refused at once instead of waiting in its queue) and gives the open
  // connections settings_.grace to finish: idle ones get close_notify now, busy ones when
  // they become idle. The second (or a grace of 0) stops at once.
  //
  // The loop with the signalfd decides; every loop follows (follow_shared_state).
  // SIGHUP asks the reloader to read the certificates again, and nothing else.
  void on_signals() {
    signalfd_siginfo info[4];
    ssize_t n;
    int stops = 0;
    while ((n = ::read(signal_fd_, info, sizeof info)) > 0) {
      for (size_t i = 0; i < static_cast<size_t>(n) / sizeof info[0]; ++i) {
        if (info[i].ssi_signo == SIGHUP) {
          if (shared_.request_reload) shared_.request_reload();
          continue;
        }
        ++stops;
        if (shared_.stop.load() >= 1 || settings_.grace.count() == 0) {
          shared_.stop.store(2);
          continue;
        }
        shared_.drain_until.store((Clock::now() + settings_.grace).time_since_epoch().count());
        shared_.stop.store(1);
        ::shutdown(listen_fd_, SHUT_RD);
      }
    }
    if (stops) shared_.wake_all();
  }

  void follow_shared_state() {
    const int stop = shared_.stop.load();
    if (stop >= 2) stopped_ = true;
    if (stop < 1 || draining_) return;
    draining_ = true;
    drain_until_ = Clock::time_point(Clock::duration(shared_.drain_until.load()));
    watch_listener(false);
    paused_until_.reset();
    std::vector<int> fds;
    for (const auto& [fd, c] : clients_) {
      // Those already closed by us wait for their peers' FIN no longer than the others.
      if (c->shut_down) {
        c->deadline = std::min(c->deadline, Clock::now() + kDrainLinger);
        next_scan_ = std::min(next_scan_, c->deadline);
      }
      fds.push_back(fd);
    }
    for (int fd : fds) close_if_idle(fd);
  }

  // Nothing is under way on the connection: no handshake, no record or message received
  // in part, nothing waiting to be sent or read, and (--http) no request begun.
  bool idle(const Client& c) const {
    return c.conn.handshake_done() && c.conn.buffered_input() == 0 && c.conn.pending_output().empty() &&
           c.backlog.empty() && c.conn.readable() == 0 && (mode_ != Mode::http || c.request.empty());
  }

  // While draining: says goodbye to the connection on `fd` if it is idle.
  void close_if_idle(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end() || it->second->closing || !idle(*it->second)) return;
    start_close(*it->second);
    (void)flush(*it->second);
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
    if (quiet_) return;
    // Failures alike are rate-limited together: those with the same error sentence.
    std::string line = connection_line(c);
    const size_t error = line.rfind(" error=");
    shared_.log.line(line, error == std::string::npos ? std::string() : line.substr(error + 1));
  }

  void drop(Client& c) {
    log(c);
    const int fd = c.fd;
    // No EPOLL_CTL_DEL: closing the only descriptor of the socket (nothing here dups or
    // forks it, and all are O_CLOEXEC) takes it out of the epoll set.
    ::close(fd);
    clients_.erase(fd);
    if (shared_.open.fetch_sub(1) == 1) shared_.wake_all();  // the signal loop may be waiting for this
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
      if (n > 0) c.last_active = Clock::now();
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
      c.deadline = Clock::now() + (draining_ ? std::chrono::duration_cast<Clock::duration>(kDrainLinger)
                                             : std::chrono::duration_cast<Clock::duration>(kLinger));
      next_scan_ = std::min(next_scan_, c.deadline);
    }
    // A connection waiting for its client holds only its keys: the cipher contexts (about
    // 2 KiB) are made again when the next record comes, about a microsecond each.
    if (!c.closing && idle(c)) c.conn.release_idle_memory();
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
      c.last_active = Clock::now();
      if (!offer(c, ByteView(buf, static_cast<size_t>(n)))) return;
      if (!c.backlog.empty()) break;  // wait until the connection can take more
      // A short read emptied the socket's queue: another recv() would only say EAGAIN (two
      // of them per connection, before). What arrives later, the end of the stream
      // included, is reported again.
      if (static_cast<size_t>(n) < sizeof buf) break;
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
      // The partial-message deadline runs from the first byte of an incomplete record or
      // handshake message until it is complete; more bytes of it do not restart it.
      if (c.conn.buffered_input() == 0)
        c.partial_since.reset();
      else if (!c.partial_since)
        c.partial_since = Clock::now();
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
      return fail_connection(c,
                             Error(ErrorKind::closed, AlertDescription::close_notify,
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
    if (c.closing) return true;
    uint8_t buf[16384];
    // Accepted 0-RTT data arrives before the handshake completes: it is part of the request
    // (--http), or echoed (queued until the handshake is done).
    while (const size_t n = c.conn.read_early_data(buf)) {
      if (mode_ == Mode::echo) {
        if (auto s = c.conn.write(ByteView(buf, n)); !s) {
          fail_connection(c, s.error());
          return false;
        }
      } else {
        c.request.append(reinterpret_cast<const char*>(buf), n);
      }
    }
    if (!c.conn.handshake_done()) return true;
    // --post-handshake-auth: one CertificateRequest per client that offered it (RFC 8446 §4.6.2).
    if (post_handshake_auth_ && !c.certificate_requested && c.conn.negotiated().post_handshake_auth_offered) {
      c.certificate_requested = true;
      if (auto s = c.conn.request_client_certificate(); !s) {
        fail_connection(c, s.error());
        return false;
      }
    }
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
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
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

  // The next of a connection's deadlines, and what to say if it passes.
  struct Due {
    Clock::time_point at = Clock::time_point::max();
    const char* what = nullptr;  // nullptr: the end of draining after our FIN
    Millis after{0};
  };
  Due next_deadline(const Client& c) const {
    Due due;
    if (c.shut_down) {
      due.at = c.deadline;
      return due;
    }
    const auto consider = [&](Clock::time_point from, Millis timeout, const char* what) {
      if (timeout.count() > 0 && from + timeout < due.at) due = {from + timeout, what, timeout};
    };
    if (!c.conn.handshake_done()) consider(c.started, settings_.handshake_timeout, "handshake timed out after ");
    // While bytes wait in c.backlog, it is we who do not read: the client is not stalling.
    if (c.partial_since && c.backlog.empty())
      consider(*c.partial_since, settings_.partial_timeout,
               "timed out waiting for the rest of a record or handshake message after ");
    if (c.conn.handshake_done())
      consider(c.last_active, settings_.idle_timeout, "idle timeout: nothing sent or received for ");
    return due;
  }

  // Once per tick (and at the nearest deadline): ends the connections whose time is up.
  void scan_deadlines() {
    const auto now = Clock::now();
    std::vector<int> expired;
    next_scan_ = clients_.empty() ? Clock::time_point::max() : now + tick_;
    for (const auto& [fd, c] : clients_) {
      const Due due = next_deadline(*c);
      if (due.at <= now)
        expired.push_back(fd);
      else
        next_scan_ = std::min(next_scan_, due.at);
    }
    for (int fd : expired) {
      auto it = clients_.find(fd);
      if (it == clients_.end()) continue;
      Client& c = *it->second;
      const Due due = next_deadline(c);
      if (!due.what) {
        drop(c);
        continue;
      }
      if (!c.failure) {
        c.failure = Error(ErrorKind::io, AlertDescription::close_notify, due.what + seconds_text(due.after));
        c.timed_out = true;
      }
      // An idle client is told goodbye with close_notify, unless that is what is stuck; a
      // stalled one is closed at once.
      if (c.conn.handshake_done() && !c.closing && !c.partial_since) {
        start_close(c);
        if (flush(c)) next_scan_ = std::min(next_scan_, now + tick_);
      } else {
        fail_connection(c, *c.failure, false);
      }
    }
  }

  Shared& shared_;
  std::shared_ptr<const ServerConfig> config_;  // for the connections this loop accepts next
  uint64_t config_generation_;                  // which of Shared's configurations config_ is
  const Settings& settings_;
  Mode mode_;
  bool quiet_;
  int listen_fd_, wake_fd_, signal_fd_, ep_;
  size_t max_connections_, exit_after_;
  bool post_handshake_auth_ = false;
  bool listening_ = false;
  bool draining_ = false;  // the first signal came: no new clients, the open ones may finish
  bool stopped_ = false;   // the second came: stop now
  Clock::time_point drain_until_;
  int reserve_fd_ = -1;
  std::optional<Clock::time_point> paused_until_;  // the accept back-off
  Millis tick_{1000};
  Clock::time_point next_scan_ = Clock::time_point::max();
  std::map<int, std::unique_ptr<Client>> clients_;
};

// A timeout flag: seconds (fractions allowed), or 0 for none.
Result<Millis> parse_timeout(const Args& args, const char* name, Millis fallback) {
  const auto v = args.value(name);
  if (!v) return fallback;
  if (!v->empty() && v->find_first_not_of("0.") == std::string::npos && v->find('0') != std::string::npos)
    return Millis{0};
  auto ms = parse_seconds(*v, name);
  if (!ms) return fail(ms.error());
  return Millis{*ms};
}

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

// The descriptors this process holds now (0 when /proc is not there to say).
size_t open_descriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  size_t n = 0;
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // less the one reading the directory
}

// Without --max-connections: as many connections as descriptors allow, less those a parent
// handed down beyond the standard streams and a reserve for the server's own (standard
// streams, epoll, signalfd, listener, key log, certificates being read), so that the
// limit is normally met before accept() fails with EMFILE.
size_t default_max_connections(size_t threads) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  size_t soft = lim.rlim_cur == RLIM_INFINITY ? size_t{1} << 20 : std::min<size_t>(lim.rlim_cur, size_t{1} << 20);
  const size_t open = open_descriptors();
  const size_t inherited = open > 3 ? open - 3 : 0;  // beyond the standard streams
  soft = soft > inherited ? soft - inherited : 0;
  // Each loop also holds an epoll instance, an eventfd and a reserve descriptor.
  const size_t reserve = 32 + 3 * threads;
  return std::max<size_t>({soft / 2, soft > reserve ? soft - reserve : 0, 1});
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
  auto loops = parse_count(*args, "--threads");
  if (!loops) return usage_error(kServer, loops.error().message);
  if (args->has("--threads") && (*loops == 0 || *loops > 256))
    return usage_error(kServer, "--threads must be between 1 and 256");
  if (!args->has("--threads")) *loops = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 256);
  if (!args->has("--max-connections")) *max_connections = default_max_connections(*loops);
  // 0 is how "no limit" is kept inside: given explicitly it would mean that silently.
  for (const char* flag : {"--max-connections", "--exit-after"})
    if (args->has(flag) && args->value(flag) && *args->value(flag) == "0")
      return usage_error(kServer, std::string(flag) + " must be at least 1 (leave it out for no limit)");

  Settings settings;
  settings.mode = mode;
  settings.quiet = args->has("--quiet");
  settings.max_connections = *max_connections;
  settings.exit_after = *exit_after;
  settings.threads = *loops;
  settings.post_handshake_auth = args->has("--post-handshake-auth");
  for (auto [flag, field] : {std::pair{"--handshake-timeout", &settings.handshake_timeout},
                             {"--idle-timeout", &settings.idle_timeout},
                             {"--partial-timeout", &settings.partial_timeout},
                             {"--grace", &settings.grace}}) {
    auto t = parse_timeout(*args, flag, *field);
    if (!t) return usage_error(kServer, t.error().message);
    *field = *t;
  }

  ServerOptions options;
  const auto certs = args->values("--cert");
  const auto keys = args->values("--key");
  auto psk = parse_psk_flags(*args);
  if (!psk) return usage_error(kServer, psk.error().message);
  if (psk->psk) options.external_psks.push_back(std::move(*psk->psk));
  options.allow_psk_ke = psk->mode == PskMode::ke;
  if (certs.empty() && options.external_psks.empty() && !args->has("--raw-key"))
    return usage_error(kServer, "at least one --cert FILE --key FILE is required (or --key FILE --raw-key, or "
                                "--psk-identity and --psk)");
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
  if (args->has("--early-data")) {
    auto max = parse_count(*args, "--early-data");
    if (!max || *max == 0 || *max > 0xffffff) return usage_error(kServer, "--early-data takes a byte count from 1 to 16777215");
    options.max_early_data = static_cast<uint32_t>(*max);
  }
  // Redis stores (--anti-replay URL, --ticket-keys URL), pinged before the server starts.
  std::vector<std::pair<const char*, std::string>> redis_urls;
  if (auto how = args->value("--anti-replay")) {
    if (!args->has("--early-data")) return usage_error(kServer, "--anti-replay is used only with --early-data");
    if (how->find("://") != std::string::npos)
      redis_urls.emplace_back("--anti-replay", *how);
    else if (*how == "memory")
      options.anti_replay = make_memory_anti_replay();
    else
      return usage_error(kServer, "--anti-replay takes memory or a Redis URL (redis://HOST[:PORT][/DB]), not '" + *how + "'");
  }
  if (auto url = args->value("--ticket-keys")) {
    if (url->find("://") == std::string::npos)
      return usage_error(kServer, "--ticket-keys takes a Redis URL (redis://HOST[:PORT][/DB] or unix:///PATH)");
    redis_urls.emplace_back("--ticket-keys", *url);
  }
#ifdef TLSPP_HAVE_REDIS
  // Redis's failures while serving go to the log (at most about one a second per store),
  // once the log exists; before that the startup PING has said it all.
  auto redis_log = std::make_shared<std::atomic<LogWriter*>>(nullptr);
  for (const auto& [flag, url] : redis_urls) {
    std::string error;
    auto redis = parse_redis_url(url, &error);
    if (!redis) return usage_error(kServer, std::string(flag) + ": " + error);
    if (!ping_redis(*redis, &error)) {
      std::fprintf(stderr, "tlspp server: %s: %s\n", flag, error.c_str());
      return 1;
    }
    const bool replay = std::string_view(flag) == "--anti-replay";
    const std::string consequence = replay ? "; 0-RTT is declined until it answers (--anti-replay)"
                                           : "; no tickets are issued or opened until it answers (--ticket-keys)";
    redis->on_error = [redis_log, consequence](const std::string& message) {
      if (LogWriter* log = redis_log->load()) log->line(message + consequence, message);
    };
    if (replay)
      options.anti_replay = make_redis_anti_replay(*redis);
    else
      options.ticket_key_source = make_redis_ticket_key_source(*redis, options.ticket_key_rotation_seconds);
  }
#else
  if (!redis_urls.empty())
    return usage_error(kServer, std::string(redis_urls.front().first) +
                                    " URL: this tlspp was built without Redis support (configure with -DTLSPP_REDIS=ON)");
#endif
  if (args->has("--tickets")) {
    auto tickets = parse_count(*args, "--tickets");
    if (!tickets || *tickets > 16) return usage_error(kServer, "--tickets takes a number from 0 to 16");
    options.tickets = static_cast<unsigned>(*tickets);
    options.tickets_after_resumption = std::min(options.tickets, 1u);
  }
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
  std::mutex traces_mutex;  // the loops' threads share the two maps
  if (args->has("--trace")) {
    const trace::RenderOptions render = trace::terminal_options(STDERR_FILENO, false);
    options.on_event = [&traces, &closures, &traces_mutex, render](const Event& e) {
      std::lock_guard lock(traces_mutex);
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
  // One ticket key for every configuration a reload makes, so that tickets issued before a
  // reload still resume after it (the period keys are derived from it, RFC 5077-style
  // rotation included). It stays in this process's memory, in `options`, for the reloads.
  if (options.ticket_key.empty() && !options.ticket_key_source) {
    options.ticket_key.resize(32);
    system_random()->fill(options.ticket_key);
  }
  // Likewise one record of the early data seen (--early-data), made here rather than by each
  // configuration: a reload that started a new one would accept 0-RTT data replayed from
  // before it.
  if (options.max_early_data > 0 && !options.anti_replay) options.anti_replay = make_memory_anti_replay();
  auto watched = Reloader::snapshot(Reloader::watched_files(options));
  auto config = ServerConfig::create(options);
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
  sigaddset(&stop_signals, SIGHUP);  // reload the certificates
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    std::perror("tlspp server: sigprocmask");
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    std::perror("tlspp server: signalfd");
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
  // The kernel completes a connection but wakes no loop until the client's first bytes
  // arrive (TCP_DEFER_ACCEPT, as nginx's `listen ... deferred`): a TLS client speaks first,
  // so its ClientHello comes with the accept, which saves a wakeup per connection. A client
  // that connects and says nothing is taken anyway once the kernel's first SYN-ACK
  // retransmission (about a second) has passed, and then meets the handshake deadline.
  // TCP_NODELAY (each flight and response goes out at once, not held back by Nagle's
  // algorithm) is set on the listener: Linux copies it to every accepted socket, which saves
  // a setsockopt() per connection.
  {
    const int defer_seconds = 1, one = 1;
    (void)setsockopt(*listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds);
    (void)setsockopt(*listener, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  auto port = io::local_port(*listener);
  if (!port) {
    std::fprintf(stderr, "tlspp server: %s\n", describe(port.error()).c_str());
    return 1;
  }
  // The loops: the first on this thread (it also takes the signals, which every thread
  // blocks, as the mask set above is inherited), the others on their own.
  Shared shared(*config, settings, *listener);
#ifdef TLSPP_HAVE_REDIS
  // The Redis stores outlive `shared` (connections, options and reloads hold them): they stop
  // logging before it goes.
  redis_log->store(&shared.log);
  struct Unhook {
    std::atomic<LogWriter*>& log;
    ~Unhook() { log.store(nullptr); }
  } unhook{*redis_log};
#endif
  Reloader reloader(shared, std::move(options), std::move(watched));
  std::vector<int> epolls;
  for (size_t i = 0; i < settings.threads; ++i) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ep < 0 || wake < 0) {
      std::perror("tlspp server: epoll_create1/eventfd");
      return 1;
    }
    epolls.push_back(ep);
    shared.wake_fds.push_back(wake);
  }
  std::vector<int> codes(settings.threads, 0);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < settings.threads; ++i)
    threads.emplace_back([&shared, &codes, &epolls, i] {
      Server loop(shared, shared.wake_fds[i], -1, epolls[i]);
      codes[i] = loop.run();
      // A loop that failed takes the others down with it.
      if (codes[i] != 0) {
        shared.stop.store(2);
        shared.wake_all();
      }
    });
  // Tests and scripts wait for this line to learn the port (with --listen HOST:0); every loop
  // is running (or about to) when it appears.
  std::fprintf(stderr, "listening on %s\n", io::format_endpoint(endpoint->host, *port).c_str());
  for (const auto& line : raw_key_lines) std::fprintf(stderr, "tlspp server: %s\n", line.c_str());
  if (!not_offered.empty()) {
    std::string list;
    for (const auto& p : not_offered) list += (list.empty() ? "" : ",") + p;
    std::fprintf(stderr, "tlspp server: --http speaks only HTTP/1.x: not offering ALPN %s\n", list.c_str());
  }
  std::fflush(stderr);
  {
    Server loop(shared, shared.wake_fds[0], signal_fd, epolls[0]);
    codes[0] = loop.run();
    if (codes[0] != 0) {
      shared.stop.store(2);
      shared.wake_all();
    }
  }
  for (auto& t : threads) t.join();
  ::close(*listener);
  for (int fd : epolls) ::close(fd);
  for (int fd : shared.wake_fds) ::close(fd);
  ::close(signal_fd);
  return *std::max_element(codes.begin(), codes.end());
}

}  // namespace
}  // namespace tlspp::cli
