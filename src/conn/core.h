// The connection core: owns the buffers, the record protection of both directions and
// the handshake state machine, and applies the record-level rules of RFC 8446 §5-6
// (which content types are allowed when, alerts, ChangeCipherSpec, KeyUpdate, limits).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/buffer.h"
#include "crypto/secret.h"
#include "handshake/io.h"
#include "record/record.h"
#include "tlspp/connection.h"

namespace tlspp {

struct Connection::Core final : handshake::Io {
  Core(Side side, const CommonOptions& options, std::unique_ptr<handshake::Handshake> hs);
  ~Core() override;

  // --- the public API, forwarded by Connection ---
  [[nodiscard]] Result<size_t> receive(ByteView data);
  [[nodiscard]] Status write(ByteView plaintext);
  [[nodiscard]] Status write_early_data(ByteView data);
  [[nodiscard]] Result<size_t> write_into(ByteView plaintext, MutByteView dst);
  [[nodiscard]] size_t sealed_size(size_t plaintext_len) const;
  [[nodiscard]] size_t read(MutByteView out);
  void consume_read(size_t n);
  void consume_output(size_t n);
  void close();
  [[nodiscard]] Status transport_closed();
  [[nodiscard]] Status key_update(bool request_peer);
  [[nodiscard]] Status request_client_certificate();
  [[nodiscard]] Result<Bytes> export_keying_material(std::string_view label, ByteView context, size_t length) const;
  [[nodiscard]] Status start();

  // --- handshake::Io ---
  void send_message(MessageInfo what, ByteView message, handshake::Details details) override;
  void send_change_cipher_spec() override;
  void send_warning(AlertDescription alert) override;
  void set_early_data(EarlyData status, size_t limit) override {
    early_status = status;
    early_limit = limit;
  }
  void clear_write_keys() override {
    (void)flush_handshake();
    write_prot = record::Protection();
    write_epoch = KeyEpoch::handshake;
  }
  void skip_early_data(size_t budget, bool by_type) override {
    early_skip_budget = budget;
    early_skip_by_type = by_type;
  }
  [[nodiscard]] Status install_keys(Direction direction, const handshake::TrafficKeys& keys) override;
  void log_secret(std::string_view label, ByteView secret) override;
  void handshake_complete(std::unique_ptr<handshake::Connected> connected) override;
  void session_received(SessionTicket ticket) override;
  void message_received(MessageInfo what, size_t size, handshake::Details details) override;
  [[nodiscard]] bool tracing() const override { return static_cast<bool>(options.on_event); }
  [[nodiscard]] bool key_update_unsent() const override {
    return key_update_queued || key_update_end > output_sent;
  }
  Negotiated& negotiated() override { return negotiated_; }
  RandomSource& random() override;
  [[nodiscard]] std::time_t now() override;
  void set_client_random(ByteView random) override;
  void set_record_size_limits(ProtocolVersion version, uint16_t peer_limit, uint16_t own_limit) override;

  // --- state ---
  std::shared_ptr<const void> config_keepalive;  // the configuration `options` belongs to
  std::shared_ptr<SessionStore> session_store;   // a client's ClientOptions::session_store
  Side side;
  uint64_t id;  // Event::connection_id
  const CommonOptions& options;
  std::unique_ptr<handshake::Handshake> hs;  // freed when the handshake completes
  std::unique_ptr<handshake::Connected> connected;  // the version's post-handshake state
  record::Deframer deframer;
  record::Protection read_prot, write_prot;
  uint64_t read_key_generation = 0;  // bumped at every read key change (§5.1 alignment)
  KeyEpoch read_epoch = KeyEpoch::handshake;  // meaningful once read_prot is active
  Buffer out{Buffer::Contents::public_bytes};  // records ready to send (already protected)
  Bytes hs_out;          // handshake messages queued, not yet framed into records
  Bytes hs_in;           // a handshake message being reassembled across records
  Buffer app_in;         // decrypted application data not yet read
  Bytes app_pending;     // application data written before the handshake completed
  Negotiated negotiated_;
  std::vector<SessionTicket> tickets;
  std::optional<Error> error;
  bool handshake_done = false;
  bool peer_closed = false;
  bool sent_close = false;
  uint8_t client_random[32] = {};
  bool have_client_random = false;

