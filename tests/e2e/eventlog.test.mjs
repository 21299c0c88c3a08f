// The event log in D1 through the real worker (miniflare's D1, migrations/ applied):
// states and attempts of delivered, retried, retrying and dead events; resend; the admin
// API's token, filters and pages; retention; a D1 failure losing nothing; a flood of
// rejected requests leaving the event table untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startGateway, waitFor, post, forwardedId } from './harness.mjs';
import { routesTo, devVars, demoRoutes } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const ADMIN = 'e2e-eventlog-admin-token';
const vars = devVars();
const secrets = { ...vars, EDGEHOOK_ADMIN_TOKEN: ADMIN, EDGEHOOK_REJECTION_FLUSH_S: '1' };
const fast = { timeout_ms: 400, retry_base_s: 1, retry_max_s: 1, max_retries: 3, origin_secret: 'DEMO_ORIGIN_SECRET' };
const worldline = samples.worldline;
const auth = { authorization: `Bearer ${ADMIN}` };

/** A Worldline event for merchant reference `ref`. */
function send(gw, ref, i = 0) {
  const req = worldline.build(vars, Math.floor(Date.now() / 1000), i, {
    payment: { id: `pay_${ref}`, status: 'PAID', paymentOutput: { amountOfMoney: { amount: 1999, currencyCode: 'EUR' }, references: { merchantReference: ref }, paymentMethod: 'card' } },
  });
  return post(gw.url + worldline.path, req.body, req.headers).then((res) => {
    assert.equal(res.status, 200, res.text);
    return req.id;
  });
}

async function api(gw, path, init = {}) {
  const res = await fetch(gw.url + path, { ...init, headers: { ...auth, ...(init.headers || {}) } });
  return { status: res.status, json: await res.json() };
}

/** The event's detail once `ok(detail)` holds. */
async function eventWhen(gw, id, ok, ms = 15000) {
  let last;
  const got = await waitFor(async () => {
    const r = await api(gw, `/__edgehook/events/${encodeURIComponent(id)}`);
    last = r;
    return r.status === 200 && ok(r.json) ? r.json : false;
  }, ms, 100);
  assert.ok(got, `event ${id}: ${JSON.stringify(last)}`);
  return got;
}

async function withGateway(behave, fn, opts = {}) {
  const origin = await startOrigin(behave);
  const gw = await startGateway({ routes: routesTo(`${origin.url}/in`, fast), secrets, d1: true, ...opts });
  try {
    await fn(gw, origin);
  } finally {
    await gw.dispose();
    await origin.close();
  }
}

