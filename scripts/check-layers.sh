#!/usr/bin/env bash
# Layering rule (DESIGN.md): only src/crypto/ and src/pki/ may include OpenSSL headers.
# Everything else in the library, its public headers, the CLI, the examples and the fuzz
# targets sees tlspp types. Exempt, as DESIGN.md allows: tests/ (a few cross-check tlspp's
# crypto against OpenSSL's) and bench/ (OpenSSL's libssl is the baseline it measures).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]openssl/' src include tools examples fuzz 2>/dev/null \
        | grep -vE '^src/(crypto|pki)/' || true)
if [ -n "$bad" ]; then
  echo "FAIL: OpenSSL headers included outside src/crypto and src/pki:"
  echo "$bad" | sed 's/^/  /'
  exit 1
fi
echo "layering: OpenSSL headers only in src/crypto and src/pki"
