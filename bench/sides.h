// The three things measured side by side: tlspp, OpenSSL's libssl, and the raw-crypto
// floor computed with libcrypto alone. Each handshake measurement runs for at least
// `budget_ns` and `min_count` handshakes and reports per-handshake means.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common.h"
#include "tlspp/config.h"

namespace tlspp {
struct RedisOptions;  // tlspp/redis.h, when built with tlspp_redis
}

namespace bench {

// ---- tlspp ----
struct TlsppSetup {
  std::shared_ptr<const tlspp::ClientConfig> client;
  std::shared_ptr<const tlspp::ServerConfig> server;
  bool tls12 = false;  // the suite's version, the only one both sides speak
};
// Client trusts the identity's root and verifies "localhost"; X25519 only (a TLS 1.2 client
// lists P-256 after it, for the certificate's sake); `suite` only; a TLS 1.2 suite's setup
// speaks TLS 1.2 only and its server keeps no session cache; the server sends no tickets.
// `tickets`: session tickets the server issues per connection (0 except for resumption;
// for TLS 1.2 any non-zero value means one RFC 5077 ticket per full handshake).
// `max_early_data` > 0: the client offers 0-RTT and the server accepts up to that much, its
// anti-replay store `anti_replay` (null: the library's default, in memory).
[[nodiscard]] TlsppSetup tlspp_setup(const Identity& id, tlspp::CipherSuite suite, unsigned tickets = 0,
                                     uint32_t max_early_data = 0,
                                     std::shared_ptr<tlspp::AntiReplay> anti_replay = nullptr);
// Empty when one handshake of this setup completes, otherwise why not (a TLS 1.2 setup
// before tlspp had a TLS 1.2 server, say).
[[nodiscard]] std::string tlspp_handshake_error(const TlsppSetup& s);
[[nodiscard]] HandshakeResult tlspp_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count);
// Resumed handshakes: TLS 1.3 psk_dhe_ke, each with the ticket of the previous connection;
// TLS 1.2 abbreviated handshakes (RFC 5077), each with the session the client holds.
[[nodiscard]] HandshakeResult tlspp_resumed_handshakes(const TlsppSetup& s, int64_t budget_ns, int min_count);
// Resumed TLS 1.3 handshakes with 0-RTT: `early_bytes` of early data written right after
// create(), read by the server (read_early_data) before its flight, EndOfEarlyData, and a
// new ticket for the next connection. The setup needs max_early_data and tickets.
[[nodiscard]] HandshakeResult tlspp_early_handshakes(const TlsppSetup& s, size_t early_bytes, int64_t budget_ns,
                                                     int min_count);
// What a 0-RTT server's anti-replay checks (RFC 8446 §8) cost per resumed handshake: the two
// AntiReplay::first_use calls the server makes (its ClientHello's binder, 33 bytes, and the
// ticket's id, `ticket_bytes`), each with a new id, on a store from `make` renewed every 40,000
// handshakes (untimed). Nanoseconds per handshake (wall clock: a remote store waits).
[[nodiscard]] double anti_replay_ns_per_handshake(const std::function<std::shared_ptr<tlspp::AntiReplay>()>& make,
                                                  size_t ticket_bytes, int64_t budget_ns, int min_count);
// The Redis behind the anti_replay_redis row (tlspp_redis): TLSPP_BENCH_REDIS=HOST:PORT, or
// a redis-server started on a free port of 127.0.0.1 for the bench's lifetime (killed by the
// destructor). skipped() says why there is none (no tlspp_redis, no redis-server, no answer).
class BenchRedis {
 public:
  BenchRedis();
  ~BenchRedis();
  BenchRedis(const BenchRedis&) = delete;
  BenchRedis& operator=(const BenchRedis&) = delete;
  [[nodiscard]] const std::string& skipped() const { return skipped_; }
  [[nodiscard]] const std::string& where() const { return where_; }
  // A store with an empty namespace of its own (a key prefix per store).
  [[nodiscard]] std::shared_ptr<tlspp::AntiReplay> make();

