// Turns the raw results (criterion estimates, target/bench/edge.json, target/bench/size.json)
// into the markdown tables of BENCHMARKS.md, with every ratio next to the figures behind it
// and each target marked met or not, all the targets first in one summary table. Prints to stdout and writes target/bench/report.md.
//
// Usage: node benches/report.mjs [--criterion <dir>] [--bench-dir target/bench]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const DIR = path.resolve(root, arg('bench-dir', 'target/bench'));
const CRIT = path.resolve(root, arg('criterion', path.join(process.env.CARGO_TARGET_DIR || 'target', 'criterion')));
const out = [];
const p = (s = '') => out.push(s);
const f = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const ok = (cond) => (cond ? '**met**' : '**not met**');

// ---- 1. core (criterion) --------------------------------------------------------------------
function criterion() {
  const est = new Map();
  if (!fs.existsSync(CRIT)) return est;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name === 'benchmark.json' && path.basename(path.dirname(full)) === 'new') {
        const b = JSON.parse(fs.readFileSync(full, 'utf8'));
        const e2 = JSON.parse(fs.readFileSync(path.join(path.dirname(full), 'estimates.json'), 'utf8'));
        est.set(`${b.group_id}/${b.value_str ?? b.function_id}`, e2.median.point_estimate);
      }
    }
  };
  walk(CRIT);
  return est;
}

