// Edge load bench: edgehook's built worker against the JS workers a merchant would deploy
// instead, each in its own workerd (in-process miniflare) on loopback, loaded by autocannon
// (pinned in package.json) in a separate process. Per variant: a correctness probe (the
// signed request is accepted, a tampered one refused), a warm-up, then `rounds` rounds of
// `duration` s with `connections` connections; per round req/s, p50/p99 latency and the
// workerd process's CPU time (utime+stime from /proc/<pid>/stat) per request; medians kept.
// The variants of a comparison group run round by round in turn (interleaved, the order
// rotating), so drift of a shared machine does not favour whichever variant ran first; the
// body-size group is measured as one such interleaved batch per size (edgehook, its
// baseline build, reference a', reference a), so only a few workerd run at once.
// The edgehook build is loaded as its `index.js` ES module (+ `index_bg.wasm` as a compiled
// module) whatever its default export is: worker-build's `WorkerEntrypoint` class or the
// hand-written entry's plain `{fetch, queue, scheduled}` object (workerd takes either).
// No Durable Object is bound: the per-origin gate (`OriginGate`) is used by the queue
// consumer only, which this bench does not run.
//
// Cold start (group `cold`): `--cold` rounds (default 21); in each, every kind (js-ok, the
// Rust floor when built, edgehook, the baseline build when set) in turn, the order rotating,
// gets a fresh workerd (a new Miniflare, so a new process and isolate) with the same
// configuration as its load variant (the queue/KV stand-ins bound for all): 'ready' = from
// `new Miniflare` to its `ready`, 'first request' = the client's wall time for one signed
// Stripe 2 KiB request and its whole response, then the workerd is disposed. Medians, the
// quartiles and the range per kind, and the per-round differences against js-ok.
//
// Usage: node benches/edge/run.mjs [--rounds 5] [--duration 3] [--connections 16]
//        [--groups floor,verify,standard,sibs,body,routes,eventlog,cold] [--cold 21]
//        [--out target/bench/edge.json] [--only name,name] [--profile name [--profile-seconds 5]]
// --profile samples the named variant's isolate with V8's CPU profiler (through workerd's
// inspector) during one load round and prints self and inclusive time per function (wasm
// functions by name when the build keeps them: EDGEHOOK_KEEP_NAMES=1 CARGO_PROFILE_RELEASE_STRIP=none).
// Env: EDGEHOOK_BENCH_BUILD (edgehook build dir, default target/bench/worker, else build/),
//      EDGEHOOK_BENCH_FLOOR (the trivial workers-rs worker's build dir).
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const ROUNDS = Number(arg('rounds', 5));
const DURATION = Number(arg('duration', 3));
const SCALE_DURATION = Number(arg('scale-duration', Math.min(DURATION, 3)));
const CONNECTIONS = Number(arg('connections', 16));
const GROUPS = arg('groups', 'floor,verify,standard,sibs,body,routes,eventlog,cold').split(',');
const COLD_ROUNDS = Number(arg('cold', 21));
const ONLY = arg('only', '') ? arg('only', '').split(',') : null;
const PROFILE = arg('profile', '');
const PROFILE_SECONDS = Number(arg('profile-seconds', 5));
const OUT = path.resolve(root, arg('out', 'target/bench/edge.json'));
// scripts/bench.sh builds into target/bench/worker; with --no-build and no such build, the
// worker of `bash scripts/build-worker.sh` (build/) is measured.
const defaultBuild = () => (fs.existsSync(path.join(root, 'target/bench/worker/index.js')) ? 'target/bench/worker' : 'build');
const BUILD = path.resolve(root, process.env.EDGEHOOK_BENCH_BUILD || defaultBuild());
const FLOOR = path.resolve(root, process.env.EDGEHOOK_BENCH_FLOOR || 'target/bench/rust-floor');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'edgehook-bench-'));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const COMPAT = '2026-04-20';

// ---- secrets and signed requests (node:crypto, independent of edgehook) ----------------
const STRIPE_SECRET = 'whsec_bench_' + crypto.randomBytes(16).toString('hex');
const SW_KEY = crypto.randomBytes(32);
const SW_SECRET = 'whsec_' + SW_KEY.toString('base64');
const SIBS_KEY = crypto.randomBytes(32);
const ORIGIN_SECRET = 'whsec_' + crypto.randomBytes(32).toString('base64');

