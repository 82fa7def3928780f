// `tlspp client`: connects, handshakes, then copies stdin (or --request) to the server and
// the server's data to stdout until the server closes.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "commands.h"
#include "io/socket.h"
#include "options.h"
#include "summary.h"
#include "tlspp/stream.h"
#include "trace.h"

namespace tlspp::cli {
namespace {

int run(const std::vector<std::string>& argv);

const Command kClient{
    "client",
    "client HOST:PORT [--servername NAME] [--ca FILE] [--insecure] [--alpn LIST] [--groups LIST] "
    "[--ciphers LIST] [--request STRING] [--summary] [--keylog FILE] [--cert FILE --key FILE] [--stay-open] "
    "[--trace[=text|mermaid]]",
    "connect to a TLS server; send stdin (or --request) and print what comes back", &run};
const Registration reg{kClient};

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
  std::fprintf(stderr, "tlspp: %s\n", line.c_str());
  return 1;
}

int run(const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{"--servername", true},
                                {"--ca", true},
                                {"--insecure", false},
                                {"--alpn", true},
                                {"--groups", true},
                                {"--ciphers", true},
                                {"--request", true},
                                {"--summary", false},
                                {"--keylog", true},
                                {"--cert", true},
                                {"--key", true},
                                {"--stay-open", false},
                                {"--trace", false, true}});
  if (!args) return usage_error(kClient, args.error().message);
  if (args->positional.size() != 1) return usage_error(kClient, "expected exactly one HOST:PORT");
  auto endpoint = io::parse_endpoint(args->positional[0]);
  if (!endpoint) return usage_error(kClient, endpoint.error().message);

  ClientOptions options;
  options.ca_files = args->values("--ca");
  options.insecure_skip_verification = args->has("--insecure");
  // A client certificate, sent only when the server asks (RFC 8446 §4.4.2).
  if (args->has("--cert") != args->has("--key")) return usage_error(kClient, "--cert and --key go together");
  if (auto cert = args->value("--cert")) {
    CertificateKeyPair pair;
    pair.cert_file = *cert;
    pair.key_file = *args->value("--key");
    options.client_certificates.push_back(std::move(pair));
  }
  if (auto s = apply_common_options(*args, options); !s) return usage_error(kClient, s.error().message);

  // --trace[=text|mermaid]: the session drawn from the connection's events, on stderr
  // when it ends (however it ends: a failed handshake is traced too).
  std::string trace_format;
  if (args->has("--trace")) {
    trace_format = args->value("--trace").value_or("");
    if (trace_format.empty()) trace_format = "text";
    if (trace_format != "text" && trace_format != "mermaid")
      return usage_error(kClient, "--trace takes text or mermaid, not '" + trace_format + "'");
  }
  trace::TraceRecorder recorder;
  struct TracePrinter {
    const trace::TraceRecorder& recorder;
    const std::string& format;
    ~TracePrinter() {
      if (format.empty()) return;
      const std::string out = format == "mermaid" ? recorder.render_mermaid()
                                                  : recorder.render_text(trace::terminal_options(STDERR_FILENO, false));
      std::fputs(out.c_str(), stderr);
    }
  } printer{recorder, trace_format};
  if (!trace_format.empty()) options.on_event = recorder.callback();

  auto config = ClientConfig::create(std::move(options));
  if (!config) return fail_with(describe(config.error()));

  // A peer that vanishes must surface as an error from write(), not kill us.
  std::signal(SIGPIPE, SIG_IGN);

  auto fd = io::connect_tcp(endpoint->host, endpoint->port);
  if (!fd) return fail_with(describe(fd.error()));
  // --servername is both the SNI and the name verified (RFC 6125); by default the host.
  const auto server_name = ServerName::parse(args->value("--servername").value_or(endpoint->host));
  if (!server_name) return fail_with(describe(server_name.error()));
  auto stream = Stream::connect_fd(*config, *fd, *server_name);
  if (!stream) return fail_with("handshake failed: " + describe(stream.error()));
  Connection& conn = stream->connection();

  if (args->has("--summary")) std::fputs(format_summary(summarize(conn, Side::client)).c_str(), stderr);

  const bool stay_open = args->has("--stay-open");
  bool input_open = true;  // still reading stdin
  bool sent_close = false;
  // When our input ends we send close_notify (RFC 8446 §6.1 half-close, like a TCP FIN
  // after EOF) so that echo-style servers know we are done; the server may still answer.
  auto end_input = [&]() -> Status {
    input_open = false;
    if (stay_open || sent_close) return {};
    sent_close = true;
    return stream->close();
  };

  if (auto request = args->value("--request")) {
    const std::string data = unescape_crlf(*request);
    if (auto s = stream->write_all(ByteView(reinterpret_cast<const uint8_t*>(data.data()), data.size())); !s)
      return fail_with("connection failed: " + describe(s.error()));
    if (auto s = end_input(); !s) return fail_with("connection failed: " + describe(s.error()));
  }

  // Input is taken only while the socket can take more output: a blocking write to a
  // full socket would stop us reading the peer, and a peer that waits for us to read
  // before it reads more would then wait for ever. So when stdin has data but the socket
  // is full, we wait for the socket alone (still reading from it) until it drains.
  bool wait_writable = false;
  for (;;) {
    pollfd fds[2] = {{stream->fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    nfds_t nfds = input_open ? 2 : 1;
    if (wait_writable) {
      fds[0].events = POLLIN | POLLOUT;
      nfds = 1;
    }
    if (::poll(fds, nfds, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_with(describe(io::io_error("poll", errno)));
    }
    if (fds[0].revents & POLLOUT) wait_writable = false;
    if (fds[0].revents & ~POLLOUT) {
      auto n = stream->receive_once();
      // Data that arrived before an error or a close is still the peer's output.
      if (!drain_to_stdout(conn)) break;
      if (!n) return fail_with("connection failed: " + describe(n.error()));
      if (conn.peer_closed() || *n == 0) break;
    }
    if (nfds == 2 && fds[1].revents) {
      pollfd out{stream->fd(), POLLOUT, 0};
      if (::poll(&out, 1, 0) == 0) {
        wait_writable = true;
        continue;
      }
      uint8_t buf[16384];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (auto s = end_input(); !s) return fail_with("connection failed: " + describe(s.error()));
      } else if (auto s = stream->write_all(ByteView(buf, static_cast<size_t>(n))); !s) {
        return fail_with("connection failed: " + describe(s.error()));
      }
    }
  }
  // Answer the peer's close_notify with ours; the peer may already be gone, which is fine.
  if (!sent_close) (void)stream->close();
  return 0;
}

}  // namespace
}  // namespace tlspp::cli
