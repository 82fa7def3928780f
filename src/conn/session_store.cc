// The client's session store and the text form of sessions (include/tlspp/session_store.h).
#include "tlspp/session_store.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>

#include "tlspp/config.h"

namespace tlspp {

MemorySessionStore::MemorySessionStore(size_t max_sessions, size_t per_server)
    : max_sessions_(std::max<size_t>(max_sessions, 1)), per_server_(std::max<size_t>(per_server, 1)) {}

void MemorySessionStore::put(const std::string& server_name, SessionTicket session) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& kept = by_name_[server_name];
  kept.push_back(Kept{server_name, std::move(session), next_order_++});
  ++count_;
  if (kept.size() > per_server_) {
    kept.pop_front();  // SecretBytes wipes the dropped secret
    --count_;
  }
  while (count_ > max_sessions_) {
    // The oldest session of all goes first.
    auto oldest = by_name_.end();
    for (auto it = by_name_.begin(); it != by_name_.end(); ++it)
      if (!it->second.empty() && (oldest == by_name_.end() || it->second.front().order < oldest->second.front().order))
        oldest = it;
    oldest->second.pop_front();
    --count_;
    if (oldest->second.empty()) by_name_.erase(oldest);
  }
}

std::optional<SessionTicket> MemorySessionStore::take(const std::string& server_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_name_.find(server_name);
  if (it == by_name_.end() || it->second.empty()) return std::nullopt;
  SessionTicket newest = std::move(it->second.back().session);
  it->second.pop_back();
  --count_;
  if (it->second.empty()) by_name_.erase(it);
  return newest;
}

size_t MemorySessionStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

std::vector<SessionTicket> MemorySessionStore::take_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Kept> all;
  for (auto& [name, kept] : by_name_)
    for (auto& k : kept) all.push_back(std::move(k));
  by_name_.clear();
  count_ = 0;
  std::sort(all.begin(), all.end(), [](const Kept& a, const Kept& b) { return a.order < b.order; });
  std::vector<SessionTicket> out;
  out.reserve(all.size());
  for (auto& k : all) out.push_back(std::move(k.session));
  return out;
}

namespace {

constexpr std::string_view kHeader = "tlspp-session 1";

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<CipherSuite> suite_named(std::string_view name) {
  for (CipherSuite s : CommonOptions{}.cipher_suites)
    if (cipher_suite_name(s) == name) return s;
  return std::nullopt;
}

void line(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.push_back(' ');
  out.append(value);
  out.push_back('\n');
}

}  // namespace

std::string encode_sessions(const std::vector<SessionTicket>& sessions) {
  std::string out;
  for (const SessionTicket& t : sessions) {
    const bool tls13 = t.version == ProtocolVersion::tls13;
    out.append(kHeader);
    out.push_back('\n');
    line(out, "version", tls13 ? "tls13" : "tls12");
    line(out, "suite", cipher_suite_name(t.cipher_suite));
    line(out, "server-name", t.server_name);
    if (!t.alpn.empty()) line(out, "alpn", t.alpn);
    line(out, "received-at", std::to_string(t.received_at));
    line(out, "lifetime", std::to_string(t.lifetime_seconds));
    if (tls13) {
      line(out, "age-add", std::to_string(t.age_add));
      line(out, "max-early-data", std::to_string(t.max_early_data));
      line(out, "nonce", to_hex(t.nonce));
    }
    if (!t.ticket.empty()) line(out, "ticket", to_hex(t.ticket));
    line(out, "secret", to_hex(t.resumption_secret.view()));
    if (!tls13) {
      if (!t.session_id.empty()) line(out, "session-id", to_hex(t.session_id));
      line(out, "extended-master-secret", t.extended_master_secret ? "yes" : "no");
    }
    if (!t.peer_subject.empty()) line(out, "peer-subject", t.peer_subject);
    if (!t.peer_key.empty()) line(out, "peer-key", t.peer_key);
    line(out, "peer-verified", t.peer_verified ? "yes" : "no");
    if (t.peer_raw_public_key) line(out, "peer-raw-public-key", "yes");
    if (!t.peer_spki_sha256.empty()) line(out, "peer-spki-sha256", t.peer_spki_sha256);
    out.append("end\n");
  }
  return out;
}

