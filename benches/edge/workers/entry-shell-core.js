// The worker's JS entry (src/worker/entry.js) with its wasm core replaced by a fixed
// answer: what the entry itself costs per accepted event (reading the request, the one
// call, parsing the answer, the dedup lookup, the queue send, the dedup record, the ack),
// so the bench can say how much of edgehook's cost is the entry and how much the core.
// The answer is the shape `crate::entry::encode_output` gives for an accepted Stripe 2 KiB
// event: the head JSON, then a queue message of that event's size.
const enc = new TextEncoder();
const ROUTES = JSON.stringify([['/hooks/stripe', { h: ['content-type', 'stripe-signature'], all: false, max: 1048576 }]]);
const MESSAGE_BYTES = 3300;

function answer() {
  const head = enc.encode(JSON.stringify({
    t: 'accepted',
    reply: { status: 200, ct: 'application/json', body: '{"status":"accepted","id":"evt_3Pbench0000000000000000"}' },
    log: { edgehook: 'request', route: '/hooks/stripe', provider: 'stripe', method: 'POST', outcome: 'accepted', status: 200, event_id: 'evt_3Pbench0000000000000000', key: 'secret#0' },
    accepted: { seen: 'seen:/hooks/stripe:evt_3Pbench0000000000000000', ttl: 604800, at: 1764000000000, msg: MESSAGE_BYTES, inline: false },
  }));
  const out = new Uint8Array(4 + head.length + MESSAGE_BYTES).fill(0x20);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  return out;
}
const FIXED = answer();

export function routes() {
  return ROUTES;
}
// A copy, as wasm-bindgen's glue returns a fresh array from wasm memory.
export function run() {
  return FIXED.slice();
}
export const resume = run;
export function refused() {
  return '{"error":{"code":"queue_unavailable","message":"queue unavailable"}}';
}
export function without_queue() {
  return false;
}
export function fetch() {
  return Promise.resolve(new Response('not in the shell bench', { status: 404 }));
}
export function queue() {}
export function scheduled() {}
export function __wbg_reset_state() {}
export class OriginGate {}
