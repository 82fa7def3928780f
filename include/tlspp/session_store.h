/// @file
/// @brief Keeping sessions on the client, so that later connections resume.
///
/// A ClientConfig with a session store (ClientOptions::session_store) does it by itself: each
/// connection it makes takes the newest session kept for its server name and offers it, and
/// every session the server hands out (TLS 1.3 NewSessionTickets, TLS 1.2 sessions) goes into
/// the store. A session taken is gone from the store: a ticket is offered once (RFC 8446
/// §C.4: "Clients SHOULD NOT reuse a ticket for multiple connections"), and the server's
/// next ticket replaces it. Applications that keep their own sessions use
/// ClientConnection::create(config, name, ticket) and take_session_tickets() instead.
///
/// Sessions can be written to and read from text (encode_sessions / decode_sessions), for a
/// client that resumes across runs (`tlspp client --sess-out FILE` / `--sess-in FILE`). The
/// text holds the resumption secrets: keep it private (tlspp writes such files mode 0600).
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "tlspp/export.h"

namespace tlspp {

/// Where a client configuration keeps sessions to resume (ClientOptions::session_store).
/// Called from many connections at once: implementations must be thread-safe.
class TLSPP_API SessionStore {
 public:
  virtual ~SessionStore() = default;
  /// Keeps `session`, made with the server `server_name` (ServerName::str()).
  virtual void put(const std::string& server_name, SessionTicket session) = 0;
  /// Hands out, and forgets, the newest session kept for `server_name`.
  [[nodiscard]] virtual std::optional<SessionTicket> take(const std::string& server_name) = 0;
};

/// The in-memory store: at most `max_sessions` sessions in all and `per_server` for one name;
/// beyond that the oldest are dropped (their secrets wiped). Safe to share between threads.
class TLSPP_API MemorySessionStore final : public SessionStore {
 public:
  /// An empty store with these bounds.
  explicit MemorySessionStore(size_t max_sessions = 256, size_t per_server = 4);
  void put(const std::string& server_name, SessionTicket session) override;
  [[nodiscard]] std::optional<SessionTicket> take(const std::string& server_name) override;
  /// How many sessions are kept.
  [[nodiscard]] size_t size() const;
  /// Every session kept, oldest first, emptying the store (to save them with encode_sessions).
  [[nodiscard]] std::vector<SessionTicket> take_all();

 private:
  struct Kept {
    std::string server_name;
    SessionTicket session;
    uint64_t order;
  };
  mutable std::mutex mutex_;
  const size_t max_sessions_, per_server_;
  std::map<std::string, std::deque<Kept>> by_name_;  ///< each name's sessions, oldest first
  size_t count_ = 0;
  uint64_t next_order_ = 0;
};

/// The text form of sessions, one block each:
/// @code{.unparsed}
///   tlspp-session 1
///   version tls13                       (or tls12)
///   suite TLS_AES_128_GCM_SHA256         (IANA name)
///   server-name localhost
///   alpn h2                              (omitted when none)
///   received-at 1767225600               (Unix time)
///   lifetime 7200                        (seconds)
///   age-add 3061432178                   (TLS 1.3)
///   max-early-data 0
///   nonce 00                             (hex; TLS 1.3)
///   ticket 4f2a...                       (hex; omitted when none)
///   secret 9d1c...                       (hex: the PSK, or the TLS 1.2 master secret)
///   session-id 7b3e...                   (hex; TLS 1.2, omitted when none)
///   extended-master-secret yes           (TLS 1.2)
///   peer-subject CN=localhost
///   peer-key ECDSA P-256
///   peer-verified yes
///   peer-raw-public-key yes              (omitted unless the peer was a pinned raw key)
///   peer-spki-sha256 5f0c...             (hex; omitted when unknown)
///   end
/// @endcode
/// Unknown keys are ignored, so later versions can add some.
[[nodiscard]] TLSPP_API std::string encode_sessions(const std::vector<SessionTicket>& sessions);
/// Fails with a sentence naming the line for text that is not in this form.
[[nodiscard]] TLSPP_API Result<std::vector<SessionTicket>> decode_sessions(std::string_view text);

}  // namespace tlspp
