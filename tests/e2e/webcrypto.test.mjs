// The worker's WebCrypto backend (src/worker/webcrypto.rs) end to end in workerd: MACs over
// 2 KiB and more are computed by the runtime's WebCrypto, shorter ones by RustCrypto in wasm,
// every AES-256-GCM by WebCrypto. Each side of that line, each hash, key rotation (the
// matching key is not the first) and tampering, against signatures made here with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startOrigin, startGateway, waitFor, verifyForward, post, ORIGIN_SECRET } from './harness.mjs';

const OLD = 'whsec_old_' + crypto.randomBytes(12).toString('hex');
const NEW = 'whsec_new_' + crypto.randomBytes(12).toString('hex');
const GENERIC = crypto.randomBytes(24).toString('hex');
const SIBS_OLD = crypto.randomBytes(32);
const SIBS_NEW = crypto.randomBytes(32);

let origin, gw;
before(async () => {
  origin = await startOrigin();
  const o = { origin: `${origin.url}/events`, origin_secret: 'ORIGIN', max_body_bytes: 2 * 1024 * 1024 };
  gw = await startGateway({
    routes: [
      { path: '/stripe', provider: 'stripe', secrets: ['OLD', 'NEW'], ...o },
      { path: '/g512', provider: 'generic-hmac', secrets: ['GENERIC'], scheme: { header: 'X-Sig', algorithm: 'hmac-sha512' }, ...o },
      { path: '/g1', provider: 'generic-hmac', secrets: ['GENERIC'], scheme: { header: 'X-Sig', algorithm: 'hmac-sha1' }, ...o },
      { path: '/sibs', provider: 'sibs', secrets: ['SIBS_OLD', 'SIBS_NEW'], ...o },
    ],
    secrets: { OLD, NEW, GENERIC, SIBS_OLD: SIBS_OLD.toString('base64'), SIBS_NEW: SIBS_NEW.toString('base64'), ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

/** A Stripe event whose signed content (`<t>.<body>`) is exactly `content` bytes. */
function stripeEvent(content, t) {
  const id = 'evt_' + crypto.randomBytes(10).toString('hex');
  const ev = { id, object: 'event', created: t, type: 'payment_intent.succeeded', data: { object: { id: 'pi_1', object: 'payment_intent', amount: 1999, amount_received: 1999, currency: 'eur', status: 'succeeded', description: '' } } };
  const fixed = Buffer.byteLength(JSON.stringify(ev)) + `${t}.`.length;
  ev.data.object.description = 'x'.repeat(content - fixed);
  const body = JSON.stringify(ev);
  assert.equal(Buffer.byteLength(`${t}.${body}`), content);
  return { id, body };
}
const stripeSig = (secret, t, body) => crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const delivered = (id) => waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === id));

for (const content of [2047, 2048, 64 * 1024, 1024 * 1024]) {
  test(`Stripe, ${content} signed bytes: the second (rotated-in) key verifies, the payload arrives intact`, async () => {
    const t = Math.floor(Date.now() / 1000);
    const { id, body } = stripeEvent(content, t);
    const res = await post(`${gw.url}/stripe`, body, { 'content-type': 'application/json', 'Stripe-Signature': `t=${t},v1=${stripeSig(NEW, t, body)}` });
    assert.equal(res.status, 200, res.text);
    const ev = verifyForward(await delivered(id));
    assert.equal(ev.id, id);
    assert.equal(ev.data.raw.data.object.description.length, JSON.parse(body).data.object.description.length);
  });

  test(`Stripe, ${content} signed bytes: a one-byte change, a foreign key, a truncated signature are refused`, async () => {
    const t = Math.floor(Date.now() / 1000);
    const { body } = stripeEvent(content, t);
    const good = stripeSig(OLD, t, body);
    const tampered = body.slice(0, -2) + (body.at(-2) === '}' ? ']' : '}') + body.at(-1);
    for (const [b, sig] of [[tampered, good], [body, stripeSig('whsec_someone_else', t, body)], [body, good.slice(0, 32)]]) {
      const res = await post(`${gw.url}/stripe`, b, { 'content-type': 'application/json', 'Stripe-Signature': `t=${t},v1=${sig}` });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.json.error.code, 'signature_mismatch');
    }
  });
}

for (const [path, hash] of [['/g512', 'sha512'], ['/g1', 'sha1']]) {
  for (const size of [100, 8 * 1024]) {
    test(`generic-hmac HMAC-${hash.toUpperCase()}, ${size} bytes: accepted, and refused when tampered`, async () => {
      const id = crypto.randomUUID();
      const body = JSON.stringify({ id, type: 'payment.succeeded', pad: 'p'.repeat(size) });
      const sig = crypto.createHmac(hash, GENERIC).update(body).digest('hex');
      const res = await post(`${gw.url}${path}`, body, { 'content-type': 'application/json', 'X-Sig': sig });
      assert.equal(res.status, 200, res.text);
      const bad = await post(`${gw.url}${path}`, body.replace('payment.succeeded', 'payment.succeedeD'), { 'content-type': 'application/json', 'X-Sig': sig });
      assert.equal(bad.status, 401, bad.text);
      assert.equal(bad.json.error.code, 'signature_mismatch');
    });
  }
}

function sibs(key, iv, note) {
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(JSON.stringify(note)), c.final()]);
  return { body: ct.toString('base64'), headers: { 'content-type': 'text/plain', 'X-Initialization-Vector': iv.toString('base64'), 'X-Authentication-Tag': c.getAuthTag().toString('base64') } };
}
const note = (id, pad = '') => ({ paymentStatus: 'Success', paymentMethod: 'CARD', transactionID: 's2x' + id.slice(0, 6), amount: { currency: 'EUR', value: '16.20' }, merchant: { transactionId: 'order-9' }, paymentType: 'PURS', notificationID: id, info: pad });

for (const [label, key, ivLen] of [['first key, 12-byte IV', SIBS_OLD, 12], ['second key, 12-byte IV', SIBS_NEW, 12], ['second key, 16-byte IV', SIBS_NEW, 16]]) {
  test(`SIBS, ${label}, 64 KiB: opens through WebCrypto and forwards the exact plaintext`, async () => {
    const id = crypto.randomUUID();
    const n = note(id, 'z'.repeat(64 * 1024));
    const req = sibs(key, crypto.randomBytes(ivLen), n);
    const res = await post(`${gw.url}/sibs`, req.body, req.headers);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.notificationID, id);
    const ev = verifyForward(await delivered(id));
    assert.deepEqual(ev.data.raw, n);
  });
}

test('SIBS: a damaged tag, a damaged ciphertext, a foreign key are refused with decryption_failed', async () => {
  const id = crypto.randomUUID();
  const good = sibs(SIBS_NEW, crypto.randomBytes(12), note(id));
  const badTag = Buffer.from(good.headers['X-Authentication-Tag'], 'base64');
  badTag[0] ^= 1;
  const ct = Buffer.from(good.body, 'base64');
  ct[ct.length - 1] ^= 1;
  const foreign = sibs(crypto.randomBytes(32), crypto.randomBytes(12), note(id));
  for (const [body, headers] of [
    [good.body, { ...good.headers, 'X-Authentication-Tag': badTag.toString('base64') }],
    [ct.toString('base64'), good.headers],
    [foreign.body, foreign.headers],
  ]) {
    const res = await post(`${gw.url}/sibs`, body, headers);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.error.code, 'decryption_failed');
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(origin.received.filter((e) => e.headers['webhook-id'] === id).length, 0);
});
