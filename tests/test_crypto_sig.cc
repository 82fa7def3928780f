// Signature keys and schemes: a sign/verify round trip for every supported scheme, RFC 8032
// Ed25519 known answer, tamper detection (decrypt_error), scheme/key pairing
// (illegal_parameter), RSASSA-PSS parameters (RFC 8446 §4.2.3) and key object semantics.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <map>
#include <string>

#include "crypto/pem.h"
#include "crypto/sig.h"
#include "test_crypto_util.h"

namespace tlspp::crypto {
namespace {

using testing::as_bytes;
using testing::from_hex;
using testing::to_hex;

const std::string kData = std::string(TLSPP_SOURCE_DIR) + "/tests/data/crypto/";

// Keys shared by the whole binary: EC and EdDSA keys are generated (fast), one RSA key is
// generated (slow, so only one), the RSASSA-PSS key comes from a fixture.
class Keys : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (KeyType t : {KeyType::ec_p256, KeyType::ec_p384, KeyType::ec_p521, KeyType::ed25519, KeyType::ed448,
                      KeyType::rsa}) {
      auto k = PrivateKey::generate(t);
      ASSERT_TRUE(k) << k.error().to_string();
      keys_[t] = *k;
    }
    auto pss = load_private_key(kData + "rsapss2048_pkcs8.pem");
    ASSERT_TRUE(pss) << pss.error().to_string();
    keys_[KeyType::rsa_pss] = *pss;
  }
  static void TearDownTestSuite() { keys_.clear(); }
  static const PrivateKey& key(KeyType t) { return keys_.at(t); }
  static std::map<KeyType, PrivateKey> keys_;
};
std::map<KeyType, PrivateKey> Keys::keys_;

struct SchemeKey {
  SignatureScheme scheme;
  KeyType key;
};
const SchemeKey kSupported[] = {
    {SignatureScheme::ecdsa_secp256r1_sha256, KeyType::ec_p256},
    {SignatureScheme::ecdsa_secp384r1_sha384, KeyType::ec_p384},
    {SignatureScheme::ecdsa_secp521r1_sha512, KeyType::ec_p521},
    {SignatureScheme::rsa_pss_rsae_sha256, KeyType::rsa},
    {SignatureScheme::rsa_pss_rsae_sha384, KeyType::rsa},
    {SignatureScheme::rsa_pss_rsae_sha512, KeyType::rsa},
    {SignatureScheme::rsa_pss_pss_sha256, KeyType::rsa_pss},
    {SignatureScheme::rsa_pss_pss_sha384, KeyType::rsa_pss},
    {SignatureScheme::rsa_pss_pss_sha512, KeyType::rsa_pss},
    {SignatureScheme::ed25519, KeyType::ed25519},
    {SignatureScheme::ed448, KeyType::ed448},
    {SignatureScheme::rsa_pkcs1_sha256, KeyType::rsa},
    {SignatureScheme::rsa_pkcs1_sha384, KeyType::rsa},
    {SignatureScheme::rsa_pkcs1_sha512, KeyType::rsa},
};

// RFC 8446 §4.4.3 style content: 64 spaces, context string, 0, transcript hash.
Bytes tls13_content() {
  Bytes m(64, 0x20);
  const std::string ctx = "TLS 1.3, server CertificateVerify";
  m.insert(m.end(), ctx.begin(), ctx.end());
  m.push_back(0);
  for (int i = 0; i < 32; ++i) m.push_back(static_cast<uint8_t>(i * 7));
  return m;
}

void expect_decrypt_error(const Status& s, const std::string& what) {
  ASSERT_FALSE(s) << what << " verified";
  EXPECT_EQ(s.error().kind, ErrorKind::crypto) << what;
  EXPECT_EQ(s.error().alert, AlertDescription::decrypt_error) << what;
  EXPECT_NE(s.error().message.find("does not verify"), std::string::npos) << s.error().message;
}

TEST_F(Keys, EverySchemeSignsAndVerifiesWithItsKey) {
  const Bytes msg = tls13_content();
  for (const auto& [scheme, type] : kSupported) {
    const std::string name(signature_scheme_name(scheme));
    const PrivateKey& k = key(type);
    auto sig = sign(k, scheme, msg);
    ASSERT_TRUE(sig) << name << ": " << sig.error().to_string();
    EXPECT_TRUE(verify(k.public_key(), scheme, msg, *sig)) << name;
  }
}

