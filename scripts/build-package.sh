#!/usr/bin/env bash
# Builds the npm package `edgehook-wasm` (packages/edgehook-wasm: the wasm API for pages,
# bundlers and Node) and packs it with `npm pack`:
#   target/package/edgehook-wasm/            the package as published
#   target/package/edgehook-wasm-<ver>.tgz   the tarball (`npm install ./that.tgz` to try it)
# The two wasm modules come from scripts/build-www.sh (www/pkg), run first unless --no-wasm.
#
# Usage: scripts/build-package.sh [--no-wasm]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = --no-wasm ] || bash scripts/build-www.sh --no-site

src=packages/edgehook-wasm
out=target/package
stage="$out/edgehook-wasm"
crate_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
pkg_version=$(node -p "require('./$src/package.json').version")
if [ "$crate_version" != "$pkg_version" ]; then
  echo "[build-package] $src/package.json version $pkg_version != Cargo.toml $crate_version: bump both" >&2
  exit 1
fi

rm -rf "$stage" "$out"/edgehook-wasm-*.tgz
mkdir -p "$stage/pkg"
cp "$src"/package.json "$src"/README.md "$src"/index.js "$src"/node.js "$src"/api.js "$src"/index.d.ts "$stage/"
cp LICENSE "$stage/"
for m in edgehook edgehook_signer; do
  cp "www/pkg/$m.js" "www/pkg/$m.d.ts" "www/pkg/${m}_bg.wasm" "$stage/pkg/"
done
tarball=$(cd "$stage" && npm pack --silent --pack-destination ..)
printf '[build-package] %s/%s (%s bytes)\n' "$out" "$tarball" "$(wc -c < "$out/$tarball")" >&2
