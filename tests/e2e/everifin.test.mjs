// Everifin Paygate end to end through the real worker in workerd, with a real origin.
// Hooks signed here with node:crypto (fresh timestamps), and the published vector, which is
// authentic but two years old: the real clock must refuse it as stale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { startOrigin, startGateway, hmac, ORIGIN_SECRET } from './harness.mjs';
import { expectRejected, expectForwarded, demoSampleDelivered, nodeAgreesWithVectors } from './stamped.mjs';

const OLD = 'everifin-old-secret';
const NEW = 'abcd';
const PUBLISHED = fs.readFileSync(new URL('../vectors/everifin/everifin-payment-booked.json', import.meta.url));
const PUBLISHED_SIG = 'ts=2024-05-07T14:49:55.887Z;v0=25450941c271d5309b57a5ba21486331cb21531fa2a28a0f5f87cc93ebbbe60e';

let origin, gw, url;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [{ path: '/hooks/everifin', provider: 'everifin', secrets: ['EV_OLD', 'EV'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' }],
    secrets: { EV_OLD: OLD, EV: NEW, ORIGIN: ORIGIN_SECRET },
  });
  url = `${gw.url}/hooks/everifin`;
});
after(async () => { await gw?.dispose(); await origin?.close(); });

/** A hook as Everifin sends it: `ts` now, one `vN` per secret (oldest first). */
function hook(data, secrets = [NEW], ts = new Date().toISOString(), eventType = 'payment.statusChange') {
  const eventId = crypto.randomUUID();
  const body = Buffer.from(JSON.stringify({ eventId, eventType, eventTimestamp: ts, data }));
  const sig = [`ts=${ts}`, ...secrets.map((s, i) => `v${i}=` + hmac('sha256', s, Buffer.concat([Buffer.from(`${ts}.`), body]), 'hex'))].join(';');
  return { eventId, body, headers: { 'content-type': 'application/json', Signature: sig } };
}

test('a fresh BOOKED hook is acked 200 and forwarded as a signed CloudEvent', async () => {
  const h = hook({ paymentId: 'da96bc8f-cc77-4ae8-80ac-84b648178d60', orderId: 'o-1', externalId: 'order-1001', status: 'BOOKED' });
  const ev = await expectForwarded(origin, url, h.body, h.headers, h.eventId);
  assert.equal(ev.id, h.eventId);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'everifin');
  assert.equal(ev.data.payment_id, 'da96bc8f-cc77-4ae8-80ac-84b648178d60');
  assert.equal(ev.data.merchant_reference, 'order-1001');
  assert.equal(ev.data.amount_minor, null);
  assert.equal(ev.data.provider_event_type, 'payment.statusChange');
  assert.equal(ev.data.raw.data.status, 'BOOKED');
});

test('during a secret regeneration (v0 old, v1 new) either configured secret verifies', async () => {
  const h = hook({ refundId: 'r-1', status: 'BOOKED' }, ['an-expired-secret', NEW]);
  const ev = await expectForwarded(origin, url, h.body, h.headers, h.eventId);
  assert.equal(ev.type, 'payment.refunded');
  const old = hook({ paymentId: 'p-2', status: 'CONFIRMED' }, [OLD]);
  assert.equal((await expectForwarded(origin, url, old.body, old.headers, old.eventId)).data.status, 'pending');
});

test('the published vector is authentic but stale with the real clock: 408, nothing forwarded', async () => {
  await expectRejected(origin, url, PUBLISHED, { 'content-type': 'application/json', Signature: PUBLISHED_SIG }, 408, 'stale_timestamp');
});

test('tampered, unsigned and malformed hooks are rejected and nothing is forwarded', async () => {
  const h = hook({ paymentId: 'p-3', status: 'BOOKED' });
  const tampered = Buffer.from(h.body.toString().replace('BOOKED', 'FAILED'));
  await expectRejected(origin, url, tampered, h.headers, 401, 'signature_mismatch', [NEW, OLD]);
  await expectRejected(origin, url, h.body, { 'content-type': 'application/json' }, 401, 'missing_header');
  const sig = h.headers.Signature;
  await expectRejected(origin, url, h.body, { Signature: sig.replace(/^ts=[^;]*;/, '') }, 400, 'malformed_header');
  await expectRejected(origin, url, h.body, { Signature: sig.replace(/v0=[0-9a-f]+/, 'v0=zz') }, 401, 'malformed_signature');
  const future = hook({ paymentId: 'p-4', status: 'BOOKED' }, [NEW], new Date(Date.now() + 3600e3).toISOString());
  await expectRejected(origin, url, future.body, future.headers, 408, 'stale_timestamp');
});

test('the demo sample (scripts/samples/everifin.mjs) is accepted on the demo route with the demo secrets', async () => {
  await demoSampleDelivered(origin, 'everifin');
});

test('node:crypto agrees with every accepted case in vectors.json', () => {
  assert.ok(nodeAgreesWithVectors('everifin', { separator: ';', ts: 'ts', key: /^v\d+$/ }) >= 4);
});

test('order hooks map the order statuses; payment.statusCheck is refused, nothing forwarded', async () => {
  const h = hook({ orderId: 'o-7', externalId: 'order-7', status: 'PAID' }, [NEW], new Date().toISOString(), 'order.statusChange');
  const ev = await expectForwarded(origin, url, h.body, h.headers, h.eventId);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.schemaversion, 2);
  const c = hook({ paymentId: 'p-7' }, [NEW], new Date().toISOString(), 'payment.statusCheck');
  await expectRejected(origin, url, c.body, c.headers, 400, 'unsupported_payload', [NEW, OLD]);
});
