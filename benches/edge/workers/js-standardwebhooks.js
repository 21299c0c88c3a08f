// Reference (b): the `standardwebhooks` npm library (1.1.1), as its README shows it,
// bundled by esbuild. It verifies with a pure-JS HMAC, checks the 5-minute tolerance and
// JSON-parses the payload.
import { Webhook } from 'standardwebhooks';

let wh;

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
    wh ??= new Webhook(env.SW_SECRET);
    const body = await request.text();
    try {
      wh.verify(body, {
        'webhook-id': request.headers.get('webhook-id'),
        'webhook-timestamp': request.headers.get('webhook-timestamp'),
        'webhook-signature': request.headers.get('webhook-signature'),
      });
    } catch {
      return new Response('bad signature', { status: 401 });
    }
    return new Response(JSON.stringify({ received: true }), { headers: { 'content-type': 'application/json' } });
  },
};
