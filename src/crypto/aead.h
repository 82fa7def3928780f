// AEAD for the record layer: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 (RFC 5116,
// RFC 8439). One AeadCtx per direction holds one EVP_CIPHER_CTX, made when the first key is
// set; set_key() re-keys it without reallocating. release() frees it (about 1 KiB of
// libcrypto state) while keeping the key, and the next seal or open makes it again: what an
// idle connection can give back. Cipher objects are fetched once per process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::crypto {

enum class AeadAlg : uint8_t { aes128gcm, aes256gcm, chacha20poly1305 };

[[nodiscard]] constexpr size_t aead_key_len(AeadAlg a) { return a == AeadAlg::aes128gcm ? 16 : 32; }
[[nodiscard]] constexpr std::string_view aead_name(AeadAlg a) {
  return a == AeadAlg::aes128gcm ? "AES-128-GCM" : a == AeadAlg::aes256gcm ? "AES-256-GCM" : "ChaCha20-Poly1305";
}
inline constexpr size_t kAeadNonceLen = 12;
inline constexpr size_t kAeadTagLen = 16;

class AeadCtx {
 public:
  AeadCtx();
  ~AeadCtx();
  AeadCtx(AeadCtx&& o) noexcept;
  AeadCtx& operator=(AeadCtx&& o) noexcept;
  AeadCtx(const AeadCtx&) = delete;
  AeadCtx& operator=(const AeadCtx&) = delete;

  // Installs a key (length must be aead_key_len(alg)). May be called again to re-key.
  [[nodiscard]] Status set_key(AeadAlg alg, ByteView key);
  [[nodiscard]] bool has_key() const { return keyed_; }
  // Frees the cipher context, keeping the key (wiped with this object); the next seal() or
  // open() sets the context up again. Nothing happens without a key.
  void release();
  [[nodiscard]] bool released() const { return keyed_ && ctx_ == nullptr; }
  [[nodiscard]] AeadAlg alg() const { return alg_; }

  // Encrypts `in` into out[0, in.size()) and writes the tag at out[in.size(), +16).
  // out.size() must be >= in.size() + 16. `in` may be exactly out's prefix (in place).
  [[nodiscard]] Status seal(const uint8_t (&nonce)[kAeadNonceLen], ByteView aad, ByteView in,
                            MutByteView out);
  // Encrypts the concatenation in || trailer (e.g. a record's plaintext and its content
  // type and padding) into out, tag after it; `in` may be exactly out's prefix.
  [[nodiscard]] Status seal(const uint8_t (&nonce)[kAeadNonceLen], ByteView aad, ByteView in, ByteView trailer,
                            MutByteView out);
  // Decrypts `in` (ciphertext followed by the 16-byte tag) into out[0, in.size()-16).
  // `out` may alias in's prefix (in place). A wrong tag gives
  // Error{crypto, bad_record_mac, "record authentication failed"}; nothing of out may be
  // trusted then.
  [[nodiscard]] Status open(const uint8_t (&nonce)[kAeadNonceLen], ByteView aad, ByteView in,
                            MutByteView out);

 private:
  // Makes the context for alg_ keyed with key_ (after release(), or on first use).
  [[nodiscard]] Status restore();
  void wipe_key();

  void* ctx_ = nullptr;  // EVP_CIPHER_CTX
  AeadAlg alg_ = AeadAlg::aes128gcm;
  bool keyed_ = false;
  uint8_t key_[32] = {};  // the installed key, for restore()
};

}  // namespace tlspp::crypto
