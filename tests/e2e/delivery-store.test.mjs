// The dead-letter store and its admin API: keys per route, pages with a cursor from key
// metadata, replay of any id the gateway accepts, and a replay that cannot delete the fresh
// dead letter of the chain it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startGateway, waitFor, post, hmac } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const ADMIN = 'e2e-admin-token';
const vars = devVars();
const secrets = { ...vars, EDGEHOOK_ADMIN_TOKEN: ADMIN };
const auth = { authorization: `Bearer ${ADMIN}` };
const nowS = () => Math.floor(Date.now() / 1000);

async function page(gw, query = '') {
  const res = await fetch(`${gw.url}/__edgehook/dead${query}`, { headers: auth });
  assert.equal(res.status, 200);
  return res.json();
}
const replay = (gw, id, query = '') => fetch(`${gw.url}/__edgehook/dead/${encodeURIComponent(id)}/replay${query}`, { method: 'POST', headers: auth });

/** A generic-hmac request (demo route's GitHub-style scheme) whose signed body names `eventId`. */
function generic(eventId) {
  const secret = vars.DEMO_GENERIC_HMAC_SECRET.split('\n')[0].trim();
  const body = JSON.stringify({ event_id: eventId, type: 'payment.succeeded', data: { id: 'pay_1', amount: 100, currency: 'EUR' } });
  return { body, headers: { 'content-type': 'application/json', 'X-Hub-Signature-256': 'sha256=' + hmac('sha256', secret, body, 'hex'), 'X-GitHub-Event': 'payment.succeeded' } };
}

test('one event dead on two routes keeps both letters; the listing pages with a cursor', async () => {
  const origin = await startOrigin(() => ({ status: 400 }));
  const routes = routesTo(`${origin.url}/in`);
  const wl = routes.find((r) => r.provider === 'worldline');
  routes.push({ ...wl, path: '/hooks/worldline-b' });
  const gw = await startGateway({ routes, secrets });
  try {
    const req = samples.worldline.build(vars, nowS());
    assert.equal((await post(gw.url + '/hooks/worldline', req.body, req.headers)).status, 200);
    assert.equal((await post(gw.url + '/hooks/worldline-b', req.body, req.headers)).status, 200);
    const ids = [req.id];
    for (let i = 1; i < 5; i++) {
      const r = samples.worldline.build(vars, nowS(), i);
      ids.push(r.id);
      assert.equal((await post(gw.url + '/hooks/worldline', r.body, r.headers)).status, 200);
    }
    assert.ok(await waitFor(async () => (await page(gw)).count === 6), 'six letters');
    const both = (await page(gw)).dead.filter((x) => x.id === req.id);
    assert.deepEqual(both.map((x) => x.route).sort(), ['/hooks/worldline', '/hooks/worldline-b']);
    for (const x of both) {
      assert.match(x.reason, /400/);
      assert.equal(x.provider, 'worldline');
      assert.equal(typeof x.key, 'string');
    }
    // Pages of 2: three pages, every letter once, a cursor until the last.
    const seen = [];
    let cursor = '';
    let pages = 0;
    do {
      const p = await page(gw, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.ok(p.dead.length <= 2);
      seen.push(...p.dead.map((x) => x.key));
      cursor = p.cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.ok(pages >= 3, `${pages} pages`);
    assert.equal(new Set(seen).size, 6);
    // Replay on one route only.
    const res = await replay(gw, req.id, '?route=/hooks/worldline-b');
    assert.equal(res.status, 202);
    assert.equal((await res.json()).keys.length, 1);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('replay takes any id the gateway accepts, percent-decoded, long ones too', async () => {
  let refuse = true;
  const origin = await startOrigin(() => ({ status: refuse ? 422 : 200 }));
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`), secrets });
  try {
    // Signed ids with every character a path or a KV key could trip on, and a long one
    // (the gateway makes ids deliverable: encoded, hashed past 200 bytes; these are what
    // it accepts and what replay must take back).
    const sent = ['evt a/b%2F c:d?e#f+', 'evt/../x:1%', 'evt_' + 'L'.repeat(1500)];
    const ids = [];
    for (const eventId of sent) {
      const r = generic(eventId);
      const res = await post(gw.url + '/hooks/generic', r.body, r.headers);
      assert.equal(res.status, 200, res.text);
      ids.push(JSON.parse(res.text).id ?? (await waitFor(() => origin.received.at(-1))).headers['webhook-id']);
    }
    const letters = await waitFor(async () => { const d = (await page(gw)).dead; return d.length === sent.length ? d : null; });
    assert.ok(letters, 'all stored');
    assert.deepEqual(letters.map((x) => x.id).sort(), [...ids].sort(), 'listed under the ids the gateway gave them');
    assert.ok(ids.some((id) => id.includes('/')) && ids.some((id) => id.includes('%')) && ids.some((id) => id.includes(':')), ids.join(' | '));
    assert.ok(letters.every((x) => new TextEncoder().encode(x.key).length <= 512), 'keys fit KV');
    refuse = false;
    for (const id of ids) {
      const res = await replay(gw, id);
      assert.equal(res.status, 202, id);
      assert.ok(await waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === id)), 'replayed to the origin');
    }
    assert.equal((await page(gw)).count, 0);
    assert.equal((await replay(gw, ids[0])).status, 404, 'nothing left to replay');
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('a replay that dies again leaves its fresh dead letter in place', async () => {
  const origin = await startOrigin(() => ({ status: 400 }));
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`), secrets });
  try {
    const req = samples.stripe.build(vars, nowS());
    assert.equal((await post(gw.url + samples.stripe.path, req.body, req.headers)).status, 200);
    assert.ok(await waitFor(async () => (await page(gw)).count === 1));
    for (let n = 1; n <= 3; n++) {
      assert.equal((await replay(gw, req.id)).status, 202);
      const fresh = await waitFor(async () => (await page(gw)).dead.find((x) => x.id === req.id && x.replays === n));
      assert.ok(fresh, `replay ${n} dead-lettered again`);
      await new Promise((r) => setTimeout(r, 300));
      const d = (await page(gw)).dead;
      assert.deepEqual(d.map((x) => x.replays), [n], 'the fresh letter only: the replay deleted the one it read');
    }
    assert.equal(origin.received.length, 4);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});
