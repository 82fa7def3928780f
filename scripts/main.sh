#!/usr/bin/env bash
# The main job: installs what is missing, builds tlspp (Release) and runs `tlspp demo`: a
# real TLS 1.3 client and server on 127.0.0.1 drawn as the sequence diagram of their
# handshake. Arguments go to the demo (--hrr, --client-auth, --resume, --tls1.2, --session-id,
# --mermaid, --ascii).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh build
rm -rf build/main
cmake -S . -B build/main -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSPP_TESTS=OFF >/dev/null
ninja -C build/main tlspp_cli
exec build/main/tlspp demo "$@"
