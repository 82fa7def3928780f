// tlspp through its public API only, joined to itself through Wires.
#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "alloc_count.h"
#include "sides.h"
#include "tlspp/connection.h"

namespace bench {
namespace {

using tlspp::ClientConnection;
using tlspp::Connection;
using tlspp::ServerConnection;

// What a socket application does after each call: hand everything pending to the network.
void drain(Connection& c, Wire& w) {
  const tlspp::ByteView out = c.pending_output();
  if (out.empty()) return;
  if (!w.push(out.data(), out.size())) die("tlspp: wire full");
  c.consume_output(out.size());
}

void feed(Connection& c, Wire& w, const char* who) {
  if (w.empty()) return;
  auto s = c.receive(w.view());
  if (!s) die(std::string("tlspp ") + who + ": " + s.error().to_string());
  if (*s != w.size()) die(std::string("tlspp ") + who + ": receive() took only part of a flight");
  w.clear();
}

ClientConnection new_client(const TlsppSetup& s, const tlspp::SessionTicket* ticket = nullptr) {
  static const auto name = tlspp::ServerName::parse(kHost);
  if (!name) die("tlspp client: " + name.error().to_string());
  auto c = ticket ? ClientConnection::create(s.client, *name, *ticket) : ClientConnection::create(s.client, *name);
  if (!c) die("tlspp client: " + c.error().to_string());
  return std::move(*c);
}

ServerConnection new_server(const TlsppSetup& s) {
  auto c = ServerConnection::create(s.server);
  if (!c) die("tlspp server: " + c.error().to_string());
  return std::move(*c);
}

void check_done(const Connection& client, const Connection& server, const Wire& s2c) {
  if (!client.handshake_done() || !server.handshake_done()) die("tlspp: handshake did not complete");
  if (!client.negotiated().peer_verified) die("tlspp: client did not verify the server");
  if (!s2c.empty()) die("tlspp: server sent something after its handshake (a ticket?)");
}

// Both sides finished and nothing left in flight.
bool settled(const Connection& client, const std::optional<ServerConnection>& server, const Wire& c2s,
             const Wire& s2c) {
  return client.handshake_done() && server && server->handshake_done() && c2s.empty() && s2c.empty();
}

// The most flights a handshake of either version takes here (TLS 1.2 full: five).
constexpr int kMaxFlights = 6;

// One flight of one side: what it received, then what it has to send. Returns the error
// instead of dying, for tlspp_handshake_error.
std::string step(Connection& c, Wire& in, Wire& out) {
  if (!in.empty()) {
    auto st = c.receive(in.view());
    if (!st) return st.error().to_string();
    if (*st != in.size()) return "receive() took only part of a flight";
    in.clear();
  }
  drain(c, out);
  return {};
}

// An untimed handshake of any version, flight by flight, server first (the client's
// ClientHello is already in its pending output).
std::string pump(ClientConnection& client, std::optional<ServerConnection>& server, const TlsppSetup& s, Wire& c2s,
                 Wire& s2c) {
  drain(client, c2s);
  bool server_turn = true;
  for (int flights = 1; !settled(client, server, c2s, s2c); ++flights, server_turn = !server_turn) {
    if (flights > kMaxFlights) return "handshake did not complete";
    if (server_turn && !server) server.emplace(new_server(s));
    const std::string e = server_turn ? step(*server, c2s, s2c) : step(client, s2c, c2s);
    if (!e.empty()) return std::string(server_turn ? "server: " : "client: ") + e;
  }
  return {};
}

}  // namespace

TlsppSetup tlspp_setup(const Identity& id, tlspp::CipherSuite suite, unsigned tickets, uint32_t max_early_data,
                       std::shared_ptr<tlspp::AntiReplay> anti_replay) {
  const bool tls12 = is_tls12(suite);
  tlspp::ClientOptions c;
  // The TLS 1.3 rows keep the default version range, as they were measured before TLS 1.2
  // existed: with only a TLS 1.3 suite configured, tlspp offers and accepts TLS 1.3 alone.
  // The TLS 1.2 rows are limited to TLS 1.2 explicitly.
  if (tls12) c.min_version = c.max_version = tlspp::ProtocolVersion::tls12;
  c.ca_files = {id.root_pem_path};
  c.use_system_roots = false;
  c.cipher_suites = {suite};
  c.groups = {tlspp::NamedGroup::x25519};
  // TLS 1.2 (RFC 8422 §5.1.1, §5.3): supported_groups also name the curves of the ECDSA
  // certificates the client accepts, so P-256 follows X25519; the server's only group,
  // X25519, is still the one ECDHE uses. The OpenSSL side does the same.
  if (tls12) c.groups.push_back(tlspp::NamedGroup::secp256r1);
  tlspp::ServerOptions s;
  if (tls12) {
    s.min_version = s.max_version = tlspp::ProtocolVersion::tls12;
    s.session_cache_size = 0;  // no session IDs: OpenSSL's server keeps no session cache either
  }
  tlspp::CertificateKeyPair pair;
  pair.cert_pem.assign(id.chain_pem.begin(), id.chain_pem.end());
  pair.key_pem.assign(id.key_pem.begin(), id.key_pem.end());
  s.certificates = {pair};
  s.cipher_suites = {suite};
  s.groups = {tlspp::NamedGroup::x25519};
  s.tickets = tickets;
  s.max_early_data = max_early_data;
  s.anti_replay = std::move(anti_replay);
  c.early_data = max_early_data > 0;
  auto cc = tlspp::ClientConfig::create(c);
  if (!cc) die("tlspp client config: " + cc.error().to_string());
  auto sc = tlspp::ServerConfig::create(s);
  if (!sc) die("tlspp server config: " + sc.error().to_string());
  return {*cc, *sc, tls12};
}

std::string tlspp_handshake_error(const TlsppSetup& s) {
  Wire c2s, s2c;
  ClientConnection client = new_client(s);
  std::optional<ServerConnection> server;
  return pump(client, server, s, c2s, s2c);
}

namespace {

HandshakeResult run_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count, bool resume) {
  Wire c2s, s2c;
  std::optional<ClientConnection> client;
  std::optional<ServerConnection> server;
  std::optional<tlspp::SessionTicket> ticket;
  if (resume) {
    // The first session, untimed: its ticket starts the chain.
    ClientConnection c = new_client(s);
    ServerConnection sv = new_server(s);
    for (int i = 0; i < 4; ++i) {
      drain(c, c2s);
      feed(sv, c2s, "server");
      drain(sv, s2c);
      feed(c, s2c, "client");
    }
    auto t = c.take_session_tickets();
    if (t.empty()) die("tlspp: no session ticket to resume with");
    ticket = t.front();
  }
  int64_t client_ns = 0, server_ns = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    const int64_t t0 = cpu_ns();
    as_client([&] {
      client.emplace(new_client(s, ticket ? &*ticket : nullptr));  // the ClientHello is made here
      drain(*client, c2s);
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      server.emplace(new_server(s));
      feed(*server, c2s, "server");
      drain(*server, s2c);
    });
    const int64_t t2 = cpu_ns();
    as_client([&] {
      feed(*client, s2c, "client");
      drain(*client, c2s);
    });
    const int64_t t3 = cpu_ns();
    as_server([&] {
      feed(*server, c2s, "server");
      drain(*server, s2c);
    });
    const int64_t t4 = cpu_ns();
    if (resume) {
      // Each resumed session's server issues the ticket the next one resumes with, as
      // the OpenSSL rows do.
      as_client([&] {
        feed(*client, s2c, "client");
        auto t = client->take_session_tickets();
        if (t.empty()) die("tlspp: the resumed session brought no new ticket");
        ticket = std::move(t.front());
      });
      if (!client->negotiated().resumed || !server->negotiated().resumed) die("tlspp: session was not resumed");
    }
    const int64_t t4b = cpu_ns();
    check_done(*client, *server, s2c);
    const int64_t t5 = cpu_ns();
    as_client([&] { client.reset(); });
    const int64_t t6 = cpu_ns();
    as_server([&] { server.reset(); });
    const int64_t t7 = cpu_ns();
    client_ns += interval(t0, t1) + interval(t2, t3) + interval(t4, t4b) + interval(t5, t6);
    server_ns += interval(t1, t2) + interval(t3, t4) + interval(t6, t7);
    ++n;
  }
  return handshake_result(client_ns, server_ns, n);
}

