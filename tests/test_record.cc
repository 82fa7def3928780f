// Record layer alone: framing for every split of the input, limits, and TLS 1.3 record
// protection (RFC 8446 §5) including tampering, padding and sequence numbers.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "crypto/aead.h"
#include "keysched/tls13.h"
#include "record/record.h"
#include "support/record_keys.h"

namespace tlspp::record {
namespace {

using crypto::AeadAlg;
using crypto::HashAlg;

Bytes secret_bytes(uint8_t seed, size_t n = 32) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), seed);
  return b;
}

Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

std::string aead_param_name(const ::testing::TestParamInfo<AeadAlg>& info) {
  switch (info.param) {
    case AeadAlg::aes128gcm: return "AES128GCM";
    case AeadAlg::aes256gcm: return "AES256GCM";
    default: return "CHACHA20POLY1305";
  }
}

struct Pair {
  record::Protection writer, reader;
  explicit Pair(AeadAlg aead, HashAlg hash = HashAlg::sha256) {
    const Bytes secret = secret_bytes(7, crypto::hash_len(hash));
    EXPECT_TRUE(test::install_tls13(writer, aead, hash, secret));
    EXPECT_TRUE(test::install_tls13(reader, aead, hash, secret));
  }
};

// Feeds `wire` to a deframer in chunks of `chunk` bytes and collects every record.
std::vector<std::pair<ContentType, Bytes>> deframe_all(ByteView wire, size_t chunk) {
  Deframer d;
  std::vector<std::pair<ContentType, Bytes>> out;
  for (size_t i = 0; i < wire.size(); i += chunk) {
    d.feed(wire.subspan(i, std::min(chunk, wire.size() - i)));
    for (;;) {
      auto r = d.next();
      EXPECT_TRUE(r.has_value());
      if (!r || !*r) break;
      out.emplace_back((*r)->type, to_bytes((*r)->body));
    }
  }
  EXPECT_EQ(d.buffered(), 0u);
  return out;
}

TEST(Deframer, AnySplitOfTheInputGivesTheSameRecords) {
  Buffer wire;
  write_plaintext_record(wire, ContentType::handshake, secret_bytes(1, 300));
  write_plaintext_record(wire, ContentType::alert, Bytes{2, 40});
  write_plaintext_record(wire, ContentType::application_data, {});
  write_plaintext_record(wire, ContentType::change_cipher_spec, Bytes{1});
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}, size_t{64}, wire.size()}) {
    SCOPED_TRACE(chunk);
    auto recs = deframe_all(wire.view(), chunk);
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[0].first, ContentType::handshake);
    EXPECT_EQ(recs[0].second, secret_bytes(1, 300));
    EXPECT_EQ(recs[1].first, ContentType::alert);
    EXPECT_EQ(recs[1].second, (Bytes{2, 40}));
    EXPECT_EQ(recs[2].first, ContentType::application_data);
    EXPECT_TRUE(recs[2].second.empty());
    EXPECT_EQ(recs[3].first, ContentType::change_cipher_spec);
  }
}

TEST(Deframer, OversizeRecordIsRecordOverflowAsSoonAsTheHeaderArrives) {
  Deframer d;
  const size_t len = kMaxCiphertext + 1;
  d.feed(Bytes{23, 3, 3, uint8_t(len >> 8), uint8_t(len)});
  auto r = d.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().alert, AlertDescription::record_overflow);
  EXPECT_NE(r.error().message.find("16641"), std::string::npos) << r.error().message;
}

TEST(Deframer, LargestAllowedCiphertextIsAccepted) {
  Deframer d;
  const size_t len = kMaxCiphertext;
  d.feed(Bytes{23, 3, 3, uint8_t(len >> 8), uint8_t(len)});
  d.feed(Bytes(len, 0xaa));
  auto r = d.next();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->body.size(), len);
}

