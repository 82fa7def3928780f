// SystemRandom draws from libcrypto's CSPRNG; FixedRandom replays queued bytes for tests.
// This is the one file outside crypto/ that calls libcrypto: include/tlspp/random.h
// promises RAND_bytes, and the random source sits below every other layer.
#include "tlspp/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <openssl/sha.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace tlspp {

namespace {

// Draws straight from libcrypto. A failing system CSPRNG leaves no safe way to continue a
// handshake (every key would be predictable), so it ends the process.
void draw(uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    const size_t chunk = std::min<size_t>(len - done, INT_MAX);
    if (RAND_bytes(out + done, static_cast<int>(chunk)) != 1) std::abort();
    done += chunk;
  }
}

// A per-thread pool of CSPRNG output for the many small draws of a handshake (randoms,
// session IDs, ECDHE private keys, ticket nonces). One RAND_bytes call costs about as much
// as a whole TLS 1.2 resumption's PRF work on a virtual machine (a getpid() system call for
// fork detection, a lock, the DRBG), so the pool draws a page at a time.
//
// The page is mapped with MADV_WIPEONFORK: a forked child finds it zeroed, so its fill
// count reads 0 and it draws afresh; parent and child never hand out the same bytes. Where
// the kernel refuses the advice (before Linux 4.14) there is no pool and every call goes to
// RAND_bytes. Bytes are wiped from the page as they are handed out, and the page is wiped
// and unmapped when the thread ends.
class ThreadPool {
 public:
  static constexpr size_t kPage = 4096;
  static constexpr size_t kMaxDraw = 256;  // larger requests bypass the pool

  ThreadPool() {
    void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    if (madvise(p, kPage, MADV_WIPEONFORK) != 0) {
      munmap(p, kPage);
      return;
    }
    page_ = static_cast<Page*>(p);
  }
  ~ThreadPool() {
    if (!page_) return;
    OPENSSL_cleanse(page_, kPage);
    munmap(page_, kPage);
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // False when the request is not for the pool (too large, or no pool on this kernel).
  bool take(uint8_t* out, size_t len) {
    if (!page_ || len > kMaxDraw) return false;
    if (page_->avail < len) {
      draw(page_->bytes, sizeof page_->bytes);
      page_->avail = sizeof page_->bytes;
    }
    uint8_t* from = page_->bytes + sizeof page_->bytes - page_->avail;
    std::memcpy(out, from, len);
    OPENSSL_cleanse(from, len);
    page_->avail -= len;
    return true;
  }

 private:
  struct Page {
    size_t avail;  // zero after fork(): the child refills
    uint8_t bytes[kPage - sizeof(size_t)];
  };
  static_assert(sizeof(Page) == kPage);
  Page* page_ = nullptr;
};

}  // namespace

void SystemRandom::fill(MutByteView out) {
  // RAND_bytes is thread safe, and the pool is per thread.
  thread_local ThreadPool pool;
  if (out.empty() || pool.take(out.data(), out.size())) return;
  draw(out.data(), out.size());
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
