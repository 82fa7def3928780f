// Chain verification: path building, validity, CA constraints, purposes, identity, and
// the alert and sentence each failure produces.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "crypto/sig.h"
#include "pki/builder.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/public_key.h"
#include "pki/trust_store.h"
#include "pki/verify.h"

namespace tlspp::pki {
namespace {

constexpr time_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC
constexpr time_t kDay = 86400;

struct Issued {
  Bytes der;
  crypto::PrivateKey key;
};

crypto::PrivateKey new_key(crypto::KeyType kt = crypto::KeyType::ec_p256) {
  auto k = crypto::PrivateKey::generate(kt, 2048);
  EXPECT_TRUE(k) << k.error().message;
  return k ? *k : crypto::PrivateKey{};
}

CertificateBuilder ca_spec(const std::string& cn) {
  CertificateBuilder b;
  b.common_name(cn).organization("tlspp test").validity(kNow - 30 * kDay, kNow + 365 * kDay).ca(true);
  return b;
}

CertificateBuilder leaf_spec(const std::vector<std::string>& dns = {"localhost"}) {
  CertificateBuilder b;
  b.common_name(dns.empty() ? "leaf" : dns[0]).organization("tlspp test")
      .validity(kNow - kDay, kNow + 90 * kDay).ca(false);
  for (const auto& d : dns) b.dns_name(d);
  return b;
}

Issued self_signed(const CertificateBuilder& b, crypto::KeyType kt = crypto::KeyType::ec_p256) {
  Issued out{{}, new_key(kt)};
  auto der = b.self_signed(out.key);
  EXPECT_TRUE(der) << der.error().message;
  if (der) out.der = *der;
  return out;
}

Issued issue(const CertificateBuilder& b, const Issued& issuer, crypto::KeyType kt = crypto::KeyType::ec_p256) {
  Issued out{{}, new_key(kt)};
  auto der = b.issued_by(out.key.public_key(), issuer.der, issuer.key);
  EXPECT_TRUE(der) << der.error().message;
  if (der) out.der = *der;
  return out;
}

TrustStore store_of(std::initializer_list<const Bytes*> anchors) {
  TrustStore s;
  for (const Bytes* a : anchors) EXPECT_TRUE(s.add_der(*a));
  return s;
}

Result<VerifiedChain> verify(const TrustStore& store, std::initializer_list<const Bytes*> chain,
                             std::string_view host = "localhost", time_t now = kNow,
                             Purpose purpose = Purpose::server) {
  std::vector<ByteView> views;
  for (const Bytes* c : chain) views.emplace_back(*c);
  return verify_server_chain(store, views, host, now, purpose);
}

// Asserts failure with `alert` and a message equal to `message` (or containing it when
// `exact` is false).
#define EXPECT_REJECTED(result, want_alert, text)                                         \
  do {                                                                                    \
    const auto& r_ = (result);                                                            \
    ASSERT_FALSE(r_) << "verification unexpectedly succeeded";                             \
    EXPECT_EQ(r_.error().kind, ErrorKind::bad_certificate) << r_.error().message;        \
    EXPECT_EQ(alert_name(r_.error().alert), alert_name(want_alert)) << r_.error().message; \
    EXPECT_EQ(r_.error().message, text);                                                  \
  } while (0)

#define EXPECT_REJECTED_WITH(result, want_alert, fragment)                                   \
  do {                                                                                       \
    const auto& r_ = (result);                                                               \
    ASSERT_FALSE(r_) << "verification unexpectedly succeeded";                                \
    EXPECT_EQ(alert_name(r_.error().alert), alert_name(want_alert)) << r_.error().message;    \
    EXPECT_NE(r_.error().message.find(fragment), std::string::npos) << r_.error().message;   \
  } while (0)

class PkiVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    root = self_signed(ca_spec("Test Root"));
    inter = issue(ca_spec("Test Intermediate"), root);
    leaf = issue(leaf_spec(), inter);
    store = store_of({&root.der});
  }
  Issued root, inter, leaf;
  TrustStore store;
};

// ---- success paths ----

