// Standard Webhooks end to end through the real worker in workerd, with a real origin.
// Requests are signed by the official `standardwebhooks` npm package (the sender's own
// library) and independently with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { startOrigin, startGateway, waitFor, verifyForward, post, ORIGIN_SECRET } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import sample, { signStandard } from '../../scripts/samples/standard-webhooks.mjs';

const vectors = JSON.parse(fs.readFileSync(new URL('../vectors/standard-webhooks/vectors.json', import.meta.url)));
const published = vectors.cases[0]; // js/python "sign function works" (published)
const publishedBody = fs.readFileSync(new URL(`../vectors/standard-webhooks/${published.body_file}`, import.meta.url));
const SECRET = published.secret;
const OLD_SECRET = 'whsec_' + crypto.randomBytes(32).toString('base64');

let origin, gw;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [
      { path: '/hooks/standard-webhooks', provider: 'standard-webhooks', secrets: ['SW_OLD', 'SW'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' },
      { path: '/hooks/sw-strict', provider: 'standard-webhooks', secrets: ['SW'], tolerance_s: 5, origin: `${origin.url}/events`, origin_secret: 'ORIGIN' },
    ],
    secrets: { SW: SECRET, SW_OLD: OLD_SECRET, ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const forwarded = (id) => waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === id));
const quiet = () => new Promise((r) => setTimeout(r, 300));
const nowS = () => Math.floor(Date.now() / 1000);
const newId = () => 'msg_' + crypto.randomBytes(10).toString('hex');

/** Headers as the official library signs them. */
function libHeaders(secret, id, ts, body) {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': new Webhook(secret).sign(id, new Date(ts * 1000), body),
  };
}

test('node:crypto and the official library agree with the published vector', () => {
  const lib = new Webhook(SECRET).sign(published.id, new Date(published.timestamp * 1000), publishedBody.toString());
  assert.equal(lib, published.signature);
  assert.equal(signStandard(SECRET, published.id, published.timestamp, publishedBody), published.signature);
});

test('an event signed by the standardwebhooks library is acked and forwarded as a signed CloudEvent', async () => {
  const id = newId();
  const ts = nowS();
  const body = JSON.stringify({ type: 'invoice.paid', timestamp: '2026-05-01T12:00:00.5Z', data: { id: 'in_77', amount: 4999, currency: 'usd', reference: 'order-77' } });
  const res = await post(`${gw.url}/hooks/standard-webhooks`, body, libHeaders(SECRET, id, ts, body));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { status: 'accepted', id });
  const got = await forwarded(id);
  assert.ok(got, 'origin received the event');
  assert.equal(got.url, '/events');
  assert.equal(got.headers['content-type'], 'application/cloudevents+json');
  const ev = verifyForward(got); // throws on a bad signature
  assert.equal(ev.id, id);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'standard-webhooks');
  assert.equal(ev.time, '2026-05-01T12:00:00.500Z');
  assert.equal(ev.data.status, 'succeeded');
  assert.equal(ev.data.provider_event_type, 'invoice.paid');
  assert.equal(ev.data.payment_id, 'in_77');
  assert.equal(ev.data.merchant_reference, 'order-77');
  assert.equal(ev.data.amount_minor, 4999);
  assert.equal(ev.data.currency, 'USD');
  assert.deepEqual(ev.data.raw, JSON.parse(body));
});

