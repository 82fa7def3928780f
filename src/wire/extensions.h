// Extension blocks and the typed codec of each extension (RFC 8446 §4.2 and the RFCs that define
// the others).
//
// Borrowing: every decoded struct here holds ByteViews into the bytes it was decoded from, and is
// valid only while those bytes are. Encoding writes the struct's fields as they are; a struct
// built by hand must satisfy the same bounds its decoder checks, or the peer will reject it.
//
// Each typed codec decodes the `extension_data` of one extension (not its type or length) and
// encodes the same. Decoders are strict: lengths must match their vectors exactly and no byte may
// trail, so decode followed by encode reproduces the input byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tlspp/error.h"
#include "tlspp/types.h"
#include "wire/codec.h"
#include "wire/types.h"

namespace tlspp::wire {

// ---------------------------------------------------------------------------------------------
// Extension blocks

// One extension as it appeared on the wire. `data` borrows from the decoded buffer.
struct Extension {
  uint16_t type = 0;
  ByteView data;

  [[nodiscard]] ExtensionType ext_type() const { return static_cast<ExtensionType>(type); }
};

// Reads `Extension extensions<min..max>` (2-byte length prefix included). Order is kept exactly;
// unknown and GREASE (RFC 8701) extensions are kept for the caller to judge. A type appearing
// twice is illegal_parameter (RFC 8446 §4.2: "There MUST NOT be more than one extension of the
// same type in a given extension block"); malformed lengths are decode_error.
[[nodiscard]] Result<std::vector<Extension>> read_extensions(Reader& r, std::string_view what,
                                                             size_t min = 0, size_t max = 0xffff);
// Writes the list with its 2-byte length prefix.
void write_extensions(Writer& w, std::span<const Extension> extensions);
// Writes one extension: type, 2-byte length, data.
void write_extension(Writer& w, uint16_t type, ByteView data);

[[nodiscard]] const Extension* find_extension(std::span<const Extension> extensions, ExtensionType type);

// RFC 8446 §4.2 table (and RFC 8449 §5 for record_size_limit): whether a TLS 1.3 peer may send
// an extension this library recognizes in the given message. The TLS 1.2-only extensions
// (ec_point_formats, encrypt_then_mac, extended_master_secret, session_ticket,
// renegotiation_info) may appear only in a ClientHello. Unrecognized types give true: whether
// they were solicited is the handshake's question, not the table's.
[[nodiscard]] bool tls13_extension_permitted(uint16_t type, ExtensionContext ctx);

// Builds an extension list for a message being constructed: each typed extension is encoded
// into storage owned by the builder, and list() gives Extension views into that storage (valid
// until the next add or the builder's destruction).
class ExtensionsBuilder {
 public:
  ExtensionsBuilder() {
    storage_.reserve(384);  // a ClientHello's extensions, without a large ticket
    entries_.reserve(16);
  }
  template <class T>
  void add(ExtensionType type, const T& ext) {
    Writer w(storage_);
    const size_t start = storage_.size();
    ext.encode(w);
    if (!w.ok() && !failed_) failed_ = w.status(extension_type_name(type)).error();
    entries_.push_back({static_cast<uint16_t>(type), start, storage_.size() - start});
  }
  void add_raw(uint16_t type, ByteView data);
  // The extensions added, or the error of the first one whose encoding did not fit.
  [[nodiscard]] Result<std::vector<Extension>> list() const;

 private:
  std::optional<Error> failed_;
  struct Entry {
    uint16_t type;
    size_t offset;
    size_t length;
  };
  Bytes storage_;
  std::vector<Entry> entries_;
};

// Decodes `ext` with the typed codec of its type in `ctx` (RFC 8446 §4.2 forms: e.g. key_share
// is a list in a ClientHello, one entry in a ServerHello, a group in a HelloRetryRequest).
// Returns true if such a codec exists and accepted the data, false if this library has no codec
// for that type in that context (the data is then not examined), or the codec's error. If
// `reencoded` is given and a codec exists, the decoded value is encoded into it; the codecs are
// canonical, so it then equals ext.data. Used by trace printers, fuzzers and tests.
[[nodiscard]] Result<bool> decode_typed_extension(ExtensionContext ctx, const Extension& ext,
                                                  Bytes* reencoded = nullptr);

// ---------------------------------------------------------------------------------------------
// Typed extension codecs

// An extension whose extension_data is empty: server_name in a server's EncryptedExtensions or
// ServerHello (RFC 6066 §3), early_data in ClientHello and EncryptedExtensions (RFC 8446 §4.2.10),
// post_handshake_auth, extended_master_secret, encrypt_then_mac, the server's session_ticket and
// status_request acknowledgements, and status_request in a TLS 1.3 CertificateRequest.
struct EmptyExtension {
  [[nodiscard]] static Result<EmptyExtension> decode(ByteView data, ExtensionType type);
  void encode(Writer&) const {}
};

// RFC 6066 §3: ServerNameList server_name_list<1..2^16-1> (ClientHello form). Names of unknown
// types are kept (RFC 6066 requires them to start with a 16-bit length too); a name type given
// twice is illegal_parameter.
struct ServerNameList {
  static constexpr uint8_t kHostName = 0;
  struct Name {
    uint8_t name_type = kHostName;
    ByteView name;  // host_name: HostName<1..2^16-1>, ASCII without a trailing dot
  };
  std::vector<Name> names;

