// Reference (c): SIBS by hand with WebCrypto. Body = base64 AES-256-GCM ciphertext, IV and
// tag in headers; the key imported once per isolate; decrypt, JSON-parse (the ack must echo
// `notificationID`, or SIBS retries), ack.
let key;

const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
    const ivH = request.headers.get('x-initialization-vector');
    const tagH = request.headers.get('x-authentication-tag');
    if (!ivH || !tagH) return new Response('missing headers', { status: 400 });
    let iv, tag, ct;
    try {
      iv = fromB64(ivH);
      tag = fromB64(tagH);
      ct = fromB64((await request.text()).trim());
    } catch {
      return new Response('not base64', { status: 400 });
    }
    key ??= await crypto.subtle.importKey('raw', fromB64(env.SIBS_KEY), { name: 'AES-GCM' }, false, ['decrypt']);
    const sealed = new Uint8Array(ct.length + tag.length);
    sealed.set(ct);
    sealed.set(tag, ct.length);
    let plain;
    try {
      plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, key, sealed);
    } catch {
      return new Response('decryption failed', { status: 401 });
    }
    const n = JSON.parse(new TextDecoder().decode(plain));
    return new Response(JSON.stringify({ statusCode: '200', statusMsg: 'Success', notificationID: n.notificationID }), {
      headers: { 'content-type': 'application/json' },
    });
  },
};
