#!/usr/bin/env bash
# `npm start [-- wrangler dev flags]`: the gateway on its demo default, locally.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
echo "[start] wrangler dev (demo routes from wrangler.toml, demo secrets from .dev.vars); extra flags: $*" >&2
exec node_modules/.bin/wrangler dev "$@"
