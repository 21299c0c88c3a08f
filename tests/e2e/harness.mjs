// Shared e2e harness: the real built worker (build/index.js + wasm) in workerd through
// in-process miniflare, and a real local origin HTTP server on loopback.
import http from 'node:http';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { Webhook } from 'standardwebhooks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const ORIGIN_SECRET = 'whsec_' + Buffer.from('e2e-origin-signing-key-0123456789').toString('base64');

/** A local origin that records every request; `behave(req, body)` may return {status, headers, delayMs}. */
export async function startOrigin(behave = () => ({ status: 200 })) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8'), at: Date.now() };
      const b = (await behave(entry)) || { status: 200 };
      if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
      entry.status = b.status ?? 200;
      received.push(entry);
      if (res.destroyed) return;
      res.writeHead(entry.status, { 'content-type': 'text/plain', ...(b.headers || {}) });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    received,
    /** Requests the origin answered with 2xx. */
    delivered: () => received.filter((e) => e.status >= 200 && e.status < 300),
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/** Starts the built worker with the given routes and secret bindings. */
export async function startGateway({ routes, secrets = {}, queue = true, kv = true, gate = true, d1 = false, routesRaw, log, script = 'index.js' } = {}) {
  const bindings = { ...secrets };
  if (routesRaw !== undefined) bindings.EDGEHOOK_ROUTES = routesRaw;
  else if (routes) bindings.EDGEHOOK_ROUTES = JSON.stringify(routes);
  const logs = [];
  const buildDir = path.resolve(root, process.env.EDGEHOOK_BUILD_DIR || 'build');
  const opts = {
    modules: true,
    scriptPath: path.join(buildDir, script),
    modulesRoot: buildDir,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-20',
    bindings,
    port: 0,
    host: '127.0.0.1',
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) s.on('data', (d) => { const t = d.toString(); logs.push(t); if (log) process.stderr.write(t); });
    },
  };
  if (queue) {
    opts.queueProducers = { EDGEHOOK_QUEUE: { queueName: 'edgehook-events' } };
    opts.queueConsumers = {
      // As in wrangler.toml.
      'edgehook-events': { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 100, deadLetterQueue: 'edgehook-events-dead' },
      'edgehook-events-dead': { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 100, deadLetterQueue: 'edgehook-events-kept' },
    };
  }
  if (kv) opts.kvNamespaces = { EDGEHOOK_KV: 'edgehook-kv' };
  // The per-origin gate, as in wrangler.toml (the class is exported by the built worker).
  if (gate) opts.durableObjects = { EDGEHOOK_ORIGIN_GATE: 'OriginGate' };
  // The event log (wrangler.toml [[d1_databases]]): `d1: true` applies migrations/ as
  // `wrangler d1 migrations apply` would; 'unmigrated' binds a database without tables,
  // so every write fails (the log's failure mode).
  if (d1) opts.d1Databases = { EDGEHOOK_DB: 'edgehook-events' };
  const mf = new Miniflare(opts);
  let url;
  try {
    url = (await mf.ready).toString().replace(/\/$/, '');
    if (d1 === true) await applyMigrations(await mf.getD1Database('EDGEHOOK_DB'));
  } catch (e) {
    process.stderr.write(logs.join(''));
    throw e;
  }
  return { mf, url, logs, dispose: () => mf.dispose() };
}

/** Runs every migrations/*.sql in name order, statement by statement. */
export async function applyMigrations(db) {
  const dir = path.join(root, 'migrations');
  const fs = await import('node:fs');
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.sql')).sort()) {
    const sql = fs.readFileSync(path.join(dir, f), 'utf8').replace(/^--.*$/gm, '');
    const stmts = sql.split(';').map((x) => x.trim()).filter(Boolean);
    await db.batch(stmts.map((x) => db.prepare(x)));
  }
}

/** Polls `fn` until it returns truthy or `ms` elapse. */
export async function waitFor(fn, ms = 10000, step = 50) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, step));
  }
}

/** Verifies a forwarded request with the standardwebhooks library, as an origin would. */
export function verifyForward(entry, secret = ORIGIN_SECRET) {
  const wh = new Webhook(secret);
  try {
    return wh.verify(entry.body, {
      'webhook-id': entry.headers['webhook-id'],
      'webhook-timestamp': entry.headers['webhook-timestamp'],
      'webhook-signature': entry.headers['webhook-signature'],
    });
  } catch (e) {
    // The library parses the payload as JSON only after the signature matched: a
    // SyntaxError therefore means a valid signature over a non-JSON (form, raw) body.
    if (e instanceof SyntaxError) return entry.body;
    throw e;
  }
}

export const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);

export async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json, headers: res.headers };
}

/** A pause long enough for a wrongly accepted request to have reached the origin. */
export const quiet = () => new Promise((r) => setTimeout(r, 300));

/** The forward the origin answered with 2xx for event `id`, once it arrives (or undefined). */
export const forwardedId = (origin, id) => waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === id));

/**
 * Posts each `[body, headers, status, code]` to `url`: refused with that status and JSON
 * error code, none of `absent` (secrets, plaintext) in the response; then, after a quiet
 * moment, the origin has received nothing since `before`.
 */
export async function expectRefused(origin, url, cases, { absent = [], before = origin.received.length } = {}) {
  for (const [body, headers, status, code] of cases) {
    const res = await post(url, body, headers);
    assert.equal(res.status, status, res.text);
    assert.equal(res.json.error.code, code);
    for (const a of absent) assert.ok(!res.text.includes(a), `no ${a.length}-char secret or plaintext in the rejection`);
  }
  await quiet();
  assert.equal(origin.received.length, before);
}

/**
 * The demo sample `scripts/samples/<name>.mjs` on the demo route (wrangler.toml routes,
 * .dev.vars secrets) pointed at `origin`: acked with 200 and forwarded with the id it
 * announced, signed with the demo origin secret, as a `payment.succeeded` of `name`.
 */
export async function demoSampleAccepted(origin, name) {
  const { routesTo, devVars } = await import('./demo-config.mjs');
  const { default: sample } = await import(`../../scripts/samples/${name}.mjs`);
  const vars = devVars();
  const demo = await startGateway({ routes: routesTo(`${origin.url}/demo`), secrets: vars });
  try {
    const req = sample.build(vars, Math.floor(Date.now() / 1000), 0);
    const res = await post(demo.url + sample.path, req.body, req.headers);
    assert.equal(res.status, 200, res.text);
    const got = await forwardedId(origin, req.id);
    assert.ok(got, 'forwarded with the id the sample announced');
    const ev = verifyForward(got, vars.DEMO_ORIGIN_SECRET);
    assert.equal(ev.provider, name);
    assert.equal(ev.type, 'payment.succeeded');
  } finally {
    await demo.dispose();
  }
}
