#include "handshake/sessions.h"

#include <atomic>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "wire/codec.h"

namespace tlspp::handshake {
namespace {

// The associated data of each kind (with the period appended).
ByteView ticket_aad(TicketKind kind) {
  static constexpr std::string_view kTls13 = "tlspp tls1.3 ticket v3";
  static constexpr std::string_view kTls12 = "tlspp tls1.2 ticket v3";
  const std::string_view s = kind == TicketKind::tls13 ? kTls13 : kTls12;
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

ByteView as_bytes(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
std::string as_string(ByteView b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

constexpr size_t kPeriodLen = 8;
constexpr size_t kKeyLen = 32;

void put_be64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint64_t get_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

// Associated data: the kind's label, then the period.
size_t make_aad(TicketKind kind, uint64_t period, uint8_t (&out)[64]) {
  const ByteView label = ticket_aad(kind);
  std::memcpy(out, label.data(), label.size());
  put_be64(out + label.size(), period);
  return label.size() + kPeriodLen;
}

void encode_session(wire::Writer& w, TicketKind kind, const StoredSession& s) {
  w.u8(static_cast<uint8_t>(kind));
  w.u16(static_cast<uint16_t>(s.suite));
  w.u64(static_cast<uint64_t>(s.created));
  w.u32(s.lifetime);
  w.vec8(s.secret.view());
  w.vec16(as_bytes(s.server_name));
  w.u8(s.extended_master_secret ? 1 : 0);
  w.vec8(as_bytes(s.alpn));
  w.vec16(as_bytes(s.peer.subject));
  w.vec8(as_bytes(s.peer.key));
  w.u8(s.peer.verified ? 1 : 0);
  w.u32(s.age_add);
  w.u32(s.max_early_data);
}

std::optional<StoredSession> decode_session(ByteView plain, TicketKind kind) {
  wire::Reader r(plain);
  auto version = r.u8("ticket version");
  auto suite = r.u16("ticket suite");
  auto created = r.u64("ticket time");
  auto lifetime = r.u32("ticket lifetime");
  auto secret = r.vec8("ticket secret");
  auto sni = r.vec16("ticket server name");
  auto ems = r.u8("ticket extended master secret");
  auto alpn = r.vec8("ticket alpn");
  auto subject = r.vec16("ticket peer subject");
  auto key = r.vec8("ticket peer key");
  auto verified = r.u8("ticket peer verified");
  auto age_add = r.u32("ticket age_add");
  auto max_early = r.u32("ticket max_early_data");
  if (!version || *version != static_cast<uint8_t>(kind) || !suite || !created || !lifetime || !secret ||
      secret->size() > crypto::Secret::kMax || !sni || !ems || !alpn || !subject || !key || !verified || !age_add ||
      !max_early || !r.expect_end("ticket"))
    return std::nullopt;
  StoredSession s;
  s.suite = static_cast<CipherSuite>(*suite);
  s.created = static_cast<std::time_t>(*created);
  s.lifetime = *lifetime;
  s.secret = crypto::Secret(*secret);
  s.server_name = as_string(*sni);
  s.extended_master_secret = *ems == 1;
  s.alpn = as_string(*alpn);
  s.peer = PeerIdentity{as_string(*subject), as_string(*key), *verified == 1};
  s.age_add = *age_add;
  s.max_early_data = *max_early;
  return s;
}

std::atomic<uint64_t> next_instance{1};

// One keyed AES-256-GCM context per thread for the period used last: a resumption then
// costs no key schedule for its ticket (an AEAD context is not safe to share across
// threads, so each thread keeps its own).
struct ThreadContext {
  uint64_t instance = 0;
  uint64_t period = 0;
  crypto::AeadCtx ctx;
};

}  // namespace

bool StoredSession::alive(std::time_t now) const {
  return now >= created && static_cast<uint64_t>(now - created) <= lifetime;
}

TicketKeys::TicketKeys(crypto::Secret master, uint32_t interval, std::shared_ptr<TicketKeySource> source)
    : prk_(crypto::hkdf_extract(crypto::HashAlg::sha256, as_bytes("tlspp ticket keys"), master.view())),
      interval_(interval ? interval : 1),
      source_(std::move(source)),
      instance_(next_instance.fetch_add(1, std::memory_order_relaxed)) {}

uint64_t TicketKeys::period(std::time_t now) const {
  return now < 0 ? 0 : static_cast<uint64_t>(now) / interval_;
}

std::optional<crypto::Secret> TicketKeys::key(uint64_t period) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Cached& c : cache_)
    if (c.valid && c.period == period) return c.key;
  crypto::Secret k;
  if (source_) {
    const SecretBytes got = source_->key(period);
    if (got.size() != kKeyLen) return std::nullopt;  // unavailable: no tickets of this period
    k = crypto::Secret(got.view());
  } else {
    // RFC 5869 §2.3: the period's key, HKDF-Expand(PRK, "period" || period).
    uint8_t info[6 + kPeriodLen];
    std::memcpy(info, "period", 6);
    put_be64(info + 6, period);
    k = crypto::Secret::zeros(kKeyLen);
    if (!crypto::hkdf_expand(crypto::HashAlg::sha256, prk_.view(), ByteView(info, sizeof info), k.data()))
      return std::nullopt;
  }
  // Keep the newer two periods.
  Cached& slot = !cache_[0].valid || (cache_[1].valid && cache_[0].period < cache_[1].period) ? cache_[0] : cache_[1];
  slot.period = period;
  slot.key = k;
  slot.valid = true;
  return k;
}

template <typename F>
bool TicketKeys::with_context(uint64_t period, F&& f) const {
  thread_local ThreadContext tc;
  if (tc.instance != instance_ || tc.period != period || !tc.ctx.has_key()) {
    tc.instance = 0;
    const auto k = key(period);
    if (!k || !tc.ctx.set_key(crypto::AeadAlg::aes256gcm, k->view())) return false;
    tc.instance = instance_;
    tc.period = period;
  }
  return f(tc.ctx);
}

Bytes TicketKeys::seal(RandomSource& random, TicketKind kind, const StoredSession& session, std::time_t now) const {
  Bytes plain;
  wire::Writer w(plain);
  encode_session(w, kind, session);
  Bytes ticket;
  if (w.ok()) {
    const uint64_t p = period(now);
    ticket.resize(kPeriodLen + crypto::kAeadNonceLen + plain.size() + crypto::kAeadTagLen);
    put_be64(ticket.data(), p);
    uint8_t nonce[crypto::kAeadNonceLen];
    random.fill(nonce);
    std::memcpy(ticket.data() + kPeriodLen, nonce, sizeof nonce);
    uint8_t aad[64];
    const size_t aad_len = make_aad(kind, p, aad);
    const bool ok = with_context(p, [&](crypto::AeadCtx& ctx) {
      return ctx.seal(nonce, ByteView(aad, aad_len), plain, MutByteView(ticket).subspan(kPeriodLen + sizeof nonce))
          .has_value();
    });
    if (!ok) ticket.clear();
  }
  crypto::secure_wipe(plain.data(), plain.size());
  return ticket;
}

std::optional<StoredSession> TicketKeys::open(TicketKind kind, std::time_t now, ByteView ticket) const {
  if (ticket.size() < kPeriodLen + crypto::kAeadNonceLen + crypto::kAeadTagLen + 1) return std::nullopt;
  const uint64_t p = get_be64(ticket.data());
  const uint64_t current = period(now);
  if (p != current && p + 1 != current) return std::nullopt;  // sealed with a retired key
  uint8_t nonce[crypto::kAeadNonceLen];
  std::memcpy(nonce, ticket.data() + kPeriodLen, sizeof nonce);
  const ByteView sealed = ticket.subspan(kPeriodLen + sizeof nonce);
  uint8_t aad[64];
  const size_t aad_len = make_aad(kind, p, aad);
  uint8_t small[512];
  Bytes large;
  const size_t plain_len = sealed.size() - crypto::kAeadTagLen;
  uint8_t* plain = small;
  if (plain_len > sizeof small) {
    large.resize(plain_len);
    plain = large.data();
  }
  std::optional<StoredSession> out;
  if (with_context(p, [&](crypto::AeadCtx& ctx) {
        return ctx.open(nonce, ByteView(aad, aad_len), sealed, MutByteView(plain, plain_len)).has_value();
      }))
    out = decode_session(ByteView(plain, plain_len), kind);
  crypto::secure_wipe(plain, plain_len);
  if (out && !out->alive(now)) out.reset();
  return out;
}

void SessionCache::store(ByteView id, StoredSession session) {
  if (capacity_ == 0 || id.empty()) return;
  std::string key = as_string(id);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = by_id_.find(key); it != by_id_.end()) {
    entries_.erase(it->second);
    by_id_.erase(it);
  }
  while (entries_.size() >= capacity_) {
    by_id_.erase(entries_.front().id);
    entries_.pop_front();  // the secret is wiped by its destructor
  }
  entries_.push_back(Entry{key, std::move(session)});
  by_id_.emplace(std::move(key), std::prev(entries_.end()));
}

std::optional<StoredSession> SessionCache::find(ByteView id, std::time_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_id_.find(as_string(id));
  if (it == by_id_.end()) return std::nullopt;
  if (!it->second->session.alive(now)) {
    entries_.erase(it->second);
    by_id_.erase(it);
    return std::nullopt;
  }
  return it->second->session;
}

size_t SessionCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace tlspp::handshake