/** A Stripe `payment_intent.succeeded` event of exactly `size` bytes (padded description). */
function stripeEvent(size) {
  const now = Math.floor(Date.now() / 1000);
  const ev = {
    id: 'evt_3Pbench' + crypto.randomBytes(8).toString('hex'),
    object: 'event',
    api_version: '2024-06-20',
    created: now,
    livemode: false,
    pending_webhooks: 1,
    request: { id: 'req_bench01', idempotency_key: crypto.randomUUID() },
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: 'pi_3Pbench0000000001',
        object: 'payment_intent',
        amount: 1999,
        amount_capturable: 0,
        amount_received: 1999,
        capture_method: 'automatic',
        client_secret: 'pi_3Pbench0000000001_secret_bench',
        confirmation_method: 'automatic',
        created: now - 5,
        currency: 'eur',
        customer: 'cus_Bench0001',
        latest_charge: 'ch_3Pbench0000000001',
        livemode: false,
        metadata: { order_id: 'order-1001', cart: 'c-77' },
        payment_method: 'pm_1Pbench0000000001',
        payment_method_types: ['card'],
        receipt_email: 'buyer@example.com',
        status: 'succeeded',
        description: '',
      },
    },
  };
  const base = Buffer.byteLength(JSON.stringify(ev));
  if (base > size) throw new Error(`stripe event base ${base} > ${size}`);
  ev.data.object.description = 'x'.repeat(size - base);
  const body = JSON.stringify(ev);
  if (Buffer.byteLength(body) !== size) throw new Error('size mismatch');
  return body;
}

