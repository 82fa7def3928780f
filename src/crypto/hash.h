// SHA-256 / SHA-384 with inline state: copying a HashCtx is a memcpy, so transcript
// snapshots (taken many times per handshake) cost nothing but the final block.
// HMAC with precomputed inner/outer states; HKDF (RFC 5869); HKDF-Expand-Label and
// Derive-Secret (RFC 8446 §7.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/secret.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

enum class HashAlg : uint8_t { sha256, sha384 };

[[nodiscard]] constexpr size_t hash_len(HashAlg a) { return a == HashAlg::sha256 ? 32 : 48; }
[[nodiscard]] constexpr std::string_view hash_name(HashAlg a) {
  return a == HashAlg::sha256 ? "SHA-256" : "SHA-384";
}

// A hash output (up to 48 bytes) held by value.
struct Digest {
  uint8_t bytes[48] = {};
  uint8_t len = 0;
  [[nodiscard]] ByteView view() const { return {bytes, len}; }
};

class HashCtx {
 public:
  explicit HashCtx(HashAlg alg);
  HashCtx(const HashCtx&) = default;
  HashCtx& operator=(const HashCtx&) = default;

  [[nodiscard]] HashAlg alg() const { return alg_; }
  void update(ByteView data);
  // The hash of everything fed so far; the context stays usable (works on a copy).
  [[nodiscard]] Digest peek() const;
  // The hash of everything fed so far, leaving the context wiped (its state may be
  // key-derived) and unusable until wipe() restarts it: for a copy that is finished with.
  [[nodiscard]] Digest finish();
  // One-shot.
  [[nodiscard]] static Digest digest(HashAlg alg, ByteView data);
  // Erases the state (which may be key-derived, as inside Hmac) and restarts the hash.
  void wipe();

 private:
  void init();
  HashAlg alg_;
  // Holds a SHA256_CTX or SHA512_CTX (checked by static_assert in hash.cc).
  alignas(16) unsigned char state_[224];
};

// HMAC keyed once; compute() may be called many times.
class Hmac {
 public:
  Hmac(HashAlg alg, ByteView key);
  [[nodiscard]] HashAlg alg() const { return inner_.alg(); }
  // HMAC(key, data).
  [[nodiscard]] Digest compute(ByteView data) const;
  // HMAC(key, a || b || c) without concatenating.
  [[nodiscard]] Digest compute(ByteView a, ByteView b, ByteView c = {}) const;
  ~Hmac();

 private:
  HashCtx inner_;
  HashCtx outer_;
};

[[nodiscard]] Digest hmac(HashAlg alg, ByteView key, ByteView data);

// RFC 5869 §2.2. An empty salt means HashLen zero bytes.
[[nodiscard]] Secret hkdf_extract(HashAlg alg, ByteView salt, ByteView ikm);
// RFC 5869 §2.3. Fails (internal error) when out is longer than 255*HashLen.
[[nodiscard]] Status hkdf_expand(HashAlg alg, ByteView prk, ByteView info, MutByteView out);
// RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length); `label` without the
// "tls13 " prefix, which this function adds.
[[nodiscard]] Status hkdf_expand_label(HashAlg alg, ByteView secret, std::string_view label,
                                       ByteView context, MutByteView out);
// HKDF-Expand-Label into a Secret of `len` bytes.
[[nodiscard]] Secret expand_label(HashAlg alg, ByteView secret, std::string_view label,
                                  ByteView context, size_t len);
// RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages).
[[nodiscard]] Secret derive_secret(HashAlg alg, ByteView secret, std::string_view label,
                                   ByteView transcript_hash);

}  // namespace tlspp::crypto
