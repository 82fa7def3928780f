// The TLS 1.2-only handshake messages (RFC 5246 §7.4, RFC 8422 §5 for ECDHE, RFC 5077 §3.3 for
// tickets). ClientHello, ServerHello, CertificateVerify (DigitallySigned) and Finished (with a
// 12-byte verify_data) are shared with TLS 1.3 and live in wire/messages.h.
//
// Borrowing: decoded structs hold ByteViews into the message body they were decoded from.
#pragma once

#include <cstdint>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/types.h"
#include "wire/codec.h"
#include "wire/types.h"

namespace tlspp::wire {

// RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>, ASN.1Cert<1..2^24-1>.
struct Certificate12 {
  static constexpr HandshakeType kType = HandshakeType::certificate;
  std::vector<ByteView> certificate_list;

  [[nodiscard]] static Result<Certificate12> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8422 §5.4: ServerKeyExchange for ECDHE with a named curve, signed with a
// SignatureAndHashAlgorithm (RFC 5246 §4.7, the SignatureScheme code points).
struct ServerKeyExchangeEcdhe {
  static constexpr HandshakeType kType = HandshakeType::server_key_exchange;
  static constexpr uint8_t kNamedCurve = 3;
  NamedGroup named_curve = NamedGroup::x25519;
  ByteView public_key;  // ECPoint<1..2^8-1>
  SignatureScheme algorithm = SignatureScheme::rsa_pss_rsae_sha256;
  ByteView signature;  // <0..2^16-1>

  // The ServerECDHParams bytes (curve_type, named_curve, public) that the signature covers
  // after client_random || server_random.
  void encode_params(Writer& w) const;
  // A curve_type other than named_curve(3) is illegal_parameter: RFC 8422 §5.4 deprecates the
  // explicit forms.
  [[nodiscard]] static Result<ServerKeyExchangeEcdhe> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 5246 §7.4.5: an empty body.
struct ServerHelloDone {
  static constexpr HandshakeType kType = HandshakeType::server_hello_done;
  [[nodiscard]] static Result<ServerHelloDone> decode(ByteView body);
  void encode(Writer&) const {}
};

// RFC 5246 §7.4.4 with RFC 8422 §5.5 certificate types.
struct CertificateRequest12 {
  static constexpr HandshakeType kType = HandshakeType::certificate_request;
  ByteView certificate_types;                                   // <1..2^8-1>
  std::vector<SignatureScheme> supported_signature_algorithms;  // <2..2^16-2>
  std::vector<ByteView> certificate_authorities;                // <0..2^16-1>, DN<1..2^16-1>

  [[nodiscard]] static Result<CertificateRequest12> decode(ByteView body);
  void encode(Writer& w) const;
};

// RFC 8422 §5.7: ClientECDiffieHellmanPublic with an explicit ECPoint ecdh_Yc<1..2^8-1>.
struct ClientKeyExchangeEcdhe {
  static constexpr HandshakeType kType = HandshakeType::client_key_exchange;
  ByteView public_key;

  [[nodiscard]] static Result<ClientKeyExchangeEcdhe> decode(ByteView body);
  void encode(Writer& w) const { w.vec8(public_key); }
};

// RFC 5077 §3.3: uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>.
struct NewSessionTicket12 {
  static constexpr HandshakeType kType = HandshakeType::new_session_ticket;
  uint32_t ticket_lifetime_hint = 0;
  ByteView ticket;

  [[nodiscard]] static Result<NewSessionTicket12> decode(ByteView body);
  void encode(Writer& w) const;
};

}  // namespace tlspp::wire
