// Per-record AEAD work must not allocate (DESIGN.md: no allocation per record). libcrypto's
// allocator is replaced by a counting one before anything in the process uses libcrypto,
// which is why this check lives in its own test binary.
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>

#include "crypto/aead.h"

namespace {

std::atomic<long> g_allocations{0};

void* counting_malloc(size_t n, const char*, int) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* counting_realloc(void* p, size_t n, const char*, int) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void plain_free(void* p, const char*, int) { std::free(p); }

// Runs during static initialisation, before gtest_main and before any libcrypto call.
const bool g_hooked = CRYPTO_set_mem_functions(counting_malloc, counting_realloc, plain_free) == 1;

using tlspp::Bytes;
using tlspp::ByteView;
using namespace tlspp::crypto;

TEST(AeadAllocations, SealAndOpenDoNotAllocateAfterSetKey) {
  ASSERT_TRUE(g_hooked) << "libcrypto allocated before the counting allocator could be installed";
  for (AeadAlg alg : {AeadAlg::aes128gcm, AeadAlg::aes256gcm, AeadAlg::chacha20poly1305}) {
    const long at_start = g_allocations.load();
    AeadCtx writer, reader;
    EXPECT_EQ(g_allocations.load(), at_start) << "a context without a key holds no libcrypto state";
    ASSERT_TRUE(writer.set_key(alg, Bytes(aead_key_len(alg), 7)));
    ASSERT_TRUE(reader.set_key(alg, Bytes(aead_key_len(alg), 7)));
    // The hook is live: creating the EVP_CIPHER_CTXs with the first key is counted.
    EXPECT_GT(g_allocations.load(), at_start);
    Bytes buf(1000 + kAeadTagLen);
    const uint8_t aad[5] = {23, 3, 3, 0x03, 0xf8};
    uint8_t nonce[kAeadNonceLen] = {};
    const long before = g_allocations.load();
    for (int i = 0; i < 50; ++i) {
      nonce[11] = static_cast<uint8_t>(i);
      ASSERT_TRUE(writer.seal(nonce, aad, ByteView(buf).first(1000), buf));
      ASSERT_TRUE(reader.open(nonce, aad, buf, buf));
    }
    EXPECT_EQ(g_allocations.load() - before, 0) << "allocations during seal/open";
  }
}

TEST(AeadAllocations, RekeyingTheSameAlgorithmDoesNotAllocate) {
  ASSERT_TRUE(g_hooked);
  AeadCtx ctx;
  ASSERT_TRUE(ctx.set_key(AeadAlg::aes128gcm, Bytes(16, 1)));
  const Bytes key2(16, 2);
  const long before = g_allocations.load();
  ASSERT_TRUE(ctx.set_key(AeadAlg::aes128gcm, key2));
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