TEST(PkiVerifyKeys, EveryKeyTypeThroughAnIntermediate) {
  struct Case {
    crypto::KeyType type;
    const char* description;
  };
  for (const Case& c : {Case{crypto::KeyType::ec_p256, "ECDSA P-256"}, Case{crypto::KeyType::ec_p384, "ECDSA P-384"},
                        Case{crypto::KeyType::rsa, "RSA 2048"}, Case{crypto::KeyType::ed25519, "Ed25519"}}) {
    TestPkiOptions o;
    o.key_type = c.type;
    o.now = kNow;
    auto pki = make_test_pki(o);
    ASSERT_TRUE(pki) << pki.error().message;
    const TrustStore store = pki->trust_store();
    ASSERT_EQ(store.size(), 1u);
    auto v = verify(store, {&pki->leaf, &pki->intermediate});
    ASSERT_TRUE(v) << c.description << ": " << v.error().message;
    EXPECT_EQ(v->subject, "CN=localhost, O=tlspp test");
    EXPECT_EQ(v->key_description, c.description);
    EXPECT_EQ(v->anchor_subject, "CN=tlspp test root CA, O=tlspp test");
    EXPECT_EQ(v->path_length, 3u);
    EXPECT_TRUE(v->leaf_key.valid());
    EXPECT_EQ(v->leaf_key.spki(), pki->leaf_key.public_key().spki());
    EXPECT_EQ(Bytes(v->leaf_spki.begin(), v->leaf_spki.end()), pki->leaf_key.public_key().spki());
  }
}

// A SubjectPublicKeyInfo on its own (a raw public key): strict DER, its key built from the
// parts as a certificate's is, the same key as OpenSSL's own decoder gives.
TEST(PkiPublicKeyInfo, ParsesEachKeyTypeAndNothingElse) {
  struct Case {
    crypto::KeyType type;
    KeyAlgorithm algorithm;
  };
  for (const Case& c : {Case{crypto::KeyType::ec_p256, KeyAlgorithm::ec_p256},
                        Case{crypto::KeyType::ec_p384, KeyAlgorithm::ec_p384}, Case{crypto::KeyType::rsa, KeyAlgorithm::rsa},
                        Case{crypto::KeyType::ed25519, KeyAlgorithm::ed25519}}) {
    const Bytes spki = new_key(c.type).public_key().spki();
    auto info = parse_public_key_info(spki);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->key_algorithm, c.algorithm);
    EXPECT_EQ(info->spki.data(), spki.data());
    EXPECT_EQ(info->spki.size(), spki.size());
    auto key = public_key_of(*info);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->spki(), spki);
    auto reference = crypto::PublicKey::from_spki(spki);
    ASSERT_TRUE(reference);
    EXPECT_EQ(key->describe(), reference->describe());

    Bytes trailing = spki;
    trailing.push_back(0);
    EXPECT_FALSE(parse_public_key_info(trailing));
    Bytes truncated(spki.begin(), spki.end() - 1);
    EXPECT_FALSE(parse_public_key_info(truncated));
    // The same length in BER's long form (0x81 0xNN for a short one) is not DER.
    if (spki[1] < 0x80) {
      Bytes ber = {spki[0], 0x81};
      ber.insert(ber.end(), spki.begin() + 1, spki.end());
      EXPECT_FALSE(parse_public_key_info(ber));
    }
  }
  EXPECT_FALSE(parse_public_key_info({}));
}

TEST(PkiVerifyKeys, DirectlyUnderTheRootAndRsaPss) {
  TestPkiOptions o;
  o.intermediate = false;
  o.now = kNow;
  auto pki = make_test_pki(o);
  ASSERT_TRUE(pki);
  auto v = verify(pki->trust_store(), {&pki->leaf});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->path_length, 2u);

  const Issued root = self_signed(ca_spec("PSS Root"), crypto::KeyType::rsa);
  CertificateBuilder leaf_b = leaf_spec();
  leaf_b.rsa_pss(true);
  const Issued leaf = issue(leaf_b, root, crypto::KeyType::rsa);
  ASSERT_EQ(parse_certificate(leaf.der)->signature_algorithm, SignatureAlgorithm::rsa_pss_sha256);
  auto pss = verify(store_of({&root.der}), {&leaf.der});
  EXPECT_TRUE(pss) << pss.error().message;
}

