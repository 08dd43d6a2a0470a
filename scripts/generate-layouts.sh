#!/usr/bin/env bash
# Regenerates src/layouts/generated/ from native-layouts/*.fbs with flatc (Debian's
# flatbuffers-compiler). The output is committed and never edited by hand. flatc 2.0.8 writes
# extensionless relative imports, which Node's ESM resolution rejects, so they get `.js` here.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v flatc >/dev/null || { echo "flatc not found: apt-get install flatbuffers-compiler" >&2; exit 1; }
out=src/layouts/generated
rm -rf "$out"
mkdir -p "$out"
flatc --ts -o "$out" native-layouts/*.fbs
# Relative imports: add `.js` where missing.
find "$out" -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '(\./|\.\./)[^']*[^s'])'#\1.js'#g; s#(from '(\./|\.\./)[^']*\.ts)'#\1'#g"
find "$out" -name '*.ts' -print0 | xargs -0 sed -i -E "s#\.ts\.js'#.js'#g; s#\.js\.js'#.js'#g"
echo "generated:"; find "$out" -name '*.ts' | sort
