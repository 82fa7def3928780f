/// @file
/// @brief The one error type every fallible call returns.
///
/// An Error says what kind of failure happened, which TLS alert the connection
/// sends (or received) because of it, and one sentence for a human naming what
/// was wrong. Functions that can fail return Result<T> (std::expected<T, Error>)
/// and are [[nodiscard]]; nothing in the library throws.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include "tlspp/export.h"

namespace tlspp {

/// RFC 8446 §6 (and RFC 5246 §7.2 for the TLS 1.2-only values).
enum class AlertDescription : uint8_t {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  handshake_failure = 40,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  no_renegotiation = 100,
  missing_extension = 109,
  unsupported_extension = 110,
  unrecognized_name = 112,
  bad_certificate_status_response = 113,
  unknown_psk_identity = 115,
  certificate_required = 116,
  no_application_protocol = 120,
};

/// The RFC's name of an alert ("bad_record_mac"), or "unknown_alert(N)".
[[nodiscard]] TLSPP_API std::string alert_name(AlertDescription alert);

/// What kind of failure an Error reports.
enum class ErrorKind : uint8_t {
  decode,             ///< bytes that do not parse
  peer_misbehaved,    ///< well-formed but forbidden by the protocol
  peer_incompatible,  ///< nothing in common (versions, suites, groups, ...)
  bad_certificate,    ///< certificate or chain rejected
  crypto,             ///< a MAC, signature or key agreement failed
  internal,           ///< a bug or resource failure on our side
  io,                 ///< the transport failed
  config,             ///< the configuration or an input file is unusable
  alert_received,     ///< the peer sent a fatal alert
  closed,             ///< the peer closed the connection
  truncated,          ///< the transport ended without the peer's close_notify (RFC 8446 §6.1)
};

/// The kind's name as spelled here: "decode", "bad_certificate".
[[nodiscard]] TLSPP_API std::string_view error_kind_name(ErrorKind kind);

/// What went wrong: the kind of failure, the alert it sends (or that was received) and a
/// sentence for a human.
struct TLSPP_API Error {
  ErrorKind kind = ErrorKind::internal;  ///< what kind of failure
  AlertDescription alert = AlertDescription::internal_error;  ///< the alert sent or received because of it
  std::string message;  ///< one sentence naming what was wrong

  ///@{
  /// An error of kind `k` with alert `a` and message `m` (an internal error by default).
  Error() = default;
  Error(ErrorKind k, AlertDescription a, std::string m)
      : kind(k), alert(a), message(std::move(m)) {}
  ///@}

  ///@{
  /// Shorthands for the common kinds; each sets the alert RFC 8446 §6.2 names.
  static Error decode(std::string m) {
    return {ErrorKind::decode, AlertDescription::decode_error, std::move(m)};
  }
  static Error illegal(std::string m) {
    return {ErrorKind::peer_misbehaved, AlertDescription::illegal_parameter, std::move(m)};
  }
  static Error unexpected(std::string m) {
    return {ErrorKind::peer_misbehaved, AlertDescription::unexpected_message, std::move(m)};
  }
  static Error internal(std::string m) {
    return {ErrorKind::internal, AlertDescription::internal_error, std::move(m)};
  }
  static Error crypto(AlertDescription a, std::string m) {
    return {ErrorKind::crypto, a, std::move(m)};
  }
  static Error config(std::string m) {
    return {ErrorKind::config, AlertDescription::internal_error, std::move(m)};
  }
  ///@}

  /// "decode_error: ClientHello extension list is truncated"
  [[nodiscard]] std::string to_string() const;
};

/// A value of type T, or the Error that prevented it.
template <class T>
using Result = std::expected<T, Error>;
/// Success, or the Error of a failure.
using Status = std::expected<void, Error>;

/// Wraps an Error as the unexpected side of a Result: `return fail(Error::decode("..."));`
[[nodiscard]] inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace tlspp

/// Propagates an error from a Result/Status expression, otherwise yields nothing.
#define TLSPP_TRY(expr)                                       \
  do {                                                        \
    if (auto tlspp_try_r_ = (expr); !tlspp_try_r_)            \
      return ::std::unexpected(std::move(tlspp_try_r_.error())); \
  } while (0)

/// @cond INTERNAL
#define TLSPP_CONCAT_INNER_(a, b) a##b
#define TLSPP_CONCAT_(a, b) TLSPP_CONCAT_INNER_(a, b)
/// @endcond
/// Assigns the value of a Result expression to `lhs` (an lvalue or a declaration), or
/// propagates its error: `TLSPP_TRY_ASSIGN(const Bytes msg, wire::encode_message(ch));`
#define TLSPP_TRY_ASSIGN(lhs, expr) TLSPP_TRY_ASSIGN_IMPL_(TLSPP_CONCAT_(tlspp_try_v_, __LINE__), lhs, expr)
/// @cond INTERNAL
#define TLSPP_TRY_ASSIGN_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                                   \
  if (!tmp) return ::std::unexpected(std::move(tmp.error()));          \
  lhs = std::move(*tmp)
/// @endcond
