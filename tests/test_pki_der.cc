// DER reader and certificate parser: strict acceptance, rejection of malformed input, and
// agreement with OpenSSL's own parser on real and generated certificates.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "crypto/pem.h"
#include "crypto/sig.h"
#include "pki/builder.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/pem_blocks.h"
#include "pki/public_key.h"
#include "support/openssl_view.h"

namespace tlspp::pki {
namespace {

using test::openssl_parse_certificate;

const std::string kData = std::string(TLSPP_SOURCE_DIR) + "/tests/data/pki/";
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

Bytes load_one(const std::string& name) {
  auto file = crypto::read_file(kData + name);
  EXPECT_TRUE(file) << name;
  if (!file) return {};
  auto blocks = decode_pem_certificates(*file);
  EXPECT_EQ(blocks.size(), 1u) << name;
  if (blocks.size() != 1 || !blocks[0]) return {};
  return *blocks[0];
}

std::vector<Bytes> bundle() {
  std::vector<Bytes> out;
  auto file = crypto::read_file(kSystemBundle);
  if (!file) return out;
  for (auto& b : decode_pem_certificates(*file))
    if (b) out.push_back(*b);
  return out;
}

Bytes bytes(std::initializer_list<uint8_t> b) { return Bytes(b); }

// ---- the DER reader alone ----

TEST(PkiDer, ReadsShortAndLongFormLengths) {
  const Bytes short_form = bytes({0x04, 0x02, 0xaa, 0xbb});
  der::Reader r(short_form);
  auto e = r.any("x");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tag, 0x04);
  EXPECT_EQ(e->contents.size(), 2u);
  EXPECT_EQ(e->encoding.size(), 4u);
  EXPECT_TRUE(r.empty());

  Bytes long_form = {0x04, 0x81, 0x80};
  long_form.resize(3 + 0x80, 0x11);
  der::Reader r2(long_form);
  auto e2 = r2.any("x");
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->contents.size(), 0x80u);
}

TEST(PkiDer, RejectsNonDerLengths) {
  struct Case {
    Bytes input;
    const char* needle;
  };
  const Case cases[] = {
      {bytes({0x30, 0x80, 0x00, 0x00}), "indefinite"},
      {bytes({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}), "long-form length below 128"},
      {bytes({0x04, 0x82, 0x00, 0x81}), "leading zero"},
      {bytes({0x04, 0x85, 1, 0, 0, 0, 0}), "length field of 5 bytes"},
      {bytes({0x04, 0x05, 1, 2}), "truncated"},
      {bytes({0x04}), "truncated"},
      {bytes({0x04, 0x82, 0x01}), "truncated"},
      {bytes({0x1f, 0x81, 0x01, 0x00}), "multi-byte tag"},
  };
  for (const Case& c : cases) {
    der::Reader r(c.input);
    auto e = r.any("field");
    ASSERT_FALSE(e) << c.needle;
    EXPECT_EQ(e.error().alert, AlertDescription::decode_error);
    EXPECT_NE(e.error().message.find(c.needle), std::string::npos) << e.error().message;
    EXPECT_NE(e.error().message.find("field"), std::string::npos) << e.error().message;
  }
}

TEST(PkiDer, ExpectEndRejectsTrailingBytes) {
  const Bytes in = bytes({0x05, 0x00, 0x05, 0x00});
  der::Reader r(in);
  ASSERT_TRUE(r.expect(der::kNull, "first"));
  auto end = r.expect_end("list");
  ASSERT_FALSE(end);
  EXPECT_NE(end.error().message.find("2 unexpected bytes"), std::string::npos) << end.error().message;
}

