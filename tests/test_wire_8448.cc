// RFC 8448 through the wire layer: every handshake message of every trace (§3 simple 1-RTT,
// §4 resumed 0-RTT, §5 HelloRetryRequest, §6 client authentication, §7 compatibility mode)
// decodes; each of its extensions decodes with the typed codec for its type and context and
// re-encodes to its original bytes; each message re-encodes to exactly its original bytes. Plus
// checks of decoded values against the trace's other steps (key shares, PSK binder, cookie), the
// trace parser itself, and the fuzz seeds derived from the trace.
#include <gtest/gtest.h>
#include <gtest/gtest-spi.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "support/rfc8448.h"
#include "wire/extensions.h"
#include "wire/messages.h"

namespace tlspp::wire {
namespace {

using test::TraceStep;

constexpr size_t kSha256Len = 32;  // every RFC 8448 trace uses TLS_AES_128_GCM_SHA256

Bytes B(ByteView v) { return Bytes(v.begin(), v.end()); }

// Decodes every extension of `exts` in `ctx` with its typed codec and checks the re-encoding.
void check_extensions(const std::vector<Extension>& exts, ExtensionContext ctx) {
  for (const Extension& e : exts) {
    SCOPED_TRACE(std::string(extension_context_name(ctx)) + " extension " +
                 std::string(extension_type_name(e.ext_type())));
    EXPECT_TRUE(tls13_extension_permitted(e.type, ctx));
    Bytes re;
    auto typed = decode_typed_extension(ctx, e, &re);
    ASSERT_TRUE(typed.has_value()) << typed.error().to_string();
    EXPECT_TRUE(*typed) << "no typed codec";
    EXPECT_EQ(re, B(e.data));
  }
}

template <class M>
void check_reencode(const M& m, const HandshakeMessage& msg) {
  EXPECT_EQ(encode_message(m).value(), B(msg.whole));
}

// Decodes one handshake message of a trace with its codec; checks extensions and re-encoding.
void check_message(const HandshakeMessage& msg) {
  SCOPED_TRACE(std::string("message ") + std::string(handshake_type_name(msg.type)));
  switch (msg.type) {
    case HandshakeType::client_hello: {
      auto m = ClientHello::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_extensions(m->extensions, ExtensionContext::client_hello);
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::server_hello: {
      auto m = ServerHello::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_extensions(m->extensions, m->extension_context());
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::encrypted_extensions: {
      auto m = EncryptedExtensions::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_extensions(m->extensions, ExtensionContext::encrypted_extensions);
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::certificate_request: {
      auto m = CertificateRequest::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_extensions(m->extensions, ExtensionContext::certificate_request);
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::certificate: {
      auto m = Certificate::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      EXPECT_FALSE(m->certificate_list.empty());
      for (const CertificateEntry& e : m->certificate_list) {
        // Each cert_data is one DER SEQUENCE spanning the whole entry.
        ASSERT_GE(e.cert_data.size(), 4u);
        EXPECT_EQ(e.cert_data[0], 0x30);
        check_extensions(e.extensions, ExtensionContext::certificate);
      }
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::certificate_verify: {
      auto m = CertificateVerify::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::finished: {
      auto m = Finished::decode(msg.body, kSha256Len);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::new_session_ticket: {
      auto m = NewSessionTicket::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_extensions(m->extensions, ExtensionContext::new_session_ticket);
      check_reencode(*m, msg);
      break;
    }
    case HandshakeType::end_of_early_data: {
      auto m = EndOfEarlyData::decode(msg.body);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      check_reencode(*m, msg);
      break;
    }
    default:
      ADD_FAILURE() << "unexpected message type in the trace";
  }
}

// The handshake messages of the "send handshake record" steps of a section, in order.
struct SentMessage {
  std::string side;
  Bytes bytes;
};

std::vector<SentMessage> sent_messages(const std::vector<TraceStep>& steps) {
  std::vector<SentMessage> out;
  for (const TraceStep& s : steps) {
    if (s.title != "send handshake record") continue;
    const Bytes* payload = s.field("payload");
    if (payload == nullptr) {
      ADD_FAILURE() << "handshake record without payload at line " << s.line;
      continue;
    }
    Reader r(*payload);
    while (!r.empty()) {
      auto msg = read_handshake(r);
      if (!msg) {
        ADD_FAILURE() << "line " << s.line << ": " << msg.error().to_string();
        break;
      }
      out.push_back({s.side, B(msg->whole)});
    }
  }
  return out;
}

std::vector<HandshakeType> types_of(const std::vector<SentMessage>& msgs) {
  std::vector<HandshakeType> out;
  for (const SentMessage& m : msgs) out.push_back(static_cast<HandshakeType>(m.bytes[0]));
  return out;
}

void check_section(int section, const std::vector<HandshakeType>& expected_types) {
  SCOPED_TRACE("RFC 8448 section " + std::to_string(section));
  const std::vector<TraceStep> steps = test::rfc8448_section(section);
  const std::vector<SentMessage> sent = sent_messages(steps);
  EXPECT_EQ(types_of(sent), expected_types);
  for (const SentMessage& m : sent) {
    Reader r(m.bytes);
    auto msg = read_handshake(r);
    ASSERT_TRUE(msg.has_value());
    check_message(*msg);
  }
  // Each "construct a ... handshake message" step shows one message: it must decode the same way
  // and be what was sent. The only exception is §4's ClientHello, shown before its binders.
  int constructed = 0;
  for (const TraceStep& s : steps) {
    if (!s.title.starts_with("construct a") || s.fields.size() != 1) continue;
    SCOPED_TRACE("line " + std::to_string(s.line) + ": " + s.title);
    ++constructed;
    const Bytes& bytes = s.fields[0].value;
    const auto sent_it = std::find_if(sent.begin(), sent.end(), [&](const SentMessage& m) { return m.bytes == bytes; });
    if (sent_it != sent.end()) {
      Reader r(bytes);
      auto msg = read_handshake(r);
      ASSERT_TRUE(msg.has_value());
      EXPECT_TRUE(r.empty());
      EXPECT_EQ(s.side, sent_it->side);
      check_message(*msg);
      continue;
    }
    // A truncated ClientHello: the prefix of the sent one that the PSK binder covers.
    ASSERT_EQ(section, 4);
    ASSERT_FALSE(sent.empty());
    const Bytes& ch = sent.front().bytes;
    ASSERT_LT(bytes.size(), ch.size());
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), ch.begin()));
    auto offset = client_hello_binders_offset(ch);
    ASSERT_TRUE(offset.has_value()) << offset.error().to_string();
    EXPECT_EQ(*offset, bytes.size());
  }
  EXPECT_GT(constructed, 0);
}

using T = HandshakeType;

TEST(Wire8448, Section3SimpleHandshakeMessages) {
  check_section(3, {T::client_hello, T::server_hello, T::encrypted_extensions, T::certificate, T::certificate_verify,
                    T::finished, T::finished, T::new_session_ticket});
}

TEST(Wire8448, Section4ResumedHandshakeMessages) {
  check_section(4, {T::client_hello, T::server_hello, T::encrypted_extensions, T::finished, T::end_of_early_data,
                    T::finished});
}

TEST(Wire8448, Section5HelloRetryRequestMessages) {
  check_section(5, {T::client_hello, T::server_hello, T::client_hello, T::server_hello, T::encrypted_extensions,
                    T::certificate, T::certificate_verify, T::finished, T::finished});
}

TEST(Wire8448, Section6ClientAuthenticationMessages) {
  check_section(6, {T::client_hello, T::server_hello, T::encrypted_extensions, T::certificate_request, T::certificate,
                    T::certificate_verify, T::finished, T::certificate, T::certificate_verify, T::finished});
}

TEST(Wire8448, Section7CompatibilityModeMessages) {
  check_section(7, {T::client_hello, T::server_hello, T::encrypted_extensions, T::certificate, T::certificate_verify,
                    T::finished, T::finished});
}

// ---------------------------------------------------------------------------------------------
// Decoded values against the rest of the trace

const Bytes& field_of(const std::vector<TraceStep>& steps, std::string_view side, std::string_view title,
                      std::string_view label, size_t nth = 0) {
  static const Bytes none;
  const TraceStep* s = test::find_step(steps, side, title, nth);
  if (s == nullptr || s->field(label) == nullptr) {
    ADD_FAILURE() << "no field '" << label << "' in {" << side << "} " << title;
    return none;
  }
  return *s->field(label);
}

template <class X>
X typed_ext(const std::vector<Extension>& exts, ExtensionType type) {
  const Extension* e = find_extension(exts, type);
  if (e == nullptr) {
    ADD_FAILURE() << "missing extension " << extension_type_name(type);
    return X{};
  }
  auto x = X::decode(e->data);
  if (!x) {
    ADD_FAILURE() << x.error().to_string();
    return X{};
  }
  return *x;
}

ByteView body_of(const Bytes& message) { return ByteView(message).subspan(kHandshakeHeaderSize); }

TEST(Wire8448, Section3ClientHelloValues) {
  const auto steps = test::rfc8448_section(3);
  const Bytes& msg = field_of(steps, "client", "construct a ClientHello", "ClientHello");
  auto ch = ClientHello::decode(body_of(msg));
  ASSERT_TRUE(ch.has_value()) << ch.error().to_string();
  EXPECT_EQ(ch->legacy_version, ProtocolVersion::tls12);
  EXPECT_TRUE(ch->legacy_session_id.empty());
  EXPECT_EQ(ch->cipher_suites, (std::vector<CipherSuite>{CipherSuite::TLS_AES_128_GCM_SHA256,
                                                         CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
                                                         CipherSuite::TLS_AES_256_GCM_SHA384}));
  auto sni = typed_ext<ServerNameList>(ch->extensions, ExtensionType::server_name);
  EXPECT_EQ(sni.host_name(), "server");
  const auto groups = typed_ext<SupportedGroups>(ch->extensions, ExtensionType::supported_groups).groups;
  ASSERT_EQ(groups.size(), 9u);
  EXPECT_EQ(groups[0], NamedGroup::x25519);
  EXPECT_EQ(groups[1], NamedGroup::secp256r1);
  auto shares = typed_ext<KeyShareClientHello>(ch->extensions, ExtensionType::key_share);
  ASSERT_EQ(shares.client_shares.size(), 1u);
  const KeyShareEntry* x25519 = shares.find(NamedGroup::x25519);
  ASSERT_NE(x25519, nullptr);
  EXPECT_EQ(B(x25519->key_exchange), field_of(steps, "client", "create an ephemeral x25519", "public key"));
  auto versions = typed_ext<SupportedVersionsList>(ch->extensions, ExtensionType::supported_versions);
  EXPECT_EQ(versions.versions, std::vector<ProtocolVersion>{ProtocolVersion::tls13});
  auto modes = typed_ext<PskKeyExchangeModes>(ch->extensions, ExtensionType::psk_key_exchange_modes);
  EXPECT_TRUE(modes.offers(PskKeyExchangeMode::psk_dhe_ke));
  EXPECT_FALSE(modes.offers(PskKeyExchangeMode::psk_ke));
  EXPECT_EQ(typed_ext<RecordSizeLimit>(ch->extensions, ExtensionType::record_size_limit).limit, 0x4001);
  const auto schemes = typed_ext<SignatureSchemeList>(ch->extensions, ExtensionType::signature_algorithms).schemes;
  ASSERT_EQ(schemes.size(), 15u);
  EXPECT_EQ(schemes[0], SignatureScheme::ecdsa_secp256r1_sha256);
  EXPECT_EQ(typed_ext<RenegotiationInfo>(ch->extensions, ExtensionType::renegotiation_info)
                .renegotiated_connection.size(),
            0u);
}

TEST(Wire8448, Section3ServerMessagesValues) {
  const auto steps = test::rfc8448_section(3);
  auto sh = ServerHello::decode(body_of(field_of(steps, "server", "construct a ServerHello", "ServerHello")));
  ASSERT_TRUE(sh.has_value());
  EXPECT_FALSE(sh->is_hello_retry_request());
  EXPECT_EQ(sh->downgrade(), DowngradeSentinel::none);
  EXPECT_EQ(sh->cipher_suite, CipherSuite::TLS_AES_128_GCM_SHA256);
  auto share = typed_ext<KeyShareServerHello>(sh->extensions, ExtensionType::key_share);
  EXPECT_EQ(share.server_share.group, NamedGroup::x25519);
  EXPECT_EQ(B(share.server_share.key_exchange), field_of(steps, "server", "create an ephemeral x25519", "public key"));
  EXPECT_EQ(typed_ext<SupportedVersionSelected>(sh->extensions, ExtensionType::supported_versions).version,
            ProtocolVersion::tls13);

  auto cv = CertificateVerify::decode(
      body_of(field_of(steps, "server", "construct a CertificateVerify", "CertificateVerify")));
  ASSERT_TRUE(cv.has_value());
  EXPECT_EQ(cv->algorithm, SignatureScheme::rsa_pss_rsae_sha256);
  EXPECT_EQ(cv->signature.size(), 128u);  // RSA-1024 server key of §2

  auto fin = Finished::decode(body_of(field_of(steps, "server", "construct a Finished", "Finished")), kSha256Len);
  ASSERT_TRUE(fin.has_value());
  EXPECT_EQ(B(fin->verify_data), field_of(steps, "server", "calculate finished", "finished"));

  auto nst = NewSessionTicket::decode(
      body_of(field_of(steps, "server", "construct a NewSessionTicket", "NewSessionTicket")));
  ASSERT_TRUE(nst.has_value());
  EXPECT_EQ(nst->ticket_lifetime, 0x1eu);
  EXPECT_EQ(B(nst->ticket_nonce), (Bytes{0x00, 0x00}));
  EXPECT_EQ(nst->ticket.size(), 178u);
  EXPECT_EQ(typed_ext<EarlyDataMax>(nst->extensions, ExtensionType::early_data).max_early_data_size, 0x400u);
}

TEST(Wire8448, Section4PreSharedKeyAndBinder) {
  const auto steps = test::rfc8448_section(4);
  const std::vector<SentMessage> sent = sent_messages(steps);
  ASSERT_FALSE(sent.empty());
  const Bytes& ch_msg = sent.front().bytes;
  auto ch = ClientHello::decode(body_of(ch_msg));
  ASSERT_TRUE(ch.has_value());
  ASSERT_FALSE(ch->extensions.empty());
  EXPECT_EQ(ch->extensions.back().ext_type(), ExtensionType::pre_shared_key);
  auto psk = typed_ext<OfferedPsks>(ch->extensions, ExtensionType::pre_shared_key);
  ASSERT_EQ(psk.identities.size(), 1u);
  ASSERT_EQ(psk.binders.size(), 1u);
  EXPECT_EQ(B(psk.binders[0]), field_of(steps, "client", "calculate PSK binder", "finished"));
  // The identity is the ticket §3's NewSessionTicket delivered, and the obfuscated age is that
  // ticket's ticket_age_add plus the ticket's age in milliseconds (RFC 8446 §4.2.11.1).
  const auto s3 = test::rfc8448_section(3);
  auto nst = NewSessionTicket::decode(
      body_of(field_of(s3, "server", "construct a NewSessionTicket", "NewSessionTicket")));
  ASSERT_TRUE(nst.has_value());
  EXPECT_EQ(B(psk.identities[0].identity), B(nst->ticket));
  EXPECT_EQ(psk.identities[0].obfuscated_ticket_age, 0xfad6aacbu);
  EXPECT_LT(psk.identities[0].obfuscated_ticket_age - nst->ticket_age_add, 1000u);
  // The binder transcript covers exactly the trace's "ClientHello prefix".
  const Bytes& prefix = field_of(steps, "client", "calculate PSK binder", "ClientHello prefix");
  auto offset = client_hello_binders_offset(ch_msg);
  ASSERT_TRUE(offset.has_value()) << offset.error().to_string();
  EXPECT_EQ(*offset, prefix.size());
  EXPECT_EQ(*offset, 477u);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), ch_msg.begin()));
  EXPECT_EQ(EmptyExtension::decode(find_extension(ch->extensions, ExtensionType::early_data)->data,
                                   ExtensionType::early_data)
                .has_value(),
            true);
  // Patching zeroed binders back in reproduces the sent ClientHello.
  Bytes patched = ch_msg;
  std::fill(patched.begin() + static_cast<std::ptrdiff_t>(*offset) + 3, patched.end(), uint8_t{0});
  ASSERT_NE(patched, ch_msg);
  const std::vector<ByteView> binders{psk.binders[0]};
  ASSERT_TRUE(patch_psk_binders(patched, binders).has_value());
  EXPECT_EQ(patched, ch_msg);

  auto sh = ServerHello::decode(body_of(sent[1].bytes));
  ASSERT_TRUE(sh.has_value());
  EXPECT_EQ(typed_ext<PreSharedKeySelected>(sh->extensions, ExtensionType::pre_shared_key).selected_identity, 0);
}

TEST(Wire8448, Section5HelloRetryRequest) {
  const auto steps = test::rfc8448_section(5);
  const std::vector<SentMessage> sent = sent_messages(steps);
  ASSERT_GE(sent.size(), 4u);
  auto hrr = ServerHello::decode(body_of(sent[1].bytes));
  ASSERT_TRUE(hrr.has_value());
  EXPECT_TRUE(hrr->is_hello_retry_request());
  EXPECT_EQ(hrr->extension_context(), ExtensionContext::hello_retry_request);
  EXPECT_EQ(typed_ext<KeyShareHelloRetryRequest>(hrr->extensions, ExtensionType::key_share).selected_group,
            NamedGroup::secp256r1);
  const Cookie cookie = typed_ext<Cookie>(hrr->extensions, ExtensionType::cookie);
  EXPECT_FALSE(cookie.cookie.empty());

  // The second ClientHello echoes the cookie and offers a P-256 share from the trace.
  auto ch2 = ClientHello::decode(body_of(sent[2].bytes));
  ASSERT_TRUE(ch2.has_value());
  EXPECT_EQ(B(typed_ext<Cookie>(ch2->extensions, ExtensionType::cookie).cookie), B(cookie.cookie));
  auto shares = typed_ext<KeyShareClientHello>(ch2->extensions, ExtensionType::key_share);
  ASSERT_EQ(shares.client_shares.size(), 1u);
  ASSERT_NE(shares.find(NamedGroup::secp256r1), nullptr);
  EXPECT_EQ(B(shares.find(NamedGroup::secp256r1)->key_exchange),
            field_of(steps, "client", "create an ephemeral P-256", "public key"));

  auto sh = ServerHello::decode(body_of(sent[3].bytes));
  ASSERT_TRUE(sh.has_value());
  EXPECT_FALSE(sh->is_hello_retry_request());
  EXPECT_EQ(typed_ext<KeyShareServerHello>(sh->extensions, ExtensionType::key_share).server_share.group,
            NamedGroup::secp256r1);
}

TEST(Wire8448, Section6CertificateRequest) {
  const auto steps = test::rfc8448_section(6);
  auto cr = CertificateRequest::decode(
      body_of(field_of(steps, "server", "construct a CertificateRequest", "CertificateRequest")));
  ASSERT_TRUE(cr.has_value());
  EXPECT_TRUE(cr->certificate_request_context.empty());
  const auto schemes = typed_ext<SignatureSchemeList>(cr->extensions, ExtensionType::signature_algorithms).schemes;
  EXPECT_FALSE(schemes.empty());
  auto cv = CertificateVerify::decode(
      body_of(field_of(steps, "server", "construct a CertificateVerify", "CertificateVerify")));
  ASSERT_TRUE(cv.has_value());
  EXPECT_EQ(cv->algorithm, SignatureScheme::ecdsa_secp256r1_sha256);
  auto client_cert =
      Certificate::decode(body_of(field_of(steps, "client", "construct a Certificate", "Certificate")));
  ASSERT_TRUE(client_cert.has_value());
  EXPECT_EQ(client_cert->certificate_list.size(), 1u);
}

TEST(Wire8448, Section7CompatibilityModeSessionId) {
  const auto steps = test::rfc8448_section(7);
  const std::vector<SentMessage> sent = sent_messages(steps);
  ASSERT_GE(sent.size(), 2u);
  auto ch = ClientHello::decode(body_of(sent[0].bytes));
  auto sh = ServerHello::decode(body_of(sent[1].bytes));
  ASSERT_TRUE(ch.has_value());
  ASSERT_TRUE(sh.has_value());
  EXPECT_EQ(ch->legacy_session_id.size(), 32u);
  EXPECT_EQ(B(sh->legacy_session_id_echo), B(ch->legacy_session_id));
}

// ---------------------------------------------------------------------------------------------
// The trace parser

TEST(Wire8448, ParserFindsClientHelloOfSection3) {
  EXPECT_EQ(test::rfc8448_section_title(3), "Simple 1-RTT Handshake");
  const auto steps = test::rfc8448_section(3);
  const TraceStep* s = test::find_step(steps, "client", "construct a ClientHello handshake message");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->title, "construct a ClientHello handshake message");
  ASSERT_EQ(s->fields.size(), 1u);
  EXPECT_EQ(s->fields[0].label, "ClientHello");
  const Bytes& ch = s->fields[0].value;
  ASSERT_EQ(ch.size(), 196u);  // 4-byte header + 0xc0 (192) body bytes
  EXPECT_EQ(Bytes(ch.begin(), ch.begin() + 4), (Bytes{0x01, 0x00, 0x00, 0xc0}));
  EXPECT_EQ(ch.back(), 0x01);
  // The first step and the number of steps of §3.
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0].side, "client");
  EXPECT_EQ(steps[0].title, "create an ephemeral x25519 key pair");
  EXPECT_EQ(*steps[0].field("private key"),
            test::from_hex("49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca a7 91 1d e2 6a dc 56 42 cb 63 45 40 e7 ea 50 05"));
  EXPECT_EQ(steps.size(), 55u);
}