test('delivered, retried, retrying and dead events are logged with their states and attempts; resend adds a chain', { timeout: 90000 }, async () => {
  const flaky = new Set();
  const seen = new Map();
  await withGateway((e) => {
    const id = e.headers['webhook-id'];
    const n = (seen.get(id) || 0) + 1;
    seen.set(id, n);
    const ref = JSON.parse(e.body).data.merchant_reference;
    if (ref === 'order-gone') return { status: 410 };
    if (ref === 'order-down') return { status: 503 };
    if (flaky.has(id) && n === 1) return { status: 500 };
    return { status: 200 };
  }, async (gw, origin) => {
    const ok = await send(gw, 'order-ok');
    const retried = await send(gw, 'order-flaky', 1);
    flaky.add(retried);
    const gone = await send(gw, 'order-gone', 2);
    const down = await send(gw, 'order-down', 3);

    const d = await eventWhen(gw, ok, (j) => j.event.state === 'delivered');
    assert.equal(d.event.merchant_reference, 'order-ok');
    assert.equal(d.event.payment_id, 'pay_order-ok');
    assert.equal(d.event.provider, 'worldline');
    assert.equal(d.event.status, 'succeeded');
    assert.equal(d.event.amount_minor, 1999);
    assert.equal(d.event.currency, 'EUR');
    assert.equal(d.event.route, '/hooks/worldline');
    assert.equal(d.event.attempts, 1);
    assert.equal(d.event.last_status, 200);
    assert.ok(d.event.delivered_at_ms >= d.event.accepted_at_ms);
    assert.deepEqual(d.attempts.map((a) => [a.chain, a.n, a.status]), [[0, 1, 200]]);
    assert.ok(d.attempts[0].latency_ms >= 0);
    assert.equal(d.resendable, true);
    assert.equal(d.normalized.data.merchant_reference, 'order-ok', 'the normalized event, from the kept payload');

    const r = await eventWhen(gw, retried, (j) => j.event.state === 'delivered');
    assert.deepEqual(r.attempts.map((a) => a.status), [500, 200]);
    assert.equal(r.event.attempts, 2);
    assert.equal(r.event.last_error, null, 'a delivered event has no current error');

    const g = await eventWhen(gw, gone, (j) => j.event.state === 'dead');
    assert.match(g.event.dead_reason, /410/);
    assert.deepEqual(g.attempts.map((a) => a.status), [410]);

    const w = await eventWhen(gw, down, (j) => j.event.state === 'retrying');
    assert.equal(w.event.last_status, 503);
    assert.match(w.event.last_error, /503/);

    // Filters: by state, by merchant reference (search), by payment id.
    const deadList = await api(gw, '/__edgehook/events?state=dead');
    assert.deepEqual(deadList.json.events.map((e) => e.id), [gone]);
    const byRef = await api(gw, '/__edgehook/events?q=order-flaky');
    assert.deepEqual(byRef.json.events.map((e) => e.id), [retried]);
    const byPay = await api(gw, '/__edgehook/events?payment_id=pay_order-ok&provider=worldline');
    assert.deepEqual(byPay.json.events.map((e) => e.id), [ok]);
    const none = await api(gw, `/__edgehook/events?since=${Date.now() + 60000}`);
    assert.equal(none.json.count, 0);

    // Resend a delivered event: a new chain, one more attempt, the origin gets it again.
    const before = origin.delivered().filter((e) => e.headers['webhook-id'] === ok).length;
    const res = await api(gw, `/__edgehook/events/${encodeURIComponent(ok)}/resend`, { method: 'POST' });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json.chain, 1);
    const again = await eventWhen(gw, ok, (j) => j.attempts.length === 2 && j.event.state === 'delivered');
    assert.deepEqual(again.attempts.map((a) => [a.chain, a.n, a.status]), [[0, 1, 200], [1, 1, 200]]);
    assert.ok(await waitFor(() => origin.delivered().filter((e) => e.headers['webhook-id'] === ok).length === before + 1));

    // Resend a dead one: replayed from its dead letter (which leaves the store), tried once
    // more (still 410), dead again under a letter of its own.
    const letters = async () => (await api(gw, '/__edgehook/dead')).json.dead.filter((x) => x.id === gone).map((x) => x.key);
    const [firstLetter] = await letters();
    assert.ok(firstLetter, 'dead-lettered');
    const rd = await api(gw, `/__edgehook/events/${encodeURIComponent(gone)}/resend?route=/hooks/worldline`, { method: 'POST' });
    assert.equal(rd.status, 202);
    assert.equal(rd.json.from, 'dead_letter');
    const g2 = await eventWhen(gw, gone, (j) => j.attempts.length === 2 && j.event.state === 'dead');
    assert.deepEqual(g2.attempts.map((a) => a.chain), [0, 1]);
    const after = await waitFor(async () => { const l = await letters(); return l.length === 1 && l[0] !== firstLetter ? l : false; }, 10000, 100);
    assert.ok(after, 'the replayed letter is gone, the new one kept');

    // A delivered event whose kept payload expired cannot be resent: 404, nothing queued.
    const kv = await gw.mf.getKVNamespace('EDGEHOOK_KV');
    await kv.delete(`event:/hooks/worldline:${retried}`);
    const expired = await api(gw, `/__edgehook/events/${encodeURIComponent(retried)}/resend`, { method: 'POST' });
    assert.equal(expired.status, 404);
    assert.equal(expired.json.error.code, 'not_found');

    const stats = await api(gw, '/__edgehook/stats');
    assert.equal(stats.status, 200);
    const count = (state) => stats.json.events.find((s) => s.route === '/hooks/worldline' && s.state === state)?.last_hour;
    assert.equal(count('delivered'), 2);
    assert.equal(count('dead'), 1);
  });
});

