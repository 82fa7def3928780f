// `tlspp bench`: tlspp against OpenSSL's libssl, side by side. The measuring code links
// libssl as its baseline, which nothing in tools/ may do, so it is its own binary
// (bench/, built with -DTLSPP_BENCH=ON); this command finds it and hands over to it.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_flags.h"
#include "commands.h"
#include "options.h"

namespace tlspp::cli {
namespace {

bool executable(const std::string& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

// $TLSPP_BENCH_BINARY, else the binary this build made, else tlspp-bench beside `tlspp`.
std::string find_bench() {
  if (const char* env = std::getenv("TLSPP_BENCH_BINARY"); env && *env) return env;
#ifdef TLSPP_BENCH_BINARY
  if (executable(TLSPP_BENCH_BINARY)) return TLSPP_BENCH_BINARY;
#endif
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    if (executable(dir + "tlspp-bench")) return dir + "tlspp-bench";
  }
  return {};
}

int run(const std::vector<std::string>& args);

const Command kBench{"bench",
                     "bench [--quick] [--json] [--pin CPU] [--runs N] [--seconds S] [--bulk-mib N] [--pairs N] "
                     "[--only LIST] [--lib LIST] [--suites LIST]",
                     "benchmark tlspp against OpenSSL's libssl: handshakes, bulk, memory, and the raw-crypto floor",
                     &run};
const Registration reg{kBench};


int run(const std::vector<std::string>& args) {
  const std::string bench = find_bench();
  if (wants_help(args))
    return print_help(kBench, kBenchFlags,
                      "Runs the benchmark binary tlspp-bench (built with -DTLSPP_BENCH=ON; $TLSPP_BENCH_BINARY\n"
                      "names another): tlspp, OpenSSL's libssl and the bare libcrypto floor, side by side.",
                      bench.empty() ? "This build has no tlspp-bench: configure with -DTLSPP_BENCH=ON, or run "
                                      "scripts/bench.sh, which does."
                                    : "");
  if (bench.empty()) {
    std::fprintf(stderr,
                 "tlspp bench: the benchmark binary (tlspp-bench) was not built; configure with "
                 "-DTLSPP_BENCH=ON, or run scripts/bench.sh, which does\n");
    return 2;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bench.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(bench.c_str(), argv.data());
  std::fprintf(stderr, "tlspp bench: cannot run %s: %s\n", bench.c_str(), std::strerror(errno));
  return 2;
}

}  // namespace
}  // namespace tlspp::cli
