// Never hammer the origin: the per-origin gate (a Durable Object per origin) caps attempts in
// flight and per second, and its circuit breaker holds messages while the origin is down
// without spending their attempts. Measured at a real local origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startOrigin, startGateway, waitFor, post } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const ADMIN = 'e2e-admin-token';
const vars = devVars();
const secrets = { ...vars, EDGEHOOK_ADMIN_TOKEN: ADMIN };
const nowS = () => Math.floor(Date.now() / 1000);
const figures = {};
const record = (name, f) => {
  figures[name] = f;
  console.log(`# reliability (${name}) ${JSON.stringify(f)}`);
  if (process.env.EDGEHOOK_GATE_OUT) fs.writeFileSync(process.env.EDGEHOOK_GATE_OUT, JSON.stringify(figures));
};

/** An origin that answers after `ms` and records how many requests it held at once and the
 * most it started within any one second. */
async function measuredOrigin(ms, status = () => 200) {
  let open = 0;
  const stats = { maxConcurrent: 0, starts: [] };
  const origin = await startOrigin(async (e) => {
    open++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, open);
    stats.starts.push(Date.now());
    await new Promise((r) => setTimeout(r, ms));
    open--;
    return { status: status(e) };
  });
  stats.maxPerSecond = () => {
    const s = stats.starts;
    let best = 0;
    for (let i = 0, j = 0; i < s.length; i++) {
      while (s[i] - s[j] >= 1000) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  };
  return { origin, stats };
}

async function burst(gw, n) {
  const names = Object.keys(samples);
  const ids = [];
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const name = names[i % names.length];
    const req = samples[name].build(vars, nowS(), i);
    const res = await post(gw.url + samples[name].path, req.body, req.headers);
    assert.equal(res.status, 200, `${name}: ${res.text}`);
    ids.push(req.id);
  }));
  return ids;
}

async function deadCount(gw) {
  const res = await fetch(`${gw.url}/__edgehook/dead?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return (await res.json()).count;
}

for (const [label, caps, check] of [
  ['burst, max_in_flight 2', { max_in_flight: 2 }, (s) => assert.ok(s.maxConcurrent <= 2, `${s.maxConcurrent} at once`)],
  ['burst, max_per_second 4', { max_in_flight: 50, max_per_second: 4 }, (s) => assert.ok(s.maxPerSecond() <= 4, `${s.maxPerSecond()} in one second`)],
]) {
  test(`${label}: the origin never sees more, every event arrives`, { timeout: 90000 }, async () => {
    const { origin, stats } = await measuredOrigin(150);
    const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, caps), secrets });
    const started = Date.now();
    try {
      const N = 40;
      const ids = await burst(gw, N);
      const all = await waitFor(() => ids.every((id) => origin.delivered().some((e) => e.headers['webhook-id'] === id)), 75000, 200);
      assert.ok(all, `${origin.delivered().length}/${N} delivered`);
      check(stats);
      assert.equal(await deadCount(gw), 0);
      const held = gw.logs.join('').split('"outcome":"held"').length - 1;
      record(label, { events: N, attempts: origin.received.length, max_concurrent: stats.maxConcurrent, max_per_second: stats.maxPerSecond(), held, lost: 0, wall_s: (Date.now() - started) / 1000 });
    } finally {
      await gw.dispose();
      await origin.close();
    }
  });
}

test('reference: the same burst without a gate binding reaches the origin at once', { timeout: 90000 }, async () => {
  const { origin, stats } = await measuredOrigin(150);
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`), secrets, gate: false });
  try {
    const ids = await burst(gw, 40);
    assert.ok(await waitFor(() => ids.every((id) => origin.delivered().some((e) => e.headers['webhook-id'] === id)), 60000, 200));
    record('burst, no gate', { events: 40, attempts: origin.received.length, max_concurrent: stats.maxConcurrent, max_per_second: stats.maxPerSecond(), lost: 0 });
    assert.ok(stats.maxConcurrent > 2, 'without the gate the cap above is not what holds it');
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('breaker: origin down 8 s then up; attempts while open are not spent, nothing dead-lettered', { timeout: 90000 }, async () => {
  let upAt = Infinity;
  const { origin } = await measuredOrigin(20, () => (Date.now() < upAt ? 503 : 200));
  // Without the breaker, 6 attempts 1 s apart are spent in ~5 s: every event would die.
  const routes = routesTo(`${origin.url}/in`, { retry_schedule_s: [1, 1, 1, 1, 1], breaker_failures: 3, breaker_cooldown_s: 3 });
  const gw = await startGateway({ routes, secrets });
  const started = Date.now();
  try {
    upAt = Date.now() + 8000;
    const ids = await burst(gw, 12);
    const all = await waitFor(() => ids.every((id) => origin.delivered().some((e) => e.headers['webhook-id'] === id)), 60000, 200);
    assert.ok(all, `${origin.delivered().length}/12 delivered`);
    const whileDown = origin.received.filter((e) => e.at < upAt).length;
    const logs = gw.logs.join('');
    const held = logs.split('"outcome":"held"').length - 1;
    assert.equal(await deadCount(gw), 0, 'no event dead-lettered');
    assert.ok(held > 0, 'messages were held while the breaker was open');
    assert.ok(logs.includes('breaker_open'));
    // 12 events × 6 attempts would be 72 failures; the breaker let through the ones in flight
    // when it opened and one probe per cool-down.
    assert.ok(whileDown < 40, `${whileDown} requests while down`);
    const perEvent = ids.map((id) => origin.received.filter((e) => e.headers['webhook-id'] === id).length);
    assert.ok(Math.max(...perEvent) <= 6);
    record('breaker, origin down 8 s', { events: 12, attempts: origin.received.length, requests_while_down: whileDown, held, dead: 0, lost: 0, wall_s: (Date.now() - started) / 1000 });
  } finally {
    await gw.dispose();
    await origin.close();
  }
});
