// Lyra REST API IPN end to end through the real worker in workerd, with a real origin. The
// PHP SDK's published IPN, plus forms signed here with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startOrigin, startGateway, verifyForward, post, expectRefused, demoSampleAccepted, forwardedId, ORIGIN_SECRET } from './harness.mjs';
import { ipnBody, eventId } from '../../scripts/samples/lyra-rest.mjs';

const answer = fs.readFileSync(new URL('../vectors/lyra-rest/ipn-kr-answer.json', import.meta.url), 'utf8');
const PASSWORD = 'testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M';
const HMAC_KEY = '38453613e7f44dc58732bad3dca2bca3';
const PUB_HASH = '88fb7b4838a73c2674ca00ee545454d78dd4b1b733a07c855a1d4460d4417f85'; // published (SDK test)
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let origin, gw;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [{ path: '/hooks/lyra-rest', provider: 'lyra-rest', secrets: ['LYRA_PW_OLD', 'LYRA_PW'], hmac_secrets: ['LYRA_HMAC'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' }],
    secrets: { LYRA_PW: PASSWORD, LYRA_PW_OLD: 'previous-password', LYRA_HMAC: HMAC_KEY, ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const form = (fields) => new URLSearchParams(fields).toString();
const forwarded = (id) => forwardedId(origin, id);

test('the SDK IPN is acked with OK and forwarded as a signed CloudEvent', async () => {
  assert.equal(crypto.createHmac('sha256', PASSWORD).update(answer).digest('hex'), PUB_HASH);
  const body = form({ 'kr-hash': PUB_HASH, 'kr-hash-algorithm': 'sha256_hmac', 'kr-hash-key': 'password', 'kr-answer-type': 'V4/Payment', 'kr-answer': answer });
  const res = await post(`${gw.url}/hooks/lyra-rest`, body, FORM);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'OK');
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  // The id is computed in JS (scripts/samples/lyra-rest.mjs), independently of the Rust code.
  assert.equal(eventId(answer), '017574bda28e4f1d8413b97fc65c8197:62c6f9aaa35aa67b7ccc0870');
  const got = await forwarded(eventId(answer));
  assert.ok(got, 'origin received the event');
  const ev = verifyForward(got);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'lyra-rest');
  assert.equal(ev.data.amount_minor, 990);
  assert.equal(ev.data.currency, 'EUR');
  assert.equal(ev.data.merchant_reference, 'myOrderId-618776');
  assert.equal(ev.data.method, 'card');
  assert.equal(ev.time, '2018-12-11T19:09:32.000Z');
  assert.deepEqual(ev.data.raw, JSON.parse(answer));
});

test('escaped slashes, the HMAC key (browser return) and a rotated-out password all verify', async () => {
  // the same published hash over an answer whose slashes a server escaped
  const escaped = answer.replace(/\//g, '\\/');
  let res = await post(`${gw.url}/hooks/lyra-rest`, form({ 'kr-hash': PUB_HASH, 'kr-hash-algorithm': 'sha256_hmac', 'kr-hash-key': 'password', 'kr-answer-type': 'V4/Payment', 'kr-answer': escaped }), FORM);
  assert.equal(res.status, 200, res.text);
  for (const [key, kind] of [[HMAC_KEY, 'sha256_hmac'], ['previous-password', 'password']]) {
    const uuid = crypto.randomBytes(16).toString('hex');
    const a = JSON.stringify({ orderStatus: 'UNPAID', serverDate: '2024-01-02T10:00:00+00:00', orderDetails: { orderTotalAmount: 1500, orderCurrency: 'EUR', orderId: 'o-' + kind }, transactions: [{ uuid, status: 'UNPAID', detailedStatus: 'REFUSED', operationType: 'DEBIT', paymentMethodType: 'CARD', amount: 1500, currency: 'EUR' }] });
    res = await post(`${gw.url}/hooks/lyra-rest`, ipnBody(a, key, kind), FORM);
    assert.equal(res.status, 200, `${kind}: ${res.text}`);
    const ev = verifyForward(await forwarded(eventId(a)));
    assert.equal(ev.type, 'payment.failed');
    assert.equal(ev.data.merchant_reference, 'o-' + kind);
  }
});

test('tampered answer, wrong key type, missing kr-hash: rejected, nothing forwarded', async () => {
  const before = origin.received.length;
  const cases = [
    [form({ 'kr-hash': PUB_HASH, 'kr-hash-algorithm': 'sha256_hmac', 'kr-hash-key': 'password', 'kr-answer': answer.replace('"orderTotalAmount":990', '"orderTotalAmount":9900') }), 401, 'signature_mismatch'],
    [form({ 'kr-hash': PUB_HASH, 'kr-hash-algorithm': 'sha256_hmac', 'kr-hash-key': 'sha256_hmac', 'kr-answer': answer }), 401, 'signature_mismatch'],
    [form({ 'kr-hash-algorithm': 'sha256_hmac', 'kr-hash-key': 'password', 'kr-answer': answer }), 401, 'missing_header'],
    [form({ 'kr-hash': PUB_HASH, 'kr-hash-key': 'password', 'kr-answer': answer, 'kr-hash-algorithm': 'sha1' }), 400, 'malformed_body'],
    [form({ 'kr-hash': 'not-hex', 'kr-hash-key': 'password', 'kr-answer': answer }), 401, 'malformed_signature'],
    [`${form({ 'kr-hash': PUB_HASH, 'kr-hash-key': 'password', 'kr-answer': answer })}&kr-answer=%7B%7D`, 400, 'ambiguous_form_field'],
    [`${form({ 'kr-hash': PUB_HASH, 'kr-hash-key': 'password', 'kr-answer': answer })}&%20kr-answer=%7B%7D`, 400, 'ambiguous_form_field'],
  ];
  await expectRefused(origin, `${gw.url}/hooks/lyra-rest`, cases.map(([body, status, code]) => [body, FORM, status, code]), { absent: [PASSWORD], before });
});

test('the demo sample (scripts/samples/lyra-rest.mjs) is accepted on the demo route with the demo secrets', () => demoSampleAccepted(origin, 'lyra-rest'));

test('node:crypto agrees with every vector in vectors.json', () => {
  const v = JSON.parse(fs.readFileSync(new URL('../vectors/lyra-rest/vectors.json', import.meta.url)));
  for (const c of v.cases.filter((c) => c.accepted)) {
    const text = c.answer_file ? answer : c.answer;
    const key = c.hash_key === 'password' ? v.password : v.hmac_key;
    assert.equal(crypto.createHmac('sha256', key).update(text).digest('hex'), c.kr_hash, c.name);
  }
});
