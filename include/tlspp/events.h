/// @file
/// @brief Protocol events, for tracing, key logs and diagnostics.
///
/// A connection reports what it does as events: each handshake message sent or received
/// with its essential parsed contents, each key installed, alerts, records. Applications
/// receive them through CommonOptions::on_event; `tlspp demo` and `--trace` are built on
/// this hook alone.
///
/// An event says what happened twice: as data (its type and the typed fields for that
/// type: `message`, `keys`, `alert`), for programs, and as text (`name`, `details`), for
/// people. Programs read the data; the text is for display and may change.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tlspp/error.h"

namespace tlspp {

/// Which end of a connection.
enum class Side : uint8_t { client, server };

/// What an Event reports.
enum class EventType : uint8_t {
  message_sent,       ///< a handshake message (or ChangeCipherSpec) left this side
  message_received,   ///< one arrived and was accepted
  keys_installed,     ///< a traffic secret is now in use for reading or writing
  alert_sent,
  alert_received,
  application_data_sent,
  application_data_received,
  handshake_done,
};

/// The kinds of message a message_sent / message_received event reports: the handshake
/// messages of TLS 1.3 (RFC 8446 §4) and TLS 1.2 (RFC 5246 §7.4), and ChangeCipherSpec
/// (a record of its own, not a handshake message). HelloRetryRequest, a ServerHello on the
/// wire, is a kind of its own.
enum class MessageType : uint8_t {
  none,  ///< the event is not a message
  hello_request,
  client_hello,
  server_hello,
  hello_retry_request,
  new_session_ticket,
  end_of_early_data,
  encrypted_extensions,
  certificate,
  server_key_exchange,
  certificate_request,
  server_hello_done,
  certificate_verify,
  client_key_exchange,
  finished,
  key_update,
  change_cipher_spec,
};

/// The message's name as the RFCs spell it: "ClientHello", "HelloRetryRequest".
[[nodiscard]] constexpr std::string_view message_type_name(MessageType t) {
  switch (t) {
    case MessageType::none: return "";
    case MessageType::hello_request: return "HelloRequest";
    case MessageType::client_hello: return "ClientHello";
    case MessageType::server_hello: return "ServerHello";
    case MessageType::hello_retry_request: return "HelloRetryRequest";
    case MessageType::new_session_ticket: return "NewSessionTicket";
    case MessageType::end_of_early_data: return "EndOfEarlyData";
    case MessageType::encrypted_extensions: return "EncryptedExtensions";
    case MessageType::certificate: return "Certificate";
    case MessageType::server_key_exchange: return "ServerKeyExchange";
    case MessageType::certificate_request: return "CertificateRequest";
    case MessageType::server_hello_done: return "ServerHelloDone";
    case MessageType::certificate_verify: return "CertificateVerify";
    case MessageType::client_key_exchange: return "ClientKeyExchange";
    case MessageType::finished: return "Finished";
    case MessageType::key_update: return "KeyUpdate";
    case MessageType::change_cipher_spec: return "ChangeCipherSpec";
  }
  return "";
}

/// Which traffic secret protects the records (RFC 8446 §7.1).
enum class KeyEpoch : uint8_t { early, handshake, application };

/// "early", "handshake", "application".
[[nodiscard]] constexpr std::string_view key_epoch_name(KeyEpoch e) {
  switch (e) {
    case KeyEpoch::early: return "early";
    case KeyEpoch::handshake: return "handshake";
    case KeyEpoch::application: return "application";
  }
  return "";
}

/// Whether keys protect the records read or those written.
enum class Direction : uint8_t { read, write };

/// "read", "write".
[[nodiscard]] constexpr std::string_view direction_name(Direction d) { return d == Direction::read ? "read" : "write"; }

/// An alert's level (RFC 5246 §7.2; TLS 1.3 treats every alert but close_notify and
/// user_canceled as fatal).
enum class AlertLevel : uint8_t { warning = 1, fatal = 2 };

/// message_sent / message_received.
struct MessageInfo {
  MessageType type = MessageType::none;  ///< which message
  bool retry = false;  ///< the second ClientHello, after a HelloRetryRequest
};

/// keys_installed.
struct KeysInfo {
  KeyEpoch epoch = KeyEpoch::handshake;  ///< which traffic secret
  Direction direction = Direction::read;  ///< protecting what is read or written
  bool update = false;  ///< the next application secret, after a KeyUpdate (RFC 8446 §7.2)
  ///@{
  /// Stable names with static storage: the NSS key log label ("SERVER_HANDSHAKE_TRAFFIC_SECRET";
  /// empty for updated keys, which have none), the AEAD ("AES-128-GCM") and the hash ("SHA-256").
  std::string_view label, aead, hash;
  ///@}
};

/// alert_sent / alert_received.
struct AlertInfo {
  AlertDescription description = AlertDescription::close_notify;  ///< which alert
  AlertLevel level = AlertLevel::warning;  ///< warning or fatal
};

/// One protocol event of a connection, as data (type and the typed fields) and as text
/// (name, details).
struct Event {
  EventType type;  ///< what happened
  Side side;                 ///< the side that reports it
  /// For display: "ClientHello", "handshake traffic keys (write)", "close_notify".
  std::string name;
  size_t size = 0;           ///< bytes of the message or data
  bool encrypted = false;    ///< whether it travels inside protected records
  /// For display, the essential contents as ordered key/value pairs:
  /// {"cipher_suites", "TLS_AES_128_GCM_SHA256, ..."}.
  std::vector<std::pair<std::string, std::string>> details;
  std::chrono::steady_clock::time_point when;  ///< when it happened
  /// Identifies the connection within the process (distinct for every connection made),
  /// so that one callback shared by many connections can tell them apart.
  uint64_t connection_id = 0;
  /// The typed contents; each is meaningful only for the event types it names.
  MessageInfo message = {};  ///< message_sent, message_received
  KeysInfo keys = {};        ///< keys_installed
  AlertInfo alert = {};      ///< alert_sent, alert_received
};

/// Receives events (CommonOptions::on_event); called on the thread that drives the connection.
using EventCallback = std::function<void(const Event&)>;

}  // namespace tlspp
