// Pieces shared by the tlspp, OpenSSL and raw-crypto measurements: the in-memory "wire"
// between a client and a server, the clock, and the certificates both libraries use.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tlspp/types.h"

namespace bench {

// One direction of a connection: what a socket would carry. Its storage comes from
// malloc, which neither allocation hook sees, so the bytes in flight count against
// neither library (a kernel socket buffer would not either).
class Wire {
 public:
  explicit Wire(size_t capacity = 64 * 1024)
      : buf_(static_cast<uint8_t*>(std::malloc(capacity))), cap_(capacity) {
    if (!buf_) std::abort();
  }
  ~Wire() { std::free(buf_); }
  Wire(Wire&& o) noexcept : buf_(o.buf_), cap_(o.cap_), head_(o.head_), tail_(o.tail_) { o.buf_ = nullptr; }
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;
  Wire& operator=(Wire&&) = delete;

  [[nodiscard]] size_t size() const { return tail_ - head_; }
  [[nodiscard]] bool empty() const { return head_ == tail_; }
  [[nodiscard]] tlspp::ByteView view() const { return {buf_ + head_, size()}; }
  void clear() { head_ = tail_ = 0; }
  // Appends; false when the bytes do not fit (the sender would block).
  [[nodiscard]] bool push(const void* p, size_t n) {
    if (cap_ - tail_ < n) {
      std::memmove(buf_, buf_ + head_, size());
      tail_ -= head_;
      head_ = 0;
      if (cap_ - tail_ < n) return false;
    }
    std::memcpy(buf_ + tail_, p, n);
    tail_ += n;
    return true;
  }
  // Room for at least n more bytes after the contents, for a sender to write into; commit()
  // counts what it wrote. Empty when n bytes do not fit (the sender would block).
  [[nodiscard]] tlspp::MutByteView space(size_t n) {
    if (cap_ - tail_ < n) {
      std::memmove(buf_, buf_ + head_, size());
      tail_ -= head_;
      head_ = 0;
      if (cap_ - tail_ < n) return {};
    }
    return {buf_ + tail_, cap_ - tail_};
  }
  void commit(size_t n) { tail_ += n; }
  // Drops the first n bytes (they were handed to the receiver by view()).
  void drop(size_t n) {
    head_ += n < size() ? n : size();
    if (head_ == tail_) head_ = tail_ = 0;
  }
  size_t pop(void* out, size_t n) {
    if (n > size()) n = size();
    std::memcpy(out, buf_ + head_, n);
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;
    return n;
  }

 private:
  uint8_t* buf_;
  size_t cap_;
  size_t head_ = 0;
  size_t tail_ = 0;
};

// Monotonic wall-clock nanoseconds (vDSO, cheap): only for how long loops run.
inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// This thread's CPU time, which is what the timed figures use: unlike wall time it does
// not count the time the process spends preempted, so a busy machine does not inflate it.
inline int64_t cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}
// Reading the CPU clock is a system call (~0.7 us on a VM): the median interval between
// two back-to-back reads, measured once, is taken off every timed interval.
[[nodiscard]] int64_t cpu_clock_overhead_ns();
// The CPU time between two reads of cpu_ns(), less the cost of reading the clock.
inline int64_t interval(int64_t from, int64_t to) {
  const int64_t d = to - from - cpu_clock_overhead_ns();
  return d > 0 ? d : 0;
}

// Every timed call into one side goes through one of these two, never inlined, so that a
// profile's call chains tell the client's work from the server's (perf record --call-graph
// dwarf, then group samples by which of the two is on the stack).
template <class F>
[[gnu::noinline]] void as_client(F&& f) {
  f();
}
template <class F>
[[gnu::noinline]] void as_server(F&& f) {
  f();
}

enum class KeyKind { ecdsa_p256, rsa_2048 };
[[nodiscard]] const char* key_kind_name(KeyKind k);

// One server identity: a root CA and a leaf for "localhost" signed directly by it (no
// intermediate, so a client's chain check is one signature: the leaf's), generated at
// start-up with pki::make_test_pki and handed to both libraries.
struct Identity {
  KeyKind kind;
  tlspp::Bytes root_der;
  tlspp::Bytes leaf_der;
  tlspp::Bytes leaf_key_pkcs8;  // PKCS #8 DER
  std::string root_pem_path;    // for tlspp's ClientOptions::ca_files
  std::string chain_pem;        // leaf, PEM
  std::string key_pem;          // PKCS #8, PEM
};
[[nodiscard]] Identity make_identity(KeyKind kind, const std::string& dir);

inline const char* kHost = "localhost";

// The three TLS 1.3 suites, in the order the rows list them.
inline const tlspp::CipherSuite kSuites[] = {tlspp::CipherSuite::TLS_AES_128_GCM_SHA256,
                                             tlspp::CipherSuite::TLS_AES_256_GCM_SHA384,
                                             tlspp::CipherSuite::TLS_CHACHA20_POLY1305_SHA256};

// The two TLS 1.2 suites of the tls12 bulk rows (RFC 5289, RFC 7905), ECDSA like the
// handshake rows.
inline const tlspp::CipherSuite kSuites12[] = {tlspp::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                               tlspp::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
// The suite of the tls12 handshake rows.
inline constexpr tlspp::CipherSuite kSuite12 = tlspp::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;

// Which protocol version a suite belongs to: every setup below follows its suite.
[[nodiscard]] inline bool is_tls12(tlspp::CipherSuite s) {
  return static_cast<uint16_t>(s) >> 8 != 0x13;
}

[[noreturn]] void die(const std::string& what);

// Per-run results of one measurement, in the unit of its row.
struct HandshakeResult {
  double client_us = 0;  // mean CPU time inside the client's calls per handshake
  double server_us = 0;
  double per_second = 0;  // 1 / (client + server): handshakes per CPU-second, both sides on one core
  int count = 0;
};
[[nodiscard]] HandshakeResult handshake_result(int64_t client_ns, int64_t server_ns, int count);

// Bulk figures time batches of records, so that reading the CPU clock costs nothing
// measurable: this many 16 KiB records are sealed, then opened, per batch.
inline constexpr size_t kRecordPayload = 16 * 1024;
inline constexpr size_t kBatchRecords = 64;
inline constexpr size_t kBulkWire = 2 * 1024 * 1024;  // holds a batch of records
struct BulkResult {
  double seal_MBps = 0;  // plaintext bytes / time inside the sender's calls
  double open_MBps = 0;  // plaintext bytes / time inside the receiver's calls
};
struct MemoryResult {
  double peak_per_conn = 0;  // (peak live bytes during the lockstep handshake - before) / connections
  double idle_per_conn = 0;  // (live bytes once every handshake is done - before) / connections
  double idle_client = 0;    // the idle figure split by side
  double idle_server = 0;
  double idle_by_category[3] = {};  // C++ new, libssl, libcrypto; per connection
  double peak_by_category[3] = {};  // live per category at the moment of the peak, per connection
  int64_t leaked = 0;        // live bytes left after every connection was freed
  double allocations_per_handshake = 0;  // heap blocks allocated, client and server together
};

}  // namespace bench
