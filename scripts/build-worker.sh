#!/usr/bin/env bash
# Builds the worker (build/index.js + wasm) with registry-installed tools only:
# worker-build would otherwise download wasm-bindgen, wasm-opt and esbuild from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."
export WASM_BINDGEN_BIN="$PWD/.tools/bin/wasm-bindgen"
export ESBUILD_BIN="$PWD/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$ESBUILD_BIN" ] || ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
[ -x "$WASM_BINDGEN_BIN" ] || bash scripts/setup.sh
exec "$PWD/.tools/bin/worker-build" --release --out-dir "${EDGEHOOK_BUILD_DIR:-build}" --features worker
