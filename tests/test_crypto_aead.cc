// Record AEADs: RFC 8439 §2.8.2 (ChaCha20-Poly1305), the GCM specification's test cases 4
// and 16 (AES-128/256-GCM), in-place operation, rejection of every kind of tampering, and
// re-keying.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "crypto/aead.h"
#include "test_crypto_util.h"

namespace tlspp::crypto {
namespace {

using testing::as_bytes;
using testing::from_hex;
using testing::to_hex;

struct Vector {
  AeadAlg alg;
  Bytes key, nonce, aad, plaintext;
  std::string ciphertext_and_tag;
};

void to_nonce(const Bytes& b, uint8_t (&n)[kAeadNonceLen]) {
  ASSERT_EQ(b.size(), kAeadNonceLen);
  std::memcpy(n, b.data(), kAeadNonceLen);
}

Vector rfc8439() {
  return {AeadAlg::chacha20poly1305,
          from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
          from_hex("070000004041424344454647"), from_hex("50515253c0c1c2c3c4c5c6c7"),
          Bytes(testing::as_bytes("Ladies and Gentlemen of the class of '99: If I could offer you only one "
                                  "tip for the future, sunscreen would be it.")
                    .begin(),
                testing::as_bytes("Ladies and Gentlemen of the class of '99: If I could offer you only one "
                                  "tip for the future, sunscreen would be it.")
                    .end()),
          "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
          "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
          "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          "3ff4def08e4b7a9de576d26586cec64b6116"
          "1ae10b594f09e26a7e902ecbd0600691"};
}

const char* kGcmPlain =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 4.
Vector gcm_case4() {
  return {AeadAlg::aes128gcm, from_hex("feffe9928665731c6d6a8f9467308308"),
          from_hex("cafebabefacedbaddecaf888"), from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
          from_hex(kGcmPlain),
          "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
          "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
          "5bc94fbc3221a5db94fae95ae7121a47"};
}

// Same source, test case 16 (AES-256).
Vector gcm_case16() {
  return {AeadAlg::aes256gcm,
          from_hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
          from_hex("cafebabefacedbaddecaf888"), from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
          from_hex(kGcmPlain),
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
          "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
          "76fc6ece0f4e1768cddf8853bb2d551b"};
}

void check_vector(const Vector& v) {
  uint8_t nonce[kAeadNonceLen];
  to_nonce(v.nonce, nonce);
  AeadCtx ctx;
  EXPECT_FALSE(ctx.has_key());
  ASSERT_TRUE(ctx.set_key(v.alg, v.key));
  EXPECT_TRUE(ctx.has_key());
  EXPECT_EQ(ctx.alg(), v.alg);
  Bytes sealed(v.plaintext.size() + kAeadTagLen);
  ASSERT_TRUE(ctx.seal(nonce, v.aad, v.plaintext, sealed));
  EXPECT_EQ(to_hex(sealed), v.ciphertext_and_tag);

  AeadCtx reader;
  ASSERT_TRUE(reader.set_key(v.alg, v.key));
  Bytes opened(v.plaintext.size());
  ASSERT_TRUE(reader.open(nonce, v.aad, from_hex(v.ciphertext_and_tag), opened));
  EXPECT_EQ(opened, v.plaintext);
}

TEST(Aead8439, ChaCha20Poly1305Section282Vector) { check_vector(rfc8439()); }
TEST(AeadGcmSpec, Aes128GcmTestCase4) { check_vector(gcm_case4()); }
TEST(AeadGcmSpec, Aes256GcmTestCase16) { check_vector(gcm_case16()); }

TEST(Aead, InPlaceSealAndOpenForEveryAlgorithm) {
  for (const Vector& v : {rfc8439(), gcm_case4(), gcm_case16()}) {
    uint8_t nonce[kAeadNonceLen];
    to_nonce(v.nonce, nonce);
    AeadCtx ctx;
    ASSERT_TRUE(ctx.set_key(v.alg, v.key));
    Bytes buf = v.plaintext;
    buf.resize(v.plaintext.size() + kAeadTagLen);
    ASSERT_TRUE(ctx.seal(nonce, v.aad, ByteView(buf).first(v.plaintext.size()), buf));
    EXPECT_EQ(to_hex(buf), v.ciphertext_and_tag);
    ASSERT_TRUE(ctx.open(nonce, v.aad, buf, buf));
    EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(v.plaintext.size())), v.plaintext);
  }
}

