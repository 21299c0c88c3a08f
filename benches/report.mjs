// Turns the raw results (criterion estimates, target/bench/edge.json, target/bench/size.json)
// into the markdown tables of BENCHMARKS.md, with every ratio next to the figures behind it
// and each target marked met or not. Prints to stdout and writes target/bench/report.md.
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
const targets = [];
if (edge) {
  const row = (n) => edge.rows.find((r) => r.name === n);
  p(`### 2. Edge load through workerd (miniflare ${edge.versions.miniflare}, autocannon ${edge.versions.autocannon}, ${edge.connections} connections, ${edge.rounds} rounds × ${edge.duration} s, medians)`);
  p();
  p(`${edge.date}, ${edge.machine}, node ${edge.versions.node}, load average at the end ${edge.loadavg.map((x) => x.toFixed(2)).join(' ')}, bench priority ${edge.priority}. Load generator and workerd share the 2 cores. CPU = workerd process CPU time (utime+stime) / requests.`);
  p();
  const groups = [
    ['floor', 'Floors'],
    ['verify', 'Stripe-style HMAC verify of a 2 KiB event'],
    ['standard', 'Standard Webhooks verify of a 2 KiB event'],
    ['sibs', 'SIBS: AES-256-GCM decrypt of a 4 KiB notification'],
  ];
  const ref = { verify: 'js-webcrypto-stripe', standard: 'js-webcrypto-standard', sibs: 'js-webcrypto-sibs', floor: 'js-ok' };
  p('| worker | req/s | p50 ms | p99 ms | CPU µs/req | req/s vs reference | CPU/req: reference ÷ this |');
  p('|---|---:|---:|---:|---:|---:|---:|');
  for (const [g, title] of groups) {
    const rows = edge.rows.filter((r) => r.group === g);
    if (!rows.length) continue;
    p(`| *${title}* (reference: \`${ref[g]}\`) | | | | | | |`);
    const r0 = row(ref[g]);
    for (const r of rows) {
      p(`| ${r.label} \`${r.name}\` | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.cpuUs)} | ${r0 ? f(r.rps / r0.rps, 2) + '×' : '–'} | ${r0 ? f(r0.cpuUs / r.cpuUs, 2) + '×' : '–'} |`);
    }
  }
  p();
  const cmp = (a, b, need, what) => {
    const A = row(a);
    const B = row(b);
    if (!A || !B) return;
    const rps = A.rps / B.rps;
    const cpu = B.cpuUs / A.cpuUs;
    targets.push({ what, a, b, rps, cpu, need, met: rps >= need && cpu >= need });
  };
  cmp('edgehook-stripe', 'js-webcrypto-stripe', 1.0, 'verify vs JS WebCrypto (default logging)');
  cmp('edgehook-stripe-quiet', 'js-webcrypto-stripe', 1.0, 'verify vs JS WebCrypto (EDGEHOOK_LOG=rejections)');
  cmp('edgehook-stripe', 'js-webcrypto-stripe-enqueue', 1.0, 'same job vs JS WebCrypto + parse, normalize, dedup, enqueue (default logging)');
  cmp('edgehook-stripe-quiet', 'js-webcrypto-stripe-enqueue', 1.0, 'same job vs JS WebCrypto + parse, normalize, dedup, enqueue (EDGEHOOK_LOG=rejections)');
  cmp('edgehook-sibs', 'js-webcrypto-sibs', 1.0, 'SIBS decrypt vs JS WebCrypto (default logging)');
  cmp('edgehook-sibs-quiet', 'js-webcrypto-sibs', 1.0, 'SIBS decrypt vs JS WebCrypto (EDGEHOOK_LOG=rejections)');
  cmp('edgehook-standard', 'js-standardwebhooks', 1.2, 'Standard Webhooks vs `standardwebhooks` (default logging)');
  cmp('edgehook-standard-quiet', 'js-standardwebhooks', 1.2, 'Standard Webhooks vs `standardwebhooks` (EDGEHOOK_LOG=rejections)');
  cmp('rust-ok', 'js-ok', 1.0, 'floor: trivial workers-rs vs trivial JS');
  if (targets.length) {
    p('| comparison | req/s ratio | CPU/req ratio (reference ÷ edgehook) | target | status |');
    p('|---|---:|---:|---:|---|');
    for (const t of targets) p(`| ${t.what}: \`${t.a}\` vs \`${t.b}\` | ${f(t.rps, 2)}× | ${f(t.cpu, 2)}× | ≥ ${t.need.toFixed(1)}× | ${t.a === 'rust-ok' ? '(bound)' : ok(t.met)} |`);
    p();
  }
  const body = edge.rows.filter((r) => r.group === 'body');
  if (body.length) {
    p('#### Body size (Stripe scheme; edgehook with `EDGEHOOK_LOG=rejections`)');
    p();
    p('| body | edgehook req/s | edgehook CPU µs/req | JS WebCrypto req/s | JS CPU µs/req | req/s ratio | CPU ratio (JS ÷ edgehook) |');
    p('|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of body.filter((x) => x.name.startsWith('edgehook'))) {
      const kib = r.name.split('-').pop();
      const j = row(`js-webcrypto-stripe-${kib}`);
      p(`| ${kib.replace('k', ' KiB')} | ${f(r.rps)} | ${f(r.cpuUs)} | ${j ? f(j.rps) : '–'} | ${j ? f(j.cpuUs) : '–'} | ${j ? f(r.rps / j.rps, 2) + '×' : '–'} | ${j ? f(j.cpuUs / r.cpuUs, 2) + '×' : '–'} |`);
    }
    p();
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
}

// ---- 3. size ------------------------------------------------------------------------------------
const sizeFile = path.join(DIR, 'size.json');
if (fs.existsSync(sizeFile)) {
  const s = JSON.parse(fs.readFileSync(sizeFile, 'utf8'));
  const kib = (n) => (n / 1024).toFixed(1);
  p('### 3. Size and start-up');
  p();
  p('| artefact | raw KiB | gzip -9 KiB | target | status |');
  p('|---|---:|---:|---:|---|');
  if (s.worker) {
    const w = s.worker.files[0];
    p(`| worker wasm (\`${w.file}\`) | ${kib(w.raw)} | ${kib(w.gzip)} | ≤ 250 KiB gzip | ${ok(w.gzip <= 250 * 1024)} |`);
    const j = s.worker.files[1];
    p(`| worker JS glue (\`${j.file}\`) | ${kib(j.raw)} | ${kib(j.gzip)} | | |`);
  }
  if (s.browser) p(`| browser wasm + glue (\`www/pkg\`) | ${kib(s.browser.raw)} | ${kib(s.browser.gzip)} | ≤ 150 KiB gzip | ${ok(s.browser.gzip <= 150 * 1024)} |`);
  p();
  if (s.workerSections) p('Worker wasm sections (bytes): ' + Object.entries(s.workerSections).map(([k, v]) => `${k} ${v}`).join(', ') + '.');
  if (s.startup) {
    p();
    p('Cold start in workerd (miniflare, median of 5): ' + Object.entries(s.startup).map(([k, v]) => `${k}: ready ${f(v.readyMs)} ms, first request ${f(v.firstRequestMs, 1)} ms`).join('; ') + '.');
  }
  p();
}

const text = out.join('\n');
fs.mkdirSync(DIR, { recursive: true });
fs.writeFileSync(path.join(DIR, 'report.md'), text + '\n');
process.stdout.write(text + '\n');
