// Trap recovery of the hand-written entry (src/worker/entry.js): a wasm trap (a Rust panic
// with panic = "abort") must not leave the isolate failing every later request. Runs on a
// test build with the `fault-probe` feature (`POST /__fault/trap` panics), built here by
// scripts/build-worker.sh (EDGEHOOK_FEATURES) into build-probe/; deployed builds have no such path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, startGateway, hmac, post, waitFor, ORIGIN_SECRET } from './harness.mjs';
import { expectForwarded } from './stamped.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'whsec_e2eTrapRecoverySecret0123456789';

let origin, gw, url;
before(async () => {
  execFileSync('bash', ['scripts/build-worker.sh'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, EDGEHOOK_BUILD_DIR: 'build-probe', EDGEHOOK_FEATURES: 'worker,fault-probe' },
  });
  origin = await startOrigin();
  const saved = process.env.EDGEHOOK_BUILD_DIR;
  process.env.EDGEHOOK_BUILD_DIR = 'build-probe';
  try {
    gw = await startGateway({
      routes: [{ path: '/hooks/stripe', provider: 'stripe', secrets: ['STRIPE'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' }],
      secrets: { STRIPE: SECRET, ORIGIN: ORIGIN_SECRET },
    });
  } finally {
    if (saved === undefined) delete process.env.EDGEHOOK_BUILD_DIR;
    else process.env.EDGEHOOK_BUILD_DIR = saved;
  }
  url = `${gw.url}/hooks/stripe`;
});
after(async () => { await gw?.dispose(); await origin?.close(); });

function signed() {
  const id = `evt_trap${Math.random().toString(36).slice(2)}`;
  const body = JSON.stringify({ id, object: 'event', created: 1767225600, livemode: false, type: 'payment_intent.succeeded', data: { object: { id: 'pi_trap', object: 'payment_intent', amount: 100, currency: 'eur', status: 'succeeded' } } });
  const t = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': 'application/json', 'Stripe-Signature': `t=${t},v1=${hmac('sha256', SECRET, `${t}.${body}`, 'hex')}` };
  return { id, body, headers };
}

test('after a trap the same isolate accepts, queues and delivers again, through the gate', async () => {
  const first = signed();
  await expectForwarded(origin, url, first.body, first.headers, first.id);

  const trapped = await post(`${gw.url}/__fault/trap`, '', {});
  assert.equal(trapped.status, 500, trapped.text);
  // The stable JSON error, not workerd's own 500: the trap threw out of the synchronous call.
  assert.equal(JSON.parse(trapped.text).error.code, 'internal', trapped.text);
  assert.ok(await waitFor(() => gw.logs.join('').includes('fault probe')), 'the panic was logged');
  const before = gw.logs.join('').length;

  for (let i = 0; i < 3; i++) {
    const e = signed();
    const ev = await expectForwarded(origin, url, e.body, e.headers, e.id);
    assert.equal(ev.id, e.id);
  }
  const since = gw.logs.join('').slice(before);
  // The gate's Durable Object was re-made on the new instance, not bypassed as unreachable.
  assert.doesNotMatch(since, /origin gate unavailable|Invalid stale object/);
  assert.doesNotMatch(since, /Module terminated/);
});
