// generic-hmac demo request for the demo route's GitHub-style scheme: `X-Hub-Signature-256:
// sha256=<hex HMAC-SHA-256 of the body>`, keyed with the secret's UTF-8 bytes; the delivery
// id and event name in X-GitHub-Delivery / X-GitHub-Event (node:crypto only). Those headers
// are not signed, so the gateway takes the event id from the signed body (`event_id`) and
// passes the headers on as `data.unverified`.
import crypto from 'node:crypto';

export default {
  name: 'generic-hmac',
  path: '/hooks/generic',
  build(vars) {
    const secret = vars.DEMO_GENERIC_HMAC_SECRET.split('\n')[0].trim();
    const id = crypto.randomUUID();
    const body = JSON.stringify({
      event_id: id,
      action: 'completed',
      type: 'payment.succeeded',
      data: { id: 'pay_' + id.slice(0, 8), amount: 4200, currency: 'USD', reference: 'order-2002' },
    });
    return {
      id,
      body,
      headers: {
        'content-type': 'application/json',
        'X-Hub-Signature-256': 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex'),
        'X-GitHub-Delivery': id,
        'X-GitHub-Event': 'payment.succeeded',
      },
    };
  },
};
