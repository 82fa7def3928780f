#include "support/mitm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "crypto/aead.h"
#include "handshake/common.h"
#include "keysched/tls12.h"
#include "keysched/tls13.h"
#include "support/record_keys.h"
#include "support/tls_pair.h"
#include "wire/messages.h"

namespace tlspp::test {

using record::ContentType;
using wire::HandshakeType;

namespace {

std::optional<Bytes> unhex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  Bytes out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string_view label_of_epoch(Dir dir, unsigned epoch) {
  if (epoch == kEarlyKeys) return dir == Dir::to_server ? "CLIENT_EARLY_TRAFFIC_SECRET" : "";
  if (dir == Dir::to_server)
    return epoch == kHandshakeKeys ? "CLIENT_HANDSHAKE_TRAFFIC_SECRET" : "CLIENT_TRAFFIC_SECRET_0";
  return epoch == kHandshakeKeys ? "SERVER_HANDSHAKE_TRAFFIC_SECRET" : "SERVER_TRAFFIC_SECRET_0";
}

const char* dir_name(Dir d) { return d == Dir::to_server ? "client->server" : "server->client"; }

}  // namespace

// --- Item ---

ByteView Item::body() const {
  if (type != ContentType::handshake || data.size() < 4) return {};
  return ByteView(data).subspan(4);
}

std::string Item::describe() const {
  std::string s;
  switch (type) {
    case ContentType::handshake:
      s = data.empty() ? "empty handshake"
                       : std::string(wire::handshake_type_name(static_cast<HandshakeType>(data[0])));
      break;
    case ContentType::alert:
      s = data.size() == 2 ? "alert(" + std::string(data[0] == 2 ? "fatal" : "warning") + ", " +
                                 alert_name(static_cast<AlertDescription>(data[1])) + ")"
                           : "alert of " + std::to_string(data.size()) + " bytes";
      break;
    case ContentType::change_cipher_spec: s = "ChangeCipherSpec"; break;
    case ContentType::application_data: s = "application data (" + std::to_string(data.size()) + " bytes)"; break;
    default: s = "raw bytes (" + std::to_string(data.size()) + ")"; break;
  }
  return s + "@" + (epoch == kEarlyKeys ? std::string("early") : std::to_string(epoch));
}

Item handshake_item(Bytes message, unsigned epoch) {
  Item i;
  i.type = ContentType::handshake;
  i.data = std::move(message);
  i.epoch = epoch;
  return i;
}

Item handshake_item(HandshakeType type, ByteView body, unsigned epoch) {
  Bytes m = {static_cast<uint8_t>(type), uint8_t(body.size() >> 16), uint8_t(body.size() >> 8), uint8_t(body.size())};
  m.insert(m.end(), body.begin(), body.end());
  return handshake_item(std::move(m), epoch);
}

Item alert_item(AlertDescription alert, unsigned epoch, uint8_t level) {
  return record_item(ContentType::alert, Bytes{level, static_cast<uint8_t>(alert)}, epoch);
}

Item record_item(ContentType type, Bytes data, unsigned epoch) {
  Item i;
  i.type = type;
  i.data = std::move(data);
  i.epoch = epoch;
  i.own_record = true;
  return i;
}

Item raw_item(Bytes wire_bytes) {
  Item i;
  i.type = ContentType::invalid;
  i.data = std::move(wire_bytes);
  i.own_record = true;
  return i;
}

Bytes raw_record(ContentType type, ByteView body, uint16_t version) {
  Bytes r = {static_cast<uint8_t>(type), uint8_t(version >> 8), uint8_t(version), uint8_t(body.size() >> 8),
             uint8_t(body.size())};
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

// --- Flight ---

size_t Flight::find(HandshakeType t, size_t nth) const {
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].is(t) && nth-- == 0) return i;
  return items.size();
}

Item& Flight::get(HandshakeType t) {
  const size_t i = find(t);
  if (i == items.size()) {
    ADD_FAILURE() << "flight " << describe() << " has no " << wire::handshake_type_name(t);
    static Item dummy;
    dummy = Item{};
    return dummy;
  }
  return items[i];
}

void Flight::drop(HandshakeType t) {
  const size_t i = find(t);
  if (i == items.size()) {
    ADD_FAILURE() << "flight " << describe() << " has no " << wire::handshake_type_name(t) << " to drop";
    return;
  }
  items.erase(items.begin() + static_cast<ptrdiff_t>(i));
}