test('admin API: refuses without the token, refuses bad input with stable codes, pages past one page', { timeout: 60000 }, async () => {
  await withGateway(() => ({ status: 200 }), async (gw) => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await send(gw, `order-page-${i}`, i));
    assert.ok(await waitFor(async () => (await api(gw, '/__edgehook/events?state=delivered')).json.count === 5, 15000, 100));

    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: ADMIN }]) {
      for (const p of ['/__edgehook/events', `/__edgehook/events/${ids[0]}`, '/__edgehook/stats']) {
        const res = await fetch(gw.url + p, { headers });
        assert.equal(res.status, 401, p);
        const body = await res.json();
        assert.equal(body.error.code, 'unauthorized');
        assert.ok(!JSON.stringify(body).includes('order-page'), 'nothing of the log without the token');
      }
    }
    for (const [p, status, code, method] of [
      ['/__edgehook/events?state=lost', 400, 'invalid_query'],
      ['/__edgehook/events?limit=0', 400, 'invalid_query'],
      ['/__edgehook/events?cursor=zz', 400, 'invalid_query'],
      ['/__edgehook/events?color=red', 400, 'invalid_query'],
      ['/__edgehook/events?since=yesterday', 400, 'invalid_query'],
      ['/__edgehook/events/nope', 404, 'not_found'],
      ['/__edgehook/events/nope/resend', 404, 'not_found', 'POST'],
      [`/__edgehook/events/${ids[0]}?x=1`, 400, 'invalid_query'],
      [`/__edgehook/events/${ids[0]}/resend`, 405, 'method_not_allowed'],
      ['/__edgehook/events', 405, 'method_not_allowed', 'POST'],
      ['/__edgehook/events/%FF', 404, 'not_found'],
    ]) {
      const res = await api(gw, p, { method: method || 'GET' });
      assert.equal(res.status, status, `${p}: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.error.code, code, p);
    }

    const seen = [];
    let cursor = null;
    let pages = 0;
    do {
      const r = await api(gw, `/__edgehook/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      assert.ok(r.json.events.length <= 2);
      seen.push(...r.json.events.map((e) => e.id));
      cursor = r.json.cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse(), 'newest first, each event once, none skipped');
  });
});

test('without the admin token configured the log API answers nothing (fails closed)', { timeout: 30000 }, async () => {
  const { EDGEHOOK_ADMIN_TOKEN, ...noToken } = secrets;
  await withGateway(() => ({ status: 200 }), async (gw) => {
    const id = await send(gw, 'order-closed');
    for (const p of ['/__edgehook/events', `/__edgehook/events/${id}`, '/__edgehook/stats']) {
      const res = await fetch(gw.url + p, { headers: { authorization: 'Bearer ' } });
      assert.equal(res.status, 404, p);
    }
  }, { secrets: noToken });
});

test('without the D1 binding events flow as before and the log API answers 404 eventlog_off', { timeout: 30000 }, async () => {
  await withGateway(() => ({ status: 200 }), async (gw, origin) => {
    const id = await send(gw, 'order-no-log');
    assert.ok(await forwardedId(origin, id), 'delivered without the event log');
    for (const p of ['/__edgehook/events', `/__edgehook/events/${id}`, '/__edgehook/stats']) {
      const r = await api(gw, p);
      assert.equal(r.status, 404, p);
      assert.equal(r.json.error.code, 'eventlog_off', p);
    }
  }, { d1: false });
});

test('a flood of rejected requests leaves the event table untouched and costs a few counted rows', { timeout: 60000 }, async () => {
  await withGateway(() => ({ status: 200 }), async (gw) => {
    const db = await gw.mf.getD1Database('EDGEHOOK_DB');
    const N = 300;
    for (let i = 0; i < N; i++) {
      const res = await post(gw.url + worldline.path, `{"forged":${i}}`, { 'content-type': 'application/json', 'X-GCS-Signature': 'AAAA', 'X-GCS-KeyId': 'demo' });
      assert.ok(res.status >= 400 && res.status < 500, res.text);
    }
    for (let i = 0; i < 20; i++) await post(`${gw.url}/no/such/route/${i}`, '{}');
    await new Promise((r) => setTimeout(r, 1100));
    // One more after the flush interval carries every pending count to D1.
    await post(gw.url + worldline.path, '{}', { 'content-type': 'application/json', 'X-GCS-Signature': 'AAAA', 'X-GCS-KeyId': 'demo' });
    const counted = await waitFor(async () => {
      const r = await db.prepare('SELECT SUM(count) AS n, COUNT(*) AS rows FROM rejections').first();
      return r.n === N + 21 ? r : false;
    }, 5000, 100);
    assert.ok(counted, 'every rejection counted');
    assert.ok(counted.rows <= 8, `a few rows for ${N + 21} rejections, got ${counted.rows}`);
    const unknown = await db.prepare("SELECT SUM(count) AS n FROM rejections WHERE route = ''").first();
    assert.equal(unknown.n, 20, 'unknown paths are counted under one empty route');
    assert.equal((await db.prepare('SELECT COUNT(*) AS n FROM events').first()).n, 0);
    assert.equal((await db.prepare('SELECT COUNT(*) AS n FROM attempts').first()).n, 0);
    const stats = await api(gw, '/__edgehook/stats');
    const sum = stats.json.rejections.reduce((a, r) => a + r.last_hour, 0);
    assert.equal(sum, N + 21);
  });
});

