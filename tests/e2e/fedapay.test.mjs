// FedaPay end to end through the real worker in workerd, with a real origin. Requests are
// signed here with node:crypto exactly as fedapay-node's generateTestHeaderString does
// (`t=<unix>,s=<hex HMAC-SHA-256 of "<t>.<body>">`, the secret used as-is).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startOrigin, startGateway, hmac, ORIGIN_SECRET } from './harness.mjs';
import { expectRejected, expectForwarded, demoSampleDelivered, nodeAgreesWithVectors } from './stamped.mjs';

const SECRET = 'wh_sandbox_e2e_0123456789abcdef';
const ROLLED = 'wh_sandbox_e2e_previous';
const VECTOR = fs.readFileSync(new URL('../vectors/fedapay/test-webhook-event.json', import.meta.url));

let origin, gw, url;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [{ path: '/hooks/fedapay', provider: 'fedapay', secrets: ['FEDAPAY'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' }],
    // Two secrets in one binding, one per line: a rotation is one `wrangler secret put`.
    secrets: { FEDAPAY: `${ROLLED}\n${SECRET}`, ORIGIN: ORIGIN_SECRET },
  });
  url = `${gw.url}/hooks/fedapay`;
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const now = () => Math.floor(Date.now() / 1000);
const header = (body, t = now(), secret = SECRET) => `t=${t},s=` + hmac('sha256', secret, `${t}.${body}`, 'hex');
const json = (sig) => ({ 'content-type': 'application/json', 'X-FEDAPAY-SIGNATURE': sig });

function event(name, entity) {
  const id = `evt_e2e_${Math.random().toString(36).slice(2)}`;
  return { id, body: JSON.stringify({ id, name, object: 'transaction', entity }) };
}

test('transaction.approved is acked 200 and forwarded as a signed CloudEvent', async () => {
  const e = event('transaction.approved', { id: 104599, reference: 'trx_e2e', amount: 2500, status: 'approved', mode: 'moov', currency: { iso: 'XOF' }, custom_metadata: { order_id: 'order-77' }, approved_at: '2026-01-02T03:04:05.000Z' });
  const ev = await expectForwarded(origin, url, e.body, json(header(e.body)), e.id);
  assert.equal(ev.id, e.id);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'fedapay');
  assert.equal(ev.time, '2026-01-02T03:04:05.000Z');
  assert.equal(ev.data.payment_id, '104599');
  assert.equal(ev.data.merchant_reference, 'order-77');
  assert.equal(ev.data.amount_minor, 2500);
  assert.equal(ev.data.currency, 'XOF');
  assert.equal(ev.data.method, 'moov');
  assert.equal(ev.data.raw.entity.reference, 'trx_e2e');
});

test('the rolled secret still verifies, and any s of several may match', async () => {
  const e = event('transaction.declined', { id: 5, status: 'declined', amount: 100, currency: { iso: 'XOF' } });
  const t = now();
  const sig = `t=${t},s=${'0'.repeat(64)},s=` + hmac('sha256', ROLLED, `${t}.${e.body}`, 'hex');
  assert.equal((await expectForwarded(origin, url, e.body, json(sig), e.id)).type, 'payment.failed');
});

test('bad signatures, stale or malformed headers are rejected and nothing is forwarded', async () => {
  const e = event('transaction.approved', { id: 6, status: 'approved' });
  const sig = header(e.body);
  await expectRejected(origin, url, e.body.replace('approved', 'declined'), json(sig), 401, 'signature_mismatch', [SECRET, ROLLED]);
  await expectRejected(origin, url, e.body, json(header(e.body, now(), 'wh_sandbox_wrong')), 401, 'signature_mismatch');
  await expectRejected(origin, url, e.body, json(header(e.body, now() - 3600)), 408, 'stale_timestamp');
  await expectRejected(origin, url, e.body, json(sig.replace(/^t=\d+,/, '')), 400, 'malformed_header');
  await expectRejected(origin, url, e.body, json(sig.replace(/^t=\d+/, 't=soon')), 400, 'malformed_header');
  await expectRejected(origin, url, e.body, json(sig.replace(',s=', ',v1=')), 401, 'signature_mismatch');
  await expectRejected(origin, url, e.body, { 'content-type': 'application/json' }, 401, 'missing_header');
  // The computed vector under another secret: the signature is checked before the clock,
  // so an unsigned sender learns nothing about the tolerance.
  await expectRejected(origin, url, VECTOR, json('t=12345,s=2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e'), 401, 'signature_mismatch');
});

test('the demo sample (scripts/samples/fedapay.mjs) is accepted on the demo route with the demo secrets', async () => {
  const ev = await demoSampleDelivered(origin, 'fedapay');
  assert.equal(ev.data.currency, 'XOF');
});

test('node:crypto agrees with every accepted case in vectors.json', () => {
  assert.ok(nodeAgreesWithVectors('fedapay', { separator: ',', ts: 't', key: /^s$/, unix: true }) >= 4);
});
