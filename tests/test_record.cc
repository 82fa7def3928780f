// Record layer alone: framing for every split of the input, limits, and TLS 1.3 record
// protection (RFC 8446 §5) including tampering, padding and sequence numbers.
#include <gtest/gtest.h>

#include <numeric>

#include "crypto/aead.h"
#include "keysched/tls13.h"
#include "record/record.h"

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

struct Pair {
  Tls13Protection writer, reader;
  explicit Pair(AeadAlg aead, HashAlg hash = HashAlg::sha256) {
    const Bytes secret = secret_bytes(7, crypto::hash_len(hash));
    EXPECT_TRUE(writer.install(aead, hash, secret));
    EXPECT_TRUE(reader.install(aead, hash, secret));
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

class Protection : public ::testing::TestWithParam<AeadAlg> {};

TEST_P(Protection, SealOpenRoundTripWithPaddingVariants) {
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

TEST_P(Protection, OverLongPlaintextIsRefusedWhenSealing) {
  Pair p(GetParam());
  Buffer wire;
  EXPECT_FALSE(p.writer.seal(ContentType::application_data, Bytes(kMaxPlaintext + 1), 0, wire));
  EXPECT_FALSE(p.writer.seal(ContentType::application_data, Bytes(kMaxPlaintext), 1, wire));
  EXPECT_TRUE(p.writer.seal(ContentType::application_data, Bytes(kMaxPlaintext), 0, wire));
}

// Every kind of tampering gives bad_record_mac.
TEST_P(Protection, TamperedTagHeaderBodyOrSequenceIsBadRecordMac) {
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

TEST_P(Protection, ReplayedRecordFailsBecauseTheSequenceMoved) {
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

TEST_P(Protection, AllZeroInnerPlaintextIsUnexpectedMessage) {
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

TEST_P(Protection, InnerPlaintextOver2To14Plus1IsRecordOverflow) {
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
  Tls13Protection reader;
  ASSERT_TRUE(reader.install(aead, HashAlg::sha256, secret));
  Deframer d;
  d.feed(wire);
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  auto opened = reader.open(**rec);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().alert, AlertDescription::record_overflow);
}

TEST_P(Protection, TooShortForATagIsBadRecordMac) {
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

TEST_P(Protection, SequenceNumberNeverWraps) {
  Pair p(GetParam());
  p.writer.set_sequence(UINT64_MAX - 1);
  Buffer wire;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, Bytes{1}, 0, wire));
  auto s = p.writer.seal(ContentType::application_data, Bytes{1}, 0, wire);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("sequence"), std::string::npos);
}

TEST_P(Protection, ReinstallRekeysAndResetsTheSequence) {
  Pair p(GetParam());
  Buffer wire;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, Bytes{1, 2, 3}, 0, wire));
  const Bytes next_secret = secret_bytes(50, 32);
  ASSERT_TRUE(p.writer.install(GetParam(), HashAlg::sha256, next_secret));
  EXPECT_EQ(p.writer.sequence(), 0u);
  Buffer wire2;
  ASSERT_TRUE(p.writer.seal(ContentType::application_data, Bytes{1, 2, 3}, 0, wire2));
  // The old reader key no longer opens it; a reader on the new key does.
  Deframer d;
  d.feed(wire2.view());
  auto rec = d.next();
  ASSERT_TRUE(rec && *rec);
  Tls13Protection fresh;
  ASSERT_TRUE(fresh.install(GetParam(), HashAlg::sha256, next_secret));
  EXPECT_TRUE(fresh.open(**rec));
}

TEST_P(Protection, FragmenterSplitsAtTheLimitAndReassembles) {
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

INSTANTIATE_TEST_SUITE_P(AllAeads, Protection,
                         ::testing::Values(AeadAlg::aes128gcm, AeadAlg::aes256gcm, AeadAlg::chacha20poly1305),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case AeadAlg::aes128gcm: return std::string("AES128GCM");
                             case AeadAlg::aes256gcm: return std::string("AES256GCM");
                             default: return std::string("CHACHA20POLY1305");
                           }
                         });

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
