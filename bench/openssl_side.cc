// OpenSSL's libssl, configured like the tlspp side: one protocol version (TLS 1.3, or TLS
// 1.2 for the tls12 rows), X25519 only, one suite, the client verifies the chain
// (SSL_VERIFY_PEER) and the host name (SSL_set1_host), the server sends no tickets unless
// asked to and keeps no session cache. Each SSL object talks through a minimal BIO
// that reads and writes a Wire, as a socket BIO reads and writes a socket.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <vector>

#include "alloc_count.h"
#include "sides.h"

namespace bench {
namespace {

std::string openssl_errors() {
  std::string s;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!s.empty()) s += "; ";
    s += buf;
  }
  return s.empty() ? "no OpenSSL error queued" : s;
}

[[noreturn]] void die_ssl(const std::string& what) { die("OpenSSL: " + what + ": " + openssl_errors()); }

// Where an SSL object's BIO reads from and writes to.
struct Ends {
  Wire* in = nullptr;
  Wire* out = nullptr;
};

int wire_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  auto* e = static_cast<Ends*>(BIO_get_data(b));
  if (!e->out->push(data, static_cast<size_t>(len))) {
    BIO_set_retry_write(b);
    return -1;
  }
  return len;
}

int wire_read(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  auto* e = static_cast<Ends*>(BIO_get_data(b));
  if (e->in->empty()) {
    BIO_set_retry_read(b);
    return -1;
  }
  return static_cast<int>(e->in->pop(data, static_cast<size_t>(len)));
}

long wire_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<Ends*>(BIO_get_data(b))->in->size());
    default:
      return 0;
  }
}

BIO_METHOD* wire_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "bench wire");
    if (!meth || !BIO_meth_set_write(meth, wire_write) || !BIO_meth_set_read(meth, wire_read) ||
        !BIO_meth_set_ctrl(meth, wire_ctrl))
      die_ssl("BIO_meth_new");
    return meth;
  }();
  return m;
}

SSL_CTX* ctx(const OpensslSetup& s, bool client) {
  return static_cast<SSL_CTX*>(client ? s.client_ctx() : s.server_ctx());
}

void attach(SSL* ssl, Ends* ends) {
  BIO* b = BIO_new(wire_method());
  if (!b) die_ssl("BIO_new");
  BIO_set_data(b, ends);
  BIO_set_init(b, 1);
  SSL_set_bio(ssl, b, b);  // one BIO for both directions; the SSL object owns it
}

SSL* new_client(const OpensslSetup& s, Ends* ends, SSL_SESSION* resume) {
  SSL* ssl = SSL_new(ctx(s, true));
  if (!ssl) die_ssl("SSL_new (client)");
  attach(ssl, ends);
  if (SSL_set_tlsext_host_name(ssl, kHost) != 1 || SSL_set1_host(ssl, kHost) != 1) die_ssl("client host name");
  if (resume && SSL_set_session(ssl, resume) != 1) die_ssl("SSL_set_session");
  SSL_set_connect_state(ssl);
  return ssl;
}

SSL* new_server(const OpensslSetup& s, Ends* ends) {
  SSL* ssl = SSL_new(ctx(s, false));
  if (!ssl) die_ssl("SSL_new (server)");
  attach(ssl, ends);
  SSL_set_accept_state(ssl);
  return ssl;
}

// One step of the handshake: true when it completed, false when it waits for the peer.
bool step(SSL* ssl, const char* who) {
  const int r = SSL_do_handshake(ssl);
  if (r == 1) return true;
  if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ) return false;
  die_ssl(std::string("SSL_do_handshake (") + who + ")");
}

