#include "conn/core.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>

#include "tlspp/session_store.h"
#include "wire/messages.h"

namespace tlspp {

using record::ContentType;

namespace {

constexpr unsigned kMaxEmptyRecords = 32;
constexpr unsigned kMaxWarningAlerts = 4;
// RFC 8446 §5.5: AES-GCM keys may protect at most 2^24.5 full-size records; update well
// before. ChaCha20-Poly1305's limit is beyond reach, but a periodic update costs little.
constexpr uint64_t kAeadRecordLimit = uint64_t{1} << 24;


uint32_t be24(ByteView b) { return (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]; }

}  // namespace

namespace {
std::atomic<uint64_t> next_connection_id{1};
}

Connection::Core::Core(Side s, const CommonOptions& opts, std::unique_ptr<handshake::Handshake> h)
    : side(s), id(next_connection_id.fetch_add(1, std::memory_order_relaxed)), options(opts), hs(std::move(h)) {}

Connection::Core::~Core() = default;


RandomSource& Connection::Core::random() {
  if (options.random) return *options.random;
  static SystemRandom system;  // stateless: its pool is per thread
  return system;
}

std::time_t Connection::Core::now() { return options.clock ? options.clock() : std::time(nullptr); }

void Connection::Core::session_received(SessionTicket ticket) {
  if (session_store) {
    const std::string name = ticket.server_name;
    session_store->put(name, std::move(ticket));
  } else {
    tickets.push_back(std::move(ticket));
  }
}

void Connection::Core::set_client_random(ByteView r) {
  std::memcpy(client_random, r.data(), std::min(r.size(), sizeof client_random));
  have_client_random = true;
}

void Connection::Core::event(Event& e) {
  e.side = side;
  e.when = std::chrono::steady_clock::now();
  e.connection_id = id;
  const bool sending =
      e.type == EventType::message_sent || e.type == EventType::alert_sent || e.type == EventType::application_data_sent;
  e.encrypted = (sending ? write_prot : read_prot).active();
  options.on_event(e);
}

void Connection::Core::event(EventType type, std::string_view name, size_t size) {
  if (!options.on_event) return;
  Event e{};
  e.type = type;
  e.name = name;
  e.size = size;
  event(e);
}

void Connection::Core::message_event(EventType type, MessageInfo what, size_t size, handshake::Details details) {
  if (!options.on_event) return;
  std::string name(message_type_name(what.type));
  if (what.retry) name += " (retry)";
  Event e{};
  e.type = type;
  e.name = std::move(name);
  e.size = size;
  e.details = std::move(details);
  e.message = what;
  event(e);
}

void Connection::Core::keys_event(KeysInfo keys, handshake::Details details) {
  if (!options.on_event) return;
  std::string name(key_epoch_name(keys.epoch));
  name += " traffic keys (";
  name += direction_name(keys.direction);
  if (keys.update) name += ", updated";
  name += ")";
  Event e{};
  e.type = EventType::keys_installed;
  e.name = std::move(name);
  e.details = std::move(details);
  e.keys = keys;
  event(e);
}

void Connection::Core::alert_event(EventType type, AlertDescription description, AlertLevel level) {
  if (!options.on_event) return;
  Event e{};
  e.type = type;
  e.name = alert_name(description);
  e.size = 2;
  e.details = {{"level", level == AlertLevel::fatal ? "fatal" : "warning"}};
  e.alert = {description, level};
  event(e);
}

void Connection::Core::message_received(MessageInfo what, size_t size, handshake::Details details) {
  message_event(EventType::message_received, what, size, std::move(details));
}

std::unexpected<Error> Connection::Core::fatal(Error e) {
  if (!error) {
    hs_out.clear();
    app_pending.clear();
    if (e.kind != ErrorKind::alert_received && e.kind != ErrorKind::closed && e.kind != ErrorKind::io &&
        e.kind != ErrorKind::truncated)
      send_alert(e.alert, true);
    error = e;
  }
  return std::unexpected(*error);
}

void Connection::Core::send_alert(AlertDescription alert, bool fatal_level) {
  // RFC 8446 §6: alerts are sent under the current write keys, one per record.
  const uint8_t body[2] = {uint8_t(fatal_level ? 2 : 1), static_cast<uint8_t>(alert)};
  if (write_prot.active()) {
    if (!write_prot.seal(ContentType::alert, body, 0, out)) return;
  } else {
    record::write_plaintext_record(out, ContentType::alert, body);
  }
  if (tracing()) alert_event(EventType::alert_sent, alert, fatal_level ? AlertLevel::fatal : AlertLevel::warning);
}

Status Connection::Core::start() {
  if (auto s = hs->start(*this); !s) return fatal(s.error());
  if (auto s = flush_handshake(); !s) return fatal(s.error());
  return {};
}

Result<size_t> Connection::Core::receive(ByteView data) {
  if (error) return std::unexpected(*error);
  const size_t offered = data.size();
  // One path for every record. Once connected, whole records are read where the caller has
  // them and application data is decrypted straight into the read buffer; before that, and
  // for a record split across calls, the deframer buffers one record at a time.
  while (!peer_closed) {
    // Back-pressure: no more records while the application is behind on reading or sending.
    if (app_in.size() >= options.read_buffer_limit || out.size() > options.output_limit) break;
    auto next = deframer.next(data, handshake_done);
    if (!next) return fatal(next.error());
    if (!*next) break;
    if (auto s = process_record(**next); !s) return fatal(s.error());
    if (error) return std::unexpected(*error);
  }
  if (auto s = flush_handshake(); !s) return fatal(s.error());
  // An idle connection keeps no receive buffer (DESIGN.md: quiet connections cost little).
  deframer.release_if_empty();
  // RFC 8446 §6.1: data received after a closure alert is ignored (and so taken).
  return peer_closed ? offered : offered - data.size();
}

Status Connection::Core::skip_early_record(const record::Record& rec) {
  // §4.2.10: "If the server ... receives more than max_early_data_size, it SHOULD abort
  // with unexpected_message".
  if (rec.body.size() > early_skip_budget)
    return fail(Error::unexpected("more early data than the server skips (" + std::to_string(early_skip_budget) +
                                  " bytes left) after declining it"));
  early_skip_budget -= rec.body.size();
  if (early_skip_budget == 0) early_skip_budget = 1;  // still skipping, with nothing left to skip
  if (tracing()) event(EventType::application_data_received, "early data (skipped)", rec.body.size());
  return {};
}

Status Connection::Core::process_record(const record::Record& rec) {
  if (rec.type == ContentType::change_cipher_spec) return process_change_cipher_spec(rec);
  if (early_skip_budget > 0 && early_skip_by_type) {
    if (rec.type == ContentType::application_data) return skip_early_record(rec);
    early_skip_budget = 0;  // the second ClientHello: no more early data
  }
  if (read_prot.active()) return process_protected(rec);
  if (rec.type == ContentType::application_data)
    return fail(Error::unexpected("application data record before any keys were established"));
  if (rec.body.size() > record::kMaxPlaintext)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::record_overflow,
                      "plaintext record of " + std::to_string(rec.body.size()) + " bytes exceeds 2^14"});
  return process_content(rec.type, rec.body);
}