void Flight::insert_before(HandshakeType t, Item item) {
  const size_t i = find(t);
  if (i == items.size()) ADD_FAILURE() << "flight " << describe() << " has no " << wire::handshake_type_name(t);
  items.insert(items.begin() + static_cast<ptrdiff_t>(i), std::move(item));
}

void Flight::insert_after(HandshakeType t, Item item) {
  const size_t i = find(t);
  if (i == items.size()) {
    ADD_FAILURE() << "flight " << describe() << " has no " << wire::handshake_type_name(t);
    items.push_back(std::move(item));
    return;
  }
  items.insert(items.begin() + static_cast<ptrdiff_t>(i) + 1, std::move(item));
}

std::string Flight::describe() const {
  std::string s = std::string(dir_name(dir)) + " [";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i].describe();
  return s + "]";
}

// --- Mitm ---

Mitm::~Mitm() = default;

Result<std::unique_ptr<Mitm>> Mitm::create(ClientOptions c, ServerOptions s, const std::string& host,
                                           const SessionTicket* ticket) {
  std::unique_ptr<Mitm> m(new Mitm());
  Mitm* self = m.get();
  c.keylog = [self, chained = c.keylog](const std::string& line) {
    self->on_keylog(Side::client, line);
    if (chained) chained(line);
  };
  s.keylog = [self, chained = s.keylog](const std::string& line) {
    self->on_keylog(Side::server, line);
    if (chained) chained(line);
  };
  auto cc = ClientConfig::create(std::move(c));
  if (!cc) return fail(cc.error());
  auto sc = ServerConfig::create(std::move(s));
  if (!sc) return fail(sc.error());
  auto name = ServerName::parse(host);
  if (!name) return fail(name.error());
  auto client = ticket ? ClientConnection::create(*cc, *name, *ticket) : ClientConnection::create(*cc, *name);
  if (!client) return fail(client.error());
  auto server = ServerConnection::create(*sc);
  if (!server) return fail(server.error());
  if (ticket) m->early_suite_ = ticket->cipher_suite;
  m->client_.emplace(std::move(*client));
  m->server_.emplace(std::move(*server));
  return m;
}

void Mitm::on_keylog(Side logger, const std::string& line) {
  // "LABEL <client_random hex> <secret hex>". Each side's own write secrets are the ones
  // that matter: they are logged when installed, before any record goes out under them.
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) {
    ADD_FAILURE() << "malformed key log line: " << line;
    return;
  }
  const std::string label = line.substr(0, sp1);
  if (label == "CLIENT_RANDOM") {
    // TLS 1.2: one master secret for both directions, whichever side logs it.
    auto master = unhex(std::string_view(line).substr(sp2 + 1));
    if (master) master_ = std::move(*master);
    return;
  }
  const std::string prefix = logger == Side::client ? "CLIENT_" : "SERVER_";
  if (!label.starts_with(prefix)) return;
  auto secret = unhex(std::string_view(line).substr(sp2 + 1));
  if (!secret) {
    ADD_FAILURE() << "key log line with a bad secret: " << line;
    return;
  }
  // The client logs its early traffic secret when it offers early data (RFC 8446 §4.2.10).
  if (label == "CLIENT_EARLY_TRAFFIC_SECRET") client_early_ = true;
  logged_[idx(from(logger))][label] = std::move(*secret);
}

std::optional<crypto::Secret> Mitm::secret(Dir dir, unsigned epoch) {
  if (epoch == kPlaintext) return std::nullopt;
  if (epoch <= kApplicationKeys || epoch == kEarlyKeys) {
    const auto& m = logged_[idx(dir)];
    const auto it = m.find(std::string(label_of_epoch(dir, epoch)));
    if (it == m.end()) return std::nullopt;
    return crypto::Secret(it->second);
  }
  // RFC 8446 §7.2: application_traffic_secret_N+1 from N.
  auto& d = derived_[idx(dir)];
  if (auto it = d.find(epoch); it != d.end()) return crypto::Secret(it->second);
  if (!suite_) return std::nullopt;
  auto prev = secret(dir, epoch - 1);
  if (!prev) return std::nullopt;
  const auto next = keysched::next_traffic_secret(handshake::tls13_suite(*suite_)->hash, prev->view());
  d[epoch] = Bytes(next.view().begin(), next.view().end());
  return crypto::Secret(next.view());
}

