// `tlspp client`: connects, handshakes, then copies stdin (or --request) to the server and
// the server's data to stdout until the server closes (or, once the input has ended, stays
// silent for --timeout). With --reconnect N it then connects N more times, each time
// offering the newest session the server gave it (a TLS 1.3 ticket, or a TLS 1.2 session
// ID or ticket).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "commands.h"
#include "io/socket.h"
#include "options.h"
#include "summary.h"
#include "tlspp/connection.h"
#include "tlspp/session_store.h"
#include "tlspp/stream.h"
#include "trace.h"

namespace tlspp::cli {
namespace {

int run(const std::vector<std::string>& argv);

const Command kClient{
    "client",
    "client HOST:PORT [--servername NAME] [--ca FILE ... | --insecure] [--alpn LIST] [--groups LIST] "
    "[--tls1.2 | --tls1.3 | --min-version V --max-version V] [--ciphers LIST] [--request STRING [--reconnect N]] "
    "[--sess-in FILE] [--sess-out FILE] [--early-data FILE] [--psk-identity ID --psk HEX [--psk-mode dhe_ke|ke]] "
    "[--timeout SECONDS | --stay-open] [--summary] [--keylog FILE] "
    "[--record-size-limit BYTES] [--cert FILE --key FILE] [--raw-key] [--pin-spki SHA256HEX ...] [--trace[=text|mermaid]]",
    "connect to a TLS server; send stdin (or --request) and print what comes back", &run};
const Registration reg{kClient};

constexpr long kDefaultTimeoutMs = 10000;
constexpr long kMaxReconnects = 1000;

const FlagSpec kFlags[] = {
    {"--servername", true, false, "NAME",
     "the name sent as SNI and verified against the server's certificate (default: HOST; an IP address is verified "
     "but never sent)."},
    {"--ca", true, false, "FILE",
     "trust the CA certificates of this PEM file instead of the system's (may be repeated).", true},
    {"--insecure", false, false, "",
     "do not verify the server's certificate: the connection is encrypted but the server is not authenticated "
     "(excludes --ca)."},
    {"--alpn", true, false, "LIST", "offer these ALPN protocols, comma-separated, most preferred first (h2,http/1.1)."},
    {"--groups", true, false, "LIST",
     "key exchange groups to offer, most preferred first (x25519, secp256r1 or P-256, secp384r1 or P-384)."},
    TLSPP_CLI_VERSION_FLAGS,
    TLSPP_CLI_PSK_FLAGS,
    {"--ciphers", true, false, "LIST",
     "cipher suites to offer, most preferred first, TLS 1.3 and TLS 1.2 ones (IANA names, e.g. TLS_AES_128_GCM_SHA256, "
     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)."},
    {"--request", true, false, "STRING",
     "send STRING (\\r and \\n become CR and LF) instead of reading stdin, then print the reply until the server "
     "closes."},
    {"--reconnect", true, false, "N",
     "after the first connection ends cleanly, connect N more times (1 to 1000), sending --request again, each time "
     "offering the newest unused session the server gave (needs --request)."},
    {"--sess-in", true, false, "FILE",
     "resume a session saved by --sess-out (the newest one for this server name that is still valid)."},
    {"--early-data", true, false, "FILE",
     "send FILE's contents as 0-RTT early data when a saved session allows it (see --sess-in); early data can be "
     "replayed by an attacker, so only for requests that are safe to repeat. Rejected or impossible: sent after the "
     "handshake instead."},
    {"--sess-out", true, false, "FILE",
     "when done, write the sessions received and not used up to FILE (mode 0600: it holds their secrets; the format "
     "is in include/tlspp/session_store.h)."},
    {"--timeout", true, false, "SECONDS",
     "once the input has ended, how long the server may stay silent before the client stops waiting for it to "
     "close (default 10; fractions allowed)."},
    {"--stay-open", false, false, "",
     "never close first: after the input ends, wait without a time limit until the server closes (excludes "
     "--timeout)."},
    {"--summary", false, false, "",
     "print the negotiated parameters to stderr once the handshake is done (for each connection)."},
    {"--keylog", true, false, "FILE",
     "append the session's secrets to FILE in the NSS key log format (default: $SSLKEYLOGFILE, if set)."},
    {"--cert", true, false, "FILE", "the client certificate chain (PEM) to present when the server asks for one."},
    {"--key", true, false, "FILE", "the private key (PEM) of --cert."},
    {"--record-size-limit", true, false, "BYTES",
     "send record_size_limit (RFC 8449): the server's protected records to us may carry at most BYTES (64 to 16385, "
     "TLS 1.3 counting the content type byte)."},
    {"--raw-key", false, false, "",
     "also present --key as a raw public key (RFC 7250, TLS 1.3) to a server that asks for one; with no --cert, "
     "present it only that way."},
    {"--pin-spki", true, false, "SHA256HEX",
     "accept a server that presents a raw public key (RFC 7250, TLS 1.3) whose SubjectPublicKeyInfo has this SHA-256 "
     "(64 hex digits; may be repeated); raw keys are offered only with a pin. --summary's peer_spki_sha256 line "
     "shows a server key's value.", true},
    {"--trace", false, true, "[=text|mermaid]",
     "when the session ends, draw its messages and keys on stderr as text (the default) or a Mermaid diagram."},
};

const char kAbout[] =
    "Connects to HOST:PORT over TCP, runs a TLS handshake (TLS 1.3, or TLS 1.2 with a server that\n"
    "speaks no 1.3; verifying the server's certificate chain and name), then sends stdin, or --request, and copies what the server sends to stdout.";
const char kNotes[] =
    "Closing: with --request the client sends nothing more and reads until the server closes, so a\n"
    "server that answers one request and hangs up finds no unread data (which would make its kernel\n"
    "reset the connection and lose the answer); if the server stays silent for --timeout seconds,\n"
    "the client sends close_notify and waits as long again for the server's. At the end of stdin\n"
    "the client sends close_notify at once (a half-close: the answer is still read), so that echo\n"
    "servers know it is done. A server that ends TCP without close_notify may have had its data cut\n"
    "short by an attacker (RFC 8446 6.1): the client warns and exits 1.\n"
    "Resumption: the client keeps the sessions servers give it (TLS 1.3 tickets, TLS 1.2 sessions)\n"
    "and offers each ticket once, the newest first. With --reconnect N, once a connection has ended\n"
    "cleanly the client opens the next one, up to N more (stdin is read only once, so --reconnect\n"
    "needs --request). --sess-in FILE starts from sessions saved by an earlier run's --sess-out\n"
    "FILE. Each connection's reply goes to stdout in turn, and with --summary each prints its own\n"
    "summary, whose 'resumed:' line says whether the server took the session. The first connection\n"
    "that fails ends the run (--sess-out is still written).\n"
    "Exit status: 0 after a clean close (of every connection), 1 on any failure, 2 on a usage error.";



// Writes all of `data` to stdout; false when stdout is gone.
bool write_stdout(ByteView data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return true;
}

// Copies everything the connection has decrypted to stdout.
bool drain_to_stdout(Connection& conn) {
  uint8_t buf[16384];
  bool ok = true;
  while (const size_t n = conn.read(buf))
    if (ok) ok = write_stdout(ByteView(buf, n));
  return ok;
}

int fail_with(const std::string& line) {
  std::fprintf(stderr, "tlspp client: %s\n", line.c_str());
  return 1;
}

// How each connection runs, from the command line.
struct Plan {
  io::Endpoint endpoint;
  std::optional<std::string> request;  // unescaped; none: copy stdin
  std::string early_data;              // --early-data FILE's contents: sent as 0-RTT data
  bool summary = false;
  bool stay_open = false;
  long timeout_ms = kDefaultTimeoutMs;
};

// One connection from connect to close. The configuration's session store supplies the
// session to offer and keeps the ones this connection brings (TLS 1.3 tickets arrive after
// the handshake, with the data). Returns the exit status.
int converse(const std::shared_ptr<const ClientConfig>& config, const ServerName& server_name, const Plan& plan) {
  auto fd = io::connect_tcp(plan.endpoint.host, plan.endpoint.port);
  if (!fd) return fail_with(describe(fd.error()));
  const ByteView early(reinterpret_cast<const uint8_t*>(plan.early_data.data()), plan.early_data.size());
  auto link = Stream::connect_fd_early(config, *fd, server_name, early);
  if (!link) return fail_with("handshake failed: " + describe(link.error()));
  Connection& conn = link->connection();

  if (plan.summary) std::fputs(format_summary(summarize(conn, Side::client)).c_str(), stderr);
  if (!plan.early_data.empty() && conn.early_data() != EarlyData::accepted) {
    // Not delivered as early data (no session allowing it, or the server declined it):
    // this client sends it again in 1-RTT, as the user asked for it to be sent.
    std::fprintf(stderr, "tlspp client: early data %s; sending it after the handshake\n",
                 conn.early_data() == EarlyData::rejected ? "rejected by the server" : "not possible (no session allows it)");
    if (auto s = link->write_all(early); !s) return fail_with("connection failed: " + describe(s.error()));
  }

  bool input_open = true;  // still reading stdin
  bool sent_close = false;
  // Once the input has ended the server has --timeout of silence to close (unless
  // --stay-open); every byte from it restarts the clock.
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  auto restart_clock = [&] {
    if (!input_open && !plan.stay_open) deadline = Clock::now() + std::chrono::milliseconds(plan.timeout_ms);
  };
  auto send_close = [&]() -> Status {
    sent_close = true;
    return link->close();
  };

  if (plan.request) {
    const std::string& data = *plan.request;
    if (auto s = link->write_all(ByteView(reinterpret_cast<const uint8_t*>(data.data()), data.size())); !s)
      return fail_with("connection failed: " + describe(s.error()));
    // No close_notify yet: a server that reads one record, answers and closes would find
    // it unread, and closing a socket with unread input makes the kernel send a reset
    // that can destroy the answer before we read it. We close after the server does.
    input_open = false;
    restart_clock();
  }

  // Input is taken only while the socket can take more output: a blocking write to a
  // full socket would stop us reading the peer, and a peer that waits for us to read
  // before it reads more would then wait for ever. So when stdin has data but the socket
  // is full, we wait for the socket alone (still reading from it) until it drains.
  bool wait_writable = false;
  for (;;) {
    pollfd fds[2] = {{link->fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    nfds_t nfds = input_open ? 2 : 1;
    if (wait_writable) {
      fds[0].events = POLLIN | POLLOUT;
      nfds = 1;
    }
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      wait_ms = static_cast<int>(std::max<long long>(0, left));
    }
    const int ready = ::poll(fds, nfds, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail_with(describe(io::io_error("poll", errno)));
    }
    if (ready == 0 && deadline && Clock::now() >= *deadline) {
      char waited[32];
      std::snprintf(waited, sizeof waited, "%g s", static_cast<double>(plan.timeout_ms) / 1000);
      if (sent_close)
        return fail_with(std::string("the server did not close the connection within ") + waited + " of our close_notify");
      // The server keeps the connection open (an echo server, HTTP keep-alive): we close.
      if (auto s = send_close(); !s) return fail_with("connection failed: " + describe(s.error()));
      restart_clock();
      continue;
    }
    if (fds[0].revents & POLLOUT) wait_writable = false;
    if (fds[0].revents & ~POLLOUT) {
      auto n = link->receive_once();
      // Data that arrived before an error or a close is still the peer's output.
      if (!drain_to_stdout(conn)) break;
      if (!n) return fail_with("connection failed: " + describe(n.error()));
      if (conn.peer_closed()) break;
      if (*n == 0) {
        // End of TCP without close_notify: RFC 8446 §6.1, the data may have been cut short.
        if (auto s = conn.transport_closed(); !s) return fail_with("warning: " + describe(s.error()));
        break;
      }
      restart_clock();
    }
    if (nfds == 2 && fds[1].revents) {
      pollfd out{link->fd(), POLLOUT, 0};
      if (::poll(&out, 1, 0) == 0) {
        wait_writable = true;
        continue;
      }
      uint8_t buf[16384];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // End of stdin: close_notify at once (RFC 8446 §6.1 half-close, like a TCP FIN
        // after EOF) so that echo-style servers know we are done; they may still answer.
        input_open = false;
        if (!plan.stay_open) {
          if (auto s = send_close(); !s) return fail_with("connection failed: " + describe(s.error()));
          restart_clock();
        }
      } else if (auto s = link->write_all(ByteView(buf, static_cast<size_t>(n))); !s) {
        return fail_with("connection failed: " + describe(s.error()));
      }
    }
  }
  // Answer the peer's close_notify with ours; the peer may already be gone, which is fine.
  if (!sent_close) (void)link->close();
  return 0;
}

// "--reconnect N": 1 to kMaxReconnects.
Result<long> parse_reconnects(const std::string& text) {
  long n = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9' || n > kMaxReconnects) return fail(Error::config("--reconnect takes a number of connections"));
    n = n * 10 + (ch - '0');
  }
  if (text.empty()) return fail(Error::config("--reconnect takes a number of connections"));
  if (n < 1 || n > kMaxReconnects)
    return fail(Error::config("--reconnect must be between 1 and " + std::to_string(kMaxReconnects)));
  return n;
}

int run(const std::vector<std::string>& argv) {
  if (wants_help(argv)) return print_help(kClient, kFlags, kAbout, kNotes);
  auto args = parse_args(argv, kFlags);
  if (!args) return usage_error(kClient, args.error().message);
  if (args->positional.size() != 1) return usage_error(kClient, "expected exactly one HOST:PORT");
  auto endpoint = io::parse_endpoint(args->positional[0]);
  if (!endpoint) return usage_error(kClient, endpoint.error().message);
  if (args->has("--insecure") && args->has("--ca"))
    return usage_error(kClient, "--insecure skips certificate verification, so --ca would not be used");
  if (args->has("--stay-open") && args->has("--timeout"))
    return usage_error(kClient, "--stay-open waits without a time limit, so --timeout would not be used");
  Plan plan;
  plan.endpoint = *endpoint;
  plan.summary = args->has("--summary");
  plan.stay_open = args->has("--stay-open");
  if (auto v = args->value("--timeout")) {
    auto t = parse_seconds(*v, "--timeout");
    if (!t) return usage_error(kClient, t.error().message);
    plan.timeout_ms = *t;
  }
  if (auto request = args->value("--request")) plan.request = unescape_crlf(*request);
  long reconnects = 0;
  if (auto v = args->value("--reconnect")) {
    auto n = parse_reconnects(*v);
    if (!n) return usage_error(kClient, n.error().message);
    // stdin is one stream: only one connection could send it.
    if (!plan.request) return usage_error(kClient, "--reconnect needs --request (stdin can be sent only once)");
    reconnects = *n;
  }

  ClientOptions options;
  options.ca_files = args->values("--ca");
  options.insecure_skip_verification = args->has("--insecure");
  // A client certificate, sent only when the server asks (RFC 8446 §4.4.2).
  if (args->has("--cert") != args->has("--key") && !(args->has("--key") && args->has("--raw-key")))
    return usage_error(kClient, "--cert and --key go together (or --key with --raw-key)");
  if (args->has("--raw-key") && !args->has("--key")) return usage_error(kClient, "--raw-key needs --key FILE");
  if (auto key = args->value("--key")) {
    CertificateKeyPair pair;
    pair.cert_file = args->value("--cert").value_or("");
    pair.key_file = *key;
    pair.raw_public_key = args->has("--raw-key");
    options.client_certificates.push_back(std::move(pair));
  }
  for (const auto& v : args->values("--pin-spki")) {
    auto pin = parse_spki_pin(v);
    if (!pin) return usage_error(kClient, pin.error().message);
    options.pinned_spki_sha256.push_back(std::move(*pin));
  }
  if (auto s = apply_common_options(*args, options); !s) return usage_error(kClient, s.error().message);
  auto psk = parse_psk_flags(*args);
  if (!psk) return usage_error(kClient, psk.error().message);
  options.external_psk = std::move(psk->psk);
  options.psk_mode = psk->mode;
  // Sessions: kept in a store, offered once each, the newest first.
  auto store = std::make_shared<MemorySessionStore>();
  options.session_store = store;
  if (auto in = args->value("--sess-in")) {
    auto text = read_text_file(*in);
    if (!text) return fail_with("--sess-in: " + describe(text.error()));
    auto sessions = decode_sessions(*text);
    if (!sessions) return fail_with("--sess-in " + *in + ": " + describe(sessions.error()));
    for (auto& s : *sessions) {
      const std::string name = s.server_name;
      store->put(name, std::move(s));
    }
  }
  const std::optional<std::string> sess_out = args->value("--sess-out");
  if (auto file = args->value("--early-data")) {
    auto text = read_text_file(*file);
    if (!text) return fail_with("--early-data: " + describe(text.error()));
    plan.early_data = std::move(*text);
    options.early_data = true;
  }

  // --trace[=text|mermaid]: each session drawn from its connection's events, on stderr
  // when it ends (however it ends: a failed handshake is traced too).
  std::string trace_format;
  if (args->has("--trace")) {
    trace_format = args->value("--trace").value_or("");
    if (trace_format.empty()) trace_format = "text";
    if (trace_format != "text" && trace_format != "mermaid")
      return usage_error(kClient, "--trace takes text or mermaid, not '" + trace_format + "'");
  }
  // One recorder per connection: the configuration's callback feeds the current one.
  auto recorder = std::make_unique<trace::TraceRecorder>();
  struct TracePrinter {
    std::unique_ptr<trace::TraceRecorder>& recorder;
    const std::string& format;
    ~TracePrinter() {
      if (format.empty()) return;
      const std::string out = format == "mermaid" ? recorder->render_mermaid()
                                                  : recorder->render_text(trace::terminal_options(STDERR_FILENO, false));
      std::fputs(out.c_str(), stderr);
      recorder = std::make_unique<trace::TraceRecorder>();
    }
  };
  if (!trace_format.empty()) options.on_event = [&recorder](const Event& e) { recorder->on_event(e); };

  auto config = ClientConfig::create(std::move(options));
  if (!config) return fail_with(describe(config.error()));

  // A peer that vanishes must surface as an error from write(), not kill us.
  std::signal(SIGPIPE, SIG_IGN);

  // --servername is both the SNI and the name verified (RFC 6125); by default the host.
  const auto server_name = ServerName::parse(args->value("--servername").value_or(endpoint->host));
  if (!server_name) return usage_error(kClient, describe(server_name.error()));

  int rc = 0;
  for (long i = 0; i <= reconnects && rc == 0; ++i) {
    const TracePrinter printer{recorder, trace_format};
    rc = converse(*config, *server_name, plan);
  }
  if (sess_out) {
    if (auto s = write_private_file(*sess_out, encode_sessions(store->take_all())); !s) {
      std::fprintf(stderr, "tlspp client: --sess-out: %s\n", describe(s.error()).c_str());
      return 1;
    }
  }
  return rc;
}

}  // namespace
}  // namespace tlspp::cli
