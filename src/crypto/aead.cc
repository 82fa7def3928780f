// Record protection AEADs over one long-lived EVP_CIPHER_CTX per AeadCtx. Per record only
// the nonce is installed (RFC 8446 §5.3 builds a fresh one per record), so seal() and
// open() do no allocation and no algorithm lookup.
#include "crypto/aead.h"

#include "crypto/secret.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <string>
#include <utility>

namespace tlspp::crypto {
namespace {

EVP_CIPHER_CTX* as_ctx(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }

// Explicit fetches, once per process: the implicit-fetch helpers (EVP_aes_128_gcm()) take
// a lock and look the implementation up on every EVP_EncryptInit_ex in OpenSSL 3.
// A cipher whose default IV length is not the 12 bytes set_key relies on counts as missing.
EVP_CIPHER* fetch_with_12_byte_iv(const char* name) {
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (c != nullptr && EVP_CIPHER_get_iv_length(c) != static_cast<int>(kAeadNonceLen)) {
    EVP_CIPHER_free(c);
    return nullptr;
  }
  return c;
}

const EVP_CIPHER* cipher_for(AeadAlg alg) {
  static EVP_CIPHER* const aes128 = fetch_with_12_byte_iv("AES-128-GCM");
  static EVP_CIPHER* const aes256 = fetch_with_12_byte_iv("AES-256-GCM");
  static EVP_CIPHER* const chacha = fetch_with_12_byte_iv("ChaCha20-Poly1305");
  switch (alg) {
    case AeadAlg::aes128gcm: return aes128;
    case AeadAlg::aes256gcm: return aes256;
    case AeadAlg::chacha20poly1305: return chacha;
  }
  return nullptr;
}

const char* alg_name(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::aes128gcm: return "AES-128-GCM";
    case AeadAlg::aes256gcm: return "AES-256-GCM";
    case AeadAlg::chacha20poly1305: return "ChaCha20-Poly1305";
  }
  return "unknown AEAD";
}

Error openssl_failure(const char* what) {
  ERR_clear_error();
  return Error::internal(std::string("AEAD ") + what + " failed inside libcrypto");
}

// `in` must either be exactly the start of `out` (in place) or not overlap it at all;
// a partial overlap would read bytes already overwritten.
bool aliasing_ok(ByteView in, MutByteView out) {
  if (in.empty()) return true;
  const uint8_t* i = in.data();
  const uint8_t* o = out.data();
  if (i == o) return true;
  return i + in.size() <= o || o + out.size() <= i;
}

}  // namespace

AeadCtx::AeadCtx() = default;

AeadCtx::~AeadCtx() {
  // Frees the key schedule; the provider cleanses it.
  EVP_CIPHER_CTX_free(as_ctx(ctx_));
  wipe_key();
}

void AeadCtx::wipe_key() { secure_wipe(key_, sizeof key_); }

AeadCtx::AeadCtx(AeadCtx&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), alg_(o.alg_), keyed_(std::exchange(o.keyed_, false)) {
  std::memcpy(key_, o.key_, sizeof key_);
  o.wipe_key();
}

AeadCtx& AeadCtx::operator=(AeadCtx&& o) noexcept {
  if (this != &o) {
    EVP_CIPHER_CTX_free(as_ctx(ctx_));
    ctx_ = std::exchange(o.ctx_, nullptr);
    alg_ = o.alg_;
    keyed_ = std::exchange(o.keyed_, false);
    std::memcpy(key_, o.key_, sizeof key_);
    o.wipe_key();
  }
  return *this;
}

void AeadCtx::release() {
  if (!keyed_ || ctx_ == nullptr) return;
  EVP_CIPHER_CTX_free(as_ctx(ctx_));
  ctx_ = nullptr;
}

Status AeadCtx::set_key(AeadAlg alg, ByteView key) {
  keyed_ = false;
  if (key.size() != aead_key_len(alg)) {
    return fail(Error::internal(std::string(alg_name(alg)) + " key must be " +
                                std::to_string(aead_key_len(alg)) + " bytes, got " +
                                std::to_string(key.size())));
  }
  wipe_key();
  std::memcpy(key_, key.data(), key.size());
  alg_ = alg;
  TLSPP_TRY(restore());
  keyed_ = true;
  return {};
}

Status AeadCtx::restore() {
  if (ctx_ == nullptr) {
    ctx_ = EVP_CIPHER_CTX_new();
    if (ctx_ == nullptr) return fail(Error::internal("out of memory allocating an AEAD context"));
  }
  const EVP_CIPHER* cipher = cipher_for(alg_);
  if (cipher == nullptr) {
    ERR_clear_error();
    return fail(Error::internal(std::string(alg_name(alg_)) + " is not available in libcrypto"));
  }
  EVP_CIPHER_CTX* c = as_ctx(ctx_);
  // Installing a cipher discards and recreates the provider context, so do it only when
  // the algorithm changes; re-keying the same algorithm keeps the context.
  if (EVP_CIPHER_CTX_get0_cipher(c) != cipher) {
    // RFC 8446 §5.3 / RFC 5116 §3.2: 12-byte nonces, which is the default IV length of all
    // three ciphers (no EVP_CTRL_AEAD_SET_IVLEN round trip through the parameter API).
    if (EVP_EncryptInit_ex(c, cipher, nullptr, nullptr, nullptr) != 1) {
      return fail(openssl_failure("cipher selection"));
    }
  }
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, key_, nullptr) != 1) {
    return fail(openssl_failure("key setup"));
  }
  return {};
}