void check_done(SSL* client, SSL* server, bool expect_resumed, bool tls12 = false) {
  if (!SSL_is_init_finished(client) || !SSL_is_init_finished(server)) die("OpenSSL: handshake did not complete");
  if (SSL_get_verify_result(client) != X509_V_OK) die("OpenSSL: client did not verify the server");
  if (SSL_version(client) != (tls12 ? TLS1_2_VERSION : TLS1_3_VERSION)) die(tls12 ? "OpenSSL: not TLS 1.2" : "OpenSSL: not TLS 1.3");
  if (tls12 && (SSL_get_extms_support(client) != 1 || SSL_get_extms_support(server) != 1))
    die("OpenSSL: TLS 1.2 without the extended master secret");
  if (tls12 && !expect_resumed && (SSL_get_negotiated_group(client) != NID_X25519 || SSL_get_negotiated_group(server) != NID_X25519))
    die("OpenSSL: TLS 1.2 ECDHE not with X25519");
  if (bool(SSL_session_reused(client)) != expect_resumed)
    die(expect_resumed ? "OpenSSL: session was not resumed" : "OpenSSL: unexpected resumption");
}

// Processes the server's NewSessionTicket(s) (post-handshake messages, read only when the
// application reads) and returns the session to resume with next.
SSL_SESSION* take_ticket(SSL* client) {
  char c;
  const int r = SSL_read(client, &c, 1);
  if (r > 0 || SSL_get_error(client, r) != SSL_ERROR_WANT_READ) die_ssl("SSL_read (ticket)");
  SSL_SESSION* sess = SSL_get1_session(client);
  if (!sess || !SSL_SESSION_is_resumable(sess)) die("OpenSSL: no resumable session after the ticket");
  return sess;
}

// Ends a connection as an application that has finished with it: without this, SSL_free
// treats the session as broken and marks it not resumable (ssl_clear_bad_session). No
// close_notify is sent, as tlspp's side sends none either.
void free_ssl(SSL* ssl) {
  SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl);
}

std::string suite_name(tlspp::CipherSuite s) { return std::string(tlspp::cipher_suite_name(s)); }

// OpenSSL's own names for the TLS 1.2 suites (SSL_CTX_set_cipher_list).
const char* openssl_tls12_name(tlspp::CipherSuite s) {
  using tlspp::CipherSuite;
  switch (s) {
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return "ECDHE-ECDSA-AES128-GCM-SHA256";
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return "ECDHE-ECDSA-AES256-GCM-SHA384";
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: return "ECDHE-ECDSA-CHACHA20-POLY1305";
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return "ECDHE-RSA-AES128-GCM-SHA256";
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return "ECDHE-RSA-AES256-GCM-SHA384";
    case CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: return "ECDHE-RSA-CHACHA20-POLY1305";
    default: die("OpenSSL: no TLS 1.2 name for " + suite_name(s));
  }
}

// An untimed handshake of either version: the two sides take turns, client first, until
// both are done (TLS 1.3 and abbreviated TLS 1.2: four flights; full TLS 1.2: five).
// Returns the number of flights.
int pump(SSL* c, SSL* sv) {
  bool c_done = step(c, "client"), s_done = false;
  int flights = 1;
  while (!(c_done && s_done)) {
    if (++flights > 6) die("OpenSSL: handshake did not complete");
    s_done = step(sv, "server");
    if (c_done && s_done) break;
    ++flights;
    c_done = step(c, "client");
  }
  return flights;
}

