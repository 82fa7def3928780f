/// @file
/// @brief Where randomness comes from. Configurations hold a RandomSource so tests can
/// inject fixed bytes (e.g. to replay RFC 8448 byte for byte).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "tlspp/export.h"
#include "tlspp/types.h"

namespace tlspp {

/// Where a configuration gets random bytes (CommonOptions::random).
class TLSPP_API RandomSource {
 public:
  virtual ~RandomSource() = default;
  /// Fills `out` entirely with random bytes. Must be safe to call from several threads
  /// if the source is shared by several connections.
  virtual void fill(MutByteView out) = 0;
};

/// The operating system's CSPRNG through libcrypto's RAND_bytes. The default everywhere.
/// Small requests (up to 256 bytes) are served from a per-thread page of RAND_bytes output
/// that a fork() wipes in the child (MADV_WIPEONFORK), each byte wiped as it is handed out.
class TLSPP_API SystemRandom final : public RandomSource {
 public:
  void fill(MutByteView out) override;
};
/// A shared instance of SystemRandom.
[[nodiscard]] TLSPP_API std::shared_ptr<RandomSource> system_random();

/// For tests only: hands out the queued byte strings in order, each call consuming exactly
/// the bytes it asks for (a call may span queued strings). When the queue is exhausted it
/// continues with a deterministic stream (SHA-256 in counter mode over a fixed seed), never
/// with real randomness.
class TLSPP_API FixedRandom final : public RandomSource {
 public:
  ///@{
  /// Starts with `queue` (or nothing) queued.
  FixedRandom() = default;
  explicit FixedRandom(std::vector<Bytes> queue);
  ///@}
  /// Queues `next` after what is queued.
  void push(Bytes next);
  void fill(MutByteView out) override;

 private:
  Bytes pending_;
  size_t pos_ = 0;
  uint64_t counter_ = 0;
};

}  // namespace tlspp
