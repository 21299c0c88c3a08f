// Lyra REST API IPN demo request: form fields kr-answer (JSON) + kr-hash, the hex
// HMAC-SHA-256 of kr-answer keyed with the REST API password (node:crypto only).
import crypto from 'node:crypto';

/** Builds the IPN form body for a kr-answer string. */
export function ipnBody(answer, key, hashKey = 'password') {
  const hash = crypto.createHmac('sha256', key).update(answer.replace(/\\\//g, '/'), 'utf8').digest('hex');
  return new URLSearchParams({
    'kr-hash': hash,
    'kr-hash-algorithm': 'sha256_hmac',
    'kr-hash-key': hashKey,
    'kr-answer-type': 'V4/Payment',
    'kr-answer': answer,
  }).toString();
}

/** JSON with object keys sorted, compact: serde_json's serialization of a parsed value. */
export function canonicalJson(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The normalized event id the gateway gives a kr-answer: `transactions[0].uuid` and the first
 * 12 bytes (hex) of SHA-256 over the answer without its sending time (`serverDate`), keys
 * sorted (an independent implementation of the rule in src/providers/lyra_rest.rs).
 */
export function eventId(answer) {
  const { serverDate, ...rest } = JSON.parse(answer);
  const digest = crypto.createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
  return `${rest.transactions[0].uuid}:${digest.slice(0, 24)}`;
}

export default {
  name: 'lyra-rest',
  path: '/hooks/lyra-rest',
  // Returns the request and the normalized event id it will get (`eventId`).
  build(vars, nowS = Math.floor(Date.now() / 1000), i = 0, extra = {}) {
    const password = vars.DEMO_LYRA_REST_PASSWORD.split('\n')[0].trim();
    const uuid = crypto.randomBytes(16).toString('hex');
    const date = new Date(nowS * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const answer = JSON.stringify({
      shopId: '69876357', orderCycle: 'CLOSED', orderStatus: 'PAID', serverDate: date,
      orderDetails: { orderTotalAmount: 1999, orderCurrency: 'EUR', mode: 'TEST', orderId: `order-${1001 + i}`, _type: 'V4/OrderDetails' },
      transactions: [{ shopId: '69876357', uuid, amount: 1999, currency: 'EUR', paymentMethodType: 'CARD', status: 'PAID', detailedStatus: 'AUTHORISED', operationType: 'DEBIT', creationDate: date, _type: 'V4/PaymentTransaction' }],
      _type: 'V4/Payment',
      ...extra,
    });
    return { id: eventId(answer), body: ipnBody(answer, password), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  },
};