TEST(PkiDer, IntegersMustBeMinimal) {
  auto integer = [](Bytes contents) {
    Bytes enc{der::kInteger, static_cast<uint8_t>(contents.size())};
    enc.insert(enc.end(), contents.begin(), contents.end());
    der::Reader r(enc);
    auto e = r.any("n");
    EXPECT_TRUE(e);
    return der::small_uint(*e, "n");
  };
  EXPECT_EQ(integer({0x00}).value_or(99), 0u);
  EXPECT_EQ(integer({0x7f}).value_or(0), 127u);
  EXPECT_EQ(integer({0x00, 0x80}).value_or(0), 128u);
  EXPECT_EQ(integer({0x01, 0x00}).value_or(0), 256u);
  EXPECT_FALSE(integer({0x00, 0x7f}));        // redundant leading zero
  EXPECT_FALSE(integer({0xff, 0x80}));        // redundant leading 0xff
  EXPECT_FALSE(integer({0x80}));              // negative
  EXPECT_FALSE(integer({}));                  // empty
  EXPECT_FALSE(integer({0x01, 0, 0, 0, 0}));  // over 32 bits
}

TEST(PkiDer, BooleansBitStringsAndOids) {
  auto el = [](const Bytes& enc) {
    der::Reader r(enc);
    auto e = r.any("v");
    EXPECT_TRUE(e);
    return *e;
  };
  const Bytes t = bytes({0x01, 0x01, 0xff}), f = bytes({0x01, 0x01, 0x00}), bad = bytes({0x01, 0x01, 0x01});
  EXPECT_TRUE(der::boolean(el(t), "b").value());
  EXPECT_FALSE(der::boolean(el(f), "b").value());
  EXPECT_FALSE(der::boolean(el(bad), "b"));

  const Bytes ku = bytes({0x03, 0x02, 0x05, 0xa0});  // digitalSignature, keyEncipherment
  auto bs = der::bit_string(el(ku), "ku");
  ASSERT_TRUE(bs);
  EXPECT_EQ(bs->unused_bits, 5);
  const Bytes dirty = bytes({0x03, 0x02, 0x05, 0xa1});  // a padding bit set
  EXPECT_FALSE(der::bit_string(el(dirty), "ku"));
  const Bytes too_many = bytes({0x03, 0x02, 0x08, 0x00});
  EXPECT_FALSE(der::bit_string(el(too_many), "ku"));
  EXPECT_FALSE(der::octet_aligned_bits(el(ku), "key"));

  const Bytes oid = bytes({0x06, 0x03, 0x55, 0x1d, 0x13});
  auto o = der::oid(el(oid), "oid");
  ASSERT_TRUE(o);
  EXPECT_EQ(der::oid_to_string(*o), "2.5.29.19");
  const Bytes rsa = bytes({0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b});
  EXPECT_EQ(der::oid_to_string(der::oid(el(rsa), "oid").value()), "1.2.840.113549.1.1.11");
  const Bytes padded = bytes({0x06, 0x02, 0x80, 0x01});
  EXPECT_FALSE(der::oid(el(padded), "oid"));
  const Bytes cut = bytes({0x06, 0x02, 0x55, 0x81});
  EXPECT_FALSE(der::oid(el(cut), "oid"));
}