function stripeRequest(path_, size) {
  const body = stripeEvent(size);
  const t = Math.floor(Date.now() / 1000);
  const v1 = crypto.createHmac('sha256', STRIPE_SECRET).update(`${t}.${body}`).digest('hex');
  return { path: path_, body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` } };
}

function standardRequest(size) {
  const now = Math.floor(Date.now() / 1000);
  const id = 'msg_' + crypto.randomBytes(12).toString('hex');
  const ev = { type: 'payment.succeeded', timestamp: new Date(now * 1000).toISOString(), data: { id: 'pay_bench01', amount: 1999, currency: 'EUR', reference: 'order-1001', payment_method: 'card', note: '' } };
  ev.data.note = 'x'.repeat(size - Buffer.byteLength(JSON.stringify(ev)));
  const body = JSON.stringify(ev);
  const sig = crypto.createHmac('sha256', SW_KEY).update(`${id}.${now}.${body}`).digest('base64');
  return {
    path: '/hooks/standard-webhooks',
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': `v1,${sig}` },
  };
}

function sibsRequest(size) {
  const id = crypto.randomUUID();
  const n = {
    returnStatus: { statusMsg: 'Success', statusCode: '000', statusDescription: 'Success' },
    paymentStatus: 'Success',
    paymentMethod: 'CARD',
    transactionID: 's2bench0000000000001',
    transactionDateTime: new Date().toISOString(),
    amount: { currency: 'EUR', value: '16.20' },
    merchant: { terminalId: 99978, transactionId: 'order-1001', merchantName: 'Bench shop' },
    paymentType: 'PURS',
    notificationID: id,
    info: '',
  };
  n.info = 'x'.repeat(size - Buffer.byteLength(JSON.stringify(n)));
  const plaintext = JSON.stringify(n);
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', SIBS_KEY, iv);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return {
    path: '/hooks/sibs',
    body: ct.toString('base64'),
    headers: { 'content-type': 'text/plain', 'x-initialization-vector': iv.toString('base64'), 'x-authentication-tag': c.getAuthTag().toString('base64') },
  };
}

/** The same request with its signature (or tag) damaged: must be refused. */
function tamper(req) {
  const h = { ...req.headers };
  if (h['stripe-signature']) h['stripe-signature'] = h['stripe-signature'].replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  if (h['webhook-signature']) h['webhook-signature'] = 'v1,' + Buffer.alloc(32, 7).toString('base64');
  if (h['x-authentication-tag']) h['x-authentication-tag'] = Buffer.alloc(16, 7).toString('base64');
  return { ...req, headers: h };
}

// ---- workers ----------------------------------------------------------------------------
const origin = 'https://origin.invalid/hook';
const route = (p, provider, secrets, extra = {}) => ({ path: p, provider, secrets, origin, origin_secret: 'ORIGIN_SECRET', max_body_bytes: 2 * 1024 * 1024, ...extra });
const SECRETS = { STRIPE_SECRET, SW_SECRET, SIBS_KEY: SIBS_KEY.toString('base64'), ORIGIN_SECRET };

function bundleStandardWebhooks() {
  const out = path.join(TMP, 'js-standardwebhooks.js');
  const esbuild = fs.existsSync(path.join(root, 'node_modules/@esbuild/linux-x64/bin/esbuild'))
    ? path.join(root, 'node_modules/@esbuild/linux-x64/bin/esbuild')
    : path.join(root, 'node_modules/.bin/esbuild');
  execFileSync(esbuild, [path.join(here, 'workers/js-standardwebhooks.js'), '--bundle', '--format=esm', '--platform=browser', '--minify', `--outfile=${out}`], { stdio: 'pipe' });
  return out;
}

/** src/worker/entry.js bundled around a fixed answer instead of the wasm core
 * (workers/entry-shell-core.js): the entry's own cost per accepted event. */
function bundleEntryShell() {
  const out = path.join(TMP, 'entry-shell.js');
  const esbuild = fs.existsSync(path.join(root, 'node_modules/@esbuild/linux-x64/bin/esbuild'))
    ? path.join(root, 'node_modules/@esbuild/linux-x64/bin/esbuild')
    : path.join(root, 'node_modules/.bin/esbuild');
  const entry = path.join(TMP, 'entry-shell-src.js');
  fs.writeFileSync(entry, fs.readFileSync(path.join(root, 'src/worker/entry.js'), 'utf8')
    .replace("from './edgehook.js'", `from ${JSON.stringify(path.join(here, 'workers/entry-shell-core.js'))}`));
  execFileSync(esbuild, [entry, '--bundle', '--format=esm', '--platform=browser', '--minify', `--outfile=${out}`], { stdio: 'pipe' });
  return out;
}

/** The worker alone, or with the in-isolate queue and KV stand-ins bound as edgehook's
 * `EDGEHOOK_QUEUE` / `EDGEHOOK_KV`. */
function withStubs(main, stubs) {
  if (!stubs) return { workers: [main] };
  main.wrappedBindings = {
    EDGEHOOK_QUEUE: { scriptName: 'stubs', entrypoint: 'queue' },
    EDGEHOOK_KV: { scriptName: 'stubs', entrypoint: 'kv' },
  };
  return { workers: [main, { name: 'stubs', modules: true, scriptPath: path.join(here, 'workers/stubs.js') }] };
}

function jsWorker(file, stubs = false) {
  const main = { name: 'main', modules: true, scriptPath: file, modulesRoot: path.dirname(file), compatibilityDate: COMPAT, bindings: SECRETS };
  return withStubs(main, stubs);
}

function wasmWorker(dir, bindings = {}, stubs = false) {
  const main = {
    name: 'main',
    modules: true,
    scriptPath: path.join(dir, 'index.js'),
    modulesRoot: dir,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: COMPAT,
    bindings,
  };
  return withStubs(main, stubs);
}

function edgehook(routes, vars = {}, build = BUILD) {
  return wasmWorker(build, { ...SECRETS, EDGEHOOK_ROUTES: JSON.stringify(routes), ...vars }, true);
}
// EDGEHOOK_BENCH_BASELINE=<dir of an earlier build> (the same layout: index.js +
// index_bg.wasm): adds its variants as `…-before` rows to the same interleaved groups
// (verify, standard, sibs: both logging settings; every body size and the cold starts:
// quiet), measured in the same run (before/after of an optimization).
const BASELINE = process.env.EDGEHOOK_BENCH_BASELINE ? path.resolve(root, process.env.EDGEHOOK_BENCH_BASELINE) : '';
// `EDGEHOOK_LOG=rejections`: no log line for accepted requests, as the JS workers log nothing.
const QUIET = { EDGEHOOK_LOG: 'rejections' };

// ---- measurement --------------------------------------------------------------------------
function workerdChildren() {
  const mine = new Set();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'workerd' && ppid === process.pid) mine.add(Number(d));
    } catch {
      /* gone */
    }
  }
  return mine;
}

function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}

function load(url, req, duration) {
  const bodyFile = path.join(TMP, 'body');
  fs.writeFileSync(bodyFile, req.body ?? '');
  const specFile = path.join(TMP, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify({ url: url + req.path, method: req.method || 'POST', headers: req.headers, bodyFile, connections: CONNECTIONS, duration }));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(here, 'load.mjs'), specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function probe(url, req, expectStatus) {
  const res = await fetch(url + req.path, { method: req.method || 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  if (res.status !== expectStatus) throw new Error(`${req.path}: expected ${expectStatus}, got ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

/** Starts a variant's workerd, checks it (signed request accepted, tampered one refused),
 * warms it up. */
async function start(v) {
  // Signed now, not when the variant list was made: schemes with a timestamp refuse
  // requests older than 5 minutes, and the whole run is longer than that.
  v.req = v.makeReq();
  const before = workerdChildren();
  const t0 = performance.now();
  v.mf = new Miniflare({
    ...v.options,
    port: 0,
    host: '127.0.0.1',
    ...(PROFILE === v.name ? { inspectorPort: 9329 } : {}),
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  });
  v.url = (await v.mf.ready).toString().replace(/\/$/, '');
  v.readyMs = performance.now() - t0;
  const fresh = [...workerdChildren()].filter((pid) => !before.has(pid));
  if (fresh.length !== 1) throw new Error(`${v.name}: expected one new workerd, found ${fresh.length}`);
  v.pid = fresh[0];
  const t1 = performance.now();
  const first = await probe(v.url, v.req, 200);
  v.firstMs = performance.now() - t1;
  if (v.expect && !v.expect.test(first)) throw new Error(`${v.name}: unexpected body ${first.slice(0, 200)}`);
  if (v.verifies) await probe(v.url, tamper(v.req), v.rejectStatus ?? 401);
  await load(v.url, v.req, 1); // warm-up: JIT tiers, per-isolate caches
  if (PROFILE === v.name) await profile(v.url, v);
  v.rounds = [];
}

async function round(v) {
  const c0 = cpuTicks(v.pid);
  const res = await load(v.url, v.req, v.duration);
  const c1 = cpuTicks(v.pid);
  if (res.non2xx || res.errors || res.timeouts) throw new Error(`${v.name}: ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts`);
  const cpuUs = (((c1 - c0) / CLK_TCK) * 1e6) / res.requests;
  v.rounds.push({ rps: res.requests / res.duration, p50: res.p50, p99: res.p99, cpuUs, requests: res.requests });
}

function summary(v) {
  const row = {
    name: v.name,
    group: v.group,
    batch: v.batch ?? v.group,
    label: v.label,
    bodyBytes: Buffer.byteLength(v.req.body ?? ''),
    readyMs: v.readyMs,
    firstMs: v.firstMs,
    rps: median(v.rounds.map((r) => r.rps)),
    p50: median(v.rounds.map((r) => r.p50)),
    p99: median(v.rounds.map((r) => r.p99)),
    cpuUs: median(v.rounds.map((r) => r.cpuUs)),
    rounds: v.rounds,
  };
  process.stderr.write(`[edge] ${v.name.padEnd(34)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  ${row.cpuUs.toFixed(0).padStart(5)} µs CPU/req\n`);
  return row;
}

/** The variants of one group, all started, then measured round by round in turn (the
 * order rotating each round), so slow drift of a shared machine falls on every variant of
 * the comparison alike instead of on whichever ran last. */
async function measureGroup(vs) {
  process.stderr.write(`[edge] ${vs[0].batch ?? vs[0].group}: ${vs.map((v) => v.name).join(', ')}\n`);
  try {
    for (const v of vs) await start(v);
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < vs.length; i++) await round(vs[(i + r) % vs.length]);
    }
    return vs.map(summary);
  } finally {
    for (const v of vs) if (v.mf) await v.mf.dispose();
  }
}

