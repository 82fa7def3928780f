#include "record/record.h"

#include <algorithm>
#include <string>

#include <cstring>

#include "crypto/secret.h"

namespace tlspp::record {

namespace {

bool known_content_type(uint8_t t) {
  return t == 20 || t == 21 || t == 22 || t == 23;
}

void put_header(uint8_t* h, ContentType type, uint16_t version, size_t len) {
  h[0] = static_cast<uint8_t>(type);
  h[1] = static_cast<uint8_t>(version >> 8);
  h[2] = static_cast<uint8_t>(version);
  h[3] = static_cast<uint8_t>(len >> 8);
  h[4] = static_cast<uint8_t>(len);
}

}  // namespace

namespace {

// The length of the record whose header starts `avail`: nullopt while the header is
// incomplete. The header is checked as soon as it is complete (the type as soon as its byte
// arrives), before the body: a peer announcing an impossible record learns so at once.
Result<std::optional<size_t>> record_length(ByteView avail) {
  if (avail.size() >= 1 && !known_content_type(avail[0]))
    return fail(Error::unexpected("record of unknown content type " + std::to_string(avail[0])));
  if (avail.size() < kHeaderLen) return std::nullopt;
  const size_t len = (size_t{avail[3]} << 8) | avail[4];
  if (len > kMaxCiphertext)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::record_overflow,
                      "record of " + std::to_string(len) + " bytes exceeds the limit of " +
                          std::to_string(kMaxCiphertext)});
  return len;
}

Record make_record(MutByteView bytes, size_t len, bool writable) {
  Record rec;
  rec.type = static_cast<ContentType>(bytes[0]);
  rec.version = static_cast<uint16_t>((bytes[1] << 8) | bytes[2]);
  rec.header = bytes.first(kHeaderLen);
  rec.body = bytes.subspan(kHeaderLen, len);
  rec.writable = writable;
  return rec;
}

}  // namespace

Result<std::optional<Record>> Deframer::next() {
  ByteView none;
  return next(none, false);
}

Result<std::optional<Record>> Deframer::next(ByteView& input, bool zero_copy) {
  buf_.consume(pending_consume_);
  pending_consume_ = 0;
  const auto take = [&](size_t n) {
    n = std::min(n, input.size());
    buf_.append(input.first(n));
    input = input.subspan(n);
  };
  if (buf_.size() == 0) {
    auto len = record_length(input);
    if (!len) return std::unexpected(len.error());
    if (zero_copy && *len && input.size() >= kHeaderLen + **len) {
      // The record is read where the caller has it; nothing is copied.
      MutByteView bytes(const_cast<uint8_t*>(input.data()), kHeaderLen + **len);
      input = input.subspan(kHeaderLen + **len);
      return make_record(bytes, **len, false);
    }
  }
  // Complete the header, then the body, of the record at the front of the buffer.
  if (buf_.size() < kHeaderLen) take(kHeaderLen - buf_.size());
  auto len = record_length(buf_.view());
  if (!len) return std::unexpected(len.error());
  if (!*len) return std::nullopt;
  if (buf_.size() < kHeaderLen + **len) take(kHeaderLen + **len - buf_.size());
  if (buf_.size() < kHeaderLen + **len) return std::nullopt;
  pending_consume_ = kHeaderLen + **len;
  return make_record(buf_.mut_view(), **len, true);
}

void write_plaintext_record(Buffer& out, ContentType type, ByteView fragment, uint16_t version) {
  MutByteView dst = out.append_uninit(kHeaderLen + fragment.size());
  put_header(dst.data(), type, version, fragment.size());
  if (!fragment.empty()) std::memcpy(dst.data() + kHeaderLen, fragment.data(), fragment.size());
}

Status Protection::install(crypto::AeadAlg aead, ByteView key, ByteView iv, RecordForm form) {
  // RFC 5288 §3: AES-GCM in TLS 1.2 takes a 4-byte salt from the key block; every other
  // form a 12-byte IV (RFC 8446 §5.3, RFC 7905 §2).
  const bool gcm12 = form == RecordForm::tls12 && aead != crypto::AeadAlg::chacha20poly1305;
  const size_t iv_len = gcm12 ? 4 : crypto::kAeadNonceLen;
  if (iv.size() != iv_len)
    return fail(Error::internal("record IV of " + std::to_string(iv.size()) + " bytes; this form needs " +
                                std::to_string(iv_len)));
  TLSPP_TRY(aead_.set_key(aead, key));
  std::memset(iv_, 0, sizeof iv_);
  std::memcpy(iv_, iv.data(), iv.size());
  form_ = form;
  explicit_nonce_ = gcm12;
  seq_ = 0;
  return {};
}

