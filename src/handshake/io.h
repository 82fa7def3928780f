// What a handshake state machine may do to its connection, for either protocol version. The
// connection core implements it; the state machines never see buffers, records or sockets,
// and are driven one whole handshake message at a time. The same hooks are the seam for a
// QUIC adapter (handshake bytes out, keys per direction in, as BoringSSL's
// set_read_secret/add_handshake_data do).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "record/record.h"
#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "tlspp/events.h"

namespace tlspp::handshake {

using Details = std::vector<std::pair<std::string, std::string>>;

// The keys that protect one direction from now on. TLS 1.3 derives them from a traffic
// secret (RFC 8446 §7.3), TLS 1.2 cuts them from the key block (RFC 5246 §6.3); the record
// layer only needs the key, the IV and the record form. `secret` is the TLS 1.3 traffic
// secret (empty in TLS 1.2): the key log records it, and a QUIC adapter would derive its own
// packet keys from it.
struct TrafficKeys {
  KeyEpoch epoch = KeyEpoch::handshake;
  crypto::AeadAlg aead = crypto::AeadAlg::aes128gcm;
  crypto::HashAlg hash = crypto::HashAlg::sha256;
  record::RecordForm form = record::RecordForm::tls13;
  ByteView key, iv;
  ByteView secret;
  // The NSS key log label of `secret` (static storage; empty: nothing to log).
  std::string_view label;
  bool update = false;  // the next generation after a KeyUpdate (RFC 8446 §4.6.3)
};

class Connected;

class Io {
 public:
  virtual ~Io() = default;

  // Queues a whole handshake message (4-byte header included) under the current write
  // keys. Messages queued together leave coalesced into as few records as possible.
  // `what` and `details` are for the message_sent event (details only when tracing()).
  virtual void send_message(MessageInfo what, ByteView message, Details details) = 0;
  // Sends a ChangeCipherSpec record (RFC 8446 Appendix D.4's compatibility one, or TLS
  // 1.2's real one) under the current write keys (none in TLS 1.3; TLS 1.2 sends it before
  // switching). Queued handshake messages go first.
  virtual void send_change_cipher_spec() = 0;
  // Sends a warning alert under the current write keys (TLS 1.2's no_renegotiation).
  virtual void send_warning(AlertDescription alert) = 0;
  // RFC 8446 §4.2.10: the server did not accept the client's early data, and skips up to
  // `budget` bytes of it: application_data records that do not open under the current read
  // keys (or, after a HelloRetryRequest, every application_data record, `by_type`), until
  // a record opens or the next ClientHello comes.
  virtual void skip_early_data(size_t budget, bool by_type) = 0;
  // Where 0-RTT stands (RFC 8446 §4.2.10), and how much early data may be sent (client) or
  // received (server) in all.
  virtual void set_early_data(EarlyData status, size_t limit) = 0;
  // Client, after a HelloRetryRequest that followed early data: the second ClientHello goes
  // in the clear again (§4.1.2).
  virtual void clear_write_keys() = 0;
  // Switches a direction to new keys; messages queued so far go out under the old ones.
  [[nodiscard]] virtual Status install_keys(Direction direction, const TrafficKeys& keys) = 0;
  // Writes a key log line for a secret (EXPORTER_SECRET, TLS 1.2's CLIENT_RANDOM master
  // secret).
  virtual void log_secret(std::string_view label, ByteView secret) = 0;
  // The handshake completed: from now on `connected` handles post-handshake messages,
  // KeyUpdate and exporters, and the handshake state can be freed.
  virtual void handshake_complete(std::unique_ptr<Connected> connected) = 0;
  // A session the client may resume later (a TLS 1.3 NewSessionTicket, a TLS 1.2 session).
  virtual void session_received(SessionTicket ticket) = 0;
  // Reports a handshake message received and accepted (a message_received event).
  virtual void message_received(MessageInfo what, size_t size, Details details) = 0;
  // Whether anyone listens to events; details are only worth building when true.
  [[nodiscard]] virtual bool tracing() const = 0;
  // RFC 8449 §4: from now on, protected records sent are at most `peer_limit` (the peer's
  // record_size_limit; 0: none received), and, when `own_limit` is not 0 (ours was
  // negotiated), protected records received above it are record_overflow. Both count the
  // TLSInnerPlaintext in TLS 1.3 and the plaintext in TLS 1.2 (`version`), and are capped at
  // that version's maximum.
  virtual void set_record_size_limits(ProtocolVersion version, uint16_t peer_limit, uint16_t own_limit) = 0;
  // Whether our last KeyUpdate is still waiting to be handed to the network.
  [[nodiscard]] virtual bool key_update_unsent() const { return false; }

