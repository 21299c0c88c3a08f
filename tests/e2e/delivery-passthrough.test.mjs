// forward: "passthrough", proven with the providers' own published libraries at the
// origin: the onlinepayments SDK's webhooks helper (Worldline) and stripe-node's
// constructEvent, the latter on a retry made after its tolerance had passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { webhooks } from 'onlinepayments-sdk-nodejs';
import { startOrigin, startGateway, waitFor, verifyForward, post, quiet } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const vars = devVars();
const nowS = () => Math.floor(Date.now() / 1000);
const passthrough = (origin, extra = {}) => routesTo(`${origin.url}/in`, { forward: 'passthrough', origin_secret: 'DEMO_ORIGIN_SECRET', ...extra });

test('worldline passthrough: the onlinepayments SDK webhooks helper accepts the forward as is', async () => {
  const [keyId, secret] = vars.DEMO_WORLDLINE_KEYS.split('\n')[0].split(':');
  webhooks.inMemorySecretKeyStore.storeSecretKey(keyId, secret);
  const helper = webhooks.init(webhooks.inMemorySecretKeyStore);
  const verdicts = [];
  const origin = await startOrigin(async (e) => {
    try {
      const event = await helper.unmarshal(Buffer.from(e.body), e.headers);
      verdicts.push(event.id);
      return { status: 200 };
    } catch (err) {
      verdicts.push(`refused: ${err.message}`);
      return { status: 400 };
    }
  });
  const gw = await startGateway({ routes: passthrough(origin), secrets: vars });
  try {
    const req = samples.worldline.build(vars, nowS());
    assert.equal((await post(gw.url + samples.worldline.path, req.body, { ...req.headers, 'x-edgehook-event-id': 'forged' })).status, 200);
    const got = await waitFor(() => origin.delivered()[0]);
    assert.ok(got, `delivered (${verdicts.join('; ')})`);
    assert.deepEqual(verdicts, [req.id], 'the SDK verified the provider signature');
    assert.equal(got.body, req.body, 'body bytes as received');
    assert.equal(got.method, 'POST');
    for (const [k, v] of Object.entries(req.headers)) assert.equal(got.headers[k.toLowerCase()], v, k);
    assert.equal(got.headers['x-edgehook-event-id'], req.id, "a sender's x-edgehook-* is never replayed");
    assert.equal(got.headers['x-edgehook-provider'], 'worldline');
    verifyForward(got, vars.DEMO_ORIGIN_SECRET); // edgehook's own signature too
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('stripe passthrough: a retry after the tolerance is re-signed and constructEvent accepts it', { timeout: 30000 }, async () => {
  const secret = vars.DEMO_STRIPE_WEBHOOK_SECRET.split('\n')[0];
  const stripe = new Stripe('sk_test_edgehook_e2e_not_a_key');
  const TOLERANCE = 2; // the shop's constructEvent tolerance, in seconds (stripe-node's default is 300)
  const seen = [];
  const origin = await startOrigin((e) => {
    const sig = e.headers['stripe-signature'];
    seen.push({ sig, at: Date.now() });
    if (seen.length === 1) return { status: 503 }; // the shop is down for the first attempt
    try {
      stripe.webhooks.constructEvent(e.body, sig, secret, TOLERANCE);
      return { status: 200 };
    } catch (err) {
      e.refusal = err.message;
      return { status: 400 };
    }
  });
  const gw = await startGateway({ routes: passthrough(origin, { retry_schedule_s: [4] }), secrets: vars });
  try {
    const req = samples.stripe.build(vars, nowS());
    assert.equal((await post(gw.url + samples.stripe.path, req.body, req.headers)).status, 200);
    const got = await waitFor(() => origin.delivered()[0], 20000);
    assert.ok(got, `delivered on the retry (${origin.received.map((r) => r.refusal || r.status).join('; ')})`);
    assert.equal(origin.received.length, 2);
    assert.equal(got.body, req.body, 'body bytes as received');
    assert.notEqual(seen[1].sig, seen[0].sig, 're-signed for the retry');
    // The provider's original header would have failed the shop's own check at retry time.
    assert.throws(() => stripe.webhooks.constructEvent(req.body, req.headers['Stripe-Signature'], secret, TOLERANCE), /timestamp/i);
    assert.equal(constructed(stripe, got, secret, TOLERANCE).id, req.id);
    verifyForward(got, vars.DEMO_ORIGIN_SECRET);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

function constructed(stripe, entry, secret, tolerance) {
  // Tolerance measured from when the origin received it, not from now.
  const t = Number(/t=(\d+)/.exec(entry.headers['stripe-signature'])[1]);
  assert.ok(Math.abs(entry.at / 1000 - t) <= tolerance, 'signed at the attempt');
  return stripe.webhooks.constructEvent(entry.body, entry.headers['stripe-signature'], secret, 1e9);
}

test('standard-webhooks passthrough: the sender keeps webhook-*, edgehook signs under x-edgehook-webhook-*', async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: passthrough(origin), secrets: vars });
  try {
    const req = samples['standard-webhooks'].build(vars, nowS());
    assert.equal((await post(gw.url + samples['standard-webhooks'].path, req.body, req.headers)).status, 200);
    const got = await waitFor(() => origin.delivered()[0]);
    assert.ok(got);
    const sent = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
    assert.equal(got.headers['webhook-id'], sent['webhook-id'], "the sender's id");
    assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - got.at / 1000) <= 2, "the sender's scheme, signed at the attempt");
    // The sender's signature verifies with the sender's secret (standardwebhooks library) ...
    verifyForward(got, vars.DEMO_STANDARD_WEBHOOKS_SECRET.split('\n')[0]);
    // ... and edgehook's under the alternate names with the origin secret.
    verifyForward({ body: got.body, headers: { 'webhook-id': got.headers['x-edgehook-webhook-id'], 'webhook-timestamp': got.headers['x-edgehook-webhook-timestamp'], 'webhook-signature': got.headers['x-edgehook-webhook-signature'] } }, vars.DEMO_ORIGIN_SECRET);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});

test('passthrough runs only on accepted requests: a forged or ambiguous one is refused, never passed on', async () => {
  const origin = await startOrigin();
  const gw = await startGateway({ routes: passthrough(origin), secrets: vars });
  try {
    const req = samples.worldline.build(vars, nowS());
    let res = await post(gw.url + samples.worldline.path, req.body.replace('1999', '2999'), req.headers);
    assert.equal(res.status, 401, res.text);
    // A body that says two things (a key twice), correctly signed: refused, not replayed.
    const [keyId, secret] = vars.DEMO_WORLDLINE_KEYS.split('\n')[0].split(':');
    const twice = req.body.replace(/^\{/, '{"id":"evt_smuggled",');
    const crypto = await import('node:crypto');
    const sig = crypto.createHmac('sha256', secret).update(twice).digest('base64');
    res = await post(gw.url + samples.worldline.path, twice, { ...req.headers, 'X-GCS-Signature': sig, 'X-GCS-KeyId': keyId });
    assert.equal(res.status, 400, res.text);
    await quiet();
    assert.equal(origin.received.length, 0);
  } finally {
    await gw.dispose();
    await origin.close();
  }
});