Status Connection::Core::process_change_cipher_spec(const record::Record& rec) {
  // RFC 8446 §5: an unprotected ChangeCipherSpec of the single byte 0x01, between the first
  // ClientHello and the peer's Finished, is dropped; RFC 5246 §7.1: in TLS 1.2 it comes just
  // before the peer's Finished and switches its keys. Anything else is fatal.
  if (rec.body.size() != 1 || rec.body[0] != 1)
    return fail(Error::unexpected("ChangeCipherSpec record with invalid contents"));
  if (handshake_done || !hs) return fail(Error::unexpected("ChangeCipherSpec received after the handshake"));
  if (!hs->ccs_allowed() || !hs_in.empty() || (read_prot.active() && read_prot.form() == record::RecordForm::tls12))
    return fail(Error::unexpected("ChangeCipherSpec received in state " + std::string(hs->state_name()) +
                                  (hs_in.empty() ? "" : ", within a fragmented handshake message")));
  if (++empty_records > kMaxEmptyRecords) return fail(Error::unexpected("too many ChangeCipherSpec records"));
  if (tracing()) message_event(EventType::message_received, {MessageType::change_cipher_spec}, 1, {});
  return hs->change_cipher_spec(*this);
}

Status Connection::Core::process_protected(const record::Record& rec) {
  if (read_prot.form() == record::RecordForm::tls13 && rec.type != ContentType::application_data) {
    if (rec.type == ContentType::alert && read_epoch == KeyEpoch::handshake && !handshake_done) {
      // A peer that failed before deriving its handshake keys can only send its alert in
      // the clear; report it rather than complain about the record type.
      return process_alert(rec.body);
    }
    return fail(Error::unexpected(std::string("unprotected ") +
                                  (rec.type == ContentType::handshake ? "handshake" : "alert") +
                                  " record after encryption started"));
  }
  if (!handshake_done && rec.writable) {
    // During the handshake, records are decrypted in place in the receive buffer.
    auto opened = read_prot.open(rec);
    if (!opened) {
      // Declined early data is under keys we do not have: skipped, not an attack.
      if (early_skip_budget > 0 && rec.type == ContentType::application_data) return skip_early_record(rec);
      return std::unexpected(opened.error());
    }
    early_skip_budget = 0;  // the client's handshake keys: its early data has ended
    TLSPP_TRY(check_record_size(rec, opened->plaintext.size()));
    return process_content(opened->type, opened->plaintext);
  }
  // Connected: decrypted straight into the read buffer, one pass over the bytes instead of
  // decrypting and copying. Anything but application data moves out again.
  MutByteView dst = app_in.append_uninit(rec.body.size());
  auto opened = read_prot.open(rec.header, rec.body, dst);
  if (!opened) {
    app_in.trim_tail(dst.size());
    return std::unexpected(opened.error());
  }
  if (auto s = check_record_size(rec, opened->plaintext.size()); !s) {
    app_in.trim_tail(dst.size());
    return s;
  }
  if (opened->type == ContentType::application_data && !opened->plaintext.empty() && hs_in.empty() &&
      handshake_done) {
    const size_t n = opened->plaintext.size();
    if (opened->plaintext.data() != dst.data()) std::memmove(dst.data(), opened->plaintext.data(), n);
    app_in.trim_tail(dst.size() - n);
    empty_records = 0;
    warning_alerts = 0;
    if (connected) connected->application_data_received();
    if (tracing()) event(EventType::application_data_received, "application data", n);
    return {};
  }
  const Bytes other(opened->plaintext.begin(), opened->plaintext.end());
  app_in.trim_tail(dst.size());
  // A post-handshake message (a ticket, say) was decrypted here: give the space back unless
  // application data is waiting, so that idle connections keep no empty read buffer.
  app_in.release_if_empty();
  return process_content(opened->type, other);
}

