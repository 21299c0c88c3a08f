// Fault injection through the real worker (workerd) for every way an acknowledged event
// could be lost on the platform side: the dead-letter store refusing writes, a spilled body
// not yet readable, the origin key missing at delivery time, a previous build's messages.
// Each ends with every acked event delivered or stored, none gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { startOrigin, startGateway, waitFor, verifyForward, post } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const ADMIN = 'e2e-admin-token';
const vars = devVars();
const secrets = { ...vars, EDGEHOOK_ADMIN_TOKEN: ADMIN };
const buildDir = path.resolve(process.env.EDGEHOOK_BUILD_DIR || 'build');
const nowS = () => Math.floor(Date.now() / 1000);

// Deterministic pseudo-random faults (seeded), so a failing run can be replayed.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

// The built worker behind a KV binding that misbehaves on command: `POST /__test/faults`
// with `{ failDeadUntil: <ms>, hideBody: <n> }` makes dead-letter writes (`dead:` keys)
// reject until that time, and each spilled body (`body:` keys) read as absent its first n
// times (KV's eventual consistency). `GET /__test/faults` returns the counters.
const FAULTY_KV = `
import Inner from './index.js';
import { WorkerEntrypoint } from 'cloudflare:workers';
// The built entry's default export: worker-build's class, or the hand-written handler object.
const call = (name, arg, env, ctx) => typeof Inner === 'function' ? new Inner(ctx, env)[name](arg) : Inner[name](arg, env, ctx);
const state = { failDeadUntil: 0, hideBody: 0, deadPutsRefused: 0, bodyReadsHidden: 0 };
const hidden = new Map();
function faulty(real) {
  return {
    get(k, o) {
      if (k.startsWith('body:') && (hidden.get(k) || 0) < state.hideBody) {
        hidden.set(k, (hidden.get(k) || 0) + 1);
        state.bodyReadsHidden++;
        return Promise.resolve(null);
      }
      return real.get(k, o);
    },
    getWithMetadata: (k, o) => real.getWithMetadata(k, o),
    put(k, v, o) {
      if (k.startsWith('dead:') && Date.now() < state.failDeadUntil) {
        state.deadPutsRefused++;
        return Promise.reject(new Error('KV refuses writes (fault injection)'));
      }
      return real.put(k, v, o);
    },
    list: (o) => real.list(o),
    delete: (k) => real.delete(k),
  };
}
export default class extends WorkerEntrypoint {
  env2() { return { ...this.env, EDGEHOOK_KV: faulty(this.env.EDGEHOOK_KV) }; }
  async fetch(request) {
    if (new URL(request.url).pathname === '/__test/faults') {
      if (request.method === 'POST') Object.assign(state, await request.json());
      return Response.json(state);
    }
    return call('fetch', request, this.env2(), this.ctx);
  }
  queue(batch) { return call('queue', batch, this.env2(), this.ctx); }
}`;

function withScript(name, text) {
  const file = path.join(buildDir, name);
  fs.writeFileSync(file, text);
  return () => fs.rmSync(file, { force: true });
}