// ---- profile (--profile) ------------------------------------------------------------------
async function cdp(wsUrl) {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(wsUrl);
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  let id = 0;
  const pending = new Map();
  ws.on('message', (m) => {
    const msg = JSON.parse(m);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  const send = (method, params = {}) => new Promise((res) => {
    id += 1;
    pending.set(id, res);
    ws.send(JSON.stringify({ id, method, params }));
  });
  return { send, close: () => ws.close() };
}

async function profile(url, v) {
  const targets = await (await fetch('http://127.0.0.1:9329/json')).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl && /main/.test(t.id + t.title + t.webSocketDebuggerUrl)) || targets[0];
  const c = await cdp(target.webSocketDebuggerUrl);
  await c.send('Profiler.enable');
  await c.send('Profiler.setSamplingInterval', { interval: 50 });
  await c.send('Profiler.start');
  const res = await load(url, v.req, PROFILE_SECONDS);
  const { result } = await c.send('Profiler.stop');
  c.close();
  const p = result.profile;
  const saved = path.join(root, 'target/bench', `${v.name}.cpuprofile`);
  fs.mkdirSync(path.dirname(saved), { recursive: true });
  fs.writeFileSync(saved, JSON.stringify(p));
  process.stderr.write(`[profile] saved ${path.relative(root, saved)} (open in Chrome DevTools)\n`);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const ch of n.children || []) parent.set(ch, n.id);
  const name = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url ? path.basename(n.callFrame.url) : ''}`.trim();
  const self = new Map();
  const incl = new Map();
  let total = 0;
  p.samples.forEach((sid, i) => {
    const dt = p.timeDeltas[i] || 0;
    total += dt;
    const n = byId.get(sid);
    self.set(name(n), (self.get(name(n)) || 0) + dt);
    const seen = new Set();
    for (let cur = sid; cur !== undefined; cur = parent.get(cur)) {
      const nm = name(byId.get(cur));
      if (seen.has(nm)) continue;
      seen.add(nm);
      incl.set(nm, (incl.get(nm) || 0) + dt);
    }
  });
  const idle = self.get('(idle)') || 0;
  const busy = total - idle;
  const perReq = (us) => (us / res.requests).toFixed(1);
  const top = (m, k) => [...m].filter(([n]) => n !== '(idle)' && n !== '(root)').sort((a, b) => b[1] - a[1]).slice(0, k);
  process.stderr.write(`[profile] ${v.name}: ${res.requests} requests, busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled = ${perReq(busy)} µs/req in the isolate's thread\n`);
  process.stderr.write('[profile] self µs/req:\n');
  for (const [n, t] of top(self, 45)) process.stderr.write(`  ${perReq(t).padStart(7)}  ${(100 * t / busy).toFixed(1).padStart(5)}%  ${n}\n`);
  process.stderr.write('[profile] inclusive µs/req:\n');
  for (const [n, t] of top(incl, 60)) process.stderr.write(`  ${perReq(t).padStart(7)}  ${(100 * t / busy).toFixed(1).padStart(5)}%  ${n}\n`);
}