TEST(Wire8448, ParserJoinsMultiLineTitlesAndKeepsTextFields) {
  const auto steps = test::rfc8448_section(3);
  EXPECT_NE(test::find_step(steps, "client",
                            "derive read traffic keys for application data (same as server application data write "
                            "traffic keys)"),
            nullptr);
  const TraceStep* early = test::find_step(steps, "server", "extract secret \"early\"");
  ASSERT_NE(early, nullptr);
  const test::TraceField* salt = early->find_field("salt");
  ASSERT_NE(salt, nullptr);
  EXPECT_TRUE(salt->value.empty());
  EXPECT_EQ(salt->text, "0 (all zero octets)");
  EXPECT_EQ(early->field("IKM")->size(), 32u);
  // "hash (0 octets):  (empty)" in §4's binder computation.
  const auto s4 = test::rfc8448_section(4);
  const TraceStep* binder = test::find_step(s4, "client", "calculate PSK binder");
  ASSERT_NE(binder, nullptr);
  const test::TraceField* hash = binder->find_field("hash");
  ASSERT_NE(hash, nullptr);
  EXPECT_TRUE(hash->value.empty());
  EXPECT_EQ(hash->text, "(empty)");
}

TEST(Wire8448, ParserReadsHexAcrossPageBreaks) {
  // §4's 477-octet ClientHello crosses the break between pages 15 and 16 of the RFC, and is the
  // first 477 bytes of the 512-octet record payload sent afterwards.
  const auto s4 = test::rfc8448_section(4);
  const TraceStep* construct = test::find_step(s4, "client", "construct a ClientHello");
  const TraceStep* rec = test::find_step(s4, "client", "send handshake record");
  ASSERT_NE(construct, nullptr);
  ASSERT_NE(rec, nullptr);
  const Bytes& prefix = *construct->field("ClientHello");
  const Bytes& payload = *rec->field("payload");
  ASSERT_EQ(prefix.size(), 477u);
  ASSERT_EQ(payload.size(), 512u);
  EXPECT_EQ(rec->field("complete record")->size(), 517u);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), payload.begin()));
  // The last line before the page break ends "... 02 06", the first after it starts "02 02 02 00 2d".
  const Bytes around = test::from_hex("05 02 06 02 02 02 00 2d");
  EXPECT_NE(std::search(prefix.begin(), prefix.end(), around.begin(), around.end()), prefix.end());
  EXPECT_EQ(Bytes(payload.end() - 3, payload.end()), (Bytes{0x9e, 0x5f, 0x9d}));
}

