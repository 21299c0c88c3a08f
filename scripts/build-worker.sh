#!/usr/bin/env bash
# Builds the worker (build/index.js + wasm) with registry-installed tools only:
# worker-build would otherwise download wasm-bindgen, wasm-opt and esbuild from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."
export WASM_BINDGEN_BIN="$PWD/.tools/bin/wasm-bindgen"
export ESBUILD_BIN="$PWD/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$ESBUILD_BIN" ] || ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
[ -x "$WASM_BINDGEN_BIN" ] || bash scripts/setup.sh
out="${EDGEHOOK_BUILD_DIR:-build}"
"$PWD/.tools/bin/worker-build" --release --out-dir "$out" --features worker
# Function names only serve wasm stack traces; without them the worker stays under its
# 250 KiB gzip budget (BENCHMARKS.md, "size"). EDGEHOOK_KEEP_NAMES=1 keeps them (pair it with
# CARGO_PROFILE_RELEASE_STRIP=none for the Rust names).
[ "${EDGEHOOK_KEEP_NAMES:-}" = 1 ] || node scripts/strip-wasm-names.mjs "$out/index_bg.wasm"