// ---- variants -----------------------------------------------------------------------------
function variants() {
  const vs = [];
  const add = (group, name, label, options, makeReq, extra = {}) => vs.push({ group, name, label, options, makeReq, duration: DURATION, ...extra });
  const stripe2k = () => stripeRequest('/hooks/stripe', 2048);
  const floorReq = () => ({ ...stripeRequest('/hooks/stripe', 2048), path: '/' });
  const stripeRoutes = [route('/hooks/stripe', 'stripe', ['STRIPE_SECRET'])];
  // edgehook with default logging and quiet, then the baseline build's two when set.
  const edgehooks = (group, name, label, routes, makeReq, extra) => {
    add(group, name, label, edgehook(routes), makeReq, extra);
    add(group, `${name}-quiet`, 'same, EDGEHOOK_LOG=rejections (no log line per accepted event)', edgehook(routes, QUIET), makeReq, extra);
    if (!BASELINE) return;
    add(group, `${name}-before`, `same, default logging, earlier build (${path.basename(BASELINE)})`, edgehook(routes, {}, BASELINE), makeReq, extra);
    add(group, `${name}-quiet-before`, `same, quiet, earlier build (${path.basename(BASELINE)})`, edgehook(routes, QUIET, BASELINE), makeReq, extra);
  };
  if (GROUPS.includes('floor')) {
    add('floor', 'js-ok', 'JS worker returning "ok" (floor)', jsWorker(path.join(here, 'workers/js-ok.js')), floorReq, { expect: /^ok$/ });
    if (fs.existsSync(path.join(FLOOR, 'index.js'))) {
      add('floor', 'rust-ok', 'workers-rs worker returning "ok" (floor)', wasmWorker(FLOOR), floorReq, { expect: /^ok$/ });
      if (fs.existsSync(path.join(`${FLOOR}-lean`, 'index.js'))) {
        add('floor', 'rust-ok-lean', 'same through raw runtime types, as edgehook\'s adapter (floor)', wasmWorker(`${FLOOR}-lean`), floorReq, { expect: /^ok$/ });
      }
    } else {
      process.stderr.write(`[edge] no Rust floor build in ${FLOOR}: skipped\n`);
    }
  }
  if (GROUPS.includes('verify')) {
    edgehooks('verify', 'edgehook-stripe', 'edgehook, Stripe route: verify + normalize + enqueue + ack', stripeRoutes, stripe2k, { verifies: true, expect: /"status":"accepted"/ });
    add('verify', 'edgehook-entry-shell', 'edgehook\'s JS entry alone, the wasm core\'s answer fixed (bound: what the entry costs)', jsWorker(bundleEntryShell(), true), stripe2k, { expect: /"status":"accepted"/ });
    add('verify', 'js-webcrypto-stripe', 'JS, Stripe-style HMAC verify with WebCrypto (reference a)', jsWorker(path.join(here, 'workers/js-webcrypto-stripe.js')), stripe2k, { verifies: true });
    add('verify', 'js-webcrypto-stripe-enqueue', 'JS, same verify + parse, normalize, dedup, enqueue, ack: edgehook\'s job (reference a\')', jsWorker(path.join(here, 'workers/js-webcrypto-stripe-enqueue.js'), true), stripe2k, { verifies: true, expect: /"status":"accepted"/ });
  }
  if (GROUPS.includes('standard')) {
    const sw = () => standardRequest(2048);
    edgehooks('standard', 'edgehook-standard', 'edgehook, standard-webhooks route', [route('/hooks/standard-webhooks', 'standard-webhooks', ['SW_SECRET'])], sw, { verifies: true, expect: /"status":"accepted"/ });
    add('standard', 'js-standardwebhooks', 'JS, `standardwebhooks` 1.1.1 verify (reference b)', jsWorker(bundleStandardWebhooks()), sw, { verifies: true });
    add('standard', 'js-webcrypto-standard', 'JS, same scheme by hand with WebCrypto', jsWorker(path.join(here, 'workers/js-webcrypto-standard.js')), sw, { verifies: true });
  }
  if (GROUPS.includes('sibs')) {
    const s = () => sibsRequest(4096);
    edgehooks('sibs', 'edgehook-sibs', 'edgehook, SIBS route: decrypt 4 KiB + normalize + enqueue + ack', [route('/hooks/sibs', 'sibs', ['SIBS_KEY'])], s, { verifies: true, expect: /notificationID/ });
    add('sibs', 'js-webcrypto-sibs', 'JS, AES-256-GCM decrypt 4 KiB with WebCrypto (reference c)', jsWorker(path.join(here, 'workers/js-webcrypto-sibs.js')), s, { verifies: true });
  }
  if (GROUPS.includes('body')) {
    for (const size of [1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024]) {
      const r = () => stripeRequest('/hooks/stripe', size);
      const kib = `${size / 1024}k`;
      // One interleaved batch per size; over the queue's message limit (256k, 1024k) every
      // worker that enqueues keeps the delivery in KV and sends a stub (the queue stand-in
      // refuses a message over 128 KB, so the probe fails for one that does not).
      const o = { verifies: true, duration: SCALE_DURATION, size, batch: `body-${kib}` };
      const accepted = { ...o, expect: /"status":"accepted"/ };
      add('body', `edgehook-stripe-${kib}`, `edgehook (EDGEHOOK_LOG=rejections), Stripe, ${kib} body`, edgehook(stripeRoutes, QUIET), r, accepted);
      if (BASELINE) add('body', `edgehook-stripe-${kib}-before`, `same, earlier build (${path.basename(BASELINE)})`, edgehook(stripeRoutes, QUIET, BASELINE), r, accepted);
      add('body', `js-webcrypto-stripe-enqueue-${kib}`, `JS, edgehook's job (reference a'), Stripe, ${kib} body`, jsWorker(path.join(here, 'workers/js-webcrypto-stripe-enqueue.js'), true), r, accepted);
      add('body', `js-webcrypto-stripe-${kib}`, `JS WebCrypto verify only (reference a), Stripe, ${kib} body`, jsWorker(path.join(here, 'workers/js-webcrypto-stripe.js')), r, o);
    }
  }
  if (GROUPS.includes('routes')) {
    for (const n of [1, 10, 100, 1000]) {
      const routes = [];
      for (let i = 0; i < n; i++) routes.push(route(`/hooks/r${i}`, 'stripe', ['STRIPE_SECRET']));
      // The last route configured: a linear lookup would pay the most here.
      add('routes', `edgehook-routes-${n}`, `edgehook (EDGEHOOK_LOG=rejections), ${n} routes configured`, edgehook(routes, QUIET), () => stripeRequest(`/hooks/r${n - 1}`, 2048), { verifies: true, duration: SCALE_DURATION, routes: n });
    }
  }
  if (GROUPS.includes('eventlog')) {
    // The event log's binding present vs absent on the ack path (the log is written by the
    // consumer, off this path): interleaved rounds, their CPU ratio reported below.
    const withD1 = edgehook(stripeRoutes, QUIET);
    withD1.workers[0].d1Databases = { EDGEHOOK_DB: 'bench-events' };
    add('eventlog', 'edgehook-stripe-no-d1', 'edgehook (EDGEHOOK_LOG=rejections), Stripe 2 KiB, no EDGEHOOK_DB', edgehook(stripeRoutes, QUIET), stripe2k, { verifies: true, expect: /"status":"accepted"/ });
    add('eventlog', 'edgehook-stripe-d1', 'same, EDGEHOOK_DB (D1 event log) bound', withD1, stripe2k, { verifies: true, expect: /"status":"accepted"/ });
  }
  return ONLY ? vs.filter((v) => ONLY.includes(v.name)) : vs;
}