TEST_F(Keys, TamperedMessageOrSignatureIsDecryptError) {
  const Bytes msg = tls13_content();
  for (const auto& [scheme, type] : kSupported) {
    const std::string name(signature_scheme_name(scheme));
    const PrivateKey& k = key(type);
    auto sig = sign(k, scheme, msg);
    ASSERT_TRUE(sig) << name;
    Bytes other_msg = msg;
    other_msg[70] ^= 1;
    expect_decrypt_error(verify(k.public_key(), scheme, other_msg, *sig), name + " with changed message");
    Bytes bad_sig = *sig;
    bad_sig[bad_sig.size() / 2] ^= 0x10;
    expect_decrypt_error(verify(k.public_key(), scheme, msg, bad_sig), name + " with changed signature");
    expect_decrypt_error(verify(k.public_key(), scheme, msg, {}), name + " with empty signature");
  }
}

TEST_F(Keys, SignatureFromAnotherKeyOfTheSameTypeIsDecryptError) {
  auto other = PrivateKey::generate(KeyType::ec_p256);
  ASSERT_TRUE(other);
  const Bytes msg = tls13_content();
  auto sig = sign(*other, SignatureScheme::ecdsa_secp256r1_sha256, msg);
  ASSERT_TRUE(sig);
  expect_decrypt_error(verify(key(KeyType::ec_p256).public_key(), SignatureScheme::ecdsa_secp256r1_sha256, msg, *sig),
                       "foreign key");
}

TEST_F(Keys, SchemeHashMattersForVerification) {
  // A PSS signature made with SHA-256 must not verify as the SHA-384 scheme.
  const Bytes msg = tls13_content();
  const PrivateKey& k = key(KeyType::rsa);
  auto sig = sign(k, SignatureScheme::rsa_pss_rsae_sha256, msg);
  ASSERT_TRUE(sig);
  expect_decrypt_error(verify(k.public_key(), SignatureScheme::rsa_pss_rsae_sha384, msg, *sig), "other hash");
  // Nor as PKCS#1 v1.5.
  expect_decrypt_error(verify(k.public_key(), SignatureScheme::rsa_pkcs1_sha256, msg, *sig), "other padding");
}

TEST_F(Keys, EcdsaSignaturesAreDer) {
  auto sig = sign(key(KeyType::ec_p384), SignatureScheme::ecdsa_secp384r1_sha384, as_bytes("hello"));
  ASSERT_TRUE(sig);
  ASSERT_GE(sig->size(), 8u);
  EXPECT_EQ((*sig)[0], 0x30);  // SEQUENCE { r INTEGER, s INTEGER }
  EXPECT_EQ((*sig)[1] + 2u, sig->size());
}

TEST_F(Keys, MismatchedSchemeAndKeyAreRejected) {
  const Bytes msg = tls13_content();
  // Verifying: the peer chose a scheme its key cannot make -> illegal_parameter.
  struct Case {
    SignatureScheme scheme;
    KeyType key;
  };
  for (const Case& c : {Case{SignatureScheme::ecdsa_secp384r1_sha384, KeyType::ec_p256},
                        Case{SignatureScheme::ecdsa_secp256r1_sha256, KeyType::ec_p384},
                        Case{SignatureScheme::rsa_pss_pss_sha256, KeyType::rsa},
                        Case{SignatureScheme::rsa_pss_rsae_sha256, KeyType::rsa_pss},
                        Case{SignatureScheme::ed25519, KeyType::ec_p256},
                        Case{SignatureScheme::ecdsa_secp256r1_sha256, KeyType::ed25519},
                        Case{SignatureScheme::rsa_pkcs1_sha1, KeyType::rsa}}) {
    const std::string name(signature_scheme_name(c.scheme));
    const Status v = verify(key(c.key).public_key(), c.scheme, msg, Bytes(64, 1));
    ASSERT_FALSE(v) << name;
    EXPECT_EQ(v.error().kind, ErrorKind::peer_misbehaved) << name;
    EXPECT_EQ(v.error().alert, AlertDescription::illegal_parameter) << name;
    EXPECT_NE(v.error().message.find(name), std::string::npos) << v.error().message;
    // Signing: our own misconfiguration -> internal error.
    auto s = sign(key(c.key), c.scheme, msg);
    ASSERT_FALSE(s) << name;
    EXPECT_EQ(s.error().kind, ErrorKind::internal) << name;
  }
}

