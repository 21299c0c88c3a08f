#!/usr/bin/env bash
# Builds the browser payload tester: the core with feature `browser` for wasm32, bound with
# wasm-bindgen --target web into www/pkg/, then copies www/ to the dev server's static
# assets (build/site/__edgehook/tester/, served by `npm start` at /__edgehook/tester/), and
# the operator console www/console/ to build/site/__edgehook/console/.
#
# Usage: scripts/build-www.sh [--no-site]
#   www/ is then a complete static site: serve it from any static host (over http, since
#   browsers refuse to fetch wasm from file://), e.g. `python3 -m http.server -d www`.
# The profile `browser` (Cargo.toml) keeps its own edgehook.wasm apart from the worker's
# release build, in the shared target directory (no second copy of the dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
BINDGEN="$PWD/.tools/bin/wasm-bindgen"
[ -x "$BINDGEN" ] || bash scripts/setup.sh

cargo build --quiet --lib --target wasm32-unknown-unknown --profile browser --features browser
rm -rf www/pkg
"$BINDGEN" --target web --out-dir www/pkg --out-name edgehook \
  --remove-name-section --remove-producers-section \
  target/wasm32-unknown-unknown/browser/edgehook.wasm

if [ "${1:-}" != --no-site ]; then
  site="${EDGEHOOK_SITE_DIR:-build/site}/__edgehook/tester"
  rm -rf "$site"
  mkdir -p "$site"
  cp -R www/. "$site/"
  # The operator console beside it (/__edgehook/console/), in the tester's style.
  console="${site%/tester}/console"
  rm -rf "$console" "$site/console"
  mkdir -p "$console"
  cp -R www/console/. www/style.css "$console/"
fi
printf '[build-www] www/pkg: %s bytes wasm, %s bytes gzipped (wasm + JS glue)\n' \
  "$(wc -c < www/pkg/edgehook_bg.wasm)" \
  "$(cat www/pkg/edgehook_bg.wasm www/pkg/edgehook.js | gzip -9 | wc -c)" >&2
