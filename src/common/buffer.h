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

// Buffers may hold decrypted plaintext, so every block is wiped before it is freed or
// handed to the per-thread cache (and so to another connection): the bytes written since it
// was allocated (up to the high-water mark), no more. A buffer that only ever holds what
// goes on the wire (records already encrypted) is made with Contents::public_bytes and
// skips the wipe.
class Buffer {
 public:
  enum class Contents : uint8_t { secret, public_bytes };
  Buffer() = default;
  explicit Buffer(Contents c) : wipe_(c == Contents::secret) {}
  Buffer(Buffer&& o) noexcept
      : data_(std::move(o.data_)), cap_(o.cap_), start_(o.start_), end_(o.end_), dirty_(o.dirty_), wipe_(o.wipe_) {
    o.cap_ = o.start_ = o.end_ = o.dirty_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      drop();
      data_ = std::move(o.data_);
      cap_ = o.cap_;
      start_ = o.start_;
      end_ = o.end_;
      dirty_ = o.dirty_;
      wipe_ = o.wipe_;
      o.cap_ = o.start_ = o.end_ = o.dirty_ = 0;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { drop(); }

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
  void trim_tail(size_t n) {
    note_dirty();
    end_ -= n;
  }
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
    if (start_ == end_) {
      note_dirty();
      start_ = end_ = 0;
    }
  }
  void clear() {
    note_dirty();
    start_ = end_ = 0;
  }
  // Frees the memory if nothing is buffered. The block goes to a small per-thread cache that
  // the next buffer to grow on this thread takes first: an idle connection holds no buffer,
  // and a busy one does not pay an allocation per record.
  void release_if_empty() {
    if (empty() && data_) drop();
  }

 private:
  // Counts the region written so far as needing a wipe; end_ may shrink (trim_tail, consume
  // to empty), so the high-water mark is kept apart.
  void note_dirty() {
    if (end_ > dirty_) dirty_ = end_;
  }
  // Wipes what was written and gives the block back (to the cache or the heap).
  void drop() {
    if (!data_) return;
    note_dirty();
    if (wipe_) secure_zero(data_.get(), dirty_);
    recycle(std::move(data_), cap_);
    cap_ = start_ = end_ = dirty_ = 0;
  }
  static void secure_zero(uint8_t* p, size_t n) {
    if (n == 0) return;
    std::memset(p, 0, n);
    // Keeps the compiler from dropping the memset of memory about to be freed.
    asm volatile("" : : "r"(p) : "memory");
  }
  void reserve_tail(size_t n) {
    if (cap_ - end_ >= n) return;
    note_dirty();
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
      if (data_) {
        note_dirty();
        if (wipe_) secure_zero(data_.get(), dirty_);
        recycle(std::move(data_), cap_);
      }
      data_ = std::move(fresh);
      cap_ = cap;
      dirty_ = used;
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
  size_t dirty_ = 0;  // bytes [0, dirty_) may hold data
  bool wipe_ = true;
};

}  // namespace tlspp