TEST(PkiVerifyKeys, EcdsaHashNeedNotMatchTheCurve) {
  // X.509 lets a P-384 CA sign with ecdsa-with-SHA256 (public roots do); TLS 1.3's
  // SignatureScheme cannot express it, so the verifier handles it itself.
  const Issued root = self_signed(ca_spec("P-384 Root"), crypto::KeyType::ec_p384);
  CertificateBuilder b = leaf_spec();
  b.signature_hash(256);
  const Issued leaf = issue(b, root);
  ASSERT_EQ(parse_certificate(leaf.der)->signature_algorithm, SignatureAlgorithm::ecdsa_sha256);
  auto v = verify(store_of({&root.der}), {&leaf.der});
  EXPECT_TRUE(v) << v.error().message;

  Bytes bad = leaf.der;
  bad.back() ^= 0x01;
  EXPECT_REJECTED(verify(store_of({&root.der}), {&bad}), AlertDescription::bad_certificate,
                  "certificate 'CN=localhost, O=tlspp test' has a signature that does not verify with the key of "
                  "'CN=P-384 Root, O=tlspp test'");
}

TEST_F(PkiVerify, ValidChain) {
  auto v = verify(store, {&leaf.der, &inter.der});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->anchor_subject, "CN=Test Root, O=tlspp test");
  EXPECT_EQ(v->path_length, 3u);
}

TEST_F(PkiVerify, OrderAndExtrasAreTolerated) {
  const Issued stranger = self_signed(ca_spec("Stranger"));
  const Issued other_leaf = issue(leaf_spec({"other.example"}), inter);
  // Root included, intermediate last, unrelated certificates in between, duplicates.
  auto v = verify(store, {&leaf.der, &root.der, &stranger.der, &other_leaf.der, &inter.der, &inter.der});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->path_length, 3u);
}

TEST_F(PkiVerify, TwoLevelsOfIntermediatesInAnyOrder) {
  const Issued inter2 = issue(ca_spec("Test Intermediate 2"), inter);
  const Issued leaf2 = issue(leaf_spec(), inter2);
  auto v = verify(store, {&leaf2.der, &inter.der, &inter2.der});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->path_length, 4u);
}

TEST_F(PkiVerify, ImpostorIntermediateWithTheSameNameIsSkipped) {
  // Same subject, different key: its signature check fails and the search moves on.
  const Issued impostor = issue(ca_spec("Test Intermediate"), root);
  auto v = verify(store, {&leaf.der, &impostor.der, &inter.der});
  ASSERT_TRUE(v) << v.error().message;
  // With only the impostor, the leaf's signature is what fails.
  EXPECT_REJECTED(verify(store, {&leaf.der, &impostor.der}), AlertDescription::bad_certificate,
                  "certificate 'CN=localhost, O=tlspp test' has a signature that does not verify with the key of "
                  "'CN=Test Intermediate, O=tlspp test'");
}

TEST_F(PkiVerify, EmptyHostNameSkipsTheIdentityCheck) {
  EXPECT_TRUE(verify(store, {&leaf.der, &inter.der}, ""));
  EXPECT_FALSE(verify(store, {&leaf.der, &inter.der}, "wrong.example"));
}

// ---- trust ----

TEST_F(PkiVerify, MissingIntermediate) {
  EXPECT_REJECTED(verify(store, {&leaf.der}), AlertDescription::unknown_ca,
                  "certificate 'CN=localhost, O=tlspp test' is not signed by a trusted authority (its issuer "
                  "'CN=Test Intermediate, O=tlspp test' is neither trusted nor among the presented certificates)");
}

TEST_F(PkiVerify, UntrustedRoot) {
  const Issued other_root = self_signed(ca_spec("Other Root"));
  const TrustStore other = store_of({&other_root.der});
  EXPECT_REJECTED(verify(other, {&leaf.der, &inter.der}), AlertDescription::unknown_ca,
                  "certificate 'CN=Test Intermediate, O=tlspp test' is not signed by a trusted authority (its issuer "
                  "'CN=Test Root, O=tlspp test' is neither trusted nor among the presented certificates)");
  // Sending the root along does not make it trusted.
  EXPECT_REJECTED(verify(other, {&leaf.der, &inter.der, &root.der}), AlertDescription::unknown_ca,
                  "self-signed certificate 'CN=Test Root, O=tlspp test' is not trusted");
  // An empty store trusts nothing.
  EXPECT_REJECTED_WITH(verify(TrustStore{}, {&leaf.der, &inter.der}), AlertDescription::unknown_ca,
                       "is not signed by a trusted authority");
}

