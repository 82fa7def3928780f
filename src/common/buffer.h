// A byte buffer for the record path: grows without zero-filling, consumes from the front
// without moving bytes until space is needed, and can give its memory back when empty so
// that an idle connection holds no buffer at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "tlspp/types.h"

namespace tlspp {

class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  [[nodiscard]] size_t size() const { return end_ - start_; }
  [[nodiscard]] bool empty() const { return end_ == start_; }
  [[nodiscard]] size_t capacity() const { return cap_; }
  [[nodiscard]] ByteView view() const { return {data_.get() + start_, size()}; }
  [[nodiscard]] MutByteView mut_view() { return {data_.get() + start_, size()}; }

  // Makes room for `n` more bytes and returns them, uninitialised, already counted in size().
  MutByteView append_uninit(size_t n) {
    reserve_tail(n);
    uint8_t* p = data_.get() + end_;
    end_ += n;
    return {p, n};
  }
  void append(ByteView b) {
    if (!b.empty()) std::memcpy(append_uninit(b.size()).data(), b.data(), b.size());
  }
  // Gives back the last `n` bytes of an append_uninit that were not used.
  void trim_tail(size_t n) { end_ -= n; }
  // A writable region of at least `min` bytes after the contents, not yet counted; commit()
  // counts the bytes actually written (for reading from a socket straight into the buffer).
  MutByteView prepare(size_t min) {
    reserve_tail(min);
    return {data_.get() + end_, cap_ - end_};
  }
  void commit(size_t n) { end_ += n; }
  // Drops `n` bytes from the front.
  void consume(size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }
  void clear() { start_ = end_ = 0; }
  // Frees the memory if nothing is buffered. The block goes to a small per-thread cache that
  // the next buffer to grow on this thread takes first: an idle connection holds no buffer,
  // and a busy one does not pay an allocation per record.
  void release_if_empty() {
    if (empty() && data_) {
      recycle(std::move(data_), cap_);
      cap_ = start_ = end_ = 0;
    }
  }

 private:
  void reserve_tail(size_t n) {
    if (cap_ - end_ >= n) return;
    const size_t used = size();
    if (start_ > 0 && cap_ - used >= n) {
      // Enough room once the consumed prefix is dropped.
      std::memmove(data_.get(), data_.get() + start_, used);
    } else {
      size_t cap = cap_ ? cap_ : 256;
      while (cap < used + n) cap *= 2;
      std::unique_ptr<uint8_t[]> fresh = reuse(cap);
      if (!fresh) fresh.reset(new uint8_t[cap]);
      if (used) std::memcpy(fresh.get(), data_.get() + start_, used);
      data_ = std::move(fresh);
      cap_ = cap;
    }
    start_ = 0;
    end_ = used;
  }

  struct Cached {
    std::unique_ptr<uint8_t[]> data;
    size_t cap = 0;
  };
  static constexpr size_t kCacheSlots = 4;
  static constexpr size_t kMaxCachedBlock = 64 * 1024;
  static Cached* cache() {
    thread_local Cached slots[kCacheSlots];
    return slots;
  }
  // A cached block of at least `cap` bytes, or null. `cap` becomes the block's size.
  static std::unique_ptr<uint8_t[]> reuse(size_t& cap) {
    Cached* slots = cache();
    for (size_t i = 0; i < kCacheSlots; ++i)
      if (slots[i].data && slots[i].cap >= cap) {
        cap = slots[i].cap;
        return std::move(slots[i].data);
      }
    return nullptr;
  }
  static void recycle(std::unique_ptr<uint8_t[]> block, size_t cap) {
    if (cap > kMaxCachedBlock) return;
    Cached* slots = cache();
    for (size_t i = 0; i < kCacheSlots; ++i)
      if (!slots[i].data) {
        slots[i].data = std::move(block);
        slots[i].cap = cap;
        return;
      }
  }

  std::unique_ptr<uint8_t[]> data_;
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace tlspp