void Mitm::learn_suite(const Item& item) {
  if (item.is(HandshakeType::client_hello) && item.body().size() >= 34)
    client_random_.assign(item.body().begin() + 2, item.body().begin() + 34);
  // The suite of a HelloRetryRequest is the suite of the ServerHello (RFC 8446 §4.1.4).
  if (!item.is(HandshakeType::server_hello)) return;
  auto sh = wire::ServerHello::decode(item.body());
  if (sh && handshake::tls13_suite(sh->cipher_suite)) suite_ = sh->cipher_suite;
  if (sh && handshake::tls12_suite(sh->cipher_suite) &&
      !wire::find_extension(sh->extensions, wire::ExtensionType::supported_versions)) {
    tls12_ = true;
    suite_ = sh->cipher_suite;
    server_random_.assign(sh->random.begin(), sh->random.end());
  }
}

bool Mitm::install13(Dir dir, unsigned epoch, record::Protection& prot) {
  const auto suite = suite_of(epoch);
  const auto p = suite ? handshake::tls13_suite(*suite) : std::nullopt;
  auto s = secret(dir, epoch);
  return p && s && test::install_tls13(prot, p->aead, p->hash, s->view()).has_value();
}

void Mitm::follow_early_answer(Dir dir, const std::vector<Item>& items) {
  if (dir != Dir::to_client || !client_early_) return;
  for (const Item& item : items) {
    bool declined = is_hello_retry_request(item);
    if (item.is(HandshakeType::encrypted_extensions)) {
      auto ee = wire::EncryptedExtensions::decode(item.body());
      declined = !ee || !wire::find_extension(ee->extensions, wire::ExtensionType::early_data);
    }
    if (!declined) continue;
    // RFC 8446 §4.2.10: declined, the client's next protected records use its handshake
    // keys (after a HelloRetryRequest, once its second ClientHello has gone in the clear).
    client_early_ = false;
    Inbound& in = in_[idx(Dir::to_server)];
    if (in.epoch == kEarlyKeys) in.epoch = kPlaintext;
    return;
  }
}

bool Mitm::install12(Dir dir, record::Protection& prot) const {
  if (!suite_ || master_.empty() || client_random_.size() != 32 || server_random_.size() != 32) return false;
  const auto p = handshake::tls12_suite(*suite_);
  if (!p) return false;
  const auto kb = keysched::tls12::key_block(p->hash, p->aead, master_, client_random_, server_random_);
  const bool client = dir == Dir::to_server;
  return prot
      .install(p->aead, (client ? kb.client_write_key : kb.server_write_key).view(),
               (client ? kb.client_write_iv : kb.server_write_iv).view(), record::RecordForm::tls12)
      .has_value();
}

void Mitm::take_handshake(Dir dir, ByteView data, std::vector<Item>& out) {
  Inbound& in = in_[idx(dir)];
  in.hs_buffer.insert(in.hs_buffer.end(), data.begin(), data.end());
  size_t used = 0;
  while (in.hs_buffer.size() - used >= 4) {
    const size_t len = (size_t{in.hs_buffer[used + 1]} << 16) | (size_t{in.hs_buffer[used + 2]} << 8) |
                       in.hs_buffer[used + 3];
    if (in.hs_buffer.size() - used < 4 + len) break;
    Item item = handshake_item(Bytes(in.hs_buffer.begin() + static_cast<ptrdiff_t>(used),
                                     in.hs_buffer.begin() + static_cast<ptrdiff_t>(used + 4 + len)),
                               in.epoch);
    used += 4 + len;
    learn_suite(item);
    // RFC 8446 §4.4.4 / §4.6.3: the sender switches its write keys right after its own
    // Finished and after each KeyUpdate (TLS 1.2 switches at ChangeCipherSpec instead). The
    // Finished of a post-handshake authentication (§4.6.2), sent under application keys,
    // changes none.
    // The client's EndOfEarlyData ends its early keys (§4.5).
    const bool handshake_finished = item.is(HandshakeType::finished) && in.epoch < kApplicationKeys;
    const bool end_of_early = item.is(HandshakeType::end_of_early_data) && in.epoch == kEarlyKeys;
    const bool switches =
        !tls12_ && (handshake_finished || end_of_early || (item.is(HandshakeType::key_update) && in.epoch != kEarlyKeys));
    out.push_back(std::move(item));
    if (switches) {
      if (used != in.hs_buffer.size())
        ADD_FAILURE() << dir_name(dir) << ": handshake data follows a key change in the same record";
      in.epoch = end_of_early ? kHandshakeKeys : in.epoch + 1;
      if (!install13(dir, in.epoch, in.prot)) ADD_FAILURE() << dir_name(dir) << ": no key known for epoch " << in.epoch;
    }
  }
  in.hs_buffer.erase(in.hs_buffer.begin(), in.hs_buffer.begin() + static_cast<ptrdiff_t>(used));
}