TEST(Wire8448, ParserReadsSection2Keys) {
  const auto s2 = test::rfc8448_section(2);
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s2[0].side, "");
  EXPECT_EQ(s2[0].field("modulus (public)")->size(), 128u);
  EXPECT_EQ(*s2[0].field("public exponent"), (Bytes{0x01, 0x00, 0x01}));
  EXPECT_EQ(s2[0].field("private exponent")->size(), 128u);
  EXPECT_EQ(s2[0].field("prime1")->size(), 64u);
  EXPECT_EQ(s2[0].field("coefficient")->size(), 64u);
}

TEST(Wire8448, ParserReportsOctetCountMismatchAndStrayLines) {
  const std::string bad_count =
      "3.  Trace\n\n   {client}  do a thing:\n\n      value (3 octets):  01 02\n\n4.  Next\n";
  EXPECT_NONFATAL_FAILURE((void)test::parse_trace_section(bad_count, 3), "says 3 octets but has 2");
  const std::string stray =
      "3.  Trace\n\n   {client}  do a thing:\n\n      value (2 octets):  01 02\n   unexpected prose\n4.  N\n";
  EXPECT_NONFATAL_FAILURE((void)test::parse_trace_section(stray, 3), "unrecognized line");
  // A hex block interrupted by page furniture continues after it.
  const std::string paged =
      "3.  Trace\n\n   {server}  send:\n\n      payload (4 octets):  01 02\n\n\n"
      "Thomson                       Informational                     [Page 9]\n\f\n"
      "RFC 8448                     TLS 1.3 Traces                 January 2019\n\n\n"
      "         03 04\n\n4.  Next\n";
  const auto steps = test::parse_trace_section(paged, 3);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].side, "server");
  EXPECT_EQ(steps[0].title, "send");
  EXPECT_EQ(*steps[0].field("payload"), (Bytes{1, 2, 3, 4}));
}

