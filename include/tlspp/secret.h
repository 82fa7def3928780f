/// @file
/// @brief Bytes that are key material.
///
/// SecretBytes holds a secret the application may need to keep (a session ticket's PSK, to
/// store the session). Every copy is wiped (OPENSSL_cleanse) when it is destroyed or
/// overwritten, it does not convert to Bytes, and it compares in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tlspp/export.h"
#include "tlspp/types.h"

namespace tlspp {

/// Key material: wiped when destroyed or overwritten, compared in constant time.
class TLSPP_API SecretBytes {
 public:
  ///@{
  /// Empty, or a copy of `bytes`.
  SecretBytes() = default;
  explicit SecretBytes(ByteView bytes) : bytes_(bytes.begin(), bytes.end()) {}
  ///@}
  ///@{
  /// Copies and moves keep the secret wiped: what an assignment overwrites is wiped first, a
  /// moved-from SecretBytes is left empty.
  SecretBytes(const SecretBytes& o) : bytes_(o.bytes_) {}
  SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) { o.bytes_.clear(); }
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      bytes_ = std::move(o.bytes_);
      o.bytes_.clear();
    }
    return *this;
  }
  ///@}
  /// Wipes the bytes.
  ~SecretBytes() { wipe(); }

  /// Replaces the contents with a copy of `bytes` (the old ones are wiped).
  void assign(ByteView bytes) {
    wipe();
    bytes_.assign(bytes.begin(), bytes.end());
  }
  /// Read access to the bytes.
  [[nodiscard]] ByteView view() const { return bytes_; }
  /// Writable access to the bytes in place (the size stays).
  [[nodiscard]] MutByteView data() { return bytes_; }
  ///@{
  /// The length (not secret), and whether it is zero.
  [[nodiscard]] size_t size() const { return bytes_.size(); }
  [[nodiscard]] bool empty() const { return bytes_.empty(); }
  ///@}
  /// Overwrites the bytes and empties the buffer (its capacity is released).
  void wipe() noexcept;

  /// Constant-time comparison of contents (lengths are public).
  TLSPP_API friend bool operator==(const SecretBytes& a, const SecretBytes& b);

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace tlspp
