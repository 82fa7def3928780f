// tlspp: protocol events, for tracing, key logs and diagnostics.
//
// A connection reports what it does as events: each handshake message sent or received
// with its essential parsed contents, each key installed, alerts, records. Applications
// receive them through CommonOptions::on_event; `tlspp demo` and `--trace` are built on
// this hook alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tlspp {

enum class Side : uint8_t { client, server };

enum class EventType : uint8_t {
  message_sent,       // a handshake message (or ChangeCipherSpec) left this side
  message_received,   // one arrived and was accepted
  keys_installed,     // a traffic secret is now in use for reading or writing
  alert_sent,
  alert_received,
  application_data_sent,
  application_data_received,
  handshake_done,
};

struct Event {
  EventType type;
  Side side;                 // the side that reports it
  std::string name;          // "ClientHello", "handshake traffic keys (write)", "close_notify"
  size_t size = 0;           // bytes of the message or data
  bool encrypted = false;    // whether it travels inside protected records
  // Essential contents as ordered key/value pairs: {"cipher_suites", "TLS_AES_128_GCM_SHA256, ..."}.
  std::vector<std::pair<std::string, std::string>> details;
  std::chrono::steady_clock::time_point when;
  // Identifies the connection within the process (distinct for every connection made),
  // so that one callback shared by many connections can tell them apart.
  uint64_t connection_id = 0;
};

using EventCallback = std::function<void(const Event&)>;

}  // namespace tlspp