Status Connection::Core::process_content(ContentType type, ByteView body) {
  // RFC 8446 §5.1: a handshake message split over records may not have other records
  // between its fragments.
  if (type != ContentType::handshake && !hs_in.empty())
    return fail(Error::unexpected("record interleaved within a fragmented handshake message"));
  if (type == ContentType::application_data && !handshake_done &&
      !(side == Side::server && early_status == EarlyData::accepted && read_epoch == KeyEpoch::early))
    return fail(Error::unexpected("application data received before the handshake completed"));
  if (body.empty()) {
    // RFC 8446 §5.1: zero-length fragments of handshake or alert types are not allowed.
    if (type != ContentType::application_data)
      return fail(
          Error::unexpected("empty " + std::string(type == ContentType::alert ? "alert" : "handshake") + " record"));
    if (++empty_records > kMaxEmptyRecords) return fail(Error::unexpected("too many consecutive empty records"));
    return {};
  }
  empty_records = 0;
  switch (type) {
    case ContentType::alert:
      return process_alert(body);
    case ContentType::handshake:
      return process_handshake_bytes(body);
    case ContentType::application_data:
      if (!handshake_done) {
        // Only accepted 0-RTT data comes before the handshake completes (checked above for
        // anything else): kept apart, within the limit the tickets announced (§4.2.10).
        early_bytes += body.size();
        if (early_bytes > early_limit)
          return fail(Error::unexpected("early data over the " + std::to_string(early_limit) +
                                        " bytes the server allows (max_early_data)"));
        early_in.append(body);
        if (tracing()) event(EventType::application_data_received, "early data", body.size());
        return {};
      }
      warning_alerts = 0;
      if (connected) connected->application_data_received();
      app_in.append(body);
      if (tracing()) event(EventType::application_data_received, "application data", body.size());
      return {};
    default:
      return fail(Error::unexpected("record of unexpected content type"));
  }
}

