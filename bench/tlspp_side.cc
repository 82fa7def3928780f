// tlspp through its public API only, joined to itself through Wires.
#include <algorithm>
#include <optional>
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
  w.clear();
  if (!s) die(std::string("tlspp ") + who + ": " + s.error().to_string());
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

}  // namespace

TlsppSetup tlspp_setup(const Identity& id, tlspp::CipherSuite suite, unsigned tickets) {
  tlspp::ClientOptions c;
  c.ca_files = {id.root_pem_path};
  c.use_system_roots = false;
  c.cipher_suites = {suite};
  c.groups = {tlspp::NamedGroup::x25519};
  tlspp::ServerOptions s;
  tlspp::CertificateKeyPair pair;
  pair.cert_pem.assign(id.chain_pem.begin(), id.chain_pem.end());
  pair.key_pem.assign(id.key_pem.begin(), id.key_pem.end());
  s.certificates = {pair};
  s.cipher_suites = {suite};
  s.groups = {tlspp::NamedGroup::x25519};
  s.tickets = tickets;
  auto cc = tlspp::ClientConfig::create(c);
  if (!cc) die("tlspp client config: " + cc.error().to_string());
  auto sc = tlspp::ServerConfig::create(s);
  if (!sc) die("tlspp server config: " + sc.error().to_string());
  return {*cc, *sc};
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

}  // namespace

HandshakeResult tlspp_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count) {
  return run_handshakes(s, budget_ns, min_count, false);
}

HandshakeResult tlspp_resumed_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count) {
  return run_handshakes(s, budget_ns, min_count, true);
}

BulkResult tlspp_bulk(const TlsppSetup& s, size_t bytes) {
  Wire c2s(kBulkWire), s2c;
  ClientConnection client = new_client(s);
  ServerConnection server = new_server(s);
  drain(client, c2s);
  feed(server, c2s, "server");
  drain(server, s2c);
  feed(client, s2c, "client");
  drain(client, c2s);
  feed(server, c2s, "server");
  check_done(client, server, s2c);

  std::vector<uint8_t> data(kRecordPayload), got(kRecordPayload);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  int64_t seal_ns = 0, open_ns = 0;
  size_t sent = 0, received = 0;
  while (sent < bytes) {
    size_t record_len = 0, batch_received = 0;
    const int64_t t0 = cpu_ns();
    as_client([&] {
      for (size_t i = 0; i < kBatchRecords; ++i) {
        if (auto st = client.write(data); !st) die("tlspp write: " + st.error().to_string());
        if (i == 0) record_len = client.pending_output().size();
        drain(client, c2s);
      }
    });
    const int64_t t1 = cpu_ns();
    as_server([&] {
      // One record per receive(), as a reader draining a socket would typically see them.
      while (!c2s.empty()) {
        const tlspp::ByteView record = c2s.view().first(std::min(record_len, c2s.size()));
        if (auto st = server.receive(record); !st) die("tlspp server: " + st.error().to_string());
        c2s.drop(record.size());
        size_t chunk = 0;
        while (size_t k = server.read(tlspp::MutByteView(got).subspan(chunk))) chunk += k;
        batch_received += chunk;
      }
    });
    const int64_t t2 = cpu_ns();
    seal_ns += interval(t0, t1);
    open_ns += interval(t1, t2);
    if (batch_received != kBatchRecords * kRecordPayload || got != data) die("tlspp: bulk data arrived damaged");
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
  // so the peak holds `pairs` handshakes in flight at their most expensive moment.
  for (int i = 0; i < pairs; ++i) {
    clients[i].emplace(new_client(s));
    drain(*clients[i], c2s[i]);
  }
  for (int i = 0; i < pairs; ++i) {
    servers[i].emplace(new_server(s));
    feed(*servers[i], c2s[i], "server");
    drain(*servers[i], s2c[i]);
  }
  for (int i = 0; i < pairs; ++i) {
    feed(*clients[i], s2c[i], "client");
    drain(*clients[i], c2s[i]);
  }
  for (int i = 0; i < pairs; ++i) {
    feed(*servers[i], c2s[i], "server");
    drain(*servers[i], s2c[i]);
    check_done(*clients[i], *servers[i], s2c[i]);
  }
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
