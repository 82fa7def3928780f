// `tlspp demo`: a tlspp client and a tlspp server talk over a real TCP connection on
// 127.0.0.1 inside this process, and the handshake is printed as the sequence diagram it
// is, built from both sides' protocol events (CommonOptions::on_event) alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "options.h"
#include "crypto/pem.h"
#include "crypto/sig.h"
#include "pki/builder.h"
#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "trace.h"

namespace tlspp::cli {
namespace {

constexpr int kTimeoutMs = 10000;
constexpr const char* kUsage =
    "demo [--tls1.2] [--hrr] [--client-auth] [--resume [--session-id]] [--mermaid] [--ascii]";

const char kRequest[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
const char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\n"
    "hello from tlspp!\r\n";

struct DemoOptions {
  bool tls12 = false;       // both sides speak TLS 1.2 only
  bool session_id = false;  // TLS 1.2 resumption by session ID instead of ticket
  bool hrr = false;
  bool client_auth = false;
  bool resume = false;
  bool mermaid = false;
  bool ascii = false;
};

Error io_error(const std::string& what) {
  return {ErrorKind::io, AlertDescription::internal_error, what + ": " + std::strerror(errno)};
}
Error io_failure(std::string what) { return {ErrorKind::io, AlertDescription::internal_error, std::move(what)}; }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// A private directory for the root certificate the configurations load from a file.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tlspp-demo-XXXXXX";
    if (const char* d = mkdtemp(tmpl)) path_ = d;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    for (const auto& f : files_) std::remove(f.c_str());
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  [[nodiscard]] Result<std::string> write(const std::string& name, const std::string& contents) {
    if (path_.empty()) return fail(io_error("cannot create a temporary directory"));
    const std::string file = path_ + "/" + name;
    std::FILE* f = std::fopen(file.c_str(), "w");
    if (!f) return fail(io_error("cannot write " + file));
    files_.push_back(file);
    const bool ok = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
    if (std::fclose(f) != 0 || !ok) return fail(io_error("cannot write " + file));
    return file;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

// Waits until `fd` is readable, or `stop` is (the other side gave up).
Status wait_readable(int fd, int stop, const char* who) {
  pollfd p[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
  for (;;) {
    const int n = ::poll(p, 2, kTimeoutMs);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error(std::string(who) + ": poll failed"));
    if (n == 0) return fail(io_failure(std::string(who) + ": nothing happened for 10 seconds"));
    // Bytes first: they may hold the alert that says why the other side stopped.
    if (p[0].revents) return {};
    return fail(io_failure(std::string(who) + ": the other side stopped"));
  }
}

Status flush(Connection& conn, int fd) {
  while (conn.wants_write()) {
    const ByteView out = conn.pending_output();
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error("send failed"));
    conn.consume_output(static_cast<size_t>(n));
  }
  return {};
}

// Reads what is there; an empty result means the peer closed TCP.
Result<Bytes> read_some(int fd, int stop, const char* who) {
  TLSPP_TRY(wait_readable(fd, stop, who));
  Bytes buf(16384);
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error(std::string(who) + ": recv failed"));
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
}

void drain(Connection& conn, std::string& into) {
  uint8_t buf[4096];
  while (const size_t n = conn.read(buf)) into.append(reinterpret_cast<const char*>(buf), n);
}

// Feeds received bytes to the connection and the data it decrypts into `into`, until it
// has taken them all (sending its answers only when it needs the room: what it queues
// otherwise leaves with what the caller adds); when it fails, sends the alert that says why.
Status deliver(Connection& conn, int fd, ByteView data, std::string& into) {
  while (!data.empty()) {
    auto taken = conn.receive(data);
    if (!taken) {
      (void)flush(conn, fd);
      return fail(taken.error());
    }
    data = data.subspan(*taken);
    drain(conn, into);
    if (!data.empty()) TLSPP_TRY(flush(conn, fd));  // room for the rest
  }
  return {};
}

// TLS writes whole records: without this, Nagle's algorithm holds the server's second
// send of a flight until the client's delayed ACK, and the trace would show 40 ms of
// waiting that is not TLS's.
void no_delay(int fd) {
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// The server: one connection; it answers the request, then closes (close_notify), and
// waits for the client's close_notify.
Status serve_one(int listen_fd, int stop, const std::shared_ptr<const ServerConfig>& config) {
  TLSPP_TRY(wait_readable(listen_fd, stop, "server"));
  Fd fd(::accept(listen_fd, nullptr, nullptr));
  if (fd.get() < 0) return fail(io_error("server: accept failed"));
  no_delay(fd.get());
  auto conn = ServerConnection::create(config);
  if (!conn) return fail(conn.error());
  std::string request;
  bool answered = false;
  while (!conn->peer_closed()) {
    auto data = read_some(fd.get(), stop, "server");
    if (!data) return fail(data.error());
    if (data->empty()) return fail(io_failure("server: the client closed TCP without close_notify"));
    TLSPP_TRY(deliver(*conn, fd.get(), *data, request));
    if (!answered && request.find("\r\n\r\n") != std::string::npos) {
      const std::string_view r(kResponse);
      TLSPP_TRY(conn->write(ByteView(reinterpret_cast<const uint8_t*>(r.data()), r.size())));
      conn->close();
      answered = true;
    }
    TLSPP_TRY(flush(*conn, fd.get()));
  }
  return {};
}

// The client: sends its request as soon as the handshake is done (in the same flight as
// its Finished), reads until the server's close_notify, then sends its own.
Status run_client(uint16_t port, int stop, const std::shared_ptr<const ClientConfig>& config, std::string& response,
                  const SessionTicket* resume, std::vector<SessionTicket>& tickets) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0) return fail(io_error("client: socket failed"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return fail(io_error("client: connect to 127.0.0.1:" + std::to_string(port) + " failed"));
  no_delay(fd.get());
  const auto name = ServerName::parse("localhost");
  if (!name) return fail(name.error());
  auto conn = resume ? ClientConnection::create(config, *name, *resume) : ClientConnection::create(config, *name);
  if (!conn) return fail(conn.error());
  TLSPP_TRY(flush(*conn, fd.get()));
  bool requested = false;
  while (!conn->peer_closed()) {
    auto data = read_some(fd.get(), stop, "client");
    if (!data) return fail(data.error());
    if (data->empty()) return fail(io_failure("client: the server closed TCP without close_notify"));
    TLSPP_TRY(deliver(*conn, fd.get(), *data, response));
    // The request is queued before the Finished leaves, so that both go out together.
    if (conn->handshake_done() && !requested) {
      const std::string_view r(kRequest);
      TLSPP_TRY(conn->write(ByteView(reinterpret_cast<const uint8_t*>(r.data()), r.size())));
      requested = true;
    }
    drain(*conn, response);
    TLSPP_TRY(flush(*conn, fd.get()));
  }
  conn->close();
  tickets = conn->take_session_tickets();
  return flush(*conn, fd.get());
}

Result<int> listen_loopback(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return fail(io_error("socket failed"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;  // any free port
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const Error e = io_error("cannot listen on 127.0.0.1");
    ::close(fd);
    return fail(e);
  }
  port = ntohs(addr.sin_port);
  return fd;
}

std::string pem_chain(const std::vector<Bytes>& chain) {
  std::string s;
  for (const auto& der : chain) s += crypto::pem_encode("CERTIFICATE", der);
  return s;
}

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string first_line(const std::string& s) { return s.substr(0, s.find("\r\n")); }

struct DemoRun {
  uint16_t port = 0;
  std::string response;
  std::optional<Error> client_error, server_error;
};

Status run_session(const std::shared_ptr<const ServerConfig>& server_config,
                   const std::shared_ptr<const ClientConfig>& client_config, const SessionTicket* resume,
                   DemoRun& run, std::vector<SessionTicket>& tickets);

// Builds the PKI and both configurations, runs the connection, and records every event.
Result<DemoRun> run_demo(const DemoOptions& o, trace::TraceRecorder& recorder) {
  auto pki = pki::make_test_pki({});
  if (!pki) return fail(pki.error());
  TempDir dir;
  auto ca_file = dir.write("ca.pem", crypto::pem_encode("CERTIFICATE", pki->root));
  if (!ca_file) return fail(ca_file.error());

  // Both sides record into `recorder` only while `recording` is set: the first session of
  // --resume runs on the same configurations (a TLS 1.2 server keeps its session IDs in
  // its configuration) but is not drawn.
  auto recording = std::make_shared<std::atomic<bool>>(true);
  const auto record = [recording, cb = recorder.callback()](const Event& e) {
    if (recording->load()) cb(e);
  };
  ServerOptions so;
  so.certificates = {CertificateKeyPair{{}, {}, to_bytes(pem_chain(pki->chain())),
                                        to_bytes(crypto::pem_encode("PRIVATE KEY", pki->leaf_key.pkcs8_der()))}};
  so.alpn = {"http/1.1"};
  so.tickets = 1;
  so.on_event = record;
  ClientOptions co;
  co.ca_files = {*ca_file};
  co.alpn = {"h2", "http/1.1"};
  co.on_event = record;
  if (o.tls12) {
    co.min_version = co.max_version = ProtocolVersion::tls12;
    so.min_version = so.max_version = ProtocolVersion::tls12;
    // One way to resume at a time: by session ID (RFC 5246 §7.4.1.2) with the server's
    // tickets off, or by ticket (RFC 5077) with its session cache off.
    if (o.session_id)
      so.tickets = 0;
    else
      so.session_cache_size = 0;
  }
  if (o.hrr) {
    // The client's first key share (x25519) is one the server does not take: RFC 8446
    // §4.1.4, the server asks again for secp384r1.
    co.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
    so.groups = {NamedGroup::secp384r1};
  }
  if (o.client_auth) {
    auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    if (!key) return fail(key.error());
    auto cert = pki::CertificateBuilder()
                    .common_name("tlspp demo client")
                    .organization("tlspp test")
                    .issued_by(key->public_key(), pki->intermediate, pki->intermediate_key);
    if (!cert) return fail(cert.error());
    co.client_certificates = {CertificateKeyPair{{}, {}, to_bytes(pem_chain({*cert, pki->intermediate})),
                                                 to_bytes(crypto::pem_encode("PRIVATE KEY", key->pkcs8_der()))}};
    so.client_auth = ClientAuth::required;
    so.client_ca_files = {*ca_file};
  }
  auto server_config = ServerConfig::create(so);
  if (!server_config) return fail(server_config.error());
  auto client_config = ClientConfig::create(co);
  if (!client_config) return fail(client_config.error());
  std::optional<SessionTicket> ticket;
  if (o.resume) {
    // A first, untraced full handshake leaves the client a session to resume (RFC 8446
    // §2.2; RFC 5246 §7.3 and RFC 5077 §3.1 in TLS 1.2), and the traced one resumes it.
    recording->store(false);
    DemoRun first;
    std::vector<SessionTicket> tickets;
    TLSPP_TRY(run_session(*server_config, *client_config, nullptr, first, tickets));
    recording->store(true);
    if (first.client_error) return fail(*first.client_error);
    if (first.server_error) return fail(*first.server_error);
    if (tickets.empty()) return fail(Error::internal("the first session left nothing to resume"));
    ticket = tickets.front();
  }
  DemoRun run;
  std::vector<SessionTicket> tickets;
  TLSPP_TRY(run_session(*server_config, *client_config, ticket ? &*ticket : nullptr, run, tickets));
  return run;
}

// One connection between a fresh server (on its own thread) and the client.
Status run_session(const std::shared_ptr<const ServerConfig>& server_config,
                   const std::shared_ptr<const ClientConfig>& client_config, const SessionTicket* resume,
                   DemoRun& run, std::vector<SessionTicket>& tickets) {
  auto listener = listen_loopback(run.port);
  if (!listener) return fail(listener.error());
  Fd listen_fd(*listener);
  int stop_pipe[2];
  if (::pipe(stop_pipe) != 0) return fail(io_error("pipe failed"));
  Fd stop_read(stop_pipe[0]), stop_write(stop_pipe[1]);

  // The server runs on its own thread; each side tells the other when it gives up, so
  // that neither waits for the timeout.
  std::thread server([&] {
    const Status s = serve_one(listen_fd.get(), stop_read.get(), server_config);
    if (!s) {
      run.server_error = s.error();
      (void)!::write(stop_write.get(), "s", 1);
    }
  });
  const Status c = run_client(run.port, stop_read.get(), client_config, run.response, resume, tickets);
  if (!c) {
    run.client_error = c.error();
    if (!run.server_error) (void)!::write(stop_write.get(), "c", 1);
  }
  server.join();
  return {};
}

int run(const std::vector<std::string>& args);

const Command kDemo{"demo", kUsage,
                    "run a client and a server on 127.0.0.1 and draw the TLS 1.3 (or 1.2) handshake as it happened",
                    &run};
const Registration reg{kDemo};

const FlagSpec kFlags[] = {
    {"--tls1.2", false, false, "",
     "both sides speak TLS 1.2 only (RFC 5246): the handshake of two round trips, with ServerKeyExchange, "
     "ServerHelloDone, ClientKeyExchange and a ChangeCipherSpec before each Finished, and the key block's "
     "derivation in the key notes."},
    {"--hrr", false, false, "",
     "make the client's first key share one the server does not accept (client groups x25519, secp384r1; server "
     "group secp384r1), so that a HelloRetryRequest is drawn (TLS 1.3 only: not with --tls1.2)."},
    {"--client-auth", false, false, "",
     "the server requests a client certificate and the client presents one from the same ephemeral CA."},
    {"--resume", false, false, "",
     "a first full handshake leaves a ticket, and the handshake drawn resumes with it (with --tls1.2: an RFC 5077 "
     "ticket, the server keeping no session IDs)."},
    {"--session-id", false, false, "",
     "with --tls1.2 --resume: the server issues no tickets, and the client resumes by the session ID of the first "
     "handshake (RFC 5246, section 7.4.1.2)."},
    {"--mermaid", false, false, "", "print a Mermaid sequenceDiagram instead of text."},
    {"--ascii", false, false, "", "use ASCII instead of Unicode box drawing (the default without a UTF-8 locale)."},
};

int usage_error(const std::string& message) { return cli::usage_error(kDemo, message); }

int run(const std::vector<std::string>& args) {
  DemoOptions o;
  for (const auto& a : args) {
    if (a == "--tls1.2") {
      o.tls12 = true;
    } else if (a == "--hrr") {
      o.hrr = true;
    } else if (a == "--client-auth") {
      o.client_auth = true;
    } else if (a == "--mermaid") {
      o.mermaid = true;
    } else if (a == "--ascii") {
      o.ascii = true;
    } else if (a == "--help" || a == "-h") {
      return print_help(kDemo, kFlags,
                        "Runs a TLS 1.3 connection (TLS 1.2 with --tls1.2) between a tlspp client and a tlspp\n"
                        "server on 127.0.0.1 in this process (ephemeral CA, server certificate for localhost),\n"
                        "exchanges one request and response, closes, and prints the handshake as a sequence\n"
                        "diagram built from both sides' protocol events: the messages, the keys each side\n"
                        "installs and where they come from, and the round trips.",
                        "Colour is used on a terminal unless NO_COLOR is set.");
    } else if (a == "--resume") {
      o.resume = true;
    } else if (a == "--session-id") {
      o.session_id = true;
    } else if (a == "--0rtt") {
      std::fprintf(stderr, "tlspp demo: %s is not available yet: tlspp does not implement 0-RTT early data.\n",
                   a.c_str());
      return 2;
    } else {
      return usage_error("unknown option '" + a + "'");
    }
  }
  if (o.tls12 && o.hrr) return usage_error("--hrr cannot go with --tls1.2: TLS 1.2 has no HelloRetryRequest");
  if (o.session_id && !(o.tls12 && o.resume))
    return usage_error("--session-id needs --tls1.2 and --resume: it resumes a TLS 1.2 session by its session ID");

  trace::TraceRecorder recorder;
  auto r = run_demo(o, recorder);
  if (!r) {
    std::fprintf(stderr, "tlspp demo: %s\n", r.error().to_string().c_str());
    return 1;
  }
  if (o.mermaid) {
    const std::string m = recorder.render_mermaid();
    std::fwrite(m.data(), 1, m.size(), stdout);
  } else {
    const auto opts = trace::terminal_options(STDOUT_FILENO, o.ascii);
    std::printf("tlspp demo: a tlspp client and a tlspp server over TCP on 127.0.0.1:%u, in one process\n",
                static_cast<unsigned>(r->port));
    std::printf("(%sephemeral CA, server certificate for localhost%s%s)\n\n", o.tls12 ? "TLS 1.2 only, " : "",
                o.client_auth ? ", client certificate from the same CA" : "",
                o.hrr ? "; client groups x25519, secp384r1, server group secp384r1" : "");
    if (o.resume && !o.tls12)
      std::printf("(the client resumes with the ticket of a first, untraced full handshake: no certificate, "
                  "no signature)\n\n");
    else if (o.resume)
      std::printf("(the client resumes the session of a first, untraced full handshake by its %s: no "
                  "certificate, no key exchange, no signature)\n\n",
                  o.session_id ? "session ID" : "ticket (RFC 5077)");
    const std::string t = recorder.render_text(opts);
    std::fwrite(t.data(), 1, t.size(), stdout);
    if (!r->response.empty())
      std::printf("    exchanged: \"%s\" -> \"%s\"\n", first_line(kRequest).c_str(), first_line(r->response).c_str());
  }
  std::fflush(stdout);
  int rc = 0;
  if (r->client_error) {
    std::fprintf(stderr, "tlspp demo: client failed: %s\n", r->client_error->to_string().c_str());
    rc = 1;
  }
  if (r->server_error) {
    std::fprintf(stderr, "tlspp demo: server failed: %s\n", r->server_error->to_string().c_str());
    rc = 1;
  }
  return rc;
}


}  // namespace
}  // namespace tlspp::cli