TEST(PkiDer, Times) {
  auto parse = [](uint8_t tag, std::string text) {
    Bytes enc{tag, static_cast<uint8_t>(text.size())};
    enc.insert(enc.end(), text.begin(), text.end());
    der::Reader r(enc);
    auto e = r.any("t");
    EXPECT_TRUE(e);
    return der::time(*e, "t");
  };
  EXPECT_EQ(parse(der::kUtcTime, "700101000000Z").value(), 0);
  EXPECT_EQ(parse(der::kUtcTime, "240101000000Z").value(), 1704067200);
  // RFC 5280 §4.1.2.5.1: YY >= 50 means 19YY.
  EXPECT_EQ(parse(der::kUtcTime, "500101000000Z").value(), -631152000);
  EXPECT_EQ(parse(der::kGeneralizedTime, "20240229235959Z").value(), 1709251199);
  EXPECT_EQ(parse(der::kGeneralizedTime, "99991231235959Z").value(), 253402300799);
  EXPECT_FALSE(parse(der::kUtcTime, "230229000000Z"));        // not a leap year
  EXPECT_FALSE(parse(der::kUtcTime, "2401010000Z"));          // no seconds
  EXPECT_FALSE(parse(der::kUtcTime, "240101000000+0100"));    // not Zulu
  EXPECT_FALSE(parse(der::kGeneralizedTime, "20240101000000.5Z"));  // fraction
  EXPECT_FALSE(parse(der::kUtcTime, "241301000000Z"));        // month 13
  EXPECT_FALSE(parse(der::kUtcTime, "240101240000Z"));        // hour 24
  EXPECT_FALSE(parse(der::kUtcTime, "24010100000aZ"));
  EXPECT_FALSE(parse(der::kOctetString, "240101000000Z"));

  EXPECT_EQ(der::format_time(1704067200), "2024-01-01 00:00:00 UTC");
  EXPECT_EQ(der::format_time(951825599), "2000-02-29 11:59:59 UTC");
  EXPECT_EQ(der::format_time(-1), "1969-12-31 23:59:59 UTC");
  for (int64_t t : {int64_t{0}, int64_t{68169600}, int64_t{1709251199}, int64_t{4102444800}})
    EXPECT_EQ(der::civil_to_epoch(1970, 1, 1, 0, 0, 0) + t, t);
}

// ---- certificates ----

TEST(PkiParse, StaticCertificates) {
  {
    const Bytes der = load_one("ed25519_self.pem");
    auto c = parse_certificate(der);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->version, 3);
    EXPECT_EQ(c->signature_algorithm, SignatureAlgorithm::ed25519);
    EXPECT_EQ(c->key_algorithm, KeyAlgorithm::ed25519);
    EXPECT_EQ(c->subject_string(), "CN=ed25519.example, OU=Unit\\, Tests, O=tlspp test, C=DE");
    EXPECT_TRUE(c->self_issued());
    EXPECT_EQ(c->dns_names(), (std::vector<std::string>{"ed25519.example", "*.ed25519.example"}));
    EXPECT_EQ(c->ip_addresses(), (std::vector<std::string>{"192.0.2.7", "2001:db8::7"}));
    ASSERT_TRUE(c->ext_key_usage);
    EXPECT_EQ(*c->ext_key_usage, ext_key_usage::server_auth | ext_key_usage::client_auth);
    ASSERT_TRUE(c->key_usage);
    EXPECT_EQ(*c->key_usage, key_usage::digital_signature);
    EXPECT_TRUE(c->unhandled_critical_extension.empty());
    // The email and URI names are kept but are not DNS names.
    size_t others = 0;
    for (const GeneralName& n : c->subject_alt_names)
      others += n.type == GeneralName::Type::rfc822_name || n.type == GeneralName::Type::uri;
    EXPECT_EQ(others, 2u);
  }
  {
    const Bytes der = load_one("rsa_v1.pem");
    auto c = parse_certificate(der);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->version, 1);
    EXPECT_EQ(c->signature_algorithm, SignatureAlgorithm::rsa_pkcs1_sha256);
    EXPECT_EQ(c->key_algorithm, KeyAlgorithm::rsa);
    EXPECT_FALSE(c->has_basic_constraints);
    EXPECT_EQ(c->subject_string(), "O=tlspp test, CN=v1 certificate");
  }
  {
    const Bytes der = load_one("p384_2060.pem");
    auto c = parse_certificate(der);
    ASSERT_TRUE(c) << c.error().message;
    // `openssl req` signs with SHA-256 whatever the curve.
    EXPECT_EQ(c->signature_algorithm, SignatureAlgorithm::ecdsa_sha256);
    EXPECT_EQ(c->key_algorithm, KeyAlgorithm::ec_p384);
    // notAfter is a GeneralizedTime beyond 2049.
    EXPECT_GT(c->not_after, der::civil_to_epoch(2060, 1, 1, 0, 0, 0));
    EXPECT_EQ(der::oid_to_string(c->unhandled_critical_extension), "1.2.3.4.5");
  }
}

