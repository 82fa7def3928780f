// Helpers shared by the message and extension codecs for the presentation language's vectors of
// fixed-size and variable-size elements (RFC 8446 §3.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tlspp/error.h"
#include "wire/codec.h"

namespace tlspp::wire::detail {

// Reads a vector of 16-bit code points with a `width`-byte length prefix whose byte length must
// lie in [min, max]. An odd byte length cannot hold whole elements: decode_error.
template <class E>
[[nodiscard]] Result<std::vector<E>> read_u16_list(Reader& r, std::string_view what, int width,
                                                   size_t min, size_t max) {
  Result<ByteView> body = width == 1 ? r.vec8(what, min, max) : r.vec16(what, min, max);
  if (!body) return fail(body.error());
  if (body->size() % 2 != 0)
    return fail(Error::decode(std::string(what) + " has odd length " + std::to_string(body->size()) +
                              ", not a whole number of 2-byte entries"));
  std::vector<E> out;
  out.reserve(body->size() / 2);
  for (size_t i = 0; i < body->size(); i += 2)
    out.push_back(static_cast<E>(static_cast<uint16_t>(((*body)[i] << 8) | (*body)[i + 1])));
  return out;
}

template <class E>
void write_u16_list(Writer& w, std::span<const E> list, int width) {
  const auto mark = w.open(static_cast<uint8_t>(width));
  for (E e : list) w.u16(static_cast<uint16_t>(e));
  w.close(mark);
}

// Reads a vector (prefix `outer_width` bytes, byte length in [min, max]) of opaque elements each
// with an `inner_width`-byte prefix and length in [inner_min, inner_max].
[[nodiscard]] inline Result<std::vector<ByteView>> read_opaque_list(Reader& r, std::string_view what, int outer_width,
                                                                    size_t min, size_t max, int inner_width,
                                                                    size_t inner_min, size_t inner_max) {
  Result<ByteView> body = outer_width == 1 ? r.vec8(what, min, max) : r.vec16(what, min, max);
  if (!body) return fail(body.error());
  Reader items(*body);
  std::vector<ByteView> out;
  const What item_what{what, " entry"};
  while (!items.empty()) {
    Result<ByteView> item = inner_width == 1 ? items.vec8(item_what, inner_min, inner_max)
                                             : items.vec16(item_what, inner_min, inner_max);
    if (!item) return fail(item.error());
    out.push_back(*item);
  }
  return out;
}

inline void write_opaque_list(Writer& w, std::span<const ByteView> list, int outer_width, int inner_width) {
  const auto mark = w.open(static_cast<uint8_t>(outer_width));
  for (ByteView item : list) {
    if (inner_width == 1)
      w.vec8(item);
    else
      w.vec16(item);
  }
  w.close(mark);
}

}  // namespace tlspp::wire::detail
