// Everifin Paygate demo hook: `Signature: ts=<ISO 8601 UTC>;v0=<hex HMAC-SHA-256>` over
// `<ts>.<body>`, keyed with the hook secret as-is (node:crypto only).
import crypto from 'node:crypto';

/** The `Signature` value: one `vN` per secret, oldest first, as Everifin sends during a rotation. */
export function signEverifin(secrets, ts, body) {
  const sigs = secrets.map((s, i) => `v${i}=` + crypto.createHmac('sha256', s).update(`${ts}.`).update(body).digest('hex'));
  return [`ts=${ts}`, ...sigs].join(';');
}

export default {
  name: 'everifin',
  path: '/hooks/everifin',
  // Returns the request and the normalized event id it will get (`id`).
  build(vars, nowS = Math.floor(Date.now() / 1000)) {
    const secret = vars.DEMO_EVERIFIN_HOOK_SECRET.split('\n')[0];
    const id = crypto.randomUUID();
    const ts = new Date(nowS * 1000).toISOString();
    const body = JSON.stringify({
      eventId: id, eventType: 'payment.statusChange', eventTimestamp: ts,
      data: { paymentId: crypto.randomUUID(), externalId: 'order-1001', status: 'BOOKED' },
    });
    return { id, body, headers: { 'content-type': 'application/json', Signature: signEverifin([secret], ts, body) } };
  },
};
