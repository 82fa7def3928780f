#include <cstdio>
#include <string_view>

#include "tlspp/types.h"

namespace tlspp {
namespace {
// Unknown code points print as hex; the buffer is per thread so the view stays valid
// until the next call on the same thread.
std::string_view hex_name(uint16_t v) {
  thread_local char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v));
  return buf;
}
}  // namespace

std::string_view cipher_suite_name(CipherSuite s) {
  switch (s) {
    case CipherSuite::TLS_AES_128_GCM_SHA256: return "TLS_AES_128_GCM_SHA256";
    case CipherSuite::TLS_AES_256_GCM_SHA384: return "TLS_AES_256_GCM_SHA384";
    case CipherSuite::TLS_CHACHA20_POLY1305_SHA256: return "TLS_CHACHA20_POLY1305_SHA256";
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    case CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    case CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    case CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
    case CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV: return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";
  }
  return hex_name(static_cast<uint16_t>(s));
}

std::string_view named_group_name(NamedGroup g) {
  switch (g) {
    case NamedGroup::secp256r1: return "secp256r1";
    case NamedGroup::secp384r1: return "secp384r1";
    case NamedGroup::secp521r1: return "secp521r1";
    case NamedGroup::x25519: return "x25519";
    case NamedGroup::x448: return "x448";
  }
  return hex_name(static_cast<uint16_t>(g));
}

std::string_view signature_scheme_name(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::rsa_pkcs1_sha256: return "rsa_pkcs1_sha256";
    case SignatureScheme::rsa_pkcs1_sha384: return "rsa_pkcs1_sha384";
    case SignatureScheme::rsa_pkcs1_sha512: return "rsa_pkcs1_sha512";
    case SignatureScheme::ecdsa_secp256r1_sha256: return "ecdsa_secp256r1_sha256";
    case SignatureScheme::ecdsa_secp384r1_sha384: return "ecdsa_secp384r1_sha384";
    case SignatureScheme::ecdsa_secp521r1_sha512: return "ecdsa_secp521r1_sha512";
    case SignatureScheme::rsa_pss_rsae_sha256: return "rsa_pss_rsae_sha256";
    case SignatureScheme::rsa_pss_rsae_sha384: return "rsa_pss_rsae_sha384";
    case SignatureScheme::rsa_pss_rsae_sha512: return "rsa_pss_rsae_sha512";
    case SignatureScheme::ed25519: return "ed25519";
    case SignatureScheme::ed448: return "ed448";
    case SignatureScheme::rsa_pss_pss_sha256: return "rsa_pss_pss_sha256";
    case SignatureScheme::rsa_pss_pss_sha384: return "rsa_pss_pss_sha384";
    case SignatureScheme::rsa_pss_pss_sha512: return "rsa_pss_pss_sha512";
    case SignatureScheme::rsa_pkcs1_sha1: return "rsa_pkcs1_sha1";
    case SignatureScheme::ecdsa_sha1: return "ecdsa_sha1";
  }
  return hex_name(static_cast<uint16_t>(s));
}

std::string_view protocol_version_name(ProtocolVersion v) {
  switch (v) {
    case ProtocolVersion::tls10: return "TLSv1.0";
    case ProtocolVersion::tls11: return "TLSv1.1";
    case ProtocolVersion::tls12: return "TLSv1.2";
    case ProtocolVersion::tls13: return "TLSv1.3";
  }
  return hex_name(static_cast<uint16_t>(v));
}

}  // namespace tlspp