Status Connection::Core::process_alert(ByteView body) {
  // RFC 8446 §5.1 / §6: one alert per record, two bytes, never fragmented.
  if (body.size() != 2) return fail(Error::decode("alert record of " + std::to_string(body.size()) + " bytes"));
  const auto desc = static_cast<AlertDescription>(body[1]);
  if (tracing()) alert_event(EventType::alert_received, desc, body[0] == 1 ? AlertLevel::warning : AlertLevel::fatal);
  if (desc == AlertDescription::close_notify) {
    peer_closed = true;
    return {};
  }
  if (desc == AlertDescription::user_canceled) {
    // §6.1: user_canceled is followed by close_notify; it is the only non-fatal alert.
    if (++warning_alerts > kMaxWarningAlerts) return fail(Error::unexpected("too many warning alerts"));
    return {};
  }
  if (body[0] == 1 && negotiated_.version == ProtocolVersion::tls12) {
    // RFC 5246 §7.2: in TLS 1.2 a warning (no_renegotiation, unrecognized_name, ...) does not
    // end the connection; a peer sending them without end does.
    if (++warning_alerts > kMaxWarningAlerts)
      return fail(Error::unexpected("too many warning alerts without application data"));
    return {};
  }
  // §6: in TLS 1.3 every other alert is fatal whatever its level says.
  std::string why = hs ? hs->explain_peer_alert(desc) : std::string();
  return fail(Error{ErrorKind::alert_received, desc, why.empty() ? "peer sent fatal alert " + alert_name(desc) : why});
}

Status Connection::Core::process_handshake_bytes(ByteView body) {
  const uint64_t keys_before = read_key_generation;
  // Whole messages are handled straight from the record; only a message split across
  // records is copied into hs_in.
  if (!hs_in.empty()) {
    hs_in.insert(hs_in.end(), body.begin(), body.end());
    body = hs_in;
  }
  size_t used = 0;
  while (body.size() - used >= 4) {
    const uint32_t len = be24(body.subspan(used));
    if (len > options.max_handshake_message)
      return fail(Error::illegal("handshake message of " + std::to_string(len) + " bytes exceeds the limit of " +
                                 std::to_string(options.max_handshake_message)));
    if (body.size() - used < 4 + size_t{len}) break;
    TLSPP_TRY(process_handshake_message(body.subspan(used, 4 + len)));
    used += 4 + len;
    if (error) return {};
    // RFC 8446 §5.1: handshake messages must not span a key change; the message that
    // changed the keys must end its record.
    if (read_key_generation != keys_before && used != body.size())
      return fail(Error::unexpected("handshake data follows a key change in the same record"));
  }
  if (read_key_generation != keys_before && used != body.size())
    return fail(Error::unexpected("handshake message spans a key change"));
  if (body.data() == hs_in.data()) {
    hs_in.erase(hs_in.begin(), hs_in.begin() + static_cast<ptrdiff_t>(used));
  } else {
    hs_in.assign(body.begin() + static_cast<ptrdiff_t>(used), body.end());
  }
  if (hs_in.empty()) Bytes().swap(hs_in);
  return {};
}