// TLS 1.2: a full handshake takes five flights (the client finishes last, on the server's
// ChangeCipherSpec and Finished), an abbreviated one four (the server finishes last), so
// the flights are taken in turn until both sides are done rather than counted out. Each
// flight's time goes to the side that made it.
HandshakeResult run_tls12_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count, bool resume) {
  Wire c2s, s2c;
  std::optional<ClientConnection> client;
  std::optional<ServerConnection> server;
  std::optional<tlspp::SessionTicket> ticket;
  if (resume) {
    // The first session, untimed: the session every later connection resumes.
    ClientConnection c = new_client(s);
    if (const std::string e = pump(c, server, s, c2s, s2c); !e.empty()) die("tlspp: " + e);
    server.reset();
    auto t = c.take_session_tickets();
    if (t.empty() || t.front().ticket.empty()) die("tlspp: no TLS 1.2 session ticket to resume with");
    if (!t.front().extended_master_secret) die("tlspp: the TLS 1.2 session has no extended master secret");
    ticket = std::move(t.front());
  }
  int64_t client_ns = 0, server_ns = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    const int64_t t0 = cpu_ns();
    as_client([&] {
      client.emplace(new_client(s, ticket ? &*ticket : nullptr));
      drain(*client, c2s);
    });
    client_ns += interval(t0, cpu_ns());
    bool server_turn = true;
    for (int flights = 1; !settled(*client, server, c2s, s2c); ++flights, server_turn = !server_turn) {
      if (flights > kMaxFlights) die("tlspp: TLS 1.2 handshake did not complete");
      const int64_t a = cpu_ns();
      if (server_turn) {
        as_server([&] {
          if (!server) server.emplace(new_server(s));
          feed(*server, c2s, "server");
          drain(*server, s2c);
        });
        server_ns += interval(a, cpu_ns());
      } else {
        as_client([&] {
          feed(*client, s2c, "client");
          drain(*client, c2s);
        });
        client_ns += interval(a, cpu_ns());
      }
    }
    const tlspp::Negotiated& got = client->negotiated();
    if (got.version != tlspp::ProtocolVersion::tls12 || server->negotiated().version != tlspp::ProtocolVersion::tls12)
      die("tlspp: not TLS 1.2");
    if (!resume && (got.group != tlspp::NamedGroup::x25519 || server->negotiated().group != tlspp::NamedGroup::x25519))
      die("tlspp: TLS 1.2 ECDHE not with X25519");
    if (got.resumed != resume || server->negotiated().resumed != resume)
      die(resume ? "tlspp: session was not resumed" : "tlspp: unexpected resumption");
    check_done(*client, *server, s2c);
    const int64_t t5 = cpu_ns();
    as_client([&] {
      if (resume) {
        // What a client keeps for its next connection: the session again, or a renewed one.
        auto t = client->take_session_tickets();
        if (!t.empty()) ticket = std::move(t.front());
      }
      client.reset();
    });
    const int64_t t6 = cpu_ns();
    as_server([&] { server.reset(); });
    const int64_t t7 = cpu_ns();
    client_ns += interval(t5, t6);
    server_ns += interval(t6, t7);
    ++n;
  }
  return handshake_result(client_ns, server_ns, n);
}

}  // namespace

