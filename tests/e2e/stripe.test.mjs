// Stripe end to end through the real worker in workerd, with a real origin. Requests are
// signed by the official `stripe` package (webhooks.generateTestHeaderString) and,
// independently, with node:crypto; the SDK also verifies what our demo sample signs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Stripe from 'stripe';
import { startOrigin, startGateway, hmac, ORIGIN_SECRET } from './harness.mjs';
import { devVars } from './demo-config.mjs';
import { expectRejected, expectForwarded, demoSampleDelivered, nodeAgreesWithVectors } from './stamped.mjs';

// No request leaves the machine: the client is only used for its webhook helpers.
const stripe = new Stripe('sk_test_e2e_not_used_offline');
const SECRET = 'whsec_e2eCurrentSigningSecret0123456789';
const PREVIOUS = 'whsec_e2ePreviousSigningSecret9876543210';
const VECTOR = fs.readFileSync(new URL('../vectors/stripe/test-webhook-event.json', import.meta.url), 'utf8');

let origin, gw, url;
before(async () => {
  origin = await startOrigin();
  gw = await startGateway({
    routes: [{ path: '/hooks/stripe', provider: 'stripe', secrets: ['STRIPE_PREVIOUS', 'STRIPE'], origin: `${origin.url}/events`, origin_secret: 'ORIGIN' }],
    secrets: { STRIPE: SECRET, STRIPE_PREVIOUS: PREVIOUS, ORIGIN: ORIGIN_SECRET },
  });
  url = `${gw.url}/hooks/stripe`;
});
after(async () => { await gw?.dispose(); await origin?.close(); });

const json = (sig) => ({ 'content-type': 'application/json; charset=utf-8', 'Stripe-Signature': sig });

function event(type, object) {
  const id = `evt_e2e${Math.random().toString(36).slice(2)}`;
  return { id, payload: JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: 1767225600, livemode: false, type, data: { object } }, null, 2) };
}

test('the official SDK reproduces the computed vector', () => {
  const h = stripe.webhooks.generateTestHeaderString({ payload: VECTOR, secret: 'whsec_test_secret', timestamp: 12345 });
  assert.equal(h, 't=12345,v1=2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e');
});

test('an event signed by the stripe SDK is acked 200 and forwarded as a signed CloudEvent', async () => {
  const e = event('payment_intent.succeeded', { id: 'pi_e2e1', object: 'payment_intent', amount: 4200, amount_received: 4200, currency: 'usd', metadata: { order_id: 'order-42' }, payment_method_types: ['card'], status: 'succeeded' });
  const sig = stripe.webhooks.generateTestHeaderString({ payload: e.payload, secret: SECRET });
  const ev = await expectForwarded(origin, url, e.payload, json(sig), e.id);
  assert.equal(ev.id, e.id);
  assert.equal(ev.type, 'payment.succeeded');
  assert.equal(ev.provider, 'stripe');
  assert.equal(ev.time, '2026-01-01T00:00:00.000Z');
  assert.equal(ev.data.payment_id, 'pi_e2e1');
  assert.equal(ev.data.merchant_reference, 'order-42');
  assert.equal(ev.data.amount_minor, 4200);
  assert.equal(ev.data.currency, 'USD');
  assert.equal(ev.data.method, 'card');
  assert.equal(ev.data.raw.data.object.status, 'succeeded');
});

test('during a secret roll (two v1, node:crypto) the previous secret still verifies', async () => {
  const e = event('charge.dispute.created', { id: 'dp_1', object: 'dispute', amount: 900, currency: 'eur', payment_intent: 'pi_e2e2', status: 'needs_response' });
  const t = Math.floor(Date.now() / 1000);
  const sig = `t=${t},v1=${hmac('sha256', 'whsec_rolled_away', `${t}.${e.payload}`, 'hex')},v1=${hmac('sha256', PREVIOUS, `${t}.${e.payload}`, 'hex')}`;
  const ev = await expectForwarded(origin, url, e.payload, json(sig), e.id);
  assert.equal(ev.type, 'payment.chargeback');
  assert.equal(ev.data.payment_id, 'pi_e2e2');
});

test('tampered, v0-only, stale and malformed requests are rejected and nothing is forwarded', async () => {
  const e = event('charge.succeeded', { id: 'ch_1', object: 'charge', amount: 100, currency: 'eur' });
  const sig = stripe.webhooks.generateTestHeaderString({ payload: e.payload, secret: SECRET });
  await expectRejected(origin, url, e.payload.replace('"amount": 100', '"amount": 1'), json(sig), 401, 'signature_mismatch', [SECRET, PREVIOUS]);
  // The SDK with a secret this route does not have.
  const other = stripe.webhooks.generateTestHeaderString({ payload: e.payload, secret: 'whsec_someone_else' });
  await expectRejected(origin, url, e.payload, json(other), 401, 'signature_mismatch');
  // Only v1 counts: the same HMAC under the legacy v0 key is refused.
  await expectRejected(origin, url, e.payload, json(sig.replace('v1=', 'v0=')), 401, 'signature_mismatch');
  const stale = stripe.webhooks.generateTestHeaderString({ payload: e.payload, secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 600 });
  await expectRejected(origin, url, e.payload, json(stale), 408, 'stale_timestamp');
  await expectRejected(origin, url, e.payload, json(sig.replace(/^t=\d+,/, '')), 400, 'malformed_header');
  await expectRejected(origin, url, e.payload, json(sig.replace(/v1=[0-9a-f]+/, 'v1=not-hex')), 401, 'malformed_signature');
  await expectRejected(origin, url, e.payload, { 'content-type': 'application/json' }, 401, 'missing_header');
});

test('the demo sample (scripts/samples/stripe.mjs) verifies with the stripe SDK and on the demo route', async () => {
  const { default: sample } = await import('../../scripts/samples/stripe.mjs');
  const vars = devVars();
  const req = sample.build(vars, Math.floor(Date.now() / 1000));
  const checked = stripe.webhooks.constructEvent(req.body, req.headers['Stripe-Signature'], vars.DEMO_STRIPE_WEBHOOK_SECRET);
  assert.equal(checked.id, req.id);
  const ev = await demoSampleDelivered(origin, 'stripe');
  assert.equal(ev.data.amount_minor, 1999);
});

test('node:crypto agrees with every accepted case in vectors.json', () => {
  assert.ok(nodeAgreesWithVectors('stripe', { separator: ',', ts: 't', key: /^v1$/, unix: true }) >= 4);
});
