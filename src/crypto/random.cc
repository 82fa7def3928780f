// SystemRandom draws from libcrypto's CSPRNG; FixedRandom replays queued bytes for tests.
// This is the one file outside crypto/ that calls libcrypto: include/tlspp/random.h
// promises RAND_bytes, and the random source sits below every other layer.
#include "tlspp/random.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace tlspp {

void SystemRandom::fill(MutByteView out) {
  // RAND_bytes is thread safe. A failing system CSPRNG leaves no safe way to continue a
  // handshake (every key would be predictable), so it ends the process.
  size_t done = 0;
  while (done < out.size()) {
    const size_t chunk = std::min<size_t>(out.size() - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) std::abort();
    done += chunk;
  }
}

std::shared_ptr<RandomSource> system_random() {
  static const std::shared_ptr<RandomSource> instance = std::make_shared<SystemRandom>();
  return instance;
}

FixedRandom::FixedRandom(std::vector<Bytes> queue) {
  for (auto& b : queue) push(std::move(b));
}

void FixedRandom::push(Bytes next) {
  // Drop what has been consumed so the buffer does not grow without bound.
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos_));
  pos_ = 0;
  pending_.insert(pending_.end(), next.begin(), next.end());
}

void FixedRandom::fill(MutByteView out) {
  size_t done = 0;
  const size_t queued = std::min(pending_.size() - pos_, out.size());
  if (queued != 0) {
    std::memcpy(out.data(), pending_.data() + pos_, queued);
    pos_ += queued;
    done = queued;
  }
  // Queue exhausted: SHA-256(seed || counter) blocks, deterministic so tests replay.
  static constexpr char kSeed[] = "tlspp FixedRandom deterministic stream";
  while (done < out.size()) {
    uint8_t input[sizeof kSeed + 8];
    std::memcpy(input, kSeed, sizeof kSeed);
    for (int i = 0; i < 8; ++i) input[sizeof kSeed + i] = static_cast<uint8_t>(counter_ >> (56 - 8 * i));
    ++counter_;
    uint8_t block[SHA256_DIGEST_LENGTH];
    SHA256(input, sizeof input, block);
    const size_t n = std::min(sizeof block, out.size() - done);
    std::memcpy(out.data() + done, block, n);
    done += n;
  }
}

}  // namespace tlspp
