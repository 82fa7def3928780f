#include "wire/extensions.h"

#include <algorithm>
#include <bitset>
#include <string>

#include "wire/lists.h"

namespace tlspp::wire {

using detail::read_opaque_list;
using detail::read_u16_list;
using detail::write_opaque_list;
using detail::write_u16_list;

namespace {

std::string ext_name(ExtensionType t) { return std::string(extension_type_name(t)); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Extension blocks

Result<std::vector<Extension>> read_extensions(Reader& r, std::string_view what, size_t min, size_t max) {
  const What list_what{what, " extensions"};
  auto block = r.vec16(list_what, min, max);
  if (!block) return fail(block.error());
  // One allocation for the list: count the entries first (a malformed tail ends the count
  // and is reported by the loop below).
  size_t count = 0;
  for (size_t pos = 0; pos + 4 <= block->size(); pos += 4 + ((size_t{(*block)[pos + 2]} << 8) | (*block)[pos + 3]))
    ++count;
  Reader br(*block);
  std::vector<Extension> out;
  out.reserve(count);
  while (!br.empty()) {
    auto type = br.u16(list_what);
    if (!type) return fail(type.error());
    // The name is a view of a static string, or of number_name's per-thread buffer, which
    // nothing overwrites before vec16 returns.
    auto data = br.vec16({what, " extension ", extension_type_name(static_cast<ExtensionType>(*type))});
    if (!data) return fail(data.error());
    out.push_back({*type, *data});
  }
  // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
  // extension block." Pairwise for the usual short lists; sorting a copy keeps it
  // O(n log n) for hostile lists of thousands.
  const auto duplicate = [&](uint16_t type) {
    return fail(Error::illegal(std::string(what) + " has more than one " + ext_name(static_cast<ExtensionType>(type)) +
                               " extension"));
  };
  if (out.size() <= 32) {
    for (size_t i = 1; i < out.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (out[i].type == out[j].type) return duplicate(out[i].type);
    return out;
  }
  std::vector<uint16_t> types;
  types.reserve(out.size());
  for (const Extension& e : out) types.push_back(e.type);
  std::sort(types.begin(), types.end());
  if (auto dup = std::adjacent_find(types.begin(), types.end()); dup != types.end()) return duplicate(*dup);
  return out;
}

void write_extension(Writer& w, uint16_t type, ByteView data) {
  w.u16(type);
  w.vec16(data);
}

void write_extensions(Writer& w, std::span<const Extension> extensions) {
  const auto mark = w.open(2);
  for (const Extension& e : extensions) write_extension(w, e.type, e.data);
  w.close(mark);
}

const Extension* find_extension(std::span<const Extension> extensions, ExtensionType type) {
  for (const Extension& e : extensions)
    if (e.type == static_cast<uint16_t>(type)) return &e;
  return nullptr;
}

bool tls13_extension_permitted(uint16_t type, ExtensionContext ctx) {
  using C = ExtensionContext;
  const bool ch = ctx == C::client_hello, sh = ctx == C::server_hello, hrr = ctx == C::hello_retry_request,
             ee = ctx == C::encrypted_extensions, cr = ctx == C::certificate_request, ct = ctx == C::certificate,
             nst = ctx == C::new_session_ticket;
  switch (static_cast<ExtensionType>(type)) {
    case ExtensionType::server_name:
    case ExtensionType::max_fragment_length:
    case ExtensionType::supported_groups:
    case ExtensionType::use_srtp:
    case ExtensionType::heartbeat:
    case ExtensionType::application_layer_protocol_negotiation:
    case ExtensionType::client_certificate_type:
    case ExtensionType::server_certificate_type:
    case ExtensionType::record_size_limit:  // RFC 8449 §5: sent by a TLS 1.3 server in EE
      return ch || ee;
    case ExtensionType::status_request:
    case ExtensionType::signed_certificate_timestamp:
      return ch || cr || ct;
    case ExtensionType::signature_algorithms:
    case ExtensionType::signature_algorithms_cert:
    case ExtensionType::certificate_authorities:
      return ch || cr;
    case ExtensionType::padding:
    case ExtensionType::psk_key_exchange_modes:
    case ExtensionType::post_handshake_auth:
      return ch;
    case ExtensionType::key_share:
    case ExtensionType::supported_versions:
      return ch || sh || hrr;
    case ExtensionType::pre_shared_key:
      return ch || sh;
    case ExtensionType::early_data:
      return ch || ee || nst;
    case ExtensionType::cookie:
      return ch || hrr;
    case ExtensionType::oid_filters:
      return cr;
    // TLS 1.2 extensions: a TLS 1.3 ClientHello may carry them for servers that negotiate 1.2,
    // but a TLS 1.3 server never sends them.
    case ExtensionType::ec_point_formats:
    case ExtensionType::encrypt_then_mac:
    case ExtensionType::extended_master_secret:
    case ExtensionType::session_ticket:
    case ExtensionType::renegotiation_info:
      return ch;
  }
  return true;
}

void ExtensionsBuilder::add_raw(uint16_t type, ByteView data) {
  const size_t start = storage_.size();
  storage_.insert(storage_.end(), data.begin(), data.end());
  entries_.push_back({type, start, data.size()});
}

Result<std::vector<Extension>> ExtensionsBuilder::list() const {
  if (failed_) return fail(*failed_);
  std::vector<Extension> out;
  out.reserve(entries_.size());
  const ByteView all(storage_);
  for (const Entry& e : entries_) out.push_back({e.type, all.subspan(e.offset, e.length)});
  return out;
}

namespace {

template <class T, class... Args>
Result<bool> typed(const Extension& ext, Bytes* reencoded, Args... args) {
  auto v = T::decode(ext.data, args...);
  if (!v) return fail(v.error());
  if (reencoded != nullptr) {
    reencoded->clear();
    Writer w(*reencoded);
    v->encode(w);
  }
  return true;
}

}  // namespace

Result<bool> decode_typed_extension(ExtensionContext ctx, const Extension& ext, Bytes* reencoded) {
  using C = ExtensionContext;
  const ExtensionType type = ext.ext_type();
  const bool ch = ctx == C::client_hello, sh = ctx == C::server_hello, hrr = ctx == C::hello_retry_request,
             ee = ctx == C::encrypted_extensions, cr = ctx == C::certificate_request, ct = ctx == C::certificate,
             nst = ctx == C::new_session_ticket;
  switch (type) {
    case ExtensionType::server_name:
      if (ch) return typed<ServerNameList>(ext, reencoded);
      if (sh || ee) return typed<EmptyExtension>(ext, reencoded, type);
      break;
    case ExtensionType::max_fragment_length:
      if (ch || sh || ee) return typed<MaxFragmentLength>(ext, reencoded);
      break;
    case ExtensionType::status_request:
      if (ch) return typed<CertificateStatusRequest>(ext, reencoded);
      if (sh || cr) return typed<EmptyExtension>(ext, reencoded, type);
      if (ct) return typed<CertificateStatus>(ext, reencoded);
      break;
    case ExtensionType::supported_groups:
      if (ch || ee) return typed<SupportedGroups>(ext, reencoded);
      break;
    case ExtensionType::ec_point_formats:
      if (ch || sh) return typed<EcPointFormats>(ext, reencoded);
      break;
    case ExtensionType::signature_algorithms:
    case ExtensionType::signature_algorithms_cert:
      if (ch || cr) return typed<SignatureSchemeList>(ext, reencoded);
      break;
    case ExtensionType::application_layer_protocol_negotiation:
      if (ch || sh || ee) return typed<ProtocolNameList>(ext, reencoded, ctx);
      break;
    case ExtensionType::client_certificate_type:
    case ExtensionType::server_certificate_type:
      if (ch) return typed<CertificateTypeList>(ext, reencoded);
      if (sh || ee) return typed<CertificateTypeSelected>(ext, reencoded);
      break;
    case ExtensionType::padding:
      if (ch) return typed<Padding>(ext, reencoded);
      break;
    case ExtensionType::encrypt_then_mac:
    case ExtensionType::extended_master_secret:
      if (ch || sh) return typed<EmptyExtension>(ext, reencoded, type);
      break;
    case ExtensionType::record_size_limit:
      if (ch || sh || ee) return typed<RecordSizeLimit>(ext, reencoded);
      break;
    case ExtensionType::session_ticket:
      if (ch) return typed<SessionTicket>(ext, reencoded);
      if (sh) return typed<EmptyExtension>(ext, reencoded, type);
      break;
    case ExtensionType::pre_shared_key:
      if (ch) return typed<OfferedPsks>(ext, reencoded);
      if (sh) return typed<PreSharedKeySelected>(ext, reencoded);
      break;
    case ExtensionType::early_data:
      if (ch || ee) return typed<EmptyExtension>(ext, reencoded, type);
      if (nst) return typed<EarlyDataMax>(ext, reencoded);
      break;
    case ExtensionType::supported_versions:
      if (ch) return typed<SupportedVersionsList>(ext, reencoded);
      if (sh || hrr) return typed<SupportedVersionSelected>(ext, reencoded);
      break;
    case ExtensionType::cookie:
      if (ch || hrr) return typed<Cookie>(ext, reencoded);
      break;
    case ExtensionType::psk_key_exchange_modes:
      if (ch) return typed<PskKeyExchangeModes>(ext, reencoded);
      break;
    case ExtensionType::certificate_authorities:
      if (ch || cr) return typed<CertificateAuthorities>(ext, reencoded);
      break;
    case ExtensionType::oid_filters:
      if (cr) return typed<OidFilters>(ext, reencoded);
      break;
    case ExtensionType::post_handshake_auth:
      if (ch) return typed<EmptyExtension>(ext, reencoded, type);
      break;
    case ExtensionType::key_share:
      if (ch) return typed<KeyShareClientHello>(ext, reencoded);
      if (sh) return typed<KeyShareServerHello>(ext, reencoded);
      if (hrr) return typed<KeyShareHelloRetryRequest>(ext, reencoded);
      break;
    case ExtensionType::renegotiation_info:
      if (ch || sh) return typed<RenegotiationInfo>(ext, reencoded);
      break;
    case ExtensionType::use_srtp:
    case ExtensionType::heartbeat:
    case ExtensionType::signed_certificate_timestamp:
      break;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Typed extension codecs

Result<EmptyExtension> EmptyExtension::decode(ByteView data, ExtensionType type) {
  if (!data.empty())
    return fail(Error::decode(ext_name(type) + " extension must be empty here but has " +
                              std::to_string(data.size()) + " bytes"));
  return EmptyExtension{};
}

std::optional<std::string_view> ServerNameList::host_name() const {
  for (const Name& n : names)
    if (n.name_type == kHostName)
      return std::string_view(reinterpret_cast<const char*>(n.name.data()), n.name.size());
  return std::nullopt;
}

Result<ServerNameList> ServerNameList::decode(ByteView data) {
  Reader r(data);
  auto list = r.vec16("server_name list", 1, 0xffff);
  if (!list) return fail(list.error());
  TLSPP_TRY(r.expect_end("server_name list"));
  Reader lr(*list);
  ServerNameList out;
  while (!lr.empty()) {
    auto type = lr.u8("server_name name_type");
    if (!type) return fail(type.error());
    // RFC 6066 §3: every name type's data begins with a 16-bit length; HostName<1..2^16-1>.
    auto name = lr.vec16(*type == kHostName ? "server_name host_name" : "server_name name",
                         *type == kHostName ? 1 : 0, 0xffff);
    if (!name) return fail(name.error());
    for (const Name& seen : out.names)
      if (seen.name_type == *type)
        return fail(Error::illegal("server_name list has two names of type " + std::to_string(*type) +
                                   " (RFC 6066 §3 allows one)"));
    out.names.push_back({*type, *name});
  }
  return out;
}

void ServerNameList::encode(Writer& w) const {
  const auto mark = w.open(2);
  for (const Name& n : names) {
    w.u8(n.name_type);
    w.vec16(n.name);
  }
  w.close(mark);
}

Result<MaxFragmentLength> MaxFragmentLength::decode(ByteView data) {
  Reader r(data);
  auto code = r.u8("max_fragment_length");
  if (!code) return fail(code.error());
  TLSPP_TRY(r.expect_end("max_fragment_length"));
  // RFC 6066 §4: only 2^9(1) .. 2^12(4) are defined; other values are illegal_parameter.
  if (*code < 1 || *code > 4)
    return fail(Error::illegal("max_fragment_length value " + std::to_string(*code) + " is not one of 1..4"));
  return MaxFragmentLength{*code};
}

Result<CertificateStatusRequest> CertificateStatusRequest::decode(ByteView data) {
  Reader r(data);
  auto type = r.u8("status_request status_type");
  if (!type) return fail(type.error());
  CertificateStatusRequest out;
  out.status_type = *type;
  if (*type != kOcsp) {
    // RFC 6066 §8 defines only ocsp; other types' requests cannot be parsed, only carried.
    out.other_request = r.rest();
    return out;
  }
  auto ids = read_opaque_list(r, "status_request responder_id_list", 2, 0, 0xffff, 2, 1, 0xffff);
  if (!ids) return fail(ids.error());
  out.responder_id_list = std::move(*ids);
  auto exts = r.vec16("status_request request_extensions");
  if (!exts) return fail(exts.error());
  out.request_extensions = *exts;
  TLSPP_TRY(r.expect_end("status_request"));
  return out;
}

void CertificateStatusRequest::encode(Writer& w) const {
  w.u8(status_type);
  if (status_type != kOcsp) {
    w.bytes(other_request);
    return;
  }
  write_opaque_list(w, responder_id_list, 2, 2);
  w.vec16(request_extensions);
}

Result<CertificateStatus> CertificateStatus::decode(ByteView data) {
  Reader r(data);
  auto type = r.u8("CertificateStatus status_type");
  if (!type) return fail(type.error());
  CertificateStatus out;
  out.status_type = *type;
  if (*type != CertificateStatusRequest::kOcsp) {
    out.response = r.rest();
    return out;
  }
  auto resp = r.vec24("CertificateStatus ocsp_response", 1, 0xffffff);
  if (!resp) return fail(resp.error());
  out.response = *resp;
  TLSPP_TRY(r.expect_end("CertificateStatus"));
  return out;
}

void CertificateStatus::encode(Writer& w) const {
  w.u8(status_type);
  if (status_type == CertificateStatusRequest::kOcsp)
    w.vec24(response);
  else
    w.bytes(response);
}

Result<SupportedGroups> SupportedGroups::decode(ByteView data) {
  Reader r(data);
  auto groups = read_u16_list<NamedGroup>(r, "supported_groups named_group_list", 2, 2, 0xffff);
  if (!groups) return fail(groups.error());
  TLSPP_TRY(r.expect_end("supported_groups"));
  return SupportedGroups{std::move(*groups)};
}

void SupportedGroups::encode(Writer& w) const { write_u16_list<NamedGroup>(w, groups, 2); }

Result<EcPointFormats> EcPointFormats::decode(ByteView data) {
  Reader r(data);
  auto formats = r.vec8("ec_point_formats list", 1, 0xff);
  if (!formats) return fail(formats.error());
  TLSPP_TRY(r.expect_end("ec_point_formats"));
  return EcPointFormats{*formats};
}

Result<SignatureSchemeList> SignatureSchemeList::decode(ByteView data) {
  Reader r(data);
  auto schemes = read_u16_list<SignatureScheme>(r, "supported_signature_algorithms", 2, 2, 0xfffe);
  if (!schemes) return fail(schemes.error());
  TLSPP_TRY(r.expect_end("signature algorithms extension"));
  return SignatureSchemeList{std::move(*schemes)};
}

void SignatureSchemeList::encode(Writer& w) const { write_u16_list<SignatureScheme>(w, schemes, 2); }

Result<ProtocolNameList> ProtocolNameList::decode(ByteView data, ExtensionContext ctx) {
  Reader r(data);
  // RFC 7301 §3.1: "Empty strings MUST NOT be included" (ProtocolName<1..2^8-1>).
  auto names = read_opaque_list(r, "ALPN protocol_name_list", 2, 2, 0xffff, 1, 1, 0xff);
  if (!names) return fail(names.error());
  TLSPP_TRY(r.expect_end("ALPN extension"));
  // RFC 7301 §3.1: the server's list "MUST contain exactly one ProtocolName".
  if (ctx != ExtensionContext::client_hello && names->size() != 1)
    return fail(Error::decode("server ALPN extension names " + std::to_string(names->size()) +
                              " protocols; it must name exactly one"));
  return ProtocolNameList{std::move(*names)};
}

void ProtocolNameList::encode(Writer& w) const { write_opaque_list(w, names, 2, 1); }

Result<CertificateTypeList> CertificateTypeList::decode(ByteView data) {
  Reader r(data);
  auto types = r.vec8("certificate type list", 1, 0xff);
  if (!types) return fail(types.error());
  TLSPP_TRY(r.expect_end("certificate type list"));
  return CertificateTypeList{*types};
}

Result<CertificateTypeSelected> CertificateTypeSelected::decode(ByteView data) {
  Reader r(data);
  auto type = r.u8("selected certificate type");
  if (!type) return fail(type.error());
  TLSPP_TRY(r.expect_end("selected certificate type"));
  return CertificateTypeSelected{*type};
}

Result<Padding> Padding::decode(ByteView data) {
  // RFC 7685 §3: "The client MUST fill the padding extension completely with zero bytes".
  for (size_t i = 0; i < data.size(); ++i)
    if (data[i] != 0)
      return fail(Error::illegal("padding extension byte " + std::to_string(i) + " is not zero"));
  return Padding{data.size()};
}

void Padding::encode(Writer& w) const {
  w.buffer().insert(w.buffer().end(), length, uint8_t{0});
}

Result<RecordSizeLimit> RecordSizeLimit::decode(ByteView data) {
  Reader r(data);
  auto limit = r.u16("record_size_limit");
  if (!limit) return fail(limit.error());
  TLSPP_TRY(r.expect_end("record_size_limit"));
  // RFC 8449 §4: "An endpoint MUST treat receipt of a smaller value [than 64] as a fatal error
  // and generate an "illegal_parameter" alert."
  if (*limit < 64)
    return fail(Error::illegal("record_size_limit " + std::to_string(*limit) + " is below the minimum of 64"));
  return RecordSizeLimit{*limit};
}

Result<SessionTicket> SessionTicket::decode(ByteView data) { return SessionTicket{data}; }

Result<RenegotiationInfo> RenegotiationInfo::decode(ByteView data) {
  Reader r(data);
  auto conn = r.vec8("renegotiation_info renegotiated_connection");
  if (!conn) return fail(conn.error());
  TLSPP_TRY(r.expect_end("renegotiation_info"));
  return RenegotiationInfo{*conn};
}

size_t OfferedPsks::binders_wire_size() const {
  size_t n = 2;
  for (ByteView b : binders) n += 1 + b.size();
  return n;
}

Result<OfferedPsks> OfferedPsks::decode(ByteView data) {
  Reader r(data);
  auto ids = r.vec16("pre_shared_key identities", 7, 0xffff);
  if (!ids) return fail(ids.error());
  OfferedPsks out;
  Reader ir(*ids);
  while (!ir.empty()) {
    auto identity = ir.vec16("pre_shared_key identity", 1, 0xffff);
    if (!identity) return fail(identity.error());
    auto age = ir.u32("pre_shared_key obfuscated_ticket_age");
    if (!age) return fail(age.error());
    out.identities.push_back({*identity, *age});
  }
  auto binders = read_opaque_list(r, "pre_shared_key binders", 2, 33, 0xffff, 1, 32, 255);
  if (!binders) return fail(binders.error());
  out.binders = std::move(*binders);
  TLSPP_TRY(r.expect_end("pre_shared_key"));
  // RFC 8446 §4.2.11: binders holds "one for each value in the identities list".
  if (out.binders.size() != out.identities.size())
    return fail(Error::illegal("pre_shared_key offers " + std::to_string(out.identities.size()) +
                               " identities but " + std::to_string(out.binders.size()) + " binders"));
  return out;
}

void OfferedPsks::encode(Writer& w) const {
  const auto mark = w.open(2);
  for (const Identity& id : identities) {
    w.vec16(id.identity);
    w.u32(id.obfuscated_ticket_age);
  }
  w.close(mark);
  write_opaque_list(w, binders, 2, 1);
}

Result<PreSharedKeySelected> PreSharedKeySelected::decode(ByteView data) {
  Reader r(data);
  auto sel = r.u16("pre_shared_key selected_identity");
  if (!sel) return fail(sel.error());
  TLSPP_TRY(r.expect_end("pre_shared_key"));
  return PreSharedKeySelected{*sel};
}

Result<EarlyDataMax> EarlyDataMax::decode(ByteView data) {
  Reader r(data);
  auto max = r.u32("early_data max_early_data_size");
  if (!max) return fail(max.error());
  TLSPP_TRY(r.expect_end("early_data"));
  return EarlyDataMax{*max};
}

Result<SupportedVersionsList> SupportedVersionsList::decode(ByteView data) {
  Reader r(data);
  auto versions = read_u16_list<ProtocolVersion>(r, "supported_versions versions", 1, 2, 254);
  if (!versions) return fail(versions.error());
  TLSPP_TRY(r.expect_end("supported_versions"));
  return SupportedVersionsList{std::move(*versions)};
}

void SupportedVersionsList::encode(Writer& w) const { write_u16_list<ProtocolVersion>(w, versions, 1); }

Result<SupportedVersionSelected> SupportedVersionSelected::decode(ByteView data) {
  Reader r(data);
  auto v = r.u16("supported_versions selected_version");
  if (!v) return fail(v.error());
  TLSPP_TRY(r.expect_end("supported_versions"));
  return SupportedVersionSelected{static_cast<ProtocolVersion>(*v)};
}

Result<Cookie> Cookie::decode(ByteView data) {
  Reader r(data);
  auto cookie = r.vec16("cookie", 1, 0xffff);
  if (!cookie) return fail(cookie.error());
  TLSPP_TRY(r.expect_end("cookie"));
  return Cookie{*cookie};
}

bool PskKeyExchangeModes::offers(PskKeyExchangeMode m) const {
  return std::find(modes.begin(), modes.end(), m) != modes.end();
}

Result<PskKeyExchangeModes> PskKeyExchangeModes::decode(ByteView data) {
  Reader r(data);
  auto modes = r.vec8("psk_key_exchange_modes ke_modes", 1, 255);
  if (!modes) return fail(modes.error());
  TLSPP_TRY(r.expect_end("psk_key_exchange_modes"));
  PskKeyExchangeModes out;
  for (uint8_t m : *modes) out.modes.push_back(static_cast<PskKeyExchangeMode>(m));
  return out;
}

void PskKeyExchangeModes::encode(Writer& w) const {
  const auto mark = w.open(1);
  for (PskKeyExchangeMode m : modes) w.u8(static_cast<uint8_t>(m));
  w.close(mark);
}

Result<CertificateAuthorities> CertificateAuthorities::decode(ByteView data) {
  Reader r(data);
  auto names = read_opaque_list(r, "certificate_authorities authorities", 2, 3, 0xffff, 2, 1, 0xffff);
  if (!names) return fail(names.error());
  TLSPP_TRY(r.expect_end("certificate_authorities"));
  return CertificateAuthorities{std::move(*names)};
}

void CertificateAuthorities::encode(Writer& w) const { write_opaque_list(w, authorities, 2, 2); }

Result<OidFilters> OidFilters::decode(ByteView data) {
  Reader r(data);
  auto list = r.vec16("oid_filters filters");
  if (!list) return fail(list.error());
  TLSPP_TRY(r.expect_end("oid_filters"));
  Reader lr(*list);
  OidFilters out;
  while (!lr.empty()) {
    auto oid = lr.vec8("oid_filters certificate_extension_oid", 1, 0xff);
    if (!oid) return fail(oid.error());
    auto values = lr.vec16("oid_filters certificate_extension_values");
    if (!values) return fail(values.error());
    out.filters.push_back({*oid, *values});
  }
  return out;
}

void OidFilters::encode(Writer& w) const {
  const auto mark = w.open(2);
  for (const Filter& f : filters) {
    w.vec8(f.certificate_extension_oid);
    w.vec16(f.certificate_extension_values);
  }
  w.close(mark);
}

namespace {

Result<KeyShareEntry> read_key_share_entry(Reader& r) {
  auto group = r.u16("KeyShareEntry group");
  if (!group) return fail(group.error());
  auto key = r.vec16("KeyShareEntry key_exchange", 1, 0xffff);
  if (!key) return fail(key.error());
  return KeyShareEntry{static_cast<NamedGroup>(*group), *key};
}

void write_key_share_entry(Writer& w, const KeyShareEntry& e) {
  w.u16(static_cast<uint16_t>(e.group));
  w.vec16(e.key_exchange);
}

}  // namespace

const KeyShareEntry* KeyShareClientHello::find(NamedGroup group) const {
  for (const KeyShareEntry& e : client_shares)
    if (e.group == group) return &e;
  return nullptr;
}

Result<KeyShareClientHello> KeyShareClientHello::decode(ByteView data) {
  Reader r(data);
  auto list = r.vec16("key_share client_shares");
  if (!list) return fail(list.error());
  TLSPP_TRY(r.expect_end("key_share"));
  Reader lr(*list);
  KeyShareClientHello out;
  // One bit per code point: a list of thousands of shares is checked in linear time.
  std::bitset<65536> seen;
  while (!lr.empty()) {
    auto entry = read_key_share_entry(lr);
    if (!entry) return fail(entry.error());
    // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group
    // ... Servers MAY check for violations ... with an "illegal_parameter" alert".
    if (seen.test(static_cast<uint16_t>(entry->group)))
      return fail(Error::illegal("key_share offers two shares for group " +
                                 std::string(named_group_name(entry->group))));
    seen.set(static_cast<uint16_t>(entry->group));
    out.client_shares.push_back(*entry);
  }
  return out;
}

void KeyShareClientHello::encode(Writer& w) const {
  const auto mark = w.open(2);
  for (const KeyShareEntry& e : client_shares) write_key_share_entry(w, e);
  w.close(mark);
}

Result<KeyShareServerHello> KeyShareServerHello::decode(ByteView data) {
  Reader r(data);
  auto entry = read_key_share_entry(r);
  if (!entry) return fail(entry.error());
  TLSPP_TRY(r.expect_end("key_share server_share"));
  return KeyShareServerHello{*entry};
}

void KeyShareServerHello::encode(Writer& w) const { write_key_share_entry(w, server_share); }

Result<KeyShareHelloRetryRequest> KeyShareHelloRetryRequest::decode(ByteView data) {
  Reader r(data);
  auto group = r.u16("key_share selected_group");
  if (!group) return fail(group.error());
  TLSPP_TRY(r.expect_end("key_share selected_group"));
  return KeyShareHelloRetryRequest{static_cast<NamedGroup>(*group)};
}

}  // namespace tlspp::wire
