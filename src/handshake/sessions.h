// What a server keeps of a session so that a client can resume it: sealed into a ticket the
// client holds (TLS 1.3 NewSessionTicket, RFC 8446 §4.6.1; TLS 1.2 RFC 5077), or in the TLS
// 1.2 session ID cache (RFC 5246 §7.4.1.2) that the connections of one configuration share.
#pragma once

#include <cstdint>
#include <ctime>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "crypto/secret.h"
#include "tlspp/random.h"
#include "tlspp/types.h"

namespace tlspp::handshake {

// Who the client proved to be (a resumed handshake sends no certificate, so it reports the
// identity of the handshake that made the session).
struct PeerIdentity {
  std::string subject;  // empty: the client sent no certificate
  std::string key;
  bool verified = false;
};

// A resumable session. TLS 1.3 uses suite, secret (the ticket's PSK), server_name and the
// times; TLS 1.2 also the rest, and its secret is the master secret.
struct StoredSession {
  CipherSuite suite{};
  crypto::Secret secret;
  std::string server_name;  // the SNI it was made under ("" without SNI)
  std::time_t created = 0;
  uint32_t lifetime = 0;  // seconds
  bool extended_master_secret = false;  // RFC 7627 §5.3
  std::string alpn;
  PeerIdentity peer;

  // Made at or before `now`, and not older than its lifetime.
  [[nodiscard]] bool alive(std::time_t now) const;
};

// The version a ticket was sealed for. It is both a field of the sealed plaintext and part
// of the associated data, so that a TLS 1.3 ticket never opens as a TLS 1.2 one or back.
enum class TicketKind : uint8_t { tls13 = 2, tls12 = 0x12 };

// Seals `session` under the 32-byte `key` (AES-256-GCM, a fresh nonce from `random`):
// ticket = nonce || sealed(kind, suite, created, lifetime, secret, server_name [, the TLS 1.2
// fields]). Empty when it cannot (a field too long for the format, or libcrypto failing).
[[nodiscard]] Bytes seal_ticket(ByteView key, RandomSource& random, TicketKind kind, const StoredSession& session);
// The session in a ticket this configuration sealed for `kind`, if it is still alive at
// `now`. A ticket that is not ours, tampered with, of the other kind or expired gives
// nothing: a full handshake follows (RFC 5077 §3.4, RFC 8446 §4.2.11).
[[nodiscard]] std::optional<StoredSession> open_ticket(ByteView key, TicketKind kind, std::time_t now, ByteView ticket);

// RFC 5246 §7.4.1.2: sessions by session ID, at most `capacity` of them (the oldest go first,
// and their secrets are wiped). Safe to use from many connections at once.
class SessionCache {
 public:
  explicit SessionCache(size_t capacity) : capacity_(capacity) {}
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  void store(ByteView id, StoredSession session);
  // A copy of the session stored under `id` if it is alive at `now`; an expired one is
  // dropped.
  [[nodiscard]] std::optional<StoredSession> find(ByteView id, std::time_t now);
  [[nodiscard]] size_t size() const;

 private:
  struct Entry {
    std::string id;
    StoredSession session;
  };
  mutable std::mutex mutex_;
  const size_t capacity_;
  std::list<Entry> entries_;  // oldest first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_id_;
};

}  // namespace tlspp::handshake