  // Limits on what a peer can make us do without progress (RFC 8446 leaves them to us).
  unsigned empty_records = 0;      // consecutive records carrying nothing
  unsigned warning_alerts = 0;     // user_canceled alerts (the only non-fatal kind)
  uint64_t records_written_since_key = 0;
  size_t early_skip_budget = 0;    // RFC 8446 §4.2.10: rejected early data still to skip
  bool early_skip_by_type = false;
  // 0-RTT: where it stands, the most early data allowed, how much went (client) or came
  // (server), and the early data received (server), kept apart from app_in.
  EarlyData early_status = EarlyData::not_offered;
  size_t early_limit = 0, early_bytes = 0;
  Buffer early_in;
  KeyEpoch write_epoch = KeyEpoch::handshake;  // meaningful once write_prot is active
  // Output bookkeeping for KeyUpdate coalescing: bytes of `out` handed to the network so
  // far, and where in that stream our last KeyUpdate record ends.
  uint64_t output_sent = 0;
  uint64_t key_update_end = 0;
  bool key_update_queued = false;  // in hs_out, not yet framed
  // RFC 8449: the most content bytes one protected record sent may carry, and the largest
  // protected record (TLSInnerPlaintext in TLS 1.3, plaintext in TLS 1.2) accepted, 0 for
  // no limit beyond the protocol's.
  size_t write_fragment_limit = record::kMaxPlaintext;
  size_t read_record_limit = 0;
  bool read_limit_tls13 = true;
  [[nodiscard]] size_t write_fragment() const {
    return write_prot.active() ? write_fragment_limit : record::kMaxPlaintext;
  }

 private:
  // Events, delivered to options.on_event when there is one. `event` fills what every
  // event has (time, connection, protection); the others add their typed fields and name.
  void event(Event& e);
  void event(EventType type, std::string_view name, size_t size);
  void message_event(EventType type, MessageInfo what, size_t size, handshake::Details details);
  void keys_event(KeysInfo keys, handshake::Details details);
  void alert_event(EventType type, AlertDescription description, AlertLevel level);
  [[nodiscard]] Status process_record(const record::Record& rec);
  [[nodiscard]] Status process_change_cipher_spec(const record::Record& rec);
  [[nodiscard]] Status process_protected(const record::Record& rec);
  [[nodiscard]] Status skip_early_record(const record::Record& rec);
  [[nodiscard]] Status check_record_size(const record::Record& rec, size_t plaintext_len) const;
  [[nodiscard]] Status process_content(record::ContentType type, ByteView body);
  [[nodiscard]] Status process_handshake_bytes(ByteView body);
  [[nodiscard]] Status process_handshake_message(ByteView message);
  [[nodiscard]] Status finish_handshake();
  [[nodiscard]] Status process_alert(ByteView body);
  [[nodiscard]] Status flush_handshake();
  // Seals application data into records: into the output queue, or (with `used`) into
  // dst[*used, ...) while it has room and nothing is queued, advancing *used.
  [[nodiscard]] Status write_app_records(ByteView data, MutByteView dst = {}, size_t* used = nullptr);
  // Moves queued output to the front of `dst` as far as it fits (it counts as sent).
  size_t move_output(MutByteView dst);
  [[nodiscard]] Status maybe_auto_key_update();
  // Ends the connection: remembers the error, drops unsent handshake messages, queues the
  // alert, and returns the error.
  std::unexpected<Error> fatal(Error e);
  void send_alert(AlertDescription alert, bool fatal_level);
};

}  // namespace tlspp
