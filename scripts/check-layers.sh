#!/usr/bin/env bash
# The layering check (the first step of scripts/test.sh): the include rules of the layer
# diagram in ../shared/DESIGN.md, one FAIL line per violating #include.
#
# 1. OpenSSL: only src/crypto/ includes <openssl/...>. pki/ reaches OpenSSL through crypto/
#    like every other layer; the library's other code, its public headers, the CLI, the
#    examples and the fuzz targets see tlspp types. Exempt, as DESIGN.md allows: tests/ (a
#    few cross-check tlspp against OpenSSL) and bench/ (OpenSSL's libssl is its baseline).
# 2. Layers: a layer includes headers of the layers below it, never above. What each src/
#    directory may include besides its own headers and the public "tlspp/..." ones:
#      common/     nothing (shared helpers every layer may use)
#      crypto/     common/
#      pki/        crypto/, common/
#      wire/       common/ (no crypto, no state)
#      record/     wire/, crypto/, common/
#      keysched/   record/, wire/, crypto/, common/
#      handshake/  keysched/, record/, wire/, pki/, crypto/, common/ (no conn/, no io/)
#      conn/       handshake/ and everything below it (no io/)
#      io/         conn/ and everything below it (the blocking shell around the core)
#    Nothing in src/ includes tools/ (the CLI sits outside the library): a quoted include in
#    src/ must name a layer directory ("wire/codec.h") or a public header ("tlspp/types.h").
# 3. Public headers: include/tlspp/ includes only tlspp/ headers, and so do the examples,
#    which show the public API.
# 4. Adapters (adapters/NAME/: the Redis and Asio ones and their examples): optional libraries
#    beside tlspp, built on its public API. Their quoted includes name tlspp/ headers only (the
#    public ones and the adapter's own include/tlspp/ headers), never src/ internals; angle
#    brackets are the standard library, POSIX and the library they wrap (<hiredis/...>,
#    <asio.hpp>, <asio/...>), never OpenSSL (checked in 1.) nor Boost.
#    docs/examples/ (the guide's programs) follows the rules of examples/.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
  [common]="common"
  [crypto]="crypto common"
  [pki]="pki crypto common"
  [wire]="wire common"
  [record]="record wire crypto common"
  [keysched]="keysched record wire crypto common"
  [handshake]="handshake keysched record wire pki crypto common"
  [conn]="conn handshake keysched record wire pki crypto common"
  [io]="io conn handshake keysched record wire pki crypto common"
)
layers=" ${!allowed[*]} "
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Every #include of the given trees, as "file:line:target" where target keeps its quotes
# or angle brackets.
includes() {
  grep -rnoE --include='*.h' --include='*.cc' --include='*.cpp' --include='*.hpp' \
       '^[[:space:]]*#[[:space:]]*include[[:space:]]*("[^"]+"|<[^>]+>)' "$@" 2>/dev/null \
    | sed -E 's/^([^:]+:[0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*/\1:/' || true
}

# 1. OpenSSL headers.
while IFS=: read -r file line target; do
  [ -n "$file" ] || continue
  case "$target" in
    '<openssl/'* | '"openssl/'*) ;;
    *) continue ;;
  esac
  case "$file" in src/crypto/*) continue ;; esac
  fail "$file:$line includes $target: only src/crypto/ may include OpenSSL headers"
done < <(includes src include tools examples fuzz adapters docs)

# 2. Layers.
for dir in src/*/; do
  layer=$(basename "$dir")
  if [[ $layers != *" $layer "* ]]; then
    fail "src/$layer/ is not a layer check-layers.sh knows: add it to the table in scripts/check-layers.sh"
  fi
done
while IFS=: read -r file line target; do
  [ -n "$file" ] || continue
  layer=${file#src/}
  layer=${layer%%/*}
  [[ $layers == *" $layer "* ]] || continue  # reported above
  path=${target:1:${#target}-2}
  top=${path%%/*}
  [ "$top" = "$path" ] && top=""
  quoted=false
  [ "${target:0:1}" = '"' ] && quoted=true
  if [ "$top" = tlspp ]; then continue; fi
  if [ "$top" = tools ]; then
    fail "$file:$line includes $target: nothing in src/ may include tools/ (the CLI is outside the library)"
    continue
  fi
  if [[ -n $top && $layers == *" $top "* ]]; then
    if [[ " ${allowed[$layer]} " != *" $top "* ]]; then
      fail "$file:$line includes $target: $layer/ may include only ${allowed[$layer]// /, } and tlspp/ headers (DESIGN.md layer diagram)"
    fi
  elif $quoted; then
    fail "$file:$line includes $target: a src/ include names a layer (\"wire/codec.h\") or a public header (\"tlspp/types.h\")"
  fi
done < <(includes src)

# 3. Public headers and examples.
while IFS=: read -r file line target; do
  [ -n "$file" ] || continue
  [ "${target:0:1}" = '"' ] || continue
  case "$target" in '"tlspp/'*) continue ;; esac
  fail "$file:$line includes $target: public headers and examples include only tlspp/ headers"
done < <(includes include examples docs)

# 4. Adapters.
while IFS=: read -r file line target; do
  [ -n "$file" ] || continue
  path=${target:1:${#target}-2}
  top=${path%%/*}
  if [ "${target:0:1}" = '"' ]; then
    case "$path" in tlspp/*) continue ;; esac
    fail "$file:$line includes $target: adapters include only public tlspp/ headers (no src/ internals)"
    continue
  fi
  case "$path" in
    boost/*) fail "$file:$line includes $target: the Asio adapter uses standalone Asio, not Boost" ;;
  esac
  # <wire/codec.h> would be a library internal in angle brackets.
  if [[ $top != "$path" && $layers == *" $top "* ]]; then
    fail "$file:$line includes $target: adapters include only tlspp/ headers (the public API), never src/ internals"
  fi
done < <(includes adapters)

if [ "$failures" -gt 0 ]; then
  echo "layering: $failures violation(s) of the include rules (scripts/check-layers.sh, ../shared/DESIGN.md)"
  exit 1
fi
echo "layering: OpenSSL only in src/crypto; src/ layers include only the layers below them; public headers, examples and adapters only tlspp/"
