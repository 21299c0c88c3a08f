// SIBS Gateway end to end through the real worker in workerd, with a real origin. Requests
// are the docs' published sample and notifications encrypted here with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startOrigin, startGateway, verifyForward, post, quiet, expectRefused, demoSampleAccepted, forwardedId, ORIGIN_SECRET } from './harness.mjs';
import { encrypt } from '../../scripts/samples/sibs.mjs';

const vectors = JSON.parse(fs.readFileSync(new URL('../vectors/sibs/vectors.json', import.meta.url)));
const published = vectors.cases[0]; // docs decryption sample (published)
const plaintext = fs.readFileSync(new URL('../vectors/sibs/docs-plaintext.json', import.meta.url));
const OLD_KEY = crypto.randomBytes(32);

let origin, gw;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [
      { path: '/hooks/sibs', provider: 'sibs', secrets: ['SIBS_OLD', 'SIBS'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' },
      { path: '/hooks/sibs-000', provider: 'sibs', secrets: ['SIBS'], ack_status_code: '000', origin: `${origin.url}/events`, origin_secret: 'ORIGIN' },
    ],
    secrets: { SIBS: published.key, SIBS_OLD: OLD_KEY.toString('base64'), ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const headers = (iv, tag) => ({ 'content-type': 'text/plain', 'X-Initialization-Vector': iv, 'X-Authentication-Tag': tag });
const forwarded = (id) => forwardedId(origin, id);

test('the docs sample decrypts, is acked with the echoed notificationID and forwarded', async () => {
  // node:crypto agrees with the published vector before the worker sees it
  const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(published.key, 'base64'), Buffer.from(published.iv, 'base64'));
  d.setAuthTag(Buffer.from(published.tag, 'base64'));
  assert.deepEqual(Buffer.concat([d.update(Buffer.from(published.body, 'base64')), d.final()]), plaintext);

  const res = await post(`${gw.url}/hooks/sibs`, published.body, headers(published.iv, published.tag));
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.text, '{"statusCode":"200","statusMsg":"Success","notificationID":"de64fbe2-0e6e-4d94-b50c-3dac491e76ff"}');
  const got = await forwarded('de64fbe2-0e6e-4d94-b50c-3dac491e76ff');
  assert.ok(got, 'origin received the event');
  const ev = verifyForward(got);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'sibs');
  assert.equal(ev.data.amount_minor, 200);
  assert.equal(ev.data.currency, 'EUR');
  assert.equal(ev.data.payment_id, '8vfDedn6RvmEC3WNZTRm');
  assert.deepEqual(ev.data.raw, JSON.parse(plaintext));
});

test('a notification encrypted with the rotated-out key, string amount, 16-byte IV', async () => {
  const id = crypto.randomUUID();
  const note = { paymentStatus: 'Success', paymentMethod: 'MBWAY', transactionID: 't-' + id.slice(0, 8), transactionDateTime: '2022-11-11T16:18:53.127Z ', amount: { currency: 'EUR', value: '16.20' }, merchant: { transactionId: 'order-77' }, paymentType: 'PURS', notificationID: id };
  const req = encrypt(JSON.stringify(note), OLD_KEY, crypto.randomBytes(16));
  const res = await post(`${gw.url}/hooks/sibs`, req.body, req.headers);
  assert.equal(res.status, 200, res.text);
  assert.equal(JSON.parse(res.text).notificationID, id);
  const ev = verifyForward(await forwarded(id));
  assert.equal(ev.data.amount_minor, 1620);
  assert.equal(ev.data.merchant_reference, 'order-77');
  assert.equal(ev.data.method, 'mbway');
  assert.equal(ev.time, '2022-11-11T16:18:53.127Z');
});

