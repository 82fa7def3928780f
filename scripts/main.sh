#!/usr/bin/env bash
# The main job: installs what is missing, builds tlspp (Release) and runs its self-check,
# which replays RFC 8448's 1-RTT handshake through the key schedule and record layer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh build
rm -rf build/main
cmake -S . -B build/main -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSPP_TESTS=OFF >/dev/null
ninja -C build/main tlspp_cli
exec build/main/tlspp selfcheck "$@"
