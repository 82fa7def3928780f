#!/usr/bin/env bash
# Installs the Debian 12 packages tlspp needs, skipping those already present.
# Usage: scripts/deps.sh build|bench|test
set -euo pipefail
want=(build-essential cmake ninja-build pkg-config libssl-dev openssl ca-certificates)
# The benchmark (-DTLSPP_BENCH=ON, scripts/bench.sh): nlohmann-json writes its --json output
# (header-only; the bench alone uses it, the library does not).
if [ "${1:-build}" = bench ]; then
  want+=(nlohmann-json3-dev)
fi
if [ "${1:-build}" = test ]; then
  want+=(libgtest-dev clang-19 libfuzzer-19-dev libclang-rt-19-dev)
  # tests/interop: the peers, and a network namespace to run them in.
  want+=(gnutls-bin golang-go curl iproute2 util-linux)
  # More interop peers: NSS tstclnt/selfserv/certutil, headless Chromium, the wolfSSL server
  # (built with cc), Node's tls and Python's ssl; Botan 2's botan command (TLS 1.2).
  want+=(libnss3-tools chromium libwolfssl-dev nodejs python3 botan)
  # tests/keylog: tshark decrypts captures with the key logs tlspp writes.
  want+=(tshark)
  # The Redis adapter (TLSPP_REDIS): hiredis, and the redis-server test_redis starts.
  want+=(libhiredis-dev redis-server)
  # The Asio adapter (adapters/asio, test_asio): standalone Asio, header-only.
  want+=(libasio-dev)
  # ctest docs: the API reference (docs/Doxyfile) must build without a warning.
  want+=(doxygen)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  # tshark's wireshark-common asks whether non-root users may capture; answer "no" up front
  # so that the install never waits for a prompt (the tests capture as root or in a user
  # namespace, where the answer does not matter).
  if [[ " ${missing[*]} " == *" tshark "* ]]; then
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
