// The TLS record layer (RFC 8446 §5, RFC 5246 §6.2): framing, record protection in the
// TLS 1.3 and TLS 1.2 AEAD forms, fragmentation. It knows records and content types, never
// handshake messages, and takes keys, not secrets: deriving them is the key schedule's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/buffer.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "tlspp/error.h"
#include "tlspp/types.h"
#include "wire/types.h"

namespace tlspp::record {

using wire::ContentType;

inline constexpr size_t kHeaderLen = 5;
inline constexpr size_t kMaxPlaintext = 1u << 14;               // RFC 8446 §5.1
inline constexpr size_t kMaxInnerPlaintext = kMaxPlaintext + 1;  // + content type, §5.4
inline constexpr size_t kMaxCiphertext = kMaxPlaintext + 256;    // §5.2
inline constexpr uint16_t kLegacyVersion = 0x0303;

// One record, in the receive buffer or in the caller's bytes. `body` may be decrypted in
// place when `writable` (it is in the receive buffer).
struct Record {
  ContentType type = ContentType::invalid;
  uint16_t version = 0;
  ByteView header;   // the 5 header bytes: the additional data of a TLS 1.3 AEAD
  MutByteView body;  // the fragment (ciphertext when protected)
  bool writable = true;
};

// Bytes from the network in, whole records out; correct for any split of the input.
class Deframer {
 public:
  // Copies received bytes in.
  void feed(ByteView data) { buf_.append(data); }

  // The next complete record, or std::nullopt if more bytes are needed. The record's
  // bytes stay valid until the next call to next(), feed() or prepare(). Errors:
  // unexpected_message for an unknown content type (RFC 8446 §5), record_overflow for a
  // length over 2^14 + 256 (§5.2), both as soon as the header arrives.
  [[nodiscard]] Result<std::optional<Record>> next();

  // The same, taking bytes from `input` as needed (and advancing it). With nothing
  // buffered and `zero_copy`, a whole record in `input` is returned where it lies
  // (Record::body is then read-only: `writable` is false); bytes short of a whole record
  // are buffered. Buffered records are returned from the buffer, topped up from `input`
  // one record at a time, so the buffer never holds more than one record's bytes.
  [[nodiscard]] Result<std::optional<Record>> next(ByteView& input, bool zero_copy);

  [[nodiscard]] size_t buffered() const { return buf_.size(); }
  // Frees the buffer when nothing is buffered.
  void release_if_empty() { buf_.release_if_empty(); }
  [[nodiscard]] size_t capacity() const { return buf_.capacity(); }

 private:
  Buffer buf_;
  size_t pending_consume_ = 0;  // the record returned last, dropped on the next call
};

// Writes one unprotected record (header + fragment); fragment.size() <= 2^14.
void write_plaintext_record(Buffer& out, ContentType type, ByteView fragment,
                            uint16_t version = kLegacyVersion);

struct Opened {
  ContentType type;   // the true content type (TLS 1.3: the inner one)
  // A prefix of the output given to open(); when a TLS 1.2 AES-GCM record is decrypted in
  // place, it starts after the explicit nonce instead.
  MutByteView plaintext;
};

// How records are protected (the additional data, the nonce and what the body holds).
enum class RecordForm : uint8_t {
  // RFC 8446 §5.2-5.4: outer type application_data, the header as additional data, nonce
  // = IV xor sequence number, the true content type (and padding) inside the encryption.
  tls13,
  // RFC 5246 §6.2.3.3 with RFC 5288 (AES-GCM) or RFC 7905 (ChaCha20-Poly1305): the true
  // type outside, additional data = seq_num || type || version || plaintext length. AES-GCM
  // nonces are a 4-byte implicit salt (the IV) and an 8-byte explicit part sent before the
  // ciphertext (tlspp sends the sequence number); ChaCha20-Poly1305 uses IV xor sequence
  // number with nothing explicit.
  tls12,
};

// TLS 1.2's AES-GCM records carry 8 bytes of explicit nonce before the ciphertext.
inline constexpr size_t kExplicitNonceLen = 8;

// Record protection for one direction.
class Protection {
 public:
  // Installs the AEAD key and IV (TLS 1.3: 12 bytes; TLS 1.2: 4 bytes for AES-GCM, 12 for
  // ChaCha20-Poly1305) and resets the sequence number. Re-installing re-keys the same
  // cipher context (no allocation).
  [[nodiscard]] Status install(crypto::AeadAlg aead, ByteView key, ByteView iv, RecordForm form = RecordForm::tls13);
  [[nodiscard]] bool active() const { return aead_.has_key(); }
  // Frees the cipher context while the direction is idle (crypto::AeadCtx::release); the
  // next seal or open sets it up again.
  void release() { aead_.release(); }
  [[nodiscard]] bool released() const { return aead_.released(); }
  [[nodiscard]] RecordForm form() const { return form_; }
  [[nodiscard]] uint64_t sequence() const { return seq_; }
  // Sets the next sequence number; tests use it to reach the 2^64-1 limit.
  void set_sequence(uint64_t seq) { seq_ = seq; }
  [[nodiscard]] crypto::AeadAlg aead() const { return aead_.alg(); }