void Mitm::parse(Dir dir, ByteView bytes, std::vector<Item>& out) {
  Inbound& in = in_[idx(dir)];
  in.deframer.feed(bytes);
  for (;;) {
    auto next = in.deframer.next();
    if (!next) {
      ADD_FAILURE() << dir_name(dir) << ": the sender wrote a malformed record: " << next.error().to_string();
      return;
    }
    if (!*next) return;
    const record::Record& rec = **next;
    const Bytes body(rec.body.begin(), rec.body.end());
    // TLS 1.2 records keep their true type under protection (RFC 5246 §6.2.3.3).
    const bool protected12 = tls12_ && in.epoch != kPlaintext;
    switch (protected12 ? ContentType::invalid : rec.type) {
      case ContentType::change_cipher_spec:
        out.push_back(record_item(rec.type, body, kPlaintext));
        // RFC 5246 §7.1: the sender's next records use the new keys.
        if (tls12_) {
          in.epoch = kApplicationKeys;
          if (!install12(dir, in.prot)) ADD_FAILURE() << dir_name(dir) << ": no TLS 1.2 keys at ChangeCipherSpec";
        }
        continue;
      case ContentType::alert:
        out.push_back(record_item(rec.type, body, kPlaintext));
        continue;
      case ContentType::handshake:
        if (in.epoch != kPlaintext) ADD_FAILURE() << dir_name(dir) << ": plaintext handshake record under keys";
        take_handshake(dir, body, out);
        continue;
      default:
        break;
    }
    // A protected record. The first one uses the handshake traffic keys (RFC 8446 §7.1), or
    // the client's early traffic keys when it offered early data (§2.3).
    if (!tls12_ && in.epoch == kPlaintext) {
      in.epoch = dir == Dir::to_server && client_early_ ? kEarlyKeys : kHandshakeKeys;
      if (!install13(dir, in.epoch, in.prot)) {
        ADD_FAILURE() << dir_name(dir) << ": protected record before the harness knows the keys";
        return;
      }
    }
    auto opened = in.prot.open(rec);
    if (!opened) {
      ADD_FAILURE() << dir_name(dir) << ": the harness cannot decrypt a record of epoch " << in.epoch << ": "
                    << opened.error().to_string();
      return;
    }
    const Bytes plain(opened->plaintext.begin(), opened->plaintext.end());
    if (opened->type == ContentType::handshake) {
      take_handshake(dir, plain, out);
    } else {
      out.push_back(record_item(opened->type, plain, in.epoch));
    }
  }
}

void Mitm::seal_into(Dir dir, unsigned epoch, ContentType type, ByteView data, size_t padding,
                     std::vector<Bytes>& records) {
  if (epoch == kPlaintext) {
    records.push_back(raw_record(type, data));
    return;
  }
  Bytes inner(data.begin(), data.end());
  inner.push_back(static_cast<uint8_t>(type));
  inner.resize(inner.size() + padding, 0);
  if (inner.size() <= record::kMaxInnerPlaintext) {
    auto& slot = out_[idx(dir)][epoch];
    if (!slot && tls12_) {
      slot = std::make_unique<record::Protection>();
      if (!install12(dir, *slot)) {
        ADD_FAILURE() << dir_name(dir) << ": no TLS 1.2 keys to forward records";
        return;
      }
    }
    if (!slot) {
      slot = std::make_unique<record::Protection>();
      if (!install13(dir, epoch, *slot)) {
        ADD_FAILURE() << dir_name(dir) << ": no key to forward records of epoch " << epoch;
        return;
      }
    }
    Buffer b;
    if (!slot->seal(type, data, padding, b)) {
      ADD_FAILURE() << dir_name(dir) << ": sealing failed";
      return;
    }
    records.emplace_back(b.view().begin(), b.view().end());
    return;
  }
  records.push_back(seal_raw(dir, epoch, inner));
}

