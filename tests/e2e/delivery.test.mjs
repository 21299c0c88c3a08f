// Durable delivery, proven under origin faults: every acknowledged event reaches the origin
// at least once with a valid signature, or is in the dead-letter store; none is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startOrigin, startGateway, waitFor, verifyForward, post } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const ADMIN = 'e2e-admin-token';
const vars = devVars();
const secrets = { ...vars, EDGEHOOK_ADMIN_TOKEN: ADMIN };
const fast = { timeout_ms: 400, retry_base_s: 1, retry_max_s: 2, max_retries: 25 };

// Deterministic pseudo-random faults (seeded), so a failing run can be replayed.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function dead(gw) {
  const res = await fetch(`${gw.url}/__edgehook/dead`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  return (await res.json()).dead;
}

test('fault injection: 300+ events across providers, acknowledged = delivered + dead, none lost', { timeout: 240000 }, async () => {
  const rand = rng(20261123);
  const gone = new Set(); // events the origin refuses for good (410)
  const attempts = new Map();
  const origin = await startOrigin((e) => {
    const id = e.headers['webhook-id'];
    attempts.set(id, (attempts.get(id) || 0) + 1);
    if (gone.has(id)) return { status: 410 };
    const r = rand();
    if (r < 0.3) return { status: 500 };
    if (r < 0.4) return { status: 200, delayMs: 900 }; // past the 400 ms timeout
    if (r < 0.47) return { status: 429, headers: { 'retry-after': '1' } };
    return { status: 200 };
  });
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { ...fast, origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets });
  const started = Date.now();
  try {
    const providers = Object.keys(samples);
    const acked = [];
    const N = 320;
    for (let i = 0; i < N; i++) {
      const name = providers[i % providers.length];
      const req = samples[name].build(vars, Math.floor(Date.now() / 1000), i);
      const res = await post(gw.url + samples[name].path, req.body, req.headers);
      assert.ok(res.status >= 200 && res.status < 300, `${name} #${i}: ${res.status} ${res.text}`);
      acked.push(req.id);
      if (i % 40 === 7) gone.add(req.id);
    }
    assert.equal(new Set(acked).size, N, 'sample ids are unique');
    const delivered = () => new Set(origin.delivered().map((e) => e.headers['webhook-id']));
    const settled = async () => {
      const d = delivered();
      const pending = acked.filter((id) => !gone.has(id) && !d.has(id));
      if (pending.length) return false;
      const dl = await dead(gw);
      return dl.length >= gone.size ? dl : false;
    };
    const deadLetters = await waitFor(settled, 200000, 500);
    const d = delivered();
    const deadIds = new Set((deadLetters || []).map((x) => x.id));
    const missing = acked.filter((id) => !d.has(id) && !deadIds.has(id));
    for (const e of origin.delivered()) verifyForward(e, vars.DEMO_ORIGIN_SECRET);
    for (const id of gone) {
      assert.ok(deadIds.has(id), `410 event ${id} dead-lettered`);
      assert.ok(!d.has(id));
    }
    for (const x of deadLetters) assert.match(x.reason, /410/);
    const total = [...attempts.values()].reduce((a, b) => a + b, 0);
    const figures = { events: N, providers: providers.length, attempts: total, delivered: [...d].filter((id) => acked.includes(id)).length, dead: deadIds.size, lost: missing.length, wall_s: (Date.now() - started) / 1000 };
    console.log('# reliability ' + JSON.stringify(figures));
    if (process.env.EDGEHOOK_RELIABILITY_OUT) fs.writeFileSync(process.env.EDGEHOOK_RELIABILITY_OUT, JSON.stringify(figures));
    assert.equal(missing.length, 0, `lost: ${missing.join(', ')}`);
    assert.equal(figures.delivered + figures.dead, N);
    assert.ok(total > N, 'faults caused retries');
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('queue down: the send rejects, the provider gets 503 and no ack', async () => {
  const origin = await startOrigin();
  // Wrap the built worker so its queue binding rejects every send, like an outage.
  const buildDir = path.resolve(process.env.EDGEHOOK_BUILD_DIR || 'build');
  const wrapper = path.join(buildDir, 'queue-down-test.mjs');
  fs.writeFileSync(wrapper, `
import Inner from './index.js';
import { WorkerEntrypoint } from 'cloudflare:workers';
class WorkerQueue { async send() { throw new Error('queue outage (test)'); } async sendBatch() { throw new Error('queue outage (test)'); } }
export default class extends WorkerEntrypoint {
  fetch(request) {
    const env = { ...this.env, EDGEHOOK_QUEUE: new WorkerQueue() };
    // worker-build's class, or the hand-written entry's handler object.
    return typeof Inner === 'function' ? new Inner(this.ctx, env).fetch(request) : Inner.fetch(request, env, this.ctx);
  }
}`);
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`), secrets, script: 'queue-down-test.mjs' });
  try {
    const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000));
    const res = await post(gw.url + samples.worldline.path, req.body, req.headers);
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, 'queue_unavailable');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(origin.received.length, 0);
  } finally {
    await gw.dispose();
    await origin.close();
    fs.rmSync(wrapper, { force: true });
  }
});

test('a provider retry of an accepted event gets the same ack and is delivered once', async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets });
  try {
    const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000));
    const first = await post(gw.url + samples.worldline.path, req.body, req.headers);
    const second = await post(gw.url + samples.worldline.path, req.body, req.headers);
    assert.equal(first.status, 200);
    assert.equal(second.status, first.status);
    assert.equal(second.text, first.text);
    assert.ok(await waitFor(() => origin.delivered().length >= 1));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(origin.delivered().filter((e) => e.headers['webhook-id'] === req.id).length, 1);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('dead letters can be listed and replayed with the admin token only', async () => {
  let refuse = true;
  const origin = await startOrigin(() => ({ status: refuse ? 400 : 200 }));
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, fast), secrets });
  try {
    const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000));
    assert.equal((await post(gw.url + samples.worldline.path, req.body, req.headers)).status, 200);
    const list = await waitFor(async () => (await dead(gw)).find((x) => x.id === req.id));
    assert.ok(list, 'dead-lettered after a 400');
    assert.match(list.reason, /400/);
    assert.equal(list.attempt, 1, '4xx is not retried');
    assert.equal(list.route, samples.worldline.path);
    let res = await fetch(`${gw.url}/__edgehook/dead`);
    assert.equal(res.status, 401);
    res = await fetch(`${gw.url}/__edgehook/dead`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    refuse = false;
    res = await fetch(`${gw.url}/__edgehook/dead/${encodeURIComponent(req.id)}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 202);
    assert.ok(await waitFor(() => origin.delivered().find((e) => e.headers['x-edgehook-event-id'] === req.id)));
    assert.equal((await dead(gw)).length, 0);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('admin API is off when no token is configured', async () => {
  const { EDGEHOOK_ADMIN_TOKEN, ...noToken } = vars;
  assert.ok(EDGEHOOK_ADMIN_TOKEN, 'the demo sets one; this test removes it');
  const gw = await startGateway({ routes: routesTo('http://127.0.0.1:9/in'), secrets: noToken });
  try {
    const res = await fetch(`${gw.url}/__edgehook/dead`, { headers: { authorization: 'Bearer anything' } });
    assert.equal(res.status, 404);
  } finally {
    await gw.dispose();
  }
});

for (const mode of ['raw', 'form']) {
  test(`forward mode ${mode}: signed, verifiable with the standardwebhooks library`, async () => {
    const origin = await startOrigin();
    const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { forward: mode, origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets });
    try {
      const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000));
      assert.equal((await post(gw.url + samples.worldline.path, req.body, req.headers)).status, 200);
      const got = await waitFor(() => origin.delivered()[0]);
      assert.ok(got);
      verifyForward(got, vars.DEMO_ORIGIN_SECRET);
      assert.equal(got.headers['x-edgehook-provider'], 'worldline');
      if (mode === 'raw') {
        assert.equal(got.body, req.body, 'the original bytes');
        assert.equal(got.headers['content-type'], 'application/json');
      } else {
        assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
        const f = new URLSearchParams(got.body);
        assert.equal(f.get('id'), req.id);
        assert.equal(f.get('status'), 'succeeded');
        assert.equal(f.get('amount_minor'), '1999');
        assert.equal(f.get('currency'), 'EUR');
        assert.equal(f.get('provider'), 'worldline');
        assert.equal(JSON.parse(f.get('raw')).id, req.id);
      }
    } finally {
      await gw.dispose();
      await origin.close();
    }
  });
}

