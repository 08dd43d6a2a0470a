#!/usr/bin/env bash
# Builds the WebAssembly SIMD WordCount kernel (native/wasm/split_count.c) into
# src/exec/wasm/split-count.wasm, which is checked in so that users and CI need no compiler.
# Needs clang and wasm-ld with the wasm32 target (Debian: apt-get install clang lld).
#   npm run build:wasm          # rebuild in place
#   scripts/build-wasm.sh OUT   # build to OUT instead (the rebuild test compares the two)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src/exec/wasm/split-count.wasm}"
CLANG="${CLANG:-$(command -v clang-14 || command -v clang)}"
WASM_LD="${WASM_LD:-$(command -v wasm-ld-14 || command -v wasm-ld)}"
obj="$(mktemp --suffix=.o)"
trap 'rm -f "$obj"' EXIT
# -ffile-prefix-map and no debug info keep the output byte-for-byte reproducible.
"$CLANG" --target=wasm32 -msimd128 -O3 -nostdlib -fno-builtin-memset -ffile-prefix-map="$PWD"=. \
  -c native/wasm/split_count.c -o "$obj"
"$WASM_LD" --no-entry --strip-all --export-dynamic -z stack-size=16384 --initial-memory=1048576 \
  "$obj" -o "$out"
chmod a-x "$out"
echo "built $out ($(wc -c <"$out") bytes)"
