// Connection::release_idle_memory: an idle connection gives back its record ciphers'
// contexts and keeps working exactly as before, in both versions and across a KeyUpdate.
#include <gtest/gtest.h>
#include <malloc.h>

#include <optional>
#include <vector>

#include "crypto/aead.h"
#include "support/tls_pair.h"

#if defined(__SANITIZE_ADDRESS__)
#define TLSPP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLSPP_TEST_ASAN 1
#endif
#endif
#ifdef TLSPP_TEST_ASAN
#include <sanitizer/allocator_interface.h>
#endif

namespace tlspp {
namespace {

using crypto::KeyType;

// Bytes the process holds in live heap blocks (libcrypto's included: it allocates with
// malloc), from the allocator in use.
size_t heap_in_use() {
#ifdef TLSPP_TEST_ASAN
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

TEST(AeadRelease, AReleasedContextSealsAndOpensAsBefore) {
  const Bytes key(16, 0x42);
  const uint8_t nonce[crypto::kAeadNonceLen] = {1, 2, 3};
  const Bytes aad = {9, 9}, plain = {'i', 'd', 'l', 'e'};
  crypto::AeadCtx kept, released;
  ASSERT_TRUE(kept.set_key(crypto::AeadAlg::aes128gcm, key));
  ASSERT_TRUE(released.set_key(crypto::AeadAlg::aes128gcm, key));
  released.release();
  EXPECT_TRUE(released.released());
  EXPECT_TRUE(released.has_key());
  Bytes a(plain.size() + crypto::kAeadTagLen), b(a.size());
  ASSERT_TRUE(kept.seal(nonce, aad, plain, a));
  ASSERT_TRUE(released.seal(nonce, aad, plain, b));
  EXPECT_FALSE(released.released()) << "sealing sets the context up again";
  EXPECT_EQ(a, b);
  released.release();
  Bytes out(plain.size());
  ASSERT_TRUE(released.open(nonce, aad, a, out));
  EXPECT_EQ(out, plain);
  // A moved-from context has no key; the moved-to one keeps the released state's key.
  released.release();
  crypto::AeadCtx moved = std::move(released);
  EXPECT_FALSE(released.has_key());
  ASSERT_TRUE(moved.open(nonce, aad, a, out));
  EXPECT_EQ(out, plain);
}

void expect_idle_connections_shrink(const ClientOptions& c, const ServerOptions& s) {
  constexpr int kPairs = 40;
  std::vector<std::optional<test::Pair>> pairs(kPairs);
  for (auto& p : pairs) {
    auto made = test::connect(c, s);
    ASSERT_TRUE(made) << made.error().to_string();
    p.emplace(std::move(*made));
  }
  const size_t before = heap_in_use();
  for (auto& p : pairs) {
    p->client.release_idle_memory();
    p->server.release_idle_memory();
  }
  const size_t after = heap_in_use();
  ASSERT_LT(after, before);
  // Two AEAD contexts per connection, each well over 256 bytes of libcrypto state.
  EXPECT_GT((before - after) / (2 * kPairs), 2 * 256u) << "bytes given back per connection";

  // Every connection still works both ways, and again after releasing between records.
  const Bytes ping = {'p', 'i', 'n', 'g'}, pong = {'p', 'o', 'n', 'g', '!'};
  for (auto& p : pairs) {
    EXPECT_EQ(test::transfer(p->client, p->server, ping), ping);
    p->client.release_idle_memory();
    p->server.release_idle_memory();
    EXPECT_EQ(test::transfer(p->server, p->client, pong), pong);
  }
}

TEST(IdleMemory, Tls13ConnectionsGiveBackTheirCipherContextsAndKeepWorking) {
  expect_idle_connections_shrink(test::client_options_for(KeyType::ec_p256), test::server_options_for(KeyType::ec_p256));
}

TEST(IdleMemory, Tls12ConnectionsGiveBackTheirCipherContextsAndKeepWorking) {
  for (CipherSuite suite : {CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}) {
    SCOPED_TRACE(cipher_suite_name(suite));
    auto c = test::client_options_for(KeyType::ec_p256);
    auto s = test::server_options_for(KeyType::ec_p256);
    c.min_version = c.max_version = ProtocolVersion::tls12;
    s.min_version = s.max_version = ProtocolVersion::tls12;
    c.cipher_suites = {suite};
    expect_idle_connections_shrink(c, s);
  }
}

TEST(IdleMemory, AKeyUpdateAfterAReleaseKeysTheNewContexts) {
  auto pair = test::connect(test::client_options_for(KeyType::ec_p256), test::server_options_for(KeyType::ec_p256));
  ASSERT_TRUE(pair) << pair.error().to_string();
  pair->client.release_idle_memory();
  pair->server.release_idle_memory();
  ASSERT_TRUE(pair->client.key_update(true));
  ASSERT_TRUE(test::pump(pair->client, pair->server));
  pair->client.release_idle_memory();
  pair->server.release_idle_memory();
  const Bytes after = {'n', 'e', 'w', ' ', 'k', 'e', 'y', 's'};
  EXPECT_EQ(test::transfer(pair->client, pair->server, after), after);
  EXPECT_EQ(test::transfer(pair->server, pair->client, after), after);
}

}  // namespace
}  // namespace tlspp
