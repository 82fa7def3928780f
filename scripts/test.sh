#!/usr/bin/env bash
# The test command: installs what is missing, builds from scratch and runs
#   1. the layering check,
#   2. the unit tests through ctest (Release, g++), with the Redis adapter (TLSPP_REDIS) and
#      the Asio adapter (TLSPP_ASIO),
#   3. the same tests built with AddressSanitizer + UndefinedBehaviorSanitizer (clang 19), the
#      interop suite there limited to its ECDSA column (every peer, direction and variant),
#      the Asio adapter included when standalone Asio is there (it is after deps.sh),
#   4. every libFuzzer target for FUZZ_SECONDS (default 30) from its seed corpus.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${TLSPP_BUILD_ROOT:-$root/build}
fuzz_seconds=${FUZZ_SECONDS:-30}
jobs=$(nproc)

bash scripts/deps.sh test
bash scripts/check-layers.sh

echo "== Release build (g++) and unit tests"
rm -rf "$out/release"
# -DTLSPP_SHARED=ON: libtlspp.so is built too, and the ctest `install` checks it.
cmake -S . -B "$out/release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSPP_TESTS=ON -DTLSPP_SHARED=ON \
  -DTLSPP_REDIS=ON -DTLSPP_ASIO=ON >/dev/null
ninja -C "$out/release" -j"$jobs"
(cd "$out/release" && ctest --output-on-failure -j"$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build (clang 19) and unit tests"
rm -rf "$out/asan"
asan_asio=OFF
[ -f /usr/include/asio.hpp ] && asan_asio=ON
CXX=clang++-19 CC=clang-19 cmake -S . -B "$out/asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTLSPP_TESTS=ON -DTLSPP_SANITIZE=ON -DTLSPP_FUZZ=ON -DTLSPP_REDIS=ON -DTLSPP_ASIO=$asan_asio \
  -DTLSPP_INTEROP_FILTER='/ecdsa$' >/dev/null
ninja -C "$out/asan" -j"$jobs"
(cd "$out/asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")

echo "== fuzzing, ${fuzz_seconds}s per target (ASan + UBSan)"
status=0
for bin in "$out"/asan/fuzz_*; do
  name=$(basename "$bin")
  seeds="$root/fuzz/corpus/${name#fuzz_}"
  work="$out/fuzz-work/$name"
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus/"
  if "$bin" -max_total_time="$fuzz_seconds" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
       "$work/corpus" >"$work/log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$work/log" | awk '{print $2}')
    echo "fuzz $name: ${execs:-?} executions in ${fuzz_seconds}s, no crash"
  else
    echo "FAIL: fuzz $name found a crash:"; tail -40 "$work/log"; status=1
  fi
done
exit $status