TEST(PkiParse, SystemBundleParsesAndAgreesWithOpenssl) {
  const std::vector<Bytes> certs = bundle();
  ASSERT_FALSE(certs.empty()) << "no system CA bundle at " << kSystemBundle << " (scripts/deps.sh installs ca-certificates)";
  size_t parsed = 0, agreed = 0;
  for (size_t i = 0; i < certs.size(); ++i) {
    auto ours = parse_certificate(certs[i], i + 1);
    auto theirs = openssl_parse_certificate(certs[i]);
    if (!ours) {
      ADD_FAILURE() << "bundle entry " << i + 1 << ": " << ours.error().message;
      continue;
    }
    ++parsed;
    ASSERT_TRUE(theirs) << i;
    const std::string where = "bundle entry " + std::to_string(i + 1) + " (" + theirs->subject + ")";
    EXPECT_EQ(ours->subject_string(), theirs->subject) << where;
    EXPECT_EQ(ours->issuer_string(), theirs->issuer) << where;
    EXPECT_EQ(ours->not_before, theirs->not_before) << where;
    EXPECT_EQ(ours->not_after, theirs->not_after) << where;
    EXPECT_EQ(ours->version, theirs->version) << where;
    EXPECT_EQ(std::string(key_algorithm_name(ours->key_algorithm)), theirs->key_algorithm) << where;
    EXPECT_EQ(ours->is_ca, theirs->is_ca) << where;
    EXPECT_EQ(ours->path_len, theirs->path_len) << where;
    EXPECT_EQ(ours->key_usage, theirs->key_usage) << where;
    EXPECT_EQ(ours->ext_key_usage.has_value(), theirs->ext_key_usage.has_value()) << where;
    if (ours->signature_algorithm != SignatureAlgorithm::unsupported &&
        ours->signature_algorithm != SignatureAlgorithm::rsa_pss_sha256 &&
        ours->signature_algorithm != SignatureAlgorithm::rsa_pss_sha384 &&
        ours->signature_algorithm != SignatureAlgorithm::rsa_pss_sha512 &&
        ours->signature_algorithm != SignatureAlgorithm::ed25519) {
      EXPECT_EQ(std::string(signature_algorithm_name(ours->signature_algorithm)), theirs->signature_algorithm) << where;
    }
    if (!::testing::Test::HasFailure()) ++agreed;
  }
  std::cout << "[ bundle   ] " << parsed << " of " << certs.size() << " certificates in " << kSystemBundle
            << " parse; " << agreed << " agree with OpenSSL on every field\n";
  // Nearly all must parse (a bundle may carry an oddity we reject on purpose).
  EXPECT_GE(parsed * 100, certs.size() * 98);
}

TEST(PkiParse, GeneratedCertificatesAgreeWithOpenssl) {
  for (crypto::KeyType kt : {crypto::KeyType::ec_p256, crypto::KeyType::ec_p384, crypto::KeyType::rsa,
                             crypto::KeyType::ed25519}) {
    TestPkiOptions o;
    o.key_type = kt;
    o.names = {"server.example", "*.wild.example", "127.0.0.1", "::1"};
    auto pki = make_test_pki(o);
    ASSERT_TRUE(pki) << pki.error().message;
    for (const Bytes* der : {&pki->root, &pki->intermediate, &pki->leaf}) {
      auto ours = parse_certificate(*der);
      ASSERT_TRUE(ours) << ours.error().message;
      auto theirs = openssl_parse_certificate(*der);
      ASSERT_TRUE(theirs);
      EXPECT_EQ(ours->subject_string(), theirs->subject);
      EXPECT_EQ(ours->issuer_string(), theirs->issuer);
      EXPECT_EQ(ours->not_before, theirs->not_before);
      EXPECT_EQ(ours->not_after, theirs->not_after);
      EXPECT_EQ(std::string(key_algorithm_name(ours->key_algorithm)), theirs->key_algorithm);
      EXPECT_EQ(ours->dns_names(), theirs->dns_names);
      EXPECT_EQ(ours->ip_addresses(), theirs->ip_addresses);
      EXPECT_EQ(ours->is_ca, theirs->is_ca);
      EXPECT_EQ(ours->path_len, theirs->path_len);
      EXPECT_EQ(ours->key_usage, theirs->key_usage);
      EXPECT_EQ(ours->ext_key_usage, theirs->ext_key_usage);
      // Serial: our view is the INTEGER's two's-complement contents.
      std::string hex;
      static constexpr char kHex[] = "0123456789ABCDEF";
      for (uint8_t b : ours->serial) {
        hex += kHex[b >> 4];
        hex += kHex[b & 15];
      }
      std::string want = theirs->serial_hex;  // BN_bn2hex pads to whole bytes
      while (hex.size() > 1 && hex[0] == '0') hex.erase(0, 1);
      while (want.size() > 1 && want[0] == '0') want.erase(0, 1);
      EXPECT_EQ(hex, want);
    }
    auto leaf = parse_certificate(pki->leaf);
    ASSERT_TRUE(leaf);
    EXPECT_EQ(leaf->subject_string(), "CN=server.example, O=tlspp test");
    EXPECT_FALSE(leaf->authority_key_id.empty());
    EXPECT_FALSE(leaf->subject_key_id.empty());
    auto inter = parse_certificate(pki->intermediate);
    ASSERT_TRUE(inter);
    EXPECT_TRUE(std::ranges::equal(leaf->authority_key_id, inter->subject_key_id));
  }
}

