// Helpers shared by the wire/ unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tlspp/error.h"
#include "tlspp/types.h"
#include "wire/codec.h"

namespace tlspp::wire::testing {

inline Bytes B(ByteView v) { return Bytes(v.begin(), v.end()); }

// The body encoding of any codec struct.
template <class X>
Bytes enc(const X& x) {
  Bytes out;
  Writer w(out);
  x.encode(w);
  return out;
}

// Decodes `bytes` (which must outlive the result: it borrows from them), expecting success and
// a byte-exact re-encoding.
template <class X, class... Args>
X decode_ok(const Bytes& bytes, Args... args) {
  auto r = X::decode(ByteView(bytes), args...);
  if (!r) {
    ADD_FAILURE() << "decode failed: " << r.error().to_string();
    return X{};
  }
  EXPECT_EQ(enc(*r), bytes) << "re-encoding differs";
  return *r;
}

template <class R>
void expect_alert(const R& r, AlertDescription alert, const std::string& context = "") {
  ASSERT_FALSE(r.has_value()) << "expected " << alert_name(alert) << " " << context;
  EXPECT_EQ(r.error().alert, alert) << r.error().to_string() << " " << context;
  EXPECT_FALSE(r.error().message.empty());
}

// Every strict prefix of `full` must fail to decode with decode_error. Each prefix is copied to
// its own exactly-sized buffer so that a sanitizer build catches any read past its end.
template <class X, class... Args>
void expect_truncations_fail(const Bytes& full, Args... args) {
  for (size_t n = 0; n < full.size(); ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    expect_alert(X::decode(ByteView(cut), args...), AlertDescription::decode_error,
                 "for a " + std::to_string(n) + "-byte prefix of " + std::to_string(full.size()));
  }
}

// `full` plus one trailing byte must fail with decode_error.
template <class X, class... Args>
void expect_trailing_fails(const Bytes& full, Args... args) {
  Bytes longer = full;
  longer.push_back(0);
  expect_alert(X::decode(ByteView(longer), args...), AlertDescription::decode_error, "with a trailing byte");
}

}  // namespace tlspp::wire::testing
