// Secrets of at most 64 bytes (every TLS 1.3 secret, key and IV fits), stored inline and
// wiped on destruction and on overwrite. Comparison of MACs is constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

// Overwrites memory in a way the compiler cannot elide (OPENSSL_cleanse).
void secure_wipe(void* p, size_t n);
// Constant-time equality (CRYPTO_memcmp); false when the lengths differ.
[[nodiscard]] bool ct_equal(ByteView a, ByteView b);

class Secret {
 public:
  static constexpr size_t kMax = 64;

  Secret() = default;
  // Copies `bytes`. More than kMax bytes is a programming error that aborts the process in
  // every build (never a silently truncated key); use from() for lengths not yet checked.
  explicit Secret(ByteView bytes);
  // Copies `bytes`, or fails with a config error when they exceed kMax.
  [[nodiscard]] static Result<Secret> from(ByteView bytes);
  Secret(const Secret& o) : len_(o.len_) { std::memcpy(buf_, o.buf_, len_); }
  Secret& operator=(const Secret& o) {
    if (this != &o) {
      wipe();
      len_ = o.len_;
      std::memcpy(buf_, o.buf_, len_);
    }
    return *this;
  }
  Secret(Secret&& o) noexcept : Secret(static_cast<const Secret&>(o)) { o.wipe(); }
  Secret& operator=(Secret&& o) noexcept {
    *this = static_cast<const Secret&>(o);
    o.wipe();
    return *this;
  }
  ~Secret() { wipe(); }

  // A secret of `n` zero bytes, to be filled through data() (n > kMax aborts, as above).
  [[nodiscard]] static Secret zeros(size_t n);

  [[nodiscard]] size_t size() const { return len_; }
  [[nodiscard]] bool empty() const { return len_ == 0; }
  [[nodiscard]] ByteView view() const { return {buf_, len_}; }
  [[nodiscard]] MutByteView data() { return {buf_, len_}; }
  void wipe() {
    secure_wipe(buf_, sizeof buf_);
    len_ = 0;
  }

 private:
  uint8_t buf_[kMax] = {};
  size_t len_ = 0;
};

}  // namespace tlspp::crypto