TEST(Aead, EmptyPlaintextAndEmptyAadStillAuthenticate) {
  for (AeadAlg alg : {AeadAlg::aes128gcm, AeadAlg::aes256gcm, AeadAlg::chacha20poly1305}) {
    AeadCtx ctx;
    ASSERT_TRUE(ctx.set_key(alg, Bytes(aead_key_len(alg), 0x11)));
    uint8_t nonce[kAeadNonceLen] = {};
    uint8_t tag[kAeadTagLen];
    ASSERT_TRUE(ctx.seal(nonce, {}, {}, tag));
    ASSERT_TRUE(ctx.open(nonce, {}, tag, MutByteView{}));
    tag[0] ^= 1;
    const Status s = ctx.open(nonce, {}, tag, MutByteView{});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().alert, AlertDescription::bad_record_mac);
  }
}

// Every single change to what is authenticated must be caught, and none of the
// unauthenticated plaintext may be left in the output.
TEST(Aead, TamperedCiphertextTagAadOrNonceGiveBadRecordMac) {
  for (const Vector& v : {rfc8439(), gcm_case4(), gcm_case16()}) {
    uint8_t nonce[kAeadNonceLen];
    to_nonce(v.nonce, nonce);
    AeadCtx ctx;
    ASSERT_TRUE(ctx.set_key(v.alg, v.key));
    const Bytes good = from_hex(v.ciphertext_and_tag);

    auto expect_rejected = [&](const uint8_t (&n)[kAeadNonceLen], const Bytes& aad, const Bytes& sealed,
                               const char* what) {
      Bytes out(sealed.size() - kAeadTagLen, 0xee);
      const Status s = ctx.open(n, aad, sealed, out);
      ASSERT_FALSE(s) << what;
      EXPECT_EQ(s.error().kind, ErrorKind::crypto) << what;
      EXPECT_EQ(s.error().alert, AlertDescription::bad_record_mac) << what;
      EXPECT_NE(s.error().message.find("record authentication failed"), std::string::npos);
      EXPECT_EQ(out, Bytes(out.size(), 0)) << what << ": output not erased";
    };

    Bytes ct = good;
    ct[5] ^= 0x01;
    expect_rejected(nonce, v.aad, ct, "flipped ciphertext bit");
    Bytes tag = good;
    tag.back() ^= 0x80;
    expect_rejected(nonce, v.aad, tag, "flipped tag bit");
    Bytes aad = v.aad;
    aad[0] ^= 0x01;
    expect_rejected(nonce, aad, good, "changed AAD");
    expect_rejected(nonce, Bytes(v.aad.begin(), v.aad.end() - 1), good, "truncated AAD");
    uint8_t other_nonce[kAeadNonceLen];
    std::memcpy(other_nonce, nonce, kAeadNonceLen);
    other_nonce[11] ^= 0x01;
    expect_rejected(other_nonce, v.aad, good, "changed nonce");
    expect_rejected(nonce, v.aad, Bytes(good.begin(), good.end() - 1), "truncated record");

    // After all the failures the context still opens the genuine record.
    Bytes out(v.plaintext.size());
    EXPECT_TRUE(ctx.open(nonce, v.aad, good, out));
    EXPECT_EQ(out, v.plaintext);
  }
}

TEST(Aead, RecordShorterThanTagIsBadRecordMac) {
  AeadCtx ctx;
  ASSERT_TRUE(ctx.set_key(AeadAlg::aes128gcm, Bytes(16, 1)));
  uint8_t nonce[kAeadNonceLen] = {};
  const Bytes short_record(15, 0);
  Bytes out(16);
  const Status s = ctx.open(nonce, {}, short_record, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().alert, AlertDescription::bad_record_mac);
}

