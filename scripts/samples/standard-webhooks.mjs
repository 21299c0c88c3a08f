// Standard Webhooks demo request: `v1,<base64 HMAC-SHA-256>` over `<id>.<timestamp>.<body>`,
// keyed with the base64-decoded `whsec_` secret (node:crypto only).
import crypto from 'node:crypto';

/** The `webhook-signature` value for a `whsec_` (or bare base64) secret. */
export function signStandard(secret, id, ts, body) {
  const key = Buffer.from(secret.trim().replace(/^whsec_/, ''), 'base64');
  return 'v1,' + crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64');
}

export default {
  name: 'standard-webhooks',
  path: '/hooks/standard-webhooks',
  build(vars, nowS = Math.floor(Date.now() / 1000)) {
    const secret = vars.DEMO_STANDARD_WEBHOOKS_SECRET.split('\n')[0];
    const id = 'msg_' + crypto.randomBytes(12).toString('hex');
    const body = JSON.stringify({
      type: 'payment.succeeded',
      timestamp: new Date(nowS * 1000).toISOString(),
      data: { id: 'pay_' + id.slice(4, 12), amount: 1999, currency: 'EUR', reference: 'order-1001', payment_method: 'card' },
    });
    return {
      id,
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(nowS),
        'webhook-signature': signStandard(secret, id, nowS, body),
      },
    };
  },
};
