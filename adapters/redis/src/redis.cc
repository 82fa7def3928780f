// tlspp_redis: the Redis AntiReplay and TicketKeySource (include/tlspp/redis.h), over
// hiredis's blocking API with socket timeouts and a small pool of connections.
#include "tlspp/redis.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <limits>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "tlspp/random.h"
#include "tlspp/secret.h"
#include "tlspp/types.h"

namespace tlspp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kTicketKeyLen = 32;

// Overwrites memory the compiler cannot prove unused (hiredis's reply strings hold key
// bytes before they are freed).
void wipe_memory(void* p, size_t n) {
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  while (n--) *v++ = 0;
}

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

timeval to_timeval(unsigned ms) {
  ms = std::max(ms, 1u);  // 0 would mean "no timeout" to hiredis
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms % 1000) * 1000);
  return tv;
}

std::string_view reply_text(const redisReply& r) {
  return r.str ? std::string_view(r.str, static_cast<size_t>(r.len)) : std::string_view();
}

bool is_status(const redisReply* r, std::string_view text) {
  return r && r->type == REDIS_REPLY_STATUS && reply_text(*r) == text;
}

// One command on `c` with binary-safe arguments. Nothing when the connection failed (the
// context is then unusable); `io_errno` gets errno as hiredis left it.
Reply send_command(redisContext* c, std::span<const std::string_view> args, int* io_errno = nullptr) {
  std::array<const char*, 8> argv{};
  std::array<size_t, 8> lens{};
  const size_t n = std::min(args.size(), argv.size());
  for (size_t i = 0; i < n; ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  errno = 0;
  Reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(n), argv.data(), lens.data())));
  if (io_errno) *io_errno = errno;
  return r;
}

// A connection ready for commands: connected within the connect timeout, the command timeout
// set, AUTH and SELECT done. Nothing, and `error`, otherwise.
Context open_connection(const RedisOptions& o, std::string* error) {
  const std::string where = "Redis at " + describe_redis(o);
  const timeval connect_tv = to_timeval(o.connect_timeout_ms);
  Context c(o.unix_socket.empty() ? redisConnectWithTimeout(o.host.c_str(), o.port, connect_tv)
                                  : redisConnectUnixWithTimeout(o.unix_socket.c_str(), connect_tv));
  if (!c) {
    *error = where + ": out of memory";
    return nullptr;
  }
  if (c->err) {
    *error = where + ": " + c->errstr;
    return nullptr;
  }
  if (redisSetTimeout(c.get(), to_timeval(o.command_timeout_ms)) != REDIS_OK) {
    *error = where + ": cannot set the command timeout: " + c->errstr;
    return nullptr;
  }
  auto check = [&](const Reply& r, const char* what) {
    if (!r) {
      *error = where + ": " + what + ": " + (c->errstr[0] ? c->errstr : "no reply");
      return false;
    }
    if (!is_status(r.get(), "OK")) {
      // Redis's error text ("WRONGPASS invalid username-password pair") never repeats the password.
      *error = where + ": " + what + " failed: " +
               std::string(r->type == REDIS_REPLY_ERROR ? reply_text(*r) : "unexpected reply");
      return false;
    }
    return true;
  };
  if (o.password) {
    Reply r = o.username ? send_command(c.get(), std::array<std::string_view, 3>{"AUTH", *o.username, *o.password})
                         : send_command(c.get(), std::array<std::string_view, 2>{"AUTH", *o.password});
    if (!check(r, "AUTH")) return nullptr;
  }
  if (o.db != 0) {
    const std::string db = std::to_string(o.db);
    if (!check(send_command(c.get(), std::array<std::string_view, 2>{"SELECT", db}), "SELECT")) return nullptr;
  }
  return c;
}