TEST(Aead, RekeyingTheSameContextSwitchesKeyAndAlgorithm) {
  const Vector a = gcm_case4(), b = rfc8439(), c = gcm_case16();
  AeadCtx ctx;
  for (const Vector* v : {&a, &b, &c, &a}) {
    uint8_t nonce[kAeadNonceLen];
    to_nonce(v->nonce, nonce);
    ASSERT_TRUE(ctx.set_key(v->alg, v->key));
    Bytes sealed(v->plaintext.size() + kAeadTagLen);
    ASSERT_TRUE(ctx.seal(nonce, v->aad, v->plaintext, sealed));
    EXPECT_EQ(to_hex(sealed), v->ciphertext_and_tag);
  }
  // Same algorithm, different key: the old key must be gone.
  uint8_t nonce[kAeadNonceLen];
  to_nonce(a.nonce, nonce);
  Bytes other_key = a.key;
  other_key[0] ^= 1;
  ASSERT_TRUE(ctx.set_key(AeadAlg::aes128gcm, other_key));
  Bytes out(a.plaintext.size());
  EXPECT_FALSE(ctx.open(nonce, a.aad, from_hex(a.ciphertext_and_tag), out));
  ASSERT_TRUE(ctx.set_key(AeadAlg::aes128gcm, a.key));
  EXPECT_TRUE(ctx.open(nonce, a.aad, from_hex(a.ciphertext_and_tag), out));
}

TEST(Aead, SequenceOfRecordsWithDistinctNonces) {
  AeadCtx writer, reader;
  const Bytes key(32, 0x5a);
  ASSERT_TRUE(writer.set_key(AeadAlg::chacha20poly1305, key));
  ASSERT_TRUE(reader.set_key(AeadAlg::chacha20poly1305, key));
  for (uint8_t seq = 0; seq < 20; ++seq) {
    uint8_t nonce[kAeadNonceLen] = {};
    nonce[11] = seq;
    Bytes buf(seq * 37u + kAeadTagLen, seq);
    const Bytes plain(buf.begin(), buf.end() - kAeadTagLen);
    const uint8_t aad[5] = {23, 3, 3, 0, seq};
    ASSERT_TRUE(writer.seal(nonce, aad, ByteView(buf).first(plain.size()), buf));
    ASSERT_TRUE(reader.open(nonce, aad, buf, buf));
    EXPECT_EQ(Bytes(buf.begin(), buf.end() - kAeadTagLen), plain);
  }
}

TEST(Aead, MisuseIsAnInternalError) {
  AeadCtx ctx;
  uint8_t nonce[kAeadNonceLen] = {};
  Bytes out(32);
  const Status unkeyed = ctx.seal(nonce, {}, Bytes(4), out);
  ASSERT_FALSE(unkeyed);
  EXPECT_EQ(unkeyed.error().kind, ErrorKind::internal);
  const Status wrong_len = ctx.set_key(AeadAlg::aes256gcm, Bytes(16));
  ASSERT_FALSE(wrong_len);
  EXPECT_FALSE(ctx.has_key());
  ASSERT_TRUE(ctx.set_key(AeadAlg::aes128gcm, Bytes(16)));
  EXPECT_FALSE(ctx.seal(nonce, {}, Bytes(17), out));  // no room for the tag
  // Partial overlap of input and output.
  Bytes buf(64);
  EXPECT_FALSE(ctx.seal(nonce, {}, ByteView(buf).subspan(1, 20), buf));
}

TEST(Aead, MovedContextKeepsItsKey) {
  const Vector v = gcm_case16();
  uint8_t nonce[kAeadNonceLen];
  to_nonce(v.nonce, nonce);
  AeadCtx a;
  ASSERT_TRUE(a.set_key(v.alg, v.key));
  AeadCtx b = std::move(a);
  EXPECT_TRUE(b.has_key());
  Bytes sealed(v.plaintext.size() + kAeadTagLen);
  ASSERT_TRUE(b.seal(nonce, v.aad, v.plaintext, sealed));
  EXPECT_EQ(to_hex(sealed), v.ciphertext_and_tag);
  AeadCtx c;
  c = std::move(b);
  ASSERT_TRUE(c.seal(nonce, v.aad, v.plaintext, sealed));
  EXPECT_EQ(to_hex(sealed), v.ciphertext_and_tag);
}

}  // namespace
}  // namespace tlspp::crypto