// TLS 1.2, timed: the flights of pump(), each one's time going to the side that made it.
// The session the client holds is resumed when there is one; the client keeps whichever
// session it ends with (its own again unless the server renewed the ticket).
HandshakeResult run_tls12_handshakes(const OpensslSetup& s, int64_t budget_ns, int min_count, bool resumed) {
  Wire c2s, s2c;
  Ends client_ends{&s2c, &c2s}, server_ends{&c2s, &s2c};
  SSL_SESSION* session = nullptr;
  if (resumed) {
    SSL* c = new_client(s, &client_ends, nullptr);
    SSL* sv = new_server(s, &server_ends);
    pump(c, sv);
    check_done(c, sv, false, true);
    session = SSL_get1_session(c);
    if (!session || !SSL_SESSION_is_resumable(session) || !SSL_SESSION_has_ticket(session))
      die("OpenSSL: no TLS 1.2 session ticket to resume with");
    free_ssl(c);
    free_ssl(sv);
  }
  int64_t client_ns = 0, server_ns = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    SSL* c = nullptr;
    SSL* sv = nullptr;
    bool c_done = false, s_done = false;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      c = new_client(s, &client_ends, session);
      c_done = step(c, "client");
    });
    client_ns += interval(t0, cpu_ns());
    for (int flights = 1; !(c_done && s_done); ++flights) {
      if (flights > 6) die("OpenSSL: TLS 1.2 handshake did not complete");
      const int64_t a = cpu_ns();
      if (flights % 2) {
        as_server([&] {
          if (!sv) sv = new_server(s, &server_ends);
          s_done = step(sv, "server");
        });
        server_ns += interval(a, cpu_ns());
      } else {
        as_client([&] { c_done = step(c, "client"); });
        client_ns += interval(a, cpu_ns());
      }
    }
    check_done(c, sv, resumed, true);
    if (!c2s.empty() || !s2c.empty()) die("OpenSSL: bytes left in flight after the handshake");
    const int64_t t5 = cpu_ns();
    as_client([&] {
      if (resumed) {
        SSL_SESSION_free(session);
        session = SSL_get1_session(c);
      }
      free_ssl(c);
    });
    const int64_t t6 = cpu_ns();
    as_server([&] { free_ssl(sv); });
    const int64_t t7 = cpu_ns();
    client_ns += interval(t5, t6);
    server_ns += interval(t6, t7);
    ++n;
  }
  if (session) SSL_SESSION_free(session);
  return handshake_result(client_ns, server_ns, n);
}

HandshakeResult run_handshakes(const OpensslSetup& s, int64_t budget_ns, int min_count, bool resumed) {
  Wire c2s, s2c;
  Ends client_ends{&s2c, &c2s}, server_ends{&c2s, &s2c};
  SSL_SESSION* session = nullptr;
  if (resumed) {
    // A first full handshake to get a ticket.
    SSL* c = new_client(s, &client_ends, nullptr);
    SSL* sv = new_server(s, &server_ends);
    step(c, "client");
    step(sv, "server");
    step(c, "client");
    step(sv, "server");
    check_done(c, sv, false);
    session = take_ticket(c);
    free_ssl(c);
    free_ssl(sv);
  }
  int64_t client_ns = 0, server_ns = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    SSL* c = nullptr;
    SSL* sv = nullptr;
    bool c1 = false, s1 = false, c2 = false, s2 = false;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      c = new_client(s, &client_ends, session);
      c1 = step(c, "client");
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      sv = new_server(s, &server_ends);
      s1 = step(sv, "server");
    });
    const int64_t t2 = cpu_ns();
    as_client([&] { c2 = step(c, "client"); });
    const int64_t t3 = cpu_ns();
    as_server([&] { s2 = step(sv, "server"); });
    const int64_t t4 = cpu_ns();
    if (c1 || s1 || !c2 || !s2) die("OpenSSL: handshake took an unexpected number of flights");
    check_done(c, sv, resumed);
    if (!resumed && !s2c.empty()) die("OpenSSL: server sent something after its handshake (a ticket?)");
    const int64_t t5 = cpu_ns();
    as_client([&] {
      if (resumed) {
        SSL_SESSION_free(session);
        session = take_ticket(c);
      }
      free_ssl(c);
    });
    const int64_t t6 = cpu_ns();
    as_server([&] { free_ssl(sv); });
    const int64_t t7 = cpu_ns();
    client_ns += interval(t0, t1) + interval(t2, t3) + interval(t5, t6);
    server_ns += interval(t1, t2) + interval(t3, t4) + interval(t6, t7);
    ++n;
  }
  if (session) SSL_SESSION_free(session);
  return handshake_result(client_ns, server_ns, n);
}

}  // namespace

