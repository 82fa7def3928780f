#include "tlspp/error.h"

#include <string>

namespace tlspp {

std::string alert_name(AlertDescription alert) {
  switch (alert) {
    case AlertDescription::close_notify: return "close_notify";
    case AlertDescription::unexpected_message: return "unexpected_message";
    case AlertDescription::bad_record_mac: return "bad_record_mac";
    case AlertDescription::record_overflow: return "record_overflow";
    case AlertDescription::handshake_failure: return "handshake_failure";
    case AlertDescription::bad_certificate: return "bad_certificate";
    case AlertDescription::unsupported_certificate: return "unsupported_certificate";
    case AlertDescription::certificate_revoked: return "certificate_revoked";
    case AlertDescription::certificate_expired: return "certificate_expired";
    case AlertDescription::certificate_unknown: return "certificate_unknown";
    case AlertDescription::illegal_parameter: return "illegal_parameter";
    case AlertDescription::unknown_ca: return "unknown_ca";
    case AlertDescription::access_denied: return "access_denied";
    case AlertDescription::decode_error: return "decode_error";
    case AlertDescription::decrypt_error: return "decrypt_error";
    case AlertDescription::protocol_version: return "protocol_version";
    case AlertDescription::insufficient_security: return "insufficient_security";
    case AlertDescription::internal_error: return "internal_error";
    case AlertDescription::inappropriate_fallback: return "inappropriate_fallback";
    case AlertDescription::user_canceled: return "user_canceled";
    case AlertDescription::no_renegotiation: return "no_renegotiation";
    case AlertDescription::missing_extension: return "missing_extension";
    case AlertDescription::unsupported_extension: return "unsupported_extension";
    case AlertDescription::unrecognized_name: return "unrecognized_name";
    case AlertDescription::bad_certificate_status_response: return "bad_certificate_status_response";
    case AlertDescription::unknown_psk_identity: return "unknown_psk_identity";
    case AlertDescription::certificate_required: return "certificate_required";
    case AlertDescription::no_application_protocol: return "no_application_protocol";
  }
  return "unknown_alert(" + std::to_string(static_cast<unsigned>(alert)) + ")";
}

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::decode: return "decode";
    case ErrorKind::peer_misbehaved: return "peer misbehaved";
    case ErrorKind::peer_incompatible: return "peer incompatible";
    case ErrorKind::bad_certificate: return "bad certificate";
    case ErrorKind::crypto: return "crypto";
    case ErrorKind::internal: return "internal";
    case ErrorKind::io: return "I/O";
    case ErrorKind::config: return "configuration";
    case ErrorKind::alert_received: return "alert received";
    case ErrorKind::closed: return "closed";
    case ErrorKind::truncated: return "truncated";
  }
  return "unknown";
}

std::string Error::to_string() const { return alert_name(alert) + ": " + message; }

}  // namespace tlspp