test('Content-Type application/json (SIBS newer docs) is accepted; Timeout is pending, an unpaid Multibanco reference too', async () => {
  const id = crypto.randomUUID();
  const note = { paymentStatus: 'Timeout', paymentMethod: 'CARD', transactionID: 't-' + id.slice(0, 8), amount: { currency: 'EUR', value: 2.5 }, paymentType: 'PURS', notificationID: id };
  const req = encrypt(JSON.stringify(note), Buffer.from(published.key, 'base64'));
  const res = await post(`${gw.url}/hooks/sibs`, req.body, { ...req.headers, 'content-type': 'application/json' });
  assert.equal(res.status, 200, res.text);
  assert.equal(JSON.parse(res.text).notificationID, id);
  const ev = verifyForward(await forwarded(id));
  assert.equal(ev.type, 'payment.pending');
  assert.equal(ev.schemaversion, 2);
  assert.equal(ev.data.amount_minor, 250);

  const ref = crypto.randomUUID();
  const pref = { paymentStatus: 'Success', paymentMethod: 'REFERENCE', paymentType: 'PREF', paymentReference: { status: 'UNPAID', entity: '24000', reference: '123456789' }, amount: { currency: 'EUR', value: '10.00' }, notificationID: ref };
  const r2 = encrypt(JSON.stringify(pref), Buffer.from(published.key, 'base64'));
  assert.equal((await post(`${gw.url}/hooks/sibs`, r2.body, r2.headers)).status, 200);
  assert.equal(verifyForward(await forwarded(ref)).type, 'payment.pending');
});

test('the "000" ack dialect', async () => {
  const res = await post(`${gw.url}/hooks/sibs-000`, published.body, headers(published.iv, published.tag));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, '{"statusCode":"000","statusMsg":"Success","notificationID":"de64fbe2-0e6e-4d94-b50c-3dac491e76ff"}');
});

// Earlier tests' forwards arrive asynchronously (the queue consumer): wait until the origin
// has been quiet for a second before counting, so a late delivery is not blamed on this test.
async function settledCount() {
  let last = -1;
  for (let i = 0; i < 40 && origin.received.length !== last; i++) {
    last = origin.received.length;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return origin.received.length;
}

test('tampered tag, IV or body and an unknown key: 401 decryption_failed, nothing forwarded', async () => {
  const before = await settledCount();
  const flip = (b64) => { const b = Buffer.from(b64, 'base64'); b[0] ^= 1; return b.toString('base64'); };
  const attempts = [
    [published.body, headers(published.iv, flip(published.tag))],
    [published.body, headers(flip(published.iv), published.tag)],
    [flip(published.body), headers(published.iv, published.tag)],
  ];
  const foreign = encrypt(plaintext.toString(), crypto.randomBytes(32));
  attempts.push([foreign.body, foreign.headers]);
  await expectRefused(origin, `${gw.url}/hooks/sibs`, attempts.map(([body, h]) => [body, h, 401, 'decryption_failed']), { absent: ['8vfDedn6RvmEC3WNZTRm'], before });
});

test('missing or malformed headers and body are rejected, nothing forwarded', async () => {
  const before = origin.received.length;
  let res = await post(`${gw.url}/hooks/sibs`, published.body, { 'content-type': 'text/plain', 'X-Authentication-Tag': published.tag });
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'missing_header');
  assert.match(res.json.error.message, /X-Initialization-Vector/);
  res = await post(`${gw.url}/hooks/sibs`, published.body, headers('AAAAAAAAAAA=', published.tag));
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'malformed_header');
  assert.match(res.json.error.message, /X-Initialization-Vector/);
  res = await post(`${gw.url}/hooks/sibs`, published.body, headers(published.iv, 'AAAA'));
  assert.equal(res.status, 400);
  assert.match(res.json.error.message, /X-Authentication-Tag/);
  res = await post(`${gw.url}/hooks/sibs`, '{"not":"base64"}', headers(published.iv, published.tag));
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'malformed_body');
  // authentic but not JSON: decrypts, then refused
  const junk = encrypt('not json at all', Buffer.from(published.key, 'base64'));
  res = await post(`${gw.url}/hooks/sibs`, junk.body, junk.headers);
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'malformed_body');
  assert.ok(!res.text.includes('not json at all'));
  await quiet();
  assert.equal(origin.received.length, before);
});

test('the demo sample (scripts/samples/sibs.mjs) is accepted on the demo route with the demo secrets', () => demoSampleAccepted(origin, 'sibs'));

test('node:crypto agrees with every computed vector in vectors.json', () => {
  for (const c of vectors.cases.filter((c) => c.plaintext !== undefined)) {
    const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(c.key, 'base64'), Buffer.from(c.iv, 'base64'));
    d.setAuthTag(Buffer.from(c.tag, 'base64'));
    const out = Buffer.concat([d.update(Buffer.from(c.body, 'base64')), d.final()]);
    assert.equal(out.toString('utf8'), c.plaintext, c.name);
  }
});