HandshakeResult openssl_early_handshakes(const OpensslSetup& s, size_t early_bytes, int64_t budget_ns, int min_count) {
  if (s.tls12()) die("OpenSSL: 0-RTT is TLS 1.3 only");
  Wire c2s, s2c;
  Ends client_ends{&s2c, &c2s}, server_ends{&c2s, &s2c};
  SSL_SESSION* session = nullptr;
  {
    SSL* c = new_client(s, &client_ends, nullptr);
    SSL* sv = new_server(s, &server_ends);
    step(c, "client");
    step(sv, "server");
    step(c, "client");
    step(sv, "server");
    check_done(c, sv, false);
    session = take_ticket(c);
    if (SSL_SESSION_get_max_early_data(session) < early_bytes) die("OpenSSL: the ticket allows no early data");
    free_ssl(c);
    free_ssl(sv);
  }
  const std::vector<uint8_t> request(early_bytes, 'e');
  std::vector<uint8_t> got(early_bytes + 1);
  int64_t client_ns = 0, server_ns = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    SSL* c = nullptr;
    SSL* sv = nullptr;
    size_t received = 0;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      c = new_client(s, &client_ends, session);
      size_t written = 0;
      // The ClientHello and the early data, in one flight.
      if (SSL_write_early_data(c, request.data(), request.size(), &written) != 1 || written != request.size())
        die_ssl("SSL_write_early_data");
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      sv = new_server(s, &server_ends);
      // Reads the early data and sends the server's flight; then waits for EndOfEarlyData.
      for (;;) {
        size_t k = 0;
        const int r = SSL_read_early_data(sv, got.data() + received, got.size() - received, &k);
        if (r == SSL_READ_EARLY_DATA_SUCCESS) {
          received += k;
          continue;
        }
        if (r == SSL_READ_EARLY_DATA_ERROR && SSL_get_error(sv, 0) == SSL_ERROR_WANT_READ) break;
        die_ssl("SSL_read_early_data (first flight)");
      }
    });
    const int64_t t2 = cpu_ns();
    as_client([&] {
      if (step(c, "client") != true) die("OpenSSL: client did not finish after the server's flight");
    });
    const int64_t t3 = cpu_ns();
    as_server([&] {
      size_t k = 0;
      if (SSL_read_early_data(sv, got.data() + received, got.size() - received, &k) != SSL_READ_EARLY_DATA_FINISH)
        die_ssl("SSL_read_early_data (EndOfEarlyData)");
      if (!step(sv, "server")) die("OpenSSL: server did not finish");
    });
    const int64_t t4 = cpu_ns();
    if (received != early_bytes || SSL_get_early_data_status(sv) != SSL_EARLY_DATA_ACCEPTED ||
        SSL_get_early_data_status(c) != SSL_EARLY_DATA_ACCEPTED)
      die("OpenSSL: early data not accepted");
    check_done(c, sv, true);
    const int64_t t5 = cpu_ns();
    as_client([&] {
      SSL_SESSION_free(session);
      session = take_ticket(c);
      free_ssl(c);
    });
    const int64_t t6 = cpu_ns();
    as_server([&] { free_ssl(sv); });
    const int64_t t7 = cpu_ns();
    client_ns += interval(t0, t1) + interval(t2, t3) + interval(t5, t6);
    server_ns += interval(t1, t2) + interval(t3, t4) + interval(t6, t7);
    ++n;
  }
  SSL_SESSION_free(session);
  return handshake_result(client_ns, server_ns, n);
}

const char* openssl_version() { return OpenSSL_version(OPENSSL_VERSION); }