TEST_F(PkiVerify, SelfSignedLeaf) {
  CertificateBuilder b = leaf_spec();
  const Issued self = self_signed(b);
  EXPECT_REJECTED(verify(store, {&self.der}), AlertDescription::unknown_ca,
                  "self-signed certificate 'CN=localhost, O=tlspp test' is not trusted");
  const TrustStore pinned = store_of({&self.der});
  auto v = verify(pinned, {&self.der});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->path_length, 1u);
  EXPECT_EQ(v->anchor_subject, "CN=localhost, O=tlspp test");
  EXPECT_EQ(v->key_description, "ECDSA P-256");
  // Still subject to the identity and validity checks.
  EXPECT_REJECTED_WITH(verify(pinned, {&self.der}, "other.example"), AlertDescription::bad_certificate,
                       "does not match the requested name 'other.example'");
  EXPECT_REJECTED_WITH(verify(pinned, {&self.der}, "localhost", kNow + 365 * kDay),
                       AlertDescription::certificate_expired, "expired on");
}

TEST_F(PkiVerify, PinnedLeafThatIsNotSelfSigned) {
  const TrustStore pinned = store_of({&leaf.der});
  auto v = verify(pinned, {&leaf.der});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->path_length, 1u);
}

TEST_F(PkiVerify, IntermediateAsTrustAnchor) {
  const TrustStore s = store_of({&inter.der});
  auto v = verify(s, {&leaf.der});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->anchor_subject, "CN=Test Intermediate, O=tlspp test");
  EXPECT_EQ(v->path_length, 2u);
}

// ---- validity ----

TEST_F(PkiVerify, ExpiredLeaf) {
  CertificateBuilder b = leaf_spec();
  b.validity(der::civil_to_epoch(2023, 1, 1, 0, 0, 0), der::civil_to_epoch(2024, 1, 1, 0, 0, 0));
  const Issued old = issue(b, inter);
  EXPECT_REJECTED(verify(store, {&old.der, &inter.der}), AlertDescription::certificate_expired,
                  "certificate 'CN=localhost, O=tlspp test' expired on 2024-01-01 00:00:00 UTC");
  // The bounds are inclusive (RFC 5280 §4.1.2.5).
  const time_t last = der::civil_to_epoch(2024, 1, 1, 0, 0, 0);
  const Issued root2 = self_signed(ca_spec("Old Root").validity(last - 1000 * kDay, last + kDay));
  const Issued old2 = issue(b, root2);
  EXPECT_TRUE(verify(store_of({&root2.der}), {&old2.der}, "localhost", last));
  EXPECT_FALSE(verify(store_of({&root2.der}), {&old2.der}, "localhost", last + 1));
}

TEST_F(PkiVerify, NotYetValidLeaf) {
  CertificateBuilder b = leaf_spec();
  b.validity(der::civil_to_epoch(2030, 6, 1, 12, 0, 0), der::civil_to_epoch(2031, 1, 1, 0, 0, 0));
  const Issued early = issue(b, inter);
  EXPECT_REJECTED(verify(store, {&early.der, &inter.der}), AlertDescription::certificate_expired,
                  "certificate 'CN=localhost, O=tlspp test' is not valid before 2030-06-01 12:00:00 UTC");
}

TEST_F(PkiVerify, ExpiredIntermediate) {
  const Issued old_inter = issue(ca_spec("Old Intermediate").validity(kNow - 400 * kDay, kNow - 10 * kDay), root);
  const Issued l = issue(leaf_spec(), old_inter);
  EXPECT_REJECTED(verify(store, {&l.der, &old_inter.der}), AlertDescription::certificate_expired,
                  "certificate 'CN=Old Intermediate, O=tlspp test' expired on " +
                      der::format_time(kNow - 10 * kDay));
}

TEST_F(PkiVerify, ExpiredRootIsNotAnAnchor) {
  const Issued old_root = self_signed(ca_spec("Old Root").validity(kNow - 400 * kDay, kNow - kDay));
  const Issued l = issue(leaf_spec(), old_root);
  EXPECT_REJECTED(verify(store_of({&old_root.der}), {&l.der}), AlertDescription::certificate_expired,
                  "certificate 'CN=Old Root, O=tlspp test' expired on " + der::format_time(kNow - kDay));
}

TEST_F(PkiVerify, ExpiredIntermediateWithAValidAlternative) {
  // Two intermediates share a name and key; one copy has expired (a renewed CA
  // certificate). The search must try the other.
  const crypto::PrivateKey shared = new_key();
  auto expired = ca_spec("Test Intermediate").validity(kNow - 400 * kDay, kNow - kDay)
                     .issued_by(shared.public_key(), root.der, root.key);
  auto renewed = ca_spec("Test Intermediate").issued_by(shared.public_key(), root.der, root.key);
  ASSERT_TRUE(expired && renewed);
  const Issued l = issue(leaf_spec(), Issued{*renewed, shared});
  auto v = verify(store, {&l.der, &*expired, &*renewed});
  EXPECT_TRUE(v) << v.error().message;
  EXPECT_REJECTED_WITH(verify(store, {&l.der, &*expired}), AlertDescription::certificate_expired,
                       "certificate 'CN=Test Intermediate, O=tlspp test' expired on");
}