async function deadPage(gw, query = '') {
  const res = await fetch(`${gw.url}/__edgehook/dead${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  return res.json();
}
const dead = async (gw) => (await deadPage(gw, '?limit=1000')).dead;

async function faults(gw, set) {
  const res = await fetch(`${gw.url}/__test/faults`, set ? { method: 'POST', body: JSON.stringify(set) } : {});
  return res.json();
}

test('fault injection: the dead-letter store refuses writes for 6 s, then recovers: every acked event ends delivered or stored', { timeout: 120000 }, async () => {
  const rand = rng(20261202);
  const gone = new Set(); // refused for good (410): dead at once
  const down = new Set(); // 500 forever: dead once the schedule is spent
  const flaky = new Set(); // 500 on the first attempt only
  const attempts = new Map();
  const origin = await startOrigin((e) => {
    const id = e.headers['webhook-id'];
    const n = attempts.set(id, (attempts.get(id) || 0) + 1).get(id);
    if (gone.has(id)) return { status: 410 };
    if (down.has(id) || (flaky.has(id) && n === 1)) return { status: 500 };
    return { status: 200 };
  });
  const cleanup = withScript('faulty-kv-test.mjs', FAULTY_KV);
  const routes = routesTo(`${origin.url}/in`, { timeout_ms: 400, retry_schedule_s: [1, 1, 1], origin_secret: 'DEMO_ORIGIN_SECRET' });
  const gw = await startGateway({ routes, secrets, script: 'faulty-kv-test.mjs' });
  const started = Date.now();
  try {
    await faults(gw, { failDeadUntil: Date.now() + 6000 });
    const providers = Object.keys(samples);
    const acked = [];
    const N = 60;
    for (let i = 0; i < N; i++) {
      const name = providers[i % providers.length];
      const req = samples[name].build(vars, nowS(), i);
      if (i % 5 === 1) gone.add(req.id);
      if (i % 5 === 3) down.add(req.id);
      if (i % 5 !== 1 && i % 5 !== 3 && rand() < 0.4) flaky.add(req.id);
      const res = await post(gw.url + samples[name].path, req.body, req.headers);
      assert.ok(res.status >= 200 && res.status < 300, `${name} #${i}: ${res.status} ${res.text}`);
      acked.push(req.id);
    }
    const expectDead = new Set([...gone, ...down]);
    const settled = async () => {
      const d = new Set(origin.delivered().map((e) => e.headers['webhook-id']));
      if (acked.some((id) => !expectDead.has(id) && !d.has(id))) return false;
      const dl = await dead(gw);
      return dl.length >= expectDead.size ? dl : false;
    };
    const letters = await waitFor(settled, 90000, 500);
    assert.ok(letters, 'settled');
    const delivered = new Set(origin.delivered().map((e) => e.headers['webhook-id']));
    const deadIds = new Set(letters.map((x) => x.id));
    const lost = acked.filter((id) => !delivered.has(id) && !deadIds.has(id));
    const f = await faults(gw);
    const logs = gw.logs.join('');
    const alerts = logs.split('\n').filter((l) => l.includes('"outcome":"dead_store_failed"'));
    const figures = {
      events: N, attempts: [...attempts.values()].reduce((a, b) => a + b, 0), delivered: acked.filter((id) => delivered.has(id)).length,
      dead: deadIds.size, dead_puts_refused: f.deadPutsRefused, lost: lost.length, wall_s: (Date.now() - started) / 1000,
    };
    console.log('# reliability (dead-letter store down 6 s) ' + JSON.stringify(figures));
    assert.equal(lost.length, 0, `lost: ${lost.join(', ')}`);
    assert.deepEqual([...deadIds].sort(), [...expectDead].sort(), 'exactly the refused and the spent events are stored');
    assert.ok(f.deadPutsRefused > 0, 'the store did refuse writes');
    assert.ok(alerts.length > 0 && alerts.every((l) => l.includes('"level":"alert"')), 'each refusal is an alert');
    for (const id of expectDead) assert.ok(logs.includes(`"event_id":${JSON.stringify(id)}`), `alert names ${id}`);
    for (const x of letters) {
      if (gone.has(x.id)) assert.match(x.reason, /410/);
      else assert.match(x.reason, /500; gave up after 4 attempts/);
    }
    for (const e of origin.delivered()) verifyForward(e, vars.DEMO_ORIGIN_SECRET);
    for (const id of down) assert.equal(attempts.get(id), 4, 'the schedule is spent once, not again per store failure');
  } finally {
    await gw.dispose();
    await origin.close();
    cleanup();
  }
});