HandshakeResult tlspp_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count) {
  return s.tls12 ? run_tls12_handshakes(s, budget_ns, min_count, false) : run_handshakes(s, budget_ns, min_count, false);
}

HandshakeResult tlspp_early_handshakes(const TlsppSetup& s, size_t early_bytes, int64_t budget_ns, int min_count) {
  if (s.tls12) die("tlspp: 0-RTT is TLS 1.3 only");
  Wire c2s, s2c;
  std::optional<ClientConnection> client;
  std::optional<ServerConnection> server;
  std::optional<tlspp::SessionTicket> ticket;
  {
    ClientConnection c = new_client(s);
    if (const std::string e = pump(c, server, s, c2s, s2c); !e.empty()) die("tlspp: " + e);
    feed(c, s2c, "client");
    server.reset();
    auto t = c.take_session_tickets();
    if (t.empty() || t.front().max_early_data < early_bytes) die("tlspp: no ticket that allows early data");
    ticket = std::move(t.front());
  }
  const std::vector<uint8_t> request(early_bytes, 'e');
  std::vector<uint8_t> got(early_bytes + 1);
  int64_t client_ns = 0, server_ns = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    size_t received = 0;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      client.emplace(new_client(s, &*ticket));
      if (auto st = client->write_early_data(request); !st) die("tlspp write_early_data: " + st.error().to_string());
      drain(*client, c2s);  // the ClientHello and the early data, in one flight
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      server.emplace(new_server(s));
      feed(*server, c2s, "server");
      received = server->read_early_data(got);
      drain(*server, s2c);
    });
    const int64_t t2 = cpu_ns();
    as_client([&] {
      feed(*client, s2c, "client");  // then EndOfEarlyData and Finished
      drain(*client, c2s);
    });
    const int64_t t3 = cpu_ns();
    as_server([&] {
      feed(*server, c2s, "server");
      drain(*server, s2c);
    });
    const int64_t t4 = cpu_ns();
    as_client([&] {
      feed(*client, s2c, "client");
      auto t = client->take_session_tickets();
      if (t.empty()) die("tlspp: the 0-RTT session brought no new ticket");
      ticket = std::move(t.front());
    });
    const int64_t t4b = cpu_ns();
    if (received != early_bytes || server->early_data() != tlspp::EarlyData::accepted ||
        client->early_data() != tlspp::EarlyData::accepted)
      die("tlspp: early data not accepted");
    if (!client->negotiated().resumed || !server->negotiated().resumed) die("tlspp: session was not resumed");
    check_done(*client, *server, s2c);
    const int64_t t5 = cpu_ns();
    as_client([&] { client.reset(); });
    const int64_t t6 = cpu_ns();
    as_server([&] { server.reset(); });
    const int64_t t7 = cpu_ns();
    client_ns += interval(t0, t1) + interval(t2, t3) + interval(t4, t4b) + interval(t5, t6);
    server_ns += interval(t1, t2) + interval(t3, t4) + interval(t6, t7);
    ++n;
  }
  return handshake_result(client_ns, server_ns, n);
}

