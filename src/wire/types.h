// Wire-level code points: record content types, handshake message types and extension types.
// Kept apart from the message codecs so that record/ (which needs only ContentType) and trace
// printers can include them cheaply.
#pragma once

#include <cstdint>
#include <string_view>

namespace tlspp::wire {

// RFC 8446 §5.1.
enum class ContentType : uint8_t {
  invalid = 0,
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
};

// RFC 8446 §4 and RFC 5246 §7.4 (the TLS 1.2-only values).
enum class HandshakeType : uint8_t {
  hello_request = 0,
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  end_of_early_data = 5,
  encrypted_extensions = 8,
  certificate = 11,
  server_key_exchange = 12,
  certificate_request = 13,
  server_hello_done = 14,
  certificate_verify = 15,
  client_key_exchange = 16,
  finished = 20,
  key_update = 24,
  message_hash = 254,
};

// RFC 8446 §4.2, plus the TLS 1.2-era extensions this library understands.
enum class ExtensionType : uint16_t {
  server_name = 0,                              // RFC 6066
  max_fragment_length = 1,                      // RFC 6066
  status_request = 5,                           // RFC 6066
  supported_groups = 10,                        // RFC 8422, RFC 7919
  ec_point_formats = 11,                        // RFC 8422
  signature_algorithms = 13,                    // RFC 8446
  use_srtp = 14,                                // RFC 5764
  heartbeat = 15,                               // RFC 6520
  application_layer_protocol_negotiation = 16,  // RFC 7301
  signed_certificate_timestamp = 18,            // RFC 6962
  client_certificate_type = 19,                 // RFC 7250
  server_certificate_type = 20,                 // RFC 7250
  padding = 21,                                 // RFC 7685
  encrypt_then_mac = 22,                        // RFC 7366
  extended_master_secret = 23,                  // RFC 7627
  record_size_limit = 28,                       // RFC 8449
  session_ticket = 35,                          // RFC 5077
  pre_shared_key = 41,                          // RFC 8446
  early_data = 42,                              // RFC 8446
  supported_versions = 43,                      // RFC 8446
  cookie = 44,                                  // RFC 8446
  psk_key_exchange_modes = 45,                  // RFC 8446
  certificate_authorities = 47,                 // RFC 8446
  oid_filters = 48,                             // RFC 8446
  post_handshake_auth = 49,                     // RFC 8446
  signature_algorithms_cert = 50,               // RFC 8446
  key_share = 51,                               // RFC 8446
  renegotiation_info = 0xff01,                  // RFC 5746
};

// The message an extension block belongs to; it decides which form an extension takes
// (RFC 8446 §4.2: CH, SH, HRR, EE, CR, CT, NST).
enum class ExtensionContext : uint8_t {
  client_hello,
  server_hello,  // TLS 1.3 ServerHello, and TLS 1.2 ServerHello
  hello_retry_request,
  encrypted_extensions,
  certificate_request,
  certificate,  // the extensions of one CertificateEntry
  new_session_ticket,
};
inline constexpr int kExtensionContextCount = 7;

// RFC names ("client_hello", "key_share", "handshake"); unknown values print as decimal or hex.
[[nodiscard]] std::string_view content_type_name(ContentType t);
[[nodiscard]] std::string_view handshake_type_name(HandshakeType t);
[[nodiscard]] std::string_view extension_type_name(ExtensionType t);
[[nodiscard]] std::string_view extension_context_name(ExtensionContext c);

// RFC 8701 §2: GREASE values are 0x?A?A with both bytes equal.
[[nodiscard]] constexpr bool is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

}  // namespace tlspp::wire
