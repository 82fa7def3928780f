// wire/ extension blocks and typed extension codecs: round trips for every typed extension in
// every context it has a form in, and rejection of truncated, trailing, mis-sized, duplicated or
// out-of-range input with the alert the RFCs name.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "test_wire_util.h"
#include "wire/extensions.h"
#include "wire/types.h"

namespace tlspp::wire {
namespace {

using namespace tlspp::wire::testing;
using A = AlertDescription;
using C = ExtensionContext;

ByteView str(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

// The typed codec of `type` in `ctx` must accept `data` and re-encode it exactly.
void expect_typed(C ctx, ExtensionType type, const Bytes& data) {
  Bytes re;
  auto r = decode_typed_extension(ctx, Extension{static_cast<uint16_t>(type), data}, &re);
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(*r) << extension_type_name(type) << " has no codec in " << extension_context_name(ctx);
  EXPECT_EQ(re, data);
}

// ---------------------------------------------------------------------------------------------
// Extension blocks

TEST(WireExtensionList, KeepsOrderUnknownAndGrease) {
  const Bytes block = {0x00, 0x10,                     // 16 bytes of extensions
                       0x1a, 0x1a, 0x00, 0x00,         // GREASE, empty
                       0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,  // supported_versions
                       0xfe, 0x01, 0x00, 0x01, 0x07};  // unknown 0xfe01
  Reader r(block);
  auto exts = read_extensions(r, "Test");
  ASSERT_TRUE(exts.has_value()) << exts.error().to_string();
  ASSERT_EQ(exts->size(), 3u);
  EXPECT_EQ((*exts)[0].type, 0x1a1a);
  EXPECT_TRUE(is_grease((*exts)[0].type));
  EXPECT_EQ((*exts)[1].ext_type(), ExtensionType::supported_versions);
  EXPECT_EQ(B((*exts)[1].data), (Bytes{0x02, 0x03, 0x04}));
  EXPECT_EQ((*exts)[2].type, 0xfe01);
  EXPECT_EQ(find_extension(*exts, ExtensionType::supported_versions), &(*exts)[1]);
  EXPECT_EQ(find_extension(*exts, ExtensionType::key_share), nullptr);
  // The views borrow from the input buffer.
  EXPECT_EQ((*exts)[1].data.data(), block.data() + 10);
  Bytes out;
  Writer w(out);
  write_extensions(w, *exts);
  EXPECT_EQ(out, block);
}

TEST(WireExtensionList, RejectsDuplicatesWithIllegalParameter) {
  const Bytes block = {0x00, 0x08, 0x00, 0x17, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00};
  Reader r(block);
  auto exts = read_extensions(r, "ClientHello");
  expect_alert(exts, A::illegal_parameter);
  EXPECT_NE(exts.error().message.find("extended_master_secret"), std::string::npos) << exts.error().message;
}

TEST(WireExtensionList, RejectsMalformedLengths) {
  // Block length runs past the input.
  {
    const Bytes b = {0x00, 0x05, 0x00, 0x17, 0x00, 0x00};
    Reader r(b);
    expect_alert(read_extensions(r, "Test"), A::decode_error);
  }
  // An extension's length runs past the block.
  {
    const Bytes b = {0x00, 0x04, 0x00, 0x17, 0x00, 0x01, 0x00};
    Reader r(b);
    expect_alert(read_extensions(r, "Test"), A::decode_error);
  }
  // A lone byte where a type should be.
  {
    const Bytes b = {0x00, 0x05, 0x00, 0x17, 0x00, 0x00, 0x01};
    Reader r(b);
    expect_alert(read_extensions(r, "Test"), A::decode_error);
  }
  // Below the minimum block length.
  {
    const Bytes b = {0x00, 0x00};
    Reader r(b);
    expect_alert(read_extensions(r, "CertificateRequest", 2), A::decode_error);
  }
}

TEST(WireExtensionList, ManyExtensionsDuplicateFoundQuickly) {
  // 8000 distinct extensions then a repeat of the first.
  Bytes exts;
  Writer w(exts);
  const auto mark = w.open(2);
  for (uint16_t t = 0; t < 8000; ++t) write_extension(w, static_cast<uint16_t>(0x1000 + t), {});
  write_extension(w, 0x1000, {});
  w.close(mark);
  Reader r(exts);
  expect_alert(read_extensions(r, "Test"), A::illegal_parameter);
}

TEST(WireExtensionList, DuplicatesFoundAtEveryListLength) {
  // Short lists are checked pairwise and long ones by sorting: both sides of the switch.
  for (uint16_t n = 1; n <= 40; ++n) {
    for (const bool repeat : {false, true}) {
      Bytes exts;
      Writer w(exts);
      const auto mark = w.open(2);
      for (uint16_t t = 0; t < n; ++t) write_extension(w, static_cast<uint16_t>(0x2000 + t), Bytes{1});
      if (repeat) write_extension(w, static_cast<uint16_t>(0x2000 + n / 2), {});
      w.close(mark);
      Reader r(exts);
      auto got = read_extensions(r, "Test");
      if (repeat) {
        expect_alert(got, A::illegal_parameter);
      } else {
        ASSERT_TRUE(got) << n << ": " << got.error().to_string();
        EXPECT_EQ(got->size(), n);
        EXPECT_EQ(got->capacity(), n) << "one allocation of the right size";
      }
    }
  }
}

TEST(WireExtensionList, Grease) {
  for (uint16_t v : {0x0a0a, 0x1a1a, 0x2a2a, 0xfafa}) EXPECT_TRUE(is_grease(v)) << v;
  for (uint16_t v : {0x0a1a, 0x1a0a, 0x0a0b, 0x0000, 0xff01}) EXPECT_FALSE(is_grease(v)) << v;
}

TEST(WireExtensionList, Tls13PermittedTable) {
  using E = ExtensionType;
  auto t = [](E e) { return static_cast<uint16_t>(e); };
  EXPECT_TRUE(tls13_extension_permitted(t(E::key_share), C::hello_retry_request));
  EXPECT_FALSE(tls13_extension_permitted(t(E::key_share), C::encrypted_extensions));
  EXPECT_TRUE(tls13_extension_permitted(t(E::early_data), C::new_session_ticket));
  EXPECT_FALSE(tls13_extension_permitted(t(E::early_data), C::server_hello));
  EXPECT_TRUE(tls13_extension_permitted(t(E::status_request), C::certificate));
  EXPECT_FALSE(tls13_extension_permitted(t(E::supported_groups), C::server_hello));
  EXPECT_TRUE(tls13_extension_permitted(t(E::record_size_limit), C::encrypted_extensions));
  EXPECT_TRUE(tls13_extension_permitted(t(E::oid_filters), C::certificate_request));
  EXPECT_FALSE(tls13_extension_permitted(t(E::oid_filters), C::client_hello));
  EXPECT_TRUE(tls13_extension_permitted(t(E::renegotiation_info), C::client_hello));
  EXPECT_FALSE(tls13_extension_permitted(t(E::renegotiation_info), C::server_hello));
  EXPECT_FALSE(tls13_extension_permitted(t(E::pre_shared_key), C::encrypted_extensions));
  EXPECT_TRUE(tls13_extension_permitted(t(E::cookie), C::hello_retry_request));
  EXPECT_FALSE(tls13_extension_permitted(t(E::cookie), C::server_hello));
  EXPECT_TRUE(tls13_extension_permitted(0x1234, C::encrypted_extensions));  // unknown: caller decides
}

TEST(WireExtensionList, BuilderKeepsOrderAndEncodesTyped) {
  ExtensionsBuilder b;
  b.add(ExtensionType::supported_versions, SupportedVersionsList{{ProtocolVersion::tls13, ProtocolVersion::tls12}});
  b.add_raw(0x0a0a, {});
  b.add(ExtensionType::record_size_limit, RecordSizeLimit{0x4001});
  const std::vector<Extension> list = b.list().value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].ext_type(), ExtensionType::supported_versions);
  EXPECT_EQ(B(list[0].data), (Bytes{0x04, 0x03, 0x04, 0x03, 0x03}));
  EXPECT_EQ(list[1].type, 0x0a0a);
  EXPECT_TRUE(list[1].data.empty());
  EXPECT_EQ(B(list[2].data), (Bytes{0x40, 0x01}));
  Bytes out;
  Writer w(out);
  write_extensions(w, list);
  EXPECT_EQ(out, (Bytes{0x00, 0x13, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03, 0x0a, 0x0a, 0x00, 0x00,
                        0x00, 0x1c, 0x00, 0x02, 0x40, 0x01}));
}

TEST(WireExtensionList, TypedDispatchKnowsFormsPerContext) {
  const Extension share_group{static_cast<uint16_t>(ExtensionType::key_share), {}};
  // key_share has no form in EncryptedExtensions; use_srtp has no codec at all.
  auto r = decode_typed_extension(C::encrypted_extensions, share_group);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(*r);
  auto srtp = decode_typed_extension(C::client_hello, Extension{static_cast<uint16_t>(ExtensionType::use_srtp), {}});
  ASSERT_TRUE(srtp.has_value());
  EXPECT_FALSE(*srtp);
  // A codec's error comes through.
  const Bytes small = {0x00, 0x3f};
  expect_alert(decode_typed_extension(C::encrypted_extensions,
                                      Extension{static_cast<uint16_t>(ExtensionType::record_size_limit), small}),
               A::illegal_parameter);
  // The same type takes its context's form: supported_versions list vs selected.
  expect_typed(C::client_hello, ExtensionType::supported_versions, {0x02, 0x03, 0x04});
  expect_typed(C::server_hello, ExtensionType::supported_versions, {0x03, 0x04});
  expect_alert(decode_typed_extension(C::server_hello, Extension{static_cast<uint16_t>(ExtensionType::supported_versions),
                                                                  ByteView(small).first(1)}),
               A::decode_error);
}

// ---------------------------------------------------------------------------------------------
// Typed codecs

TEST(WireExtension, EmptyForms) {
  expect_alert(EmptyExtension::decode(Bytes{0x00}, ExtensionType::early_data), A::decode_error);
  EXPECT_TRUE(EmptyExtension::decode({}, ExtensionType::early_data).has_value());
  EXPECT_TRUE(enc(EmptyExtension{}).empty());
  for (auto [ctx, type] : {std::pair{C::encrypted_extensions, ExtensionType::server_name},
                           std::pair{C::server_hello, ExtensionType::server_name},
                           std::pair{C::client_hello, ExtensionType::early_data},
                           std::pair{C::encrypted_extensions, ExtensionType::early_data},
                           std::pair{C::client_hello, ExtensionType::post_handshake_auth},
                           std::pair{C::client_hello, ExtensionType::extended_master_secret},
                           std::pair{C::server_hello, ExtensionType::encrypt_then_mac},
                           std::pair{C::server_hello, ExtensionType::session_ticket},
                           std::pair{C::certificate_request, ExtensionType::status_request}}) {
    expect_typed(ctx, type, {});
    expect_alert(decode_typed_extension(ctx, Extension{static_cast<uint16_t>(type), Bytes{0x00}}), A::decode_error);
  }
}

TEST(WireExtension, ServerName) {
  ServerNameList sni;
  sni.names.push_back({ServerNameList::kHostName, str("example.com")});
  const Bytes bytes = enc(sni);
  EXPECT_EQ(bytes.size(), 2u + 1 + 2 + 11);
  const auto d = decode_ok<ServerNameList>(bytes);
  EXPECT_EQ(d.host_name(), "example.com");
  expect_typed(C::client_hello, ExtensionType::server_name, bytes);
  expect_truncations_fail<ServerNameList>(bytes);
  expect_trailing_fails<ServerNameList>(bytes);
  // An unknown name type is carried; without host_name there is no host name.
  const Bytes other = {0x00, 0x04, 0x07, 0x00, 0x01, 0x41};
  const auto o = decode_ok<ServerNameList>(other);
  ASSERT_EQ(o.names.size(), 1u);
  EXPECT_EQ(o.names[0].name_type, 7);
  EXPECT_FALSE(o.host_name().has_value());
  // Empty list, empty host name, and two host names.
  expect_alert(ServerNameList::decode(Bytes{0x00, 0x00}), A::decode_error);
  expect_alert(ServerNameList::decode(Bytes{0x00, 0x03, 0x00, 0x00, 0x00}), A::decode_error);
  expect_alert(ServerNameList::decode(Bytes{0x00, 0x08, 0x00, 0x00, 0x01, 0x61, 0x00, 0x00, 0x01, 0x62}),
               A::illegal_parameter);
}

TEST(WireExtension, MaxFragmentLength) {
  for (uint8_t v = 1; v <= 4; ++v) {
    const Bytes b = {v};
    EXPECT_EQ(decode_ok<MaxFragmentLength>(b).code, v);
    expect_typed(C::encrypted_extensions, ExtensionType::max_fragment_length, b);
  }
  expect_alert(MaxFragmentLength::decode(Bytes{0}), A::illegal_parameter);
  expect_alert(MaxFragmentLength::decode(Bytes{5}), A::illegal_parameter);
  expect_alert(MaxFragmentLength::decode(Bytes{}), A::decode_error);
  expect_trailing_fails<MaxFragmentLength>(Bytes{1});
}

TEST(WireExtension, StatusRequestOcsp) {
  const Bytes id1 = {0x30, 0x01}, exts = {0x30, 0x00};
  CertificateStatusRequest req;
  req.responder_id_list = {id1};
  req.request_extensions = exts;
  const Bytes bytes = enc(req);
  EXPECT_EQ(bytes, (Bytes{0x01, 0x00, 0x04, 0x00, 0x02, 0x30, 0x01, 0x00, 0x02, 0x30, 0x00}));
  const auto d = decode_ok<CertificateStatusRequest>(bytes);
  EXPECT_EQ(d.status_type, CertificateStatusRequest::kOcsp);
  ASSERT_EQ(d.responder_id_list.size(), 1u);
  EXPECT_EQ(B(d.responder_id_list[0]), id1);
  EXPECT_EQ(B(d.request_extensions), exts);
  expect_typed(C::client_hello, ExtensionType::status_request, bytes);
  expect_truncations_fail<CertificateStatusRequest>(bytes);
  expect_trailing_fails<CertificateStatusRequest>(bytes);
  // The usual form: no responders, no extensions.
  EXPECT_TRUE(decode_ok<CertificateStatusRequest>(Bytes{0x01, 0x00, 0x00, 0x00, 0x00}).responder_id_list.empty());
  // An empty ResponderID is malformed.
  expect_alert(CertificateStatusRequest::decode(Bytes{0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00}), A::decode_error);
  // Another status type is carried opaquely.
  const Bytes other = {0x02, 0xaa, 0xbb};
  const auto o = decode_ok<CertificateStatusRequest>(other);
  EXPECT_EQ(o.status_type, 2);
  EXPECT_EQ(B(o.other_request), (Bytes{0xaa, 0xbb}));
}

TEST(WireExtension, CertificateStatusInCertificateEntry) {
  const Bytes resp = {0x30, 0x03, 0x0a, 0x01, 0x00};
  CertificateStatus st;
  st.response = resp;
  const Bytes bytes = enc(st);
  EXPECT_EQ(bytes, (Bytes{0x01, 0x00, 0x00, 0x05, 0x30, 0x03, 0x0a, 0x01, 0x00}));
  EXPECT_EQ(B(decode_ok<CertificateStatus>(bytes).response), resp);
  expect_typed(C::certificate, ExtensionType::status_request, bytes);
  expect_truncations_fail<CertificateStatus>(bytes);
  expect_trailing_fails<CertificateStatus>(bytes);
  expect_alert(CertificateStatus::decode(Bytes{0x01, 0x00, 0x00, 0x00}), A::decode_error);  // empty OCSPResponse
}

TEST(WireExtension, SupportedGroups) {
  const SupportedGroups g{{NamedGroup::x25519, NamedGroup::secp256r1, static_cast<NamedGroup>(0x2a2a)}};
  const Bytes bytes = enc(g);
  EXPECT_EQ(bytes, (Bytes{0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x2a, 0x2a}));
  EXPECT_EQ(decode_ok<SupportedGroups>(bytes).groups, g.groups);
  expect_typed(C::client_hello, ExtensionType::supported_groups, bytes);
  expect_typed(C::encrypted_extensions, ExtensionType::supported_groups, bytes);
  expect_truncations_fail<SupportedGroups>(bytes);
  expect_trailing_fails<SupportedGroups>(bytes);
  expect_alert(SupportedGroups::decode(Bytes{0x00, 0x00}), A::decode_error);
  expect_alert(SupportedGroups::decode(Bytes{0x00, 0x03, 0x00, 0x1d, 0x00}), A::decode_error);  // odd length
}

TEST(WireExtension, EcPointFormats) {
  const Bytes bytes = {0x01, 0x00};
  EXPECT_EQ(B(decode_ok<EcPointFormats>(bytes).formats), (Bytes{EcPointFormats::kUncompressed}));
  expect_typed(C::client_hello, ExtensionType::ec_point_formats, bytes);
  expect_typed(C::server_hello, ExtensionType::ec_point_formats, bytes);
  expect_truncations_fail<EcPointFormats>(bytes);
  expect_trailing_fails<EcPointFormats>(bytes);
  expect_alert(EcPointFormats::decode(Bytes{0x00}), A::decode_error);
}

TEST(WireExtension, SignatureAlgorithmsAndCert) {
  const SignatureSchemeList l{{SignatureScheme::ed25519, SignatureScheme::rsa_pss_rsae_sha256}};
  const Bytes bytes = enc(l);
  EXPECT_EQ(bytes, (Bytes{0x00, 0x04, 0x08, 0x07, 0x08, 0x04}));
  EXPECT_EQ(decode_ok<SignatureSchemeList>(bytes).schemes, l.schemes);
  for (auto type : {ExtensionType::signature_algorithms, ExtensionType::signature_algorithms_cert})
    for (auto ctx : {C::client_hello, C::certificate_request}) expect_typed(ctx, type, bytes);
  expect_truncations_fail<SignatureSchemeList>(bytes);
  expect_trailing_fails<SignatureSchemeList>(bytes);
  expect_alert(SignatureSchemeList::decode(Bytes{0x00, 0x00}), A::decode_error);
  expect_alert(SignatureSchemeList::decode(Bytes{0x00, 0x01, 0x08}), A::decode_error);
  // <2..2^16-2>: a 65535-byte list is too long (and odd).
  Bytes too_long = {0xff, 0xff};
  too_long.resize(2 + 0xffff, 0x04);
  expect_alert(SignatureSchemeList::decode(too_long), A::decode_error);
}

TEST(WireExtension, Alpn) {
  const ProtocolNameList l{{str("h2"), str("http/1.1")}};
  const Bytes bytes = enc(l);
  EXPECT_EQ(bytes.size(), 2u + 3 + 9);
  const auto d = decode_ok<ProtocolNameList>(bytes, C::client_hello);
  ASSERT_EQ(d.names.size(), 2u);
  EXPECT_EQ(B(d.names[1]), B(str("http/1.1")));
  expect_typed(C::client_hello, ExtensionType::application_layer_protocol_negotiation, bytes);
  expect_truncations_fail<ProtocolNameList>(bytes, C::client_hello);
  expect_trailing_fails<ProtocolNameList>(bytes, C::client_hello);
  // A server names exactly one protocol.
  expect_alert(ProtocolNameList::decode(bytes, C::encrypted_extensions), A::decode_error);
  const Bytes one = enc(ProtocolNameList{{str("h2")}});
  EXPECT_EQ(decode_ok<ProtocolNameList>(one, C::encrypted_extensions).names.size(), 1u);
  expect_typed(C::encrypted_extensions, ExtensionType::application_layer_protocol_negotiation, one);
  // RFC 7301 §3.1: empty names and empty lists are rejected.
  expect_alert(ProtocolNameList::decode(Bytes{0x00, 0x01, 0x00}, C::client_hello), A::decode_error);
  expect_alert(ProtocolNameList::decode(Bytes{0x00, 0x04, 0x02, 0x68, 0x32, 0x00}, C::client_hello),
               A::decode_error);
  expect_alert(ProtocolNameList::decode(Bytes{0x00, 0x00}, C::client_hello), A::decode_error);
}

TEST(WireExtension, CertificateTypes) {
  const Bytes list = {0x02, CertificateTypeList::kRawPublicKey, CertificateTypeList::kX509};
  EXPECT_EQ(decode_ok<CertificateTypeList>(list).types.size(), 2u);
  expect_truncations_fail<CertificateTypeList>(list);
  expect_trailing_fails<CertificateTypeList>(list);
  expect_alert(CertificateTypeList::decode(Bytes{0x00}), A::decode_error);
  const Bytes selected = {CertificateTypeList::kRawPublicKey};
  EXPECT_EQ(decode_ok<CertificateTypeSelected>(selected).type, CertificateTypeList::kRawPublicKey);
  expect_truncations_fail<CertificateTypeSelected>(selected);
  expect_trailing_fails<CertificateTypeSelected>(selected);
  for (auto type : {ExtensionType::client_certificate_type, ExtensionType::server_certificate_type}) {
    expect_typed(C::client_hello, type, list);
    expect_typed(C::encrypted_extensions, type, selected);
    expect_typed(C::server_hello, type, selected);
  }
}

TEST(WireExtension, Padding) {
  const Bytes zeros(17, 0);
  EXPECT_EQ(decode_ok<Padding>(zeros).length, 17u);
  EXPECT_EQ(enc(Padding{0}), Bytes{});
  expect_typed(C::client_hello, ExtensionType::padding, zeros);
  Bytes dirty = zeros;
  dirty[9] = 1;
  expect_alert(Padding::decode(dirty), A::illegal_parameter);
}

TEST(WireExtension, RecordSizeLimit) {
  EXPECT_EQ(decode_ok<RecordSizeLimit>(Bytes{0x00, 0x40}).limit, 64);
  EXPECT_EQ(decode_ok<RecordSizeLimit>(Bytes{0x40, 0x01}).limit, 16385);
  expect_alert(RecordSizeLimit::decode(Bytes{0x00, 0x3f}), A::illegal_parameter);  // 63
  expect_alert(RecordSizeLimit::decode(Bytes{0x00, 0x00}), A::illegal_parameter);
  expect_truncations_fail<RecordSizeLimit>(Bytes{0x40, 0x01});
  expect_trailing_fails<RecordSizeLimit>(Bytes{0x40, 0x01});
  for (auto ctx : {C::client_hello, C::encrypted_extensions, C::server_hello})
    expect_typed(ctx, ExtensionType::record_size_limit, {0x40, 0x01});
}

TEST(WireExtension, SessionTicketAndRenegotiationInfo) {
  const Bytes ticket = {1, 2, 3};
  EXPECT_EQ(B(decode_ok<SessionTicket>(ticket).ticket), ticket);
  EXPECT_TRUE(decode_ok<SessionTicket>(Bytes{}).ticket.empty());
  expect_typed(C::client_hello, ExtensionType::session_ticket, ticket);
  const Bytes reneg = {0x02, 0xaa, 0xbb};
  EXPECT_EQ(B(decode_ok<RenegotiationInfo>(reneg).renegotiated_connection), (Bytes{0xaa, 0xbb}));
  EXPECT_TRUE(decode_ok<RenegotiationInfo>(Bytes{0x00}).renegotiated_connection.empty());
  expect_typed(C::server_hello, ExtensionType::renegotiation_info, reneg);
  expect_truncations_fail<RenegotiationInfo>(reneg);
  expect_trailing_fails<RenegotiationInfo>(reneg);
}

TEST(WireExtension, PreSharedKeyOffered) {
  const Bytes id1(20, 0x11), id2 = {0x22}, binder1(32, 0xb1), binder2(48, 0xb2);
  OfferedPsks psks;
  psks.identities = {{id1, 0x01020304}, {id2, 7}};
  psks.binders = {binder1, binder2};
  const Bytes bytes = enc(psks);
  EXPECT_EQ(psks.binders_wire_size(), 2u + 33 + 49);
  EXPECT_EQ(bytes.size(), 2u + (2 + 20 + 4) + (2 + 1 + 4) + psks.binders_wire_size());
  const auto d = decode_ok<OfferedPsks>(bytes);
  ASSERT_EQ(d.identities.size(), 2u);
  EXPECT_EQ(B(d.identities[0].identity), id1);
  EXPECT_EQ(d.identities[0].obfuscated_ticket_age, 0x01020304u);
  EXPECT_EQ(B(d.binders[1]), binder2);
  expect_typed(C::client_hello, ExtensionType::pre_shared_key, bytes);
  expect_truncations_fail<OfferedPsks>(bytes);
  expect_trailing_fails<OfferedPsks>(bytes);
  // One identity, two binders: illegal_parameter.
  OfferedPsks mismatch = psks;
  mismatch.identities.pop_back();
  expect_alert(OfferedPsks::decode(enc(mismatch)), A::illegal_parameter);
  // A 31-byte binder is below PskBinderEntry<32..255>.
  OfferedPsks short_binder;
  const Bytes b31(31, 0);
  short_binder.identities = {{id2, 0}};
  short_binder.binders = {b31};
  expect_alert(OfferedPsks::decode(enc(short_binder)), A::decode_error);
  // An empty identity is below <1..2^16-1>.
  OfferedPsks empty_id;
  empty_id.identities = {{ByteView{}, 0}};
  empty_id.binders = {binder1};
  expect_alert(OfferedPsks::decode(enc(empty_id)), A::decode_error);
  // No identities at all.
  OfferedPsks none;
  none.binders = {binder1};
  expect_alert(OfferedPsks::decode(enc(none)), A::decode_error);
}

TEST(WireExtension, PreSharedKeySelectedAndEarlyData) {
  EXPECT_EQ(decode_ok<PreSharedKeySelected>(Bytes{0x00, 0x02}).selected_identity, 2);
  expect_typed(C::server_hello, ExtensionType::pre_shared_key, {0x00, 0x02});
  expect_truncations_fail<PreSharedKeySelected>(Bytes{0x00, 0x02});
  expect_trailing_fails<PreSharedKeySelected>(Bytes{0x00, 0x02});
  const Bytes max = {0x00, 0x00, 0x40, 0x00};
  EXPECT_EQ(decode_ok<EarlyDataMax>(max).max_early_data_size, 0x4000u);
  expect_typed(C::new_session_ticket, ExtensionType::early_data, max);
  expect_truncations_fail<EarlyDataMax>(max);
  expect_trailing_fails<EarlyDataMax>(max);
}

TEST(WireExtension, SupportedVersions) {
  const SupportedVersionsList l{{static_cast<ProtocolVersion>(0x7a7a), ProtocolVersion::tls13, ProtocolVersion::tls12}};
  const Bytes bytes = enc(l);
  EXPECT_EQ(bytes, (Bytes{0x06, 0x7a, 0x7a, 0x03, 0x04, 0x03, 0x03}));
  EXPECT_EQ(decode_ok<SupportedVersionsList>(bytes).versions, l.versions);
  expect_truncations_fail<SupportedVersionsList>(bytes);
  expect_trailing_fails<SupportedVersionsList>(bytes);
  expect_alert(SupportedVersionsList::decode(Bytes{0x00}), A::decode_error);
  expect_alert(SupportedVersionsList::decode(Bytes{0x03, 0x03, 0x04, 0x03}), A::decode_error);  // odd
  Bytes too_long = {0xff};
  too_long.resize(1 + 0xff, 0x03);
  expect_alert(SupportedVersionsList::decode(too_long), A::decode_error);  // <2..254>
  EXPECT_EQ(decode_ok<SupportedVersionSelected>(Bytes{0x03, 0x04}).version, ProtocolVersion::tls13);
  expect_typed(C::hello_retry_request, ExtensionType::supported_versions, {0x03, 0x04});
  expect_truncations_fail<SupportedVersionSelected>(Bytes{0x03, 0x04});
  expect_trailing_fails<SupportedVersionSelected>(Bytes{0x03, 0x04});
}

TEST(WireExtension, Cookie) {
  const Bytes bytes = {0x00, 0x03, 9, 8, 7};
  EXPECT_EQ(B(decode_ok<Cookie>(bytes).cookie), (Bytes{9, 8, 7}));
  expect_typed(C::client_hello, ExtensionType::cookie, bytes);
  expect_typed(C::hello_retry_request, ExtensionType::cookie, bytes);
  expect_truncations_fail<Cookie>(bytes);
  expect_trailing_fails<Cookie>(bytes);
  expect_alert(Cookie::decode(Bytes{0x00, 0x00}), A::decode_error);
}

TEST(WireExtension, PskKeyExchangeModes) {
  const Bytes bytes = {0x02, 0x01, 0x00};
  const auto d = decode_ok<PskKeyExchangeModes>(bytes);
  EXPECT_TRUE(d.offers(PskKeyExchangeMode::psk_dhe_ke));
  EXPECT_TRUE(d.offers(PskKeyExchangeMode::psk_ke));
  expect_typed(C::client_hello, ExtensionType::psk_key_exchange_modes, bytes);
  expect_truncations_fail<PskKeyExchangeModes>(bytes);
  expect_trailing_fails<PskKeyExchangeModes>(bytes);
  expect_alert(PskKeyExchangeModes::decode(Bytes{0x00}), A::decode_error);
  // Unknown modes are kept for the caller to ignore.
  EXPECT_EQ(decode_ok<PskKeyExchangeModes>(Bytes{0x01, 0x07}).modes.size(), 1u);
}

TEST(WireExtension, CertificateAuthorities) {
  const Bytes dn1 = {0x30, 0x00}, dn2 = {0x30, 0x02, 0x31, 0x00};
  const Bytes bytes = enc(CertificateAuthorities{{dn1, dn2}});
  EXPECT_EQ(bytes, (Bytes{0x00, 0x0a, 0x00, 0x02, 0x30, 0x00, 0x00, 0x04, 0x30, 0x02, 0x31, 0x00}));
  EXPECT_EQ(decode_ok<CertificateAuthorities>(bytes).authorities.size(), 2u);
  expect_typed(C::client_hello, ExtensionType::certificate_authorities, bytes);
  expect_typed(C::certificate_request, ExtensionType::certificate_authorities, bytes);
  expect_truncations_fail<CertificateAuthorities>(bytes);
  expect_trailing_fails<CertificateAuthorities>(bytes);
  expect_alert(CertificateAuthorities::decode(Bytes{0x00, 0x00}), A::decode_error);
  expect_alert(CertificateAuthorities::decode(Bytes{0x00, 0x02, 0x00, 0x00}), A::decode_error);  // <3..>, empty DN
}

TEST(WireExtension, OidFilters) {
  const Bytes oid = {0x55, 0x1d, 0x25}, values = {0x30, 0x00};
  const Bytes bytes = enc(OidFilters{{{oid, values}, {oid, {}}}});
  const auto d = decode_ok<OidFilters>(bytes);
  ASSERT_EQ(d.filters.size(), 2u);
  EXPECT_EQ(B(d.filters[0].certificate_extension_oid), oid);
  EXPECT_TRUE(d.filters[1].certificate_extension_values.empty());
  EXPECT_TRUE(decode_ok<OidFilters>(Bytes{0x00, 0x00}).filters.empty());
  expect_typed(C::certificate_request, ExtensionType::oid_filters, bytes);
  expect_truncations_fail<OidFilters>(bytes);
  expect_trailing_fails<OidFilters>(bytes);
  expect_alert(OidFilters::decode(Bytes{0x00, 0x03, 0x00, 0x00, 0x00}), A::decode_error);  // empty OID
}

TEST(WireExtension, KeyShareAllThreeForms) {
  const Bytes x(32, 0x99), p(65, 0x04);
  const KeyShareClientHello ch{{{NamedGroup::x25519, x}, {NamedGroup::secp256r1, p}}};
  const Bytes ch_bytes = enc(ch);
  EXPECT_EQ(ch_bytes.size(), 2u + 4 + 32 + 4 + 65);
  const auto d = decode_ok<KeyShareClientHello>(ch_bytes);
  ASSERT_NE(d.find(NamedGroup::secp256r1), nullptr);
  EXPECT_EQ(B(d.find(NamedGroup::secp256r1)->key_exchange), p);
  EXPECT_EQ(d.find(NamedGroup::x448), nullptr);
  expect_typed(C::client_hello, ExtensionType::key_share, ch_bytes);
  expect_truncations_fail<KeyShareClientHello>(ch_bytes);
  expect_trailing_fails<KeyShareClientHello>(ch_bytes);
  // An empty client_shares is valid (the client asks for a HelloRetryRequest).
  EXPECT_TRUE(decode_ok<KeyShareClientHello>(Bytes{0x00, 0x00}).client_shares.empty());
  // Two shares for one group: illegal_parameter; an empty key_exchange: decode_error.
  expect_alert(KeyShareClientHello::decode(enc(KeyShareClientHello{{{NamedGroup::x25519, x}, {NamedGroup::x25519, x}}})),
               A::illegal_parameter);
  expect_alert(KeyShareClientHello::decode(Bytes{0x00, 0x04, 0x00, 0x1d, 0x00, 0x00}), A::decode_error);

  const Bytes sh_bytes = enc(KeyShareServerHello{{NamedGroup::x25519, x}});
  EXPECT_EQ(sh_bytes.size(), 4u + 32);
  EXPECT_EQ(B(decode_ok<KeyShareServerHello>(sh_bytes).server_share.key_exchange), x);
  expect_typed(C::server_hello, ExtensionType::key_share, sh_bytes);
  expect_truncations_fail<KeyShareServerHello>(sh_bytes);
  expect_trailing_fails<KeyShareServerHello>(sh_bytes);

  const Bytes hrr_bytes = {0x00, 0x17};
  EXPECT_EQ(decode_ok<KeyShareHelloRetryRequest>(hrr_bytes).selected_group, NamedGroup::secp256r1);
  expect_typed(C::hello_retry_request, ExtensionType::key_share, hrr_bytes);
  expect_truncations_fail<KeyShareHelloRetryRequest>(hrr_bytes);
  expect_trailing_fails<KeyShareHelloRetryRequest>(hrr_bytes);
}

TEST(WireTypes, Names) {
  EXPECT_EQ(extension_type_name(ExtensionType::key_share), "key_share");
  EXPECT_EQ(extension_type_name(ExtensionType::renegotiation_info), "renegotiation_info");
  EXPECT_EQ(extension_type_name(static_cast<ExtensionType>(0x1234)), "0x1234");
  EXPECT_EQ(handshake_type_name(HandshakeType::encrypted_extensions), "encrypted_extensions");
  EXPECT_EQ(handshake_type_name(static_cast<HandshakeType>(99)), "handshake_type(99)");
  EXPECT_EQ(content_type_name(ContentType::application_data), "application_data");
  EXPECT_EQ(content_type_name(static_cast<ContentType>(255)), "content_type(255)");
  EXPECT_EQ(extension_context_name(C::hello_retry_request), "HelloRetryRequest");
  EXPECT_EQ(static_cast<uint8_t>(ContentType::handshake), 22);
  EXPECT_EQ(static_cast<uint8_t>(HandshakeType::message_hash), 254);
  EXPECT_EQ(static_cast<uint16_t>(ExtensionType::record_size_limit), 28);
}

}  // namespace
}  // namespace tlspp::wire