  // Appends one protected record carrying `plaintext` of content `type`; in the TLS 1.3
  // form followed by `padding` zero bytes inside the encryption (§5.4; TLS 1.2 has none).
  // plaintext.size() + 1 + padding must not exceed 2^14 + 1.
  [[nodiscard]] Status seal(ContentType type, ByteView plaintext, size_t padding, Buffer& out);
  // The same, writing the record into `dst`, which must be exactly sealed_size() bytes.
  [[nodiscard]] Status seal(ContentType type, ByteView plaintext, size_t padding, MutByteView dst);
  // The size on the wire (header included) of the record seal() makes of `plaintext_len`
  // bytes with `padding` (TLS 1.3 only).
  [[nodiscard]] size_t sealed_size(size_t plaintext_len, size_t padding = 0) const {
    return kHeaderLen + plaintext_len + crypto::kAeadTagLen +
           (form_ == RecordForm::tls13 ? 1 + padding : explicit_nonce_ ? kExplicitNonceLen : 0);
  }

  // Decrypts `rec` in place. Errors: bad_record_mac (authentication failure, §5.2),
  // record_overflow (ciphertext over 2^14+256, inner plaintext over 2^14+1, TLS 1.2
  // plaintext over 2^14), unexpected_message (no non-zero content type byte, §5.4).
  [[nodiscard]] Result<Opened> open(const Record& rec) { return open(rec.header, rec.body, rec.body); }
  // The same, decrypting into `out` (at least rec.body.size() bytes; may be rec.body).
  [[nodiscard]] Result<Opened> open(const Record& rec, MutByteView out) { return open(rec.header, rec.body, out); }
  // The same for a record given as its header and body, wherever they are.
  [[nodiscard]] Result<Opened> open(ByteView header, ByteView body, MutByteView out);

 private:
  // Whether this form carries an explicit nonce in each record (TLS 1.2 AES-GCM).
  [[nodiscard]] bool explicit_nonce() const { return explicit_nonce_; }
  void nonce(uint8_t (&out)[crypto::kAeadNonceLen]) const;
  void tls12_additional_data(uint8_t (&aad)[13], ContentType type, uint16_t version, size_t length) const;
  [[nodiscard]] Status check_sequence() const;
  [[nodiscard]] Status seal12(ContentType type, ByteView plaintext, MutByteView dst);
  [[nodiscard]] Result<Opened> open12(ByteView header, ByteView body, MutByteView out);
  crypto::AeadCtx aead_;
  uint8_t iv_[crypto::kAeadNonceLen] = {};
  uint64_t seq_ = 0;
  RecordForm form_ = RecordForm::tls13;
  bool explicit_nonce_ = false;
};

// Splits `data` into records of at most `max_fragment` plaintext bytes (2^14, or less when
// record_size_limit was negotiated, RFC 8449) and appends them to `out`: protected when
// `protection` is given and active, otherwise as plaintext records.
[[nodiscard]] Status write_records(ContentType type, ByteView data, size_t max_fragment,
                                   Protection* protection, Buffer& out);

}  // namespace tlspp::record