TEST(Deframer, UnknownContentTypeIsUnexpectedMessageAfterOneByte) {
  for (uint8_t t : {uint8_t{0}, uint8_t{19}, uint8_t{24}, uint8_t{0x80}, uint8_t{0xff}}) {
    Deframer d;
    d.feed(Bytes{t});
    auto r = d.next();
    ASSERT_FALSE(r) << int(t);
    EXPECT_EQ(r.error().alert, AlertDescription::unexpected_message);
  }
}

TEST(Deframer, ReleasesItsBufferWhenIdle) {
  Deframer d;
  Buffer wire;
  write_plaintext_record(wire, ContentType::handshake, secret_bytes(0, 1000));
  d.feed(wire.view());
  auto r = d.next();
  ASSERT_TRUE(r && *r);
  ASSERT_TRUE(d.next().has_value());  // consumes the record
  d.release_if_empty();
  EXPECT_EQ(d.capacity(), 0u);
}

class Tls13Protection : public ::testing::TestWithParam<AeadAlg> {};

TEST_P(Tls13Protection, SealOpenRoundTripWithPaddingVariants) {
  Pair p(GetParam());
  for (size_t pad : {size_t{0}, size_t{1}, size_t{255}, kMaxInnerPlaintext - 1 - 100}) {
    SCOPED_TRACE(pad);
    const Bytes msg = secret_bytes(3, 100);
    Buffer wire;
    ASSERT_TRUE(p.writer.seal(ContentType::handshake, msg, pad, wire));
    EXPECT_EQ(wire.size(), kHeaderLen + msg.size() + 1 + pad + 16);
    EXPECT_EQ(wire.view()[0], 23);  // outer type is always application_data
    Deframer d;
    d.feed(wire.view());
    auto rec = d.next();
    ASSERT_TRUE(rec && *rec);
    auto opened = p.reader.open(**rec);
    ASSERT_TRUE(opened) << opened.error().to_string();
    EXPECT_EQ(opened->type, ContentType::handshake);
    EXPECT_EQ(to_bytes(opened->plaintext), msg);
  }
  EXPECT_EQ(p.writer.sequence(), 4u);
  EXPECT_EQ(p.reader.sequence(), 4u);
}

TEST_P(Tls13Protection, OverLongPlaintextIsRefusedWhenSealing) {
  Pair p(GetParam());
  Buffer wire;
  EXPECT_FALSE(p.writer.seal(ContentType::application_data, Bytes(kMaxPlaintext + 1), 0, wire));
  EXPECT_FALSE(p.writer.seal(ContentType::application_data, Bytes(kMaxPlaintext), 1, wire));
  EXPECT_TRUE(p.writer.seal(ContentType::application_data, Bytes(kMaxPlaintext), 0, wire));
}

// Every kind of tampering gives bad_record_mac.
TEST_P(Tls13Protection, TamperedTagHeaderBodyOrSequenceIsBadRecordMac) {
  for (int what = 0; what < 4; ++what) {
    SCOPED_TRACE(what);
    Pair p(GetParam());
    Buffer wire;
    ASSERT_TRUE(p.writer.seal(ContentType::application_data, secret_bytes(9, 64), 0, wire));
    MutByteView w = wire.mut_view();
    if (what == 0) w[w.size() - 1] ^= 1;   // tag
    if (what == 1) w[2] ^= 1;              // header (legacy version): additional data
    if (what == 2) w[kHeaderLen + 3] ^= 0x80;  // ciphertext
    if (what == 3) p.reader.set_sequence(1);   // out-of-order sequence number
    Deframer d;
    d.feed(wire.view());
    auto rec = d.next();
    ASSERT_TRUE(rec && *rec);
    auto opened = p.reader.open(**rec);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().alert, AlertDescription::bad_record_mac);
  }
}