 private:
  std::string skipped_, where_;
  std::shared_ptr<tlspp::RedisOptions> options_;
  int pid_ = -1;
  unsigned stores_ = 0;
};
[[nodiscard]] BulkResult tlspp_bulk(const TlsppSetup& s, size_t bytes);
[[nodiscard]] MemoryResult tlspp_memory(const TlsppSetup& s, int pairs);

// ---- OpenSSL libssl ----
struct OpensslOptions {
  tlspp::CipherSuite suite = tlspp::CipherSuite::TLS_AES_128_GCM_SHA256;  // and its version only
  int tickets = 0;               // TLS 1.3: SSL_CTX_set_num_tickets; TLS 1.2: 0 sets SSL_OP_NO_TICKET
  bool release_buffers = false;  // SSL_MODE_RELEASE_BUFFERS on both sides
  uint32_t max_early_data = 0;   // TLS 1.3: the server accepts 0-RTT (with its anti-replay cache)
};
class OpensslSetup {
 public:
  OpensslSetup(const Identity& id, const OpensslOptions& o);
  ~OpensslSetup();
  OpensslSetup(const OpensslSetup&) = delete;
  OpensslSetup& operator=(const OpensslSetup&) = delete;
  [[nodiscard]] void* client_ctx() const { return client_; }  // SSL_CTX*
  [[nodiscard]] void* server_ctx() const { return server_; }
  [[nodiscard]] bool tls12() const { return tls12_; }

 private:
  void* client_ = nullptr;
  void* server_ = nullptr;
  bool tls12_ = false;
};
[[nodiscard]] HandshakeResult openssl_handshakes(const OpensslSetup& s, int64_t budget_ns, int min_count);
// Resumed handshakes. TLS 1.3: PSK with (EC)DHE (RFC 8446 §4.2.9 psk_dhe_ke), each with the
// ticket of the previous connection; the server (tickets >= 1) issues a fresh one each time
// and the client's time includes reading it. TLS 1.2: abbreviated handshakes with the RFC
// 5077 ticket of the session the client holds.
[[nodiscard]] HandshakeResult openssl_resumed_handshakes(const OpensslSetup& s, int64_t budget_ns, int min_count);
// Resumed TLS 1.3 handshakes with 0-RTT: the client writes `early_bytes` of early data with
// its ClientHello (SSL_write_early_data), the server reads them (SSL_read_early_data) before
// its flight; each connection resumes with the previous one's ticket. Needs max_early_data.
[[nodiscard]] HandshakeResult openssl_early_handshakes(const OpensslSetup& s, size_t early_bytes, int64_t budget_ns,
                                                       int min_count);
[[nodiscard]] BulkResult openssl_bulk(const OpensslSetup& s, size_t bytes);
[[nodiscard]] MemoryResult openssl_memory(const OpensslSetup& s, int pairs);
[[nodiscard]] const char* openssl_version();

// ---- the raw-crypto floor (libcrypto only) ----
class Floor {
 public:
  Floor(const Identity& ecdsa, const Identity& rsa);
  ~Floor();
  Floor(const Floor&) = delete;
  Floor& operator=(const Floor&) = delete;
  // What a full (kind) or a resumed (PSK-DHE, no certificate) TLS 1.3 handshake with
  // X25519 and TLS_AES_128_GCM_SHA256 cannot avoid, per side.
  [[nodiscard]] HandshakeResult handshakes(KeyKind kind, bool resumed, int64_t budget_ns, int min_count);
  // The same for TLS 1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, X25519 and the
  // extended master secret: a full ECDHE-ECDSA handshake, or an abbreviated one (resumed).
  [[nodiscard]] HandshakeResult tls12_handshakes(bool resumed, int64_t budget_ns, int min_count);
  // AEAD over 16 KiB records, as a record layer must do: TLS 1.3 suites with the inner
  // content type byte, the record header as additional data and a per-record nonce; TLS
  // 1.2 suites with RFC 5246 §6.2.3.3's additional data and the suite's nonce (RFC 5288:
  // an explicit 8-byte nonce sent in each record; RFC 7905: the IV xor the sequence number).
  [[nodiscard]] BulkResult bulk(tlspp::CipherSuite suite, size_t bytes);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bench