TEST(SchemeMatchesKey, FullTable) {
  const SignatureScheme schemes[] = {
      SignatureScheme::rsa_pkcs1_sha256,     SignatureScheme::rsa_pkcs1_sha384,
      SignatureScheme::rsa_pkcs1_sha512,     SignatureScheme::ecdsa_secp256r1_sha256,
      SignatureScheme::ecdsa_secp384r1_sha384, SignatureScheme::ecdsa_secp521r1_sha512,
      SignatureScheme::rsa_pss_rsae_sha256,  SignatureScheme::rsa_pss_rsae_sha384,
      SignatureScheme::rsa_pss_rsae_sha512,  SignatureScheme::ed25519,
      SignatureScheme::ed448,                SignatureScheme::rsa_pss_pss_sha256,
      SignatureScheme::rsa_pss_pss_sha384,   SignatureScheme::rsa_pss_pss_sha512,
      SignatureScheme::rsa_pkcs1_sha1,       SignatureScheme::ecdsa_sha1,
      static_cast<SignatureScheme>(0x0e0e)};
  const KeyType types[] = {KeyType::rsa,     KeyType::rsa_pss, KeyType::ec_p256, KeyType::ec_p384,
                           KeyType::ec_p521, KeyType::ed25519, KeyType::ed448,   KeyType::other};
  int matches = 0;
  for (SignatureScheme s : schemes) {
    for (KeyType t : types) {
      bool expected = false;
      for (const auto& sk : kSupported) expected = expected || (sk.scheme == s && sk.key == t);
      EXPECT_EQ(scheme_matches_key(s, t), expected)
          << signature_scheme_name(s) << " with " << key_type_name(t);
      matches += scheme_matches_key(s, t) ? 1 : 0;
    }
  }
  EXPECT_EQ(matches, static_cast<int>(std::size(kSupported)));
}

// RFC 8032 §7.1, TEST 1 (empty message). The key is wrapped as PKCS#8 (RFC 8410).
TEST(Ed25519, Rfc8032Test1KnownAnswer) {
  const Bytes pkcs8 = from_hex(
      "302e020100300506032b657004220420"
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto k = PrivateKey::parse(pkcs8, "RFC 8032 key");
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_EQ(k->type(), KeyType::ed25519);
  const Bytes spki = k->public_key().spki();
  EXPECT_EQ(to_hex(spki), "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto sig = sign(*k, SignatureScheme::ed25519, {});
  ASSERT_TRUE(sig);
  EXPECT_EQ(to_hex(*sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(verify(k->public_key(), SignatureScheme::ed25519, {}, *sig));
}

// Signs with libcrypto directly using the given PSS parameters.
Bytes openssl_pss_sign(const PrivateKey& k, const char* md, const char* mgf1_md, int saltlen, ByteView msg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  size_t len = 0;
  Bytes sig;
  if (EVP_DigestSignInit_ex(ctx, &pctx, md, nullptr, nullptr, static_cast<EVP_PKEY*>(k.native()), nullptr) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
      EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf1_md, nullptr) == 1 &&
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, msg.data(), msg.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, sig.data(), &len, msg.data(), msg.size()) != 1) sig.clear();
  }
  EVP_MD_CTX_free(ctx);
  return sig;
}

// RFC 8446 §4.2.3: PSS salt length equals the digest length and MGF1 uses the same hash.
TEST_F(Keys, RsaPssParametersFollowRfc8446) {
  const Bytes msg = tls13_content();
  const PrivateKey& k = key(KeyType::rsa);
  const Bytes conforming = openssl_pss_sign(k, "SHA384", "SHA384", 48, msg);
  ASSERT_FALSE(conforming.empty());
  EXPECT_TRUE(verify(k.public_key(), SignatureScheme::rsa_pss_rsae_sha384, msg, conforming));

  const Bytes max_salt = openssl_pss_sign(k, "SHA384", "SHA384", RSA_PSS_SALTLEN_MAX, msg);
  ASSERT_FALSE(max_salt.empty());
  expect_decrypt_error(verify(k.public_key(), SignatureScheme::rsa_pss_rsae_sha384, msg, max_salt),
                       "salt longer than the digest");
  const Bytes sha1_mgf = openssl_pss_sign(k, "SHA384", "SHA1", 48, msg);
  ASSERT_FALSE(sha1_mgf.empty());
  expect_decrypt_error(verify(k.public_key(), SignatureScheme::rsa_pss_rsae_sha384, msg, sha1_mgf),
                       "MGF1 with another hash");

  // And what we sign, libcrypto verifies with exactly those parameters.
  auto ours = sign(k, SignatureScheme::rsa_pss_rsae_sha512, msg);
  ASSERT_TRUE(ours);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const Bytes spki = k.public_key().spki();
  ASSERT_EQ(EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA512", nullptr, nullptr,
                                    static_cast<EVP_PKEY*>(k.public_key().native()), nullptr),
            1);
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA512", nullptr);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 64);
  EXPECT_EQ(EVP_DigestVerify(ctx, ours->data(), ours->size(), msg.data(), msg.size()), 1);
  EVP_MD_CTX_free(ctx);
}