TEST_P(Tls13Protection, ReplayedRecordFailsBecauseTheSequenceMoved) {
  Pair p(GetParam());
  Buffer wire;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, secret_bytes(1, 10), 0, wire));
  const Bytes copy = to_bytes(wire.view());
  Deframer d;
  d.feed(copy);
  d.feed(copy);
  auto first = d.next();
  ASSERT_TRUE(first && *first);
  ASSERT_TRUE(p.reader.open(**first));
  auto second = d.next();
  ASSERT_TRUE(second && *second);
  auto opened = p.reader.open(**second);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().alert, AlertDescription::bad_record_mac);
}

TEST_P(Tls13Protection, AllZeroInnerPlaintextIsUnexpectedMessage) {
  Pair p(GetParam());
  Buffer wire;
  // A content type of 0 followed by zero padding: no non-zero byte at all (RFC 8446 §5.4).
  ASSERT_TRUE(p.writer.seal(ContentType::invalid, {}, 20, wire));
  Deframer d;
  d.feed(wire.view());
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  auto opened = p.reader.open(**rec);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().alert, AlertDescription::unexpected_message);
}

TEST_P(Tls13Protection, InnerPlaintextOver2To14Plus1IsRecordOverflow) {
  // Build the record with the raw AEAD, as a hostile peer would.
  const AeadAlg aead = GetParam();
  const Bytes secret = secret_bytes(7, 32);
  const auto keys = keysched::traffic_keys(HashAlg::sha256, aead, secret);
  crypto::AeadCtx ctx;
  ASSERT_TRUE(ctx.set_key(aead, keys.key.view()));
  uint8_t nonce[12];
  std::memcpy(nonce, keys.iv.view().data(), 12);  // sequence number 0
  const size_t inner = kMaxInnerPlaintext + 1;
  Bytes wire(kHeaderLen + inner + 16);
  const size_t body = inner + 16;
  wire[0] = 23; wire[1] = 3; wire[2] = 3; wire[3] = uint8_t(body >> 8); wire[4] = uint8_t(body);
  std::fill(wire.begin() + kHeaderLen, wire.begin() + kHeaderLen + inner, 0x41);
  ASSERT_TRUE(ctx.seal(nonce, ByteView(wire).first(kHeaderLen),
                       ByteView(wire).subspan(kHeaderLen, inner), MutByteView(wire).subspan(kHeaderLen)));
  record::Protection reader;
  ASSERT_TRUE(test::install_tls13(reader, aead, HashAlg::sha256, secret));
  Deframer d;
  d.feed(wire);
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  auto opened = reader.open(**rec);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().alert, AlertDescription::record_overflow);
}

TEST_P(Tls13Protection, TooShortForATagIsBadRecordMac) {
  Pair p(GetParam());
  Deframer d;
  d.feed(Bytes{23, 3, 3, 0, 16});
  d.feed(Bytes(16, 0));
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  auto opened = p.reader.open(**rec);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().alert, AlertDescription::bad_record_mac);
}

TEST_P(Tls13Protection, SequenceNumberNeverWraps) {
  Pair p(GetParam());
  p.writer.set_sequence(UINT64_MAX - 1);
  Buffer wire;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, Bytes{1}, 0, wire));
  auto s = p.writer.seal(ContentType::application_data, Bytes{1}, 0, wire);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("sequence"), std::string::npos);
}

TEST_P(Tls13Protection, ReinstallRekeysAndResetsTheSequence) {
  Pair p(GetParam());
  Buffer wire;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, Bytes{1, 2, 3}, 0, wire));
  const Bytes next_secret = secret_bytes(50, 32);
  ASSERT_TRUE(test::install_tls13(p.writer, GetParam(), HashAlg::sha256, next_secret));
  EXPECT_EQ(p.writer.sequence(), 0u);
  Buffer wire2;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, Bytes{1, 2, 3}, 0, wire2));
  // The old reader key no longer opens it; a reader on the new key does.
  Deframer d;
  d.feed(wire2.view());
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  record::Protection fresh;
  ASSERT_TRUE(test::install_tls13(fresh, GetParam(), HashAlg::sha256, next_secret));
  EXPECT_TRUE(fresh.open(**rec));
}