Status Connection::Core::process_handshake_message(ByteView message) {
  if (handshake_done) return connected->handle(*this, message);
  TLSPP_TRY(hs->handle(*this, message));
  if (hs->done()) TLSPP_TRY(finish_handshake());
  return {};
}

Status Connection::Core::finish_handshake() {
  if (!connected) return fail(Error::internal("the handshake completed without a connected state"));
  handshake_done = true;
  // Nothing of the handshake is needed any more: transcript, keys, peer key, and the
  // buffers that held its messages.
  hs.reset();
  TLSPP_TRY(flush_handshake());
  Bytes().swap(hs_out);
  if (tracing()) event(EventType::handshake_done, "handshake complete", 0);
  if (!app_pending.empty()) {
    Bytes pending;
    pending.swap(app_pending);
    if (tracing()) event(EventType::application_data_sent, "application data", pending.size());
    TLSPP_TRY(write_app_records(pending));
  }
  return {};
}

Status Connection::Core::key_update(bool request_peer) {
  if (error) return std::unexpected(*error);
  if (!handshake_done) return fail(Error::config("KeyUpdate requested before the handshake completed"));
  if (sent_close) return fail(Error::config("KeyUpdate requested after close"));
  if (!connected->can_update_keys())
    return fail(Error::config("KeyUpdate requested on a " +
                              std::string(protocol_version_name(negotiated_.version)) +
                              " connection (TLS 1.2 has no key update)"));
  if (auto s = connected->update_keys(*this, request_peer); !s) return fatal(s.error());
  if (auto s = flush_handshake(); !s) return fatal(s.error());
  return {};
}

Status Connection::Core::request_client_certificate() {
  if (error) return std::unexpected(*error);
  if (!handshake_done) return fail(Error::config("a post-handshake certificate request needs the handshake done"));
  if (sent_close) return fail(Error::config("certificate requested after close"));
  // Refusals that leave the connection as it was (the client did not offer it, a request is
  // outstanding, TLS 1.2) are the application's mistake, not the peer's: not fatal.
  if (auto s = connected->request_client_certificate(*this); !s) {
    if (s.error().kind == ErrorKind::config) return s;
    return fatal(s.error());
  }
  if (auto s = flush_handshake(); !s) return fatal(s.error());
  return {};
}

void Connection::Core::send_message(MessageInfo what, ByteView message, handshake::Details details) {
  if (what.type == MessageType::key_update) key_update_queued = true;
  hs_out.insert(hs_out.end(), message.begin(), message.end());
  if (tracing()) message_event(EventType::message_sent, what, message.size(), std::move(details));
}

Status Connection::Core::flush_handshake() {
  if (hs_out.empty()) return {};
  // A flight leaves coalesced into as few records as the size limit allows.
  TLSPP_TRY(record::write_records(ContentType::handshake, hs_out, write_fragment(), &write_prot, out));
  hs_out.clear();
  if (key_update_queued) {
    key_update_queued = false;
    key_update_end = output_sent + out.size();
  }
  return {};
}

void Connection::Core::send_warning(AlertDescription alert) {
  if (!flush_handshake()) return;
  send_alert(alert, false);
}

void Connection::Core::send_change_cipher_spec() {
  if (!flush_handshake()) return;
  const uint8_t one = 1;
  // RFC 5246 §7.1: TLS 1.2's ChangeCipherSpec goes under the current (old) write keys;
  // TLS 1.3's compatibility one is always in the clear (RFC 8446 Appendix D.4).
  if (write_prot.active() && write_prot.form() == record::RecordForm::tls12) {
    if (!write_prot.seal(ContentType::change_cipher_spec, ByteView(&one, 1), 0, out)) return;
  } else {
    record::write_plaintext_record(out, ContentType::change_cipher_spec, ByteView(&one, 1));
  }
  if (tracing()) message_event(EventType::message_sent, {MessageType::change_cipher_spec}, 1, {});
}

