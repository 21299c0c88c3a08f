// The trust boundary end to end, through the real worker in workerd with a real origin: only
// signed bytes become an event or a forward, and production fails closed. Each test is a
// case the gateway got wrong before (see the commit that added this file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startOrigin, startGateway, waitFor, verifyForward, post, quiet, forwardedId, ORIGIN_SECRET } from './harness.mjs';
import { vadsSignature, eventId as lyraFormId } from '../../scripts/samples/lyra-form.mjs';
import { ipnBody, eventId as lyraRestId } from '../../scripts/samples/lyra-rest.mjs';
import { signStripe } from '../../scripts/samples/stripe.mjs';
import { demoRoutes, devVars } from './demo-config.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_CT = { 'content-type': 'application/json' };
const LYRA_KEY = '1122334455667788';
const LYRA_PASSWORD = 'testpassword_e2eTrustBoundary';
const GH_SECRET = 'e2e-github-secret';
const SHOPIFY_SECRET = 'e2e-shopify-secret';
const STRIPE_SECRET = 'whsec_e2eTrustBoundaryStripe';

let origin, gw;
before(async () => {
  origin = await startOrigin();
  const to = (p) => ({ origin: `${origin.url}${p}`, origin_secret: 'ORIGIN' });
  gw = await startGateway({
    routes: [
      { path: '/lyra-form', provider: 'lyra-form', secrets: ['LYRA_KEYS'], ...to('/lyra-form') },
      { path: '/lyra-form-raw', provider: 'lyra-form', secrets: ['LYRA_KEYS'], forward: 'raw', ...to('/lyra-form-raw') },
      { path: '/lyra-rest', provider: 'lyra-rest', secrets: ['LYRA_PASSWORD'], ...to('/lyra-rest') },
      { path: '/lyra-rest-raw', provider: 'lyra-rest', secrets: ['LYRA_PASSWORD'], forward: 'raw', ...to('/lyra-rest-raw') },
      // The README's ready-to-paste GitHub and Shopify routes.
      { path: '/github', provider: 'generic-hmac', secrets: ['GH'], scheme: { header: 'X-Hub-Signature-256', prefix: 'sha256=', id_header: 'X-GitHub-Delivery', event_header: 'X-GitHub-Event' }, ...to('/github') },
      { path: '/shopify', provider: 'generic-hmac', secrets: ['SHOPIFY'], scheme: { header: 'X-Shopify-Hmac-Sha256', encoding: 'base64', id_header: 'X-Shopify-Webhook-Id', event_header: 'X-Shopify-Topic' }, ...to('/shopify') },
      { path: '/stripe', provider: 'stripe', secrets: ['STRIPE'], ...to('/stripe') },
      { path: '/stripe-live', provider: 'stripe', secrets: ['STRIPE'], live_only: true, ...to('/stripe-live') },
      { path: '/lyra-form-live', provider: 'lyra-form', secrets: ['LYRA_KEYS'], live_only: true, ...to('/lyra-form-live') },
      { path: '/worldline', provider: 'worldline', secrets: ['WL'], ...to('/worldline') },
      { path: '/sibs', provider: 'sibs', secrets: ['SIBS'], ...to('/sibs') },
    ],
    secrets: {
      LYRA_KEYS: `TEST:${LYRA_KEY}\nPRODUCTION:${LYRA_KEY}9`,
      LYRA_PASSWORD,
      GH: GH_SECRET,
      SHOPIFY: SHOPIFY_SECRET,
      STRIPE: STRIPE_SECRET,
      WL: 'kid:hello+world',
      SIBS: crypto.randomBytes(32).toString('base64'),
      ORIGIN: ORIGIN_SECRET,
    },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const at = (p) => origin.delivered().filter((e) => e.url === p);
const form = (pairs) => new URLSearchParams(pairs).toString();

function lyraFields(overrides = {}) {
  return {
    vads_amount: '4525', vads_ctx_mode: 'TEST', vads_currency: '978', vads_operation_type: 'DEBIT',
    vads_order_id: 'CMD-42', vads_site_id: '12345678', vads_trans_date: '20240305101530', vads_trans_id: '370015',
    vads_trans_status: 'AUTHORISED', vads_trans_uuid: crypto.randomBytes(16).toString('hex'), vads_url_check_src: 'PAY',
    vads_version: 'V2', ...overrides,
  };
}
const signedLyraForm = (fields, key = LYRA_KEY) => form({ ...fields, signature: vadsSignature(fields, key) });

function lyraAnswer() {
  return JSON.stringify({
    orderStatus: 'PAID', serverDate: '2024-03-05T10:15:30+00:00',
    orderDetails: { orderTotalAmount: 990, orderCurrency: 'EUR', mode: 'TEST', orderId: 'CMD-7' },
    transactions: [{ uuid: crypto.randomBytes(16).toString('hex'), amount: 990, currency: 'EUR', status: 'PAID', detailedStatus: 'AUTHORISED', operationType: 'DEBIT' }],
  });
}

async function refusedNothingForwarded(url, body, headers, status, code) {
  const before = origin.received.length;
  const res = await post(url, body, headers);
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  await quiet();
  assert.equal(origin.received.length, before, 'nothing forwarded');
  return res;
}

test('Lyra REST: a smuggled " kr-answer" that PHP would read instead of the signed one is refused', async () => {
  const genuine = ipnBody(lyraAnswer(), LYRA_PASSWORD);
  const forged = encodeURIComponent(JSON.stringify({ orderStatus: 'PAID', orderDetails: { orderTotalAmount: 999999 } }));
  for (const smuggled of [`%20kr-answer=${forged}`, `kr-answer%5B%5D=${forged}`, `KR-ANSWER=${forged}`, `kr-answer=${forged}`]) {
    const res = await refusedNothingForwarded(`${gw.url}/lyra-rest`, `${genuine}&${smuggled}`, FORM, 400, 'ambiguous_form_field');
    assert.match(res.json.error.message, /kr-answer/i);
  }
});

test('Lyra form: vads.trans_status / " vads_amount" / vads_amount[] beside signed fields are refused', async () => {
  const genuine = signedLyraForm(lyraFields({ vads_trans_status: 'REFUSED' }));
  for (const smuggled of ['vads.trans_status=CAPTURED', '%20vads_amount=1', 'vads_amount%5B%5D=1', 'VADS_TRANS_STATUS=CAPTURED', '%20signature=x']) {
    await refusedNothingForwarded(`${gw.url}/lyra-form`, `${genuine}&${smuggled}`, FORM, 400, 'ambiguous_form_field');
  }
});

test('raw forwards of form senders carry only the verified fields, rebuilt', async () => {
  const fields = lyraFields();
  let res = await post(`${gw.url}/lyra-form-raw`, `${signedLyraForm(fields)}&note=unsigned&debug=1`, FORM);
  assert.equal(res.status, 200, res.text);
  const got = await forwardedId(origin, lyraFormId(fields));
  assert.ok(got, 'forwarded under the id computed independently in JS');
  verifyForward(got);
  const forwarded = new URLSearchParams(got.body);
  assert.deepEqual([...forwarded.keys()].sort(), [...Object.keys(fields), 'signature'].sort());
  for (const [k, v] of Object.entries(fields)) assert.equal(forwarded.get(k), v);
  // The shop's own check of the forwarded form still passes.
  const { signature, ...vads } = Object.fromEntries(forwarded);
  assert.equal(vadsSignature(vads, LYRA_KEY), signature);

  const answer = lyraAnswer();
  res = await post(`${gw.url}/lyra-rest-raw`, `${ipnBody(answer, LYRA_PASSWORD)}&junk=1`, FORM);
  assert.equal(res.status, 200, res.text);
  const rest = await forwardedId(origin, lyraRestId(answer));
  assert.ok(rest, 'REST forwarded under the id computed independently in JS');
  const rf = new URLSearchParams(rest.body);
  assert.deepEqual([...rf.keys()].sort(), ['kr-answer', 'kr-hash', 'kr-hash-algorithm', 'kr-hash-key']);
  assert.equal(rf.get('kr-answer'), answer);
});

test('Lyra form: a renamed vads_trans_uuid keeps a valid signature but is refused, not turned into a new event', async () => {
  const fields = lyraFields();
  const body = signedLyraForm(fields);
  // Same values, same sort position: the signature still matches.
  const renamed = body.replace('vads_trans_uuid=', 'vads_trans_uuie=');
  const res = await refusedNothingForwarded(`${gw.url}/lyra-form`, renamed, FORM, 400, 'malformed_body');
  assert.match(res.json.error.message, /vads_trans_uuid/);
  // With junk fields the genuine IPN is the same event: one delivery.
  assert.equal((await post(`${gw.url}/lyra-form`, `${body}&junk=1`, FORM)).status, 200);
  assert.equal((await post(`${gw.url}/lyra-form`, `${body}&junk=2&more=3`, FORM)).status, 200);
  // Lyra's automatic retry (vads_url_check_src=RETRY) is the same event too.
  assert.equal((await post(`${gw.url}/lyra-form`, signedLyraForm({ ...fields, vads_url_check_src: 'RETRY' }), FORM)).status, 200);
  const id = lyraFormId(fields);
  assert.ok(await forwardedId(origin, id));
  await quiet();
  assert.equal(at('/lyra-form').filter((e) => e.headers['webhook-id'] === id).length, 1, 'delivered once');
});

test('GitHub: a captured body replayed with a fresh X-GitHub-Delivery is the same event, not a new one', async () => {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: crypto.randomInt(1e9) });
  const sig = 'sha256=' + crypto.createHmac('sha256', GH_SECRET).update(body).digest('hex');
  const send = (delivery, event) => post(`${gw.url}/github`, body, { ...JSON_CT, 'X-Hub-Signature-256': sig, 'X-GitHub-Delivery': delivery, 'X-GitHub-Event': event });
  const first = await send(crypto.randomUUID(), 'ping');
  assert.equal(first.status, 200, first.text);
  const replay = await send(crypto.randomUUID(), 'payment_succeeded');
  assert.equal(replay.status, 200);
  assert.equal(replay.json.id, first.json.id, 'the id comes from the signed body');
  const got = await forwardedId(origin, first.json.id);
  const ev = verifyForward(got);
  assert.equal(ev.type, 'payment.unknown');
  assert.equal(ev.data.unverified['x-github-event'], 'ping');
  await quiet();
  assert.equal(at('/github').length, 1, 'one delivery');
});

test('Shopify: orders/create replayed as orders/paid with a fresh webhook id is not a new payment.succeeded', async () => {
  const body = JSON.stringify({ id: 820982911946154508 + crypto.randomInt(1000), name: '#9999', financial_status: 'pending', currency: 'USD', total_price: '10.00' });
  const sig = crypto.createHmac('sha256', SHOPIFY_SECRET).update(body).digest('base64');
  const send = (topic) => post(`${gw.url}/shopify`, body, { ...JSON_CT, 'X-Shopify-Hmac-Sha256': sig, 'X-Shopify-Topic': topic, 'X-Shopify-Webhook-Id': crypto.randomUUID() });
  const created = await send('orders/create');
  assert.equal(created.status, 200, created.text);
  const paid = await send('orders/paid');
  assert.equal(paid.json.id, created.json.id);
  const ev = verifyForward(await forwardedId(origin, created.json.id));
  assert.equal(ev.type, 'payment.unknown');
  assert.equal(ev.data.status, 'unknown');
  assert.equal(ev.data.unverified['x-shopify-topic'], 'orders/create');
  await quiet();
  assert.equal(at('/shopify').length, 1, 'one delivery, never a payment.succeeded');
  assert.ok(at('/shopify').every((e) => !e.body.includes('payment.succeeded')));
});

test('a test-mode event on a live_only route is refused; a live one passes with data.livemode', async () => {
  const event = (livemode) => JSON.stringify({ id: `evt_${crypto.randomBytes(8).toString('hex')}`, object: 'event', type: 'payment_intent.succeeded', livemode, created: 1, data: { object: { id: 'pi_1', object: 'payment_intent', amount: 1999, currency: 'eur', status: 'succeeded' } } });
  const send = (path, body) => post(`${gw.url}${path}`, body, { ...JSON_CT, 'Stripe-Signature': signStripe([STRIPE_SECRET], Math.floor(Date.now() / 1000), body) });
  const test_ = event(false);
  const res = await send('/stripe-live', test_);
  assert.equal(res.status, 403, res.text);
  assert.equal(res.json.error.code, 'test_event_refused');
  await quiet();
  assert.equal(at('/stripe-live').length, 0);
  // The same test event on a route that takes both: marked, not trusted silently.
  const ok = await send('/stripe', test_);
  assert.equal(ok.status, 200);
  assert.equal(verifyForward(await forwardedId(origin, ok.json.id)).data.livemode, false);
  const live = event(true);
  const liveRes = await send('/stripe-live', live);
  assert.equal(liveRes.status, 200, liveRes.text);
  assert.equal(verifyForward(await forwardedId(origin, liveRes.json.id)).data.livemode, true);
  // Lyra: the TEST key's notification (vads_ctx_mode=TEST) on a live-only route.
  await refusedNothingForwarded(`${gw.url}/lyra-form-live`, signedLyraForm(lyraFields()), FORM, 403, 'test_event_refused');
  const prod = lyraFields({ vads_ctx_mode: 'PRODUCTION' });
  assert.equal((await post(`${gw.url}/lyra-form-live`, signedLyraForm(prod, `${LYRA_KEY}9`), FORM)).status, 200);
});

test('live_only on a provider that cannot tell test from live is a config error', async () => {
  const bad = await startGateway({ routes: [{ path: '/w', provider: 'worldline', secrets: ['WL'], origin: `${origin.url}/x`, live_only: true }], secrets: { WL: 'kid:hello+world' } });
  try {
    const res = await post(`${bad.url}/w`, '{}', JSON_CT);
    assert.equal(res.status, 500);
    assert.equal(res.json.error.code, 'config_invalid');
    assert.match(res.json.error.message, /routes\[0\]\.live_only/);
  } finally {
    await bad.dispose();
  }
});

test('ids an HTTP header cannot carry are encoded at accept time, so the event is delivered', async () => {
  for (const [id, want] of [
    ['evt_a\r\nX-Injected: 1', 'evt_a%0D%0AX-Injected:%201'],
    ['evt_\u0000é', 'evt_%00%C3%A9'],
    ['evt_' + 'x'.repeat(300), null],
  ]) {
    const body = JSON.stringify({ id, object: 'event', type: 'charge.succeeded', livemode: false, created: 1, data: { object: { id: 'ch_1', amount: 100, currency: 'usd' } } });
    const res = await post(`${gw.url}/stripe`, body, { ...JSON_CT, 'Stripe-Signature': signStripe([STRIPE_SECRET], Math.floor(Date.now() / 1000), body) });
    assert.equal(res.status, 200, res.text);
    const sent = res.json.id;
    if (want) assert.equal(sent, want);
    else assert.match(sent, /^sha256-[0-9a-f]{64}$/);
    const got = await forwardedId(origin, sent);
    assert.ok(got, `delivered: ${JSON.stringify(sent)}`);
    assert.equal(verifyForward(got).id, sent);
    assert.equal(got.headers['x-injected'], undefined);
  }
});

test('the demo sink answers only while a route in force forwards to it', async () => {
  // A production-shaped config (no route uses the sink) with the demo vars left behind.
  const vars = devVars();
  const prod = await startGateway({ routes: [{ path: '/hooks/worldline', provider: 'worldline', secrets: ['DEMO_WORLDLINE_KEYS'], origin: `${origin.url}/prod` }], secrets: vars });
  try {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${prod.url}/__demo/origin`, { method, body: method === 'POST' ? '{"x":1}' : undefined });
      assert.equal(res.status, 404, method);
      assert.equal((await res.json()).error.code, 'unknown_route');
    }
  } finally {
    await prod.dispose();
  }
  // The demo config: the sink works, bodies are capped.
  const demo = await startGateway({ routes: demoRoutes(), secrets: vars });
  try {
    const res = await fetch(`${demo.url}/__demo/origin`);
    assert.equal(res.status, 200);
    assert.ok(Array.isArray((await res.json()).received));
    const big = await post(`${demo.url}/__demo/origin`, 'x'.repeat(600 * 1024), JSON_CT);
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'body_too_large');
  } finally {
    await demo.dispose();
  }
});

/** Sends a POST whose `name` header appears on two lines (node:http, not fetch's joining). */
function postTwice(url, body, headers, name, values) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST' }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, json: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    for (const [k, v] of Object.entries(headers)) req.setHeader(k, v);
    req.setHeader(name, values); // two header lines on the wire
    req.end(body);
  });
}

test('a header sent twice reaches the worker joined with ", " and every parser fails closed on it', async () => {
  const wl = JSON.stringify({ apiVersion: 'v1', id: `evt-${crypto.randomUUID()}`, type: 'payment.paid', payment: { id: 'p1', status: 'PAID' } });
  const wlSig = crypto.createHmac('sha256', 'hello+world').update(wl).digest('base64');
  const before = origin.received.length;
  let r = await postTwice(`${gw.url}/worldline`, wl, { ...JSON_CT, 'X-GCS-KeyId': 'kid' }, 'X-GCS-Signature', [wlSig, wlSig]);
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'malformed_signature');
  r = await postTwice(`${gw.url}/worldline`, wl, { ...JSON_CT, 'X-GCS-Signature': wlSig }, 'X-GCS-KeyId', ['kid', 'kid']);
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'unknown_key_id');
  const st = JSON.stringify({ id: 'evt_twice', object: 'event', type: 'charge.succeeded', livemode: false, created: 1, data: { object: {} } });
  const ts = Math.floor(Date.now() / 1000);
  r = await postTwice(`${gw.url}/stripe`, st, JSON_CT, 'Stripe-Signature', [signStripe([STRIPE_SECRET], ts, st), signStripe([STRIPE_SECRET], ts, st)]);
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'malformed_header');
  r = await postTwice(`${gw.url}/sibs`, 'AAAA', { 'content-type': 'text/plain', 'X-Authentication-Tag': 'AAAAAAAAAAAAAAAAAAAAAA==' }, 'X-Initialization-Vector', ['AAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAA']);
  assert.ok(r.status >= 400 && r.status < 500, `sibs: ${r.status}`);
  await quiet();
  assert.equal(origin.received.length, before, 'nothing forwarded');
});
