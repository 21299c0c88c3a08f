// Lyra form API V2 IPN end to end through the real worker in workerd, with a real origin.
// The docs' published signature example, plus IPNs signed here with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startOrigin, startGateway, waitFor, verifyForward, post, expectRefused, demoSampleAccepted, forwardedId, ORIGIN_SECRET } from './harness.mjs';
import { vadsSignature, eventId } from '../../scripts/samples/lyra-form.mjs';

const KEY = '1122334455667788';
const DOCS = { vads_action_mode: 'INTERACTIVE', vads_amount: '5124', vads_ctx_mode: 'TEST', vads_currency: '978', vads_page_action: 'PAYMENT', vads_payment_config: 'SINGLE', vads_site_id: '12345678', vads_trans_date: '20170129130025', vads_trans_id: '123456', vads_version: 'V2' };
const HMAC_SIG = 'ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0='; // published
const SHA1_SIG = '59c96b34c74b9375c332b0b6a32e6deeec87de2b'; // published
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let origin, gw;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [
      { path: '/hooks/lyra-form', provider: 'lyra-form', secrets: ['LYRA_KEYS'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' },
      { path: '/hooks/lyra-form-sha1', provider: 'lyra-form', secrets: ['LYRA_KEYS'], signature: 'sha1', origin: `${origin.url}/events`, origin_secret: 'ORIGIN' },
    ],
    secrets: { LYRA_KEYS: `PRODUCTION:9988776655443322\nTEST:${KEY}`, ORIGIN: ORIGIN_SECRET },
  });
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const form = (fields) => new URLSearchParams(fields).toString();
const events = () => origin.delivered().map((e) => ({ e, ev: verifyForward(e) }));

test('the docs example verifies with HMAC-SHA-256 and SHA-1, and is refused as an IPN (its IPN fields are missing)', async () => {
  assert.equal(vadsSignature(DOCS, KEY), HMAC_SIG);
  assert.equal(vadsSignature(DOCS, KEY, 'sha1'), SHA1_SIG);
  const before = origin.received.length;
  // Past the signature (a wrong one is 401): the docs' example is a payment-form request,
  // without vads_trans_uuid / vads_trans_status / vads_operation_type, which the event needs.
  for (const [path, body] of [['/hooks/lyra-form', form({ ...DOCS, signature: HMAC_SIG })], ['/hooks/lyra-form-sha1', form({ signature: SHA1_SIG, ...DOCS })]]) {
    const res = await post(`${gw.url}${path}`, body, FORM);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, 'malformed_body');
    assert.match(res.json.error.message, /missing signed field vads_trans_uuid/);
  }
  const wrong = await post(`${gw.url}/hooks/lyra-form`, form({ ...DOCS, vads_amount: '5125', signature: HMAC_SIG }), FORM);
  assert.equal(wrong.status, 401);
  assert.equal(origin.received.length, before);
});

test('an IPN with UTF-8 values, fields in any order and foreign fields', async () => {
  const uuid = crypto.randomBytes(16).toString('hex');
  const fields = { vads_trans_uuid: uuid, vads_cust_name: 'Zoë Ångström', vads_ctx_mode: 'TEST', vads_amount: '4525', vads_currency: '978', vads_trans_status: 'CAPTURED', vads_operation_type: 'DEBIT', vads_order_id: 'CMD-42', vads_card_brand: 'VISA', vads_effective_creation_date: '20240305101530', vads_trans_id: '370015', vads_site_id: '12345678', vads_version: 'V2' };
  const sig = vadsSignature(fields, KEY);
  const body = `other=1&signature=${encodeURIComponent(sig)}&` + form(Object.fromEntries(Object.entries(fields).reverse()));
  const res = await post(`${gw.url}/hooks/lyra-form`, body, FORM);
  assert.equal(res.status, 200, res.text);
  const got = await forwardedId(origin, eventId(fields));
  assert.ok(got);
  const ev = verifyForward(got);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.data.payment_id, uuid);
  assert.equal(ev.data.merchant_reference, 'CMD-42');
  assert.equal(ev.data.method, 'visa');
  assert.equal(ev.data.raw.vads_cust_name, 'Zoë Ångström');
  // `other` is not signed: it shapes nothing, not even data.raw.
  assert.equal(ev.data.raw.other, undefined);
  assert.equal(ev.time, '2024-03-05T10:15:30.000Z');
});

test('altered field, missing signature, wrong mode key, bad ctx mode: rejected, nothing forwarded', async () => {
  const before = origin.received.length;
  const prodSigned = { ...DOCS, vads_ctx_mode: 'PRODUCTION' };
  const cases = [
    [form({ ...DOCS, vads_amount: '5125', signature: HMAC_SIG }), 401, 'signature_mismatch'],
    [form(DOCS), 401, 'missing_header'],
    // signed with the TEST key but announced as PRODUCTION: the PRODUCTION key does not match
    [form({ ...prodSigned, signature: vadsSignature(prodSigned, KEY) }), 401, 'signature_mismatch'],
    [form({ ...DOCS, vads_ctx_mode: 'LIVE', signature: HMAC_SIG }), 400, 'malformed_body'],
    [form({ ...DOCS, signature: SHA1_SIG }), 401, 'malformed_signature'],
    [`${form({ ...DOCS, signature: HMAC_SIG })}&vads_amount=1`, 400, 'ambiguous_form_field'],
    [`${form({ ...DOCS, signature: HMAC_SIG })}&vads.amount=1`, 400, 'ambiguous_form_field'],
  ];
  await expectRefused(origin, `${gw.url}/hooks/lyra-form`, cases.map(([body, status, code]) => [body, FORM, status, code]), { absent: [KEY], before });
});

test('the demo sample (scripts/samples/lyra-form.mjs) is accepted on the demo route with the demo secrets', () => demoSampleAccepted(origin, 'lyra-form'));

test('node:crypto agrees with every vector in vectors.json', async () => {
  const fs = await import('node:fs');
  const v = JSON.parse(fs.readFileSync(new URL('../vectors/lyra-form/vectors.json', import.meta.url)));
  for (const c of v.cases.filter((c) => c.accepted)) {
    assert.equal(vadsSignature(c.fields, c.key, c.algorithm), c.signature, c.name);
  }
});
