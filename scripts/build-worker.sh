#!/usr/bin/env bash
# Builds the worker (build/index.js + build/index_bg.wasm) from registry-installed tools
# only: cargo, then wasm-bindgen-cli and esbuild driven directly around the hand-written
# entry src/worker/entry.js (docs/design-js-entry.md). worker-build is not used: its shim
# is what the entry replaces, and building it was half of a fresh machine's set-up.
# EDGEHOOK_BUILD_DIR: output directory (default build/). EDGEHOOK_FEATURES: cargo
# features (default `worker`; the trap test builds `worker,fault-probe`).
set -euo pipefail
cd "$(dirname "$0")/.."
WASM_BINDGEN="$PWD/.tools/bin/wasm-bindgen"
ESBUILD="$PWD/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$ESBUILD" ] || ESBUILD="$PWD/node_modules/.bin/esbuild"
[ -x "$WASM_BINDGEN" ] || bash scripts/setup.sh
out="${EDGEHOOK_BUILD_DIR:-build}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
target="${CARGO_TARGET_DIR:-$PWD/target}"
stage="$out/.stage"
rm -rf "$stage" && mkdir -p "$stage"
cargo build --quiet --lib --release --target wasm32-unknown-unknown --features "${EDGEHOOK_FEATURES:-worker}"
# The two flags are the trap recovery: the catch wrappers that mark a trapped instance,
# and the reset that rebuilds it (worker-build passes the same, worker-build-0.8.7 main.rs).
# The wasm has no target_features section (strip = "symbols"), which wasm-bindgen notes.
"$WASM_BINDGEN" "$target/wasm32-unknown-unknown/release/edgehook.wasm" \
  --out-dir "$stage" --out-name edgehook --target module --no-typescript \
  --experimental-reset-state-function --force-enable-abort-handler 2> >(grep -v target_features >&2)
cp src/worker/entry.js "$stage/entry.js"
(cd "$stage" && "$ESBUILD" ./entry.js --bundle --format=esm --minify --log-level=warning \
  --external:./edgehook_bg.wasm '--external:cloudflare:*' --outfile="$out/index.js" --allow-overwrite)
# Workers import a .wasm module as a compiled module: the glue's `import source` becomes a
# plain import, as worker-build does.
sed -i 's/import source /import /; s#"./edgehook_bg.wasm"#"./index_bg.wasm"#' "$out/index.js"
mv "$stage/edgehook_bg.wasm" "$out/index_bg.wasm"
rm -rf "$stage" "$out/worker"
# Function names only serve wasm stack traces; without them the wasm is ~20 % smaller
# (BENCHMARKS.md, "size"). EDGEHOOK_KEEP_NAMES=1 keeps them (pair it with
# CARGO_PROFILE_RELEASE_STRIP=none for the Rust names).
[ "${EDGEHOOK_KEEP_NAMES:-}" = 1 ] || node scripts/strip-wasm-names.mjs "$out/index_bg.wasm"