OpensslSetup::OpensslSetup(const Identity& id, const OpensslOptions& o) : tls12_(is_tls12(o.suite)) {
  const std::string suite = tls12_ ? openssl_tls12_name(o.suite) : suite_name(o.suite);
  const int version = tls12_ ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  SSL_CTX* s = SSL_CTX_new(TLS_server_method());
  if (!c || !s) die_ssl("SSL_CTX_new");
  client_ = c;
  server_ = s;
  for (SSL_CTX* x : {c, s}) {
    if (SSL_CTX_set_min_proto_version(x, version) != 1 || SSL_CTX_set_max_proto_version(x, version) != 1)
      die_ssl("protocol version");
    if (tls12_) {
      // The one TLS 1.2 suite; the extended master secret is OpenSSL's default (RFC 7627),
      // and tickets (RFC 5077) are on only where the row resumes.
      if (SSL_CTX_set_cipher_list(x, suite.c_str()) != 1) die_ssl("SSL_CTX_set_cipher_list " + suite);
      if (SSL_CTX_get_options(x) & SSL_OP_NO_EXTENDED_MASTER_SECRET) die("OpenSSL: extended master secret is off");
      if (o.tickets > 0)
        SSL_CTX_clear_options(x, SSL_OP_NO_TICKET);
      else
        SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
    } else if (SSL_CTX_set_ciphersuites(x, suite.c_str()) != 1) {
      die_ssl("SSL_CTX_set_ciphersuites " + suite);
    }
    // TLS 1.2 (RFC 8422 §5.1.1, §5.3): the client's supported_groups also name the curves
    // of the ECDSA certificates it accepts, so a TLS 1.2 client lists P-256 after X25519
    // (the server, X25519 only, still uses X25519 for ECDHE). The same on the tlspp side.
    if (SSL_CTX_set1_groups_list(x, tls12_ && x == c ? "X25519:P-256" : "X25519") != 1)
      die_ssl("SSL_CTX_set1_groups_list");
    if (o.release_buffers) SSL_CTX_set_mode(x, SSL_MODE_RELEASE_BUFFERS);
  }
  // Client: verify the chain against the root, and the name per connection (SSL_set1_host).
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  const unsigned char* p = id.root_der.data();
  X509* root = d2i_X509(nullptr, &p, static_cast<long>(id.root_der.size()));
  if (!root || X509_STORE_add_cert(SSL_CTX_get_cert_store(c), root) != 1) die_ssl("trust anchor");
  X509_free(root);

  // Server: the same leaf and key tlspp serves; no session cache (tlspp has none); tickets
  // only when the row says so.
  p = id.leaf_der.data();
  X509* leaf = d2i_X509(nullptr, &p, static_cast<long>(id.leaf_der.size()));
  if (!leaf || SSL_CTX_use_certificate(s, leaf) != 1) die_ssl("server certificate");
  X509_free(leaf);
  p = id.leaf_key_pkcs8.data();
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(id.leaf_key_pkcs8.size()));
  if (!key || SSL_CTX_use_PrivateKey(s, key) != 1 || SSL_CTX_check_private_key(s) != 1) die_ssl("server key");
  EVP_PKEY_free(key);
  if (SSL_CTX_set_num_tickets(s, static_cast<size_t>(o.tickets)) != 1) die_ssl("SSL_CTX_set_num_tickets");
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  if (o.max_early_data > 0) {
    // 0-RTT as OpenSSL serves it by default: its anti-replay protection (RFC 8446 §8.1,
    // single-use tickets) keeps each session in the server's session cache until it is
    // used once, so the cache is on for this row (SSL_SESS_CACHE_SERVER, OpenSSL's default).
    if (SSL_CTX_set_max_early_data(s, o.max_early_data) != 1) die_ssl("SSL_CTX_set_max_early_data");
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_SERVER);
  }
}

OpensslSetup::~OpensslSetup() {
  SSL_CTX_free(static_cast<SSL_CTX*>(client_));
  SSL_CTX_free(static_cast<SSL_CTX*>(server_));
}

HandshakeResult openssl_handshakes(const OpensslSetup& s, int64_t budget_ns, int min_count) {
  return s.tls12() ? run_tls12_handshakes(s, budget_ns, min_count, false) : run_handshakes(s, budget_ns, min_count, false);
}

HandshakeResult openssl_resumed_handshakes(const OpensslSetup& s, int64_t budget_ns, int min_count) {
  return s.tls12() ? run_tls12_handshakes(s, budget_ns, min_count, true) : run_handshakes(s, budget_ns, min_count, true);
}