void Protection::nonce(uint8_t (&out)[crypto::kAeadNonceLen]) const {
  std::memcpy(out, iv_, sizeof out);
  if (explicit_nonce_) {
    // RFC 5288 §3: salt || nonce_explicit, the explicit part being the sequence number.
    for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(seq_ >> (8 * (7 - i)));
    return;
  }
  // RFC 8446 §5.3 and RFC 7905 §2: the 64-bit sequence number, big-endian and left-padded
  // to the IV length, XORed with the IV.
  for (int i = 0; i < 8; ++i) out[crypto::kAeadNonceLen - 1 - i] ^= static_cast<uint8_t>(seq_ >> (8 * i));
}

void Protection::tls12_additional_data(uint8_t (&aad)[13], ContentType type, uint16_t version, size_t length) const {
  // RFC 5246 §6.2.3.3: seq_num + TLSCompressed.type + TLSCompressed.version +
  // TLSCompressed.length (the plaintext's length).
  for (int i = 0; i < 8; ++i) aad[i] = static_cast<uint8_t>(seq_ >> (8 * (7 - i)));
  put_header(aad + 8, type, version, length);
}

Status Protection::check_sequence() const {
  // RFC 8446 §5.3: a sequence number must never wrap; rekey or close first.
  if (seq_ == UINT64_MAX)
    return fail(Error::internal("record sequence number exhausted; the connection must be re-keyed"));
  return {};
}

Status Protection::seal(ContentType type, ByteView plaintext, size_t padding, Buffer& out) {
  const MutByteView dst = out.append_uninit(sealed_size(plaintext.size(), padding));
  if (auto s = seal(type, plaintext, padding, dst); !s) {
    out.trim_tail(dst.size());
    return s;
  }
  return {};
}

Status Protection::seal(ContentType type, ByteView plaintext, size_t padding, MutByteView dst) {
  if (form_ == RecordForm::tls12) return seal12(type, plaintext, dst);
  const size_t inner = plaintext.size() + 1 + padding;
  if (inner > kMaxInnerPlaintext)
    return fail(Error::internal("record plaintext of " + std::to_string(inner) + " bytes is over the limit"));
  if (dst.size() != sealed_size(plaintext.size(), padding))
    return fail(Error::internal("record buffer of the wrong size"));
  TLSPP_TRY(check_sequence());
  const size_t body_len = inner + crypto::kAeadTagLen;
  // §5.2: the outer record is always application_data with legacy version 0x0303; the
  // header is the additional data.
  put_header(dst.data(), ContentType::application_data, kLegacyVersion, body_len);
  uint8_t* body = dst.data() + kHeaderLen;
  // TLSInnerPlaintext = content || type || zeros (§5.4). The content is encrypted straight
  // from the caller's buffer into the record; only the short trailer is assembled here.
  uint8_t small[64];
  Bytes large;
  uint8_t* trailer = small;
  if (1 + padding > sizeof small) {
    large.assign(1 + padding, 0);
    trailer = large.data();
  } else {
    std::memset(small, 0, 1 + padding);
  }
  trailer[0] = static_cast<uint8_t>(type);
  uint8_t n[crypto::kAeadNonceLen];
  nonce(n);
  TLSPP_TRY(aead_.seal(n, dst.first(kHeaderLen), plaintext, ByteView(trailer, 1 + padding),
                       MutByteView(body, body_len)));
  ++seq_;
  return {};
}

