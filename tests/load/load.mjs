// Bounded loopback load test: the built worker in workerd (miniflare, queue + KV bound)
// and a local origin, driven at a fixed rate for a fixed time with mixed valid and invalid
// traffic across every provider. It stops by itself and fails (exit 1) on any 5xx, any
// acknowledged event that never reaches the origin, any unexpected status, or workerd
// memory that keeps growing. Figures are printed as one JSON line.
//
//   node tests/load/load.mjs [--rate 200] [--duration 30] [--valid 0.7] [--out file.json]
//   (or EDGEHOOK_LOAD_RATE / EDGEHOOK_LOAD_DURATION_S / EDGEHOOK_LOAD_OUT; duration ≤ 60 s)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, startGateway, waitFor } from '../e2e/harness.mjs';
import { routesTo, devVars } from '../e2e/demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const arg = (name, env, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : process.env[env] ?? dflt;
};
const RATE = Number(arg('rate', 'EDGEHOOK_LOAD_RATE', 200));
const DURATION_S = Math.min(60, Number(arg('duration', 'EDGEHOOK_LOAD_DURATION_S', 30)));
const VALID_SHARE = Number(arg('valid', 'EDGEHOOK_LOAD_VALID', 0.7));
const OUT = arg('out', 'EDGEHOOK_LOAD_OUT', '');
/** Client connections (keep-alive); requests beyond them wait in the client, their
 * latency still counted from when they were due (no coordinated omission). */
const CONNECTIONS = 32;
/** Backlog cap (two seconds of traffic): past it a tick is dropped and counted, so a rate
 * the machine cannot sustain shows as `rate_held: false` instead of an unbounded run. */
const MAX_IN_FLIGHT = Math.max(64, 2 * RATE);
/** Leak guards. The worker's own memory (wasm linear memory, wasm-bindgen's table of JS
 * handles) is probed inside workerd and must not grow after warm-up. workerd's RSS grows
 * with the request count even for a trivial JS worker (measured ~5 KB/request locally: see
 * docs/hardening.md), so RSS only gets a gross bound per request. */