const est = criterion();
const core = { rows: [] };
if (est.size) {
  p('### 1. Core micro-benchmarks (native, criterion, median per call)');
  p();
  p('`verify` = `Gateway::begin` (route, limits, headers, the check built) + the MAC computed and compared in constant time; `handle` = the whole pipeline (+ tolerance, normalization, CloudEvent JSON, delivery); `bare` = the same HMAC (or AES-256-GCM decryption) of the same bytes called directly on the `hmac`/`sha2`/`sha1`/`aes-gcm` crates; `normalize` = the provider mapping + CloudEvent serialization alone.');
  p();
  p('| provider | payload | bare µs | verify µs | verify / bare | handle µs | handle / bare | normalize µs |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|');
  const keys = [...est.keys()].filter((k) => k.startsWith('verify/'));
  const order = (k) => {
    const [, prov, size] = k.split('/');
    return [prov, Number(size)];
  };
  keys.sort((a, b) => {
    const [pa, sa] = order(a);
    const [pb, sb] = order(b);
    return pa === pb ? sa - sb : pa.localeCompare(pb);
  });
  for (const k of keys) {
    const id = k.slice('verify/'.length);
    const [prov, size] = id.split('/');
    const v = est.get(`verify/${id}`) / 1000;
    const h = est.get(`handle/${id}`) / 1000;
    const b = est.get(`bare/${id}`) / 1000;
    const n = est.get(`normalize/${id}`) / 1000;
    core.rows.push({ prov, size: Number(size), v, h, b, n });
    const kib = Number(size) >= 1024 ? `${Number(size) / 1024} KiB` : `${size} B`;
    p(`| ${prov} | ${kib} | ${f(b, 2)} | ${f(v, 2)} | ${f(v / b, 3)}× | ${f(h, 2)} | ${f(h / b, 2)}× | ${f(n, 2)} |`);
  }
  p();
  p('Criterion runs `bare` and `verify` of a row a minute apart: on a shared machine a ratio below 1 is load drift, not a verify faster than its own HMAC. The paired ratios below are the ones to read.');
  p();
}
const ratiosFile = path.join(DIR, 'ratios.json');
if (fs.existsSync(ratiosFile)) {
  const rs = JSON.parse(fs.readFileSync(ratiosFile, 'utf8'));
  // Schemes whose signed bytes are not the body as received: the verify path must decode
  // them first (Lyra: form-decode the fields / the kr-answer; SIBS: base64-decode the body).
  const decoding = new Set(['lyra-form', 'lyra-rest', 'sibs']);
  p('#### Paired ratios (alternating batches of bare and full, median of the pairs)');
  p();
  p('The ratio the target is read from: criterion medians of two benchmarks run a minute apart drift with the load of a shared machine; batches a few milliseconds apart do not.');
  p();
  p('| provider | payload | bare µs | verify µs | verify / bare | decode+bare µs | (decode+bare) / bare | verify / (decode+bare) | handle µs | handle / bare |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const dash = (v, fmt) => (v === undefined ? '—' : fmt(v));
  for (const r of rs) {
    const kib = r.size >= 1024 ? `${r.size / 1024} KiB` : `${r.size} B`;
    p(`| ${r.provider}${decoding.has(r.provider) ? ' †' : ''} | ${kib} | ${f(r.bare_us, 2)} | ${f(r.verify_us, 2)} | ${f(r.verify_ratio, 3)}× | ${dash(r.decode_bare_us, (v) => f(v, 2))} | ${dash(r.decode_bare_ratio, (v) => `${f(v, 3)}×`)} | ${dash(r.verify_decode_ratio, (v) => `${f(v, 3)}×`)} | ${f(r.handle_us, 2)} | ${f(r.handle_ratio, 2)}× |`);
  }
  p();
  p('† the signed bytes are not the body as received: verifying means decoding them first (Lyra: form fields / the form-decoded `kr-answer`; SIBS: the base64 body), which the bare call does not do. `decode+bare` is that decoding done by the same crates alone (`base64`, `form_urlencoded`), then the bare call: `(decode+bare) / bare` is what the wire format costs, `verify / (decode+bare)` what edgehook adds (each ratio paired on its own).');
  p();
  const at64 = rs.filter((r) => r.size === 65536);
  const raw = at64.filter((r) => !decoding.has(r.provider));
  const dec = at64.filter((r) => decoding.has(r.provider));
  const worst = (xs) => xs.reduce((m, r) => (!m || r.verify_ratio > m.verify_ratio ? r : m), null);
  const wr = worst(raw);
  if (wr) p(`Target: full verify path ≤ 1.10× the bare HMAC of the same bytes at 64 KiB. Schemes signing the body as received (${raw.map((r) => r.provider).join(', ')}): worst ${wr.provider} ${f(wr.verify_ratio, 3)}× → ${ok(raw.every((r) => r.verify_ratio <= 1.1))}. Schemes that must decode first: ${dec.map((r) => `${r.provider} ${f(r.verify_ratio, 2)}×`).join(', ')} → ${ok(dec.every((r) => r.verify_ratio <= 1.1))}.`);
  const sibs4 = rs.find((r) => r.provider === 'sibs' && r.size === 4096);
  if (sibs4) p(`SIBS 4 KiB: decrypt path (base64 decode + AES-256-GCM) ${f(sibs4.verify_us, 2)} µs vs bare AES-256-GCM ${f(sibs4.bare_us, 2)} µs (${f(sibs4.verify_ratio, 2)}×).`);
  if (dec.some((r) => r.verify_decode_ratio !== undefined)) p(`What edgehook adds over the decoding the wire format requires, at 64 KiB: ${dec.map((r) => `${r.provider} ${f(r.verify_decode_ratio, 2)}×`).join(', ')} (decoding alone: ${dec.map((r) => `${r.provider} ${f(r.decode_bare_ratio, 2)}×`).join(', ')} the bare call).`);
  p();
}
if (est.size) {
  const routes = [1, 10, 100, 1000].map((n) => [n, est.get(`routes/${n}`)]).filter(([, v]) => v);
  if (routes.length) {
    p();
    p('Routes in config (native `handle`, Stripe 2 KiB, request on the last route): ' + routes.map(([n, v]) => `${n} → ${f(v / 1000, 2)} µs`).join(', ') + '.');
  }
  p();
}

// ---- 2. edge ------------------------------------------------------------------------------------
const edgeFile = path.join(DIR, 'edge.json');
const edge = fs.existsSync(edgeFile) ? JSON.parse(fs.readFileSync(edgeFile, 'utf8')) : null;
// Every target with its figure and status, printed together at the end.
const summary = [];
const sum = (target, measured, status) => summary.push({ target, measured, status });
const x2 = (v) => `${f(v, 2)}×`;
if (edge) {
  const row = (n) => edge.rows.find((r) => r.name === n);
  p(`### 2. Edge load through workerd (miniflare ${edge.versions.miniflare}, autocannon ${edge.versions.autocannon}, ${edge.connections} connections, ${edge.rounds} rounds × ${edge.duration} s, medians)`);
  p();
  p(`${edge.date}, ${edge.machine}, node ${edge.versions.node}, load average at the end ${edge.loadavg.map((x) => x.toFixed(2)).join(' ')}, bench priority ${edge.priority}. Load generator and workerd share the 2 cores. CPU = workerd process CPU time (utime+stime) / requests. \`…-before\` rows: the build in \`EDGEHOOK_BENCH_BASELINE\`, in the same interleaved groups.`);
  p();
  const groups = [
    ['floor', 'Floors'],
    ['verify', 'Stripe-style HMAC verify of a 2 KiB event'],
    ['standard', 'Standard Webhooks verify of a 2 KiB event'],
    ['sibs', 'SIBS: AES-256-GCM decrypt of a 4 KiB notification'],
  ];
  const ref = { verify: 'js-webcrypto-stripe', standard: 'js-webcrypto-standard', sibs: 'js-webcrypto-sibs', floor: 'js-ok' };
  if (edge.rows.some((r) => ref[r.group])) {
    p('| worker | req/s | p50 ms | p99 ms | CPU µs/req | req/s vs reference | CPU/req: reference ÷ this |');
    p('|---|---:|---:|---:|---:|---:|---:|');
  }
  for (const [g, title] of groups) {
    const rows = edge.rows.filter((r) => r.group === g);
    if (!rows.length) continue;
    p(`| *${title}* (reference: \`${ref[g]}\`) | | | | | | |`);
    const r0 = row(ref[g]);
    for (const r of rows) {
      p(`| ${r.label} \`${r.name}\` | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.cpuUs)} | ${r0 ? x2(r.rps / r0.rps) : '–'} | ${r0 ? x2(r0.cpuUs / r.cpuUs) : '–'} |`);
    }
  }
  if (edge.rows.some((r) => ref[r.group])) p();
  // A target is met when edgehook is at least `need` times the reference on both figures:
  // req/s (edgehook ÷ reference) and CPU/request (reference ÷ edgehook).
  const targets = [];
  const cmp = (a, b, need, what, kind) => {
    const A = row(a);
    const B = row(b);
    if (!A || !B) return null;
    const t = { what, kind, a, b, need, rps: A.rps / B.rps, cpu: B.cpuUs / A.cpuUs };
    t.met = need === undefined ? undefined : t.rps >= need && t.cpu >= need;
    targets.push(t);
    return t;
  };
  const status = (t) => (t.met === undefined ? '(bound)' : ok(t.met));
  const both = (quiet, loud, b, need, what, kind) => {
    const q = cmp(quiet, b, need, `${what} (EDGEHOOK_LOG=rejections)`, kind);
    const d = cmp(loud, b, need, `${what} (default logging)`, `${kind}, reported beside`);
    if (q) sum(`${what}: ≥ ${need.toFixed(1)}× (${kind})`, `${x2(q.cpu)} CPU, ${x2(q.rps)} req/s quiet${d ? `; default logging ${x2(d.cpu)} / ${x2(d.rps)}` : ''}`, ok(q.met));
  };
  both('edgehook-stripe-quiet', 'edgehook-stripe', 'js-webcrypto-stripe-enqueue', 1.0, "Stripe 2 KiB vs the JS worker doing the same job (reference a')", 'mandatory');
  both('edgehook-stripe-quiet', 'edgehook-stripe', 'js-webcrypto-stripe', 1.0, 'Stripe 2 KiB vs the verify-only JS WebCrypto worker (reference a)', 'goal');
  both('edgehook-standard-quiet', 'edgehook-standard', 'js-standardwebhooks', 1.2, 'Standard Webhooks 2 KiB vs `standardwebhooks`', 'target');
  both('edgehook-sibs-quiet', 'edgehook-sibs', 'js-webcrypto-sibs', 1.2, 'SIBS 4 KiB decrypt vs JS WebCrypto', 'target');
  cmp('rust-ok', 'js-ok', undefined, 'floor: trivial workers-rs vs trivial JS', 'bound');
  // Before/after (EDGEHOOK_BENCH_BASELINE): this build over the earlier one, same groups.
  for (const n of ['edgehook-stripe', 'edgehook-standard', 'edgehook-sibs']) {
    for (const v of ['-quiet', '']) {
      const t = cmp(`${n}${v}`, `${n}${v}-before`, undefined, `this build vs the earlier build${v ? ' (EDGEHOOK_LOG=rejections)' : ' (default logging)'}`, 'before/after');
      if (t) t.met = undefined;
    }
  }
  if (targets.length) {
    p('| comparison | req/s ratio | CPU/req ratio (reference ÷ edgehook) | target | kind | status |');
    p('|---|---:|---:|---:|---|---|');
    for (const t of targets) p(`| ${t.what}: \`${t.a}\` vs \`${t.b}\` | ${x2(t.rps)} | ${x2(t.cpu)} | ${t.need === undefined ? '–' : `≥ ${t.need.toFixed(1)}×`} | ${t.kind} | ${t.kind === 'before/after' ? '–' : status(t)} |`);
    p();
  }
  const body = edge.rows.filter((r) => r.group === 'body' && /^edgehook-stripe-\d+k$/.test(r.name));
  if (body.length) {
    p("#### Body size (Stripe scheme, `EDGEHOOK_LOG=rejections`; one interleaved batch per size: edgehook, the earlier build, reference a', reference a)");
    p();
    p("Over the queue's 128 KB message limit (256 and 1024 KiB) edgehook and reference a' both keep the delivery in KV and send a stub message (the queue stand-in refuses a larger message). Ratios: reference ÷ edgehook for CPU/request, edgehook ÷ reference for req/s.");
    p();
    p("| body | edgehook req/s | edgehook CPU µs/req | a' req/s | a' CPU µs/req | vs a': req/s | vs a': CPU | a CPU µs/req | vs a: CPU | earlier build CPU µs/req | vs earlier: CPU | target vs a' (≥ 1.0×) |");
    p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const misses = [];
    let worst = null;
    for (const r of body) {
      const kib = r.name.split('-').pop();
      const e = row(`js-webcrypto-stripe-enqueue-${kib}`);
      const a = row(`js-webcrypto-stripe-${kib}`);
      const b = row(`edgehook-stripe-${kib}-before`);
      const met = e ? r.rps / e.rps >= 1 && e.cpuUs / r.cpuUs >= 1 : undefined;
      if (e && !met) misses.push(kib);
      if (e && (!worst || e.cpuUs / r.cpuUs < worst.cpu)) worst = { kib, cpu: e.cpuUs / r.cpuUs, rps: r.rps / e.rps };
      p(`| ${kib.replace('k', ' KiB')} | ${f(r.rps)} | ${f(r.cpuUs)} | ${e ? f(e.rps) : '–'} | ${e ? f(e.cpuUs) : '–'} | ${e ? x2(r.rps / e.rps) : '–'} | ${e ? x2(e.cpuUs / r.cpuUs) : '–'} | ${a ? f(a.cpuUs) : '–'} | ${a ? x2(a.cpuUs / r.cpuUs) : '–'} | ${b ? f(b.cpuUs) : '–'} | ${b ? x2(b.cpuUs / r.cpuUs) : '–'} | ${met === undefined ? '–' : ok(met)} |`);
    }
    p();
    if (worst) sum("Bodies 1 KiB → 1 MiB: ≥ 1.0× reference a' at every size", `worst CPU ratio ${x2(worst.cpu)} at ${worst.kib.replace('k', ' KiB')}${misses.length ? `; not met at ${misses.map((k) => k.replace('k', ' KiB')).join(', ')}` : ''}`, ok(!misses.length));
  }
  if (edge.eventlogRatio) {
    const e = edge.eventlogRatio;
    const a = row(e.over);
    const b = row(e.of);
    p('#### Event log: the ack path with the D1 binding present vs absent (Stripe 2 KiB, `EDGEHOOK_LOG=rejections`)');
    p();
    p('| variant | req/s | CPU µs/req |');
    p('|---|---:|---:|');
    for (const r of [a, b]) p(`| \`${r.name}\` | ${f(r.rps)} | ${f(r.cpuUs)} |`);
    p();
    p(`Interleaved ratio, CPU/req with ÷ without, median of ${e.rounds.length} paired rounds: **${f(e.median, 3)}** (target ≤ 1.05: ${ok(e.median <= 1.05)}); per round ${e.rounds.map((x) => f(x, 3)).join(', ')}.`);
    p();
  }
  const routes = edge.rows.filter((r) => r.group === 'routes');
  if (routes.length) {
    p('#### Routes in config (edgehook, Stripe 2 KiB on the last route, `EDGEHOOK_LOG=rejections`)');
    p();
    p('| routes | req/s | CPU µs/req | first request after start (ms) |');
    p('|---:|---:|---:|---:|');
    for (const r of routes) p(`| ${r.name.split('-').pop()} | ${f(r.rps)} | ${f(r.cpuUs)} | ${f(r.firstMs, 1)} |`);
    p();
  }
  if (edge.cold) {
    const c = edge.cold;
    const ms = (s, d = 1) => `${f(s.median, d)} (${f(s.p25, d)}–${f(s.p75, d)}; ${f(s.min, d)}–${f(s.max, d)})`;
    p(`#### Cold start (${c.rounds} rounds, each kind in a fresh workerd per sample, interleaved; ${c.request})`);
    p();
    p('Median (interquartile range; min–max), ms. Ready: `new Miniflare` to `ready` (workerd started, the script loaded and its wasm compiled). First request: the client\'s wall time for the first request and its whole response. Paired: per round, this kind\'s first request minus js-ok\'s of the same round.');
    p();
    p('| worker | ready ms | first request ms | ready + first ms | first − js-ok, paired ms |');
    p('|---|---:|---:|---:|---:|');
    for (const r of c.rows) p(`| ${r.label} \`${r.name}\` | ${ms(r.readyMs, 0)} | ${ms(r.firstMs)} | ${ms(r.totalMs, 0)} | ${r.firstVsJsOkMs ? ms(r.firstVsJsOkMs) : '–'} |`);
    p();
    const eh = c.rows.find((r) => r.name === 'edgehook');
    const js = c.rows.find((r) => r.name === 'js-ok');
    if (eh && js) {
      const d = eh.firstMs.median - js.firstMs.median;
      const few = eh.firstMs.n < 20 ? ` (only ${eh.firstMs.n} cold starts: the target needs ≥ 20)` : '';
      p(`Target: first request within 5 ms of js-ok's (medians): ${f(eh.firstMs.median, 1)} − ${f(js.firstMs.median, 1)} = **${f(d, 1)} ms** → ${ok(d <= 5)}${few}.`);
      p();
      sum("Cold start: first request within 5 ms of js-ok's (median of ≥ 20)", `+${f(d, 1)} ms (edgehook ${f(eh.firstMs.median, 1)} ms, js-ok ${f(js.firstMs.median, 1)} ms, n ${eh.firstMs.n}; paired median ${eh.firstVsJsOkMs ? f(eh.firstVsJsOkMs.median, 1) : '–'} ms)${few}`, ok(d <= 5));
    }
  }
}

// ---- 3. size ------------------------------------------------------------------------------------
const sizeFile = path.join(DIR, 'size.json');
if (fs.existsSync(sizeFile)) {
  const s = JSON.parse(fs.readFileSync(sizeFile, 'utf8'));
  const kib = (n) => (n / 1024).toFixed(1);
  p('### 3. Size');
  p();
  p('| artefact | raw KiB | gzip -9 KiB | target | status |');
  p('|---|---:|---:|---:|---|');
  if (s.worker) {
    const w = s.worker.files[0];
    p(`| worker wasm (\`${w.file}\`) | ${kib(w.raw)} | ${kib(w.gzip)} | ≤ 250 KiB gzip | ${ok(w.gzip <= 250 * 1024)} |`);
    const j = s.worker.files[1];
    p(`| worker JS glue (\`${j.file}\`) | ${kib(j.raw)} | ${kib(j.gzip)} | | |`);
    sum('Worker wasm ≤ 250 KiB gzip', `${kib(w.gzip)} KiB`, ok(w.gzip <= 250 * 1024));
  }
  if (s.browser) p(`| browser wasm + glue (\`www/pkg\`) | ${kib(s.browser.raw)} | ${kib(s.browser.gzip)} | ≤ 150 KiB gzip | ${ok(s.browser.gzip <= 150 * 1024)} |`);
  p();
  if (s.workerSections) p('Worker wasm sections (bytes): ' + Object.entries(s.workerSections).map(([k, v]) => `${k} ${v}`).join(', ') + '.');
  p();
}

// The summary first: every target of the run with its figure and status.
if (summary.length) {
  const top = ['### Summary: targets (issue 15)', '', '| target | measured | status |', '|---|---|---|'];
  for (const t of summary) top.push(`| ${t.target} | ${t.measured} | ${t.status} |`);
  if (edge && (edge.rounds < 5 || (edge.cold && edge.cold.rounds < 20))) top.push('', `A smoke run (${edge.rounds} round(s) × ${edge.duration} s per variant${edge.cold ? `, ${edge.cold.rounds} cold starts per kind` : ''}): the statuses show the harness works, not figures to publish.`);
  out.unshift(...top, '');
}

const text = out.join('\n');
fs.mkdirSync(DIR, { recursive: true });
fs.writeFileSync(path.join(DIR, 'report.md'), text + '\n');
process.stdout.write(text + '\n');
