#!/usr/bin/env bash
# `npm run fuzz [-- target ...]`: runs each cargo-fuzz target for FUZZ_SECONDS (default 60)
# or FUZZ_RUNS executions, seeded from tests/vectors. Needs the nightly toolchain and
# cargo-fuzz, installed here on first use (rustup + crates.io only).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*" >&2; }
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (rustup, minimal profile)"; rustup toolchain install nightly --profile minimal >&2
fi
if [ "$(.tools/bin/cargo-fuzz --version 2>/dev/null | awk '{print $2}')" != "0.13.2" ]; then
  say "building cargo-fuzz 0.13.2 from crates.io into .tools/"; cargo install --quiet cargo-fuzz --version 0.13.2 --root .tools >&2
fi
export PATH="$PWD/.tools/bin:$PATH"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
secs=${FUZZ_SECONDS:-60}
limit=(-max_total_time="$secs")
[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
cd fuzz
cargo +nightly fuzz build -O >&2
for t in "${targets[@]}"; do
  corpus="corpus/$t"; mkdir -p "$corpus"
  # Seeds: every vector file (raw bodies, JSON descriptions).
  find ../tests/vectors -type f -size -64k -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  say "$t: ${limit[*]}"
  log="artifacts/$t.log"; mkdir -p artifacts
  cargo +nightly fuzz run -O "$t" "$corpus" -- "${limit[@]}" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 \
    || { say "$t FAILED (crash or leak): see fuzz/$log and fuzz/artifacts/$t/"; tail -30 "$log" >&2; exit 1; }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  say "$t: $runs executions, no crash"
done