double anti_replay_ns_per_handshake(const std::function<std::shared_ptr<tlspp::AntiReplay>()>& make,
                                    size_t ticket_bytes, int64_t budget_ns, int min_count) {
  constexpr int kRenewEvery = 40000;  // two ids each: within the default capacity (100,000)
  std::shared_ptr<tlspp::AntiReplay> store;
  std::vector<uint8_t> hello(33, 'h'), ticket(ticket_bytes, 't');
  int64_t spent = 0;
  int n = 0;
  const int64_t start = now_ns();
  while (n < min_count || now_ns() - start < budget_ns) {
    if (n % kRenewEvery == 0) store = make();
    // New ids each time, as each handshake brings: the counter in the bytes a real binder or
    // ticket would vary.
    std::memcpy(hello.data() + 1, &n, sizeof n);
    std::memcpy(ticket.data() + ticket.size() - sizeof n, &n, sizeof n);
    const std::time_t now = std::time(nullptr);
    const int64_t t0 = now_ns();
    const bool fresh = store->first_use(hello, now + 12) && store->first_use(ticket, now + 7200);
    spent += now_ns() - t0;
    if (!fresh) die("anti-replay: a new id was refused");
    ++n;
  }
  return static_cast<double>(spent) / n;
}

HandshakeResult tlspp_resumed_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count) {
  return s.tls12 ? run_tls12_handshakes(s, budget_ns, min_count, true) : run_handshakes(s, budget_ns, min_count, true);
}

