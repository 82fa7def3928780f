#include "alloc_count.h"

#include <openssl/crypto.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace bench::alloc {
namespace {

// Sits immediately before the pointer handed out. 16 bytes keep the default alignment.
struct Header {
  uint64_t size;
  uint32_t offset;  // from the start of the underlying malloc block to the user pointer
  uint8_t category;
  uint8_t pad[3];
};
static_assert(sizeof(Header) == 16);

// The bench is single-threaded, so plain counters are exact and cost nothing measurable.
int64_t g_live[kCategories];
int64_t g_total;
int64_t g_peak;
int64_t g_peak_live[kCategories];
uint64_t g_allocations;
bool g_hooks;

Header* header_of(void* user) { return reinterpret_cast<Header*>(static_cast<char*>(user) - sizeof(Header)); }

void account_add(Category c, size_t n) {
  g_live[static_cast<int>(c)] += static_cast<int64_t>(n);
  g_total += static_cast<int64_t>(n);
  if (g_total > g_peak) {
    g_peak = g_total;
    std::memcpy(g_peak_live, g_live, sizeof g_live);
  }
  ++g_allocations;
}

void account_remove(const Header* h) {
  g_live[h->category] -= static_cast<int64_t>(h->size);
  g_total -= static_cast<int64_t>(h->size);
}

// `align` is a power of two; the header room is a multiple of it so the user pointer keeps it.
void* allocate(size_t n, size_t align, Category c) {
  const size_t room = align > sizeof(Header) ? align : sizeof(Header);
  void* base = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + room + align - 1) / align * align)
                                                 : std::malloc(n + room);
  if (!base) return nullptr;
  void* user = static_cast<char*>(base) + room;
  Header* h = header_of(user);
  h->size = n;
  h->offset = static_cast<uint32_t>(room);
  h->category = static_cast<uint8_t>(c);
  account_add(c, n);
  return user;
}

void release(void* user) {
  if (!user) return;
  Header* h = header_of(user);
  account_remove(h);
  std::free(static_cast<char*>(user) - h->offset);
}

// OpenSSL passes the allocating source file, relative to its build directory
// ("../ssl/statem/statem_lib.c", "../crypto/evp/evp_lib.c" in Debian's build): libssl's
// sources are the ones under ssl/. A prefix test, not a search, as this runs on every
// allocation of every timed handshake too.
Category openssl_category(const char* file) {
  if (!file) return Category::libcrypto;
  while (file[0] == '.') {
    if (file[1] == '/') {
      file += 2;
    } else if (file[1] == '.' && file[2] == '/') {
      file += 3;
    } else {
      break;
    }
  }
  return std::strncmp(file, "ssl/", 4) == 0 ? Category::libssl : Category::libcrypto;
}

void* crypto_malloc(size_t n, const char* file, int) { return allocate(n, 16, openssl_category(file)); }

void crypto_free(void* p, const char*, int) { release(p); }

void* crypto_realloc(void* p, size_t n, const char* file, int line) {
  if (!p) return crypto_malloc(n, file, line);
  if (n == 0) {
    release(p);
    return nullptr;
  }
  Header* h = header_of(p);
  const Header old = *h;
  void* base = std::realloc(static_cast<char*>(p) - old.offset, n + old.offset);
  if (!base) return nullptr;
  void* user = static_cast<char*>(base) + old.offset;
  account_remove(&old);
  header_of(user)->size = n;
  account_add(static_cast<Category>(old.category), n);
  --g_allocations;  // a resize, not a new block
  return user;
}

// Runs before every ordinary static constructor (priority 101), hence before tlspp or the
// bench touch libcrypto: CRYPTO_set_mem_functions only works before the first allocation.
__attribute__((constructor(101))) void install_crypto_hooks() {
  g_hooks = CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) == 1;
}

}  // namespace

bool crypto_hooks_installed() { return g_hooks; }

Snapshot current() {
  Snapshot s;
  for (int i = 0; i < kCategories; ++i) s.bytes[i] = g_live[i];
  return s;
}

int64_t peak() { return g_peak; }
Snapshot at_peak() {
  Snapshot s;
  for (int i = 0; i < kCategories; ++i) s.bytes[i] = g_peak_live[i];
  return s;
}

void reset_peak() {
  g_peak = g_total;
  std::memcpy(g_peak_live, g_live, sizeof g_live);
}
uint64_t allocations() { return g_allocations; }

}  // namespace bench::alloc

// The replaceable global allocation functions (C++ [new.delete]). The nothrow forms of
// libstdc++ call these, so they need no replacement of their own.
void* operator new(std::size_t n) {
  if (void* p = bench::alloc::allocate(n, 16, bench::alloc::Category::cxx)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = bench::alloc::allocate(n, static_cast<size_t>(a), bench::alloc::Category::cxx)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p) noexcept { bench::alloc::release(p); }
void operator delete[](void* p) noexcept { bench::alloc::release(p); }
void operator delete(void* p, std::size_t) noexcept { bench::alloc::release(p); }
void operator delete[](void* p, std::size_t) noexcept { bench::alloc::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { bench::alloc::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { bench::alloc::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { bench::alloc::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { bench::alloc::release(p); }
