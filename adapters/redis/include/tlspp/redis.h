// tlspp_redis: 0-RTT anti-replay state and session ticket keys kept in Redis, so that the
// servers of a fleet share them (RFC 8446 §8: a replay sent to another server of the fleet
// must be recognised too; a ticket one server issued must open on the others).
//
// A separate library (CMake target tlspp_redis, alias tlspp::redis, option TLSPP_REDIS) that
// links hiredis; the tlspp library itself does not depend on it. Every object here is safe
// to share between any number of connections and threads.
//
// Failure is never blocking for long and never unsafe: a command waits at most
// command_timeout_ms (connecting at most connect_timeout_ms), and when Redis cannot answer
// the anti-replay store declines (early data then goes 1-RTT) and the key source has no key
// (tickets of that period neither seal nor open: full handshakes). After a failure no new
// connection is tried for retry_interval_ms, so a dead Redis costs each handshake nothing
// more than a look at the clock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tlspp/config.h"

namespace tlspp {

struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  // A Unix domain socket path; when set, host and port are not used.
  std::string unix_socket;
  // AUTH: a password alone (requirepass), or with a user name (Redis 6 ACLs).
  std::optional<std::string> username;
  std::optional<std::string> password;
  unsigned db = 0;  // SELECT, when not 0
  // Prepended to every key this library writes, so that several fleets (or other
  // applications) can share one Redis.
  std::string key_prefix = "tlspp:";
  unsigned connect_timeout_ms = 250;
  unsigned command_timeout_ms = 100;
  // After a connection or command failure, no new connection is attempted for this long;
  // calls in between fail at once.
  unsigned retry_interval_ms = 1000;
  // Connections kept open at most (one per command in flight); a call that finds them all
  // busy waits for one, at most command_timeout_ms.
  unsigned max_connections = 8;
  // Told about each failure (one line, no secrets). Called from the thread that met it;
  // with retry_interval_ms it is called at most about once per interval per object.
  std::function<void(const std::string& message)> on_error;
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (HOST a name, an IPv4 address or [IPv6]; PORT
// 6379 by default; USER and PASSWORD percent-decoded), or unix:///PATH and
// redis+unix:///PATH with an optional ?db=N. The other options keep their defaults. Nothing
// (and `error`, when given, says why) for anything else, rediss:// (TLS) included.
[[nodiscard]] std::optional<RedisOptions> parse_redis_url(std::string_view url, std::string* error = nullptr);

// "127.0.0.1:6379" or "unix:/path", for messages (never the password).
[[nodiscard]] std::string describe_redis(const RedisOptions& options);

// Connects (with AUTH and SELECT as configured) and sends PING: true when Redis answered
// PONG within the timeouts; otherwise false and `error`, when given, says why.
[[nodiscard]] bool ping_redis(const RedisOptions& options, std::string* error = nullptr);

// RFC 8446 §8 in Redis: first_use(id, expires) is one atomic SET KEY 1 NX PX MS, with KEY the
// key prefix, "replay:" and the id in hex, and MS the time left until `expires` (at least one
// second). Whichever server sets it first gets true; every other attempt, on any server, gets
// false until the key expires. Any failure (Redis down, a timeout, an error reply) answers
// false.
[[nodiscard]] std::shared_ptr<AntiReplay> make_redis_anti_replay(const RedisOptions& options);

// Session ticket keys shared through Redis: the key of period P is the 32-byte value of KEY
// prefix "ticket-key:" P. The first server to need it draws 32 random bytes (system_random())
// and stores them with SET NX, then every server reads back what won, so that all agree. Keys
// live in Redis until three periods after the start of their own (`rotation_seconds` must be
// ServerOptions::ticket_key_rotation_seconds), and each source keeps the newest two periods'
// keys in memory (wiped when replaced), so that a handshake does not go to Redis.
// Anyone who can read the Redis database can read the keys, and with them every ticket's
// session secrets: protect it accordingly (AUTH, a private network or a Unix socket).
[[nodiscard]] std::shared_ptr<TicketKeySource> make_redis_ticket_key_source(const RedisOptions& options,
                                                                            uint32_t rotation_seconds = 6 * 3600);

}  // namespace tlspp
