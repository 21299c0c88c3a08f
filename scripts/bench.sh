#!/usr/bin/env bash
# `npm run bench`: every benchmark of BENCHMARKS.md on this machine, then the tables.
#   1. core micro-benchmarks (criterion, native)         -> target/criterion
#   2. edge load and cold starts through workerd (miniflare + autocannon) -> target/bench/edge.json
#   3. size                                               -> target/bench/size.json
#   then benches/report.mjs                               -> target/bench/report.md (+ stdout)
# Options: --no-build (reuse target/bench/worker and target/bench/rust-floor), --quick (one
# short round per variant, 3 cold starts per kind: a smoke test, not figures to publish).
# EDGEHOOK_BENCH_BASELINE=<dir of an earlier build> adds its `…-before` rows (run.mjs).
# The measuring processes run at priority -10 when root (EDGEHOOK_BENCH_PRIORITY=0 to
# disable), so other work on a shared 2-core machine disturbs the figures less.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n\033[1m== %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - started ))" >&2; }
build=1
quick=
for a in "$@"; do
  case "$a" in
    --no-build) build= ;;
    --quick) quick=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
out=target/bench
mkdir -p "$out"
prio="${EDGEHOOK_BENCH_PRIORITY:-}"
if [ -z "$prio" ]; then
  if [ "$(id -u)" = 0 ]; then prio=-10; else prio=0; fi
fi
export EDGEHOOK_BENCH_PRIORITY="$prio"
nice_run() { if [ "$prio" != 0 ]; then nice -n "$prio" "$@"; else "$@"; fi; }

[ -x .tools/bin/wasm-bindgen ] && [ -x node_modules/.bin/miniflare ] || bash scripts/setup.sh

if [ -n "$build" ]; then
  step "build the worker -> $out/worker"
  log=$(mktemp)
  EDGEHOOK_BUILD_DIR="$out/worker" bash scripts/build-worker.sh >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  # The floors are workers-rs workers as their docs build them (worker-build); without
  # worker-build in .tools they are skipped (run.mjs leaves out the rows it has no build for).
  if [ ! -x .tools/bin/worker-build ]; then
    step "no .tools/bin/worker-build: the Rust floors are skipped"
  else
    step "build the Rust floors (trivial workers-rs workers) -> $out/rust-floor{,-lean}"
    ( cd benches/edge/rust-floor &&
      CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$OLDPWD/target}" \
      WASM_BINDGEN_BIN="$OLDPWD/.tools/bin/wasm-bindgen" \
      ESBUILD_BIN="$OLDPWD/node_modules/@esbuild/linux-x64/bin/esbuild" \
      "$OLDPWD/.tools/bin/worker-build" --release --out-dir "$OLDPWD/$out/rust-floor" &&
      CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$OLDPWD/target}" \
      WASM_BINDGEN_BIN="$OLDPWD/.tools/bin/wasm-bindgen" \
      ESBUILD_BIN="$OLDPWD/node_modules/@esbuild/linux-x64/bin/esbuild" \
      "$OLDPWD/.tools/bin/worker-build" --release --out-dir "$OLDPWD/$out/rust-floor-lean" --features lean ) >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  fi
  if [ ! -f www/pkg/edgehook_bg.wasm ]; then
    step "build the browser tester (www/pkg)"
    bash scripts/build-www.sh --no-site >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  fi
  rm -f "$log"
fi

step "1. core micro-benchmarks (criterion)"
if [ -n "$quick" ]; then export EDGEHOOK_BENCH_QUICK=1; else export EDGEHOOK_BENCH_QUICK="${EDGEHOOK_BENCH_QUICK:-1}"; fi
nice_run cargo bench --quiet --bench core -- --noplot 2>&1 | grep -E '^ratio|^(verify|handle|bare|normalize|routes)/|time:' >&2 || true

step "2. edge load through workerd"
if [ -n "$quick" ]; then
  node benches/edge/run.mjs --rounds 1 --duration 2 --scale-duration 1 --cold 3
else
  node benches/edge/run.mjs
fi

step "3. size"
node benches/size.mjs

step "report"
node benches/report.mjs
printf '\n[bench] done in %ss; tables in %s/report.md\n' "$(( $(date +%s) - started ))" "$out" >&2
