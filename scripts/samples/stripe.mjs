// Stripe demo event: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA-256>` over `<t>.<body>`,
// keyed with the whole `whsec_...` string (not decoded), as stripe-node does (node:crypto only).
import crypto from 'node:crypto';

/** The `Stripe-Signature` value: one `v1` per secret (several during a secret roll). */
export function signStripe(secrets, t, body) {
  return [`t=${t}`, ...secrets.map((s) => 'v1=' + crypto.createHmac('sha256', s).update(`${t}.`).update(body).digest('hex'))].join(',');
}

export default {
  name: 'stripe',
  path: '/hooks/stripe',
  // Returns the request and the normalized event id it will get (`id`).
  build(vars, nowS = Math.floor(Date.now() / 1000)) {
    const secret = vars.DEMO_STRIPE_WEBHOOK_SECRET.split('\n')[0];
    const id = 'evt_' + crypto.randomBytes(12).toString('hex');
    const body = JSON.stringify({
      id, object: 'event', api_version: '2024-06-20', created: nowS, livemode: false, pending_webhooks: 1,
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: 'pi_' + id.slice(4, 20), object: 'payment_intent', amount: 1999, amount_received: 1999, currency: 'eur',
          metadata: { order_id: 'order-1001' }, payment_method_types: ['card'], status: 'succeeded',
        },
      },
    });
    return { id, body, headers: { 'content-type': 'application/json', 'Stripe-Signature': signStripe([secret], nowS, body) } };
  },
};
