#!/usr/bin/env bash
# Builds the browser size floor into target/bench/browser-floor/ (wasm-bindgen --target web,
# names removed, as scripts/build-www.sh does for the tester).
set -euo pipefail
cd "$(dirname "$0")"
root="$PWD/../.."
cargo build --quiet --release --target wasm32-unknown-unknown --target-dir "$root/target/bench/browser-floor-build"
"$root/.tools/bin/wasm-bindgen" --target web --out-dir "$root/target/bench/browser-floor" --out-name floor \
  --remove-name-section --remove-producers-section \
  "$root/target/bench/browser-floor-build/wasm32-unknown-unknown/release/edgehook_browser_floor.wasm"