TEST(Wire8448, FromHex) {
  EXPECT_EQ(test::from_hex("01 0a FF\n 10"), (Bytes{0x01, 0x0a, 0xff, 0x10}));
  EXPECT_EQ(test::to_hex(Bytes{0x00, 0xab}), "00ab");
  EXPECT_NONFATAL_FAILURE((void)test::from_hex("0g"), "not a hex digit");
  EXPECT_NONFATAL_FAILURE((void)test::from_hex("012"), "odd number");
}

// ---------------------------------------------------------------------------------------------
// Fuzz seeds: fuzz/corpus/handshake/ holds the RFC 8448 messages in the fuzz target's input
// format (selector byte + bytes; see fuzz/fuzz_handshake.cc). With TLSPP_WRITE_SEEDS=<dir> set,
// this test writes them to <dir> first; either way it checks the committed seeds match the trace.

// The extension blocks of one handshake message, each with the context its forms follow.
std::vector<std::pair<ExtensionContext, std::vector<Extension>>> extension_blocks(const HandshakeMessage& msg) {
  std::vector<std::pair<ExtensionContext, std::vector<Extension>>> out;
  switch (msg.type) {
    case HandshakeType::client_hello:
      if (auto m = ClientHello::decode(msg.body)) out.emplace_back(ExtensionContext::client_hello, m->extensions);
      break;
    case HandshakeType::server_hello:
      if (auto m = ServerHello::decode(msg.body)) out.emplace_back(m->extension_context(), m->extensions);
      break;
    case HandshakeType::encrypted_extensions:
      if (auto m = EncryptedExtensions::decode(msg.body))
        out.emplace_back(ExtensionContext::encrypted_extensions, m->extensions);
      break;
    case HandshakeType::certificate_request:
      if (auto m = CertificateRequest::decode(msg.body))
        out.emplace_back(ExtensionContext::certificate_request, m->extensions);
      break;
    case HandshakeType::certificate:
      if (auto m = Certificate::decode(msg.body))
        for (const CertificateEntry& e : m->certificate_list)
          out.emplace_back(ExtensionContext::certificate, e.extensions);
      break;
    case HandshakeType::new_session_ticket:
      if (auto m = NewSessionTicket::decode(msg.body))
        out.emplace_back(ExtensionContext::new_session_ticket, m->extensions);
      break;
    default:
      break;
  }
  return out;
}

