// A strict, bounds-checked reader of DER (X.690 §10) as profiled by RFC 5280.
//
// Every element read is returned as views into the input: nothing is copied. The reader
// accepts only what DER allows for the types a certificate uses: single-byte tags,
// definite lengths in the shortest form, minimal INTEGERs, BOOLEANs of 0x00/0xFF,
// BIT STRINGs with zero padding bits, OIDs with minimal sub-identifiers. Each failure is
// a decode Error whose sentence names the field being read ("validity.notBefore is
// truncated"); callers wrap it with the certificate it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::pki::der {

// Universal tags used in certificates (X.680 §8.4), with the constructed bit where DER
// requires it.
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kPrintableString = 0x13;
inline constexpr uint8_t kTeletexString = 0x14;
inline constexpr uint8_t kIa5String = 0x16;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kVisibleString = 0x1a;
inline constexpr uint8_t kUniversalString = 0x1c;
inline constexpr uint8_t kBmpString = 0x1e;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;

// Context-specific tag [n] (n < 31), primitive or constructed.
[[nodiscard]] constexpr uint8_t context(uint8_t n, bool constructed) {
  return static_cast<uint8_t>(0x80 | (constructed ? 0x20 : 0) | n);
}

// One TLV: its tag, its contents octets and the whole encoding (tag, length, contents).
struct Element {
  uint8_t tag = 0;
  ByteView contents;
  ByteView encoding;
};

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  [[nodiscard]] bool empty() const { return pos_ == data_.size(); }
  // The tag of the next element, if any (the element itself may still be malformed).
  [[nodiscard]] std::optional<uint8_t> peek_tag() const {
    if (empty()) return std::nullopt;
    return data_[pos_];
  }

  // The next element whatever its tag.
  [[nodiscard]] Result<Element> any(std::string_view what);
  // The next element, which must carry `tag`.
  [[nodiscard]] Result<Element> expect(uint8_t tag, std::string_view what);
  // The next element if it carries `tag`, otherwise nothing (and nothing is consumed).
  [[nodiscard]] Result<std::optional<Element>> optional(uint8_t tag, std::string_view what);
  // Shorthand: the contents of a SEQUENCE, as a Reader.
  [[nodiscard]] Result<Reader> sequence(std::string_view what);

  // Fails unless every byte has been read ("trailing bytes after <what>").
  [[nodiscard]] Status expect_end(std::string_view what) const;

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// Typed decoders for an element already read (they check the tag too).
// BOOLEAN: DER allows only 0x00 and 0xFF (X.690 §11.1).
[[nodiscard]] Result<bool> boolean(const Element& e, std::string_view what);
// INTEGER contents, checked to be minimally encoded (X.690 §8.3.2); sign not checked.
[[nodiscard]] Result<ByteView> integer(const Element& e, std::string_view what);
// A non-negative INTEGER that fits in 32 bits.
[[nodiscard]] Result<uint32_t> small_uint(const Element& e, std::string_view what);
// BIT STRING: the bits, with the count of unused bits in the last byte. Padding bits
// must be zero (X.690 §11.2.1).
struct BitString {
  ByteView bytes;
  uint8_t unused_bits = 0;
};
[[nodiscard]] Result<BitString> bit_string(const Element& e, std::string_view what);
// BIT STRING that must hold whole bytes (signatures, public keys).
[[nodiscard]] Result<ByteView> octet_aligned_bits(const Element& e, std::string_view what);
// OBJECT IDENTIFIER contents, checked for well-formed base-128 sub-identifiers.
[[nodiscard]] Result<ByteView> oid(const Element& e, std::string_view what);
// UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 profile (Zulu, seconds present,
// no fractions) as seconds since the Unix epoch.
[[nodiscard]] Result<int64_t> time(const Element& e, std::string_view what);

// Dotted form of OID contents ("2.5.29.19"); "?" pieces for malformed input.
[[nodiscard]] std::string oid_to_string(ByteView oid_contents);
// "2024-01-01 00:00:00 UTC".
[[nodiscard]] std::string format_time(int64_t seconds_since_epoch);
// Seconds since the epoch of a proleptic Gregorian UTC date and time (no range checks).
[[nodiscard]] int64_t civil_to_epoch(int64_t year, unsigned month, unsigned day, unsigned hour,
                                     unsigned minute, unsigned second);

}  // namespace tlspp::pki::der
