// tlspp-bench: tlspp against OpenSSL's libssl in one process, one thread, client and
// server joined by memory, both measured in the same run, beside the raw-crypto floor.
// `tlspp-bench --help` (or `tlspp bench --help`) describes the options; the notes printed
// under the table say how each figure is measured.
#include <sched.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alloc_count.h"
#include "bench_flags.h"
#include "options.h"
#include "sides.h"

namespace bench {
namespace {

// The flags (tools/bench_flags.h, shared with `tlspp bench --help`) are read by the CLI's
// parser (tools/options.h).
const std::string kUsage =
    "tlspp-bench [--quick] [--json] [--pin CPU] [--runs N] [--seconds S] [--bulk-mib N]\n"
    "                   [--pairs N] [--only GROUP,...] [--lib tlspp,openssl,floor] [--suites NAME,...]";

using tlspp::cli::kBenchGroups12;
using tlspp::cli::kBenchGroups13;

struct Options {
  bool quick = false;
  bool json = false;
  int pin = -1;
  int runs = 7;
  int memory_runs = 3;
  double seconds = 0.4;
  int min_handshakes = 20;
  size_t bulk_bytes = size_t{1} << 30;
  int pairs = 1000;
  std::set<std::string> only{"ecdsa",       "rsa",           "resumed",    "early",       "bulk",
                             "memory",      "tls12_ecdsa",   "tls12_resumed", "tls12_bulk", "tls12_memory"};
  std::set<std::string> libs{"tlspp", "openssl", "floor"};
  std::set<std::string> suites;  // empty: all
};

// A usage error: one line on stderr, exit code 2.
[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "tlspp-bench: %s (tlspp-bench --help lists the options)\n", message.c_str());
  std::exit(2);
}

// A whole number from `min` to `max` for `flag`.
long whole_number(const std::string& text, const char* flag, long min, long max) {
  char* end = nullptr;
  errno = 0;
  const long n = text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) ? -1 : std::strtol(text.c_str(), &end, 10);
  if (n < min || n > max || errno || !end || *end)
    usage_error(std::string(flag) + " takes a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                ", not '" + text + "'");
  return n;
}

// A comma-separated list for `flag`, each item one of `known`.
std::set<std::string> known_list(const std::string& text, const char* flag, const char* what,
                                 const std::vector<std::string>& known) {
  std::set<std::string> out;
  for (const std::string& item : tlspp::cli::split_list(text)) {
    if (std::find(known.begin(), known.end(), item) == known.end())
      usage_error("unknown " + std::string(what) + " '" + item + "' in " + flag);
    out.insert(item);
  }
  if (out.empty()) usage_error(std::string(flag) + " needs at least one " + what);
  return out;
}

Options parse(int argc, char** argv) {
  namespace cli = tlspp::cli;
  const std::vector<std::string> argv_list(argv + 1, argv + argc);
  if (cli::wants_help(argv_list)) std::exit(cli::print_program_help(kUsage, cli::kBenchFlags, cli::kBenchAbout));
  auto parsed = cli::parse_args(argv_list, cli::kBenchFlags);
  if (!parsed) usage_error(parsed.error().message);
  const cli::Args& args = *parsed;
  if (!args.positional.empty()) usage_error("unexpected argument '" + args.positional.front() + "'");

  Options o;
  o.quick = args.has("--quick");
  o.json = args.has("--json");
  if (auto v = args.value("--pin")) o.pin = static_cast<int>(whole_number(*v, "--pin", 0, CPU_SETSIZE - 1));
  if (auto v = args.value("--runs")) o.runs = static_cast<int>(whole_number(*v, "--runs", 1, 1000));
  if (auto v = args.value("--seconds")) {
    // 0 is allowed: each loop then makes only its minimum number of handshakes.
    char* end = nullptr;
    errno = 0;
    const double secs = v->empty() || !std::isdigit(static_cast<unsigned char>((*v)[0])) ? -1 : std::strtod(v->c_str(), &end);
    if (secs < 0 || secs > 86400 || errno || !end || *end)
      usage_error("--seconds takes a number of seconds from 0 to 86400, not '" + *v + "'");
    o.seconds = secs;
  }
  if (auto v = args.value("--bulk-mib")) o.bulk_bytes = size_t(whole_number(*v, "--bulk-mib", 1, 1 << 20)) << 20;
  if (auto v = args.value("--pairs")) o.pairs = static_cast<int>(whole_number(*v, "--pairs", 1, 1000000));
  if (auto v = args.value("--only")) {
    std::vector<std::string> known{"tls13", "tls12"};
    known.insert(known.end(), std::begin(kBenchGroups13), std::end(kBenchGroups13));
    known.insert(known.end(), std::begin(kBenchGroups12), std::end(kBenchGroups12));
    o.only.clear();
    for (const std::string& g : known_list(*v, "--only", "group", known)) {
      if (g == "tls13") o.only.insert(std::begin(kBenchGroups13), std::end(kBenchGroups13));
      else if (g == "tls12") o.only.insert(std::begin(kBenchGroups12), std::end(kBenchGroups12));
      else o.only.insert(g);
    }
  }
  if (auto v = args.value("--lib"))
    o.libs = known_list(*v, "--lib", "library", {std::begin(tlspp::cli::kBenchLibs), std::end(tlspp::cli::kBenchLibs)});
  if (auto v = args.value("--suites")) {
    std::vector<std::string> known;
    for (tlspp::CipherSuite s : kSuites) known.emplace_back(tlspp::cipher_suite_name(s));
    for (tlspp::CipherSuite s : kSuites12) known.emplace_back(tlspp::cipher_suite_name(s));
    o.suites = known_list(*v, "--suites", "suite", known);
  }
  if (o.quick) {
    if (!args.has("--runs")) o.runs = 3;
    if (!args.has("--seconds")) o.seconds = 0.05;
    if (!args.has("--bulk-mib")) o.bulk_bytes = size_t{32} << 20;
    o.min_handshakes = 10;
    o.memory_runs = 1;
  }
  o.memory_runs = std::min(o.memory_runs, o.runs);
  return o;
}

struct Series {
  std::vector<double> v;
  [[nodiscard]] bool empty() const { return v.empty(); }
  [[nodiscard]] double min() const { return *std::min_element(v.begin(), v.end()); }
  [[nodiscard]] double max() const { return *std::max_element(v.begin(), v.end()); }
  [[nodiscard]] double median() const {
    std::vector<double> s = v;
    std::sort(s.begin(), s.end());
    const size_t n = s.size();
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
};

struct Row {
  std::string name, unit;
  Series tlspp, openssl, floor;
  const char* tlspp_missing = nullptr;  // why tlspp has no figure ("not yet")
};

class Rows {
 public:
  Row& operator[](const std::string& name) {
    for (auto& r : rows_) {
      if (r.name == name) return r;
    }
    die("no row " + name);
  }
  void add(std::string name, std::string unit) { rows_.push_back(Row{std::move(name), std::move(unit), {}, {}, {}, nullptr}); }
  std::vector<Row>& all() { return rows_; }