std::map<std::string, Bytes> expected_seeds() {
  std::map<std::string, Bytes> seeds;
  std::set<std::string> extension_seeds;  // contents seen, so repeats are kept once
  for (int section = 3; section <= 7; ++section) {
    const auto steps = test::rfc8448_section(section);
    int n = 0;
    for (const SentMessage& m : sent_messages(steps)) {
      Reader r(m.bytes);
      auto msg = read_handshake(r);
      if (!msg) continue;
      const std::string base = "rfc8448-s" + std::to_string(section) + "-" + std::to_string(n++) + "-" +
                               std::string(handshake_type_name(msg->type));
      // Selector = the handshake type: the target decodes the rest as that message's body.
      Bytes body{static_cast<uint8_t>(msg->type)};
      body.insert(body.end(), msg->body.begin(), msg->body.end());
      seeds[base] = body;
      // Selector 0x80 | context: u16 type, then the extension_data.
      for (const auto& [ctx, exts] : extension_blocks(*msg)) {
        for (const Extension& e : exts) {
          Bytes seed{static_cast<uint8_t>(0x80 | static_cast<uint8_t>(ctx)), static_cast<uint8_t>(e.type >> 8),
                     static_cast<uint8_t>(e.type)};
          seed.insert(seed.end(), e.data.begin(), e.data.end());
          if (!extension_seeds.insert(std::string(seed.begin(), seed.end())).second) continue;
          const std::string name = "rfc8448-ext-" + std::to_string(extension_seeds.size() - 1) + "-" +
                                   std::string(extension_type_name(e.ext_type()));
          seeds[name] = seed;
        }
      }
    }
    // Selector 0: a stream of whole handshake messages (one record payload).
    int r = 0;
    for (const TraceStep& s : steps) {
      if (s.title != "send handshake record" || s.field("payload") == nullptr) continue;
      Bytes stream{0x00};
      stream.insert(stream.end(), s.field("payload")->begin(), s.field("payload")->end());
      seeds["rfc8448-s" + std::to_string(section) + "-record-" + std::to_string(r++)] = stream;
    }
  }
  return seeds;
}

TEST(Wire8448, FuzzSeedsMatchTrace) {
  const std::map<std::string, Bytes> seeds = expected_seeds();
  ASSERT_EQ(seeds.size(), 40u + 24u + 37u);  // messages + record payloads + distinct extensions
  if (const char* dir = std::getenv("TLSPP_WRITE_SEEDS")) {
    std::filesystem::create_directories(dir);
    for (const auto& [name, bytes] : seeds) {
      std::ofstream out(std::filesystem::path(dir) / name, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  }
  const std::filesystem::path corpus = std::filesystem::path(TLSPP_SOURCE_DIR) / "fuzz/corpus/handshake";
  for (const auto& [name, bytes] : seeds) {
    std::ifstream in(corpus / name, std::ios::binary);
    ASSERT_TRUE(in.good()) << "missing seed " << (corpus / name);
    const Bytes on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, bytes) << name;
  }
}

}  // namespace
}  // namespace tlspp::wire
