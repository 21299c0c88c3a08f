// Reference (a'): the same verification as reference (a), plus what a JS worker needs to
// do edgehook's job: parse the event, map it to a normalized event, check a KV dedup record,
// hand the event to the queue before acking, and record the id for dedup (waitUntil).
// A delivery too large for one queue message (the queue takes 128 KB; over 120 KiB, as
// edgehook) is kept in KV under a body key and the message carries only a stub, as edgehook
// does: the consumer loads it from there. Uses the same in-isolate queue and KV stand-ins as
// edgehook in this bench.
const enc = new TextEncoder();
const dec = new TextDecoder();
let key;

function timingSafeEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

const hex = (buf) => {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
};

// The queue's message limit is in UTF-8 bytes: a message of at most LIMIT / 3 UTF-16 units
// fits whatever it holds, so only a longer one is encoded to count its bytes.
const LIMIT = 120 * 1024;
const utf8Length = (s) => (s.length <= LIMIT / 3 ? s.length : enc.encode(s).byteLength);

const STATUS = { 'payment_intent.succeeded': 'succeeded', 'payment_intent.payment_failed': 'failed', 'charge.refunded': 'refunded' };

export default {
  async fetch(request, env, ctx) {
    if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
    const header = request.headers.get('stripe-signature');
    if (!header) return new Response('missing signature', { status: 400 });
    let t;
    const sigs = [];
    for (const part of header.split(',')) {
      const i = part.indexOf('=');
      const k = part.slice(0, i);
      const v = part.slice(i + 1);
      if (k === 't') t = v;
      else if (k === 'v1') sigs.push(v);
    }
    if (!t || sigs.length === 0) return new Response('malformed signature', { status: 400 });
    const body = new Uint8Array(await request.arrayBuffer());
    key ??= await crypto.subtle.importKey('raw', enc.encode(env.STRIPE_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const prefix = enc.encode(t + '.');
    const signed = new Uint8Array(prefix.length + body.length);
    signed.set(prefix);
    signed.set(body, prefix.length);
    const expected = hex(await crypto.subtle.sign('HMAC', key, signed));
    if (!sigs.some((s) => timingSafeEqual(s, expected))) return new Response('bad signature', { status: 401 });
    if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return new Response('stale', { status: 401 });
    const text = dec.decode(body);
    let ev;
    try {
      ev = JSON.parse(text);
    } catch {
      return new Response('malformed body', { status: 400 });
    }
    const obj = ev.data?.object ?? {};
    const status = STATUS[ev.type] ?? 'unknown';
    const event = {
      specversion: '1.0',
      id: ev.id,
      source: 'edgehook/hooks/stripe',
      type: `payment.${status}`,
      time: new Date((ev.created ?? Date.now() / 1000) * 1000).toISOString(),
      datacontenttype: 'application/json',
      provider: 'stripe',
      data: {
        payment_id: obj.id,
        merchant_reference: obj.metadata?.order_id,
        status,
        amount_minor: obj.amount,
        currency: obj.currency?.toUpperCase(),
        method: obj.payment_method_types?.[0],
        provider_event_type: ev.type,
        raw: ev,
      },
    };
    const dedupKey = `seen:/hooks/stripe:${ev.id}`;
    if ((await env.EDGEHOOK_KV.get(dedupKey)) !== null) return Response.json({ status: 'duplicate', id: ev.id });
    const delivery = { route: '/hooks/stripe', id: ev.id, provider: 'stripe', origin: env.ORIGIN ?? '', event: JSON.stringify(event), accepted_at_ms: Date.now() };
    let message = JSON.stringify(delivery);
    if (utf8Length(message) > LIMIT) {
      await env.EDGEHOOK_KV.put(`body:/hooks/stripe:${ev.id}`, message);
      message = JSON.stringify({ ...delivery, event: '', spilled: true });
    }
    await env.EDGEHOOK_QUEUE.send(message, { contentType: 'text' });
    ctx.waitUntil(env.EDGEHOOK_KV.put(dedupKey, String(Date.now()), { expirationTtl: 86400 }));
    return Response.json({ status: 'accepted', id: ev.id });
  },
};