TEST_F(Keys, DescribeTypeAndBits) {
  EXPECT_EQ(key(KeyType::ec_p256).public_key().describe(), "ECDSA P-256");
  EXPECT_EQ(key(KeyType::ec_p384).public_key().describe(), "ECDSA P-384");
  EXPECT_EQ(key(KeyType::ec_p521).describe(), "ECDSA P-521");
  EXPECT_EQ(key(KeyType::ed25519).public_key().describe(), "Ed25519");
  EXPECT_EQ(key(KeyType::ed448).public_key().describe(), "Ed448");
  EXPECT_EQ(key(KeyType::rsa).public_key().describe(), "RSA 2048");
  EXPECT_EQ(key(KeyType::rsa_pss).public_key().describe(), "RSA-PSS 2048");
  EXPECT_EQ(key(KeyType::rsa).public_key().bits(), 2048);
  EXPECT_EQ(key(KeyType::ec_p384).public_key().bits(), 384);
  for (const auto& [type, k] : keys_) {
    EXPECT_EQ(k.type(), type);
    EXPECT_EQ(k.public_key().type(), type);
  }
  EXPECT_EQ(PublicKey().describe(), "no key");
  EXPECT_FALSE(PublicKey().valid());
}

TEST_F(Keys, SpkiRoundTripAndPublicKeyHasNoPrivatePart) {
  for (const auto& [type, k] : keys_) {
    const PublicKey pub = k.public_key();
    ASSERT_TRUE(pub.valid()) << key_type_name(type);
    const Bytes spki = pub.spki();
    auto again = PublicKey::from_spki(spki);
    ASSERT_TRUE(again) << key_type_name(type);
    EXPECT_EQ(again->spki(), spki);
    EXPECT_EQ(again->type(), type);
    // The public half carries no private key: wrapped as a PrivateKey, it cannot sign.
    EVP_PKEY_up_ref(static_cast<EVP_PKEY*>(pub.native()));
    const PrivateKey public_only = PrivateKey::adopt(pub.native());
    for (const auto& sk : kSupported) {
      if (sk.key != type) continue;
      EXPECT_FALSE(sign(public_only, sk.scheme, as_bytes("x"))) << signature_scheme_name(sk.scheme);
    }
  }
}

TEST(PublicKey, FromSpkiRejectsGarbageAndTrailingBytes) {
  auto bad = PublicKey::from_spki(from_hex("3003020101"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().alert, AlertDescription::bad_certificate);
  EXPECT_FALSE(PublicKey::from_spki({}));
  Bytes spki = from_hex("302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  ASSERT_TRUE(PublicKey::from_spki(spki));
  spki.push_back(0);
  auto trailing = PublicKey::from_spki(spki);
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("trailing"), std::string::npos);
}

TEST_F(Keys, CopiesShareTheKeyAndOutliveTheOriginal) {
  PublicKey copy;
  PrivateKey priv_copy;
  {
    auto k = PrivateKey::generate(KeyType::ed25519);
    ASSERT_TRUE(k);
    priv_copy = *k;
    PublicKey pub = k->public_key();
    copy = pub;
    PublicKey moved = std::move(pub);
    EXPECT_FALSE(pub.valid());  // NOLINT(bugprone-use-after-move): moved-from keys are empty.
    EXPECT_EQ(moved.spki(), copy.spki());
  }
  auto sig = sign(priv_copy, SignatureScheme::ed25519, as_bytes("still here"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(verify(copy, SignatureScheme::ed25519, as_bytes("still here"), *sig));
  PrivateKey moved = std::move(priv_copy);
  EXPECT_FALSE(priv_copy.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.valid());
  const PrivateKey& alias = moved;
  moved = alias;  // self-assignment keeps the key
  EXPECT_TRUE(moved.valid());
}

TEST_F(Keys, Pkcs8DerRoundTrips) {
  for (const auto& [type, k] : keys_) {
    const Bytes der = k.pkcs8_der();
    ASSERT_FALSE(der.empty()) << key_type_name(type);
    auto back = PrivateKey::parse(der, "round trip");
    ASSERT_TRUE(back) << key_type_name(type) << ": " << back.error().to_string();
    EXPECT_EQ(back->type(), type);
    EXPECT_EQ(back->public_key().spki(), k.public_key().spki());
  }
}

TEST(PrivateKey, GenerateRejectsOtherAndAbsurdRsaSizes) {
  EXPECT_FALSE(PrivateKey::generate(KeyType::other));
  EXPECT_FALSE(PrivateKey::generate(KeyType::rsa, 512));
}

TEST(Sign, EmptyKeysAreInternalErrors) {
  auto s = sign(PrivateKey(), SignatureScheme::ed25519, as_bytes("x"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::internal);
  const Status v = verify(PublicKey(), SignatureScheme::ed25519, as_bytes("x"), Bytes(64));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::internal);
}

}  // namespace
}  // namespace tlspp::crypto