Result<Opened> Protection::open(ByteView header, ByteView body, MutByteView out) {
  if (form_ == RecordForm::tls12) return open12(header, body, out);
  if (body.size() > kMaxCiphertext)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::record_overflow,
                      "protected record of " + std::to_string(body.size()) + " bytes is over the limit"});
  if (body.size() < crypto::kAeadTagLen + 1)
    return fail(Error::crypto(AlertDescription::bad_record_mac,
                              "protected record of " + std::to_string(body.size()) +
                                  " bytes is too short to hold a tag and a content type"));
  TLSPP_TRY(check_sequence());
  uint8_t n[crypto::kAeadNonceLen];
  nonce(n);
  const size_t inner_len = body.size() - crypto::kAeadTagLen;
  TLSPP_TRY(aead_.open(n, header, body, out.first(inner_len)));
  ++seq_;
  if (inner_len > kMaxInnerPlaintext)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::record_overflow,
                      "decrypted record of " + std::to_string(inner_len) + " bytes exceeds 2^14+1"});
  // §5.4: the content type is the last non-zero byte; zeros after it are padding.
  size_t i = inner_len;
  while (i > 0 && out[i - 1] == 0) --i;
  if (i == 0)
    return fail(Error::unexpected("protected record holds only padding, no content type"));
  const uint8_t type = out[i - 1];
  if (!known_content_type(type) || type == static_cast<uint8_t>(ContentType::change_cipher_spec))
    return fail(Error::unexpected("protected record of inner content type " + std::to_string(type)));
  return Opened{static_cast<ContentType>(type), out.first(i - 1)};
}

Status Protection::seal12(ContentType type, ByteView plaintext, MutByteView dst) {
  if (plaintext.size() > kMaxPlaintext)
    return fail(Error::internal("record plaintext of " + std::to_string(plaintext.size()) + " bytes is over 2^14"));
  if (dst.size() != sealed_size(plaintext.size()))
    return fail(Error::internal("record buffer of the wrong size"));
  TLSPP_TRY(check_sequence());
  const size_t explicit_len = explicit_nonce_ ? kExplicitNonceLen : 0;
  put_header(dst.data(), type, kLegacyVersion, dst.size() - kHeaderLen);
  uint8_t n[crypto::kAeadNonceLen];
  nonce(n);
  if (explicit_nonce_) std::memcpy(dst.data() + kHeaderLen, n + 4, kExplicitNonceLen);
  uint8_t aad[13];
  tls12_additional_data(aad, type, kLegacyVersion, plaintext.size());
  TLSPP_TRY(aead_.seal(n, aad, plaintext, dst.subspan(kHeaderLen + explicit_len)));
  ++seq_;
  return {};
}

Result<Opened> Protection::open12(ByteView header, ByteView body, MutByteView out) {
  const size_t explicit_len = explicit_nonce_ ? kExplicitNonceLen : 0;
  if (body.size() < explicit_len + crypto::kAeadTagLen)
    return fail(Error::crypto(AlertDescription::bad_record_mac,
                              "protected record of " + std::to_string(body.size()) + " bytes is too short"));
  const size_t plain_len = body.size() - explicit_len - crypto::kAeadTagLen;
  // RFC 5246 §6.2.3: the plaintext is at most 2^14 bytes.
  if (plain_len > kMaxPlaintext)
    return fail(Error{ErrorKind::peer_misbehaved, AlertDescription::record_overflow,
                      "protected record carries " + std::to_string(plain_len) + " bytes, over 2^14"});
  TLSPP_TRY(check_sequence());
  uint8_t n[crypto::kAeadNonceLen];
  nonce(n);
  // RFC 5288 §3: the explicit part is whatever the sender chose; it is authenticated by
  // being part of the nonce.
  if (explicit_nonce_) std::memcpy(n + 4, body.data(), kExplicitNonceLen);
  const auto type = static_cast<ContentType>(header[0]);
  const uint16_t version = static_cast<uint16_t>((header[1] << 8) | header[2]);
  uint8_t aad[13];
  tls12_additional_data(aad, type, version, plain_len);
  // In place, the plaintext stays where its ciphertext was (after the explicit nonce):
  // OpenSSL refuses partly overlapping input and output. Elsewhere it starts `out`.
  const MutByteView dst = out.data() == body.data() ? out.subspan(explicit_len, plain_len) : out.first(plain_len);
  TLSPP_TRY(aead_.open(n, aad, body.subspan(explicit_len), dst));
  ++seq_;
  return Opened{type, dst};
}

Status write_records(ContentType type, ByteView data, size_t max_fragment, Protection* protection, Buffer& out) {
  max_fragment = std::clamp<size_t>(max_fragment, 1, kMaxPlaintext);
  const bool protect = protection != nullptr && protection->active();
  do {
    const size_t n = std::min(max_fragment, data.size());
    if (protect) {
      TLSPP_TRY(protection->seal(type, data.first(n), 0, out));
    } else {
      write_plaintext_record(out, type, data.first(n));
    }
    data = data.subspan(n);
  } while (!data.empty());
  return {};
}

}  // namespace tlspp::record