// Connections to one Redis, shared by every thread: a command takes an idle connection (or
// opens one, up to max_connections), and puts it back when it succeeded.
class Pool {
 public:
  explicit Pool(RedisOptions o) : o_(std::move(o)) {}
  ~Pool() {
    if (o_.password) wipe_memory(o_.password->data(), o_.password->size());
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  [[nodiscard]] const RedisOptions& options() const { return o_; }

  // The reply (possibly an error reply), or nothing when Redis could not be reached or did
  // not answer in time.
  Reply command(std::span<const std::string_view> args) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string error;
      bool reused = false;
      Context c = acquire(&error, &reused);
      if (!c) {
        if (!error.empty()) report(error);
        return nullptr;
      }
      int io_errno = 0;
      Reply r = send_command(c.get(), args, &io_errno);
      if (r) {
        release(std::move(c));
        return r;
      }
      // A connection Redis closed while it sat idle (a restart, a client timeout): the others
      // are likely stale too. Drop them and try once on a new connection. A timeout is not
      // retried: Redis is there but slow, and the caller must not wait twice.
      const bool stale = reused && (c->err == REDIS_ERR_EOF ||
                                    (c->err == REDIS_ERR_IO && (io_errno == ECONNRESET || io_errno == EPIPE)));
      const std::string why = "Redis at " + describe_redis(o_) + ": " + (c->errstr[0] ? c->errstr : "no reply");
      c.reset();
      if (stale && attempt == 0) {
        drop_idle();
        continue;
      }
      failed();
      report(why);
      return nullptr;
    }
    return nullptr;
  }

  void report(const std::string& message) {
    if (!o_.on_error) return;
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      if (reported_ && now < last_report_ + milliseconds(std::max(o_.retry_interval_ms, 1u))) return;
      reported_ = true;
      last_report_ = now;
    }
    o_.on_error(message);
  }

 private:
  Context acquire(std::string* error, bool* reused) {
    std::unique_lock lock(mutex_);
    const auto deadline = Clock::now() + milliseconds(std::max(o_.command_timeout_ms, 1u));
    for (;;) {
      if (!idle_.empty()) {
        Context c = std::move(idle_.back());
        idle_.pop_back();
        *reused = true;
        return c;
      }
      if (Clock::now() < retry_at_) return nullptr;  // failing fast until the next attempt
      if (open_ < std::max(o_.max_connections, 1u)) {
        ++open_;
        lock.unlock();
        Context c = open_connection(o_, error);
        if (!c) {
          failed();
        }
        *reused = false;
        return c;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
        *error = "Redis at " + describe_redis(o_) + ": all " + std::to_string(open_) +
                 " connections busy for the whole command timeout";
        return nullptr;
      }
    }
  }

  void release(Context c) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  // A connection that failed is gone; no new one is tried for retry_interval_ms.
  void failed() {
    {
      std::lock_guard lock(mutex_);
      --open_;
      retry_at_ = Clock::now() + milliseconds(o_.retry_interval_ms);
    }
    cv_.notify_all();
  }

  void drop_idle() {
    std::vector<Context> stale;
    {
      std::lock_guard lock(mutex_);
      open_ -= static_cast<unsigned>(idle_.size()) + 1;  // and the one that failed
      stale.swap(idle_);
    }
    cv_.notify_all();
  }

  RedisOptions o_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Context> idle_;
  unsigned open_ = 0;  // idle and in use
  Clock::time_point retry_at_{};
  bool reported_ = false;
  Clock::time_point last_report_{};
};

// RFC 8446 §8.1, §8.2 across servers: SET NX is atomic in Redis, so of all the servers that
// see an id (a ticket, a ClientHello's binder) exactly one sets the key and accepts.
class RedisAntiReplay final : public AntiReplay {
 public:
  explicit RedisAntiReplay(const RedisOptions& o) : pool_(o) {}
  bool first_use(ByteView id, std::time_t expires) override {
    const std::time_t now = std::time(nullptr);
    // The time left, relative, so that the clock of the Redis host does not matter; at least
    // a second (an id already past its expiry is accepted once, as by the memory store), at
    // most about 30 years (no overflow in milliseconds).
    const int64_t left = std::clamp<int64_t>(static_cast<int64_t>(expires) - static_cast<int64_t>(now), 1, int64_t{1} << 30);
    const std::string key = pool_.options().key_prefix + "replay:" + to_hex(id);
    const std::string ms = std::to_string(left * 1000);
    const Reply r = pool_.command(std::array<std::string_view, 6>{"SET", key, "1", "NX", "PX", ms});
    if (!r) return false;
    if (is_status(r.get(), "OK")) return true;
    if (r->type == REDIS_REPLY_ERROR)
      pool_.report("Redis at " + describe_redis(pool_.options()) + ": SET failed: " + std::string(reply_text(*r)));
    return false;  // nil: seen before (or an error: decline)
  }

 private:
  Pool pool_;
};

class RedisTicketKeys final : public TicketKeySource {
 public:
  RedisTicketKeys(const RedisOptions& o, uint32_t rotation) : pool_(o), rotation_(std::max<uint32_t>(rotation, 1)) {}

