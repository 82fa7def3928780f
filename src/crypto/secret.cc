#include "crypto/secret.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cassert>

namespace tlspp::crypto {

void secure_wipe(void* p, size_t n) {
  if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

bool ct_equal(ByteView a, ByteView b) {
  // The lengths of MACs are public; only the contents need constant-time comparison.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Secret::Secret(ByteView bytes) {
  assert(bytes.size() <= kMax && "Secret holds at most 64 bytes");
  len_ = std::min(bytes.size(), kMax);
  if (len_ != 0) std::memcpy(buf_, bytes.data(), len_);
}

Secret Secret::zeros(size_t n) {
  assert(n <= kMax && "Secret holds at most 64 bytes");
  Secret s;
  s.len_ = std::min(n, kMax);
  return s;
}

}  // namespace tlspp::crypto
