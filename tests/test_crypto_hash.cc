// SHA-256/384, HMAC (RFC 4231), HKDF (RFC 5869) and the TLS 1.3 label functions (RFC 8446
// §7.1, checked against RFC 8448 §3).
#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.h"
#include "test_crypto_util.h"

namespace tlspp::crypto {
namespace {

using testing::as_bytes;
using testing::from_hex;
using testing::to_hex;

TEST(Sha256, KnownAnswerAbc) {
  EXPECT_EQ(to_hex(HashCtx::digest(HashAlg::sha256, as_bytes("abc")).view()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, KnownAnswerEmpty) {
  EXPECT_EQ(to_hex(HashCtx::digest(HashAlg::sha256, {}).view()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha384, KnownAnswerAbc) {
  const Digest d = HashCtx::digest(HashAlg::sha384, as_bytes("abc"));
  EXPECT_EQ(d.len, 48);
  EXPECT_EQ(to_hex(d.view()),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
}

TEST(HashCtx, IncrementalEqualsOneShotForBothAlgorithms) {
  std::string msg;
  for (int i = 0; i < 1000; ++i) msg += static_cast<char>('a' + i % 26);
  for (HashAlg alg : {HashAlg::sha256, HashAlg::sha384}) {
    HashCtx ctx(alg);
    // Uneven pieces cross the 64/128-byte block boundaries at different offsets.
    size_t pos = 0;
    for (size_t step = 1; pos < msg.size(); step = step * 3 % 197 + 1) {
      const size_t n = std::min(step, msg.size() - pos);
      ctx.update(as_bytes(std::string_view(msg).substr(pos, n)));
      pos += n;
    }
    EXPECT_EQ(to_hex(ctx.peek().view()), to_hex(HashCtx::digest(alg, as_bytes(msg)).view()))
        << hash_name(alg);
  }
}

TEST(HashCtx, PeekDoesNotDisturbTheRunningHash) {
  HashCtx ctx(HashAlg::sha256);
  ctx.update(as_bytes("a"));
  const Digest first = ctx.peek();
  EXPECT_EQ(to_hex(first.view()), to_hex(ctx.peek().view()));
  ctx.update(as_bytes("bc"));
  EXPECT_EQ(to_hex(ctx.peek().view()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(first.view()), to_hex(HashCtx::digest(HashAlg::sha256, as_bytes("a")).view()));
}

TEST(HashCtx, CopyIsAnIndependentSnapshot) {
  HashCtx ctx(HashAlg::sha384);
  ctx.update(as_bytes("ab"));
  HashCtx snapshot = ctx;
  ctx.update(as_bytes("c"));
  EXPECT_EQ(to_hex(snapshot.peek().view()), to_hex(HashCtx::digest(HashAlg::sha384, as_bytes("ab")).view()));
  EXPECT_EQ(to_hex(ctx.peek().view()), to_hex(HashCtx::digest(HashAlg::sha384, as_bytes("abc")).view()));
}

TEST(HashCtx, WipeRestartsTheHash) {
  HashCtx ctx(HashAlg::sha256);
  ctx.update(as_bytes("xyz"));
  ctx.wipe();
  ctx.update(as_bytes("abc"));
  EXPECT_EQ(to_hex(ctx.peek().view()), to_hex(HashCtx::digest(HashAlg::sha256, as_bytes("abc")).view()));
}

// RFC 4231 §4.3, test case 2.
TEST(Hmac4231, Case2Sha256) {
  EXPECT_EQ(to_hex(hmac(HashAlg::sha256, as_bytes("Jefe"), as_bytes("what do ya want for nothing?")).view()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac4231, Case2Sha384) {
  EXPECT_EQ(to_hex(hmac(HashAlg::sha384, as_bytes("Jefe"), as_bytes("what do ya want for nothing?")).view()),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec373632244"
            "5e8e2240ca5e69e2c78b3239ecfab21649");
}

// RFC 4231 §4.7, test case 6: a 131-byte key, longer than both block sizes, is hashed first.
TEST(Hmac4231, Case6LongKeySha256AndSha384) {
  const Bytes key(131, 0xaa);
  const auto msg = as_bytes("Test Using Larger Than Block-Size Key - Hash Key First");
  EXPECT_EQ(to_hex(hmac(HashAlg::sha256, key, msg).view()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(to_hex(hmac(HashAlg::sha384, key, msg).view()),
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
            "0c2ef6ab4030fe8296248df163f44952");
}

TEST(Hmac, KeyedOnceComputesManyAndSplitInputMatchesConcatenation) {
  const Hmac mac(HashAlg::sha256, as_bytes("Jefe"));
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(to_hex(mac.compute(as_bytes("what do ya want for nothing?")).view()), expected);
  EXPECT_EQ(to_hex(mac.compute(as_bytes("what do "), as_bytes("ya want "), as_bytes("for nothing?")).view()),
            expected);
  EXPECT_EQ(to_hex(mac.compute(as_bytes("what do ya want for nothing?")).view()), expected);
  EXPECT_NE(to_hex(mac.compute(as_bytes("what do ya want for nothing!")).view()), expected);
}

// RFC 5869 Appendix A.1-A.3 (SHA-256).
struct Hkdf5869Case {
  Bytes ikm, salt, info;
  size_t l;
  std::string prk, okm;
};

void check_5869(const Hkdf5869Case& c) {
  const Secret prk = hkdf_extract(HashAlg::sha256, c.salt, c.ikm);
  EXPECT_EQ(to_hex(prk.view()), c.prk);
  Bytes okm(c.l);
  ASSERT_TRUE(hkdf_expand(HashAlg::sha256, prk.view(), c.info, okm));
  EXPECT_EQ(to_hex(okm), c.okm);
}

TEST(Hkdf5869, Case1Basic) {
  check_5869({from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), from_hex("000102030405060708090a0b0c"),
              from_hex("f0f1f2f3f4f5f6f7f8f9"), 42,
              "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
              "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"});
}

TEST(Hkdf5869, Case2LongInputsAndOutput) {
  Bytes ikm, salt, info;
  for (int i = 0; i < 80; ++i) {
    ikm.push_back(static_cast<uint8_t>(i));
    salt.push_back(static_cast<uint8_t>(0x60 + i));
    info.push_back(static_cast<uint8_t>(0xb0 + i));
  }
  check_5869({ikm, salt, info, 82, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
              "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
              "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
              "cc30c58179ec3e87c14c01d5c1f3434f1d87"});
}

TEST(Hkdf5869, Case3EmptySaltAndInfo) {
  check_5869({from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), {}, {}, 42,
              "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
              "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"});
}

TEST(Hkdf5869, ExpandRejectsOutputLongerThan255HashLengths) {
  const Secret prk = hkdf_extract(HashAlg::sha256, {}, as_bytes("ikm"));
  Bytes ok(255 * 32);
  EXPECT_TRUE(hkdf_expand(HashAlg::sha256, prk.view(), {}, ok));
  Bytes too_long(255 * 32 + 1);
  const Status s = hkdf_expand(HashAlg::sha256, prk.view(), {}, too_long);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::internal);
}

// RFC 8448 §3: the early secret is HKDF-Extract(0, 0) and its "derived" secret.
TEST(HkdfExpandLabel8448, EarlySecretAndDerivedSecret) {
  const Bytes zeros(32, 0);
  const Secret early = hkdf_extract(HashAlg::sha256, {}, zeros);
  EXPECT_EQ(to_hex(early.view()), "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
  const Digest empty_hash = HashCtx::digest(HashAlg::sha256, {});
  const Secret derived = derive_secret(HashAlg::sha256, early.view(), "derived", empty_hash.view());
  EXPECT_EQ(to_hex(derived.view()), "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
}

// RFC 8448 §3: handshake secret, then "c hs traffic" over the ClientHello..ServerHello hash.
TEST(HkdfExpandLabel8448, ClientHandshakeTrafficSecret) {
  const Bytes salt = from_hex("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
  const Bytes ikm = from_hex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
  const Secret hs = hkdf_extract(HashAlg::sha256, salt, ikm);
  EXPECT_EQ(to_hex(hs.view()), "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
  const Bytes th = from_hex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
  const Secret c_hs = derive_secret(HashAlg::sha256, hs.view(), "c hs traffic", th);
  EXPECT_EQ(to_hex(c_hs.view()), "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
}

// RFC 8448 §3: server handshake write key and IV (empty context, lengths 16 and 12).
TEST(HkdfExpandLabel8448, ServerHandshakeKeyAndIv) {
  const Bytes secret = from_hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
  EXPECT_EQ(to_hex(expand_label(HashAlg::sha256, secret, "key", {}, 16).view()),
            "3fce516009c21727d0f2e4e86ee403bc");
  Bytes iv(12);
  ASSERT_TRUE(hkdf_expand_label(HashAlg::sha256, secret, "iv", {}, iv));
  EXPECT_EQ(to_hex(iv), "5d313eb2671276ee13000b30");
}

TEST(HkdfExpandLabel, LabelIsLengthPrefixedSoDifferentLabelsDiffer) {
  const Bytes secret(48, 0x42);
  const Secret a = expand_label(HashAlg::sha384, secret, "key", {}, 32);
  const Secret b = expand_label(HashAlg::sha384, secret, "iv", {}, 32);
  const Secret a12 = expand_label(HashAlg::sha384, secret, "key", {}, 12);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(to_hex(a.view()), to_hex(b.view()));
  // The output length is part of HkdfLabel, so a shorter output is not a prefix.
  EXPECT_NE(to_hex(a.view().first(12)), to_hex(a12.view()));
}

TEST(HkdfExpandLabel, RejectsEmptyOrOverlongLabelAndContext) {
  const Bytes secret(32, 1);
  Bytes out(16);
  EXPECT_FALSE(hkdf_expand_label(HashAlg::sha256, secret, "", {}, out));
  EXPECT_TRUE(hkdf_expand_label(HashAlg::sha256, secret, std::string(249, 'x'), {}, out));
  EXPECT_FALSE(hkdf_expand_label(HashAlg::sha256, secret, std::string(250, 'x'), {}, out));
  EXPECT_TRUE(hkdf_expand_label(HashAlg::sha256, secret, "key", Bytes(255, 0), out));
  EXPECT_FALSE(hkdf_expand_label(HashAlg::sha256, secret, "key", Bytes(256, 0), out));
}

}  // namespace
}  // namespace tlspp::crypto
