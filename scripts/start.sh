#!/usr/bin/env bash
# `npm start [-- wrangler dev flags]`: the gateway on its demo default, locally.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
echo "[start] wrangler dev (demo routes from wrangler.toml, demo secrets from .dev.vars); extra flags: $*" >&2
# The event log's local D1 (wrangler.toml [[d1_databases]], kept in .wrangler/state): its
# migrations are applied first, locally and offline, so the console has its tables.
node_modules/.bin/wrangler d1 migrations apply EDGEHOOK_DB --local >&2
echo "[start] console: http://127.0.0.1:8787/__edgehook/console/ (demo token: EDGEHOOK_ADMIN_TOKEN in .dev.vars)" >&2
exec node_modules/.bin/wrangler dev "$@"
