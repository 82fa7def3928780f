// Bounds-checked reading and length-prefixed writing of TLS presentation-language data
// (RFC 8446 §3). Reader never reads past its span; every failure is a decode_error naming
// what was being read. Writer back-patches length prefixes once their contents are known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::wire {

// What a read is of, for the error sentence when it fails ("ClientHello extension
// server_name is truncated: ..."): up to three pieces that are joined only then, so that
// naming every field of a message costs nothing when the message is well formed. The
// pieces are views: they must outlive the call they are passed to (a literal, a name from
// types.h, or a temporary of the same full-expression).
class What {
 public:
  What(const char* s) : parts_{s, {}, {}} {}
  What(std::string_view s) : parts_{s, {}, {}} {}
  What(const std::string& s) : parts_{s, {}, {}} {}
  What(std::string_view a, std::string_view b, std::string_view c = {}) : parts_{a, b, c} {}
  [[nodiscard]] std::string str() const;

 private:
  std::string_view parts_[3];
};

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  [[nodiscard]] size_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] bool empty() const { return remaining() == 0; }
  [[nodiscard]] size_t position() const { return pos_; }
  // The bytes not yet read.
  [[nodiscard]] ByteView rest() const { return data_.subspan(pos_); }

  [[nodiscard]] Result<uint8_t> u8(const What& what);
  [[nodiscard]] Result<uint16_t> u16(const What& what);
  [[nodiscard]] Result<uint32_t> u24(const What& what);
  [[nodiscard]] Result<uint32_t> u32(const What& what);
  [[nodiscard]] Result<uint64_t> u64(const What& what);
  // Exactly n bytes, as a view into the input.
  [[nodiscard]] Result<ByteView> bytes(size_t n, const What& what);
  // opaque v<min..max> with a 1-, 2- or 3-byte length prefix; the length must lie in [min, max].
  [[nodiscard]] Result<ByteView> vec8(const What& what, size_t min = 0, size_t max = 0xff);
  [[nodiscard]] Result<ByteView> vec16(const What& what, size_t min = 0, size_t max = 0xffff);
  [[nodiscard]] Result<ByteView> vec24(const What& what, size_t min = 0, size_t max = 0xffffff);
  // Fails with decode_error unless every byte has been read ("trailing bytes after <what>").
  [[nodiscard]] Status expect_end(const What& what) const;

 private:
  [[nodiscard]] Error truncated(const What& what, size_t need) const;
  ByteView data_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { out_.insert(out_.end(), {uint8_t(v >> 8), uint8_t(v)}); }
  void u24(uint32_t v) { out_.insert(out_.end(), {uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}); }
  void u32(uint32_t v) {
    out_.insert(out_.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Length-prefixed vectors. A length that does not fit its prefix is never written
  // truncated: the Writer fails (status()) and whoever encodes the message refuses to
  // send it.
  void vec8(ByteView b) {
    note_length(b.size(), 1);
    u8(static_cast<uint8_t>(b.size()));
    bytes(b);
  }
  void vec16(ByteView b) {
    note_length(b.size(), 2);
    u16(static_cast<uint16_t>(b.size()));
    bytes(b);
  }
  void vec24(ByteView b) {
    note_length(b.size(), 3);
    u24(static_cast<uint32_t>(b.size()));
    bytes(b);
  }

  // Opens a length prefix of `width` bytes (1, 2 or 3) to be filled by close().
  // Usage: auto mark = w.open(2); ...write contents...; w.close(mark);
  struct Mark {
    size_t offset;
    uint8_t width;
  };
  [[nodiscard]] Mark open(uint8_t width) {
    Mark m{out_.size(), width};
    out_.resize(out_.size() + width);
    return m;
  }
  void close(Mark m) {
    const size_t len = out_.size() - m.offset - m.width;
    note_length(len, m.width);
    for (uint8_t i = 0; i < m.width; ++i)
      out_[m.offset + i] = static_cast<uint8_t>(len >> (8 * (m.width - 1 - i)));
  }

  [[nodiscard]] size_t size() const { return out_.size(); }
  Bytes& buffer() { return out_; }
  // Whether every length written so far fit its prefix; once one did not, the output is
  // unusable and status() names the first such length (internal_error: a peer never causes
  // it, only sizes this side chose).
  [[nodiscard]] bool ok() const { return overflow_width_ == 0; }
  [[nodiscard]] Status status(const What& what) const;

 private:
  void note_length(size_t n, uint8_t width) {
    if (n >> (8 * width) != 0 && ok()) {
      overflow_len_ = n;
      overflow_width_ = width;
    }
  }
  Bytes& out_;
  size_t overflow_len_ = 0;
  uint8_t overflow_width_ = 0;
};

}  // namespace tlspp::wire
