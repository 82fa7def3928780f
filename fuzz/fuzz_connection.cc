// libFuzzer target: whole tlspp connections fed hostile bytes.
//
// Byte 0 of the input chooses the victim (bits 0-2) and how the rest is cut into receive()
// calls (bits 3-7: 0 feeds it whole, n feeds chunks of n bytes):
//   0: a server (no client authentication, one session ticket), fed the rest as what the
//      client sent;
//   1: a server that asks for an optional client certificate and verifies it;
//   2: a client that has sent its ClientHello (and holds a client certificate, in case it
//      is asked), fed the rest as what the server sent;
//   3: a server that accepts only secp384r1, so an ordinary ClientHello gets a
//      HelloRetryRequest and a cookie;
//   4: a client offering to resume a session (pre_shared_key with a ticket server 0
//      issued, and 0-RTT, which that ticket allows), fed the rest as what the server sent;
//   5: a TLS 1.2-only server (optional client certificate, session IDs and RFC 5077
//      tickets), fed the rest as what the client sent;
//   6: a TLS 1.2-only client that has sent its ClientHello;
//   7: a TLS 1.2-only client offering to resume a session (session ID and ticket) that
//      server 5 issued.
// Servers 0 and 1 accept resumption with tickets sealed under one fixed key; server 0 also
// accepts 0-RTT early data and an external PSK ("fuzz-psk", also in psk_ke mode). Server 1 also
// presents its key as a raw public key (RFC 7250) to clients that list RawPublicKey and
// accepts the client's key as a raw key by its pin; the clients of modes 2 and 4 do not list
// it, so their handshakes are unchanged, and a seed recorded with a raw-key client leads the
// fuzzer into the raw-key paths of server 1.
// Everything a connection depends on is fixed: Ed25519 keys from constant seeds,
// certificates with fixed serials and validity (Ed25519 signatures are deterministic),
// a clock that stands still, a fixed ticket key, and a FixedRandom stream restarted for
// every connection. So
// a recorded handshake replays byte for byte, and the seeds in fuzz/corpus/connection/
// lead the fuzzer deep into the handshake, through Finished and into application data.
//
// The seeds are recorded by this binary: TLSPP_WRITE_SEEDS=<dir> ./fuzz_connection -runs=0
// runs in-memory handshakes between the same configurations and writes what each side
// sent, prefixed with the mode byte, into <dir>.
//
// Beyond sanitizer findings, the target aborts when a connection breaks its contract:
// a failed receive() must leave error() set to the error it returned, and a failed
// connection must keep returning that error and never send anything more.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "crypto/pem.h"
#include "crypto/sig.h"
#include "pki/builder.h"
#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "tlspp/random.h"

using namespace tlspp;

namespace {

constexpr std::time_t kNow = 1750000000;  // 2025-06-15, inside every certificate's validity

// A RandomSource that can start its deterministic stream over.
class ReplayRandom final : public RandomSource {
 public:
  void restart() { inner_ = FixedRandom(); }
  void fill(MutByteView out) override { inner_.fill(out); }

 private:
  FixedRandom inner_;
};

// RFC 8410 §7: an Ed25519 PKCS#8 PrivateKeyInfo around a 32-byte seed.
crypto::PrivateKey ed25519_key(uint8_t seed_byte) {
  Bytes der = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
  for (int i = 0; i < 32; ++i) der.push_back(static_cast<uint8_t>(seed_byte + 7 * i));
  auto key = crypto::PrivateKey::parse(der, "fuzz key");
  if (!key) {
    std::fprintf(stderr, "fuzz_connection: %s\n", key.error().to_string().c_str());
    std::abort();
  }
  return *key;
}

Bytes pem(const char* label, ByteView der) {
  const std::string s = crypto::pem_encode(label, der);
  return Bytes(s.begin(), s.end());
}

template <class T>
T check(Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "fuzz_connection: %s\n", r.error().to_string().c_str());
    std::abort();
  }
  return std::move(*r);
}

struct World {
  std::shared_ptr<ReplayRandom> client_random = std::make_shared<ReplayRandom>();
  std::shared_ptr<ReplayRandom> server_random = std::make_shared<ReplayRandom>();
  std::shared_ptr<const ServerConfig> server[6];
  std::shared_ptr<const ClientConfig> client, client12;
  std::shared_ptr<const ClientConfig> client_raw;  // pins server 1's raw key, has its own (seed recording)
  SessionTicket ticket;    // from a full handshake with server 0, for mode 4
  SessionTicket session12; // from a full TLS 1.2 handshake with server 5, for mode 7