TEST_P(Tls13Protection, FragmenterSplitsAtTheLimitAndReassembles) {
  for (size_t limit : {size_t{1000}, kMaxPlaintext, size_t{64}}) {
    SCOPED_TRACE(limit);
    Pair p(GetParam());
    Bytes data(100000);
    std::iota(data.begin(), data.end(), 0);
    Buffer wire;
    ASSERT_TRUE(write_records(ContentType::application_data, data, limit, &p.writer, wire));
    Deframer d;
    d.feed(wire.view());
    Bytes back;
    size_t records = 0;
    for (;;) {
      auto rec = d.next();
      ASSERT_TRUE(rec);
      if (!*rec) break;
      auto opened = p.reader.open(**rec);
      ASSERT_TRUE(opened);
      EXPECT_LE(opened->plaintext.size(), limit);
      back.insert(back.end(), opened->plaintext.begin(), opened->plaintext.end());
      ++records;
    }
    EXPECT_EQ(back, data);
    EXPECT_EQ(records, (data.size() + limit - 1) / limit);
  }
}

INSTANTIATE_TEST_SUITE_P(AllAeads, Tls13Protection,
                         ::testing::Values(AeadAlg::aes128gcm, AeadAlg::aes256gcm, AeadAlg::chacha20poly1305),
                         aead_param_name);

// --- TLS 1.2 AEAD records (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905) --------------------------

class Tls12Protection : public ::testing::TestWithParam<AeadAlg> {
 protected:
  [[nodiscard]] static bool gcm() { return GetParam() != AeadAlg::chacha20poly1305; }
  [[nodiscard]] Bytes key() const { return secret_bytes(3, crypto::aead_key_len(GetParam())); }
  [[nodiscard]] Bytes iv() const { return secret_bytes(40, gcm() ? 4 : 12); }
  void install(record::Protection& p) const { ASSERT_TRUE(p.install(GetParam(), key(), iv(), RecordForm::tls12)); }
};