Status Connection::Core::install_keys(Direction direction, const handshake::TrafficKeys& k) {
  const bool write = direction == Direction::write;
  // Messages queued so far leave under the old keys.
  if (write) TLSPP_TRY(flush_handshake());
  record::Protection& prot = write ? write_prot : read_prot;
  TLSPP_TRY(prot.install(k.aead, k.key, k.iv, k.form));
  if (write) {
    records_written_since_key = 0;
    write_epoch = k.epoch;
  } else {
    read_epoch = k.epoch;
    ++read_key_generation;
  }
  if (!k.label.empty()) log_secret(k.label, k.secret);
  if (tracing()) {
    handshake::Details details;
    if (!k.label.empty()) details.emplace_back("label", std::string(k.label));
    if (!k.update) {
      details.emplace_back("aead", std::string(crypto::aead_name(k.aead)));
      details.emplace_back("hash", std::string(crypto::hash_name(k.hash)));
    }
    keys_event({k.epoch, direction, k.update, k.label, crypto::aead_name(k.aead), crypto::hash_name(k.hash)},
               std::move(details));
  }
  return {};
}

void Connection::Core::log_secret(std::string_view label, ByteView secret) {
  if (!options.keylog || label.empty()) return;
  options.keylog(std::string(label) + " " + to_hex(ByteView(client_random, have_client_random ? 32 : 0)) + " " +
                 to_hex(secret));
}

void Connection::Core::set_record_size_limits(ProtocolVersion version, uint16_t peer_limit, uint16_t own_limit) {
  // RFC 8449 §4: the limits count TLSInnerPlaintext (content, type byte, padding) in TLS 1.3
  // and the plaintext in TLS 1.2, and never exceed the version's maximum. tlspp sends no
  // padding, so a TLS 1.3 record carries at most limit - 1 content bytes.
  const bool tls13 = version == ProtocolVersion::tls13;
  const size_t max = tls13 ? record::kMaxInnerPlaintext : record::kMaxPlaintext;
  negotiated_.peer_record_size_limit = peer_limit;
  negotiated_.record_size_limit_negotiated = own_limit != 0;
  if (peer_limit) write_fragment_limit = std::min<size_t>(peer_limit, max) - (tls13 ? 1 : 0);
  read_record_limit = own_limit ? std::min<size_t>(own_limit, max) : 0;
  read_limit_tls13 = tls13;
}

Status Connection::Core::check_record_size(const record::Record& rec, size_t plaintext_len) const {
  if (!read_record_limit) return {};
  // TLS 1.3: the TLSInnerPlaintext is the ciphertext less the AEAD tag; TLS 1.2: the plaintext.
  const size_t size = read_limit_tls13 ? rec.body.size() - std::min(rec.body.size(), crypto::kAeadTagLen) : plaintext_len;
  if (size <= read_record_limit) return {};
  return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::record_overflow,
                    "protected record of " + std::to_string(size) + " bytes exceeds the record_size_limit of " +
                        std::to_string(read_record_limit) + " this side negotiated (RFC 8449)"});
}

void Connection::Core::handshake_complete(std::unique_ptr<handshake::Connected> c) { connected = std::move(c); }

Status Connection::Core::maybe_auto_key_update() {
  // RFC 8446 §5.5: AES-GCM keys may protect at most 2^24.5 full-size records; TLS 1.3 updates
  // them well before. TLS 1.2 cannot (renegotiation is refused); its sequence number limit
  // still holds.
  const uint64_t limit = options.key_update_after_records ? options.key_update_after_records : kAeadRecordLimit;
  if (records_written_since_key >= limit && connected && connected->can_update_keys())
    return connected->update_keys(*this, false);
  return {};
}

void Connection::Core::consume_output(size_t n) {
  n = std::min(n, out.size());
  output_sent += n;
  out.consume(n);
  out.release_if_empty();
}

