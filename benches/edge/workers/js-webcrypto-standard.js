// Reference (a) for the Standard Webhooks scheme: `v1,<base64>` HMAC-SHA-256 over
// `<id>.<ts>.<body>` with WebCrypto, key (base64 after `whsec_`) imported once per isolate,
// constant-time compare, 300 s tolerance, ack. No JSON parsing.
const enc = new TextEncoder();
let key;

function timingSafeEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

const b64 = (buf) => {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
};

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
    const id = request.headers.get('webhook-id');
    const ts = request.headers.get('webhook-timestamp');
    const header = request.headers.get('webhook-signature');
    if (!id || !ts || !header) return new Response('missing headers', { status: 400 });
    const body = new Uint8Array(await request.arrayBuffer());
    if (!key) {
      const raw = Uint8Array.from(atob(env.SW_SECRET.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
      key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    }
    const prefix = enc.encode(`${id}.${ts}.`);
    const signed = new Uint8Array(prefix.length + body.length);
    signed.set(prefix);
    signed.set(body, prefix.length);
    const expected = b64(await crypto.subtle.sign('HMAC', key, signed));
    const ok = header.split(' ').some((s) => s.startsWith('v1,') && timingSafeEqual(s.slice(3), expected));
    if (!ok) return new Response('bad signature', { status: 401 });
    if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return new Response('stale', { status: 401 });
    return new Response(JSON.stringify({ received: true }), { headers: { 'content-type': 'application/json' } });
  },
};