BulkResult tlspp_bulk(const TlsppSetup& s, size_t bytes) {
  Wire c2s(kBulkWire), s2c;
  ClientConnection client = new_client(s);
  std::optional<ServerConnection> server_slot;
  if (const std::string e = pump(client, server_slot, s, c2s, s2c); !e.empty()) die("tlspp: " + e);
  ServerConnection& server = *server_slot;
  check_done(client, server, s2c);
  if (client.negotiated().cipher_suite != s.client->options().cipher_suites.front())
    die("tlspp: bulk connection did not negotiate its suite");

  std::vector<uint8_t> data(kRecordPayload);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  const size_t record_len = client.sealed_size(kRecordPayload);
  int64_t seal_ns = 0, open_ns = 0;
  size_t sent = 0, received = 0;
  while (sent < bytes) {
    size_t batch_received = 0;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      // Each record is sealed straight into the wire, as into a send buffer.
      for (size_t i = 0; i < kBatchRecords; ++i) {
        auto n = client.write_into(data, c2s.space(record_len));
        if (!n) die("tlspp write: " + n.error().to_string());
        if (*n != record_len || !client.pending_output().empty()) die("tlspp: a record missed the wire");
        c2s.commit(*n);
      }
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      // One record per receive(), as a reader draining a socket would typically see them,
      // and the data read where it was decrypted (the last record's is checked below).
      while (!c2s.empty()) {
        const tlspp::ByteView record = c2s.view().first(std::min(record_len, c2s.size()));
        auto st = server.receive(record);
        if (!st) die("tlspp server: " + st.error().to_string());
        c2s.drop(*st);
        const size_t k = server.read_view().size();
        batch_received += k;
        if (!c2s.empty()) server.consume_read(k);
      }
    });
    const int64_t t2 = cpu_ns();
    seal_ns += interval(t0, t1);
    open_ns += interval(t1, t2);
    const tlspp::ByteView last = server.read_view();
    if (batch_received != kBatchRecords * kRecordPayload || !std::ranges::equal(last, data))
      die("tlspp: bulk data arrived damaged");
    server.consume_read(last.size());
    sent += kBatchRecords * kRecordPayload;
    received += batch_received;
  }
  return {received / (seal_ns / 1e3), received / (open_ns / 1e3)};
}

MemoryResult tlspp_memory(const TlsppSetup& s, int pairs) {
  std::vector<std::optional<ClientConnection>> clients(pairs);
  std::vector<std::optional<ServerConnection>> servers(pairs);
  std::vector<Wire> c2s, s2c;
  c2s.reserve(pairs);
  s2c.reserve(pairs);
  for (int i = 0; i < pairs; ++i) {
    c2s.emplace_back(16 * 1024);
    s2c.emplace_back(16 * 1024);
  }
  const alloc::Snapshot before = alloc::current();
  const uint64_t allocations_before = alloc::allocations();
  alloc::reset_peak();
  // Lockstep: every pair is at the same point of its handshake before any goes further,
  // so the peak holds `pairs` handshakes in flight at their most expensive moment. The
  // flights alternate, server first, until every pair is done (four for TLS 1.3, five for
  // a full TLS 1.2 handshake).
  for (int i = 0; i < pairs; ++i) {
    clients[i].emplace(new_client(s));
    drain(*clients[i], c2s[i]);
  }
  bool server_turn = true;
  for (int flights = 1;; ++flights, server_turn = !server_turn) {
    bool all_done = true;
    for (int i = 0; i < pairs && all_done; ++i) all_done = settled(*clients[i], servers[i], c2s[i], s2c[i]);
    if (all_done) break;
    if (flights > kMaxFlights) die("tlspp: handshakes did not complete");
    for (int i = 0; i < pairs; ++i) {
      if (server_turn) {
        if (!servers[i]) servers[i].emplace(new_server(s));
        feed(*servers[i], c2s[i], "server");
        drain(*servers[i], s2c[i]);
      } else {
        feed(*clients[i], s2c[i], "client");
        drain(*clients[i], c2s[i]);
      }
    }
  }
  for (int i = 0; i < pairs; ++i) check_done(*clients[i], *servers[i], s2c[i]);
  const int64_t peak = alloc::peak() - before.total();
  const alloc::Snapshot at_peak = alloc::at_peak();
  const alloc::Snapshot idle = alloc::current();
  const uint64_t allocations = alloc::allocations() - allocations_before;
  for (auto& c : clients) c.reset();
  const alloc::Snapshot servers_only = alloc::current();
  for (auto& c : servers) c.reset();

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
