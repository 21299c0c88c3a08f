// Worldline Direct end to end through the real worker in workerd, with a real origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startOrigin, startGateway, waitFor, verifyForward, hmac, post, ORIGIN_SECRET } from './harness.mjs';

const body = fs.readFileSync(new URL('../vectors/worldline/worldline-payment-valid-body.json', import.meta.url));
const SIG = '2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk='; // published (SDK tests)

let origin, gw;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [{ path: '/hooks/worldline', provider: 'worldline', secrets: ['WL_OLD', 'WL'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' }],
    secrets: { WL: 'dummy-key-id:hello+world', WL_OLD: 'old-key:previous-secret', ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const headers = (sig = SIG, keyId = 'dummy-key-id') => ({ 'content-type': 'application/json', 'X-GCS-Signature': sig, 'X-GCS-KeyId': keyId });

test('handshake echoes the verification value as text/plain', async () => {
  const res = await fetch(`${gw.url}/hooks/worldline`, { headers: { 'X-GCS-Webhooks-Endpoint-Verification': 'f0e1d2-challenge' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.equal(await res.text(), 'f0e1d2-challenge');
});

test('valid event is acked and forwarded as a signed CloudEvent', async () => {
  const res = await post(`${gw.url}/hooks/worldline`, body, headers());
  assert.equal(res.status, 200, res.text);
  const got = await waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === '8ee793f6-4553-4749-85dc-f2ef095c5ab0'));
  assert.ok(got, 'origin received the event');
  assert.equal(got.url, '/events');
  assert.equal(got.headers['content-type'], 'application/cloudevents+json');
  const ev = verifyForward(got); // throws on a bad signature
  assert.equal(ev.specversion, '1.0');
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'worldline');
  assert.equal(ev.data.amount_minor, 1000);
  assert.equal(ev.data.currency, 'EUR');
  assert.equal(ev.data.raw.payment.id, '00000200000143570012');
});

test('a rotated-out key id still verifies with its own secret', async () => {
  const b = Buffer.from(JSON.stringify({ apiVersion: 'v1', id: 'evt-rot-1', type: 'payment.created', payment: { id: 'p1', status: 'CREATED' } }));
  const res = await post(`${gw.url}/hooks/worldline`, b, headers(hmac('sha256', 'previous-secret', b, 'base64'), 'old-key'));
  assert.equal(res.status, 200, res.text);
  assert.ok(await waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === 'evt-rot-1')));
});

test('tampered body is rejected 401 and not forwarded', async () => {
  const before = origin.received.length;
  const tampered = Buffer.from(body.toString().replace('1000', '1'));
  const res = await post(`${gw.url}/hooks/worldline`, tampered, headers());
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'signature_mismatch');
  assert.ok(!res.text.includes('hello+world'));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(origin.received.length, before);
});

test('unknown key id is rejected 401', async () => {
  const res = await post(`${gw.url}/hooks/worldline`, body, headers(SIG, 'nobody'));
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'unknown_key_id');
});

test('unknown route 404, wrong method 405, unsupported apiVersion 400', async () => {
  let res = await post(`${gw.url}/hooks/nope`, body, headers());
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, 'unknown_route');
  res = await fetch(`${gw.url}/hooks/worldline`, { method: 'PUT', body: 'x' });
  assert.equal(res.status, 405);
  assert.equal((await res.json()).error.code, 'method_not_allowed');
  const v0 = Buffer.from(body.toString().replace('"apiVersion": "v1"', '"apiVersion": "v0"'));
  res = await post(`${gw.url}/hooks/worldline`, v0, headers('O5FDUZyrDO+9fuQ1hD187HRbJLkUlBEht2eAL9jV/kU='));
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'unsupported_payload');
});

test('a broken config answers 500 config_invalid on every route and forwards nothing', async () => {
  const bad = await startGateway({
    routes: [{ path: '/hooks/worldline', provider: 'worldline', secrets: ['MISSING'], origin: `${origin.url}/events` }],
  });
  try {
    const before = origin.received.length;
    for (const p of ['/hooks/worldline', '/anything']) {
      const res = await post(`${bad.url}${p}`, body, headers());
      assert.equal(res.status, 500);
      assert.equal(res.json.error.code, 'config_invalid');
      assert.match(res.json.error.message, /routes\[0\]\.secrets\[0\]/);
      // The public body says where, not what: the binding's name is in the log only.
      assert.doesNotMatch(res.json.error.message, /MISSING/);
    }
    await waitFor(() => bad.logs.join('').includes('MISSING'), 3000);
    assert.match(bad.logs.join(''), /secret binding MISSING is not set/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(origin.received.length, before);
  } finally {
    await bad.dispose();
  }
});