const WASM_GROWTH_LIMIT_BYTES = 256 * 1024;
const EXTERNREF_GROWTH_LIMIT = 256;
const RSS_KB_PER_REQUEST_LIMIT = 192;
/** About a dozen probes per run. */
const PROBE_EVERY = Math.max(20, Math.round((RATE * DURATION_S) / 12));
const REQUIRE_RATE = process.argv.includes('--require-rate') || process.env.EDGEHOOK_LOAD_REQUIRE_RATE === '1';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
/** One request over the pooled agent: {status, text}. */
function send(url, { method = 'POST', headers = {}, body = '' }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const vars = devVars();
const providers = Object.keys(samples);
const nowS = () => Math.floor(Date.now() / 1000);

// Invalid requests, each with the status and code it must get.
const invalid = [
  { what: 'tampered body', status: 401, code: 'signature_mismatch', make: (s, r) => ({ ...r, body: r.body.replace(/.$/, (c) => (c === '}' ? ' }' : c + 'x')) }) },
  { what: 'wrong content type', status: 415, code: 'unsupported_media_type', make: (s, r) => ({ ...r, headers: { ...r.headers, 'content-type': 'application/xml' } }) },
  { what: 'unknown route', status: 404, code: 'unknown_route', make: (s, r) => ({ ...r, path: r.path + '-nope' }) },
  { what: 'wrong method', status: 405, code: 'method_not_allowed', method: 'PUT', make: (s, r) => r },
];
// SIBS and Lyra have no tamper-proof "}" ending in every sample; their tampering breaks
// decryption or the form signature, which are also 4xx: accept any 4xx for that row.
const tamperAny = new Set(['sibs', 'lyra-form', 'lyra-rest']);

function descendants(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d), ...descendants(Number(d)));
    } catch { /* gone */ }
  }
  return out;
}
function workerdPid() {
  return descendants(process.pid).find((p) => {
    try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'workerd'; } catch { return false; }
  });
}
function rssMb(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch { return null; }
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = path.resolve(root, process.env.EDGEHOOK_BUILD_DIR || 'build');

/**
 * A copy of the built worker whose fetch handler logs, every PROBE_EVERY requests, the wasm
 * linear memory size and the length of wasm-bindgen's externref table (JS handles held by
 * Rust): a Rust leak or a leaked JS handle grows one of them. Found by pattern in the
 * minified glue; `null` (probe unavailable) when the glue's shape changes.
 */
function probeScript() {
  const src = fs.readFileSync(path.join(buildDir, 'index.js'), 'utf8');
  const exp = src.match(/[,;\s](\w+)=\w+\.exports[;,]\1\.__wbindgen_start\(\)/);
  const fetchRe = /(\w+)\.prototype\.fetch=function\((\w+)\)\{return (\w+)\.call\(this,\2,this\.env,this\.ctx\)\};/;
  const f = src.match(fetchRe);
  if (!exp || !f) return null;
  const [, cls, arg, call] = f;
  const x = exp[1];
  const patched = src.replace(fetchRe, `var __probeN=0;${cls}.prototype.fetch=function(${arg}){if(++__probeN%${PROBE_EVERY}===0)console.log(JSON.stringify({edgehook_probe:__probeN,wasm_bytes:${x}.memory.buffer.byteLength,externrefs:${x}.__wbindgen_externrefs.length}));return ${call}.call(this,${arg},this.env,this.ctx)};`);
  const name = 'load-probe.js';
  fs.writeFileSync(path.join(buildDir, name), patched);
  return name;
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);

async function main() {
  const origin = await startOrigin();
  const probe = probeScript();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`), secrets: vars, ...(probe ? { script: probe } : {}) });
  const pid = workerdPid();
  const figures = { rate: RATE, duration_s: DURATION_S, providers: providers.length, valid_share: VALID_SHARE };
  const failures = [];
  const rss = [];
  const latencies = [];
  const acked = new Map(); // event id -> provider
  const counts = { sent: 0, '2xx': 0, '4xx': 0, '5xx': 0, '503': 0, network_errors: 0, client_dropped: 0, unexpected: 0 };
  let inFlight = 0;
  const netByKind = {};
  try {
    // Warm-up: one valid request per provider (first-request isolate and wasm start-up).
    for (const name of providers) {
      const r = samples[name].build(vars, nowS(), 0);
      const res = await send(gw.url + samples[name].path, { body: r.body, headers: r.headers });
      if (res.ok) acked.set(r.id, name);
      else failures.push(`warm-up ${name}: ${res.status}`);
    }
    const sampler = setInterval(() => { const v = rssMb(pid); if (v !== null) rss.push(v); }, 1000);
    rss.push(rssMb(pid));

    const total = Math.round(RATE * DURATION_S);
    const started = performance.now();
    const pending = new Set();
    let seq = 0;
    const fire = (i) => {
      const name = providers[i % providers.length];
      const s = samples[name];
      const base = s.build(vars, nowS(), i);
      const valid = (i * 7919) % 1000 < VALID_SHARE * 1000; // deterministic mix
      const bad = valid ? null : invalid[(i >> 3) % invalid.length];
      const req = bad ? bad.make(s, { path: s.path, body: base.body, headers: base.headers }) : { path: s.path, body: base.body, headers: base.headers };
      const scheduled = started + (i * 1000) / RATE;
      inFlight++;
      counts.sent++;
      const p = send(gw.url + req.path, { method: bad?.method || 'POST', body: req.body, headers: req.headers })
        .then((res) => {
          const text = res.text;
          latencies.push(performance.now() - scheduled);
          const cls = `${Math.floor(res.status / 100)}xx`;
          counts[cls] = (counts[cls] || 0) + 1;
          if (res.status === 503) counts['503']++;
          let code;
          try { code = JSON.parse(text).error?.code; } catch { code = undefined; }
          if (valid) {
            if (res.ok) acked.set(base.id, name);
            else { counts.unexpected++; failures.push(`valid ${name} #${i}: ${res.status} ${text.slice(0, 120)}`); }
          } else {
            const anyFourxx = bad.what === 'tampered body' && tamperAny.has(name) && res.status >= 400 && res.status < 500;
            if (!anyFourxx && (res.status !== bad.status || code !== bad.code)) {
              counts.unexpected++;
              failures.push(`${bad.what} ${name} #${i}: ${res.status} ${code}`);
            }
          }
        })
        .catch((e) => { counts.network_errors++; const k = bad ? bad.what : 'valid'; netByKind[k] = (netByKind[k] || 0) + 1; failures.push(`${bad ? bad.what : 'valid'} ${name}: ${e.code || e.message}`); })
        .finally(() => { inFlight--; pending.delete(p); });
      pending.add(p);
    };
    // Open-loop schedule: request i is due at i/RATE s; latency counts from when it was due.
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * RATE) / 1000) + 1);
        while (seq < due) {
          if (inFlight >= MAX_IN_FLIGHT) counts.client_dropped++;
          else fire(seq);
          seq++;
        }
        if (seq >= total) resolve();
        else setTimeout(tick, 2);
      };
      tick();
    });
    await Promise.allSettled([...pending]);
    figures.send_wall_s = +((performance.now() - started) / 1000).toFixed(2);
    figures.achieved_rps = +(counts.sent / figures.send_wall_s).toFixed(1);

    // Drain: every acknowledged event must reach the origin.
    const drainStart = Date.now();
    const deliveredIds = () => new Set(origin.delivered().map((e) => e.headers['webhook-id']));
    await waitFor(() => { const d = deliveredIds(); return [...acked.keys()].every((id) => d.has(id)); }, 60_000, 250);
    figures.drain_s = +((Date.now() - drainStart) / 1000).toFixed(2);
    clearInterval(sampler);
    rss.push(rssMb(pid));

    const d = deliveredIds();
    const lost = [...acked.keys()].filter((id) => !d.has(id));
    const perId = new Map();
    for (const e of origin.delivered()) perId.set(e.headers['webhook-id'], (perId.get(e.headers['webhook-id']) || 0) + 1);
    latencies.sort((a, b) => a - b);
    const samplesRss = rss.filter((x) => x !== null);
    const avg = (xs) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    Object.assign(figures, {
      requests: counts.sent,
      status: { '2xx': counts['2xx'], '4xx': counts['4xx'], '5xx': counts['5xx'], '503': counts['503'] },
      unexpected: counts.unexpected,
      network_errors: counts.network_errors,
      network_errors_by_kind: netByKind,
      client_dropped: counts.client_dropped,
      acked: acked.size,
      delivered: [...acked.keys()].filter((id) => d.has(id)).length,
      lost: lost.length,
      duplicate_deliveries: [...perId.values()].filter((n) => n > 1).length,
      latency_ms: { p50: +pct(latencies, 50).toFixed(1), p95: +pct(latencies, 95).toFixed(1), p99: +pct(latencies, 99).toFixed(1), max: +latencies.at(-1).toFixed(1) },
      // After warm-up (the first third of the samples), per request sent in that time.
      rss_kb_per_request: +((((samplesRss.at(-1) - samplesRss[Math.floor(samplesRss.length / 3)]) * 1024) / Math.max(1, (counts.sent * 2) / 3))).toFixed(1),
      workerd_rss_mb: {
        first: samplesRss[0], last: samplesRss.at(-1), max: Math.max(...samplesRss), samples: samplesRss.length,
        middle_third_avg: avg(samplesRss.slice(Math.floor(samplesRss.length / 3), Math.floor((2 * samplesRss.length) / 3))),
        last_third_avg: avg(samplesRss.slice(Math.floor((2 * samplesRss.length) / 3))),
        series: samplesRss,
      },
    });
    if (counts['5xx'] - counts['503'] > 0) failures.push(`${counts['5xx']} 5xx responses`);
    if (counts['503'] > 0) failures.push(`${counts['503']} 503 responses (no queue outage was injected)`);
    if (lost.length) failures.push(`${lost.length} acknowledged events never reached the origin: ${lost.slice(0, 5).join(', ')}`);
    if (counts.network_errors) failures.push(`${counts.network_errors} requests failed at the network level`);
    const rateHeld = counts.client_dropped === 0 && figures.achieved_rps >= RATE * 0.9;
    figures.rate_held = rateHeld;
    if (REQUIRE_RATE && !rateHeld) failures.push(`rate not held: ${figures.achieved_rps} req/s sent, ${counts.client_dropped} ticks dropped`);
    if (!pid || samplesRss.length < 3) failures.push('workerd RSS could not be sampled');
    else if (figures.rss_kb_per_request > RSS_KB_PER_REQUEST_LIMIT) {
      failures.push(`workerd RSS grew ${figures.rss_kb_per_request} KB per request (limit ${RSS_KB_PER_REQUEST_LIMIT})`);
    }
    const probes = gw.logs.join('').split('\n').filter((l) => l.includes('"edgehook_probe"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    if (!probe || probes.length < 3) {
      figures.worker_memory = 'probe unavailable';
      if (!probe) console.error('load: the wasm memory probe could not be patched into the glue; worker memory not checked');
    } else {
      const warm = probes[Math.floor(probes.length / 3)];
      const last = probes.at(-1);
      figures.worker_memory = {
        probes: probes.length,
        wasm_mb: { first: +(probes[0].wasm_bytes / 2 ** 20).toFixed(2), after_warmup: +(warm.wasm_bytes / 2 ** 20).toFixed(2), last: +(last.wasm_bytes / 2 ** 20).toFixed(2) },
        externrefs: { first: probes[0].externrefs, after_warmup: warm.externrefs, last: last.externrefs },
      };
      if (last.wasm_bytes - warm.wasm_bytes > WASM_GROWTH_LIMIT_BYTES) failures.push(`wasm memory grew after warm-up: ${warm.wasm_bytes} -> ${last.wasm_bytes} bytes`);
      if (last.externrefs - warm.externrefs > EXTERNREF_GROWTH_LIMIT) failures.push(`JS handles held by wasm grew after warm-up: ${warm.externrefs} -> ${last.externrefs}`);
    }
  } finally {
    agent.destroy();
    await gw.dispose();
    await origin.close();
    if (probe) fs.rmSync(path.join(buildDir, probe), { force: true });
  }
  figures.ok = failures.length === 0;
  console.log(JSON.stringify(figures));
  if (OUT) fs.writeFileSync(OUT, JSON.stringify(figures, null, 2) + '\n');
  if (failures.length) {
    console.error(`load test FAILED:\n  ${[...new Set(failures)].slice(0, 20).join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.error(`load test passed: ${figures.requests} requests at ${figures.achieved_rps} req/s, ${figures.acked} acked = ${figures.delivered} delivered, 0 lost`);
  }
}

await main();