Status AeadCtx::seal(const uint8_t (&nonce)[kAeadNonceLen], ByteView aad, ByteView in,
                     MutByteView out) {
  return seal(nonce, aad, in, {}, out);
}

Status AeadCtx::seal(const uint8_t (&nonce)[kAeadNonceLen], ByteView aad, ByteView in, ByteView trailer,
                     MutByteView out) {
  if (!keyed_) return fail(Error::internal("AEAD seal without a key"));
  if (ctx_ == nullptr) TLSPP_TRY(restore());
  const size_t total = in.size() + trailer.size();
  if (out.size() < total + kAeadTagLen) {
    return fail(Error::internal("AEAD seal output buffer too small for ciphertext and tag"));
  }
  if (total > INT_MAX || aad.size() > INT_MAX) {
    return fail(Error::internal("AEAD seal input too large"));
  }
  if (!aliasing_ok(in, out)) return fail(Error::internal("AEAD seal input partially overlaps output"));
  EVP_CIPHER_CTX* c = as_ctx(ctx_);
  int n = 0;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1) return fail(openssl_failure("nonce setup"));
  if (!aad.empty() && EVP_EncryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1) {
    return fail(openssl_failure("additional data"));
  }
  // Both AEADs are streaming ciphers: the two parts are encrypted as one message, so the
  // caller's plaintext is read once and written once, straight into the record.
  size_t written = 0;
  for (ByteView part : {in, trailer}) {
    if (part.empty()) continue;
    int w = 0;
    if (EVP_EncryptUpdate(c, out.data() + written, &w, part.data(), static_cast<int>(part.size())) != 1) {
      return fail(openssl_failure("encryption"));
    }
    written += static_cast<size_t>(w);
  }
  int tail = 0;
  if (EVP_EncryptFinal_ex(c, out.data() + written, &tail) != 1) return fail(openssl_failure("encryption"));
  if (written + static_cast<size_t>(tail) != total) {
    return fail(Error::internal("AEAD seal produced an unexpected ciphertext length"));
  }
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagLen), out.data() + total) != 1) {
    return fail(openssl_failure("tag computation"));
  }
  return {};
}

Status AeadCtx::open(const uint8_t (&nonce)[kAeadNonceLen], ByteView aad, ByteView in,
                     MutByteView out) {
  if (!keyed_) return fail(Error::internal("AEAD open without a key"));
  if (ctx_ == nullptr) TLSPP_TRY(restore());
  if (in.size() < kAeadTagLen) {
    // Too short to carry a tag: as unauthentic as a wrong tag (RFC 8446 §5.2).
    return fail(Error::crypto(AlertDescription::bad_record_mac,
                              "record authentication failed (ciphertext shorter than the AEAD tag)"));
  }
  const size_t ct_len = in.size() - kAeadTagLen;
  if (out.size() < ct_len) return fail(Error::internal("AEAD open output buffer too small"));
  if (in.size() > INT_MAX || aad.size() > INT_MAX) return fail(Error::internal("AEAD open input too large"));
  if (!aliasing_ok(in.first(ct_len), out)) {
    return fail(Error::internal("AEAD open input partially overlaps output"));
  }
  EVP_CIPHER_CTX* c = as_ctx(ctx_);
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1) return fail(openssl_failure("nonce setup"));
  // The tag is handed over before decrypting: with in-place operation nothing overwrites
  // it (only the first ct_len bytes are written), and libcrypto keeps its own copy.
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagLen),
                          const_cast<uint8_t*>(in.data() + ct_len)) != 1) {
    return fail(openssl_failure("tag setup"));
  }
  int n = 0;
  if (!aad.empty() && EVP_DecryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1) {
    return fail(openssl_failure("additional data"));
  }
  int written = 0;
  if (ct_len != 0 &&
      EVP_DecryptUpdate(c, out.data(), &written, in.data(), static_cast<int>(ct_len)) != 1) {
    return fail(openssl_failure("decryption"));
  }
  int tail = 0;
  if (EVP_DecryptFinal_ex(c, out.data() + written, &tail) != 1) {
    // RFC 5116 §2.2: no plaintext may be released when authentication fails; erase what
    // was decrypted so a caller that ignores the error cannot use it.
    ERR_clear_error();
    if (ct_len != 0) OPENSSL_cleanse(out.data(), ct_len);
    return fail(Error::crypto(AlertDescription::bad_record_mac,
                              "record authentication failed (bad AEAD tag)"));
  }
  return {};
}

}  // namespace tlspp::crypto