Bytes Mitm::seal_raw(Dir dir, unsigned epoch, ByteView inner) {
  // Like Protection::seal, without its limits: the record a broken peer could send.
  if (tls12_) {
    ADD_FAILURE() << dir_name(dir) << ": oversized protected records are only forged for TLS 1.3";
    return {};
  }
  auto& slot = out_[idx(dir)][epoch];
  auto s = secret(dir, epoch);
  const auto suite = suite_of(epoch);
  if (!s || !suite) {
    ADD_FAILURE() << dir_name(dir) << ": no key for epoch " << epoch;
    return {};
  }
  const auto params = *handshake::tls13_suite(*suite);
  if (!slot) {
    slot = std::make_unique<record::Protection>();
    if (!install13(dir, epoch, *slot)) ADD_FAILURE() << "install failed";
  }
  const auto keys = keysched::traffic_keys(params.hash, params.aead, s->view());
  crypto::AeadCtx ctx;
  if (!ctx.set_key(params.aead, keys.key.view())) ADD_FAILURE() << "set_key failed";
  uint8_t nonce[crypto::kAeadNonceLen];
  std::memcpy(nonce, keys.iv.view().data(), sizeof nonce);
  const uint64_t seq = slot->sequence();
  for (int i = 0; i < 8; ++i) nonce[crypto::kAeadNonceLen - 1 - i] ^= static_cast<uint8_t>(seq >> (8 * i));
  slot->set_sequence(seq + 1);
  const size_t body_len = inner.size() + crypto::kAeadTagLen;
  Bytes rec = {23, 3, 3, uint8_t(body_len >> 8), uint8_t(body_len)};
  rec.resize(record::kHeaderLen + body_len);
  if (!ctx.seal(nonce, ByteView(rec).first(record::kHeaderLen), inner, MutByteView(rec).subspan(record::kHeaderLen)))
    ADD_FAILURE() << "AEAD seal failed";
  return rec;
}

std::vector<Bytes> Mitm::encode(Dir dir, const std::vector<Item>& items) {
  std::vector<Bytes> records;
  Bytes pending;
  unsigned pending_epoch = kPlaintext;
  const auto flush = [&] {
    ByteView rest(pending);
    while (!rest.empty()) {
      const size_t n = std::min(rest.size(), record::kMaxPlaintext);
      seal_into(dir, pending_epoch, ContentType::handshake, rest.first(n), 0, records);
      rest = rest.subspan(n);
    }
    pending.clear();
  };
  for (const Item& item : items) {
    const bool coalesce = item.type == ContentType::handshake && !item.own_record && item.padding == 0;
    if (coalesce) {
      if (!pending.empty() && pending_epoch != item.epoch) flush();
      pending_epoch = item.epoch;
      pending.insert(pending.end(), item.data.begin(), item.data.end());
      continue;
    }
    flush();
    if (item.type == ContentType::invalid) {
      records.push_back(item.data);
    } else {
      seal_into(dir, item.epoch, item.type, item.data, item.padding, records);
    }
  }
  flush();
  return records;
}

Status Mitm::send(Dir dir, std::vector<Bytes> records) {
  if (on_records) on_records(dir, records);
  Connection& to = receiver(dir);
  Bytes all;
  for (const Bytes& r : records) all.insert(all.end(), r.begin(), r.end());
  if (all.empty()) return {};
  return offer_all(to, all);
}

Status Mitm::step(Dir dir) {
  Connection& from_conn = sender(dir);
  if (!from_conn.wants_write()) return {};
  const Bytes bytes(from_conn.pending_output().begin(), from_conn.pending_output().end());
  from_conn.consume_output(bytes.size());
  Flight flight{dir, {}};
  parse(dir, bytes, flight.items);
  auto& orig = original_[idx(dir)];
  orig.insert(orig.end(), flight.items.begin(), flight.items.end());
  if (on_flight) on_flight(flight);
  auto& fwd = forwarded_[idx(dir)];
  fwd.insert(fwd.end(), flight.items.begin(), flight.items.end());
  follow_early_answer(dir, flight.items);
  return send(dir, encode(dir, flight.items));
}

void Mitm::run(int max_rounds) {
  for (int i = 0; i < max_rounds; ++i) {
    const bool moved = client_->wants_write() || server_->wants_write();
    if (!moved) return;
    (void)step(Dir::to_server);
    (void)step(Dir::to_client);
  }
  ADD_FAILURE() << "mitm: connections still talking after " << max_rounds << " rounds";
}

Status Mitm::deliver(Dir dir, std::vector<Item> items) {
  auto& fwd = forwarded_[idx(dir)];
  fwd.insert(fwd.end(), items.begin(), items.end());
  follow_early_answer(dir, items);
  return send(dir, encode(dir, items));
}