test('an event too large for a queue message travels through KV and arrives whole', async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets });
  try {
    const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000), 0, { padding: 'x'.repeat(200 * 1024) });
    assert.equal((await post(gw.url + samples.worldline.path, req.body, req.headers)).status, 200);
    const got = await waitFor(() => origin.delivered()[0]);
    assert.ok(got);
    const ev = verifyForward(got, vars.DEMO_ORIGIN_SECRET);
    assert.equal(ev.data.raw.padding.length, 200 * 1024);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('no queue bound: refused with 503 (the provider retries), nothing forwarded', async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets, queue: false });
  try {
    const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000));
    const res = await post(gw.url + samples.worldline.path, req.body, req.headers);
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, 'queue_unavailable');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(origin.received.length, 0);
    assert.ok(gw.logs.join('').includes('queue_not_bound'), 'an alert names the missing binding');
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('no queue bound, inline_delivery opted in: forwarded inline, best effort', async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET', inline_delivery: true }), secrets, queue: false });
  try {
    const req = samples.worldline.build(vars, Math.floor(Date.now() / 1000));
    assert.equal((await post(gw.url + samples.worldline.path, req.body, req.headers)).status, 200);
    const got = await waitFor(() => origin.delivered()[0]);
    assert.ok(got);
    verifyForward(got, vars.DEMO_ORIGIN_SECRET);
    assert.ok(gw.logs.join('').includes('best effort'));
  } finally {
    await gw.dispose();
    await origin.close();
  }
});
