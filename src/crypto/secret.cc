#include "crypto/secret.h"

#include "tlspp/secret.h"

#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tlspp::crypto {

// glibc's explicit_bzero: the optimised memset followed by a compiler barrier, so the
// stores cannot be dropped as dead. OPENSSL_cleanse does the same job with 8-byte stores
// through a volatile pointer, several times slower on the 100-200 byte hash states that a
// handshake wipes dozens of times.
void secure_wipe(void* p, size_t n) {
  if (p != nullptr && n != 0) explicit_bzero(p, n);
}

bool ct_equal(ByteView a, ByteView b) {
  // The lengths of MACs are public; only the contents need constant-time comparison.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
// A secret that does not fit is a bug in the caller, in every build: truncating it would
// put wrong keys to use, so the process stops with a message instead.
[[noreturn]] void too_long(size_t n) {
  std::fprintf(stderr, "tlspp: internal error: a %zu-byte secret exceeds Secret's %zu bytes\n", n, Secret::kMax);
  std::abort();
}
}  // namespace

Secret::Secret(ByteView bytes) {
  if (bytes.size() > kMax) too_long(bytes.size());
  len_ = bytes.size();
  if (len_ != 0) std::memcpy(buf_, bytes.data(), len_);
}

Result<Secret> Secret::from(ByteView bytes) {
  if (bytes.size() > kMax)
    return fail(Error::config("a secret of " + std::to_string(bytes.size()) + " bytes exceeds the " +
                              std::to_string(kMax) + "-byte limit"));
  return Secret(bytes);
}

Secret Secret::zeros(size_t n) {
  if (n > kMax) too_long(n);
  Secret s;
  s.len_ = n;
  return s;
}

}  // namespace tlspp::crypto

namespace tlspp {

void SecretBytes::wipe() noexcept {
  crypto::secure_wipe(bytes_.data(), bytes_.capacity());
  std::vector<uint8_t>().swap(bytes_);
}

bool operator==(const SecretBytes& a, const SecretBytes& b) { return crypto::ct_equal(a.view(), b.view()); }

}  // namespace tlspp