TEST(PkiParse, PublicKeysMatchTheGenericDecoder) {
  // certificate_public_key builds keys from the parsed SubjectPublicKeyInfo; it must give
  // the same key as OpenSSL's generic SPKI decoder for every certificate.
  std::vector<Bytes> certs = bundle();
  std::vector<crypto::PrivateKey> keys;
  for (crypto::KeyType kt : {crypto::KeyType::ec_p256, crypto::KeyType::ec_p384, crypto::KeyType::rsa,
                             crypto::KeyType::ed25519}) {
    auto k = crypto::PrivateKey::generate(kt, 2048);
    ASSERT_TRUE(k) << k.error().message;
    auto der = CertificateBuilder().common_name("k").self_signed(*k);
    ASSERT_TRUE(der);
    certs.push_back(*der);
  }
  for (const Bytes& der : certs) {
    auto c = parse_certificate(der);
    ASSERT_TRUE(c);
    auto fast = certificate_public_key(*c);
    auto generic = crypto::PublicKey::from_spki(c->spki);
    ASSERT_TRUE(fast) << c->subject_string() << ": " << fast.error().message;
    ASSERT_TRUE(generic);
    EXPECT_EQ(fast->spki(), generic->spki()) << c->subject_string();
    EXPECT_EQ(fast->type(), generic->type()) << c->subject_string();
    EXPECT_EQ(fast->describe(), generic->describe()) << c->subject_string();
  }
}

TEST(PkiParse, PointsOffTheCurveAreRefused) {
  auto k = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  ASSERT_TRUE(k);
  auto der = CertificateBuilder().common_name("bad point").organization("tlspp test").self_signed(*k);
  ASSERT_TRUE(der);
  auto parsed = parse_certificate(*der);
  ASSERT_TRUE(parsed);
  // Change the last byte of the point's y coordinate.
  const size_t offset = static_cast<size_t>(parsed->public_key_bits.data() - parsed->der.data()) +
                        parsed->public_key_bits.size() - 1;
  Bytes bad = *der;
  bad[offset] ^= 0x01;
  auto c = parse_certificate(bad);
  ASSERT_TRUE(c);  // still well-formed DER
  auto key = certificate_public_key(*c);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().alert, AlertDescription::unsupported_certificate);
  EXPECT_EQ(key.error().message,
            "certificate 'CN=bad point, O=tlspp test' has a public key tlspp cannot use: not a valid P-256 point");
}

