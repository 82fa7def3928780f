#include "wire/types.h"

#include <cstdio>

namespace tlspp::wire {
namespace {
// Unknown code points print as numbers; the buffer is per thread so the view stays valid until
// the next call on the same thread.
std::string_view number_name(unsigned v, const char* format) {
  thread_local char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
}  // namespace

std::string_view content_type_name(ContentType t) {
  switch (t) {
    case ContentType::invalid: return "invalid";
    case ContentType::change_cipher_spec: return "change_cipher_spec";
    case ContentType::alert: return "alert";
    case ContentType::handshake: return "handshake";
    case ContentType::application_data: return "application_data";
  }
  return number_name(static_cast<unsigned>(t), "content_type(%u)");
}

std::string_view handshake_type_name(HandshakeType t) {
  switch (t) {
    case HandshakeType::hello_request: return "hello_request";
    case HandshakeType::client_hello: return "client_hello";
    case HandshakeType::server_hello: return "server_hello";
    case HandshakeType::new_session_ticket: return "new_session_ticket";
    case HandshakeType::end_of_early_data: return "end_of_early_data";
    case HandshakeType::encrypted_extensions: return "encrypted_extensions";
    case HandshakeType::certificate: return "certificate";
    case HandshakeType::server_key_exchange: return "server_key_exchange";
    case HandshakeType::certificate_request: return "certificate_request";
    case HandshakeType::server_hello_done: return "server_hello_done";
    case HandshakeType::certificate_verify: return "certificate_verify";
    case HandshakeType::client_key_exchange: return "client_key_exchange";
    case HandshakeType::finished: return "finished";
    case HandshakeType::key_update: return "key_update";
    case HandshakeType::message_hash: return "message_hash";
  }
  return number_name(static_cast<unsigned>(t), "handshake_type(%u)");
}

std::string_view extension_type_name(ExtensionType t) {
  switch (t) {
    case ExtensionType::server_name: return "server_name";
    case ExtensionType::max_fragment_length: return "max_fragment_length";
    case ExtensionType::status_request: return "status_request";
    case ExtensionType::supported_groups: return "supported_groups";
    case ExtensionType::ec_point_formats: return "ec_point_formats";
    case ExtensionType::signature_algorithms: return "signature_algorithms";
    case ExtensionType::use_srtp: return "use_srtp";
    case ExtensionType::heartbeat: return "heartbeat";
    case ExtensionType::application_layer_protocol_negotiation: return "application_layer_protocol_negotiation";
    case ExtensionType::signed_certificate_timestamp: return "signed_certificate_timestamp";
    case ExtensionType::client_certificate_type: return "client_certificate_type";
    case ExtensionType::server_certificate_type: return "server_certificate_type";
    case ExtensionType::padding: return "padding";
    case ExtensionType::encrypt_then_mac: return "encrypt_then_mac";
    case ExtensionType::extended_master_secret: return "extended_master_secret";
    case ExtensionType::record_size_limit: return "record_size_limit";
    case ExtensionType::session_ticket: return "session_ticket";
    case ExtensionType::pre_shared_key: return "pre_shared_key";
    case ExtensionType::early_data: return "early_data";
    case ExtensionType::supported_versions: return "supported_versions";
    case ExtensionType::cookie: return "cookie";
    case ExtensionType::psk_key_exchange_modes: return "psk_key_exchange_modes";
    case ExtensionType::certificate_authorities: return "certificate_authorities";
    case ExtensionType::oid_filters: return "oid_filters";
    case ExtensionType::post_handshake_auth: return "post_handshake_auth";
    case ExtensionType::signature_algorithms_cert: return "signature_algorithms_cert";
    case ExtensionType::key_share: return "key_share";
    case ExtensionType::renegotiation_info: return "renegotiation_info";
  }
  return number_name(static_cast<unsigned>(t), "0x%04x");
}

std::string_view extension_context_name(ExtensionContext c) {
  switch (c) {
    case ExtensionContext::client_hello: return "ClientHello";
    case ExtensionContext::server_hello: return "ServerHello";
    case ExtensionContext::hello_retry_request: return "HelloRetryRequest";
    case ExtensionContext::encrypted_extensions: return "EncryptedExtensions";
    case ExtensionContext::certificate_request: return "CertificateRequest";
    case ExtensionContext::certificate: return "Certificate";
    case ExtensionContext::new_session_ticket: return "NewSessionTicket";
  }
  return number_name(static_cast<unsigned>(c), "context(%u)");
}

}  // namespace tlspp::wire
