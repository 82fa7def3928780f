// The options of tlspp-bench (bench/main.cc), in one table: the bench parses its command line
// with it, and `tlspp bench --help` (tools/cmd_bench.cc, which hands the arguments over to
// the bench) prints it.
#pragma once

#include "options.h"

namespace tlspp::cli {

// What --only takes: the groups of figures, TLS 1.3 then TLS 1.2 ("tls13" and "tls12" stand
// for all of a version's).
inline constexpr const char* kBenchGroups13[] = {"ecdsa", "rsa", "resumed", "early", "bulk", "memory"};
inline constexpr const char* kBenchGroups12[] = {"tls12_ecdsa", "tls12_resumed", "tls12_bulk", "tls12_memory"};
// What --lib takes: the columns.
inline constexpr const char* kBenchLibs[] = {"tlspp", "openssl", "floor"};

inline constexpr FlagSpec kBenchFlags[] = {
    {"--quick", false, false, "", "a smaller run (3 runs, short handshake loops, 32 MiB per bulk figure): under 30 s."},
    {"--json", false, false, "", "print one JSON object instead of the table."},
    {"--pin", true, false, "CPU", "pin the process to one core (sched_setaffinity)."},
    {"--runs", true, false, "N", "repetitions; every figure reports min, median and max over them (default 7)."},
    {"--seconds", true, false, "S", "minimum time of each handshake loop per run (default 0.4)."},
    {"--bulk-mib", true, false, "N", "bytes sent one way per bulk figure per run, in MiB (default 1024)."},
    {"--pairs", true, false, "N", "client+server pairs of the memory figure (default 1000)."},
    {"--only", true, false, "LIST",
     "measure only these groups of figures: TLS 1.3 ecdsa, rsa, resumed, early (0-RTT\n"
     "and the anti-replay check), bulk, memory; TLS 1.2 tls12_ecdsa, tls12_resumed,\n"
     "tls12_bulk, tls12_memory; 'tls13' and 'tls12' stand for all groups of that version\n"
     "(default: everything)."},
    {"--lib", true, false, "LIST", "measure only these columns (tlspp,openssl,floor), for profiling one library."},
    {"--suites", true, false, "LIST",
     "bulk figures for these suites only (IANA names; default: the three TLS 1.3 suites\n"
     "and the two TLS 1.2 ones)."},
};

inline constexpr const char* kBenchAbout =
    "tlspp against OpenSSL's libssl in one process, one thread, client and server joined by\n"
    "memory, beside the raw-crypto floor (bare libcrypto); the notes printed under the table say\n"
    "how each figure is measured.";

}  // namespace tlspp::cli
