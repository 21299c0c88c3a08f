#!/usr/bin/env bash
# Installs what a fresh clone lacks, from rustup, crates.io, npm and Debian only, at pinned
# versions, into the project (.tools/, node_modules/). Quick when everything is there.
# Usage: scripts/setup.sh [browser]   ("browser" also installs Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen version pinned in Cargo.toml
TOOLS="$PWD/.tools"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    say "need Debian packages: $* (run: sudo apt-get install -y $*)"; exit 1
  fi
  say "installing Debian packages: $* (apt-get)"
  if [ ! -f /tmp/.edgehook-apt-updated ]; then apt-get update -qq >&2 && touch /tmp/.edgehook-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

command -v cargo >/dev/null || { say "Rust is required: install it with rustup (https://rustup.rs)"; exit 1; }
command -v node >/dev/null || { say "Node.js >= 20 is required"; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the Rust target wasm32-unknown-unknown (rustup)"
  rustup target add wasm32-unknown-unknown >&2
fi
for c in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
    say "adding rustup component $c"; rustup component add "$c" >&2
  fi
done

# The one tool built from source: wasm-bindgen-cli, which must match the wasm-bindgen the
# crate links. Without default features it leaves out the TLS stack (rustls, ring) that
# only its test runner's downloads use. (worker-build is not needed: scripts/build-worker.sh drives
# cargo, wasm-bindgen and esbuild around the hand-written entry itself.)
installed_version() { "$1" --version 2>/dev/null | awk '{print $NF}'; }
if [ "$(installed_version "$TOOLS/bin/wasm-bindgen")" != "$WASM_BINDGEN_VERSION" ]; then
  command -v cc >/dev/null || apt_install build-essential
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io into .tools/ (first run only, ~2 min)"
  cargo install --quiet --no-default-features wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$TOOLS" >&2
fi

# node_modules, re-installed when package-lock.json changes.
stamp=node_modules/.edgehook-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing node modules (npm ci, pinned by package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

if [ "${1:-}" = browser ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
exit 0
