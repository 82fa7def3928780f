#!/usr/bin/env bash
# The install cannot rot: installs an already configured tlspp build tree into a scratch
# prefix, then builds tests/install/consumer (public headers only) against the prefix
#   - with CMake, find_package(tlspp): tlspp::tlspp (the shared library when the tree was
#     configured with -DTLSPP_SHARED=ON) and tlspp::tlspp_static,
#   - with pkg-config: g++ consumer.cc $(pkg-config --cflags --libs tlspp),
# runs each program, and checks what each one is linked against. Any failure fails.
# Usage: run.sh BUILD_DIR CONSUMER_SOURCE_DIR   (ctest `install` passes both)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tlspp-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

# The library targets only (a no-op when the tree is built, as under ctest).
shared=no
grep -q '^TLSPP_SHARED:BOOL=ON' "$build/CMakeCache.txt" && shared=yes
# (Ninja takes the files: its target `tlspp` would be the command-line tool of that name.)
if grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja' "$build/CMakeCache.txt"; then
  targets=(libtlspp.a); [ $shared = yes ] && targets+=(libtlspp.so)
else
  targets=(tlspp); [ $shared = yes ] && targets+=(tlspp_shared)
fi
cmake --build "$build" --target "${targets[@]}" >/dev/null

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
libdir=$(find "$prefix" -name libtlspp.a -printf '%h\n' | head -1)
[ -n "$libdir" ] || fail "no libtlspp.a installed"
for f in include/tlspp/connection.h include/tlspp/export.h; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done
for f in cmake/tlspp/tlsppConfig.cmake cmake/tlspp/tlsppConfigVersion.cmake cmake/tlspp/tlsppTargets.cmake \
         pkgconfig/tlspp.pc; do
  [ -f "$libdir/$f" ] || fail "lib/$f not installed"
done
if [ $shared = yes ]; then
  [ -L "$libdir/libtlspp.so" ] && [ -L "$libdir/libtlspp.so.0" ] && [ -f "$libdir/libtlspp.so.0.1.0" ] ||
    fail "libtlspp.so, libtlspp.so.0 -> libtlspp.so.0.1.0 not installed"
  soname=$(readelf -d "$libdir/libtlspp.so.0.1.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  [ "$soname" = libtlspp.so.0 ] || fail "soname is '$soname', not libtlspp.so.0"
  # Only the public API is exported: nothing of the internals (their namespaces, the
  # Impl/Core types) and nothing outside namespace tlspp.
  nm -D --defined-only "$libdir/libtlspp.so.0" | c++filt | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); print }' \
    | grep -v '^TLSPP_0$' >"$work/exports"
  leaked=$(grep -Ev '^(typeinfo for |typeinfo name for |vtable for )?tlspp::' "$work/exports" || true)
  [ -z "$leaked" ] || fail "libtlspp.so exports symbols outside tlspp::: $(echo "$leaked" | head -5)"
  internal=$(grep -E 'tlspp::(wire|record|crypto|pki|keysched|handshake|conn|io|common)::|::Impl\b|::Core\b' \
               "$work/exports" || true)
  [ -z "$internal" ] || fail "libtlspp.so exports internals: $(echo "$internal" | head -5)"
  echo "libtlspp.so.0 exports $(wc -l <"$work/exports") symbols, all of the public API"
fi

# Run a consumer and check which tlspp it uses: $1 binary, $2 shared|static.
run_consumer() {
  local bin=$1 kind=$2 needed
  needed=$(readelf -d "$bin" | grep -c 'NEEDED.*libtlspp\.so\.0' || true)
  if [ "$kind" = shared ]; then
    [ "$needed" = 1 ] || fail "$bin does not link libtlspp.so.0"
    # (grep reads all of its input: with -q, ldd could die of SIGPIPE and fail the pipeline.)
    ldd "$bin" | grep -F "libtlspp.so.0 => $libdir/libtlspp.so.0" >/dev/null ||
      fail "$bin does not load $libdir/libtlspp.so.0"
  else
    [ "$needed" = 0 ] || fail "$bin links libtlspp.so.0 but should be static"
  fi
  "$bin" || fail "$bin failed"
}

echo "== CMake consumer: find_package(tlspp)"
expect_shared=OFF; [ $shared = yes ] && expect_shared=ON
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" -DTLSPP_CONSUMER_EXPECT_SHARED=$expect_shared \
  >"$work/consumer-configure.log" 2>&1 || { cat "$work/consumer-configure.log"; fail "consumer configure"; }
cmake --build "$work/consumer" >"$work/consumer-build.log" 2>&1 || { cat "$work/consumer-build.log"; fail "consumer build"; }
if [ $shared = yes ]; then run_consumer "$work/consumer/consumer" shared; else run_consumer "$work/consumer/consumer" static; fi
run_consumer "$work/consumer/consumer_static" static

echo "== pkg-config consumer: \$CXX consumer.cc \$(pkg-config --cflags --libs tlspp)"
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
[ "$(pkg-config --modversion tlspp)" = 0.1.0 ] || fail "pkg-config --modversion tlspp is not 0.1.0"
pkg-config --static --libs tlspp | grep -- '-lcrypto' >/dev/null || fail "pkg-config --static --libs tlspp lacks -lcrypto"
# shellcheck disable=SC2046
"$cxx" -std=c++23 -O1 -o "$work/consumer_pc" "$src/consumer/consumer.cc" $(pkg-config --cflags --libs tlspp) \
  -Wl,-rpath,"$libdir" || fail "pkg-config build"
if [ $shared = yes ]; then run_consumer "$work/consumer_pc" shared; else run_consumer "$work/consumer_pc" static; fi
echo "install: ok"