TEST(PkiParse, RsaPssSignatureAlgorithm) {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::rsa, 2048);
  ASSERT_TRUE(key);
  auto der = CertificateBuilder().common_name("pss").ca(true).rsa_pss(true).self_signed(*key);
  ASSERT_TRUE(der) << der.error().message;
  auto c = parse_certificate(*der);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->signature_algorithm, SignatureAlgorithm::rsa_pss_sha256);
  EXPECT_EQ(openssl_parse_certificate(*der)->signature_algorithm, "rsassaPss");
}

TEST(PkiParse, TruncationAtEveryByteFails) {
  std::vector<Bytes> samples = {load_one("ed25519_self.pem"), load_one("ISRG_Root_X2.pem")};
  auto pki = make_test_pki({});
  ASSERT_TRUE(pki);
  samples.push_back(pki->leaf);
  for (const Bytes& der : samples) {
    ASSERT_TRUE(parse_certificate(der));
    for (size_t n = 0; n < der.size(); ++n) {
      auto c = parse_certificate(ByteView(der).first(n));
      ASSERT_FALSE(c) << "prefix of " << n << " bytes parsed";
      EXPECT_EQ(c.error().alert, AlertDescription::bad_certificate);
      EXPECT_EQ(c.error().kind, ErrorKind::bad_certificate);
      EXPECT_EQ(c.error().message.rfind("certificate 1 is malformed: ", 0), 0u) << c.error().message;
    }
  }
}

TEST(PkiParse, EveryFlippedByteIsHandled) {
  // No crash and no out-of-bounds read (the sanitizer build checks that) for any single
  // corrupted byte; a corruption inside the signed part must never go unnoticed by the
  // parser or keep the certificate byte-identical.
  const Bytes der = load_one("ed25519_self.pem");
  size_t rejected = 0;
  for (size_t i = 0; i < der.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes m = der;
      m[i] ^= mask;
      auto c = parse_certificate(m);
      if (!c) {
        ++rejected;
        EXPECT_NE(c.error().message.find("is malformed"), std::string::npos);
      }
    }
  }
  EXPECT_GT(rejected, der.size());
}

TEST(PkiParse, TrailingBytesAndBadOuterLengths) {
  const Bytes der = load_one("ISRG_Root_X2.pem");
  ASSERT_GE(der.size(), 200u);
  ASSERT_EQ(der[0], 0x30);
  ASSERT_EQ(der[1], 0x82);  // two-byte long form

  Bytes trailing = der;
  trailing.push_back(0x00);
  auto t = parse_certificate(trailing, 2);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "certificate 2 is malformed: Certificate is followed by 1 unexpected bytes");

  // The same length with a redundant leading zero byte.
  Bytes padded = {0x30, 0x83, 0x00, der[2], der[3]};
  padded.insert(padded.end(), der.begin() + 4, der.end());
  auto p = parse_certificate(padded);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("leading zero"), std::string::npos) << p.error().message;

  // Indefinite length with an end-of-contents marker.
  Bytes indefinite = {0x30, 0x80};
  indefinite.insert(indefinite.end(), der.begin() + 4, der.end());
  indefinite.insert(indefinite.end(), {0x00, 0x00});
  auto i = parse_certificate(indefinite);
  ASSERT_FALSE(i);
  EXPECT_NE(i.error().message.find("indefinite"), std::string::npos) << i.error().message;

  // A length one byte longer than the data.
  Bytes longer = der;
  longer[3] = static_cast<uint8_t>(longer[3] + 1);
  auto l = parse_certificate(longer);
  ASSERT_FALSE(l);
  EXPECT_NE(l.error().message.find("truncated"), std::string::npos) << l.error().message;
}

TEST(PkiParse, SignatureAlgorithmsMustAgree) {
  // RFC 5280 §4.1.1.2: tbsCertificate.signature must equal signatureAlgorithm. Change the
  // last byte of the outer OID only (ecdsa-with-SHA384 -> ecdsa-with-SHA256).
  Bytes der = load_one("ISRG_Root_X2.pem");
  const Bytes oid384 = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
  auto it = std::search(der.rbegin(), der.rend(), oid384.rbegin(), oid384.rend());
  ASSERT_NE(it, der.rend());
  *it = 0x02;  // rbegin-side first element is the OID's last byte
  auto c = parse_certificate(der);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("differs from signatureAlgorithm"), std::string::npos) << c.error().message;
}