// ---- cold start ----------------------------------------------------------------------------
function coldKinds() {
  const ks = [];
  const add = (name, label, options, expect) => ks.push({ name, label, options, expect });
  const accepted = /"status":"accepted"/;
  const stripeRoutes = [route('/hooks/stripe', 'stripe', ['STRIPE_SECRET'])];
  add('js-ok', 'JS worker returning "ok"', jsWorker(path.join(here, 'workers/js-ok.js'), true), /^ok$/);
  if (fs.existsSync(path.join(FLOOR, 'index.js'))) add('rust-ok', 'workers-rs worker returning "ok"', wasmWorker(FLOOR, SECRETS, true), /^ok$/);
  add('edgehook', 'edgehook, Stripe route (EDGEHOOK_LOG=rejections)', edgehook(stripeRoutes, QUIET), accepted);
  if (BASELINE) add('edgehook-before', `same, earlier build (${path.basename(BASELINE)})`, edgehook(stripeRoutes, QUIET, BASELINE), accepted);
  return ONLY ? ks.filter((k) => ONLY.includes(k.name)) : ks;
}

function spread(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { median: median(s), p25: q(0.25), p75: q(0.75), min: s[0], max: s[s.length - 1], n: s.length };
}

/** Cold starts, interleaved: round by round, each kind in a fresh workerd in turn. */
async function coldStarts(kinds) {
  const samples = new Map(kinds.map((k) => [k.name, []]));
  for (let r = 0; r < COLD_ROUNDS; r++) {
    for (let i = 0; i < kinds.length; i++) {
      const k = kinds[(i + r) % kinds.length];
      const req = stripeRequest('/hooks/stripe', 2048);
      const t0 = performance.now();
      const mf = new Miniflare({ ...k.options, port: 0, host: '127.0.0.1', handleRuntimeStdio(o, e) { o.resume(); e.resume(); } });
      try {
        const url = (await mf.ready).toString().replace(/\/$/, '');
        const t1 = performance.now();
        const text = await probe(url, req, 200);
        const t2 = performance.now();
        if (!k.expect.test(text)) throw new Error(`cold ${k.name}: unexpected body ${text.slice(0, 200)}`);
        samples.get(k.name).push({ round: r, readyMs: t1 - t0, firstMs: t2 - t1 });
      } finally {
        await mf.dispose();
      }
    }
  }
  const base = samples.get('js-ok');
  const rows = kinds.map((k) => {
    const xs = samples.get(k.name);
    const row = {
      name: k.name,
      label: k.label,
      readyMs: spread(xs.map((x) => x.readyMs)),
      firstMs: spread(xs.map((x) => x.firstMs)),
      totalMs: spread(xs.map((x) => x.readyMs + x.firstMs)),
      samples: xs,
    };
    // Paired with the js-ok start of the same round (the two ran seconds apart).
    if (base && k.name !== 'js-ok') row.firstVsJsOkMs = spread(xs.map((x, i) => x.firstMs - base[i].firstMs));
    const m = row.firstMs;
    process.stderr.write(`[cold] ${k.name.padEnd(16)} ready ${row.readyMs.median.toFixed(0).padStart(4)} ms  first request ${m.median.toFixed(1).padStart(6)} ms (IQR ${m.p25.toFixed(1)}–${m.p75.toFixed(1)}, range ${m.min.toFixed(1)}–${m.max.toFixed(1)}, n ${m.n})\n`);
    return row;
  });
  return { rounds: COLD_ROUNDS, request: 'Stripe 2 KiB, signed, /hooks/stripe', rows };
}

