// Handshake traces for the `tlspp` command line: the protocol events a connection reports
// through CommonOptions::on_event, drawn as a sequence diagram between Client and Server,
// as terminal text or as a Mermaid `sequenceDiagram`.
//
// Everything shown comes from the events: names, sizes, details, protection and times;
// what a message is (for pairing, round trips, the summary) and which keys protect it come
// from the events' typed fields, never from their display text. A
// message appears once, as one arrow: from its sender's message_sent event when the sender
// was recorded (the receiver's message_received only adds details and the arrival time),
// from the receiver's event otherwise (a trace of one side, as in `tlspp client --trace`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tlspp/events.h"

namespace tlspp::trace {

using Details = std::vector<std::pair<std::string, std::string>>;

struct RenderOptions {
  bool unicode = true;  // box-drawing characters; false: plain ASCII
  bool color = false;   // ANSI colours
  size_t width = 80;    // terminal columns (clamped to 60..120)
};

// The options for writing to `fd`: Unicode when the locale (LC_ALL, else LC_CTYPE, else
// LANG) says UTF-8 and `ascii` is false; colour only on a terminal without NO_COLOR and
// not TERM=dumb; the terminal's width when it has one, else $COLUMNS, else 80.
[[nodiscard]] RenderOptions terminal_options(int fd, bool ascii);
[[nodiscard]] bool locale_is_utf8();

// One message, alert or piece of application data as an arrow from its sender.
struct Arrow {
  Side from = Side::client;
  EventType kind = EventType::message_sent;  // the sent (or, unmatched, received) event type
  std::string name;       // for display
  MessageInfo message;    // messages: the kind (the events' typed field)
  AlertInfo alert;        // alerts
  size_t size = 0;
  bool encrypted = false;
  std::optional<KeyEpoch> keys;  // for encrypted arrows, the keys that protect them when known
  Details details;       // the sender's event's (or the receiver's, when unmatched)
  Details peer_details;  // what the receiver's event adds that the sender's did not say
  std::optional<std::chrono::steady_clock::time_point> sent;
  std::optional<std::chrono::steady_clock::time_point> received;
  size_t received_bytes = 0;  // application data may arrive in several records
};

// Something one side did without sending: keys installed, handshake complete.
struct Note {
  enum class Kind : uint8_t { keys, handshake_done };
  Kind kind = Kind::keys;
  Side side = Side::client;
  std::string text;
  std::chrono::steady_clock::time_point when;
};

// The start of a round trip: a client flight the server answers.
struct RoundTrip {
  int number = 0;
  // From the client flight's last send (when the client starts to wait) to the arrival of
  // the server's answer at the client, when both ends were recorded.
  std::optional<std::chrono::steady_clock::duration> time;
  // The server's answer carries handshake messages (not only NewSessionTicket, KeyUpdate,
  // data or alerts): the round trip is part of the handshake.
  bool handshake = false;
};

using Step = std::variant<Arrow, Note, RoundTrip>;

struct Summary {
  bool client_recorded = false, server_recorded = false;
  int round_trips = 0;  // client flights answered by a server flight
  // Those answered with handshake messages; unknown when the handshake did not complete.
  std::optional<int> handshake_round_trips;
  std::optional<double> handshake_ms;        // first event to the (client's) handshake completion
  size_t client_messages = 0, server_messages = 0;
  size_t client_bytes = 0, server_bytes = 0;
  size_t encrypted_messages = 0;
  // From the ServerHello / Certificate / CertificateVerify / EncryptedExtensions arrows.
  std::string version, cipher_suite, group, server_subject, server_key, server_signature, alpn;
  std::string client_subject, client_signature;
  bool hello_retry_request = false;
  std::string retry_group;  // the group the HelloRetryRequest asked for
};

// The text of one side's key notes. TLS 1.3 notes name the traffic secret behind the keys
// ("handshake traffic keys: write SERVER_HANDSHAKE_TRAFFIC_SECRET"). TLS 1.2 keys (application
// keys that are no update and have no key log label) come from the key block (RFC 5246
// §6.3): a side's first such note tells how its key block came to be, from what that side's
// messages showed before it: an ECDHE exchange (a ServerKeyExchange or ClientKeyExchange,
// by their typed message type) feeding the master secret; no exchange: a resumed session's
// master secret. Like the summary, the note quotes display details for what the typed
// fields do not carry: the group, and whether the ServerHello agreed to the extended master
// secret (RFC 7627). Its later notes only name the keys ("key block: read server_write_key").
class KeyNotes {
 public:
  // Every event of the side, in order (message events matter; others are ignored).
  void observe(const Event& e);
  // The start of a note that begins with these keys.
  [[nodiscard]] std::string head(const KeysInfo& k);
  // One keys_installed event of `side` within a note: "write SERVER_HANDSHAKE_TRAFFIC_SECRET",
  // "read, updated", "write client_write_key".
  [[nodiscard]] static std::string piece(const KeysInfo& k, Side side);

 private:
  bool ecdhe_ = false;
  std::string group_, ems_;
  bool told_ = false;
};

// Orders the events by time (stably: events of the same instant keep their order), pairs
// each received event with the sender's, and marks round trips.
[[nodiscard]] std::vector<Step> build_steps(std::vector<Event> events);
[[nodiscard]] Summary summarize(const std::vector<Step>& steps, const std::vector<Event>& events);

[[nodiscard]] std::string render_text(const std::vector<Event>& events, const RenderOptions& options);
[[nodiscard]] std::string render_mermaid(const std::vector<Event>& events);

// Mermaid message text: ';', '#', '<', '>' become entity codes (#59; ...), line breaks
// become <br/>, so that the text cannot end the statement or start a comment.
[[nodiscard]] std::string mermaid_escape(std::string_view text);

// Collects the events of one or both sides (thread-safe: the demo's server runs on its own
// thread) and renders them afterwards.
class TraceRecorder {
 public:
  void on_event(const Event& e);
  // A callback for CommonOptions::on_event that records into this recorder, which must
  // outlive the connections using it.
  [[nodiscard]] EventCallback callback();
  [[nodiscard]] std::vector<Event> events() const;
  [[nodiscard]] std::string render_text(const RenderOptions& options) const;
  [[nodiscard]] std::string render_mermaid() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

// Renders one side's events as they happen, for long-running processes (`tlspp server
// --trace`): each event becomes its arrow or note at once, from `self`'s point of view
// (sent: an arrow to the peer; received: an arrow from it). Events of the other side are
// ignored. Each output chunk is whole lines; `prefix` starts every line (e.g. "[3] ").
class TraceStream {
 public:
  TraceStream(Side self, RenderOptions options, std::function<void(std::string_view)> sink,
              std::string prefix = {});
  void on_event(const Event& e);
  // Must outlive the connections using it.
  [[nodiscard]] EventCallback callback();

 private:
  std::mutex mutex_;
  Side self_;
  RenderOptions options_;
  std::function<void(std::string_view)> sink_;
  std::string prefix_;
  std::optional<std::chrono::steady_clock::time_point> start_;
  std::optional<KeyEpoch> keys_;  // the epoch `self` writes under, from its keys_installed events
  std::optional<KeyEpoch> read_keys_;
  KeyNotes key_notes_;
  bool after_note_ = false;
};

}  // namespace tlspp::trace
