// Secret storage, constant-time comparison and the random sources.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "crypto/secret.h"
#include "test_crypto_util.h"
#include "tlspp/random.h"

namespace tlspp::crypto {
namespace {

using testing::from_hex;
using testing::to_hex;

TEST(Secret, HoldsACopyOfTheBytes) {
  Bytes src = from_hex("00112233");
  const Secret s(src);
  src[0] = 0xff;
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(to_hex(s.view()), "00112233");
}

TEST(Secret, ZerosIsWritableThroughData) {
  Secret s = Secret::zeros(12);
  EXPECT_EQ(to_hex(s.view()), "000000000000000000000000");
  s.data()[11] = 7;
  EXPECT_EQ(s.view()[11], 7);
}

TEST(Secret, MoveLeavesTheSourceEmptyAndCopyKeepsBoth) {
  Secret a(from_hex("aabbcc"));
  Secret b = a;
  EXPECT_EQ(to_hex(b.view()), "aabbcc");
  EXPECT_EQ(to_hex(a.view()), "aabbcc");
  Secret c = std::move(a);
  EXPECT_EQ(to_hex(c.view()), "aabbcc");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from Secrets are wiped.
  b = Secret(from_hex("01"));
  EXPECT_EQ(to_hex(b.view()), "01");
}

TEST(Secret, WipeEmptiesIt) {
  Secret s(from_hex("0102"));
  s.wipe();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.view().size(), 0u);
}

TEST(CtEqual, ComparesContentsAndLengths) {
  const Bytes a = from_hex("0102030405");
  EXPECT_TRUE(ct_equal(a, from_hex("0102030405")));
  EXPECT_FALSE(ct_equal(a, from_hex("0102030406")));
  EXPECT_FALSE(ct_equal(a, from_hex("01020304")));
  EXPECT_TRUE(ct_equal({}, {}));
}

TEST(SystemRandom, FillsBuffersWithDifferentBytes) {
  auto rng = system_random();
  ASSERT_NE(rng, nullptr);
  EXPECT_EQ(rng, system_random());
  Bytes a(32), b(32);
  rng->fill(a);
  rng->fill(b);
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(32, 0));
}

TEST(SystemRandom, SafeFromSeveralThreads) {
  auto rng = system_random();
  std::vector<Bytes> outs(4, Bytes(16));
  std::vector<std::thread> threads;
  for (auto& o : outs) threads.emplace_back([&rng, &o] { rng->fill(o); });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < outs.size(); ++i)
    for (size_t j = i + 1; j < outs.size(); ++j) EXPECT_NE(outs[i], outs[j]) << i << " vs " << j;
}

// The per-thread pool (MADV_WIPEONFORK) must not hand a forked child the bytes the parent
// hands out next: a child that reused them would repeat the parent's randoms and keys.
TEST(SystemRandom, AForkedChildDrawsOtherBytesThanItsParent) {
  auto rng = system_random();
  Bytes warm(16);
  rng->fill(warm);  // the pool now holds unused bytes
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Bytes mine(32);
    rng->fill(mine);
    const bool ok = write(pipe_fds[1], mine.data(), mine.size()) == static_cast<ssize_t>(mine.size());
    _exit(ok ? 0 : 1);
  }
  close(pipe_fds[1]);
  Bytes parents(32), childs(32);
  rng->fill(parents);
  ASSERT_EQ(read(pipe_fds[0], childs.data(), childs.size()), static_cast<ssize_t>(childs.size()));
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(parents, childs);
  EXPECT_NE(childs, Bytes(32, 0));
}

// Draws of every size the handshake makes, and a few larger than the pool serves, all differ.
TEST(SystemRandom, SmallAndLargeDrawsAllDiffer) {
  auto rng = system_random();
  std::vector<Bytes> outs;
  for (size_t n : {1u, 32u, 32u, 255u, 256u, 257u, 4096u, 5000u, 32u}) {
    outs.emplace_back(n);
    rng->fill(outs.back());
  }
  for (size_t i = 0; i < outs.size(); ++i)
    for (size_t j = i + 1; j < outs.size(); ++j)
      if (outs[i].size() == outs[j].size()) {
        EXPECT_NE(outs[i], outs[j]) << i << " vs " << j;
      }
  EXPECT_NE(outs[7], Bytes(5000, 0));
}

TEST(FixedRandom, HandsOutQueuedBytesInOrderAcrossStrings) {
  FixedRandom rng({from_hex("010203"), from_hex("0405")});
  Bytes a(2), b(3);
  rng.fill(a);
  rng.fill(b);
  EXPECT_EQ(to_hex(a), "0102");
  EXPECT_EQ(to_hex(b), "030405");
  rng.push(from_hex("aa"));
  Bytes c(1);
  rng.fill(c);
  EXPECT_EQ(to_hex(c), "aa");
}

TEST(FixedRandom, ContinuesWithADeterministicStreamWhenExhausted) {
  FixedRandom r1({from_hex("99")});
  FixedRandom r2({from_hex("99")});
  Bytes a(50), b(50);
  r1.fill(a);
  r2.fill(b);
  EXPECT_EQ(a[0], 0x99);
  EXPECT_EQ(a, b);
  Bytes more1(40), more2(40);
  r1.fill(more1);
  r2.fill(more2);
  EXPECT_EQ(more1, more2);
  EXPECT_NE(Bytes(more1.begin(), more1.begin() + 32), Bytes(a.begin() + 1, a.begin() + 33));
}

}  // namespace
}  // namespace tlspp::crypto
