/// @file
/// @brief Protocol code points shared by every layer and by the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "tlspp/export.h"

namespace tlspp {

using ByteView = std::span<const uint8_t>;  ///< bytes to read, not owned
using MutByteView = std::span<uint8_t>;     ///< bytes to write into, not owned
using Bytes = std::vector<uint8_t>;         ///< owned bytes

/// TLS versions by their wire value (RFC 8446 §4.2.1); tlspp speaks TLS 1.2 and TLS 1.3.
enum class ProtocolVersion : uint16_t {
  tls10 = 0x0301,
  tls11 = 0x0302,
  tls12 = 0x0303,
  tls13 = 0x0304,
};

/// RFC 8446 §B.4, RFC 5288, RFC 8422, RFC 7905.
enum class CipherSuite : uint16_t {
  TLS_AES_128_GCM_SHA256 = 0x1301,
  TLS_AES_256_GCM_SHA384 = 0x1302,
  TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
};

/// RFC 8446 §4.2.7.
enum class NamedGroup : uint16_t {
  secp256r1 = 0x0017,
  secp384r1 = 0x0018,
  secp521r1 = 0x0019,
  x25519 = 0x001d,
  x448 = 0x001e,
};

/// RFC 8446 §4.2.3.
enum class SignatureScheme : uint16_t {
  rsa_pkcs1_sha256 = 0x0401,
  rsa_pkcs1_sha384 = 0x0501,
  rsa_pkcs1_sha512 = 0x0601,
  ecdsa_secp256r1_sha256 = 0x0403,
  ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  rsa_pss_rsae_sha256 = 0x0804,
  rsa_pss_rsae_sha384 = 0x0805,
  rsa_pss_rsae_sha512 = 0x0806,
  ed25519 = 0x0807,
  ed448 = 0x0808,
  rsa_pss_pss_sha256 = 0x0809,
  rsa_pss_pss_sha384 = 0x080a,
  rsa_pss_pss_sha512 = 0x080b,
  rsa_pkcs1_sha1 = 0x0201,
  ecdsa_sha1 = 0x0203,
};

///@{
/// IANA names: "TLS_AES_128_GCM_SHA256", "x25519", "ecdsa_secp256r1_sha256".
/// Unknown values print as "0x1234".
[[nodiscard]] TLSPP_API std::string_view cipher_suite_name(CipherSuite s);
[[nodiscard]] TLSPP_API std::string_view named_group_name(NamedGroup g);
[[nodiscard]] TLSPP_API std::string_view signature_scheme_name(SignatureScheme s);
[[nodiscard]] TLSPP_API std::string_view protocol_version_name(ProtocolVersion v);
///@}

///@{
/// Lower-case hexadecimal, and back (upper or lower case; nothing for an odd length or a
/// character that is not a hex digit).
[[nodiscard]] TLSPP_API std::string to_hex(ByteView bytes);
[[nodiscard]] TLSPP_API std::optional<Bytes> from_hex(std::string_view text);
///@}

}  // namespace tlspp
