#include "handshake/sessions.h"

#include <cstring>

#include "crypto/aead.h"
#include "wire/codec.h"

namespace tlspp::handshake {
namespace {

// The associated data of each kind. The TLS 1.3 one is what tickets have always carried,
// so tickets issued before TLS 1.2 existed here still open.
ByteView ticket_aad(TicketKind kind) {
  static constexpr std::string_view kTls13 = "tlspp ticket v2";
  static constexpr std::string_view kTls12 = "tlspp tls1.2 ticket v1";
  const std::string_view s = kind == TicketKind::tls13 ? kTls13 : kTls12;
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

ByteView as_bytes(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
std::string as_string(ByteView b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

void encode_session(wire::Writer& w, TicketKind kind, const StoredSession& s) {
  w.u8(static_cast<uint8_t>(kind));
  w.u16(static_cast<uint16_t>(s.suite));
  w.u64(static_cast<uint64_t>(s.created));
  w.u32(s.lifetime);
  w.vec8(s.secret.view());
  w.vec16(as_bytes(s.server_name));
  if (kind != TicketKind::tls12) return;
  w.u8(s.extended_master_secret ? 1 : 0);
  w.vec8(as_bytes(s.alpn));
  w.vec16(as_bytes(s.peer.subject));
  w.vec8(as_bytes(s.peer.key));
  w.u8(s.peer.verified ? 1 : 0);
}

std::optional<StoredSession> decode_session(ByteView plain, TicketKind kind) {
  wire::Reader r(plain);
  auto version = r.u8("ticket version");
  auto suite = r.u16("ticket suite");
  auto created = r.u64("ticket time");
  auto lifetime = r.u32("ticket lifetime");
  auto secret = r.vec8("ticket secret");
  auto sni = r.vec16("ticket server name");
  if (!version || *version != static_cast<uint8_t>(kind) || !suite || !created || !lifetime || !secret ||
      secret->size() > crypto::Secret::kMax || !sni)
    return std::nullopt;
  StoredSession s;
  s.suite = static_cast<CipherSuite>(*suite);
  s.created = static_cast<std::time_t>(*created);
  s.lifetime = *lifetime;
  s.secret = crypto::Secret(*secret);
  s.server_name = as_string(*sni);
  if (kind == TicketKind::tls12) {
    auto ems = r.u8("ticket extended master secret");
    auto alpn = r.vec8("ticket alpn");
    auto subject = r.vec16("ticket peer subject");
    auto key = r.vec8("ticket peer key");
    auto verified = r.u8("ticket peer verified");
    if (!ems || !alpn || !subject || !key || !verified) return std::nullopt;
    s.extended_master_secret = *ems == 1;
    s.alpn = as_string(*alpn);
    s.peer = PeerIdentity{as_string(*subject), as_string(*key), *verified == 1};
  }
  if (!r.expect_end("ticket")) return std::nullopt;
  return s;
}

}  // namespace

bool StoredSession::alive(std::time_t now) const {
  return now >= created && static_cast<uint64_t>(now - created) <= lifetime;
}

Bytes seal_ticket(ByteView key, RandomSource& random, TicketKind kind, const StoredSession& session) {
  Bytes plain;
  wire::Writer w(plain);
  encode_session(w, kind, session);
  Bytes ticket;
  if (w.ok()) {
    ticket.resize(crypto::kAeadNonceLen + plain.size() + crypto::kAeadTagLen);
    uint8_t nonce[crypto::kAeadNonceLen];
    random.fill(nonce);
    std::memcpy(ticket.data(), nonce, sizeof nonce);
    crypto::AeadCtx ctx;
    if (!ctx.set_key(crypto::AeadAlg::aes256gcm, key) ||
        !ctx.seal(nonce, ticket_aad(kind), plain, MutByteView(ticket).subspan(sizeof nonce)))
      ticket.clear();
  }
  crypto::secure_wipe(plain.data(), plain.size());
  return ticket;
}

std::optional<StoredSession> open_ticket(ByteView key, TicketKind kind, std::time_t now, ByteView ticket) {
  if (ticket.size() < crypto::kAeadNonceLen + crypto::kAeadTagLen + 1) return std::nullopt;
  uint8_t nonce[crypto::kAeadNonceLen];
  std::memcpy(nonce, ticket.data(), sizeof nonce);
  const ByteView sealed = ticket.subspan(sizeof nonce);
  Bytes plain(sealed.size() - crypto::kAeadTagLen);
  crypto::AeadCtx ctx;
  std::optional<StoredSession> out;
  if (ctx.set_key(crypto::AeadAlg::aes256gcm, key) && ctx.open(nonce, ticket_aad(kind), sealed, plain))
    out = decode_session(plain, kind);
  crypto::secure_wipe(plain.data(), plain.size());
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