  SecretBytes key(uint64_t period) override {
    {
      std::lock_guard lock(mutex_);
      for (const Cached& c : cache_)
        if (c.valid && c.period == period) return c.key;
    }
    SecretBytes k = fetch(period);
    if (k.size() != kTicketKeyLen) return {};
    std::lock_guard lock(mutex_);
    // Keep the newer two periods (the one that seals and the one before it, which opens).
    Cached* slot = &cache_[0];
    for (Cached& c : cache_)
      if (!c.valid || (slot->valid && c.period < slot->period)) slot = &c;
    if (!slot->valid || slot->period < period) {
      slot->period = period;
      slot->key = k;  // the old key's bytes are wiped by the assignment
      slot->valid = true;
    }
    return k;
  }

 private:
  struct Cached {
    bool valid = false;
    uint64_t period = 0;
    SecretBytes key;
  };

  // A GET whose reply is wiped before it is freed. Nothing on failure; an empty key when
  // Redis has none.
  std::optional<SecretBytes> get(const std::string& name) {
    Reply r = pool_.command(std::array<std::string_view, 2>{"GET", name});
    if (!r) return std::nullopt;
    std::optional<SecretBytes> out;
    if (r->type == REDIS_REPLY_NIL) {
      out.emplace();
    } else if (r->type == REDIS_REPLY_STRING && r->len == static_cast<decltype(r->len)>(kTicketKeyLen)) {
      out.emplace(ByteView(reinterpret_cast<const uint8_t*>(r->str), kTicketKeyLen));
    } else if (r->type == REDIS_REPLY_ERROR) {
      pool_.report("Redis at " + describe_redis(pool_.options()) + ": GET failed: " + std::string(reply_text(*r)));
    } else {
      pool_.report("Redis at " + describe_redis(pool_.options()) + ": " + name + " does not hold a " +
                   std::to_string(kTicketKeyLen) + "-byte ticket key");
    }
    if (r->str) wipe_memory(r->str, static_cast<size_t>(r->len));
    return out;
  }

  SecretBytes fetch(uint64_t period) {
    const std::string name = pool_.options().key_prefix + "ticket-key:" + std::to_string(period);
    auto have = get(name);
    if (!have) return {};
    if (!have->empty()) return std::move(*have);
    // None yet: offer one. Whether ours or another server's wins, the GET after it returns
    // the one every server will use. It stays until three periods after its own began: it
    // seals during its period and opens during the next, and a period more of slack.
    const std::time_t now = std::time(nullptr);
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 2);
    if (period > kMax / rotation_ - 3) return {};
    const int64_t until = static_cast<int64_t>((period + 3) * rotation_);
    const int64_t left = until - static_cast<int64_t>(now);
    if (left <= 0) return {};  // a period long over: no key worth making
    SecretBytes fresh(Bytes(kTicketKeyLen, 0));
    system_random()->fill(fresh.data());
    const std::string ms = std::to_string(std::min<int64_t>(left, int64_t{1} << 30) * 1000);
    const std::string_view value(reinterpret_cast<const char*>(fresh.view().data()), fresh.size());
    const Reply set = pool_.command(std::array<std::string_view, 6>{"SET", name, value, "NX", "PX", ms});
    if (!set) return {};
    if (set->type == REDIS_REPLY_ERROR) {
      pool_.report("Redis at " + describe_redis(pool_.options()) + ": SET failed: " + std::string(reply_text(*set)));
      return {};
    }
    auto agreed = get(name);
    if (!agreed || agreed->empty()) return {};
    return std::move(*agreed);
  }

  Pool pool_;
  const uint64_t rotation_;
  std::mutex mutex_;
  std::array<Cached, 2> cache_;
};

// ------------------------------------------------------------------ URLs

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const auto hex = from_hex(s.substr(i + 1, 2));
    if (!hex || hex->size() != 1) return std::nullopt;
    out += static_cast<char>((*hex)[0]);
    i += 2;
  }
  return out;
}

