#include "wire/codec.h"

namespace tlspp::wire {

std::string What::str() const {
  std::string s;
  s.reserve(parts_[0].size() + parts_[1].size() + parts_[2].size());
  for (std::string_view p : parts_) s += p;
  return s;
}

Error Reader::truncated(const What& what, size_t need) const {
  return Error::decode(what.str() + " is truncated: needs " + std::to_string(need) +
                       " bytes, " + std::to_string(remaining()) + " left");
}

Result<uint8_t> Reader::u8(const What& what) {
  if (remaining() < 1) return fail(truncated(what, 1));
  return data_[pos_++];
}

Result<uint16_t> Reader::u16(const What& what) {
  if (remaining() < 2) return fail(truncated(what, 2));
  const uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

Result<uint32_t> Reader::u24(const What& what) {
  if (remaining() < 3) return fail(truncated(what, 3));
  const uint32_t v = (uint32_t{data_[pos_]} << 16) | (uint32_t{data_[pos_ + 1]} << 8) | data_[pos_ + 2];
  pos_ += 3;
  return v;
}

Result<uint32_t> Reader::u32(const What& what) {
  if (remaining() < 4) return fail(truncated(what, 4));
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 4;
  return v;
}

Result<uint64_t> Reader::u64(const What& what) {
  if (remaining() < 8) return fail(truncated(what, 8));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 8;
  return v;
}

Result<ByteView> Reader::bytes(size_t n, const What& what) {
  if (remaining() < n) return fail(truncated(what, n));
  ByteView v = data_.subspan(pos_, n);
  pos_ += n;
  return v;
}

namespace {
Status check_len(size_t len, size_t min, size_t max, const What& what) {
  if (len < min || len > max)
    return fail(Error::decode(what.str() + " has length " + std::to_string(len) +
                              ", outside " + std::to_string(min) + ".." + std::to_string(max)));
  return {};
}
}  // namespace

Result<ByteView> Reader::vec8(const What& what, size_t min, size_t max) {
  auto len = u8(what);
  if (!len) return fail(len.error());
  TLSPP_TRY(check_len(*len, min, max, what));
  return bytes(*len, what);
}

Result<ByteView> Reader::vec16(const What& what, size_t min, size_t max) {
  auto len = u16(what);
  if (!len) return fail(len.error());
  TLSPP_TRY(check_len(*len, min, max, what));
  return bytes(*len, what);
}

Result<ByteView> Reader::vec24(const What& what, size_t min, size_t max) {
  auto len = u24(what);
  if (!len) return fail(len.error());
  TLSPP_TRY(check_len(*len, min, max, what));
  return bytes(*len, what);
}

Status Reader::expect_end(const What& what) const {
  if (remaining() != 0)
    return fail(Error::decode(std::to_string(remaining()) + " trailing bytes after " + what.str()));
  return {};
}

Status Writer::status(const What& what) const {
  if (ok()) return {};
  return fail(Error::internal("cannot encode " + what.str() + ": a field of " + std::to_string(overflow_len_) +
                              " bytes does not fit its " + std::to_string(overflow_width_) + "-byte length"));
}

}  // namespace tlspp::wire
