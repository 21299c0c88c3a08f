// generic-hmac end to end through the real worker in workerd, with a real origin, using the
// three ready-to-paste routes of README.md (GitHub, Shopify, Paddle
// Billing). Requests are the published vectors or signed here with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startOrigin, startGateway, waitFor, verifyForward, post, ORIGIN_SECRET } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import sample from '../../scripts/samples/generic-hmac.mjs';

const vectors = JSON.parse(fs.readFileSync(new URL('../vectors/generic-hmac/vectors.json', import.meta.url)));
const vectorBody = (f) => fs.readFileSync(new URL(`../vectors/generic-hmac/${f}`, import.meta.url));
const doc = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** A route from the docs: `<!-- route:NAME -->` followed by a json block. */
function docRoute(name) {
  const m = doc.match(new RegExp(`<!-- route:${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\`\`\``));
  assert.ok(m, `route ${name} in docs`);
  return JSON.parse(m[1]);
}

const GH_SECRET = "It's a Secret to Everybody"; // GitHub docs (published)
const GH_OLD = 'previous-github-secret';
const SHOPIFY_SECRET = 'edgehook-shopify-demo-secret';
const PADDLE_SECRET = 'pdl_ntfset_01hv8wd9q3e0q3v5t5m5k0x9zz_edgehookDemoSecretKey';

