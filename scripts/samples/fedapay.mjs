// FedaPay demo webhook: `X-FEDAPAY-SIGNATURE: t=<unix>,s=<hex HMAC-SHA-256>` over `<t>.<body>`,
// keyed with the webhook secret as-is, as fedapay-node's generateTestHeaderString does
// (node:crypto only).
import crypto from 'node:crypto';

/** The `X-FEDAPAY-SIGNATURE` value for `secret` at `t`. */
export function signFedapay(secret, t, body) {
  return `t=${t},s=` + crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

export default {
  name: 'fedapay',
  path: '/hooks/fedapay',
  // Returns the request and the normalized event id it will get (`id`).
  build(vars, nowS = Math.floor(Date.now() / 1000)) {
    const secret = vars.DEMO_FEDAPAY_WEBHOOK_SECRET.split('\n')[0];
    const id = 'evt_' + crypto.randomBytes(8).toString('hex');
    const at = new Date(nowS * 1000).toISOString();
    const body = JSON.stringify({
      id, name: 'transaction.approved', object: 'transaction',
      entity: {
        klass: 'v1/transaction', id: crypto.randomInt(1e6, 1e7), reference: 'trx_' + id.slice(4, 12), amount: 15000,
        description: 'Order 1001', status: 'approved', mode: 'mtn_open', currency: { iso: 'XOF' },
        custom_metadata: { order_id: 'order-1001' }, created_at: at, approved_at: at,
      },
    });
    return { id, body, headers: { 'content-type': 'application/json', 'X-FEDAPAY-SIGNATURE': signFedapay(secret, nowS, body) } };
  },
};