  World() {
    const auto root_key = ed25519_key(1), server_key = ed25519_key(2), client_key = ed25519_key(3);
    const std::time_t from = 1577836800, until = 2208988800;  // 2020-01-01 .. 2040-01-01
    const Bytes root = check(pki::CertificateBuilder().common_name("fuzz root").serial(1).validity(from, until)
                                 .ca(true).self_signed(root_key));
    const Bytes server_cert = check(pki::CertificateBuilder().common_name("localhost").dns_name("localhost").serial(2)
                                        .validity(from, until).issued_by(server_key.public_key(), root, root_key));
    const Bytes client_cert = check(pki::CertificateBuilder().common_name("fuzz client").serial(3)
                                        .validity(from, until).issued_by(client_key.public_key(), root, root_key));
    // Trust anchors come from files.
    char path[] = "/tmp/tlspp-fuzz-root-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) std::abort();
    close(fd);
    std::ofstream(path, std::ios::binary) << crypto::pem_encode("CERTIFICATE", root);
    const std::string root_file = path;

    CertificateKeyPair server_pair{"", "", pem("CERTIFICATE", server_cert), pem("PRIVATE KEY", server_key.pkcs8_der())};
    CertificateKeyPair client_pair{"", "", pem("CERTIFICATE", client_cert), pem("PRIVATE KEY", client_key.pkcs8_der())};

    for (int mode : {0, 1, 3, 5}) {
      ServerOptions s;
      s.certificates = {server_pair};
      s.random = server_random;
      s.clock = [] { return kNow; };
      s.tickets = 1;
      s.alpn = {"h2", "http/1.1"};
      s.require_alpn_match = false;
      s.ticket_key = Bytes(32, 0x42);
      if (mode == 1 || mode == 5) {
        s.client_auth = ClientAuth::optional;
        s.client_ca_files = {root_file};
      }
      if (mode == 1) {
        s.certificates[0].raw_public_key = true;
        s.pinned_client_spki = {client_key.public_key().spki()};
      }
      if (mode == 0) {
        // 0-RTT and external PSKs (psk_ke too) on the plain server.
        s.max_early_data = 4096;
        ExternalPsk psk;
        psk.identity = "fuzz-psk";
        psk.key = SecretBytes(Bytes(32, 0x37));
        s.external_psks = {psk};
        s.allow_psk_ke = true;
      }
      if (mode == 5) s.max_version = ProtocolVersion::tls12;
      if (mode == 3) s.groups = {NamedGroup::secp384r1};
      server_random->restart();  // the cookie key is drawn from it
      server[mode] = check(ServerConfig::create(s));
    }
    ClientOptions c;
    c.ca_files = {root_file};
    c.use_system_roots = false;
    c.client_certificates = {client_pair};
    c.random = client_random;
    c.clock = [] { return kNow; };
    c.alpn = {"h2"};
    c.early_data = true;  // offered when resuming with server 0's ticket (which allows it)
    client = check(ClientConfig::create(c));
    c.early_data = false;
    c.min_version = c.max_version = ProtocolVersion::tls12;
    client12 = check(ClientConfig::create(c));
    c.min_version = ProtocolVersion::tls12;
    c.max_version = ProtocolVersion::tls13;
    c.pinned_spki = {server_key.public_key().spki()};
    c.client_certificates[0].raw_public_key = true;
    client_raw = check(ClientConfig::create(c));
    std::remove(root_file.c_str());
  }

  ClientConnection new_resuming_client(bool tls12 = false) {
    client_random->restart();
    return check(ClientConnection::create(tls12 ? client12 : client, *ServerName::parse("localhost"),
                                          tls12 ? session12 : ticket));
  }

  ServerConnection new_server(int mode) {
    server_random->restart();
    return check(ServerConnection::create(server[mode]));
  }
  ClientConnection new_client(bool tls12 = false) {
    client_random->restart();
    return check(ClientConnection::create(tls12 ? client12 : client, *ServerName::parse("localhost")));
  }
  ClientConnection new_raw_key_client() {
    client_random->restart();
    return check(ClientConnection::create(client_raw, *ServerName::parse("localhost")));
  }
  // The client of a mode: 2 and 4 speak TLS 1.3 (and 1.2), 6 and 7 only TLS 1.2.
  ClientConnection new_client_for(int mode) {
    return mode == 4 || mode == 7 ? new_resuming_client(mode == 7) : new_client(mode == 6);
  }
};

World& world() {
  static World w;
  return w;
}

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_connection: contract broken: %s\n", what);
  std::abort();
}