Status Mitm::deliver_raw(Dir dir, ByteView bytes) {
  return send(dir, {Bytes(bytes.begin(), bytes.end())});
}

const Item* Mitm::last_forwarded(Dir dir) const {
  const auto& f = forwarded_[idx(dir)];
  return f.empty() ? nullptr : &f.back();
}

// --- assertions ---

namespace {

std::string show(const std::optional<Error>& e) { return e ? e->to_string() : std::string("(no error)"); }

template <typename T>
void expect_same_error(const Error& want, const Result<T>& got, const char* call) {
  if (got) {
    ADD_FAILURE() << call << " succeeded on a failed connection";
    return;
  }
  EXPECT_EQ(error_kind_name(got.error().kind), error_kind_name(want.kind)) << call;
  EXPECT_EQ(alert_name(got.error().alert), alert_name(want.alert)) << call;
  EXPECT_EQ(got.error().message, want.message) << call;
}

}  // namespace

void expect_stays_failed(Connection& c) {
  ASSERT_TRUE(c.error().has_value());
  const Error e = *c.error();
  EXPECT_FALSE(c.wants_write()) << "output left after the error";
  expect_same_error(e, c.write(Bytes{'x'}), "write()");
  expect_same_error(e, c.receive(raw_record(ContentType::application_data, Bytes(20, 0))), "receive()");
  expect_same_error(e, c.receive(raw_record(ContentType::alert, Bytes{1, 0})), "receive(close_notify)");
  expect_same_error(e, c.key_update(true), "key_update()");
  c.close();
  EXPECT_FALSE(c.wants_write()) << "a failed connection sent something more";
  ASSERT_TRUE(c.error().has_value());
  EXPECT_EQ(c.error()->message, e.message);
}

void expect_fatal(Mitm& m, Side detector, AlertDescription alert, std::string_view text) {
  const Side peer = detector == Side::client ? Side::server : Side::client;
  const char* who = detector == Side::client ? "client" : "server";
  Connection& d = m.conn(detector);
  Connection& p = m.conn(peer);
  ASSERT_TRUE(d.error().has_value()) << "the " << who << " did not fail; the peer's error: " << show(p.error())
                                     << "; forwarded " << Flight{from(detector), m.forwarded(from(detector))}.describe();
  EXPECT_EQ(alert_name(d.error()->alert), alert_name(alert)) << d.error()->to_string();
  EXPECT_NE(error_kind_name(d.error()->kind), error_kind_name(ErrorKind::alert_received)) << d.error()->to_string();
  EXPECT_NE(d.error()->message.find(text), std::string::npos)
      << "message \"" << d.error()->message << "\" lacks \"" << text << "\"";
  // The alert went out, fatal, and was the last thing the detecting side sent.
  const Item* last = m.last_forwarded(from(detector));
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(last->is_alert() && last->data == Bytes({2, static_cast<uint8_t>(alert)}))
      << "the " << who << " last sent " << last->describe();
  ASSERT_TRUE(p.error().has_value()) << "the peer did not fail";
  EXPECT_EQ(error_kind_name(p.error()->kind), error_kind_name(ErrorKind::alert_received)) << p.error()->to_string();
  EXPECT_EQ(alert_name(p.error()->alert), alert_name(alert)) << p.error()->to_string();
  EXPECT_NE(p.error()->message.find(alert_name(alert)), std::string::npos) << p.error()->message;
  expect_stays_failed(d);
  expect_stays_failed(p);
}

// --- rewriting ---

void set_extension(std::vector<wire::Extension>& exts, wire::ExtensionType t, ByteView data) {
  for (auto& e : exts)
    if (e.type == static_cast<uint16_t>(t)) {
      e.data = data;
      return;
    }
  exts.push_back({static_cast<uint16_t>(t), data});
}

void remove_extension(std::vector<wire::Extension>& exts, wire::ExtensionType t) {
  std::erase_if(exts, [t](const wire::Extension& e) { return e.type == static_cast<uint16_t>(t); });
}

bool is_hello_retry_request(const Item& item) {
  if (!item.is(HandshakeType::server_hello)) return false;
  const ByteView b = item.body();
  return b.size() >= 34 && std::equal(wire::kHelloRetryRequestRandom.begin(), wire::kHelloRetryRequestRandom.end(),
                                      b.begin() + 2);
}

}  // namespace tlspp::test