let origin, gw;
before(async () => {
  origin = await startOrigin();
  const routes = ['github', 'shopify', 'paddle'].map((n) => ({ ...docRoute(n), origin: `${origin.url}/${n}`, origin_secret: 'ORIGIN' }));
  routes[0].secrets = ['GH_OLD', ...routes[0].secrets];
  gw = await startGateway({
    routes,
    secrets: { GITHUB_WEBHOOK_SECRET: GH_SECRET, GH_OLD, SHOPIFY_CLIENT_SECRET: SHOPIFY_SECRET, PADDLE_WEBHOOK_SECRET: PADDLE_SECRET, ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const forwarded = (id) => waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === id));
const quiet = () => new Promise((r) => setTimeout(r, 300));
const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);

/** Recomputes a vector case's signature header with node:crypto from its scheme. */
function recompute(c) {
  const s = vectors.schemes[c.scheme];
  const body = vectorBody(c.body_file);
  const key = s.secret_encoding === 'base64' ? Buffer.from(c.secret, 'base64') : s.secret_encoding === 'hex' ? Buffer.from(c.secret, 'hex') : Buffer.from(c.secret, 'utf8');
  const ts = s.params?.timestamp
    ? c.headers[s.header].split(s.params.separator).map((x) => x.split('=')).find(([k]) => k === s.params.timestamp)[1]
    : c.headers[s.timestamp_header];
  const parts = (s.template || '{body}').split(/(\{body\}|\{timestamp\}|\{id\})/).filter(Boolean)
    .map((p) => (p === '{body}' ? body : p === '{timestamp}' ? Buffer.from(ts) : p === '{id}' ? Buffer.from(c.headers[s.id_header]) : Buffer.from(p)));
  return (s.prefix || '') + hmac(s.algorithm || 'sha256', key, Buffer.concat(parts), s.encoding || 'hex');
}

/** The (first) signature a vector case sends. */
function sent(c) {
  const s = vectors.schemes[c.scheme];
  const v = c.headers[s.header];
  if (!s.params) return v;
  return v.split(s.params.separator).map((x) => x.split('=')).find(([k]) => k === s.params.signature)[1];
}

test('node:crypto reproduces every accepted vector, published and computed', () => {
  const accepted = vectors.cases.filter((c) => c.expect === 'accepted' && !vectors.schemes[c.scheme].signature_separator);
  assert.ok(accepted.length >= 8);
  for (const c of accepted) {
    const s = vectors.schemes[c.scheme];
    const got = recompute(c);
    assert.equal(s.encoding === 'base64' ? got : got.toLowerCase(), s.encoding === 'base64' ? sent(c) : sent(c).toLowerCase(), c.name);
  }
});

test('GitHub: the docs example is acked and forwarded; a fresh push event too', async () => {
  const body = vectorBody('github-hello-world.txt');
  const delivery = crypto.randomUUID();
  let res = await post(`${gw.url}/hooks/github`, body, {
    'content-type': 'text/plain',
    'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    'X-GitHub-Delivery': delivery,
    'X-GitHub-Event': 'ping',
  });
  assert.equal(res.status, 200, res.text);
  // GitHub signs the body only: the id is the body's stable hash, not X-GitHub-Delivery, and
  // the unsigned headers travel as data.unverified.
  assert.equal(res.json.status, 'accepted');
  assert.match(res.json.id, /^generic-hmac-[0-9a-f]{32}$/);
  let got = await forwarded(res.json.id);
  assert.ok(got, 'origin received the event');
  assert.equal(got.url, '/github');
  let ev = verifyForward(got);
  assert.equal(ev.provider, 'generic-hmac');
  assert.equal(ev.data.provider_event_type, null);
  assert.deepEqual(ev.data.unverified, { 'x-github-delivery': delivery, 'x-github-event': 'ping' });
  assert.equal(ev.data.raw, 'Hello, World!');

  // Signed with the rotated-out secret still verifies.
  const push = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/repo' } });
  const d2 = crypto.randomUUID();
  res = await post(`${gw.url}/hooks/github`, push, {
    'content-type': 'application/json',
    'X-Hub-Signature-256': 'sha256=' + hmac('sha256', GH_OLD, push, 'hex'),
    'X-GitHub-Delivery': d2,
    'X-GitHub-Event': 'push',
  });
  assert.equal(res.status, 200, res.text);
  ev = verifyForward(await forwarded(res.json.id));
  assert.equal(ev.type, 'payment.unknown');
  assert.equal(ev.data.unverified['x-github-delivery'], d2);
  assert.equal(ev.data.raw.repository.full_name, 'octo/repo');
});

test('Shopify: orders/paid signed with node:crypto is forwarded with its topic and webhook id', async () => {
  const id = crypto.randomUUID();
  const body = JSON.stringify({ id: 450789469, currency: 'EUR', total_price: '19.99', financial_status: 'paid', name: '#1001' });
  const res = await post(`${gw.url}/hooks/shopify`, body, {
    'content-type': 'application/json',
    'X-Shopify-Hmac-Sha256': hmac('sha256', SHOPIFY_SECRET, body, 'base64'),
    'X-Shopify-Topic': 'orders/paid',
    'X-Shopify-Webhook-Id': id,
    'X-Shopify-Shop-Domain': 'demo.myshopify.com',
  });
  assert.equal(res.status, 200, res.text);
  // Shopify signs the body only: neither the topic nor the webhook id decides anything.
  const ev = verifyForward(await forwarded(res.json.id));
  assert.equal(ev.type, 'payment.unknown');
  assert.equal(ev.data.provider_event_type, null);
  assert.equal(ev.data.unverified['x-shopify-topic'], 'orders/paid');
  assert.equal(ev.data.unverified['x-shopify-webhook-id'], id);
  assert.equal(ev.data.payment_id, '450789469');
  assert.equal(ev.data.currency, 'EUR');
  assert.equal(ev.data.amount_minor, null);
});

test('Paddle Billing: ts:body signed now is forwarded; the SDK vector is stale', async () => {
  const eventId = 'evt_' + crypto.randomBytes(8).toString('hex');
  const body = JSON.stringify({ event_id: eventId, event_type: 'transaction.completed', occurred_at: '2026-05-01T09:30:00.123456Z', data: { id: 'txn_01', currency_code: 'EUR', status: 'completed' } });
  const ts = Math.floor(Date.now() / 1000);
  const sig = hmac('sha256', PADDLE_SECRET, `${ts}:${body}`, 'hex');
  let res = await post(`${gw.url}/hooks/paddle`, body, { 'content-type': 'application/json', 'Paddle-Signature': `ts=${ts};h1=${sig}` });
  assert.equal(res.status, 200, res.text);
  const ev = verifyForward(await forwarded(eventId));
  assert.equal(ev.id, eventId);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.time, '2026-05-01T09:30:00.123Z');
  assert.equal(ev.data.payment_id, 'txn_01');

  const before = origin.received.length;
  const sdk = vectors.cases.find((c) => c.name === 'Paddle SDK valid signature');
  const route = [{ ...docRoute('paddle'), origin: `${origin.url}/paddle`, origin_secret: 'ORIGIN' }];
  const other = await startGateway({ routes: route, secrets: { PADDLE_WEBHOOK_SECRET: sdk.secret, ORIGIN: ORIGIN_SECRET } });
  try {
    res = await post(`${other.url}/hooks/paddle`, vectorBody(sdk.body_file), { 'content-type': 'application/json', ...sdk.headers });
    assert.equal(res.status, 408, res.text);
    assert.equal(res.json.error.code, 'stale_timestamp');
  } finally {
    await other.dispose();
  }
  await quiet();
  assert.equal(origin.received.length, before);
});

test('rejections forward nothing: tampered, no prefix, not hex, missing header, stale, wrong secret', async () => {
  const before = origin.received.length;
  const body = JSON.stringify({ type: 'payment.succeeded', data: { id: 'p1' } });
  const ts = Math.floor(Date.now() / 1000);
  const paddle = (t, b, key = PADDLE_SECRET) => `ts=${t};h1=${hmac('sha256', key, `${t}:${b}`, 'hex')}`;
  const cases = [
    ['github tampered', 'github', body.replace('p1', 'p2'), { 'X-Hub-Signature-256': 'sha256=' + hmac('sha256', GH_SECRET, body, 'hex') }, 401, 'signature_mismatch'],
    ['github without prefix', 'github', body, { 'X-Hub-Signature-256': hmac('sha256', GH_SECRET, body, 'hex') }, 401, 'malformed_signature'],
    ['github not hex', 'github', body, { 'X-Hub-Signature-256': 'sha256=' + hmac('sha256', GH_SECRET, body, 'base64') }, 401, 'malformed_signature'],
    ['github no header', 'github', body, {}, 401, 'missing_header'],
    ['shopify wrong secret', 'shopify', body, { 'X-Shopify-Hmac-Sha256': hmac('sha256', 'not-the-secret', body, 'base64') }, 401, 'signature_mismatch'],
    ['paddle stale', 'paddle', body, { 'Paddle-Signature': paddle(ts - 301, body) }, 408, 'stale_timestamp'],
    ['paddle future', 'paddle', body, { 'Paddle-Signature': paddle(ts + 400, body) }, 408, 'stale_timestamp'],
    ['paddle no ts', 'paddle', body, { 'Paddle-Signature': paddle(ts, body).split(';')[1] }, 400, 'malformed_header'],
    ['paddle ts not signed as sent', 'paddle', body, { 'Paddle-Signature': paddle(ts, body).replace(`ts=${ts}`, `ts=${ts - 1}`) }, 401, 'signature_mismatch'],
  ];
  for (const [name, route, b, h, status, code] of cases) {
    const res = await post(`${gw.url}/hooks/${route}`, b, { 'content-type': 'application/json', ...h });
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.json.error.code, code, name);
    assert.ok(!res.text.includes(GH_SECRET) && !res.text.includes(PADDLE_SECRET), name);
  }
  await quiet();
  assert.equal(origin.received.length, before);
});

test('the demo route and sample (npm run demo:send -- generic-hmac) work as shipped', async () => {
  const vars = devVars();
  const demo = await startGateway({ routes: routesTo(`${origin.url}/demo`, { origin_secret: 'DEMO_ORIGIN_SECRET' }), secrets: vars });
  try {
    const req = sample.build(vars, Math.floor(Date.now() / 1000));
    const res = await post(demo.url + sample.path, req.body, req.headers);
    assert.equal(res.status, 200, res.text);
    const ev = verifyForward(await forwarded(req.id), vars.DEMO_ORIGIN_SECRET);
    assert.equal(ev.provider, 'generic-hmac');
    assert.equal(ev.type, 'payment.succeeded');
    assert.equal(ev.data.amount_minor, 4200);
  } finally {
    await demo.dispose();
  }
});