BulkResult openssl_bulk(const OpensslSetup& s, size_t bytes) {
  Wire c2s(kBulkWire), s2c;
  Ends client_ends{&s2c, &c2s}, server_ends{&c2s, &s2c};
  SSL* c = new_client(s, &client_ends, nullptr);
  SSL* sv = new_server(s, &server_ends);
  pump(c, sv);
  check_done(c, sv, false, s.tls12());
  if (!s2c.empty() || !c2s.empty()) die("OpenSSL: bytes left in flight after the handshake");

  std::vector<uint8_t> data(kRecordPayload), got(kRecordPayload);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  int64_t seal_ns = 0, open_ns = 0;
  size_t sent = 0, received = 0;
  while (sent < bytes) {
    size_t batch_received = 0;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      for (size_t i = 0; i < kBatchRecords; ++i) {
        if (SSL_write(c, data.data(), static_cast<int>(data.size())) != static_cast<int>(data.size()))
          die_ssl("SSL_write");
      }
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      size_t chunk = 0;
      for (;;) {
        const int r = SSL_read(sv, got.data() + chunk, static_cast<int>(got.size() - chunk));
        if (r > 0) {
          chunk += static_cast<size_t>(r);
          batch_received += static_cast<size_t>(r);
          if (chunk == got.size()) chunk = 0;
          continue;
        }
        if (SSL_get_error(sv, r) != SSL_ERROR_WANT_READ) die_ssl("SSL_read");
        break;
      }
    });
    const int64_t t2 = cpu_ns();
    seal_ns += interval(t0, t1);
    open_ns += interval(t1, t2);
    if (batch_received != kBatchRecords * kRecordPayload || got != data) die("OpenSSL: bulk data arrived damaged");
    sent += kBatchRecords * kRecordPayload;
    received += batch_received;
  }
  free_ssl(c);
  free_ssl(sv);
  return {received / (seal_ns / 1e3), received / (open_ns / 1e3)};
}

MemoryResult openssl_memory(const OpensslSetup& s, int pairs) {
  std::vector<SSL*> clients(pairs), servers(pairs);
  std::vector<Wire> c2s, s2c;
  std::vector<Ends> client_ends(pairs), server_ends(pairs);
  c2s.reserve(pairs);
  s2c.reserve(pairs);
  for (int i = 0; i < pairs; ++i) {
    c2s.emplace_back(16 * 1024);
    s2c.emplace_back(16 * 1024);
    client_ends[i] = {&s2c[i], &c2s[i]};
    server_ends[i] = {&c2s[i], &s2c[i]};
  }
  std::vector<bool> done(pairs, false);  // made before counting starts, like the wires
  const alloc::Snapshot before = alloc::current();
  const uint64_t allocations_before = alloc::allocations();
  alloc::reset_peak();
  // Lockstep, as on the tlspp side: the flights alternate, client first, until every pair
  // is done (four for TLS 1.3, five for a full TLS 1.2 handshake).
  const int flights = s.tls12() ? 5 : 4;
  for (int f = 0; f < flights; ++f) {
    for (int i = 0; i < pairs; ++i) {
      if (f % 2 == 0) {
        if (f == 0) clients[i] = new_client(s, &client_ends[i], nullptr);
        done[i] = step(clients[i], "client");
      } else {
        if (f == 1) servers[i] = new_server(s, &server_ends[i]);
        done[i] = step(servers[i], "server");
      }
    }
  }
  for (int i = 0; i < pairs; ++i) {
    if (!done[i]) die("OpenSSL: handshake took an unexpected number of flights");
    check_done(clients[i], servers[i], false, s.tls12());
  }
  const int64_t peak = alloc::peak() - before.total();
  const alloc::Snapshot at_peak = alloc::at_peak();
  const alloc::Snapshot idle = alloc::current();
  const uint64_t allocations = alloc::allocations() - allocations_before;
  for (SSL* c : clients) free_ssl(c);
  const alloc::Snapshot servers_only = alloc::current();
  for (SSL* c : servers) free_ssl(c);

  MemoryResult r;
  const double conns = 2.0 * pairs;
  r.peak_per_conn = peak / conns;
  r.idle_per_conn = (idle.total() - before.total()) / conns;
  r.idle_client = double(idle.total() - servers_only.total()) / pairs;
  r.idle_server = double(servers_only.total() - before.total()) / pairs;
  for (int c = 0; c < alloc::kCategories; ++c) {
    r.idle_by_category[c] = (idle.bytes[c] - before.bytes[c]) / conns;
    r.peak_by_category[c] = (at_peak.bytes[c] - before.bytes[c]) / conns;
  }
  r.leaked = alloc::current().total() - before.total();
  r.allocations_per_handshake = double(allocations) / pairs;
  return r;
}

}  // namespace bench
