// Handshake message framing and the codec of each TLS 1.3 handshake message (RFC 8446 §4);
// ClientHello and ServerHello serve TLS 1.2 too (RFC 5246 §7.4.1). The TLS 1.2-only messages
// are in wire/messages12.h.
//
// Borrowing: every decoded struct holds ByteViews into the bytes it was decoded from (the
// handshake message body), and is valid only while those bytes are. Its extension list is in
// wire order, unknown extensions included, so encode() reproduces the decoded bytes exactly.
//
// Each message struct has `static Result<X> decode(ByteView body)` for the body without the
// 4-byte handshake header, `void encode(Writer&) const` writing that body, and kType; use
// write_message()/encode_message() to frame it with the header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/types.h"
#include "wire/codec.h"
#include "wire/extensions.h"
#include "wire/types.h"

namespace tlspp::wire {

// ---------------------------------------------------------------------------------------------
// Framing (RFC 8446 §4: msg_type, uint24 length, body)

inline constexpr size_t kHandshakeHeaderSize = 4;

struct HandshakeMessage {
  HandshakeType type = HandshakeType::client_hello;
  ByteView body;   // the message body (borrowed)
  ByteView whole;  // header and body, as hashed into the transcript (borrowed)
};

// Reads one complete handshake message; decode_error if the header or body is truncated.
[[nodiscard]] Result<HandshakeMessage> read_handshake(Reader& r);

// For reassembling messages split across records: the size of the first message (header
// included) once its 4-byte header is buffered, nullopt before.
[[nodiscard]] std::optional<size_t> handshake_message_size(ByteView buffered);

// Writes the header with a length to be patched by end_handshake().
[[nodiscard]] Writer::Mark begin_handshake(Writer& w, HandshakeType type);
void end_handshake(Writer& w, Writer::Mark mark);

template <class BodyWriter>
void write_handshake(Writer& w, HandshakeType type, BodyWriter&& body) {
  const Writer::Mark mark = begin_handshake(w, type);
  body(w);
  end_handshake(w, mark);
}

// Writes `msg` with its handshake header.
template <class Message>
void write_message(Writer& w, const Message& msg) {
  write_handshake(w, Message::kType, [&msg](Writer& body) { msg.encode(body); });
}

inline constexpr size_t kEncodeReserve = 512;

// The whole message, or internal_error when a field is too long for its length prefix.
template <class Message>
[[nodiscard]] Result<Bytes> encode_message(const Message& msg) {
  // Room for the hello messages and most others from the start: the writer appends a few
  // bytes at a time, and growing from nothing would reallocate and copy about ten times.
  Bytes out;
  out.reserve(kEncodeReserve);
  Writer w(out);
  write_message(w, msg);
  TLSPP_TRY(w.status(handshake_type_name(Message::kType)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hello messages

inline constexpr size_t kRandomSize = 32;

// RFC 8446 §4.1.2.
struct ClientHello {
  static constexpr HandshakeType kType = HandshakeType::client_hello;

  ProtocolVersion legacy_version = ProtocolVersion::tls12;
  ByteView random;                      // exactly 32 bytes
  ByteView legacy_session_id;           // <0..32>
  std::vector<CipherSuite> cipher_suites;  // <2..2^16-2>, unknown and GREASE values kept
  ByteView legacy_compression_methods;  // <1..2^8-1>
  // RFC 5246 §7.4.1.2: a TLS 1.2 ClientHello may end after the compression methods; such a hello
  // decodes with extensions_present false and re-encodes without the block.
  bool extensions_present = true;
  std::vector<Extension> extensions;

  // The extension block must be well formed and, when pre_shared_key is present, end with it
  // (RFC 8446 §4.2.11: illegal_parameter otherwise). The TLS 1.3 minimum block length of 8 is
  // left to the handshake, which alone knows whether TLS 1.3 is being negotiated.
  [[nodiscard]] static Result<ClientHello> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.11.2: the binders are computed over the ClientHello truncated just before the
// binders list. Given the whole ClientHello message (header included) whose last extension is
// pre_shared_key, returns the length of that prefix (the binders list and its 2-byte length
// prefix are what is cut off).
[[nodiscard]] Result<size_t> client_hello_binders_offset(ByteView client_hello_message);

// Overwrites the binders of an encoded ClientHello message in place (it was encoded with
// zero-filled binders of the same lengths); fails if the counts or lengths differ.
[[nodiscard]] Status patch_psk_binders(MutByteView client_hello_message, std::span<const ByteView> binders);

// RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest,
// SHA-256("HelloRetryRequest").
inline constexpr std::array<uint8_t, kRandomSize> kHelloRetryRequestRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

// RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random of a TLS 1.3 server negotiating
// TLS 1.2 ("DOWNGRD" 01) or TLS 1.1 and below ("DOWNGRD" 00).
inline constexpr std::array<uint8_t, 8> kDowngradeSentinelTls12 = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01};
inline constexpr std::array<uint8_t, 8> kDowngradeSentinelTls11 = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00};

enum class DowngradeSentinel : uint8_t { none, tls12, tls11_or_below };

// Which sentinel, if any, ends `server_random` (RFC 8446 §4.1.3).
[[nodiscard]] DowngradeSentinel downgrade_sentinel(ByteView server_random);

// RFC 8446 §4.1.3; also a HelloRetryRequest (RFC 8446 §4.1.4), told apart by its random.
struct ServerHello {
  static constexpr HandshakeType kType = HandshakeType::server_hello;

  ProtocolVersion legacy_version = ProtocolVersion::tls12;
  ByteView random;                  // exactly 32 bytes
  ByteView legacy_session_id_echo;  // <0..32>
  CipherSuite cipher_suite = CipherSuite::TLS_AES_128_GCM_SHA256;
  uint8_t legacy_compression_method = 0;
  // RFC 5246 §7.4.1.3: a TLS 1.2 ServerHello may end after the compression method.
  bool extensions_present = true;
  std::vector<Extension> extensions;

  [[nodiscard]] bool is_hello_retry_request() const;
  [[nodiscard]] DowngradeSentinel downgrade() const { return downgrade_sentinel(random); }
  // hello_retry_request or server_hello, for reading the extensions in their right forms.
  [[nodiscard]] ExtensionContext extension_context() const;

  [[nodiscard]] static Result<ServerHello> decode(ByteView body);
  void encode(Writer& w) const;
};

// ---------------------------------------------------------------------------------------------
// TLS 1.3 messages

// RFC 8446 §4.3.1: Extension extensions<0..2^16-1>.
struct EncryptedExtensions {
  static constexpr HandshakeType kType = HandshakeType::encrypted_extensions;
  std::vector<Extension> extensions;

  [[nodiscard]] static Result<EncryptedExtensions> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8446 §4.3.2 (TLS 1.3 form).
struct CertificateRequest {
  static constexpr HandshakeType kType = HandshakeType::certificate_request;
  ByteView certificate_request_context;  // <0..2^8-1>
  std::vector<Extension> extensions;     // <2..2^16-1>

  [[nodiscard]] static Result<CertificateRequest> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8446 §4.4.2.
struct CertificateEntry {
  ByteView cert_data;  // DER certificate, or RFC 7250 SubjectPublicKeyInfo; <1..2^24-1>
  std::vector<Extension> extensions;  // <0..2^16-1>, read in ExtensionContext::certificate
};

// RFC 8446 §4.4.2 (TLS 1.3 form). An empty certificate_list decodes; whether it is acceptable
// depends on who sent it (RFC 8446 §4.4.2.4) and is the handshake's decision.
struct Certificate {
  static constexpr HandshakeType kType = HandshakeType::certificate;
  ByteView certificate_request_context;  // <0..2^8-1>
  std::vector<CertificateEntry> certificate_list;  // <0..2^24-1>

  [[nodiscard]] static Result<Certificate> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8446 §4.4.3 (the same layout as TLS 1.2's DigitallySigned, RFC 5246 §4.7).
struct CertificateVerify {
  static constexpr HandshakeType kType = HandshakeType::certificate_verify;
  SignatureScheme algorithm = SignatureScheme::rsa_pss_rsae_sha256;
  ByteView signature;  // <0..2^16-1>

  [[nodiscard]] static Result<CertificateVerify> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8446 §4.4.4: verify_data is Hash.length bytes (12 in TLS 1.2, RFC 5246 §7.4.9), so the
// caller, who knows the negotiated hash, says how long it must be.
struct Finished {
  static constexpr HandshakeType kType = HandshakeType::finished;
  ByteView verify_data;

  [[nodiscard]] static Result<Finished> decode(ByteView body, size_t verify_data_length);
  void encode(Writer& w) const { w.bytes(verify_data); }
};

// RFC 8446 §4.6.1. The ticket_lifetime bound (604800 s) is the client's to enforce.
struct NewSessionTicket {
  static constexpr HandshakeType kType = HandshakeType::new_session_ticket;
  uint32_t ticket_lifetime = 0;
  uint32_t ticket_age_add = 0;
  ByteView ticket_nonce;              // <0..255>
  ByteView ticket;                    // <1..2^16-1>
  std::vector<Extension> extensions;  // <0..2^16-2>

  [[nodiscard]] static Result<NewSessionTicket> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8446 §4.5: an empty body.
struct EndOfEarlyData {
  static constexpr HandshakeType kType = HandshakeType::end_of_early_data;

  [[nodiscard]] static Result<EndOfEarlyData> decode(ByteView body);
  void encode(Writer&) const {}
};

enum class KeyUpdateRequest : uint8_t { update_not_requested = 0, update_requested = 1 };

// RFC 8446 §4.6.3: a request_update other than 0 or 1 is illegal_parameter.
struct KeyUpdate {
  static constexpr HandshakeType kType = HandshakeType::key_update;
  KeyUpdateRequest request_update = KeyUpdateRequest::update_not_requested;

  [[nodiscard]] static Result<KeyUpdate> decode(ByteView body);
  void encode(Writer& w) const { w.u8(static_cast<uint8_t>(request_update)); }
};

// RFC 8446 §4.4.1: after a HelloRetryRequest the transcript restarts with this synthetic
// handshake message, message_hash(254) || 00 00 Hash.length || Hash(ClientHello1).
void write_message_hash(Writer& w, ByteView client_hello1_hash);
[[nodiscard]] Bytes message_hash(ByteView client_hello1_hash);

}  // namespace tlspp::wire