TEST_P(Tls12Protection, RecordLayoutMatchesTheRfcConstruction) {
  record::Protection w;
  install(w);
  const Bytes msg = {'h', 'e', 'l', 'l', 'o'};
  Buffer wire;
  ASSERT_TRUE(w.seal(ContentType::application_data, Bytes{'x'}, 0, wire));  // seq 0
  wire.clear();
  ASSERT_TRUE(w.seal(ContentType::application_data, msg, 0, wire));  // seq 1
  const ByteView rec = wire.view();
  const size_t explicit_len = gcm() ? 8 : 0;
  ASSERT_EQ(rec.size(), 5 + explicit_len + msg.size() + 16);
  // The true content type and version are outside (no inner type as in TLS 1.3).
  EXPECT_EQ(rec[0], 23);
  EXPECT_EQ(rec[1], 3);
  EXPECT_EQ(rec[2], 3);
  EXPECT_EQ((size_t{rec[3]} << 8) | rec[4], explicit_len + msg.size() + 16);
  // Decrypt independently: nonce = salt || seq (GCM, the explicit part on the wire) or
  // IV xor seq (ChaCha20); additional data = seq_num || type || version || length.
  uint8_t nonce[12] = {};
  const Bytes v = iv();
  std::memcpy(nonce, v.data(), v.size());
  if (gcm()) {
    const Bytes seq1 = {0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(to_bytes(rec.subspan(5, 8)), seq1);
    std::memcpy(nonce + 4, rec.data() + 5, 8);
  } else {
    nonce[11] ^= 1;
  }
  const uint8_t aad[13] = {0, 0, 0, 0, 0, 0, 0, 1, 23, 3, 3, 0, 5};
  crypto::AeadCtx ctx;
  ASSERT_TRUE(ctx.set_key(GetParam(), key()));
  Bytes plain(msg.size());
  ASSERT_TRUE(ctx.open(nonce, aad, rec.subspan(5 + explicit_len), plain));
  EXPECT_EQ(plain, msg);
}

TEST_P(Tls12Protection, OpensInPlaceAndIntoAnotherBuffer) {
  record::Protection w, r1, r2;
  install(w);
  install(r1);
  install(r2);
  const Bytes msg = secret_bytes(9, 1000);
  Buffer wire;
  ASSERT_TRUE(w.seal(ContentType::handshake, msg, 0, wire));
  Bytes copy = to_bytes(wire.view());
  Deframer d;
  d.feed(copy);
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  auto in_place = r1.open(**rec);
  ASSERT_TRUE(in_place) << in_place.error().to_string();
  EXPECT_EQ(in_place->type, ContentType::handshake);
  EXPECT_EQ(to_bytes(in_place->plaintext), msg);
  // Into another buffer, the plaintext starts that buffer.
  Bytes out(copy.size());
  auto elsewhere = r2.open(ByteView(copy).first(5), ByteView(copy).subspan(5), out);
  ASSERT_TRUE(elsewhere) << elsewhere.error().to_string();
  EXPECT_EQ(elsewhere->plaintext.data(), out.data());
  EXPECT_EQ(to_bytes(elsewhere->plaintext), msg);
}

TEST_P(Tls12Protection, HeaderTypeAndSequenceAreAuthenticated) {
  record::Protection w;
  install(w);
  Buffer wire;
  ASSERT_TRUE(w.seal(ContentType::application_data, Bytes{1, 2, 3}, 0, wire));
  {
    Bytes rec = to_bytes(wire.view());
    rec[0] = 22;  // claims to be handshake: the additional data differs
    record::Protection r;
    install(r);
    auto o = r.open(ByteView(rec).first(5), ByteView(rec).subspan(5), MutByteView(rec).subspan(5));
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().alert, AlertDescription::bad_record_mac);
  }
  {
    Bytes rec = to_bytes(wire.view());
    record::Protection r;
    install(r);
    r.set_sequence(1);
    auto o = r.open(ByteView(rec).first(5), ByteView(rec).subspan(5), MutByteView(rec).subspan(5));
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().alert, AlertDescription::bad_record_mac);
  }
}

TEST_P(Tls12Protection, LimitsAreRecordOverflowAndBadRecordMac) {
  record::Protection r;
  install(r);
  const size_t explicit_len = gcm() ? 8 : 0;
  Bytes too_long(explicit_len + kMaxPlaintext + 1 + 16, 0);
  const uint8_t header[5] = {23, 3, 3, 0, 0};
  auto o = r.open(header, too_long, too_long);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().alert, AlertDescription::record_overflow);
  Bytes too_short(explicit_len + 15, 0);
  o = r.open(header, too_short, too_short);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().alert, AlertDescription::bad_record_mac);
  record::Protection w;
  install(w);
  Buffer wire;
  EXPECT_FALSE(w.seal(ContentType::application_data, Bytes(kMaxPlaintext + 1, 0), 0, wire));
  // An IV of the other form's length is refused.
  record::Protection bad;
  EXPECT_FALSE(bad.install(GetParam(), key(), secret_bytes(1, gcm() ? 12 : 4), RecordForm::tls12));
}

INSTANTIATE_TEST_SUITE_P(AllAeads, Tls12Protection,
                         ::testing::Values(AeadAlg::aes128gcm, AeadAlg::aes256gcm, AeadAlg::chacha20poly1305),
                         aead_param_name);

TEST(PlaintextRecords, FragmenterWritesUnprotectedRecordsWhenNoKeys) {
  Buffer wire;
  ASSERT_TRUE(write_records(ContentType::handshake, Bytes(40000, 7), kMaxPlaintext, nullptr, wire));
  auto recs = deframe_all(wire.view(), 4096);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].second.size(), kMaxPlaintext);
  EXPECT_EQ(recs[2].second.size(), 40000 - 2 * kMaxPlaintext);
}

}  // namespace
}  // namespace tlspp::record
