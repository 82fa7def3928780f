// Heap accounting for the memory benchmark, the same way for both libraries.
//
// Two hooks see every heap allocation either library makes:
//  - the bench binary replaces the global operator new/delete (tlspp is C++ and allocates
//    through them; libssl never does);
//  - CRYPTO_set_mem_functions, installed by a priority constructor before any other
//    OpenSSL call, sees every OPENSSL_malloc of libssl and of libcrypto, including the
//    libcrypto allocations tlspp makes through its crypto/ layer (EVP_PKEY, EVP_CIPHER_CTX ...).
// Each block carries a small header with its requested size and who allocated it, so the
// counters hold requested bytes (not allocator overhead) per category.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bench::alloc {

enum class Category : uint8_t {
  cxx = 0,        // operator new (tlspp's own structures; the bench's too, kept out of timed regions)
  libssl = 1,     // OPENSSL_malloc from a libssl source file (ssl/...)
  libcrypto = 2,  // OPENSSL_malloc from anywhere else in libcrypto (crypto/, providers/ ...)
};
inline constexpr int kCategories = 3;

struct Snapshot {
  int64_t bytes[kCategories] = {};
  [[nodiscard]] int64_t total() const { return bytes[0] + bytes[1] + bytes[2]; }
};

// Whether CRYPTO_set_mem_functions took effect (it fails once libcrypto has allocated).
[[nodiscard]] bool crypto_hooks_installed();
// Live requested bytes now, per category.
[[nodiscard]] Snapshot current();
// The highest total of live bytes since the last reset_peak().
[[nodiscard]] int64_t peak();
// The per-category live bytes at the moment the peak was reached.
[[nodiscard]] Snapshot at_peak();
void reset_peak();
// Number of allocations made so far (all categories).
[[nodiscard]] uint64_t allocations();

}  // namespace bench::alloc