// Feeds `data` to `conn` (in chunks when chunk > 0), discarding its output, and checks
// the error contract.
void feed(Connection& conn, const uint8_t* data, size_t size, size_t chunk) {
  static const ClientOptions conn_limits;  // the fuzzed connections keep the default limits
  conn.consume_output(conn.pending_output().size());
  const size_t step = chunk ? chunk : (size ? size : 1);
  for (size_t off = 0; off < size;) {
    const size_t len = std::min(step, size - off);
    const auto s = conn.receive(ByteView(data + off, len));
    if (s) {
      // Back-pressure contract: all taken, or the read buffer or the output is full.
      if (*s > len) broken("receive() took more than it was given");
      if (*s < len && conn.readable() < conn_limits.read_buffer_limit &&
          conn.pending_output().size() <= conn_limits.output_limit)
        broken("receive() stopped with room in both buffers");
      off += *s;
      // Alternate the two ways of reading: read() copies, read_view() shows the same bytes.
      if (off & 1) {
        const size_t avail = conn.readable();
        if (conn.read_view().size() != avail) broken("read_view() and readable() disagree");
        conn.consume_read(avail);
        if (conn.readable() != 0) broken("consume_read() left data");
      } else {
        uint8_t sink[4096];
        while (conn.read(sink) > 0) {
        }
      }
    }
    if (!s) {
      if (!conn.error() || conn.error()->message != s.error().message) broken("receive() error differs from error()");
      if (s.error().message.empty()) broken("an error without a message");
      conn.consume_output(conn.pending_output().size());
      const uint8_t more[] = {23, 3, 3, 0, 1, 0};
      const auto again = conn.receive(more);
      if (again || again.error().message != s.error().message) broken("a failed connection accepted more input");
      if (conn.wants_write()) broken("a failed connection sent more");
      return;
    }
    conn.consume_output(conn.pending_output().size());
  }
  if (!conn.handshake_done()) return;
  // A connection the input brought this far: use the rest of the API once.
  uint8_t buf[256];
  while (conn.read(buf) > 0) {
  }
  const uint8_t msg[] = {'f', 'u', 'z', 'z'};
  if (!conn.write(msg) && !conn.error()) broken("write() failed without an error");
  // write_into() fills no more than its buffer, and what does not fit stays queued.
  uint8_t out[64];
  const size_t queued = conn.pending_output().size();
  if (auto n = conn.write_into(msg, out)) {
    if (*n > sizeof out) broken("write_into() wrote past its buffer");
    if (*n + conn.pending_output().size() != queued + conn.sealed_size(sizeof msg) && !conn.error())
      broken("write_into() lost or added bytes");
  } else if (!conn.error()) {
    broken("write_into() failed without an error");
  }
  (void)conn.key_update(true);
  (void)conn.export_keying_material("EXPORTER-fuzz", msg, 32);
  conn.close();
  (void)conn.take_session_tickets();
  conn.consume_output(conn.pending_output().size());
}

// --- seed recording ---

