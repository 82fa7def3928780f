#!/usr/bin/env bash
# The benchmark: installs what is missing, builds tlspp with -DTLSPP_BENCH=ON (Release) in
# build/bench, and runs tlspp against OpenSSL's libssl with the given arguments, e.g.
#   scripts/bench.sh --quick            (under 30 s)
#   scripts/bench.sh --pin 1 --json     (the full run, one core, JSON on stdout)
# Build output goes to stderr so that --json output can be piped. JOBS limits the build's
# parallelism (default: all cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh bench >&2
# With hiredis and redis-server present, the Redis adapter too, for the anti_replay_redis row
# (the bench starts its own redis-server on 127.0.0.1; without them the row says skipped).
redis=OFF
if pkg-config --exists hiredis 2>/dev/null && command -v redis-server >/dev/null; then redis=ON; fi
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSPP_BENCH=ON -DTLSPP_TESTS=OFF \
  -DTLSPP_REDIS=$redis >&2
ninja -C build/bench -j"${JOBS:-$(nproc)}" tlspp_bench >&2
exec build/bench/tlspp-bench "$@"
