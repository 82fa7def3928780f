// What a server keeps of a session so that a client can resume it: sealed into a ticket the
// client holds (TLS 1.3 NewSessionTicket, RFC 8446 §4.6.1; TLS 1.2 RFC 5077), or in the TLS
// 1.2 session ID cache (RFC 5246 §7.4.1.2) that the connections of one configuration share.
#pragma once

#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "crypto/secret.h"
#include "tlspp/config.h"
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
  // TLS 1.3: the ticket's obfuscation (RFC 8446 §4.6.1 ticket_age_add) and how much early
  // data it allows (0: none), for the 0-RTT checks of §4.2.10 and §8.3.
  uint32_t age_add = 0;
  uint32_t max_early_data = 0;

  // Made at or before `now`, and not older than its lifetime.
  [[nodiscard]] bool alive(std::time_t now) const;
};

// The version a ticket was sealed for. It is both a field of the sealed plaintext and part
// of the associated data, so that a TLS 1.3 ticket never opens as a TLS 1.2 one or back.
enum class TicketKind : uint8_t { tls13 = 3, tls12 = 0x13 };

// The keys that seal session tickets, rotating: time is cut into periods of `interval`
// seconds, each with its own 32-byte key; the current period's key seals, and it and the
// previous period's open. A ticket says its period in the clear:
//   ticket = period (8 bytes) || nonce (12) || AES-256-GCM(session fields) || tag (16)
// The period keys come from a TicketKeySource when one is configured (a fleet sharing keys
// through Redis, say), otherwise from HKDF over a master key (ServerOptions::ticket_key, or a
// random one): servers given the same master, interval and clock share keys and rotate
// together. Safe to use from many connections at once.
class TicketKeys {
 public:
  TicketKeys(crypto::Secret master, uint32_t interval, std::shared_ptr<TicketKeySource> source);
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // Seals `session` (a fresh nonce from `random`); empty when it cannot (a field too long for
  // the format, no key for the period, or libcrypto failing).
  [[nodiscard]] Bytes seal(RandomSource& random, TicketKind kind, const StoredSession& session, std::time_t now) const;
  // The session in a ticket sealed for `kind` in the current or the previous period, if it
  // is still alive at `now`. A ticket that is not ours, tampered with, of the other kind,
  // of an older period or expired gives nothing: a full handshake follows (RFC 5077 §3.4,
  // RFC 8446 §4.2.11).
  [[nodiscard]] std::optional<StoredSession> open(TicketKind kind, std::time_t now, ByteView ticket) const;

  [[nodiscard]] uint64_t period(std::time_t now) const;

 private:
  [[nodiscard]] std::optional<crypto::Secret> key(uint64_t period) const;
  template <typename F>
  bool with_context(uint64_t period, F&& f) const;

  const crypto::Secret prk_;  // HKDF-Extract of the master
  const uint32_t interval_;
  const std::shared_ptr<TicketKeySource> source_;
  const uint64_t instance_;  // tells this object's cached contexts from any other's
  struct Cached {
    uint64_t period = 0;
    bool valid = false;
    crypto::Secret key;
  };
  mutable std::mutex mutex_;
  mutable Cached cache_[2];  // the two most recent periods asked for
};

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