// ---- identity ----

TEST_F(PkiVerify, WrongHost) {
  EXPECT_REJECTED(verify(store, {&leaf.der, &inter.der}, "wrong.example"), AlertDescription::bad_certificate,
                  "certificate for 'localhost' does not match the requested name 'wrong.example'");
}

TEST_F(PkiVerify, WildcardTable) {
  const Issued wild = issue(leaf_spec({"*.example.com", "exact.example.org"}), inter);
  struct Case {
    const char* host;
    bool ok;
  };
  for (const Case& c : {Case{"a.example.com", true}, Case{"WWW.EXAMPLE.COM", true}, Case{"a.example.com.", true},
                        Case{"example.com", false}, Case{"a.b.example.com", false}, Case{"exact.example.org", true},
                        Case{"a.exact.example.org", false}, Case{"a.example.org", false}}) {
    auto v = verify(store, {&wild.der, &inter.der}, c.host);
    EXPECT_EQ(v.has_value(), c.ok) << c.host;
    if (!v) {
      EXPECT_EQ(v.error().alert, AlertDescription::bad_certificate);
      EXPECT_EQ(v.error().message, "certificate for '*.example.com', 'exact.example.org' does not match the "
                                   "requested name '" + std::string(c.host) + "'");
    }
  }
  // Partial wildcards are refused even where RFC 6125 would allow them.
  const Issued partial = issue(leaf_spec({"f*.example.com"}), inter);
  EXPECT_REJECTED_WITH(verify(store, {&partial.der, &inter.der}, "foo.example.com"), AlertDescription::bad_certificate,
                       "certificate for 'f*.example.com' does not match");
}

TEST_F(PkiVerify, IpAddressSans) {
  CertificateBuilder b = leaf_spec({"localhost"});
  b.ip_address("127.0.0.1").ip_address("::1");
  const Issued l = issue(b, inter);
  EXPECT_TRUE(verify(store, {&l.der, &inter.der}, "127.0.0.1"));
  EXPECT_TRUE(verify(store, {&l.der, &inter.der}, "::1"));
  EXPECT_TRUE(verify(store, {&l.der, &inter.der}, "0:0:0:0:0:0:0:1"));
  EXPECT_REJECTED_WITH(verify(store, {&l.der, &inter.der}, "127.0.0.2"), AlertDescription::bad_certificate,
                       "certificate for 'localhost', '127.0.0.1', '::1' does not match the requested name '127.0.0.2'");
}

TEST_F(PkiVerify, CommonNameFallbackRules) {
  CertificateBuilder cn_only;
  cn_only.common_name("legacy.example").organization("tlspp test").validity(kNow - kDay, kNow + kDay).ca(false);
  const Issued l = issue(cn_only, inter);
  EXPECT_TRUE(verify(store, {&l.der, &inter.der}, "legacy.example"));
  EXPECT_REJECTED(verify(store, {&l.der, &inter.der}, "other.example"), AlertDescription::bad_certificate,
                  "certificate for 'legacy.example' does not match the requested name 'other.example'");
  // With a dNSName present, the CN is ignored.
  CertificateBuilder with_san = cn_only;
  with_san.dns_name("san.example");
  const Issued l2 = issue(with_san, inter);
  EXPECT_TRUE(verify(store, {&l2.der, &inter.der}, "san.example"));
  EXPECT_REJECTED(verify(store, {&l2.der, &inter.der}, "legacy.example"), AlertDescription::bad_certificate,
                  "certificate for 'san.example' does not match the requested name 'legacy.example'");
}

// ---- CA constraints ----