/** Per round, CPU/request of `b` over `a` (run back to back, interleaved), and its median. */
function cpuRatio(rows, a, b) {
  const ra = rows.find((r) => r.name === a);
  const rb = rows.find((r) => r.name === b);
  if (!ra || !rb) return null;
  const per = ra.rounds.map((r, i) => rb.rounds[i].cpuUs / r.cpuUs);
  return { of: b, over: a, median: median(per), rounds: per };
}

// ---- main ---------------------------------------------------------------------------------
const started = Date.now();
// EDGEHOOK_BENCH_PRIORITY=-10 (scripts/bench.sh sets it when root): workerd and the load
// generator inherit it, so other work on a shared machine disturbs the figures less.
const PRIORITY = process.env.EDGEHOOK_BENCH_PRIORITY;
if (PRIORITY) {
  try {
    os.setPriority(0, Number(PRIORITY));
  } catch (e) {
    process.stderr.write(`[edge] could not set priority ${PRIORITY}: ${e.message}\n`);
  }
}
if (!fs.existsSync(path.join(BUILD, 'index.js'))) {
  console.error(`no edgehook build in ${BUILD}: run scripts/bench.sh (it builds first)`);
  process.exit(1);
}
const rows = [];
const groups = new Map();
for (const v of variants()) {
  const batch = v.batch ?? v.group;
  if (!groups.has(batch)) groups.set(batch, []);
  groups.get(batch).push(v);
}
for (const vs of groups.values()) rows.push(...(await measureGroup(vs)));
const cold = GROUPS.includes('cold') && COLD_ROUNDS > 0 ? await coldStarts(coldKinds()) : null;
const versions = {
  node: process.version,
  miniflare: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/miniflare/package.json'), 'utf8')).version,
  autocannon: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/autocannon/package.json'), 'utf8')).version,
  standardwebhooks: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/standardwebhooks/package.json'), 'utf8')).version,
};
const wasmBytes = fs.statSync(path.join(BUILD, 'index_bg.wasm')).size;
const eventlogRatio = cpuRatio(rows, 'edgehook-stripe-no-d1', 'edgehook-stripe-d1');
if (eventlogRatio) process.stderr.write(`[edge] eventlog: ack-path CPU/req with D1 bound / without = ${eventlogRatio.median.toFixed(3)} (rounds ${eventlogRatio.rounds.map((x) => x.toFixed(3)).join(', ')})\n`);
const result = { cold, eventlogRatio, date: new Date().toISOString(), machine: `${os.cpus()[0].model}, ${os.cpus().length} cores`, priority: PRIORITY || '0', loadavg: os.loadavg(), versions, rounds: ROUNDS, duration: DURATION, scaleDuration: SCALE_DURATION, connections: CONNECTIONS, wasmBytes, seconds: (Date.now() - started) / 1000, rows };
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify(result, null, 2));
fs.rmSync(TMP, { recursive: true, force: true });
process.stderr.write(`[edge] ${rows.length} variants in ${result.seconds.toFixed(0)} s → ${path.relative(root, OUT)}\n`);