  // The host_name entry, if any.
  [[nodiscard]] std::optional<std::string_view> host_name() const;
  [[nodiscard]] static Result<ServerNameList> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 6066 §4: one byte, 1..4 (2^9..2^12 bytes); anything else is illegal_parameter.
struct MaxFragmentLength {
  uint8_t code = 1;
  [[nodiscard]] static Result<MaxFragmentLength> decode(ByteView data);
  void encode(Writer& w) const { w.u8(code); }
};

// RFC 6066 §8: CertificateStatusRequest (ClientHello form). For status_type ocsp(1) the
// OCSPStatusRequest is decoded; any other status type keeps its request bytes opaque.
struct CertificateStatusRequest {
  static constexpr uint8_t kOcsp = 1;
  uint8_t status_type = kOcsp;
  std::vector<ByteView> responder_id_list;  // ResponderID<1..2^16-1> each
  ByteView request_extensions;              // DER Extensions, <0..2^16-1>
  ByteView other_request;                   // the request of a non-OCSP status_type

  [[nodiscard]] static Result<CertificateStatusRequest> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.4.2.1 / RFC 6066 §8: CertificateStatus in a TLS 1.3 CertificateEntry.
struct CertificateStatus {
  uint8_t status_type = CertificateStatusRequest::kOcsp;
  ByteView response;  // OCSPResponse<1..2^24-1> for ocsp; the raw bytes for other types

  [[nodiscard]] static Result<CertificateStatus> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.7: NamedGroup named_group_list<2..2^16-1>.
struct SupportedGroups {
  std::vector<NamedGroup> groups;
  [[nodiscard]] static Result<SupportedGroups> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>.
struct EcPointFormats {
  static constexpr uint8_t kUncompressed = 0;
  ByteView formats;
  [[nodiscard]] static Result<EcPointFormats> decode(ByteView data);
  void encode(Writer& w) const { w.vec8(formats); }
};

// RFC 8446 §4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>; the form of both
// signature_algorithms and signature_algorithms_cert.
struct SignatureSchemeList {
  std::vector<SignatureScheme> schemes;
  [[nodiscard]] static Result<SignatureSchemeList> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, ProtocolName<1..2^8-1>. In a
// ClientHello the list has one or more names; from a server exactly one.
struct ProtocolNameList {
  std::vector<ByteView> names;
  [[nodiscard]] static Result<ProtocolNameList> decode(ByteView data, ExtensionContext ctx);
  void encode(Writer& w) const;
};

// RFC 7250 §3: CertificateType client/server_certificate_types<1..2^8-1> (ClientHello form).
struct CertificateTypeList {
  static constexpr uint8_t kX509 = 0;
  static constexpr uint8_t kRawPublicKey = 2;
  ByteView types;
  [[nodiscard]] static Result<CertificateTypeList> decode(ByteView data);
  void encode(Writer& w) const { w.vec8(types); }
};

// RFC 7250 §3: the one CertificateType a server selected (EncryptedExtensions / ServerHello).
struct CertificateTypeSelected {
  uint8_t type = CertificateTypeList::kX509;
  [[nodiscard]] static Result<CertificateTypeSelected> decode(ByteView data);
  void encode(Writer& w) const { w.u8(type); }
};

// RFC 7685 §3: `length` zero bytes; a non-zero byte is illegal_parameter.
struct Padding {
  size_t length = 0;
  [[nodiscard]] static Result<Padding> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8449 §4: uint16 RecordSizeLimit; below 64 is illegal_parameter.
struct RecordSizeLimit {
  uint16_t limit = 16385;
  [[nodiscard]] static Result<RecordSizeLimit> decode(ByteView data);
  void encode(Writer& w) const { w.u16(limit); }
};

// RFC 5077 §3.2: the ticket a TLS 1.2 client offers (possibly empty). The server's
// acknowledgement is an EmptyExtension.
struct SessionTicket {
  ByteView ticket;
  [[nodiscard]] static Result<SessionTicket> decode(ByteView data);
  void encode(Writer& w) const { w.bytes(ticket); }
};

// RFC 5746 §3.2: opaque renegotiated_connection<0..255>.
struct RenegotiationInfo {
  ByteView renegotiated_connection;
  [[nodiscard]] static Result<RenegotiationInfo> decode(ByteView data);
  void encode(Writer& w) const { w.vec8(renegotiated_connection); }
};

// RFC 8446 §4.2.11: OfferedPsks (ClientHello form of pre_shared_key).
struct OfferedPsks {
  struct Identity {
    ByteView identity;  // <1..2^16-1>
    uint32_t obfuscated_ticket_age = 0;
  };
  std::vector<Identity> identities;  // identities<7..2^16-1>
  std::vector<ByteView> binders;     // PskBinderEntry<32..255> each, binders<33..2^16-1>

