// wire/ handshake framing and message codecs: round trips for every message (TLS 1.3 and the
// TLS 1.2 ones), truncation at every length, trailing bytes, bad vector lengths, and the
// semantic checks the wire layer owns (KeyUpdate value, pre_shared_key position, HRR and
// downgrade detection, binder offsets, message_hash).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "test_wire_util.h"
#include "wire/extensions.h"
#include "wire/messages.h"
#include "wire/messages12.h"

namespace tlspp::wire {
namespace {

using namespace tlspp::wire::testing;
using A = AlertDescription;

const Bytes kRandom = [] {
  Bytes r(32);
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<uint8_t>(i * 7 + 1);
  return r;
}();
const Bytes kSessionId(32, 0x5a);
const Bytes kNullCompression = {0x00};
const Bytes kX25519Share(32, 0x42);
const Bytes kBinder(32, 0xbb);
const Bytes kTicket(40, 0x77);

// A TLS 1.3 ClientHello in the shape browsers send, optionally offering a PSK.
struct ClientHelloFixture {
  ExtensionsBuilder exts;
  ClientHello ch;

  explicit ClientHelloFixture(bool with_psk) {
    exts.add(ExtensionType::server_name, ServerNameList{{{ServerNameList::kHostName, ByteView(kTicket).first(5)}}});
    exts.add_raw(0x3a3a, {});
    exts.add(ExtensionType::supported_groups, SupportedGroups{{NamedGroup::x25519, NamedGroup::secp256r1}});
    exts.add(ExtensionType::key_share, KeyShareClientHello{{{NamedGroup::x25519, kX25519Share}}});
    exts.add(ExtensionType::supported_versions, SupportedVersionsList{{ProtocolVersion::tls13}});
    exts.add(ExtensionType::signature_algorithms, SignatureSchemeList{{SignatureScheme::ed25519}});
    exts.add(ExtensionType::psk_key_exchange_modes, PskKeyExchangeModes{{PskKeyExchangeMode::psk_dhe_ke}});
    if (with_psk) {
      OfferedPsks psks;
      psks.identities = {{kTicket, 1234}};
      psks.binders = {kBinder};
      exts.add(ExtensionType::pre_shared_key, psks);
    }
    ch.random = kRandom;
    ch.legacy_session_id = kSessionId;
    ch.cipher_suites = {CipherSuite::TLS_AES_128_GCM_SHA256, CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
                        static_cast<CipherSuite>(0x0a0a)};
    ch.legacy_compression_methods = kNullCompression;
    ch.extensions = exts.list().value();
  }
};

// The body bytes of a ClientHello up to and including its compression methods.
size_t hello_prefix_size(const ClientHello& ch) {
  return 2 + 32 + 1 + ch.legacy_session_id.size() + 2 + 2 * ch.cipher_suites.size() + 1 +
         ch.legacy_compression_methods.size();
}

// ---------------------------------------------------------------------------------------------
// Framing

TEST(WireFraming, ReadsMessagesWithBorrowedViews) {
  const Bytes stream = {0x14, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x18, 0x00, 0x00, 0x01, 0x01};
  Reader r(stream);
  auto m1 = read_handshake(r);
  ASSERT_TRUE(m1.has_value());
  EXPECT_EQ(m1->type, HandshakeType::finished);
  EXPECT_EQ(B(m1->body), (Bytes{0xaa, 0xbb}));
  EXPECT_EQ(m1->whole.data(), stream.data());
  EXPECT_EQ(m1->whole.size(), 6u);
  EXPECT_EQ(m1->body.data(), stream.data() + 4);
  auto m2 = read_handshake(r);
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(m2->type, HandshakeType::key_update);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(handshake_message_size(stream), 6u);
  EXPECT_EQ(handshake_message_size(ByteView(stream).first(3)), std::nullopt);
}

TEST(WireFraming, TruncatedHeaderOrBodyIsDecodeError) {
  const Bytes msg = {0x14, 0x00, 0x00, 0x03, 1, 2, 3};
  for (size_t n = 0; n < msg.size(); ++n) {
    const Bytes cut(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(n));
    Reader r(cut);
    expect_alert(read_handshake(r), A::decode_error, std::to_string(n));
  }
}

TEST(WireFraming, WriteHandshakePatchesLength) {
  Bytes out;
  Writer w(out);
  write_handshake(w, HandshakeType::certificate_verify, [](Writer& b) {
    b.u16(0x0807);
    b.vec16(Bytes{1, 2, 3});
  });
  EXPECT_EQ(out, (Bytes{0x0f, 0x00, 0x00, 0x07, 0x08, 0x07, 0x00, 0x03, 1, 2, 3}));
  const auto mark = begin_handshake(w, HandshakeType::end_of_early_data);
  end_handshake(w, mark);
  EXPECT_EQ(Bytes(out.end() - 4, out.end()), (Bytes{0x05, 0x00, 0x00, 0x00}));
}

TEST(WireFraming, MessageHashIsTheSyntheticMessage) {
  const Bytes hash(32, 0xcd);
  const Bytes m = message_hash(hash);
  ASSERT_EQ(m.size(), 36u);
  EXPECT_EQ(Bytes(m.begin(), m.begin() + 4), (Bytes{0xfe, 0x00, 0x00, 0x20}));
  EXPECT_EQ(Bytes(m.begin() + 4, m.end()), hash);
  const Bytes hash48(48, 0x01);
  EXPECT_EQ(message_hash(hash48)[3], 48);
}

// ---------------------------------------------------------------------------------------------
// ClientHello

TEST(WireClientHello, RoundTrip) {
  ClientHelloFixture f(true);
  const Bytes body = enc(f.ch);
  const ClientHello d = decode_ok<ClientHello>(body);
  EXPECT_EQ(d.legacy_version, ProtocolVersion::tls12);
  EXPECT_EQ(B(d.random), kRandom);
  EXPECT_EQ(B(d.legacy_session_id), kSessionId);
  EXPECT_EQ(d.cipher_suites, f.ch.cipher_suites);
  EXPECT_EQ(B(d.legacy_compression_methods), kNullCompression);
  ASSERT_EQ(d.extensions.size(), f.ch.extensions.size());
  for (size_t i = 0; i < d.extensions.size(); ++i) {
    EXPECT_EQ(d.extensions[i].type, f.ch.extensions[i].type);
    EXPECT_EQ(B(d.extensions[i].data), B(f.ch.extensions[i].data));
  }
  // With the header.
  const Bytes msg = encode_message(f.ch).value();
  EXPECT_EQ(msg[0], 1);
  EXPECT_EQ(Bytes(msg.begin() + 4, msg.end()), body);
  EXPECT_EQ(handshake_message_size(msg), msg.size());
}

TEST(WireClientHello, EveryTruncationFailsExceptTheTls12Boundary) {
  ClientHelloFixture f(true);
  const Bytes body = enc(f.ch);
  const size_t boundary = hello_prefix_size(f.ch);
  for (size_t n = 0; n < body.size(); ++n) {
    const Bytes cut(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = ClientHello::decode(cut);
    if (n == boundary) {
      // RFC 5246 §7.4.1.2: ending right after the compression methods is a valid hello
      // without extensions.
      ASSERT_TRUE(r.has_value()) << r.error().to_string();
      EXPECT_FALSE(r->extensions_present);
      EXPECT_EQ(enc(*r), cut);
      continue;
    }
    expect_alert(r, A::decode_error, "prefix " + std::to_string(n));
  }
  expect_trailing_fails<ClientHello>(body);
}

TEST(WireClientHello, BadVectorLengths) {
  ClientHelloFixture f(false);
  const Bytes good = enc(f.ch);
  ASSERT_TRUE(ClientHello::decode(good).has_value());
  // legacy_session_id<0..32>: 33 bytes.
  {
    const Bytes sid(33, 1);
    ClientHello ch = f.ch;
    ch.legacy_session_id = sid;
    expect_alert(ClientHello::decode(enc(ch)), A::decode_error);
  }
  // cipher_suites<2..2^16-2>: empty, and odd length.
  {
    ClientHello ch = f.ch;
    ch.cipher_suites.clear();
    expect_alert(ClientHello::decode(enc(ch)), A::decode_error);
    Bytes odd = good;
    const size_t at = 2 + 32 + 1 + 32;  // cipher_suites length
    odd[at + 1] = static_cast<uint8_t>(odd[at + 1] - 1);
    expect_alert(ClientHello::decode(odd), A::decode_error);
  }
  // legacy_compression_methods<1..2^8-1>: empty.
  {
    ClientHello ch = f.ch;
    ch.legacy_compression_methods = {};
    expect_alert(ClientHello::decode(enc(ch)), A::decode_error);
  }
  // An extension block length one short of its contents.
  {
    Bytes bad = good;
    const size_t at = hello_prefix_size(f.ch);
    bad[at + 1] = static_cast<uint8_t>(bad[at + 1] - 1);
    expect_alert(ClientHello::decode(bad), A::decode_error);
  }
}

TEST(WireClientHello, DuplicateExtensionIsIllegalParameter) {
  ClientHelloFixture f(false);
  ClientHello ch = f.ch;
  ch.extensions.push_back(ch.extensions[2]);
  expect_alert(ClientHello::decode(enc(ch)), A::illegal_parameter);
}

TEST(WireClientHello, PreSharedKeyMustBeLast) {
  ClientHelloFixture f(true);
  ClientHello ch = f.ch;
  std::swap(ch.extensions.back(), ch.extensions[ch.extensions.size() - 2]);
  expect_alert(ClientHello::decode(enc(ch)), A::illegal_parameter);
}

TEST(WireClientHello, Tls12WithoutExtensions) {
  ClientHello ch;
  ch.random = kRandom;
  ch.cipher_suites = {CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                      CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV};
  ch.legacy_compression_methods = kNullCompression;
  ch.extensions_present = false;
  const Bytes body = enc(ch);
  EXPECT_EQ(body.size(), 2u + 32 + 1 + 2 + 4 + 2);
  const ClientHello d = decode_ok<ClientHello>(body);
  EXPECT_FALSE(d.extensions_present);
  EXPECT_TRUE(d.extensions.empty());
  // An empty but present block is kept as such.
  ch.extensions_present = true;
  const Bytes with_empty = enc(ch);
  EXPECT_EQ(with_empty.size(), body.size() + 2);
  EXPECT_TRUE(decode_ok<ClientHello>(with_empty).extensions_present);
}

TEST(WireClientHello, BindersOffsetAndPatch) {
  ClientHelloFixture f(true);
  Bytes msg = encode_message(f.ch).value();
  auto offset = client_hello_binders_offset(msg);
  ASSERT_TRUE(offset.has_value()) << offset.error().to_string();
  // Truncate(ClientHello1) cuts the binders list: 2-byte length, 1-byte length, 32-byte binder.
  EXPECT_EQ(*offset, msg.size() - (2 + 1 + 32));
  EXPECT_EQ(msg[*offset], 0x00);
  EXPECT_EQ(msg[*offset + 1], 33);
  EXPECT_EQ(msg[*offset + 2], 32);
  // Patch in the real binder.
  const Bytes real(32, 0xe1);
  const std::vector<ByteView> binders{real};
  ASSERT_TRUE(patch_psk_binders(msg, binders).has_value());
  EXPECT_EQ(Bytes(msg.end() - 32, msg.end()), real);
  auto again = client_hello_binders_offset(msg);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *offset);
  // Wrong count or length is refused and leaves the message alone.
  const Bytes before = msg;
  const Bytes short_binder(31, 0);
  EXPECT_FALSE(patch_psk_binders(msg, std::vector<ByteView>{short_binder}).has_value());
  EXPECT_FALSE(patch_psk_binders(msg, std::vector<ByteView>{real, real}).has_value());
  EXPECT_EQ(msg, before);
  // No pre_shared_key, or not a ClientHello at all.
  ClientHelloFixture plain(false);
  EXPECT_FALSE(client_hello_binders_offset(encode_message(plain.ch).value()).has_value());
  EXPECT_FALSE(client_hello_binders_offset(Bytes{0x14, 0x00, 0x00, 0x00}).has_value());
}

// ---------------------------------------------------------------------------------------------
// ServerHello / HelloRetryRequest

ServerHello make_server_hello(ExtensionsBuilder& exts, ByteView random) {
  exts.add(ExtensionType::supported_versions, SupportedVersionSelected{ProtocolVersion::tls13});
  exts.add(ExtensionType::key_share, KeyShareServerHello{{NamedGroup::x25519, kX25519Share}});
  ServerHello sh;
  sh.random = random;
  sh.legacy_session_id_echo = kSessionId;
  sh.cipher_suite = CipherSuite::TLS_AES_256_GCM_SHA384;
  sh.extensions = exts.list().value();
  return sh;
}

TEST(WireServerHello, RoundTripAndTruncations) {
  ExtensionsBuilder exts;
  const ServerHello sh = make_server_hello(exts, kRandom);
  const Bytes body = enc(sh);
  const ServerHello d = decode_ok<ServerHello>(body);
  EXPECT_EQ(d.cipher_suite, CipherSuite::TLS_AES_256_GCM_SHA384);
  EXPECT_EQ(B(d.legacy_session_id_echo), kSessionId);
  EXPECT_EQ(d.legacy_compression_method, 0);
  EXPECT_FALSE(d.is_hello_retry_request());
  EXPECT_EQ(d.extension_context(), ExtensionContext::server_hello);
  EXPECT_EQ(d.downgrade(), DowngradeSentinel::none);
  const size_t boundary = 2 + 32 + 1 + 32 + 2 + 1;
  for (size_t n = 0; n < body.size(); ++n) {
    const Bytes cut(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = ServerHello::decode(cut);
    if (n == boundary) {
      ASSERT_TRUE(r.has_value());
      EXPECT_FALSE(r->extensions_present);
      continue;
    }
    expect_alert(r, A::decode_error, "prefix " + std::to_string(n));
  }
  expect_trailing_fails<ServerHello>(body);
  // legacy_session_id_echo<0..32>.
  Bytes long_sid = body;
  long_sid[34] = 33;
  expect_alert(ServerHello::decode(long_sid), A::decode_error);
}

TEST(WireServerHello, HelloRetryRequestDetection) {
  ExtensionsBuilder exts;
  ServerHello hrr = make_server_hello(exts, kHelloRetryRequestRandom);
  EXPECT_TRUE(hrr.is_hello_retry_request());
  EXPECT_EQ(hrr.extension_context(), ExtensionContext::hello_retry_request);
  // One differing byte is an ordinary ServerHello.
  Bytes almost(kHelloRetryRequestRandom.begin(), kHelloRetryRequestRandom.end());
  almost[31] ^= 1;
  hrr.random = almost;
  EXPECT_FALSE(hrr.is_hello_retry_request());
  // The constant is SHA-256("HelloRetryRequest") as printed in RFC 8446 §4.1.3.
  EXPECT_EQ(kHelloRetryRequestRandom[0], 0xcf);
  EXPECT_EQ(kHelloRetryRequestRandom[31], 0x9c);
  // Decoded from the wire.
  ExtensionsBuilder exts2;
  ServerHello real = make_server_hello(exts2, kHelloRetryRequestRandom);
  const Bytes body = enc(real);
  EXPECT_TRUE(decode_ok<ServerHello>(body).is_hello_retry_request());
}

TEST(WireServerHello, DowngradeSentinels) {
  Bytes r12 = kRandom, r11 = kRandom, other = kRandom;
  std::copy(kDowngradeSentinelTls12.begin(), kDowngradeSentinelTls12.end(), r12.end() - 8);
  std::copy(kDowngradeSentinelTls11.begin(), kDowngradeSentinelTls11.end(), r11.end() - 8);
  std::copy(kDowngradeSentinelTls11.begin(), kDowngradeSentinelTls11.end(), other.end() - 8);
  other.back() = 0x02;
  EXPECT_EQ(downgrade_sentinel(r12), DowngradeSentinel::tls12);
  EXPECT_EQ(downgrade_sentinel(r11), DowngradeSentinel::tls11_or_below);
  EXPECT_EQ(downgrade_sentinel(other), DowngradeSentinel::none);
  EXPECT_EQ(downgrade_sentinel(kRandom), DowngradeSentinel::none);
  // "DOWNGRD" in ASCII.
  EXPECT_EQ(std::string(kDowngradeSentinelTls12.begin(), kDowngradeSentinelTls12.begin() + 7), "DOWNGRD");
  ExtensionsBuilder exts;
  const ServerHello sh = make_server_hello(exts, r12);
  EXPECT_EQ(sh.downgrade(), DowngradeSentinel::tls12);
}

TEST(WireServerHello, DuplicateExtensionIsIllegalParameter) {
  ExtensionsBuilder exts;
  ServerHello sh = make_server_hello(exts, kRandom);
  sh.extensions.push_back(sh.extensions[0]);
  expect_alert(ServerHello::decode(enc(sh)), A::illegal_parameter);
}

// ---------------------------------------------------------------------------------------------
// TLS 1.3 messages

TEST(WireEncryptedExtensions, RoundTripAndRejections) {
  ExtensionsBuilder exts;
  exts.add(ExtensionType::server_name, EmptyExtension{});
  exts.add(ExtensionType::application_layer_protocol_negotiation,
           ProtocolNameList{{ByteView(kTicket).first(2)}});
  EncryptedExtensions ee{exts.list().value()};
  const Bytes body = enc(ee);
  EXPECT_EQ(decode_ok<EncryptedExtensions>(body).extensions.size(), 2u);
  expect_truncations_fail<EncryptedExtensions>(body);
  expect_trailing_fails<EncryptedExtensions>(body);
  EXPECT_TRUE(decode_ok<EncryptedExtensions>(Bytes{0x00, 0x00}).extensions.empty());
  ee.extensions.push_back(ee.extensions[0]);
  expect_alert(EncryptedExtensions::decode(enc(ee)), A::illegal_parameter);
}

TEST(WireCertificateRequest, RoundTripAndRejections) {
  ExtensionsBuilder exts;
  exts.add(ExtensionType::signature_algorithms, SignatureSchemeList{{SignatureScheme::ecdsa_secp256r1_sha256}});
  const Bytes context = {0x01, 0x02};
  CertificateRequest cr{context, exts.list().value()};
  const Bytes body = enc(cr);
  const auto d = decode_ok<CertificateRequest>(body);
  EXPECT_EQ(B(d.certificate_request_context), context);
  EXPECT_EQ(d.extensions.size(), 1u);
  expect_truncations_fail<CertificateRequest>(body);
  expect_trailing_fails<CertificateRequest>(body);
  // extensions<2..2^16-1>: an empty block is malformed.
  expect_alert(CertificateRequest::decode(Bytes{0x00, 0x00, 0x00}), A::decode_error);
}

TEST(WireCertificate, RoundTripAndRejections) {
  const Bytes leaf = {0x30, 0x03, 0x02, 0x01, 0x01}, ca = {0x30, 0x00};
  const Bytes ocsp = {0x30, 0x01, 0x00};
  ExtensionsBuilder leaf_exts;
  leaf_exts.add(ExtensionType::status_request, CertificateStatus{CertificateStatusRequest::kOcsp, ocsp});
  Certificate cert;
  cert.certificate_list = {{leaf, leaf_exts.list().value()}, {ca, {}}};
  const Bytes body = enc(cert);
  const auto d = decode_ok<Certificate>(body);
  EXPECT_TRUE(d.certificate_request_context.empty());
  ASSERT_EQ(d.certificate_list.size(), 2u);
  EXPECT_EQ(B(d.certificate_list[0].cert_data), leaf);
  ASSERT_EQ(d.certificate_list[0].extensions.size(), 1u);
  Bytes re;
  auto st = decode_typed_extension(ExtensionContext::certificate, d.certificate_list[0].extensions[0], &re);
  ASSERT_TRUE(st.has_value() && *st);
  EXPECT_EQ(B(d.certificate_list[1].cert_data), ca);
  expect_truncations_fail<Certificate>(body);
  expect_trailing_fails<Certificate>(body);
  // An empty list decodes (the handshake decides whether that is acceptable).
  EXPECT_TRUE(decode_ok<Certificate>(Bytes{0x00, 0x00, 0x00, 0x00}).certificate_list.empty());
  // An empty cert_data is below <1..2^24-1>.
  expect_alert(Certificate::decode(Bytes{0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00}), A::decode_error);
  // A duplicated extension inside an entry.
  Certificate dup = cert;
  dup.certificate_list[0].extensions.push_back(dup.certificate_list[0].extensions[0]);
  expect_alert(Certificate::decode(enc(dup)), A::illegal_parameter);
}

TEST(WireCertificateVerify, RoundTripAndRejections) {
  const Bytes sig(64, 0x5e);
  const CertificateVerify cv{SignatureScheme::ed25519, sig};
  const Bytes body = enc(cv);
  const auto d = decode_ok<CertificateVerify>(body);
  EXPECT_EQ(d.algorithm, SignatureScheme::ed25519);
  EXPECT_EQ(B(d.signature), sig);
  expect_truncations_fail<CertificateVerify>(body);
  expect_trailing_fails<CertificateVerify>(body);
}

TEST(WireFinished, LengthIsTheCallers) {
  const Bytes v32(32, 1), v48(48, 2), v12(12, 3);
  EXPECT_EQ(B(decode_ok<Finished>(v32, size_t{32}).verify_data), v32);
  EXPECT_EQ(B(decode_ok<Finished>(v48, size_t{48}).verify_data), v48);
  EXPECT_EQ(B(decode_ok<Finished>(v12, size_t{12}).verify_data), v12);
  expect_alert(Finished::decode(v32, 48), A::decode_error);
  expect_alert(Finished::decode(v48, 32), A::decode_error);
  expect_truncations_fail<Finished>(v32, size_t{32});
  expect_trailing_fails<Finished>(v32, size_t{32});
  EXPECT_EQ(encode_message(Finished{v12}).value()[3], 12);
}

TEST(WireNewSessionTicket, RoundTripAndRejections) {
  ExtensionsBuilder exts;
  exts.add(ExtensionType::early_data, EarlyDataMax{0x4000});
  const Bytes nonce = {0x00, 0x01};
  NewSessionTicket nst{7200, 0xdeadbeef, nonce, kTicket, exts.list().value()};
  const Bytes body = enc(nst);
  const auto d = decode_ok<NewSessionTicket>(body);
  EXPECT_EQ(d.ticket_lifetime, 7200u);
  EXPECT_EQ(d.ticket_age_add, 0xdeadbeefu);
  EXPECT_EQ(B(d.ticket_nonce), nonce);
  EXPECT_EQ(B(d.ticket), kTicket);
  ASSERT_EQ(d.extensions.size(), 1u);
  expect_truncations_fail<NewSessionTicket>(body);
  expect_trailing_fails<NewSessionTicket>(body);
  // ticket<1..2^16-1>: empty is malformed.
  NewSessionTicket empty_ticket = nst;
  empty_ticket.ticket = {};
  expect_alert(NewSessionTicket::decode(enc(empty_ticket)), A::decode_error);
  // extensions<0..2^16-2>: a 65535-byte block is too long.
  Bytes big;
  Writer w(big);
  w.u32(1);
  w.u32(2);
  w.vec8({});
  w.vec16(kTicket);
  w.u16(0xffff);
  w.u16(0x1234);
  w.u16(0xffff - 4);
  big.resize(big.size() + 0xffff - 4, 0);
  expect_alert(NewSessionTicket::decode(big), A::decode_error);
}

TEST(WireEndOfEarlyData, EmptyBodyOnly) {
  (void)decode_ok<EndOfEarlyData>(Bytes{});
  EXPECT_EQ(encode_message(EndOfEarlyData{}).value(), (Bytes{0x05, 0x00, 0x00, 0x00}));
  expect_trailing_fails<EndOfEarlyData>(Bytes{});
}

TEST(WireKeyUpdate, OnlyZeroAndOne) {
  EXPECT_EQ(decode_ok<KeyUpdate>(Bytes{0}).request_update, KeyUpdateRequest::update_not_requested);
  EXPECT_EQ(decode_ok<KeyUpdate>(Bytes{1}).request_update, KeyUpdateRequest::update_requested);
  expect_alert(KeyUpdate::decode(Bytes{2}), A::illegal_parameter);
  expect_alert(KeyUpdate::decode(Bytes{255}), A::illegal_parameter);
  expect_truncations_fail<KeyUpdate>(Bytes{1});
  expect_trailing_fails<KeyUpdate>(Bytes{1});
  EXPECT_EQ(encode_message(KeyUpdate{KeyUpdateRequest::update_requested}).value(), (Bytes{0x18, 0x00, 0x00, 0x01, 0x01}));
}

// ---------------------------------------------------------------------------------------------
// TLS 1.2 messages

TEST(WireTls12, Certificate) {
  const Bytes c1 = {0x30, 0x01, 0x00}, c2 = {0x30, 0x00};
  const Bytes body = enc(Certificate12{{c1, c2}});
  EXPECT_EQ(body, (Bytes{0x00, 0x00, 0x0b, 0x00, 0x00, 0x03, 0x30, 0x01, 0x00, 0x00, 0x00, 0x02, 0x30, 0x00}));
  EXPECT_EQ(decode_ok<Certificate12>(body).certificate_list.size(), 2u);
  expect_truncations_fail<Certificate12>(body);
  expect_trailing_fails<Certificate12>(body);
  EXPECT_TRUE(decode_ok<Certificate12>(Bytes{0, 0, 0}).certificate_list.empty());
  expect_alert(Certificate12::decode(Bytes{0, 0, 3, 0, 0, 0}), A::decode_error);  // empty ASN.1Cert
}

TEST(WireTls12, ServerKeyExchangeEcdhe) {
  const Bytes point(65, 0x04), sig(70, 0x30);
  const ServerKeyExchangeEcdhe ske{NamedGroup::secp256r1, point, SignatureScheme::ecdsa_secp256r1_sha256, sig};
  const Bytes body = enc(ske);
  const auto d = decode_ok<ServerKeyExchangeEcdhe>(body);
  EXPECT_EQ(d.named_curve, NamedGroup::secp256r1);
  EXPECT_EQ(B(d.public_key), point);
  EXPECT_EQ(d.algorithm, SignatureScheme::ecdsa_secp256r1_sha256);
  EXPECT_EQ(B(d.signature), sig);
  // The signed params are the first 4 + 65 bytes.
  Bytes params;
  Writer w(params);
  d.encode_params(w);
  EXPECT_EQ(params, Bytes(body.begin(), body.begin() + 69));
  EXPECT_EQ(params[0], 3);
  expect_truncations_fail<ServerKeyExchangeEcdhe>(body);
  expect_trailing_fails<ServerKeyExchangeEcdhe>(body);
  Bytes explicit_curve = body;
  explicit_curve[0] = 1;
  expect_alert(ServerKeyExchangeEcdhe::decode(explicit_curve), A::illegal_parameter);
}

TEST(WireTls12, CertificateRequestClientKeyExchangeHelloDoneTicket) {
  const Bytes types = {64, 1};  // ecdsa_sign, rsa_sign
  const Bytes dn = {0x30, 0x00};
  const CertificateRequest12 cr{types, {SignatureScheme::rsa_pss_rsae_sha256}, {dn}};
  const Bytes cr_body = enc(cr);
  const auto crd = decode_ok<CertificateRequest12>(cr_body);
  EXPECT_EQ(B(crd.certificate_types), types);
  EXPECT_EQ(crd.supported_signature_algorithms, cr.supported_signature_algorithms);
  EXPECT_EQ(crd.certificate_authorities.size(), 1u);
  expect_truncations_fail<CertificateRequest12>(cr_body);
  expect_trailing_fails<CertificateRequest12>(cr_body);
  expect_alert(CertificateRequest12::decode(Bytes{0x00, 0x00, 0x02, 0x04, 0x01, 0x00, 0x00}), A::decode_error);

  const Bytes point(32, 0x09);
  const Bytes cke_body = enc(ClientKeyExchangeEcdhe{point});
  EXPECT_EQ(B(decode_ok<ClientKeyExchangeEcdhe>(cke_body).public_key), point);
  expect_truncations_fail<ClientKeyExchangeEcdhe>(cke_body);
  expect_trailing_fails<ClientKeyExchangeEcdhe>(cke_body);
  expect_alert(ClientKeyExchangeEcdhe::decode(Bytes{0x00}), A::decode_error);

  EXPECT_EQ(encode_message(ServerHelloDone{}).value(), (Bytes{0x0e, 0x00, 0x00, 0x00}));
  EXPECT_TRUE(ServerHelloDone::decode(Bytes{}).has_value());
  expect_trailing_fails<ServerHelloDone>(Bytes{});

  const Bytes nst_body = enc(NewSessionTicket12{300, kTicket});
  const auto nst = decode_ok<NewSessionTicket12>(nst_body);
  EXPECT_EQ(nst.ticket_lifetime_hint, 300u);
  EXPECT_EQ(B(nst.ticket), kTicket);
  expect_truncations_fail<NewSessionTicket12>(nst_body);
  expect_trailing_fails<NewSessionTicket12>(nst_body);
  // RFC 5077 §3.3: an empty ticket is allowed (the server will not issue one).
  EXPECT_TRUE(decode_ok<NewSessionTicket12>(Bytes{0, 0, 0, 0, 0, 0}).ticket.empty());
}

}  // namespace
}  // namespace tlspp::wire
