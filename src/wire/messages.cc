#include "wire/messages.h"

#include <algorithm>
#include <string>

#include "wire/lists.h"

namespace tlspp::wire {

// ---------------------------------------------------------------------------------------------
// Framing

Result<HandshakeMessage> read_handshake(Reader& r) {
  const ByteView start = r.rest();
  auto type = r.u8("handshake message type");
  if (!type) return fail(type.error());
  const std::string_view name = handshake_type_name(static_cast<HandshakeType>(*type));
  auto length = r.u24({name, " handshake header"});
  if (!length) return fail(length.error());
  auto body = r.bytes(*length, {name, " message body"});
  if (!body) return fail(body.error());
  return HandshakeMessage{static_cast<HandshakeType>(*type), *body, start.first(kHandshakeHeaderSize + *length)};
}

std::optional<size_t> handshake_message_size(ByteView buffered) {
  if (buffered.size() < kHandshakeHeaderSize) return std::nullopt;
  return kHandshakeHeaderSize + ((size_t{buffered[1]} << 16) | (size_t{buffered[2]} << 8) | buffered[3]);
}

Writer::Mark begin_handshake(Writer& w, HandshakeType type) {
  w.u8(static_cast<uint8_t>(type));
  return w.open(3);
}

void end_handshake(Writer& w, Writer::Mark mark) { w.close(mark); }

// ---------------------------------------------------------------------------------------------
// Hello messages

Result<ClientHello> ClientHello::decode(ByteView body) {
  Reader r(body);
  ClientHello ch;
  auto version = r.u16("ClientHello legacy_version");
  if (!version) return fail(version.error());
  ch.legacy_version = static_cast<ProtocolVersion>(*version);
  auto random = r.bytes(kRandomSize, "ClientHello random");
  if (!random) return fail(random.error());
  ch.random = *random;
  auto session_id = r.vec8("ClientHello legacy_session_id", 0, 32);
  if (!session_id) return fail(session_id.error());
  ch.legacy_session_id = *session_id;
  auto suites = detail::read_u16_list<CipherSuite>(r, "ClientHello cipher_suites", 2, 2, 0xfffe);
  if (!suites) return fail(suites.error());
  ch.cipher_suites = std::move(*suites);
  auto compression = r.vec8("ClientHello legacy_compression_methods", 1, 0xff);
  if (!compression) return fail(compression.error());
  ch.legacy_compression_methods = *compression;
  // RFC 8446 §4.1.2: a pre-1.3 ClientHello either ends here or carries a valid extension block
  // with nothing after it.
  if (r.empty()) {
    ch.extensions_present = false;
    return ch;
  }
  auto exts = read_extensions(r, "ClientHello");
  if (!exts) return fail(exts.error());
  ch.extensions = std::move(*exts);
  TLSPP_TRY(r.expect_end("ClientHello"));
  // RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last extension in the
  // ClientHello ... Servers MUST check that it is the last extension and otherwise fail the
  // handshake with an "illegal_parameter" alert."
  const auto psk = static_cast<uint16_t>(ExtensionType::pre_shared_key);
  for (size_t i = 0; i + 1 < ch.extensions.size(); ++i)
    if (ch.extensions[i].type == psk)
      return fail(Error::illegal("ClientHello pre_shared_key extension is not the last extension"));
  return ch;
}

void ClientHello::encode(Writer& w) const {
  w.u16(static_cast<uint16_t>(legacy_version));
  w.bytes(random);
  w.vec8(legacy_session_id);
  detail::write_u16_list<CipherSuite>(w, cipher_suites, 2);
  w.vec8(legacy_compression_methods);
  if (extensions_present) write_extensions(w, extensions);
}

namespace {

// The OfferedPsks of a whole ClientHello message, with the message's length checked.
Result<OfferedPsks> offered_psks(ByteView client_hello_message) {
  Reader r(client_hello_message);
  auto msg = read_handshake(r);
  if (!msg) return fail(msg.error());
  TLSPP_TRY(r.expect_end("ClientHello message"));
  if (msg->type != HandshakeType::client_hello)
    return fail(Error::internal("PSK binders requested of a " + std::string(handshake_type_name(msg->type)) +
                                " message, not a ClientHello"));
  auto ch = ClientHello::decode(msg->body);
  if (!ch) return fail(ch.error());
  if (ch->extensions.empty() || ch->extensions.back().ext_type() != ExtensionType::pre_shared_key)
    return fail(Error::internal("ClientHello has no pre_shared_key extension, so it has no PSK binders"));
  return OfferedPsks::decode(ch->extensions.back().data);
}

}  // namespace

Result<size_t> client_hello_binders_offset(ByteView client_hello_message) {
  auto psks = offered_psks(client_hello_message);
  if (!psks) return fail(psks.error());
  // pre_shared_key is the last extension of a ClientHello that has nothing after its extension
  // block, and binders end the extension: so the binders list ends the message.
  return client_hello_message.size() - psks->binders_wire_size();
}

Status patch_psk_binders(MutByteView client_hello_message, std::span<const ByteView> binders) {
  auto psks = offered_psks(client_hello_message);
  if (!psks) return fail(psks.error());
  if (psks->binders.size() != binders.size())
    return fail(Error::internal("ClientHello has " + std::to_string(psks->binders.size()) +
                                " PSK binder slots but " + std::to_string(binders.size()) + " binders were given"));
  for (size_t i = 0; i < binders.size(); ++i)
    if (psks->binders[i].size() != binders[i].size())
      return fail(Error::internal("PSK binder " + std::to_string(i) + " is " + std::to_string(binders[i].size()) +
                                  " bytes but its slot in the ClientHello is " +
                                  std::to_string(psks->binders[i].size())));
  // Skip the binders list's 2-byte length, then each binder's 1-byte length.
  size_t pos = client_hello_message.size() - psks->binders_wire_size() + 2;
  for (ByteView b : binders) {
    pos += 1;
    std::copy(b.begin(), b.end(), client_hello_message.begin() + static_cast<std::ptrdiff_t>(pos));
    pos += b.size();
  }
  return {};
}

DowngradeSentinel downgrade_sentinel(ByteView server_random) {
  if (server_random.size() < kDowngradeSentinelTls12.size()) return DowngradeSentinel::none;
  const ByteView tail = server_random.last(kDowngradeSentinelTls12.size());
  if (std::equal(tail.begin(), tail.end(), kDowngradeSentinelTls12.begin())) return DowngradeSentinel::tls12;
  if (std::equal(tail.begin(), tail.end(), kDowngradeSentinelTls11.begin())) return DowngradeSentinel::tls11_or_below;
  return DowngradeSentinel::none;
}

bool ServerHello::is_hello_retry_request() const {
  return std::ranges::equal(random, kHelloRetryRequestRandom);
}

ExtensionContext ServerHello::extension_context() const {
  return is_hello_retry_request() ? ExtensionContext::hello_retry_request : ExtensionContext::server_hello;
}

Result<ServerHello> ServerHello::decode(ByteView body) {
  Reader r(body);
  ServerHello sh;
  auto version = r.u16("ServerHello legacy_version");
  if (!version) return fail(version.error());
  sh.legacy_version = static_cast<ProtocolVersion>(*version);
  auto random = r.bytes(kRandomSize, "ServerHello random");
  if (!random) return fail(random.error());
  sh.random = *random;
  auto session_id = r.vec8("ServerHello legacy_session_id_echo", 0, 32);
  if (!session_id) return fail(session_id.error());
  sh.legacy_session_id_echo = *session_id;
  auto suite = r.u16("ServerHello cipher_suite");
  if (!suite) return fail(suite.error());
  sh.cipher_suite = static_cast<CipherSuite>(*suite);
  auto compression = r.u8("ServerHello legacy_compression_method");
  if (!compression) return fail(compression.error());
  sh.legacy_compression_method = *compression;
  // RFC 5246 §7.4.1.3: a TLS 1.2 ServerHello without extensions ends here. The TLS 1.3 block
  // minimum (6) is the handshake's to enforce, as it depends on the negotiated version.
  if (r.empty()) {
    sh.extensions_present = false;
    return sh;
  }
  auto exts = read_extensions(r, sh.is_hello_retry_request() ? "HelloRetryRequest" : "ServerHello");
  if (!exts) return fail(exts.error());
  sh.extensions = std::move(*exts);
  TLSPP_TRY(r.expect_end("ServerHello"));
  return sh;
}

void ServerHello::encode(Writer& w) const {
  w.u16(static_cast<uint16_t>(legacy_version));
  w.bytes(random);
  w.vec8(legacy_session_id_echo);
  w.u16(static_cast<uint16_t>(cipher_suite));
  w.u8(legacy_compression_method);
  if (extensions_present) write_extensions(w, extensions);
}

// ---------------------------------------------------------------------------------------------
// TLS 1.3 messages

Result<EncryptedExtensions> EncryptedExtensions::decode(ByteView body) {
  Reader r(body);
  auto exts = read_extensions(r, "EncryptedExtensions");
  if (!exts) return fail(exts.error());
  TLSPP_TRY(r.expect_end("EncryptedExtensions"));
  return EncryptedExtensions{std::move(*exts)};
}

void EncryptedExtensions::encode(Writer& w) const { write_extensions(w, extensions); }

Result<CertificateRequest> CertificateRequest::decode(ByteView body) {
  Reader r(body);
  auto context = r.vec8("CertificateRequest certificate_request_context");
  if (!context) return fail(context.error());
  auto exts = read_extensions(r, "CertificateRequest", 2, 0xffff);
  if (!exts) return fail(exts.error());
  TLSPP_TRY(r.expect_end("CertificateRequest"));
  return CertificateRequest{*context, std::move(*exts)};
}

void CertificateRequest::encode(Writer& w) const {
  w.vec8(certificate_request_context);
  write_extensions(w, extensions);
}

Result<Certificate> Certificate::decode(ByteView body) {
  Reader r(body);
  Certificate out;
  auto context = r.vec8("Certificate certificate_request_context");
  if (!context) return fail(context.error());
  out.certificate_request_context = *context;
  auto list = r.vec24("Certificate certificate_list");
  if (!list) return fail(list.error());
  TLSPP_TRY(r.expect_end("Certificate"));
  Reader lr(*list);
  while (!lr.empty()) {
    CertificateEntry entry;
    auto cert = lr.vec24("CertificateEntry cert_data", 1, 0xffffff);
    if (!cert) return fail(cert.error());
    entry.cert_data = *cert;
    auto exts = read_extensions(lr, "CertificateEntry");
    if (!exts) return fail(exts.error());
    entry.extensions = std::move(*exts);
    out.certificate_list.push_back(std::move(entry));
  }
  return out;
}

void Certificate::encode(Writer& w) const {
  w.vec8(certificate_request_context);
  const auto mark = w.open(3);
  for (const CertificateEntry& e : certificate_list) {
    w.vec24(e.cert_data);
    write_extensions(w, e.extensions);
  }
  w.close(mark);
}

Result<CertificateVerify> CertificateVerify::decode(ByteView body) {
  Reader r(body);
  auto alg = r.u16("CertificateVerify algorithm");
  if (!alg) return fail(alg.error());
  auto sig = r.vec16("CertificateVerify signature");
  if (!sig) return fail(sig.error());
  TLSPP_TRY(r.expect_end("CertificateVerify"));
  return CertificateVerify{static_cast<SignatureScheme>(*alg), *sig};
}

void CertificateVerify::encode(Writer& w) const {
  w.u16(static_cast<uint16_t>(algorithm));
  w.vec16(signature);
}

Result<Finished> Finished::decode(ByteView body, size_t verify_data_length) {
  if (body.size() != verify_data_length)
    return fail(Error::decode("Finished verify_data is " + std::to_string(body.size()) + " bytes; expected " +
                              std::to_string(verify_data_length)));
  return Finished{body};
}

Result<NewSessionTicket> NewSessionTicket::decode(ByteView body) {
  Reader r(body);
  NewSessionTicket out;
  auto lifetime = r.u32("NewSessionTicket ticket_lifetime");
  if (!lifetime) return fail(lifetime.error());
  out.ticket_lifetime = *lifetime;
  auto age_add = r.u32("NewSessionTicket ticket_age_add");
  if (!age_add) return fail(age_add.error());
  out.ticket_age_add = *age_add;
  auto nonce = r.vec8("NewSessionTicket ticket_nonce");
  if (!nonce) return fail(nonce.error());
  out.ticket_nonce = *nonce;
  auto ticket = r.vec16("NewSessionTicket ticket", 1, 0xffff);
  if (!ticket) return fail(ticket.error());
  out.ticket = *ticket;
  auto exts = read_extensions(r, "NewSessionTicket", 0, 0xfffe);
  if (!exts) return fail(exts.error());
  out.extensions = std::move(*exts);
  TLSPP_TRY(r.expect_end("NewSessionTicket"));
  return out;
}

void NewSessionTicket::encode(Writer& w) const {
  w.u32(ticket_lifetime);
  w.u32(ticket_age_add);
  w.vec8(ticket_nonce);
  w.vec16(ticket);
  write_extensions(w, extensions);
}

Result<EndOfEarlyData> EndOfEarlyData::decode(ByteView body) {
  Reader r(body);
  TLSPP_TRY(r.expect_end("EndOfEarlyData (its body is empty)"));
  return EndOfEarlyData{};
}

Result<KeyUpdate> KeyUpdate::decode(ByteView body) {
  Reader r(body);
  auto request = r.u8("KeyUpdate request_update");
  if (!request) return fail(request.error());
  TLSPP_TRY(r.expect_end("KeyUpdate"));
  // RFC 8446 §4.6.3: "If an implementation receives any other value, it MUST terminate the
  // connection with an "illegal_parameter" alert."
  if (*request > 1)
    return fail(Error::illegal("KeyUpdate request_update is " + std::to_string(*request) + "; only 0 and 1 exist"));
  return KeyUpdate{static_cast<KeyUpdateRequest>(*request)};
}

void write_message_hash(Writer& w, ByteView client_hello1_hash) {
  write_handshake(w, HandshakeType::message_hash, [&](Writer& body) { body.bytes(client_hello1_hash); });
}

Bytes message_hash(ByteView client_hello1_hash) {
  Bytes out;
  Writer w(out);
  write_message_hash(w, client_hello1_hash);
  return out;
}

}  // namespace tlspp::wire
