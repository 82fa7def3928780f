// The TLS 1.2 key derivation (keysched/tls12.h), checked against OpenSSL's own TLS1-PRF
// (a separate implementation of RFC 5246 §5) and against the RFCs' definitions.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <numeric>
#include <string>

#include "keysched/tls12.h"
#include "record/record.h"

namespace tlspp::keysched::tls12 {
namespace {

Bytes seq_bytes(uint8_t start, size_t n) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), start);
  return b;
}

// OpenSSL's TLS1-PRF over (secret, seed); our seed is label + seeds.
Bytes openssl_prf(HashAlg alg, ByteView secret, const Bytes& seed, size_t n) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  char digest[16];
  std::snprintf(digest, sizeof digest, "%s", alg == HashAlg::sha256 ? "SHA256" : "SHA384");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, const_cast<uint8_t*>(seed.data()), seed.size()),
      OSSL_PARAM_construct_end()};
  Bytes out(n);
  const bool ok = ctx && EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(ctx);
  EXPECT_TRUE(ok);
  return out;
}

Bytes concat(std::string_view label, std::initializer_list<ByteView> parts) {
  Bytes b(label.begin(), label.end());
  for (ByteView p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

class Tls12Prf : public ::testing::TestWithParam<HashAlg> {};

TEST_P(Tls12Prf, MatchesOpenSslForEveryLength) {
  const Bytes secret = seq_bytes(1, 48), a = seq_bytes(100, 32), b = seq_bytes(200, 32);
  for (size_t n : {size_t{1}, size_t{12}, size_t{31}, size_t{32}, size_t{48}, size_t{100}, size_t{200}}) {
    SCOPED_TRACE(n);
    Bytes ours(n);
    prf(GetParam(), secret, "test label", {a, b}, ours);
    EXPECT_EQ(ours, openssl_prf(GetParam(), secret, concat("test label", {a, b}), n));
  }
}

TEST_P(Tls12Prf, MasterSecretsFollowRfc5246AndRfc7627) {
  const HashAlg h = GetParam();
  const Bytes pms = seq_bytes(7, 32), cr = seq_bytes(40, 32), sr = seq_bytes(80, 32), session_hash = seq_bytes(9, 48);
  EXPECT_EQ(to_bytes(master_secret(h, pms, cr, sr).view()), openssl_prf(h, pms, concat("master secret", {cr, sr}), 48));
  EXPECT_EQ(to_bytes(extended_master_secret(h, pms, session_hash).view()),
            openssl_prf(h, pms, concat("extended master secret", {session_hash}), 48));
}

TEST_P(Tls12Prf, KeyBlockIsCutInTheOrderOfSection6_3) {
  const HashAlg h = GetParam();
  const Bytes ms = seq_bytes(3, 48), cr = seq_bytes(40, 32), sr = seq_bytes(80, 32);
  for (auto aead : {crypto::AeadAlg::aes128gcm, crypto::AeadAlg::aes256gcm, crypto::AeadAlg::chacha20poly1305}) {
    const size_t key = crypto::aead_key_len(aead), iv = aead == crypto::AeadAlg::chacha20poly1305 ? 12 : 4;
    const Bytes expected = openssl_prf(h, ms, concat("key expansion", {sr, cr}), 2 * key + 2 * iv);
    const KeyBlock k = key_block(h, aead, ms, cr, sr);
    const ByteView e(expected);
    EXPECT_EQ(to_bytes(k.client_write_key.view()), to_bytes(e.subspan(0, key)));
    EXPECT_EQ(to_bytes(k.server_write_key.view()), to_bytes(e.subspan(key, key)));
    EXPECT_EQ(to_bytes(k.client_write_iv.view()), to_bytes(e.subspan(2 * key, iv)));
    EXPECT_EQ(to_bytes(k.server_write_iv.view()), to_bytes(e.subspan(2 * key + iv, iv)));
    // The record layer takes them as they are: the client's records open with the same block.
    record::Protection w, r;
    ASSERT_TRUE(w.install(aead, k.client_write_key.view(), k.client_write_iv.view(), record::RecordForm::tls12));
    ASSERT_TRUE(r.install(aead, k.client_write_key.view(), k.client_write_iv.view(), record::RecordForm::tls12));
    Buffer wire;
    ASSERT_TRUE(w.seal(record::ContentType::application_data, Bytes{1, 2, 3}, 0, wire));
    Bytes rec = to_bytes(wire.view());
    auto opened = r.open(ByteView(rec).first(5), ByteView(rec).subspan(5), MutByteView(rec).subspan(5));
    ASSERT_TRUE(opened);
    EXPECT_EQ(to_bytes(opened->plaintext), (Bytes{1, 2, 3}));
  }
}

TEST_P(Tls12Prf, FinishedIsTwelveBytesPerSideComparedInConstantTime) {
  const HashAlg h = GetParam();
  const Bytes ms = seq_bytes(3, 48), th = seq_bytes(5, crypto::hash_len(h));
  const auto c = finished_verify_data(h, ms, true, th);
  const auto s = finished_verify_data(h, ms, false, th);
  EXPECT_EQ(to_bytes(c), openssl_prf(h, ms, concat("client finished", {th}), 12));
  EXPECT_EQ(to_bytes(s), openssl_prf(h, ms, concat("server finished", {th}), 12));
  EXPECT_TRUE(finished_matches(h, ms, true, th, c));
  EXPECT_FALSE(finished_matches(h, ms, false, th, c));
  Bytes bad = to_bytes(c);
  bad[11] ^= 1;
  EXPECT_FALSE(finished_matches(h, ms, true, th, bad));
  EXPECT_FALSE(finished_matches(h, ms, true, th, ByteView(c).first(11)));
}

TEST_P(Tls12Prf, ExportersFollowRfc5705) {
  const HashAlg h = GetParam();
  const Bytes ms = seq_bytes(3, 48), cr = seq_bytes(40, 32), sr = seq_bytes(80, 32), ctx = seq_bytes(1, 5);
  Bytes none(32), empty(32), with(32);
  ASSERT_TRUE(export_keying_material(h, ms, "EXPERIMENTAL test", cr, sr, nullptr, none));
  const ByteView empty_ctx;
  ASSERT_TRUE(export_keying_material(h, ms, "EXPERIMENTAL test", cr, sr, &empty_ctx, empty));
  const ByteView c(ctx);
  ASSERT_TRUE(export_keying_material(h, ms, "EXPERIMENTAL test", cr, sr, &c, with));
  EXPECT_EQ(none, openssl_prf(h, ms, concat("EXPERIMENTAL test", {cr, sr}), 32));
  const uint8_t len0[2] = {0, 0}, len5[2] = {0, 5};
  EXPECT_EQ(empty, openssl_prf(h, ms, concat("EXPERIMENTAL test", {cr, sr, len0}), 32));
  EXPECT_EQ(with, openssl_prf(h, ms, concat("EXPERIMENTAL test", {cr, sr, len5, ctx}), 32));
  EXPECT_NE(none, empty);
  auto reserved = export_keying_material(h, ms, "key expansion", cr, sr, nullptr, none);
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error().message.find("reserved"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Hashes, Tls12Prf, ::testing::Values(HashAlg::sha256, HashAlg::sha384),
                         [](const auto& param_info) {
                           return std::string(param_info.param == HashAlg::sha256 ? "SHA256" : "SHA384");
                         });

}  // namespace
}  // namespace tlspp::keysched::tls12