std::optional<unsigned long> parse_number(std::string_view s, unsigned long max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  unsigned long n = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned long>(ch - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

}  // namespace

std::string describe_redis(const RedisOptions& o) {
  if (!o.unix_socket.empty()) return "unix:" + o.unix_socket;
  const bool v6 = o.host.find(':') != std::string::npos;
  return (v6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
}

std::optional<RedisOptions> parse_redis_url(std::string_view url, std::string* error) {
  // The URL is never repeated in a message: it may hold a password.
  auto bad = [error](const std::string& why) -> std::optional<RedisOptions> {
    if (error) *error = "bad Redis URL: " + why;
    return std::nullopt;
  };
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos)
    return bad("expected redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:///PATH");
  std::string scheme(url.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char ch) { return std::tolower(ch); });
  std::string_view rest = url.substr(sep + 3);
  RedisOptions o;

  // [USER]:PASSWORD@ before the host (or before the path of a socket URL).
  auto take_userinfo = [&](std::string_view authority, std::string_view* after) -> bool {
    const size_t at = authority.rfind('@');
    *after = authority;
    if (at == std::string_view::npos) return true;
    const std::string_view info = authority.substr(0, at);
    *after = authority.substr(at + 1);
    const size_t colon = info.find(':');
    if (colon == std::string_view::npos) return false;
    auto user = percent_decode(info.substr(0, colon));
    auto pass = percent_decode(info.substr(colon + 1));
    if (!user || !pass) return false;
    if (!user->empty()) o.username = std::move(*user);
    o.password = std::move(*pass);
    return true;
  };
  const char* kUserinfo = "the part before '@' must be [USER]:PASSWORD (percent-encoded)";

  if (scheme == "rediss")
    return bad("rediss:// (Redis over TLS) is not supported; use redis:// on a private network, or a Unix socket");
  if (scheme == "unix" || scheme == "redis+unix") {
    std::string_view query;
    if (const size_t q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    std::string_view path = rest;
    if (const size_t at = rest.find('@'); at != std::string_view::npos && rest.find('/') > at) {
      if (!take_userinfo(rest.substr(0, rest.find('/')), &path)) return bad(kUserinfo);
      path = rest.substr(rest.find('/'));
    }
    if (path.empty() || path[0] != '/' || path.size() == 1)
      return bad("a Unix socket URL names an absolute path: unix:///run/redis/redis.sock");
    o.unix_socket = std::string(path);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (param.rfind("db=", 0) != 0) return bad("the only parameter of a Unix socket URL is db=N");
      const auto db = parse_number(param.substr(3), 0x7fffffff);
      if (!db) return bad("db= takes a database number");
      o.db = static_cast<unsigned>(*db);
    }
    return o;
  }
  if (scheme != "redis") return bad("unknown scheme '" + scheme + "://' (redis://, unix:// or redis+unix://)");

  if (rest.find('?') != std::string_view::npos) return bad("redis:// URLs take no ?parameters here");
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  std::string_view hostport;
  if (!take_userinfo(authority, &hostport)) return bad(kUserinfo);
  std::string_view port;
  if (!hostport.empty() && hostport[0] == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 address needs its closing ']'");
    o.host = std::string(hostport.substr(1, close - 1));
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("expected ':PORT' after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad("a port number is needed after ':'");
    }
  } else {
    const size_t colon = hostport.rfind(':');
    o.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      if (port.empty()) return bad("a port number is needed after ':'");
      if (o.host.find(':') != std::string::npos) return bad("write an IPv6 address in brackets: redis://[::1]:6379");
    }
  }
  if (o.host.empty()) return bad("no host (redis://HOST[:PORT])");
  if (!port.empty()) {
    const auto p = parse_number(port, 65535);
    if (!p || *p == 0) return bad("the port must be a number from 1 to 65535");
    o.port = static_cast<uint16_t>(*p);
  }
  if (!path.empty()) {
    const auto db = parse_number(path, 0x7fffffff);
    if (!db) return bad("the path must be a database number (/0, /1, ...)");
    o.db = static_cast<unsigned>(*db);
  }
  return o;
}

bool ping_redis(const RedisOptions& options, std::string* error) {
  std::string why;
  Context c = open_connection(options, &why);
  if (c) {
    const Reply r = send_command(c.get(), std::array<std::string_view, 1>{"PING"});
    if (is_status(r.get(), "PONG")) return true;
    why = "Redis at " + describe_redis(options) + ": PING: " +
          (!r ? std::string(c->errstr[0] ? c->errstr : "no reply")
              : r->type == REDIS_REPLY_ERROR ? std::string(reply_text(*r)) : std::string("unexpected reply"));
  }
  if (error) *error = why;
  return false;
}

std::shared_ptr<AntiReplay> make_redis_anti_replay(const RedisOptions& options) {
  return std::make_shared<RedisAntiReplay>(options);
}

std::shared_ptr<TicketKeySource> make_redis_ticket_key_source(const RedisOptions& options, uint32_t rotation_seconds) {
  return std::make_shared<RedisTicketKeys>(options, rotation_seconds);
}

}  // namespace tlspp