Result<std::vector<SessionTicket>> decode_sessions(std::string_view text) {
  std::vector<SessionTicket> out;
  std::optional<SessionTicket> current;
  size_t line_no = 0;
  bool have_secret = false, have_suite = false;
  auto bad = [&](const std::string& why) {
    return fail(Error::config("session file line " + std::to_string(line_no) + ": " + why));
  };
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty() || l.front() == '#') continue;
    if (!current) {
      if (l != kHeader) return bad("expected '" + std::string(kHeader) + "'");
      current.emplace();
      have_secret = have_suite = false;
      continue;
    }
    if (l == "end") {
      if (!have_secret || !have_suite) return bad("a session without its suite and secret");
      out.push_back(std::move(*current));
      current.reset();
      continue;
    }
    const size_t sp = l.find(' ');
    const std::string_view key = l.substr(0, sp);
    const std::string_view value = sp == std::string_view::npos ? std::string_view() : l.substr(sp + 1);
    SessionTicket& t = *current;
    if (key == "version") {
      if (value == "tls13") {
        t.version = ProtocolVersion::tls13;
      } else if (value == "tls12") {
        t.version = ProtocolVersion::tls12;
      } else {
        return bad("unknown version '" + std::string(value) + "'");
      }
    } else if (key == "suite") {
      const auto s = suite_named(value);
      if (!s) return bad("unknown cipher suite '" + std::string(value) + "'");
      t.cipher_suite = *s;
      have_suite = true;
    } else if (key == "server-name") {
      t.server_name = std::string(value);
    } else if (key == "alpn") {
      t.alpn = std::string(value);
    } else if (key == "peer-subject") {
      t.peer_subject = std::string(value);
    } else if (key == "peer-key") {
      t.peer_key = std::string(value);
    } else if (key == "peer-spki-sha256") {
      t.peer_spki_sha256 = std::string(value);
    } else if (key == "peer-verified" || key == "extended-master-secret" || key == "peer-raw-public-key") {
      if (value != "yes" && value != "no") return bad(std::string(key) + " must be yes or no");
      (key == "peer-verified"            ? t.peer_verified
       : key == "peer-raw-public-key" ? t.peer_raw_public_key
                                      : t.extended_master_secret) = value == "yes";
    } else if (key == "received-at") {
      const auto v = number<long long>(value);
      if (!v) return bad("received-at must be a number");
      t.received_at = static_cast<std::time_t>(*v);
    } else if (key == "lifetime" || key == "age-add" || key == "max-early-data") {
      const auto v = number<uint32_t>(value);
      if (!v) return bad(std::string(key) + " must be a 32-bit number");
      (key == "lifetime" ? t.lifetime_seconds : key == "age-add" ? t.age_add : t.max_early_data) = *v;
    } else if (key == "nonce" || key == "ticket" || key == "secret" || key == "session-id") {
      auto v = from_hex(value);
      if (!v) return bad(std::string(key) + " must be hexadecimal");
      if (key == "nonce") {
        t.nonce = std::move(*v);
      } else if (key == "ticket") {
        t.ticket = std::move(*v);
      } else if (key == "session-id") {
        t.session_id = std::move(*v);
      } else {
        t.resumption_secret.assign(*v);
        std::fill(v->begin(), v->end(), uint8_t{0});
        have_secret = true;
      }
    }
    // Other keys: from a later version of the format, ignored.
  }
  if (current) return bad("the file ends inside a session (no 'end')");
  return out;
}

}  // namespace tlspp

namespace tlspp {
namespace {

// RFC 8446 §8: what a single server remembers of tickets and ClientHellos seen. Each id
// stays until its expiry; a min-heap of expiries finds the ones to forget in O(log n), so a
// store at capacity costs no more per check than an empty one.
class MemoryAntiReplay final : public AntiReplay {
 public:
  explicit MemoryAntiReplay(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}
  bool first_use(ByteView id, std::time_t expires) override {
    const std::time_t now = std::time(nullptr);
    std::string key(reinterpret_cast<const char*>(id.data()), id.size());
    std::lock_guard<std::mutex> lock(mutex_);
    forget_expired(now);
    auto [it, inserted] = seen_.try_emplace(std::move(key), expires);
    // Every id left after forget_expired() is still to be remembered.
    if (!inserted) return false;
    if (seen_.size() > capacity_) {
      // Full of ids still to be remembered: decline rather than forget one.
      seen_.erase(it);
      return false;
    }
    expiries_.push({expires, &it->first});
    return true;
  }

 private:
  using Entry = std::pair<std::time_t, const std::string*>;
  void forget_expired(std::time_t now) {
    while (!expiries_.empty() && expiries_.top().first < now) {
      const std::string* key = expiries_.top().second;
      expiries_.pop();
      // Nodes of an unordered_map keep their address across rehashing, and each node has one
      // heap entry, which erases it.
      seen_.erase(*key);
    }
  }

  std::mutex mutex_;
  const size_t capacity_;
  std::unordered_map<std::string, std::time_t> seen_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> expiries_;
};

}  // namespace

std::shared_ptr<AntiReplay> make_memory_anti_replay(size_t capacity) {
  return std::make_shared<MemoryAntiReplay>(capacity);
}

}  // namespace tlspp