test('fault injection: a spilled body not yet readable is waited for, not dead-lettered', { timeout: 60000 }, async () => {
  const origin = await startOrigin();
  const cleanup = withScript('faulty-kv-body-test.mjs', FAULTY_KV);
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET', retry_schedule_s: [1] }), secrets, script: 'faulty-kv-body-test.mjs' });
  try {
    await faults(gw, { hideBody: 3 });
    const req = samples.worldline.build(vars, nowS(), 0, { padding: 'x'.repeat(200 * 1024) });
    assert.equal((await post(gw.url + samples.worldline.path, req.body, req.headers)).status, 200);
    const got = await waitFor(() => origin.delivered()[0], 30000);
    assert.ok(got, 'delivered once the body is readable');
    const ev = verifyForward(got, vars.DEMO_ORIGIN_SECRET);
    assert.equal(ev.data.raw.padding.length, 200 * 1024);
    assert.equal((await faults(gw)).bodyReadsHidden, 3);
    assert.equal(origin.received.length, 1, 'no attempt before the body was read');
    assert.equal((await dead(gw)).length, 0);
    assert.ok(gw.logs.join('').includes('"outcome":"body_unavailable"'));
  } finally {
    await gw.dispose();
    await origin.close();
    cleanup();
  }
});

test('fault injection: origin_secret gone at delivery time: never sent unsigned, retried, then stored', { timeout: 60000 }, async () => {
  // Two workers of the same build sharing the queue and KV, as an old deployment that
  // accepted events and a new one, whose routes lost their origin_secret, consuming them.
  const origin = await startOrigin();
  const signed = routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET', retry_schedule_s: [1, 1] });
  const unsigned = signed.map(({ origin_secret, ...r }) => r);
  const common = {
    modules: true, modulesRoot: buildDir, scriptPath: path.join(buildDir, 'index.js'),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-20', kvNamespaces: { EDGEHOOK_KV: 'edgehook-kv' },
    queueProducers: { EDGEHOOK_QUEUE: { queueName: 'edgehook-events' } },
  };
  const logs = [];
  const mf = new Miniflare({
    port: 0, host: '127.0.0.1',
    handleRuntimeStdio(out, err) { for (const s of [out, err]) s.on('data', (d) => logs.push(d.toString())); },
    workers: [
      { ...common, name: 'accepting', bindings: { ...secrets, EDGEHOOK_ROUTES: JSON.stringify(signed) } },
      {
        ...common, name: 'delivering', bindings: { ...secrets, EDGEHOOK_ROUTES: JSON.stringify(unsigned) },
        queueConsumers: { 'edgehook-events': { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 100, deadLetterQueue: 'edgehook-events-dead' } },
      },
    ],
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, '');
    const req = samples.stripe.build(vars, nowS(), 0);
    assert.equal((await post(url + samples.stripe.path, req.body, req.headers)).status, 200);
    const letter = await waitFor(async () => {
      const r = await fetch(`${url}/__edgehook/dead`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return (await r.json()).dead.find((x) => x.id === req.id);
    }, 30000, 200);
    assert.ok(letter, 'stored in the dead-letter store');
    assert.match(letter.reason, /origin_secret cannot be resolved now; not sent unsigned; gave up after 3 attempts/);
    assert.equal(origin.received.length, 0, 'nothing reached the origin unsigned');
    assert.equal(logs.join('').split('"outcome":"retry"').length - 1, 2);
  } finally {
    await mf.dispose();
    await origin.close();
  }
});

test("a previous build's queue message (no schedule, no signed flag) still decodes and is delivered signed", async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets });
  try {
    const event = JSON.stringify({ specversion: '1.0', id: 'evt_old_build', type: 'payment.succeeded', source: 'edgehook/worldline', provider: 'worldline', data: {} });
    // The field set of the build before this change (its `Delivery`), as it sent them.
    const old = {
      route: samples.worldline.path, id: 'evt_old_build', provider: 'worldline', origin: `${origin.url}/in`, forward: 'cloudevents', event,
      payload: '', payload_base64: false, payload_type: 'application/json', accepted_at_ms: Date.now(), timeout_ms: 10000,
      max_retries: 8, retry_base_s: 10, retry_max_s: 3600, attempt: 0, spilled: false,
    };
    const queue = await gw.mf.getQueueProducer('EDGEHOOK_QUEUE');
    await queue.send(JSON.stringify(old), { contentType: 'text' });
    const got = await waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === 'evt_old_build'));
    assert.ok(got, 'delivered');
    assert.equal(verifyForward(got, vars.DEMO_ORIGIN_SECRET).id, 'evt_old_build', 'signed: its route signs');
  } finally {
    await gw.dispose();
    await origin.close();
  }
});