TEST_F(PkiVerify, IntermediateThatIsNotACa) {
  CertificateBuilder not_ca = ca_spec("Not A CA");
  not_ca.ca(false).key_usage(key_usage::digital_signature | key_usage::key_cert_sign).ext_key_usage(0);
  const Issued fake = issue(not_ca, root);
  const Issued l = issue(leaf_spec(), fake);
  EXPECT_REJECTED(verify(store, {&l.der, &fake.der}), AlertDescription::bad_certificate,
                  "certificate 'CN=Not A CA, O=tlspp test' issued 'CN=localhost, O=tlspp test' but is not a CA "
                  "(basicConstraints cA is not set)");
  // No basicConstraints at all is no better for an intermediate.
  CertificateBuilder none = ca_spec("No Constraints");
  none.no_basic_constraints();
  const Issued bare = issue(none, root);
  const Issued l2 = issue(leaf_spec(), bare);
  EXPECT_REJECTED_WITH(verify(store, {&l2.der, &bare.der}), AlertDescription::bad_certificate, "is not a CA");
}

TEST_F(PkiVerify, IssuerWithoutKeyCertSign) {
  CertificateBuilder b = ca_spec("No CertSign");
  b.key_usage(key_usage::crl_sign | key_usage::digital_signature);
  const Issued ca = issue(b, root);
  const Issued l = issue(leaf_spec(), ca);
  EXPECT_REJECTED(verify(store, {&l.der, &ca.der}), AlertDescription::bad_certificate,
                  "CA certificate 'CN=No CertSign, O=tlspp test' may not sign certificates (its keyUsage lacks "
                  "keyCertSign)");
}

TEST_F(PkiVerify, PathLengthConstraint) {
  CertificateBuilder b = ca_spec("Constrained");
  b.ca(true, 0);
  const Issued i1 = issue(b, root);
  const Issued i2 = issue(ca_spec("Below Constrained"), i1);
  const Issued l = issue(leaf_spec(), i2);
  EXPECT_REJECTED(verify(store, {&l.der, &i2.der, &i1.der}), AlertDescription::bad_certificate,
                  "CA certificate 'CN=Constrained, O=tlspp test' allows 0 intermediate CA certificate(s) below it "
                  "(pathLenConstraint) but the chain has 1");
  // pathLen 0 still allows issuing the leaf directly.
  const Issued direct = issue(leaf_spec(), i1);
  EXPECT_TRUE(verify(store, {&direct.der, &i1.der}));
  // The root's own pathLen counts too.
  CertificateBuilder rb = ca_spec("Strict Root");
  rb.ca(true, 0);
  const Issued strict_root = self_signed(rb);
  const Issued si = issue(ca_spec("Under Strict Root"), strict_root);
  const Issued sl = issue(leaf_spec(), si);
  EXPECT_REJECTED_WITH(verify(store_of({&strict_root.der}), {&sl.der, &si.der}), AlertDescription::bad_certificate,
                       "'CN=Strict Root, O=tlspp test' allows 0 intermediate");
}

TEST_F(PkiVerify, ChainTooLong) {
  std::vector<Issued> cas{root};
  for (int i = 0; i < 9; ++i) cas.push_back(issue(ca_spec("Level " + std::to_string(i)), cas.back()));
  const Issued l = issue(leaf_spec(), cas.back());
  // leaf + 9 intermediates + root = 11 certificates.
  std::vector<ByteView> chain{l.der};
  for (size_t i = cas.size() - 1; i >= 1; --i) chain.emplace_back(cas[i].der);
  auto v = verify_server_chain(store, chain, "localhost", kNow);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().alert, AlertDescription::bad_certificate);
  EXPECT_EQ(v.error().message, "the chain from 'CN=localhost, O=tlspp test' is longer than 10 certificates");
  // One level less fits.
  chain.pop_back();
  const TrustStore s = store_of({&cas[1].der});
  EXPECT_TRUE(verify_server_chain(s, chain, "localhost", kNow));
}

TEST_F(PkiVerify, NameConstraints) {
  CertificateBuilder b = ca_spec("Constrained Names");
  b.permitted_dns("example.com").excluded_dns("secret.example.com");
  const Issued nc = issue(b, root);
  const Issued ok = issue(leaf_spec({"www.example.com"}), nc);
  EXPECT_TRUE(verify(store, {&ok.der, &nc.der}, "www.example.com"));
  const Issued outside = issue(leaf_spec({"www.example.org"}), nc);
  EXPECT_REJECTED(verify(store, {&outside.der, &nc.der}, "www.example.org"), AlertDescription::bad_certificate,
                  "certificate 'CN=www.example.org, O=tlspp test' names DNS 'www.example.org', outside the permitted "
                  "subtrees of CA 'CN=Constrained Names, O=tlspp test'");
  const Issued excluded = issue(leaf_spec({"a.secret.example.com"}), nc);
  EXPECT_REJECTED_WITH(verify(store, {&excluded.der, &nc.der}, "a.secret.example.com"),
                       AlertDescription::bad_certificate, "inside the excluded subtrees");
  // A wildcard that could name an excluded host is refused too.
  const Issued wild = issue(leaf_spec({"*.example.com"}), nc);
  EXPECT_REJECTED_WITH(verify(store, {&wild.der, &nc.der}, "www.example.com"), AlertDescription::bad_certificate,
                       "DNS '*.example.com', inside the excluded subtrees");
}