size_t Connection::Core::move_output(MutByteView dst) {
  const size_t n = std::min(out.size(), dst.size());
  if (n) std::memcpy(dst.data(), out.view().data(), n);
  consume_output(n);
  return n;
}

Status Connection::Core::write_app_records(ByteView data, MutByteView dst, size_t* used) {
  if (connected && !data.empty()) connected->application_data_sent();
  while (!data.empty()) {
    TLSPP_TRY(maybe_auto_key_update());
    const size_t n = std::min(data.size(), write_fragment());
    // A record goes into `dst` while everything queued before it has gone there too and
    // the whole record fits; otherwise into the queue, after what went to `dst`.
    size_t room = 0;
    if (used != nullptr) {
      *used += move_output(dst.subspan(*used));
      room = out.empty() ? dst.size() - *used : 0;
    }
    if (const size_t len = write_prot.sealed_size(n); len <= room) {
      TLSPP_TRY(write_prot.seal(ContentType::application_data, data.first(n), 0, dst.subspan(*used, len)));
      *used += len;
    } else {
      TLSPP_TRY(write_prot.seal(ContentType::application_data, data.first(n), 0, out));
    }
    ++records_written_since_key;
    data = data.subspan(n);
  }
  return {};
}

Status Connection::Core::write_early_data(ByteView data) {
  if (error) return std::unexpected(*error);
  if (side != Side::client || early_status != EarlyData::offered || !write_prot.active() ||
      write_epoch != KeyEpoch::early)
    return fail(Error::config(early_status == EarlyData::not_offered
                                  ? "no early data was offered (it needs ClientOptions::early_data and a ticket that "
                                    "allows 0-RTT)"
                                  : "early data can no longer be written: the server has answered"));
  if (data.size() > early_limit - early_bytes)
    return fail(Error::config("early data of " + std::to_string(data.size()) + " bytes exceeds what the ticket allows (" +
                              std::to_string(early_limit - early_bytes) + " bytes left of max_early_data)"));
  early_bytes += data.size();
  if (tracing()) event(EventType::application_data_sent, "early data", data.size());
  if (auto s = write_app_records(data); !s) return fatal(s.error());
  return {};
}

Status Connection::Core::write(ByteView plaintext) {
  if (error) return std::unexpected(*error);
  if (sent_close) return fail(Error::config("write after close_notify was sent"));
  if (!handshake_done) {
    app_pending.insert(app_pending.end(), plaintext.begin(), plaintext.end());
    return {};
  }
  if (tracing()) event(EventType::application_data_sent, "application data", plaintext.size());
  if (auto s = write_app_records(plaintext); !s) return fatal(s.error());
  return {};
}

Result<size_t> Connection::Core::write_into(ByteView plaintext, MutByteView dst) {
  if (error) return std::unexpected(*error);
  if (sent_close) return fail(Error::config("write after close_notify was sent"));
  size_t used = 0;
  if (handshake_done) {
    if (tracing()) event(EventType::application_data_sent, "application data", plaintext.size());
    if (auto s = write_app_records(plaintext, dst, &used); !s) return fatal(s.error());
  } else {
    TLSPP_TRY(write(plaintext));
  }
  return used + move_output(dst.subspan(used));
}

size_t Connection::Core::sealed_size(size_t plaintext_len) const {
  // Before the handshake the form is not known yet: the larger TLS 1.2 AES-GCM overhead
  // (explicit nonce and tag) bounds both forms.
  const size_t frag = write_fragment();
  size_t total = 0;
  do {
    const size_t n = std::min(plaintext_len, frag);
    total += write_prot.active() ? write_prot.sealed_size(n)
                                 : record::kHeaderLen + record::kExplicitNonceLen + n + crypto::kAeadTagLen;
    plaintext_len -= n;
  } while (plaintext_len > 0);
  return total;
}

size_t Connection::Core::read(MutByteView dst) {
  const size_t n = std::min(dst.size(), app_in.size());
  if (n) std::memcpy(dst.data(), app_in.view().data(), n);
  consume_read(n);
  return n;
}

