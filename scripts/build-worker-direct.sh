#!/usr/bin/env bash
# Builds the worker without worker-build (issue 15, docs/design-js-entry.md): cargo, then
# wasm-bindgen-cli and esbuild driven directly around the hand-written entry
# src/worker/entry.js. Output in $EDGEHOOK_BUILD_DIR (default build-direct/), so it sits
# beside today's build/ until the e2e suite has moved to it. EDGEHOOK_FEATURES overrides the
# cargo features (the trap test builds `worker,fault-probe`).
set -euo pipefail
cd "$(dirname "$0")/.."
WASM_BINDGEN="$PWD/.tools/bin/wasm-bindgen"
ESBUILD="$PWD/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$ESBUILD" ] || ESBUILD="$PWD/node_modules/.bin/esbuild"
[ -x "$WASM_BINDGEN" ] || bash scripts/setup.sh
out="$PWD/${EDGEHOOK_BUILD_DIR:-build-direct}"
stage="$out/.stage"
rm -rf "$stage" && mkdir -p "$stage"
cargo build --quiet --lib --release --target wasm32-unknown-unknown --features "${EDGEHOOK_FEATURES:-worker}"
# The two flags are the trap recovery: the catch wrappers that mark a trapped instance,
# and the reset that rebuilds it (what worker-build passes, worker-build-0.8.7 main.rs).
"$WASM_BINDGEN" target/wasm32-unknown-unknown/release/edgehook.wasm \
  --out-dir "$stage" --out-name edgehook --target module --no-typescript \
  --experimental-reset-state-function --force-enable-abort-handler 2> >(grep -v target_features >&2)
cp src/worker/entry.js "$stage/entry.js"
(cd "$stage" && "$ESBUILD" ./entry.js --bundle --format=esm --minify --log-level=warning \
  --external:./edgehook_bg.wasm '--external:cloudflare:*' --outfile="$out/index.js" --allow-overwrite)
# Workers import a .wasm module as a compiled module: the glue's `import source` becomes a
# plain import (as worker-build does).
sed -i 's/import source /import /' "$out/index.js"
sed -i 's#"./edgehook_bg.wasm"#"./index_bg.wasm"#' "$out/index.js"
mv "$stage/edgehook_bg.wasm" "$out/index_bg.wasm"
rm -rf "$stage"
[ "${EDGEHOOK_KEEP_NAMES:-}" = 1 ] || node scripts/strip-wasm-names.mjs "$out/index_bg.wasm"