// ---- purposes ----

TEST_F(PkiVerify, ClientAuthOnlyLeafForAServer) {
  CertificateBuilder b = leaf_spec();
  b.ext_key_usage(ext_key_usage::client_auth);
  const Issued client = issue(b, inter);
  EXPECT_REJECTED(verify(store, {&client.der, &inter.der}), AlertDescription::unsupported_certificate,
                  "certificate 'CN=localhost, O=tlspp test' is not valid for TLS server authentication (its "
                  "extKeyUsage lacks serverAuth)");
  EXPECT_TRUE(verify(store, {&client.der, &inter.der}, "", kNow, Purpose::client));
  // And the other way round.
  CertificateBuilder s = leaf_spec();
  s.ext_key_usage(ext_key_usage::server_auth);
  const Issued server = issue(s, inter);
  EXPECT_REJECTED_WITH(verify(store, {&server.der, &inter.der}, "", kNow, Purpose::client),
                       AlertDescription::unsupported_certificate, "not valid for TLS client authentication");
  // anyExtendedKeyUsage, or no extension at all, allows both.
  CertificateBuilder any = leaf_spec();
  any.ext_key_usage(ext_key_usage::any);
  const Issued any_leaf = issue(any, inter);
  EXPECT_TRUE(verify(store, {&any_leaf.der, &inter.der}));
  CertificateBuilder none = leaf_spec();
  none.ext_key_usage(0);
  const Issued plain = issue(none, inter);
  EXPECT_TRUE(verify(store, {&plain.der, &inter.der}));
}

TEST_F(PkiVerify, IntermediateRestrictedToClientAuth) {
  CertificateBuilder b = ca_spec("Client CA");
  b.ext_key_usage(ext_key_usage::client_auth);
  const Issued ca = issue(b, root);
  const Issued l = issue(leaf_spec(), ca);
  EXPECT_REJECTED(verify(store, {&l.der, &ca.der}), AlertDescription::unsupported_certificate,
                  "CA certificate 'CN=Client CA, O=tlspp test' is restricted by extKeyUsage and not valid for TLS "
                  "server authentication");
}

TEST_F(PkiVerify, LeafKeyUsageWithoutDigitalSignature) {
  CertificateBuilder b = leaf_spec();
  b.key_usage(key_usage::key_encipherment);
  const Issued l = issue(b, inter);
  EXPECT_REJECTED(verify(store, {&l.der, &inter.der}), AlertDescription::unsupported_certificate,
                  "certificate 'CN=localhost, O=tlspp test' may not be used for signing (its keyUsage lacks "
                  "digitalSignature)");
}

// ---- integrity ----

TEST_F(PkiVerify, BadSignature) {
  for (size_t which : {0u, 1u}) {
    Bytes leaf_der = leaf.der, inter_der = inter.der;
    Bytes& target = which == 0 ? leaf_der : inter_der;
    // The signature BIT STRING ends the certificate: flip a bit of its last byte.
    target.back() ^= 0x04;
    const std::string victim = which == 0 ? "CN=localhost, O=tlspp test" : "CN=Test Intermediate, O=tlspp test";
    const std::string signer = which == 0 ? "CN=Test Intermediate, O=tlspp test" : "CN=Test Root, O=tlspp test";
    EXPECT_REJECTED(verify(store, {&leaf_der, &inter_der}), AlertDescription::bad_certificate,
                    "certificate '" + victim + "' has a signature that does not verify with the key of '" + signer + "'");
  }
}

TEST_F(PkiVerify, TamperedTbsBreaksTheSignature) {
  // Change one byte of the leaf's subject public key: it still parses, but the signature
  // over the TBS no longer holds.
  Bytes tampered = leaf.der;
  auto parsed = parse_certificate(leaf.der);
  ASSERT_TRUE(parsed);
  const size_t offset = static_cast<size_t>(parsed->spki.data() - parsed->der.data()) + parsed->spki.size() - 1;
  tampered[offset] ^= 0x01;
  EXPECT_REJECTED_WITH(verify(store, {&tampered, &inter.der}), AlertDescription::bad_certificate,
                       "has a signature that does not verify");
}