test('rotation: the rotated-out secret still verifies; svix-* headers signed with node:crypto', async () => {
  const id = newId();
  const ts = nowS();
  const body = JSON.stringify({ type: 'payment.failed', data: { id: 'pay_rot' } });
  let res = await post(`${gw.url}/hooks/standard-webhooks`, body, libHeaders(OLD_SECRET, id, ts, body));
  assert.equal(res.status, 200, res.text);
  const ev = verifyForward(await forwarded(id));
  assert.equal(ev.type, 'payment.failed');

  const id2 = newId();
  res = await post(`${gw.url}/hooks/standard-webhooks`, body, {
    'content-type': 'application/json',
    'svix-id': id2,
    'svix-timestamp': String(ts),
    'svix-signature': `v1a,${crypto.randomBytes(64).toString('base64')} ${signStandard(SECRET, id2, ts, body)}`,
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(await forwarded(id2));
});

test('the published vector authenticates but is years old: 408, nothing forwarded', async () => {
  const before = origin.received.length;
  const h = { 'content-type': 'application/json', 'webhook-id': published.id, 'webhook-timestamp': String(published.timestamp) };
  let res = await post(`${gw.url}/hooks/standard-webhooks`, publishedBody, { ...h, 'webhook-signature': published.signature });
  assert.equal(res.status, 408);
  assert.equal(res.json.error.code, 'stale_timestamp');
  // The published must-fail signatures are refused for the signature, before the clock.
  for (const bad of ['v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=', 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=']) {
    res = await post(`${gw.url}/hooks/standard-webhooks`, publishedBody, { ...h, 'webhook-signature': bad });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 'signature_mismatch');
  }
  await quiet();
  assert.equal(origin.received.length, before);
});

test('rejections: tampered, unknown secret, missing headers, bad/old/future timestamps, no v1 entry', async () => {
  const before = origin.received.length;
  const body = JSON.stringify({ type: 'payment.succeeded', data: { id: 'pay_bad', amount: 100, currency: 'EUR' } });
  const id = newId();
  const ts = nowS();
  const good = libHeaders(SECRET, id, ts, body);
  const cases = [
    ['tampered body', body.replace('100', '1'), good, 401, 'signature_mismatch'],
    ['unknown secret', body, libHeaders('whsec_' + crypto.randomBytes(24).toString('base64'), id, ts, body), 401, 'signature_mismatch'],
    ['missing webhook-id', body, { ...good, 'webhook-id': undefined }, 401, 'missing_header'],
    ['missing webhook-timestamp', body, { ...good, 'webhook-timestamp': undefined }, 401, 'missing_header'],
    ['missing webhook-signature', body, { ...good, 'webhook-signature': undefined }, 401, 'missing_header'],
    ['non-numeric timestamp', body, { ...good, 'webhook-timestamp': 'hello' }, 400, 'malformed_header'],
    ['negative timestamp', body, { ...good, 'webhook-timestamp': '-5' }, 400, 'malformed_header'],
    ['old timestamp', body, libHeaders(SECRET, id, ts - 301, body), 408, 'stale_timestamp'],
    ['future timestamp', body, libHeaders(SECRET, id, ts + 400, body), 408, 'stale_timestamp'],
    ['signature without v1,', body, { ...good, 'webhook-signature': good['webhook-signature'].slice(3) }, 401, 'signature_mismatch'],
    ['partial signature', body, { ...good, 'webhook-signature': good['webhook-signature'].slice(0, 8) }, 401, 'malformed_signature'],
  ];
  for (const [name, b, h, status, code] of cases) {
    const headers = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
    const res = await post(`${gw.url}/hooks/standard-webhooks`, b, headers);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.json.error.code, code, name);
    assert.ok(!res.text.includes(good['webhook-signature'].slice(3)), `${name}: no signature echoed`);
  }
  // Route tolerance: 5 s on the strict route.
  const res = await post(`${gw.url}/hooks/sw-strict`, body, libHeaders(SECRET, id, ts - 60, body));
  assert.equal(res.status, 408);
  await quiet();
  assert.equal(origin.received.length, before);
});

test('the demo route and sample (npm run demo:send -- standard-webhooks) work as shipped', async () => {
  const vars = devVars();
  const demo = await startGateway({ routes: routesTo(`${origin.url}/demo`, { origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets: vars });
  try {
    const req = sample.build(vars, nowS());
    const res = await post(demo.url + sample.path, req.body, req.headers);
    assert.equal(res.status, 200, res.text);
    const got = await forwarded(req.id);
    assert.ok(got);
    const ev = verifyForward(got, vars.DEMO_ORIGIN_SECRET);
    assert.equal(ev.provider, 'standard-webhooks');
    assert.equal(ev.data.amount_minor, 1999);
    // The official library verifies the sample as a receiver would.
    assert.ok(new Webhook(vars.DEMO_STANDARD_WEBHOOKS_SECRET).verify(req.body, req.headers));
  } finally {
    await demo.dispose();
  }
});