test('a D1 failure loses nothing: events are delivered and dead-lettered as without the log', { timeout: 60000 }, async () => {
  await withGateway((e) => (JSON.parse(e.body).data.merchant_reference === 'order-gone' ? { status: 410 } : { status: 200 }), async (gw, origin) => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await send(gw, `order-d1-${i}`, i));
    const gone = await send(gw, 'order-gone', 9);
    for (const id of ids) assert.ok(await forwardedId(origin, id), `event ${id} delivered while D1 fails`);
    const dead = await waitFor(async () => {
      const r = await api(gw, '/__edgehook/dead');
      return r.json.dead?.find((x) => x.id === gone);
    }, 15000, 100);
    assert.ok(dead, 'dead-lettered while D1 fails');
    const res = await api(gw, '/__edgehook/events');
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, 'eventlog_unavailable');
    assert.ok(gw.logs.join('').includes('write_failed'), 'the failed log writes are logged');
  }, { d1: 'unmigrated' });
});

test('retention deletes rows and payloads older than the configured days, and nothing else', { timeout: 60000 }, async () => {
  await withGateway(() => ({ status: 200 }), async (gw) => {
    const fresh = await send(gw, 'order-fresh');
    await eventWhen(gw, fresh, (j) => j.event.state === 'delivered');
    const db = await gw.mf.getD1Database('EDGEHOOK_DB');
    const kv = await gw.mf.getKVNamespace('EDGEHOOK_KV');
    const day = 86400000;
    const now = Date.now();
    const insert = (id, state, age) => db.prepare(
      "INSERT INTO events (route, id, provider, accepted_at_ms, state, attempts, updated_at_ms) VALUES ('/hooks/worldline', ?1, 'worldline', ?2, ?3, 1, ?2)",
    ).bind(id, now - age, state).run();
    await insert('old-delivered', 'delivered', 4 * day);
    await insert('old-dead', 'dead', 4 * day);
    await insert('young', 'delivered', 2 * day);
    await db.prepare("INSERT INTO attempts VALUES ('/hooks/worldline', 'old-delivered', 0, 1, ?1, 5, 200, 'status 200')").bind(now - 4 * day).run();
    await db.prepare("INSERT INTO rejections VALUES ('/hooks/worldline', 'signature_mismatch', ?1, 9)").bind(now - 4 * day).run();
    await kv.put('event:/hooks/worldline:old-delivered', '{}');
    await kv.put('event:/hooks/worldline:old-dead', '{}');

    const worker = await gw.mf.getWorker();
    await worker.scheduled({ cron: '17 * * * *' });

    const ids = (await db.prepare('SELECT id FROM events ORDER BY id').all()).results.map((r) => r.id);
    assert.deepEqual(ids, [fresh, 'old-dead', 'young'].sort());
    assert.equal((await db.prepare("SELECT COUNT(*) AS n FROM attempts WHERE id = 'old-delivered'").first()).n, 0);
    assert.equal((await db.prepare('SELECT COUNT(*) AS n FROM rejections').first()).n, 0);
    assert.equal((await db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE id = ?1').bind(fresh).first()).n, 1);
    assert.equal(await kv.get('event:/hooks/worldline:old-delivered'), null, 'the old payload is deleted');
    assert.equal(await kv.get('event:/hooks/worldline:old-dead'), '{}', 'an unresolved dead letter keeps its payload');
    assert.ok(await kv.get(`event:/hooks/worldline:${fresh}`), 'a fresh payload stays');
  }, { secrets: { ...secrets, EDGEHOOK_RETENTION_DAYS: '3' } });
});

test('the demo (wrangler.toml routes, .dev.vars): a demo:send worldline sample is in the log for the demo token', { timeout: 30000 }, async () => {
  const gw = await startGateway({ routes: demoRoutes(), secrets: vars, d1: true });
  try {
    const req = worldline.build(vars, Math.floor(Date.now() / 1000), 0);
    const res = await post(gw.url + worldline.path, req.body, req.headers);
    assert.equal(res.status, 200, res.text);
    const headers = { authorization: `Bearer ${vars.EDGEHOOK_ADMIN_TOKEN}` };
    const got = await waitFor(async () => {
      const r = await fetch(`${gw.url}/__edgehook/events?q=order-1001`, { headers });
      const j = await r.json();
      return j.events?.find((e) => e.id === req.id && e.state === 'delivered');
    }, 15000, 100);
    assert.ok(got, 'delivered to the demo sink and logged');
  } finally {
    await gw.dispose();
  }
});
