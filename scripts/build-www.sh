#!/usr/bin/env bash
# Builds the browser payload tester: the core with feature `browser` (and, as a second module,
# `browser-signer`) for wasm32, bound with wasm-bindgen --target web into www/pkg/, then copies www/ to the dev server's static
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

# Two modules from the same crate: `edgehook` (what a page needs to verify and explain) and
# `edgehook_signer` (`sign`, loaded by the page only when it signs). Each is bound right after
# its build, since both builds write the same target/.../edgehook_wasm.wasm.
rm -rf www/pkg
# Both are linked by the thin crate packages/edgehook-wasm/crate (a smaller module than
# edgehook's own cdylib), one feature each.
for module in edgehook:explainer edgehook_signer:signer; do
  cargo build --quiet -p edgehook-wasm --lib --target wasm32-unknown-unknown --profile browser --features "${module#*:}"
  "$BINDGEN" --target web --out-dir www/pkg --out-name "${module%%:*}" \
    --remove-name-section --remove-producers-section \
    target/wasm32-unknown-unknown/browser/edgehook_wasm.wasm
done

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
for m in edgehook edgehook_signer; do
  printf '[build-www] www/pkg/%s: %s bytes wasm, %s bytes gzipped (wasm + JS glue)\n' "$m" \
    "$(wc -c < "www/pkg/${m}_bg.wasm")" \
    "$(cat "www/pkg/${m}_bg.wasm" "www/pkg/$m.js" | gzip -9 | wc -c)" >&2
done