TEST(PkiParse, DuplicateExtensionIsRejected) {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  ASSERT_TRUE(key);
  const Bytes value = {0x04, 0x02, 0x01, 0x02};  // subjectKeyIdentifier OCTET STRING
  auto der = CertificateBuilder().common_name("dup").extension("2.5.29.14", false, value).self_signed(*key);
  ASSERT_TRUE(der) << der.error().message;
  auto c = parse_certificate(*der);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("2.5.29.14 twice"), std::string::npos) << c.error().message;
}

TEST(PkiParse, ExtensionsAreDecoded) {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  ASSERT_TRUE(key);
  auto der = CertificateBuilder()
                 .common_name("ca")
                 .ca(true, 3)
                 .key_usage(key_usage::key_cert_sign | key_usage::crl_sign | key_usage::decipher_only)
                 .ext_key_usage(ext_key_usage::any)
                 .permitted_dns("example.com")
                 .excluded_dns("bad.example.com")
                 .extension("1.2.3.4", false, {0x05, 0x00})
                 .self_signed(*key);
  ASSERT_TRUE(der) << der.error().message;
  auto c = parse_certificate(*der);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->is_ca);
  EXPECT_EQ(c->path_len, 3u);
  EXPECT_EQ(c->key_usage, key_usage::key_cert_sign | key_usage::crl_sign | key_usage::decipher_only);
  EXPECT_EQ(c->ext_key_usage, ext_key_usage::any);
  EXPECT_TRUE(c->has_name_constraints);
  std::vector<std::string> permitted, excluded;
  for (const GeneralName& n : c->permitted_subtrees) permitted.emplace_back(n.text());
  for (const GeneralName& n : c->excluded_subtrees) excluded.emplace_back(n.text());
  EXPECT_EQ(permitted, std::vector<std::string>{"example.com"});
  EXPECT_EQ(excluded, std::vector<std::string>{"bad.example.com"});
  // A non-critical unknown extension is ignored.
  EXPECT_TRUE(c->unhandled_critical_extension.empty());
  EXPECT_FALSE(c->has_subject_alt_name);
}

TEST(PkiParse, OwnedCertificateKeepsItsBytes) {
  auto pki = make_test_pki({});
  ASSERT_TRUE(pki);
  std::optional<OwnedCertificate> copy;
  {
    auto owned = OwnedCertificate::parse(pki->leaf);
    ASSERT_TRUE(owned);
    copy = *owned;
  }
  EXPECT_EQ(copy->cert().subject_string(), "CN=localhost, O=tlspp test");
  EXPECT_TRUE(std::ranges::equal(copy->der(), pki->leaf));
  auto bad = OwnedCertificate::parse(Bytes{0x30, 0x00}, 3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("certificate 3 is malformed", 0), 0u) << bad.error().message;
}

TEST(PkiParse, NamesPrintLikeRfc4514) {
  // SEQUENCE { SET { C=PrintableString "US" },
  //            SET { O=UTF8String "a,b", OU=BMPString "\u00e9" },   (multi-valued RDN)
  //            SET { CN=UTF8String " #x " } }
  const Bytes name = {0x30, 0x35,
                      0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'U', 'S',
                      0x31, 0x17, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03, 'a', ',', 'b',
                      0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x1e, 0x02, 0x00, 0xe9,
                      0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, ' ', '#', 'x', ' '};
  // RFC 4514 §2.1 order (last RDN first), §2.4 escaping; the BMPString comes out as UTF-8.
  EXPECT_EQ(name_to_string(name), "CN=\\ #x\\ , O=a\\,b + OU=\xc3\xa9, C=US");
  EXPECT_EQ(name_to_string(ByteView(name).first(name.size() - 1)), "(malformed name)");
}

}  // namespace
}  // namespace tlspp::pki