TEST_F(PkiVerify, UnknownCriticalExtension) {
  CertificateBuilder b = leaf_spec();
  b.extension("1.3.6.1.4.1.99999.1", true, {0x05, 0x00});
  const Issued l = issue(b, inter);
  EXPECT_REJECTED(verify(store, {&l.der, &inter.der}), AlertDescription::bad_certificate,
                  "certificate 'CN=localhost, O=tlspp test' has a critical extension tlspp does not support "
                  "(1.3.6.1.4.1.99999.1)");
  // The same extension marked non-critical is ignored.
  CertificateBuilder nb = leaf_spec();
  nb.extension("1.3.6.1.4.1.99999.1", false, {0x05, 0x00});
  const Issued ln = issue(nb, inter);
  EXPECT_TRUE(verify(store, {&ln.der, &inter.der}));
  // On an intermediate.
  CertificateBuilder cb = ca_spec("Odd CA");
  cb.extension("1.3.6.1.4.1.99999.2", true, {0x05, 0x00});
  const Issued odd = issue(cb, root);
  const Issued lo = issue(leaf_spec(), odd);
  EXPECT_REJECTED_WITH(verify(store, {&lo.der, &odd.der}), AlertDescription::bad_certificate,
                       "certificate 'CN=Odd CA, O=tlspp test' has a critical extension tlspp does not support");
}

TEST_F(PkiVerify, Sha1SignaturesAreRefused) {
  CertificateBuilder b = ca_spec("SHA-1 Intermediate");
  b.signature_hash(1);
  const Issued old = issue(b, root);
  ASSERT_EQ(parse_certificate(old.der)->signature_algorithm, SignatureAlgorithm::ecdsa_sha1);
  const Issued l = issue(leaf_spec(), old);
  EXPECT_REJECTED(verify(store, {&l.der, &old.der}), AlertDescription::bad_certificate,
                  "certificate 'CN=SHA-1 Intermediate, O=tlspp test' is signed with SHA-1, which tlspp does not accept");
}

TEST_F(PkiVerify, MalformedOrMissingCertificates) {
  EXPECT_REJECTED(verify_server_chain(store, {}, "localhost", kNow), AlertDescription::bad_certificate,
                  "the peer presented no certificate");
  Bytes broken = inter.der;
  broken.resize(broken.size() - 10);
  auto r = verify(store, {&leaf.der, &broken});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().alert, AlertDescription::bad_certificate);
  EXPECT_EQ(r.error().message.rfind("certificate 2 is malformed: ", 0), 0u) << r.error().message;
  std::vector<ByteView> many(kMaxPresentedCertificates + 1, ByteView(leaf.der));
  EXPECT_REJECTED(verify_server_chain(store, many, "localhost", kNow), AlertDescription::bad_certificate,
                  "the peer presented 33 certificates; at most 32 are accepted");
}

TEST_F(PkiVerify, ManySameNamedImpostorsAreBounded) {
  // Thirty certificates all named like the issuer, none the real one: the search gives up
  // cleanly with the signature failure rather than exploring forever.
  std::vector<Issued> fakes;
  for (int i = 0; i < 30; ++i) fakes.push_back(issue(ca_spec("Test Intermediate"), root));
  std::vector<ByteView> chain{leaf.der};
  for (const Issued& f : fakes) chain.emplace_back(f.der);
  auto v = verify_server_chain(store, chain, "localhost", kNow);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().alert, AlertDescription::bad_certificate);
  EXPECT_NE(v.error().message.find("does not verify"), std::string::npos) << v.error().message;
}

// ---- timing (printed, not asserted) ----

TEST_F(PkiVerify, PrintsParseAndVerifyCost) {
  const int n = 200;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    auto c1 = parse_certificate(leaf.der);
    auto c2 = parse_certificate(inter.der);
    ASSERT_TRUE(c1 && c2);
  }
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) ASSERT_TRUE(verify(store, {&leaf.der, &inter.der}));
  const auto t2 = std::chrono::steady_clock::now();
  auto us = [&](auto d) { return std::chrono::duration<double, std::micro>(d).count() / n; };
  std::cout << "[ timing   ] parse leaf+intermediate: " << us(t1 - t0) << " us; full verification (P-256): "
            << us(t2 - t1) << " us\n";
}

}  // namespace
}  // namespace tlspp::pki
