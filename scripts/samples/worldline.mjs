// Worldline Direct demo request: base64 HMAC-SHA-256 of the body, keyed by KEY_ID:SECRET.
import crypto from 'node:crypto';

const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);

export default {
  name: 'worldline',
  path: '/hooks/worldline',
  // Returns the request and the normalized event id it will get (`id`).
  build(vars, nowS, i, extra = {}) {
    const [keyId, ...rest] = vars.DEMO_WORLDLINE_KEYS.split('\n')[0].split(':');
    const secret = rest.join(':');
    const id = crypto.randomUUID();
    const body = JSON.stringify({
      apiVersion: 'v1', id, created: new Date().toISOString(), merchantId: 'demo-merchant', type: 'payment.paid',
      payment: { id: 'pay_' + id.slice(0, 8), status: 'PAID', paymentOutput: { amountOfMoney: { amount: 1999, currencyCode: 'EUR' }, references: { merchantReference: 'order-1001' }, paymentMethod: 'card' } },
      ...extra,
    });
    return { id, body, headers: { 'content-type': 'application/json', 'X-GCS-Signature': hmac('sha256', secret, body, 'base64'), 'X-GCS-KeyId': keyId } };
  },
  };
