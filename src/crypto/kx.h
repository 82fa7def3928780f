// Ephemeral key exchange for TLS: X25519 (RFC 7748), secp256r1, secp384r1 (uncompressed
// points, RFC 8446 §4.2.8.2).
#pragma once

#include <cstdint>

#include "crypto/secret.h"
#include "tlspp/error.h"
#include "tlspp/random.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

[[nodiscard]] bool kx_supported(NamedGroup g);
// Length of the key_exchange field for the group: 32, 65 or 97.
[[nodiscard]] size_t kx_public_len(NamedGroup g);

class KeyShare {
 public:
  // Generates a private key from `rng` (so tests can inject a fixed key: X25519 takes 32
  // bytes; P-256/P-384 take 32/48 bytes as the big-endian scalar, redrawn if out of range).
  [[nodiscard]] static Result<KeyShare> generate(NamedGroup group, RandomSource& rng);

  KeyShare(KeyShare&& o) noexcept;
  KeyShare& operator=(KeyShare&& o) noexcept;
  KeyShare(const KeyShare&) = delete;
  KeyShare& operator=(const KeyShare&) = delete;
  ~KeyShare();

  [[nodiscard]] NamedGroup group() const { return group_; }
  // The key_exchange bytes to send.
  [[nodiscard]] ByteView public_bytes() const { return {pub_, pub_len_}; }
  // The shared secret with the peer's key_exchange bytes. An invalid peer value (wrong
  // length, point not on the curve, not uncompressed, X25519 all-zero result) gives
  // Error{peer_misbehaved, illegal_parameter, "..."}.
  [[nodiscard]] Result<Secret> agree(ByteView peer_public) const;

 private:
  KeyShare() = default;
  NamedGroup group_ = NamedGroup::x25519;
  void* pkey_ = nullptr;    // EVP_PKEY (X25519)
  void* scalar_ = nullptr;  // BIGNUM, the private scalar (P-256, P-384)
  uint8_t pub_[97] = {};
  size_t pub_len_ = 0;
};

}  // namespace tlspp::crypto