 private:
  std::vector<Row> rows_;
};

std::string fmt(double x) {
  char b[64];
  const double a = x < 0 ? -x : x;
  std::snprintf(b, sizeof b, a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", x);
  return b;
}

std::string cell(const Series& s) {
  if (s.empty()) return "-";
  if (s.v.size() == 1) return fmt(s.median());
  return fmt(s.median()) + " [" + fmt(s.min()) + ".." + fmt(s.max()) + "]";
}

std::string ratio(const Series& a, const Series& b) {
  if (a.empty() || b.empty() || b.median() == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", a.median() / b.median());
  return buf;
}

using Json = nlohmann::ordered_json;  // keys in the order written

// A figure rounded to 10 significant digits (what --json has always printed), or null.
Json json_number(const Series& s, double (Series::*f)() const) {
  if (s.empty()) return nullptr;
  char b[64];
  std::snprintf(b, sizeof b, "%.10g", (s.*f)());
  const double v = std::strtod(b, nullptr);
  // Whole numbers stay integers ("4806", not "4806.0"), as %.10g wrote them.
  if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 1e15) return static_cast<long long>(v);
  return v;
}

// x to one decimal, as the memory detail and the elapsed time are given.
double tenths(double x) { return std::round(x * 10) / 10; }

std::vector<std::string> method_notes(const Options& o) {
  return {
      "One process, one thread; client and server of each library joined by in-memory wires (no sockets). "
      "TLS 1.3 rows, both libraries: TLS 1.3 only (OpenSSL limited to it; tlspp configured with TLS 1.3 suites "
      "only, which it offers and accepts TLS 1.3 alone with), X25519 only, TLS_AES_128_GCM_SHA256 for the handshake rows, the same "
      "certificates (made at start-up by pki::make_test_pki: a root and a leaf for 'localhost' signed by it, no "
      "intermediate), the client verifying the chain and the host name (OpenSSL: SSL_VERIFY_PEER + "
      "SSL_set1_host), no session tickets except in the resumed rows, no server session cache.",
      "Handshake rows: this thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so time preempted by other processes "
      "does not count; the calibrated cost of reading the clock is taken off each interval) spent inside each "
      "side's own calls, accumulated separately for client and server, divided by the number of handshakes. "
      "Client calls: create (ClientHello), processing the server flight, destruction; server likewise. "
      "handshakes_per_s = 1 / (client + server): full handshakes per CPU-second with both sides on one core.",
      "Resumed rows: both libraries resume (psk_dhe_ke, X25519) with the ticket of the previous connection; "
      "each server issues one fresh ticket per connection and the client's time includes reading it.",
      "Bulk rows: " + std::to_string(o.bulk_bytes >> 20) +
          " MiB client to server in 16 KiB writes per run, after an untimed handshake with that suite, timed in "
          "batches of 64 records (64 writes, then the receiver takes the 64 records one by one). MB/s = "
          "10^6 plaintext bytes per second of time inside the sender's calls (seal) or the receiver's calls "
          "(open), each library through its own API for the job. tlspp uses its copy-free calls: write_into() "
          "seals each record straight into the wire's free space, receive() decrypts it from the wire into the "
          "connection's read buffer, and read_view()/consume_read() take the plaintext there. OpenSSL: "
          "SSL_write, whose BIO copies the record onto the wire; SSL_read, whose BIO copies the record in "
          "and which copies the plaintext out. The floor's raw AEAD seals into and opens from one buffer.",
      "Memory rows: " + std::to_string(o.pairs) +
          " client+server pairs taken through the handshake in lockstep (every pair finishes a flight before any "
          "pair starts the next). Heap bytes are requested bytes of live blocks, counted by two hooks that see "
          "both libraries alike: a replaced global operator new/delete (tlspp's own allocations; libssl makes "
          "none) and CRYPTO_set_mem_functions, installed before any other OpenSSL call (every OPENSSL_malloc of "
          "libssl and libcrypto, including the libcrypto allocations tlspp makes for keys and cipher contexts). "
          "Peak: highest live total during the handshakes minus the total before, per connection (2 per pair). "
          "Idle: live total once every handshake is done, minus before, per connection. Bytes in flight sit in "
          "the wires, which neither hook sees. The _release_buffers rows repeat the measurement with OpenSSL's "
          "SSL_MODE_RELEASE_BUFFERS (tlspp always frees idle buffers, so its figures are the same). The hooks "
          "stay installed for the timed rows too: they add a few nanoseconds per allocation to both libraries "
          "(the memory detail gives allocations per handshake).",
      "Floor: the same handshakes done with libcrypto alone, side by side, timed per side: X25519 key generation "
      "and shared secret, the key schedule's HMACs (HKDF-Extract/Expand-Label), transcript hashes, the "
      "signature (server) or the leaf certificate and CertificateVerify verifications (client, after turning "
      "the leaf's public key into a key object), four AEAD key set-ups, one flight record each way; bulk: AEAD seal/open of 16 "
      "KiB records with header AAD and per-record nonce. The resumed floor (psk_dhe_ke) has no certificate or "
      "signature but the PSK's early secret and binder (made by the client, checked by the server); ticket "
      "encryption is left out (a server could keep a cache instead). tlspp/floor is tlspp's figure divided "
      "by the floor's.",
      "0-RTT rows (early_): resumed TLS 1.3 handshakes (psk_dhe_ke, X25519) in which the client writes 64 "
      "bytes of early data with its ClientHello and the server reads them before sending its flight; each "
      "connection resumes with the ticket the previous one received (one per connection), and a handshake whose "
      "early data was not accepted by both sides stops the run. Each server keeps its default anti-replay "
      "protection (RFC 8446 §8): tlspp its in-memory store (single-use tickets and the ClientHello record), "
      "OpenSSL its session cache (SSL_SESS_CACHE_SERVER, single-use tickets). anti_replay_memory: the two "
      "AntiReplay::first_use calls a tlspp server makes per 0-RTT handshake (a 33-byte binder id, a 17-byte "
      "ticket id), timed alone on the wall clock with new ids each time, on a store renewed every 40,000 "
      "handshakes; its share is that time over the early_ server figure of the same run. anti_replay_redis: the "
      "same two calls on tlspp_redis's store (an atomic SET NX PX each, one round trip to Redis on loopback, a "
      "redis-server the bench starts on 127.0.0.1 or TLSPP_BENCH_REDIS=HOST:PORT; a new key prefix per store), "
      "so mostly waiting rather than CPU, and its share may exceed 100%; the row is skipped, with the reason, "
      "when tlspp_redis is not built (-DTLSPP_REDIS=ON) or no Redis answers.",
      "TLS 1.2 rows (tls12_): the same set-up with both libraries limited to TLS 1.2 (OpenSSL: "
      "SSL_CTX_set_min/max_proto_version; tlspp: min_version = max_version = tls12), "
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 for the handshake and memory rows, ECDHE with X25519 (the "
      "servers offer only X25519; the clients list P-256 after it, as RFC 8422 §5.3 wants for the P-256 "
      "certificate to be acceptable), the extended master secret (RFC 7627) on both sides (checked: OpenSSL's SSL_get_extms_support on "
      "every handshake, the flag of tlspp's session in the resumed rows), "
      "no tickets (OpenSSL: SSL_OP_NO_TICKET) and no session cache (tlspp: session_cache_size = 0) except in "
      "the resumed rows. A full TLS 1.2 handshake is five flights, the client finishing last on the server's "
      "Finished; its time goes to the side that makes each flight, plus creation and destruction as above. "
      "Resumed rows: RFC 5077 tickets; an untimed full handshake makes the session and every timed connection "
      "resumes the session its client holds (an abbreviated handshake, four flights, no certificate, no ECDHE); "
      "neither server renews the ticket on resumption (OpenSSL does not by default). The TLS 1.2 floor: X25519 "
      "both sides, the ServerKeyExchange signature (server), the leaf certificate's and the "
      "ServerKeyExchange's verification (client), the PRF (HMAC-SHA256, keyed once per secret) for the "
      "extended master secret over the session hash, the key block and both Finished, the transcript "
      "hashes, two AEAD key set-ups and one Finished record each way per side; resumed: key block and "
      "Finished from the saved master secret, ticket encryption left out as in TLS 1.3. The bulk floor uses "
      "TLS 1.2's additional data and nonces (RFC 5288 explicit nonce for AES-GCM, RFC 7905 for ChaCha20).",
      "Timed rows: min, median and max over " + std::to_string(o.runs) + (o.runs == 1 ? " run" : " runs") +
          "; memory rows over " + std::to_string(o.memory_runs) + ".",
  };
}

void print_memory_detail(const char* who, const MemoryResult& m) {
  std::printf("  %-32s peak %8.0f (C++ %.0f, libssl %.0f, libcrypto %.0f)  idle %8.0f (C++ %.0f, libssl %.0f, "
              "libcrypto %.0f)  idle client %.0f / server %.0f  left after free: %lld  allocations per handshake: %.0f\n",
              who, m.peak_per_conn, m.peak_by_category[0], m.peak_by_category[1], m.peak_by_category[2],
              m.idle_per_conn, m.idle_by_category[0], m.idle_by_category[1], m.idle_by_category[2], m.idle_client,
              m.idle_server, static_cast<long long>(m.leaked), m.allocations_per_handshake);
}

Json memory_json(const MemoryResult& m) {
  return Json{{"peak_per_conn", tenths(m.peak_per_conn)},
              {"peak_cxx", tenths(m.peak_by_category[0])},
              {"peak_libssl", tenths(m.peak_by_category[1])},
              {"peak_libcrypto", tenths(m.peak_by_category[2])},
              {"idle_per_conn", tenths(m.idle_per_conn)},
              {"idle_cxx", tenths(m.idle_by_category[0])},
              {"idle_libssl", tenths(m.idle_by_category[1])},
              {"idle_libcrypto", tenths(m.idle_by_category[2])},
              {"idle_client", tenths(m.idle_client)},
              {"idle_server", tenths(m.idle_server)},
              {"left_after_free", static_cast<long long>(m.leaked)},
              {"allocations_per_handshake", tenths(m.allocations_per_handshake)}};
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (!alloc::crypto_hooks_installed())
    die("CRYPTO_set_mem_functions failed: libcrypto allocated before the bench could count");
  if (o.pin >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.pin, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity to CPU " + std::to_string(o.pin) + " failed");
  }
  auto want = [&](const char* group) { return o.only.count(group) > 0; };
  const bool do_tlspp = o.libs.count("tlspp"), do_openssl = o.libs.count("openssl"), do_floor = o.libs.count("floor");
  const int64_t budget = static_cast<int64_t>(o.seconds * 1e9);
  const int64_t wall_start = now_ns();

  char tmpl[] = "/tmp/tlspp-bench-XXXXXX";
  if (!mkdtemp(tmpl)) die("mkdtemp failed");
  const std::string dir = tmpl;
  const Identity ecdsa = make_identity(KeyKind::ecdsa_p256, dir);
  const Identity rsa = make_identity(KeyKind::rsa_2048, dir);

  using tlspp::CipherSuite;
  const CipherSuite hs_suite = CipherSuite::TLS_AES_128_GCM_SHA256;
  const TlsppSetup t_ecdsa = tlspp_setup(ecdsa, hs_suite);
  const TlsppSetup t_resume = tlspp_setup(ecdsa, hs_suite, 1);
  const TlsppSetup t_rsa = tlspp_setup(rsa, hs_suite);
  OpensslSetup o_ecdsa(ecdsa, {hs_suite, 0, false});
  OpensslSetup o_rsa(rsa, {hs_suite, 0, false});
  OpensslSetup o_resume(ecdsa, {hs_suite, 1, false});
  // 0-RTT: a small request (one line of HTTP) as early data, with each server's default
  // anti-replay protection (tlspp: its in-memory store; OpenSSL: its session cache).
  constexpr size_t kEarlyBytes = 64;
  const TlsppSetup t_early = tlspp_setup(ecdsa, hs_suite, 1, 16384);
  OpensslSetup o_early(ecdsa, {hs_suite, 1, false, 16384});
  OpensslSetup o_release(ecdsa, {hs_suite, 0, true});
  std::vector<TlsppSetup> t_bulk;
  std::vector<std::unique_ptr<OpensslSetup>> o_bulk;
  for (CipherSuite s : kSuites) {
    t_bulk.push_back(tlspp_setup(ecdsa, s));
    o_bulk.push_back(std::make_unique<OpensslSetup>(ecdsa, OpensslOptions{s, 0, false}));
  }
  // TLS 1.2: the ECDSA identity, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 for the handshake
  // rows, tickets only for the resumed ones.
  const TlsppSetup t12_ecdsa = tlspp_setup(ecdsa, kSuite12);
  const TlsppSetup t12_resume = tlspp_setup(ecdsa, kSuite12, 1);
  OpensslSetup o12_ecdsa(ecdsa, {kSuite12, 0, false});
  OpensslSetup o12_resume(ecdsa, {kSuite12, 1, false});
  OpensslSetup o12_release(ecdsa, {kSuite12, 0, true});
  std::vector<TlsppSetup> t12_bulk;
  std::vector<std::unique_ptr<OpensslSetup>> o12_bulk;
  for (CipherSuite s : kSuites12) {
    t12_bulk.push_back(tlspp_setup(ecdsa, s));
    o12_bulk.push_back(std::make_unique<OpensslSetup>(ecdsa, OpensslOptions{s, 0, false}));
  }
  Floor floor(ecdsa, rsa);

  // tlspp's TLS 1.2 rows need its TLS 1.2 server: without it (a build from before it
  // landed) they say so instead of failing the whole run.
  bool any12 = false;
  for (const char* g : kBenchGroups12) any12 = any12 || want(g);
  std::string tlspp12_error;
  if (do_tlspp && any12) tlspp12_error = tlspp_handshake_error(t12_ecdsa);
  const bool do_tlspp12 = do_tlspp && tlspp12_error.empty();

  Rows rows;
  for (const char* k : {"ecdsa", "rsa"}) {
    rows.add(std::string("full_") + k + "_server_us", "us");
    rows.add(std::string("full_") + k + "_client_us", "us");
    rows.add(std::string("full_") + k + "_handshakes_per_s", "handshakes/s");
  }
  rows.add("resumed_server_us", "us");
  rows.add("resumed_client_us", "us");
  rows.add("resumed_handshakes_per_s", "handshakes/s");
  rows.add("early_server_us", "us");
  rows.add("early_client_us", "us");
  rows.add("early_handshakes_per_s", "handshakes/s");
  rows.add("anti_replay_memory_ns_per_handshake", "ns");
  rows.add("anti_replay_memory_share_of_early_server", "%");
  rows.add("anti_replay_redis_ns_per_handshake", "ns");
  rows.add("anti_replay_redis_share_of_early_server", "%");
  for (CipherSuite s : kSuites) {
    rows.add("bulk_seal_" + std::string(tlspp::cipher_suite_name(s)) + "_MBps", "MB/s");
    rows.add("bulk_open_" + std::string(tlspp::cipher_suite_name(s)) + "_MBps", "MB/s");
  }
  rows.add("memory_peak_bytes_per_conn", "bytes");
  rows.add("memory_idle_bytes_per_conn", "bytes");
  rows.add("memory_peak_bytes_per_conn_release_buffers", "bytes");
  rows.add("memory_idle_bytes_per_conn_release_buffers", "bytes");
  rows.add("tls12_full_ecdsa_server_us", "us");
  rows.add("tls12_full_ecdsa_client_us", "us");
  rows.add("tls12_full_ecdsa_handshakes_per_s", "handshakes/s");
  rows.add("tls12_resumed_server_us", "us");
  rows.add("tls12_resumed_client_us", "us");
  rows.add("tls12_resumed_handshakes_per_s", "handshakes/s");
  for (CipherSuite s : kSuites12) {
    rows.add("tls12_bulk_seal_" + std::string(tlspp::cipher_suite_name(s)) + "_MBps", "MB/s");
    rows.add("tls12_bulk_open_" + std::string(tlspp::cipher_suite_name(s)) + "_MBps", "MB/s");
  }
  rows.add("tls12_memory_peak_bytes_per_conn", "bytes");
  rows.add("tls12_memory_idle_bytes_per_conn", "bytes");
  rows.add("tls12_memory_peak_bytes_per_conn_release_buffers", "bytes");
  rows.add("tls12_memory_idle_bytes_per_conn_release_buffers", "bytes");
  if (do_tlspp && !do_tlspp12) {
    for (Row& r : rows.all())
      if (r.name.rfind("tls12_", 0) == 0) r.tlspp_missing = "not yet";
  }

  // The Redis for the anti_replay_redis row, started (or reached) once for every run.
  std::unique_ptr<BenchRedis> redis;
  if (do_tlspp && want("early")) {
    redis = std::make_unique<BenchRedis>();
    if (!redis->skipped().empty()) {
      if (!o.json) std::fprintf(stderr, "anti_replay_redis: skipped: %s\n", redis->skipped().c_str());
      for (const char* row : {"anti_replay_redis_ns_per_handshake", "anti_replay_redis_share_of_early_server"})
        rows[row].tlspp_missing = "skipped";
    } else if (!o.json) {
      std::fprintf(stderr, "anti_replay_redis: against %s\n", redis->where().c_str());
    }
  }

  // Warm-up, not recorded: lazy initialisation (provider loading, algorithm fetches, first
  // use of each configuration) must not land in the first run's figures or the memory rows.
  if (do_tlspp) {
    (void)tlspp_handshakes(t_ecdsa, 0, 3);
    (void)tlspp_handshakes(t_rsa, 0, 3);
    (void)tlspp_resumed_handshakes(t_resume, 0, 3);
    if (want("early")) (void)tlspp_early_handshakes(t_early, kEarlyBytes, 0, 3);
    for (const auto& t : t_bulk) (void)tlspp_bulk(t, 1 << 20);
  }
  if (do_tlspp12) {
    (void)tlspp_handshakes(t12_ecdsa, 0, 3);
    (void)tlspp_resumed_handshakes(t12_resume, 0, 3);
    for (const auto& t : t12_bulk) (void)tlspp_bulk(t, 1 << 20);
  }
  if (do_openssl && any12) {
    (void)openssl_handshakes(o12_ecdsa, 0, 3);
    (void)openssl_resumed_handshakes(o12_resume, 0, 3);
    (void)openssl_handshakes(o12_release, 0, 3);
    for (const auto& s : o12_bulk) (void)openssl_bulk(*s, 1 << 20);
  }
  if (do_openssl) {
    (void)openssl_handshakes(o_ecdsa, 0, 3);
    (void)openssl_handshakes(o_rsa, 0, 3);
    (void)openssl_resumed_handshakes(o_resume, 0, 3);
    if (want("early")) (void)openssl_early_handshakes(o_early, kEarlyBytes, 0, 3);
    (void)openssl_handshakes(o_release, 0, 3);
    for (const auto& s : o_bulk) (void)openssl_bulk(*s, 1 << 20);
  }
  if (do_floor) {
    (void)floor.handshakes(KeyKind::ecdsa_p256, false, 0, 3);
    (void)floor.handshakes(KeyKind::rsa_2048, false, 0, 3);
    (void)floor.handshakes(KeyKind::ecdsa_p256, true, 0, 3);
    (void)floor.tls12_handshakes(false, 0, 3);
    (void)floor.tls12_handshakes(true, 0, 3);
  }

  auto record_hs = [&](const std::string& prefix, Series Row::*col, const HandshakeResult& r) {
    (rows[prefix + "_server_us"].*col).v.push_back(r.server_us);
    (rows[prefix + "_client_us"].*col).v.push_back(r.client_us);
    (rows[prefix + "_handshakes_per_s"].*col).v.push_back(r.per_second);
  };
  MemoryResult mem_t{}, mem_o{}, mem_r{}, mem12_t{}, mem12_o{}, mem12_r{};
  for (int run_no = 0; run_no < o.runs; ++run_no) {
    if (!o.json) std::fprintf(stderr, "run %d/%d ...\n", run_no + 1, o.runs);
    // Who goes first changes from run to run, so that neither library always follows the other.
    std::vector<std::function<void()>> jobs;
    for (KeyKind kind : {KeyKind::ecdsa_p256, KeyKind::rsa_2048}) {
      const bool is_ecdsa = kind == KeyKind::ecdsa_p256;
      if (!want(is_ecdsa ? "ecdsa" : "rsa")) continue;
      const std::string prefix = is_ecdsa ? "full_ecdsa" : "full_rsa";
      std::vector<std::function<void()>> trio;
      if (do_tlspp)
        trio.push_back([&, prefix, is_ecdsa] {
          record_hs(prefix, &Row::tlspp, tlspp_handshakes(is_ecdsa ? t_ecdsa : t_rsa, budget, o.min_handshakes));
        });
      if (do_openssl)
        trio.push_back([&, prefix, is_ecdsa] {
          record_hs(prefix, &Row::openssl, openssl_handshakes(is_ecdsa ? o_ecdsa : o_rsa, budget, o.min_handshakes));
        });
      if (do_floor)
        trio.push_back([&, prefix, kind] { record_hs(prefix, &Row::floor, floor.handshakes(kind, false, budget, o.min_handshakes)); });
      std::rotate(trio.begin(), trio.begin() + (trio.empty() ? 0 : run_no % trio.size()), trio.end());
      jobs.insert(jobs.end(), trio.begin(), trio.end());
    }
    if (want("resumed")) {
      if (do_tlspp)
        jobs.push_back([&] { record_hs("resumed", &Row::tlspp, tlspp_resumed_handshakes(t_resume, budget, o.min_handshakes)); });
      if (do_openssl)
        jobs.push_back([&] { record_hs("resumed", &Row::openssl, openssl_resumed_handshakes(o_resume, budget, o.min_handshakes)); });
      if (do_floor)
        jobs.push_back([&] { record_hs("resumed", &Row::floor, floor.handshakes(KeyKind::ecdsa_p256, true, budget, o.min_handshakes)); });
    }
    if (want("early")) {
      if (do_tlspp)
        jobs.push_back([&] {
          const HandshakeResult r = tlspp_early_handshakes(t_early, kEarlyBytes, budget, o.min_handshakes);
          record_hs("early", &Row::tlspp, r);
          // The ids a tlspp server checks: 'h' and the binder (33 bytes), 't' and the
          // ticket's AEAD tag (17 bytes).
          const double ns = anti_replay_ns_per_handshake([] { return tlspp::make_memory_anti_replay(); }, 17,
                                                         budget, o.min_handshakes);
          rows["anti_replay_memory_ns_per_handshake"].tlspp.v.push_back(ns);
          rows["anti_replay_memory_share_of_early_server"].tlspp.v.push_back(ns / (r.server_us * 1e3) * 100);
          if (redis && redis->skipped().empty()) {
            const double rns = anti_replay_ns_per_handshake([&redis] { return redis->make(); }, 17, budget,
                                                            o.min_handshakes);
            rows["anti_replay_redis_ns_per_handshake"].tlspp.v.push_back(rns);
            rows["anti_replay_redis_share_of_early_server"].tlspp.v.push_back(rns / (r.server_us * 1e3) * 100);
          }
        });
      if (do_openssl)
        jobs.push_back([&] { record_hs("early", &Row::openssl, openssl_early_handshakes(o_early, kEarlyBytes, budget, o.min_handshakes)); });
    }
    if (want("bulk")) {
      for (size_t i = 0; i < std::size(kSuites); ++i) {
        const std::string name(tlspp::cipher_suite_name(kSuites[i]));
        if (!o.suites.empty() && !o.suites.count(name)) continue;
        auto record = [&rows, name](Series Row::*col, const BulkResult& r) {
          (rows["bulk_seal_" + name + "_MBps"].*col).v.push_back(r.seal_MBps);
          (rows["bulk_open_" + name + "_MBps"].*col).v.push_back(r.open_MBps);
        };
        std::vector<std::function<void()>> trio;
        if (do_tlspp) trio.push_back([&, i, record] { record(&Row::tlspp, tlspp_bulk(t_bulk[i], o.bulk_bytes)); });
        if (do_openssl) trio.push_back([&, i, record] { record(&Row::openssl, openssl_bulk(*o_bulk[i], o.bulk_bytes)); });
        if (do_floor) trio.push_back([&, i, record] { record(&Row::floor, floor.bulk(kSuites[i], o.bulk_bytes)); });
        std::rotate(trio.begin(), trio.begin() + (trio.empty() ? 0 : run_no % trio.size()), trio.end());
        jobs.insert(jobs.end(), trio.begin(), trio.end());
      }
    }
    if (want("memory") && run_no < o.memory_runs) {
      if (do_tlspp)
        jobs.push_back([&] {
          mem_t = tlspp_memory(t_ecdsa, o.pairs);
          for (const char* suffix : {"", "_release_buffers"}) {
            rows[std::string("memory_peak_bytes_per_conn") + suffix].tlspp.v.push_back(mem_t.peak_per_conn);
            rows[std::string("memory_idle_bytes_per_conn") + suffix].tlspp.v.push_back(mem_t.idle_per_conn);
          }
        });
      if (do_openssl)
        jobs.push_back([&] {
          mem_o = openssl_memory(o_ecdsa, o.pairs);
          rows["memory_peak_bytes_per_conn"].openssl.v.push_back(mem_o.peak_per_conn);
          rows["memory_idle_bytes_per_conn"].openssl.v.push_back(mem_o.idle_per_conn);
          mem_r = openssl_memory(o_release, o.pairs);
          rows["memory_peak_bytes_per_conn_release_buffers"].openssl.v.push_back(mem_r.peak_per_conn);
          rows["memory_idle_bytes_per_conn_release_buffers"].openssl.v.push_back(mem_r.idle_per_conn);
        });
    }
    // TLS 1.2, after the TLS 1.3 rows, in the same way.
    auto add_rotated = [&](std::vector<std::function<void()>> trio) {
      std::rotate(trio.begin(), trio.begin() + (trio.empty() ? 0 : run_no % trio.size()), trio.end());
      jobs.insert(jobs.end(), trio.begin(), trio.end());
    };
    if (want("tls12_ecdsa")) {
      std::vector<std::function<void()>> trio;
      if (do_tlspp12)
        trio.push_back([&] { record_hs("tls12_full_ecdsa", &Row::tlspp, tlspp_handshakes(t12_ecdsa, budget, o.min_handshakes)); });
      if (do_openssl)
        trio.push_back(
            [&] { record_hs("tls12_full_ecdsa", &Row::openssl, openssl_handshakes(o12_ecdsa, budget, o.min_handshakes)); });
      if (do_floor)
        trio.push_back(
            [&] { record_hs("tls12_full_ecdsa", &Row::floor, floor.tls12_handshakes(false, budget, o.min_handshakes)); });
      add_rotated(std::move(trio));
    }
    if (want("tls12_resumed")) {
      std::vector<std::function<void()>> trio;
      if (do_tlspp12)
        trio.push_back(
            [&] { record_hs("tls12_resumed", &Row::tlspp, tlspp_resumed_handshakes(t12_resume, budget, o.min_handshakes)); });
      if (do_openssl)
        trio.push_back([&] {
          record_hs("tls12_resumed", &Row::openssl, openssl_resumed_handshakes(o12_resume, budget, o.min_handshakes));
        });
      if (do_floor)
        trio.push_back([&] { record_hs("tls12_resumed", &Row::floor, floor.tls12_handshakes(true, budget, o.min_handshakes)); });
      add_rotated(std::move(trio));
    }
    if (want("tls12_bulk")) {
      for (size_t i = 0; i < std::size(kSuites12); ++i) {
        const std::string name(tlspp::cipher_suite_name(kSuites12[i]));
        if (!o.suites.empty() && !o.suites.count(name)) continue;
        auto record = [&rows, name](Series Row::*col, const BulkResult& r) {
          (rows["tls12_bulk_seal_" + name + "_MBps"].*col).v.push_back(r.seal_MBps);
          (rows["tls12_bulk_open_" + name + "_MBps"].*col).v.push_back(r.open_MBps);
        };
        std::vector<std::function<void()>> trio;
        if (do_tlspp12) trio.push_back([&, i, record] { record(&Row::tlspp, tlspp_bulk(t12_bulk[i], o.bulk_bytes)); });
        if (do_openssl) trio.push_back([&, i, record] { record(&Row::openssl, openssl_bulk(*o12_bulk[i], o.bulk_bytes)); });
        if (do_floor) trio.push_back([&, i, record] { record(&Row::floor, floor.bulk(kSuites12[i], o.bulk_bytes)); });
        add_rotated(std::move(trio));
      }
    }
    if (want("tls12_memory") && run_no < o.memory_runs) {
      if (do_tlspp12)
        jobs.push_back([&] {
          mem12_t = tlspp_memory(t12_ecdsa, o.pairs);
          for (const char* suffix : {"", "_release_buffers"}) {
            rows[std::string("tls12_memory_peak_bytes_per_conn") + suffix].tlspp.v.push_back(mem12_t.peak_per_conn);
            rows[std::string("tls12_memory_idle_bytes_per_conn") + suffix].tlspp.v.push_back(mem12_t.idle_per_conn);
          }
        });
      if (do_openssl)
        jobs.push_back([&] {
          mem12_o = openssl_memory(o12_ecdsa, o.pairs);
          rows["tls12_memory_peak_bytes_per_conn"].openssl.v.push_back(mem12_o.peak_per_conn);
          rows["tls12_memory_idle_bytes_per_conn"].openssl.v.push_back(mem12_o.idle_per_conn);
          mem12_r = openssl_memory(o12_release, o.pairs);
          rows["tls12_memory_peak_bytes_per_conn_release_buffers"].openssl.v.push_back(mem12_r.peak_per_conn);
          rows["tls12_memory_idle_bytes_per_conn_release_buffers"].openssl.v.push_back(mem12_r.idle_per_conn);
        });
    }
    for (auto& j : jobs) j();
  }
  const double elapsed = (now_ns() - wall_start) / 1e9;
  (void)std::system(("rm -rf '" + dir + "'").c_str());

  std::vector<std::string> notes = method_notes(o);
  if (redis) notes.push_back("anti_replay_redis: " + (redis->skipped().empty() ? "measured against " + redis->where()
                                                                               : "skipped: " + redis->skipped()));
  if (o.json) {
    Json out;
    out["benchmark"] = "tlspp vs OpenSSL libssl";
    out["openssl_version"] = openssl_version();
    out["quick"] = o.quick;
    out["runs"] = o.runs;
    out["memory_runs"] = o.memory_runs;
    out["pinned_cpu"] = o.pin >= 0 ? Json(o.pin) : Json(nullptr);
    out["bulk_bytes_per_run"] = o.bulk_bytes;
    out["memory_pairs"] = o.pairs;
    out["elapsed_seconds"] = tenths(elapsed);
    out["cpu_clock_read_ns"] = static_cast<long long>(cpu_clock_overhead_ns());
    Json rows_json = Json::array();
    for (const Row& r : rows.all()) {
      if (r.tlspp.empty() && r.openssl.empty() && r.floor.empty()) continue;
      Json row;
      row["name"] = r.name;
      row["unit"] = r.unit;
      row["tlspp"] = json_number(r.tlspp, &Series::median);
      row["tlspp_min"] = json_number(r.tlspp, &Series::min);
      row["tlspp_max"] = json_number(r.tlspp, &Series::max);
      if (r.tlspp_missing) row["tlspp_note"] = r.tlspp_missing;
      for (auto [key, series] : {std::pair{"openssl", &r.openssl}, std::pair{"floor", &r.floor}}) {
        row[key] = json_number(*series, &Series::median);
        row[std::string(key) + "_min"] = json_number(*series, &Series::min);
        row[std::string(key) + "_max"] = json_number(*series, &Series::max);
      }
      rows_json.push_back(std::move(row));
    }
    out["rows"] = std::move(rows_json);
    const auto detail = [](bool measured, const MemoryResult& m) { return measured ? memory_json(m) : Json(nullptr); };
    out["memory_detail"] = Json{{"tlspp", detail(want("memory") && do_tlspp, mem_t)},
                                {"openssl", detail(want("memory") && do_openssl, mem_o)},
                                {"openssl_release_buffers", detail(want("memory") && do_openssl, mem_r)},
                                {"tls12_tlspp", detail(want("tls12_memory") && do_tlspp12, mem12_t)},
                                {"tls12_openssl", detail(want("tls12_memory") && do_openssl, mem12_o)},
                                {"tls12_openssl_release_buffers", detail(want("tls12_memory") && do_openssl, mem12_r)}};
    if (!tlspp12_error.empty()) out["tls12_tlspp_unavailable"] = tlspp12_error;
    out["notes"] = notes;
    // Invalid UTF-8 (none is expected: the notes and names are ASCII, OpenSSL's version
    // string too) is replaced rather than thrown on.
    std::printf("%s\n", out.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return 0;
  }

  std::printf("tlspp vs %s (libssl), %d run%s%s, %.0f s; reading the CPU clock costs %lld ns\n", openssl_version(),
              o.runs, o.runs == 1 ? "" : "s",
              o.pin >= 0 ? (", pinned to CPU " + std::to_string(o.pin)).c_str() : ", not pinned", elapsed,
              static_cast<long long>(cpu_clock_overhead_ns()));
  std::printf("cells: median [min..max]; us: lower is better; MB/s and handshakes/s: higher is better\n\n");
  int name_width = 46;  // the widest name shown, at least the width the TLS 1.3 rows had
  for (const Row& r : rows.all()) {
    if (!(r.tlspp.empty() && r.openssl.empty() && r.floor.empty()))
      name_width = std::max(name_width, static_cast<int>(r.name.size()));
  }
  std::printf("%-*s %-13s %-28s %-28s %-13s %-28s %-11s\n", name_width, "figure", "unit", "tlspp", "OpenSSL",
              "tlspp/OpenSSL", "floor", "tlspp/floor");
  for (const Row& r : rows.all()) {
    if (r.tlspp.empty() && r.openssl.empty() && r.floor.empty()) continue;
    const std::string t = r.tlspp.empty() && r.tlspp_missing ? r.tlspp_missing : cell(r.tlspp);
    std::printf("%-*s %-13s %-28s %-28s %-13s %-28s %-11s\n", name_width, r.name.c_str(), r.unit.c_str(), t.c_str(),
                cell(r.openssl).c_str(), ratio(r.tlspp, r.openssl).c_str(), cell(r.floor).c_str(),
                ratio(r.tlspp, r.floor).c_str());
  }
  if (want("memory") && (do_tlspp || do_openssl)) {
    std::printf("\nmemory per connection (last run), bytes:\n");
    if (do_tlspp) print_memory_detail("tlspp", mem_t);
    if (do_openssl) {
      print_memory_detail("OpenSSL", mem_o);
      print_memory_detail("OpenSSL SSL_MODE_RELEASE_BUFFERS", mem_r);
    }
  }
  if (want("tls12_memory") && (do_tlspp12 || do_openssl)) {
    std::printf("\nTLS 1.2 memory per connection (last run), bytes:\n");
    if (do_tlspp12) print_memory_detail("tlspp", mem12_t);
    if (do_openssl) {
      print_memory_detail("OpenSSL", mem12_o);
      print_memory_detail("OpenSSL SSL_MODE_RELEASE_BUFFERS", mem12_r);
    }
  }
  if (!tlspp12_error.empty())
    std::printf("\ntlspp's TLS 1.2 rows say 'not yet': a TLS 1.2 handshake between tlspp's client and server fails "
                "(%s)\n", tlspp12_error.c_str());
  std::printf("\nhow it is measured:\n");
  for (const auto& n : notes) std::printf("- %s\n", n.c_str());
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) { return bench::run(argc, argv); }