  virtual Negotiated& negotiated() = 0;
  virtual RandomSource& random() = 0;
  [[nodiscard]] virtual std::time_t now() = 0;
  // The client random, for key log lines (set by whichever side learns it first).
  virtual void set_client_random(ByteView random) = 0;
};

// A handshake state machine (client or server, either version).
class Handshake {
 public:
  virtual ~Handshake() = default;
  // Client: sends the ClientHello. Server: nothing.
  [[nodiscard]] virtual Status start(Io& io) = 0;
  // One whole handshake message (header included). Anything the current state does not
  // expect is unexpected_message.
  [[nodiscard]] virtual Status handle(Io& io, ByteView message) = 0;
  [[nodiscard]] virtual bool done() const = 0;
  // Whether a peer's ChangeCipherSpec may arrive now (RFC 8446 §5: after the first
  // ClientHello and before the peer's Finished; RFC 5246 §7.1: just before its Finished).
  [[nodiscard]] virtual bool ccs_allowed() const = 0;
  // A ChangeCipherSpec from the peer arrived where ccs_allowed() said it may (TLS 1.2
  // switches the read keys here; TLS 1.3 drops it).
  [[nodiscard]] virtual Status change_cipher_spec(Io&) { return {}; }
  // The current state's name, for traces and error messages.
  [[nodiscard]] virtual std::string_view state_name() const = 0;
  // What a fatal alert from the peer means in the current state, when more can be said
  // than its name (e.g. a server answering the ClientHello with protocol_version); empty
  // otherwise.
  [[nodiscard]] virtual std::string explain_peer_alert(AlertDescription) const { return {}; }
  // The same for the transport ending in the current state (empty: nothing to add).
  [[nodiscard]] virtual std::string explain_transport_end() const { return {}; }
};

// The state of a connection after its handshake, per version: what it does with
// post-handshake handshake messages, key updates and exporters. conn/ only moves records.
class Connected {
 public:
  virtual ~Connected() = default;
  // One whole post-handshake handshake message (header included).
  [[nodiscard]] virtual Status handle(Io& io, ByteView message) = 0;
  // Whether the version can replace its write keys in place (TLS 1.3 KeyUpdate).
  [[nodiscard]] virtual bool can_update_keys() const = 0;
  // Sends a KeyUpdate and switches the write keys (RFC 8446 §4.6.3).
  [[nodiscard]] virtual Status update_keys(Io& io, bool request_peer) = 0;
  // Application data arrived: the peer is making progress (resets flood limits).
  virtual void application_data_received() {}
  // We sent application data (a KeyUpdate request after it needs a response of its own).
  virtual void application_data_sent() {}
  // RFC 8446 §7.5 / RFC 5705.
  [[nodiscard]] virtual Status export_keying_material(std::string_view label, ByteView context,
                                                      MutByteView out) const = 0;
  // RFC 8446 §4.6.2 (server): sends a post-handshake CertificateRequest. Versions without
  // it refuse.
  [[nodiscard]] virtual Status request_client_certificate(Io&) {
    return fail(Error::config("post-handshake client authentication needs TLS 1.3 (RFC 8446 §4.6.2)"));
  }
};

}  // namespace tlspp::handshake