void write_file(const std::string& dir, const std::string& name, uint8_t mode, ByteView bytes) {
  std::ofstream f(dir + "/" + name, std::ios::binary);
  f.put(static_cast<char>(mode));
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

struct Recording {
  std::vector<Bytes> to_server, to_client;  // one entry per transfer
  static Bytes join(const std::vector<Bytes>& v, size_t n = SIZE_MAX) {
    Bytes out;
    for (size_t i = 0; i < v.size() && i < n; ++i) out.insert(out.end(), v[i].begin(), v[i].end());
    return out;
  }
};

bool move_bytes(Connection& from, Connection& to, std::vector<Bytes>& log) {
  if (!from.wants_write()) return false;
  Bytes b(from.pending_output().begin(), from.pending_output().end());
  from.consume_output(b.size());
  (void)to.receive(b);
  log.push_back(std::move(b));
  return true;
}

bool is_client_mode(int mode) { return mode == 2 || mode == 4 || mode == 6 || mode == 7; }

Recording record(int server_mode, bool resume = false, SessionTicket* ticket_out = nullptr, bool raw_keys = false) {
  Recording r;
  const bool tls12 = server_mode == 5;
  auto client = raw_keys ? world().new_raw_key_client()
                : resume ? world().new_resuming_client(tls12)
                         : world().new_client(tls12);
  auto server = world().new_server(server_mode);
  const auto pump = [&] {
    for (int i = 0; i < 20; ++i) {
      const bool a = move_bytes(client, server, r.to_server);
      const bool b = move_bytes(server, client, r.to_client);
      if (!a && !b) return;
    }
  };
  pump();
  if (!client.handshake_done() || !server.handshake_done()) {
    std::fprintf(stderr, "fuzz_connection: recording handshake (mode %d) failed: %s / %s\n", server_mode,
                 client.error() ? client.error()->to_string().c_str() : "-",
                 server.error() ? server.error()->to_string().c_str() : "-");
    std::abort();
  }
  if (raw_keys && (!client.negotiated().peer_raw_public_key || !server.negotiated().peer_raw_public_key)) {
    std::fprintf(stderr, "fuzz_connection: the recorded handshake did not use raw public keys\n");
    std::abort();
  }
  if (resume && !client.negotiated().resumed) {
    std::fprintf(stderr, "fuzz_connection: the recorded resumption was not accepted\n");
    std::abort();
  }
  if (ticket_out) {
    auto tickets = client.take_session_tickets();
    if (tickets.empty()) std::abort();
    *ticket_out = tickets.front();
  }
  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  (void)client.write(hello);
  (void)server.write(hello);
  if (!tls12) (void)client.key_update(true);
  pump();
  client.close();
  server.close();
  pump();
  return r;
}

// Replays a recorded input into a fresh connection; the recording is only useful if it
// reaches the end of the handshake again.
void expect_replay(uint8_t mode_byte, const Bytes& input) {
  const int mode = mode_byte & 7;
  if (is_client_mode(mode)) {
    auto c = world().new_client_for(mode);
    c.consume_output(c.pending_output().size());
    if (!c.receive(input) || !c.handshake_done()) broken("recorded server flight does not replay");
  } else {
    auto s = world().new_server(mode);
    if (!s.receive(input) || !s.handshake_done()) broken("recorded client flight does not replay");
  }
}

void write_seeds(const std::string& dir) {
  const Recording plain = record(0), auth = record(1), hrr = record(3), resumed = record(0, true);
  const Recording plain12 = record(5), resumed12 = record(5, true);
  const Recording raw = record(1, false, nullptr, true);
  const struct {
    const char* name;
    uint8_t mode;
    Bytes bytes;
  } seeds[] = {
      {"server-client-hello", 0, plain.to_server.front()},
      {"server-full", 0, Recording::join(plain.to_server)},
      {"server-full-chunked-5", 0 | (5 << 3), Recording::join(plain.to_server)},
      {"server-resumed-full", 0, Recording::join(resumed.to_server)},
      {"server-client-auth-full", 1, Recording::join(auth.to_server)},
      {"server-rawpk-client-hello", 1, raw.to_server.front()},
      {"server-rawpk-client-auth-full", 1, Recording::join(raw.to_server)},
      {"server-hrr-first-hello", 3, hrr.to_server.front()},
      {"server-hrr-full", 3, Recording::join(hrr.to_server)},
      {"client-server-flight", 2, plain.to_client.front()},
      {"client-full", 2, Recording::join(plain.to_client)},
      {"client-full-chunked-7", 2 | (7 << 3), Recording::join(plain.to_client)},
      {"client-resumed-full", 4, Recording::join(resumed.to_client)},
      {"client-cert-request-full", 2, Recording::join(auth.to_client)},
      {"client-hrr-full", 2, Recording::join(hrr.to_client)},
      {"server12-client-hello", 5, plain12.to_server.front()},
      {"server12-full", 5, Recording::join(plain12.to_server)},
      {"server12-full-chunked-3", 5 | (3 << 3), Recording::join(plain12.to_server)},
      {"server12-resumed-full", 5, Recording::join(resumed12.to_server)},
      {"client12-server-flight", 6, plain12.to_client.front()},
      {"client12-full", 6, Recording::join(plain12.to_client)},
      {"client12-resumed-full", 7, Recording::join(resumed12.to_client)},
  };
  for (const auto& s : seeds) {
    write_file(dir, s.name, s.mode, s.bytes);
    if (std::string(s.name).find("full") != std::string::npos) expect_replay(s.mode, s.bytes);
  }
  std::fprintf(stderr, "fuzz_connection: wrote %zu seeds to %s\n", std::size(seeds), dir.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)record(0, false, &world().ticket);
  (void)record(5, false, &world().session12);
  if (const char* dir = std::getenv("TLSPP_WRITE_SEEDS"); dir && *dir) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] & 7;
  const size_t chunk = data[0] >> 3;
  ++data, --size;
  if (is_client_mode(mode)) {
    auto client = world().new_client_for(mode);
    feed(client, data, size, chunk);
  } else {
    auto server = world().new_server(mode);
    feed(server, data, size, chunk);
  }
  return 0;
}