  // Bytes the binders list takes on the wire, its 2-byte length prefix included.
  [[nodiscard]] size_t binders_wire_size() const;
  // Identity and binder counts must match (illegal_parameter otherwise).
  [[nodiscard]] static Result<OfferedPsks> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.11: the ServerHello form of pre_shared_key.
struct PreSharedKeySelected {
  uint16_t selected_identity = 0;
  [[nodiscard]] static Result<PreSharedKeySelected> decode(ByteView data);
  void encode(Writer& w) const { w.u16(selected_identity); }
};

// RFC 8446 §4.2.10: early_data in a NewSessionTicket (in ClientHello and EncryptedExtensions it
// is an EmptyExtension).
struct EarlyDataMax {
  uint32_t max_early_data_size = 0;
  [[nodiscard]] static Result<EarlyDataMax> decode(ByteView data);
  void encode(Writer& w) const { w.u32(max_early_data_size); }
};

// RFC 8446 §4.2.1: ProtocolVersion versions<2..254> (ClientHello form).
struct SupportedVersionsList {
  std::vector<ProtocolVersion> versions;
  [[nodiscard]] static Result<SupportedVersionsList> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.1: ProtocolVersion selected_version (ServerHello and HelloRetryRequest form).
struct SupportedVersionSelected {
  ProtocolVersion version = ProtocolVersion::tls13;
  [[nodiscard]] static Result<SupportedVersionSelected> decode(ByteView data);
  void encode(Writer& w) const { w.u16(static_cast<uint16_t>(version)); }
};

// RFC 8446 §4.2.2: opaque cookie<1..2^16-1>.
struct Cookie {
  ByteView cookie;
  [[nodiscard]] static Result<Cookie> decode(ByteView data);
  void encode(Writer& w) const { w.vec16(cookie); }
};

// RFC 8446 §4.2.9.
enum class PskKeyExchangeMode : uint8_t { psk_ke = 0, psk_dhe_ke = 1 };

// RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>. Unknown modes are kept.
struct PskKeyExchangeModes {
  std::vector<PskKeyExchangeMode> modes;
  [[nodiscard]] bool offers(PskKeyExchangeMode m) const;
  [[nodiscard]] static Result<PskKeyExchangeModes> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.4: DistinguishedName authorities<3..2^16-1>, DistinguishedName<1..2^16-1> (DER).
struct CertificateAuthorities {
  std::vector<ByteView> authorities;
  [[nodiscard]] static Result<CertificateAuthorities> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.5: OIDFilter filters<0..2^16-1> (CertificateRequest only).
struct OidFilters {
  struct Filter {
    ByteView certificate_extension_oid;     // <1..2^8-1>, DER OID contents
    ByteView certificate_extension_values;  // <0..2^16-1>
  };
  std::vector<Filter> filters;
  [[nodiscard]] static Result<OidFilters> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.8: KeyShareEntry { NamedGroup group; opaque key_exchange<1..2^16-1>; }.
struct KeyShareEntry {
  NamedGroup group = NamedGroup::x25519;
  ByteView key_exchange;
};

// RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1> (ClientHello). Two shares for one
// group are illegal_parameter.
struct KeyShareClientHello {
  std::vector<KeyShareEntry> client_shares;
  [[nodiscard]] const KeyShareEntry* find(NamedGroup group) const;
  [[nodiscard]] static Result<KeyShareClientHello> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.8: KeyShareEntry server_share (ServerHello).
struct KeyShareServerHello {
  KeyShareEntry server_share;
  [[nodiscard]] static Result<KeyShareServerHello> decode(ByteView data);
  void encode(Writer& w) const;
};

// RFC 8446 §4.2.8: NamedGroup selected_group (HelloRetryRequest).
struct KeyShareHelloRetryRequest {
  NamedGroup selected_group = NamedGroup::x25519;
  [[nodiscard]] static Result<KeyShareHelloRetryRequest> decode(ByteView data);
  void encode(Writer& w) const { w.u16(static_cast<uint16_t>(selected_group)); }
};

}  // namespace tlspp::wire