void Connection::Core::consume_read(size_t n) {
  app_in.consume(std::min(n, app_in.size()));
  app_in.release_if_empty();
}

void Connection::Core::close() {
  if (sent_close || error) return;
  sent_close = true;
  (void)flush_handshake();
  send_alert(AlertDescription::close_notify, false);
}

Status Connection::Core::transport_closed() {
  // RFC 8446 §6.1: only close_notify ends the data; a bare end of stream may be truncation.
  if (peer_closed && handshake_done) return {};
  if (error) return std::unexpected(*error);
  if (!handshake_done) {
    std::string why = hs ? hs->explain_transport_end() : std::string();
    return fatal(Error(ErrorKind::closed, AlertDescription::close_notify,
                       why.empty() ? "the peer closed the connection during the handshake" : why));
  }
  return fatal(Error(ErrorKind::truncated, AlertDescription::close_notify,
                     "the peer closed the connection without close_notify (data may be truncated)"));
}

Result<Bytes> Connection::Core::export_keying_material(std::string_view label, ByteView context, size_t length) const {
  if (!handshake_done) return fail(Error::config("exporter used before the handshake completed"));
  Bytes outb(length);
  TLSPP_TRY(connected->export_keying_material(label, context, outb));
  return outb;
}

// --- Connection: forwards to the core ---

Connection::Connection(std::unique_ptr<Core> c) : core_(std::move(c)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Result<size_t> Connection::receive(ByteView data) { return core_->receive(data); }
size_t Connection::buffered_input() const { return core_->deframer.buffered() + core_->hs_in.size(); }
ByteView Connection::pending_output() const { return core_->out.view(); }
void Connection::consume_output(size_t n) { core_->consume_output(n); }
void Connection::release_idle_memory() {
  core_->read_prot.release();
  core_->write_prot.release();
  core_->deframer.release_if_empty();
  core_->out.release_if_empty();
  core_->app_in.release_if_empty();
  core_->early_in.release_if_empty();
}
Status Connection::write(ByteView plaintext) { return core_->write(plaintext); }
Result<size_t> Connection::write_into(ByteView plaintext, MutByteView out) {
  return core_->write_into(plaintext, out);
}
size_t Connection::sealed_size(size_t plaintext_len) const { return core_->sealed_size(plaintext_len); }
size_t Connection::read(MutByteView out) { return core_->read(out); }
ByteView Connection::read_view() const { return core_->app_in.view(); }
void Connection::consume_read(size_t n) { core_->consume_read(n); }
size_t Connection::readable() const { return core_->app_in.size(); }
EarlyData Connection::early_data() const { return core_->early_status; }
Status Connection::write_early_data(ByteView data) { return core_->write_early_data(data); }
size_t Connection::read_early_data(MutByteView out) {
  const size_t n = std::min(out.size(), core_->early_in.size());
  if (n) std::memcpy(out.data(), core_->early_in.view().data(), n);
  core_->early_in.consume(n);
  core_->early_in.release_if_empty();
  return n;
}
bool Connection::handshake_done() const { return core_->handshake_done; }
bool Connection::peer_closed() const { return core_->peer_closed; }
void Connection::close() { core_->close(); }
Status Connection::transport_closed() { return core_->transport_closed(); }
const std::optional<Error>& Connection::error() const { return core_->error; }
Status Connection::key_update(bool request_peer) { return core_->key_update(request_peer); }
Status ServerConnection::request_client_certificate() { return core_->request_client_certificate(); }
Result<Bytes> Connection::export_keying_material(std::string_view label, ByteView context, size_t length) const {
  return core_->export_keying_material(label, context, length);
}
const Negotiated& Connection::negotiated() const { return core_->negotiated_; }
std::vector<SessionTicket> Connection::take_session_tickets() {
  std::vector<SessionTicket> t;
  t.swap(core_->tickets);
  return t;
}

}  // namespace tlspp
