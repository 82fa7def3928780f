// A byte buffer for the record path: grows without zero-filling, consumes from the front
// without moving bytes until space is needed, and can give its memory back when empty so
// that an idle connection holds no buffer at all.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "tlspp/types.h"

namespace tlspp {

// Buffers may hold decrypted plaintext, so no block reaches another buffer (and so another
// connection) or the heap before the bytes written into it are wiped. A released block waits
// in a per-thread cache marked with the buffer that released it: the same buffer takes it
// back as it is (a busy connection releases and regains its block once per record, and
// pays no wipe for it), any other buffer gets it wiped. Blocks leaving the cache for the
// heap, and those of a buffer being destroyed, are wiped too. Only the bytes written since
// the block was allocated (up to the high-water mark) are wiped, no more. A buffer that only
// ever holds what goes on the wire (records already encrypted) is made with
// Contents::public_bytes and never needs a wipe.
class Buffer {
 public:
  enum class Contents : uint8_t { secret, public_bytes };
  Buffer() : id_(next_id()) {}
  explicit Buffer(Contents c) : id_(next_id()), wipe_(c == Contents::secret) {}
  Buffer(Buffer&& o) noexcept
      : data_(std::move(o.data_)),
        cap_(o.cap_),
        start_(o.start_),
        end_(o.end_),
        dirty_(o.dirty_),
        id_(std::exchange(o.id_, next_id())),
        wipe_(o.wipe_) {
    o.cap_ = o.start_ = o.end_ = o.dirty_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      retire();
      data_ = std::move(o.data_);
      cap_ = o.cap_;
      start_ = o.start_;
      end_ = o.end_;
      dirty_ = o.dirty_;
      id_ = std::exchange(o.id_, next_id());
      wipe_ = o.wipe_;
      o.cap_ = o.start_ = o.end_ = o.dirty_ = 0;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { retire(); }

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
    if (empty() && data_) {
      note_dirty();
      park(std::move(data_), cap_, secret_bytes(), id_);
      cap_ = start_ = end_ = dirty_ = 0;
    }
  }

 private:
  static uint32_t next_id() {
    static std::atomic<uint32_t> ids{1};
    uint32_t id = ids.fetch_add(1, std::memory_order_relaxed);
    return id != 0 ? id : ids.fetch_add(1, std::memory_order_relaxed);
  }
  // Counts the region written so far as needing a wipe; end_ may shrink (trim_tail, consume
  // to empty), so the high-water mark is kept apart.
  void note_dirty() {
    if (end_ > dirty_) dirty_ = end_;
  }
  [[nodiscard]] size_t secret_bytes() const { return wipe_ ? dirty_ : 0; }
  // The end of this buffer (destruction, or overwritten by a move): its block and any of its
  // blocks still in this thread's cache are wiped.
  void retire() {
    if (data_) {
      note_dirty();
      secure_zero(data_.get(), secret_bytes());
      park(std::move(data_), cap_, 0, 0);
      cap_ = start_ = end_ = dirty_ = 0;
    }
    Cached* slots = cache();
    for (size_t i = 0; i < kCacheSlots; ++i)
      if (slots[i].owner == id_) {
        secure_zero(slots[i].data.get(), slots[i].dirty);
        slots[i].owner = 0;
        slots[i].dirty = 0;
      }
  }
  static void secure_zero(uint8_t* p, size_t n) {
    if (n == 0 || p == nullptr) return;
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
      size_t fresh_dirty = 0;
      std::unique_ptr<uint8_t[]> fresh = reuse(cap, id_, fresh_dirty);
      if (!fresh) fresh.reset(new uint8_t[cap]);
      if (used) std::memcpy(fresh.get(), data_.get() + start_, used);
      // The outgrown block is freed, not cached: a buffer growing by doubling would fill the
      // cache with small blocks and push out the record-sized ones that busy buffers reuse.
      secure_zero(data_.get(), secret_bytes());
      data_ = std::move(fresh);
      cap_ = cap;
      dirty_ = used > fresh_dirty ? used : fresh_dirty;
    }
    start_ = 0;
    end_ = used;
  }

  struct Cached {
    std::unique_ptr<uint8_t[]> data;
    size_t cap = 0;
    size_t dirty = 0;    // bytes that may still hold what `owner` wrote
    uint32_t owner = 0;  // the buffer that released it; 0 when nothing needs wiping
    Cached() = default;
    Cached(const Cached&) = delete;
    Cached& operator=(const Cached&) = delete;
    ~Cached() { secure_zero(data.get(), dirty); }  // at thread exit
  };
  static constexpr size_t kCacheSlots = 4;
  static constexpr size_t kMaxCachedBlock = 64 * 1024;
  static Cached* cache() {
    thread_local Cached slots[kCacheSlots];
    return slots;
  }
  // A cached block of at least `cap` bytes for buffer `requester`, or null. `cap` becomes
  // the block's size; `dirty` how much of it still holds the requester's own earlier data
  // (a block another buffer released is wiped first).
  static std::unique_ptr<uint8_t[]> reuse(size_t& cap, uint32_t requester, size_t& dirty) {
    Cached* slots = cache();
    for (size_t i = 0; i < kCacheSlots; ++i)
      if (slots[i].data && slots[i].cap >= cap) {
        Cached& c = slots[i];
        if (c.owner != requester) {
          secure_zero(c.data.get(), c.dirty);
          dirty = 0;
        } else {
          dirty = c.dirty;
        }
        cap = c.cap;
        c.dirty = 0;
        c.owner = 0;
        return std::move(c.data);
      }
    return nullptr;
  }
  // Keeps a released block in the cache, or wipes and frees it when it does not fit.
  static void park(std::unique_ptr<uint8_t[]> block, size_t cap, size_t dirty, uint32_t owner) {
    Cached* slots = cache();
    if (cap <= kMaxCachedBlock)
      for (size_t i = 0; i < kCacheSlots; ++i)
        if (!slots[i].data) {
          slots[i].data = std::move(block);
          slots[i].cap = cap;
          slots[i].dirty = dirty;
          slots[i].owner = owner;
          return;
        }
    secure_zero(block.get(), dirty);
  }

  std::unique_ptr<uint8_t[]> data_;
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
  size_t dirty_ = 0;  // bytes [0, dirty_) may hold data
  uint32_t id_;       // marks the blocks this buffer released into the cache
  bool wipe_ = true;
};

}  // namespace tlspp
