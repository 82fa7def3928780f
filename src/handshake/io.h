// What a handshake state machine may do to its connection. The connection core
// implements it; the state machines never see buffers, records or sockets, and are
// driven one whole handshake message at a time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "tlspp/events.h"

namespace tlspp::handshake {

using Details = std::vector<std::pair<std::string, std::string>>;

// Which keys protect a direction (RFC 8446 §2: the "epochs" of a TLS 1.3 connection).
enum class Epoch : uint8_t { plaintext, early, handshake, application };

class Io {
 public:
  virtual ~Io() = default;

  // Queues a whole handshake message (4-byte header included) under the current write
  // keys. Messages queued together leave coalesced into as few records as possible.
  // `what` and `details` are for the message_sent event (details only when tracing()).
  virtual void send_message(MessageInfo what, ByteView message, Details details) = 0;
  // Sends the compatibility ChangeCipherSpec (RFC 8446 Appendix D.4), unprotected.
  virtual void send_change_cipher_spec() = 0;
  // Switches a direction to new traffic keys; messages queued so far go out under the
  // old ones. `label` is the NSS key log label (e.g. "SERVER_HANDSHAKE_TRAFFIC_SECRET"), a
  // string with static storage (events keep it).
  [[nodiscard]] virtual Status install_write_keys(Epoch epoch, crypto::AeadAlg aead, crypto::HashAlg hash,
                                                  ByteView secret, std::string_view label) = 0;
  [[nodiscard]] virtual Status install_read_keys(Epoch epoch, crypto::AeadAlg aead, crypto::HashAlg hash,
                                                 ByteView secret, std::string_view label) = 0;
  // Writes a key log line for a secret that is not a traffic key (EXPORTER_SECRET).
  virtual void log_secret(std::string_view label, ByteView secret) = 0;
  // Records that the handshake completed: application secrets for KeyUpdate, the
  // exporter master secret, the resumption master secret.
  virtual void handshake_complete(crypto::HashAlg hash, crypto::AeadAlg aead, ByteView client_app_secret,
                                  ByteView server_app_secret, ByteView exporter_secret,
                                  ByteView resumption_secret) = 0;
  // Reports a handshake message received and accepted (a message_received event).
  virtual void message_received(MessageInfo what, size_t size, Details details) = 0;
  // Whether anyone listens to events; details are only worth building when true.
  [[nodiscard]] virtual bool tracing() const = 0;

  virtual Negotiated& negotiated() = 0;
  virtual RandomSource& random() = 0;
  [[nodiscard]] virtual std::time_t now() = 0;
  // The client random, for key log lines (set by whichever side learns it first).
  virtual void set_client_random(ByteView random) = 0;
};

// A TLS 1.3 handshake state machine (client or server).
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
  // ClientHello and before the peer's Finished).
  [[nodiscard]] virtual bool ccs_allowed() const = 0;
  // The current state's name, for traces and error messages.
  [[nodiscard]] virtual std::string_view state_name() const = 0;
  // What a fatal alert from the peer means in the current state, when more can be said
  // than its name (e.g. a server answering the ClientHello with protocol_version); empty
  // otherwise.
  [[nodiscard]] virtual std::string explain_peer_alert(AlertDescription) const { return {}; }
  // The same for the transport ending in the current state (empty: nothing to add).
  [[nodiscard]] virtual std::string explain_transport_end() const { return {}; }
};

}  // namespace tlspp::handshake
