// The worker's module entry, written by hand instead of worker-build's shim (issue 15,
// docs/design-js-entry.md). It does the webhook path's I/O and nothing the core decides:
// it reads the method, the path, only the headers the route's provider reads and the body
// once, makes one synchronous call into wasm (`run`), and performs what the answer says:
// WebCrypto (then `resume`), the dedup lookup, the spill and the queue send, the dedup
// record under waitUntil, the log line, the reply. Every `await` is a plain JS await; no
// wasm-bindgen future runs on this path. Admin, demo and the event-log API, the queue
// consumer and the cron stay async exports of the Rust adapter.
//
// Trap recovery: wasm-bindgen's glue (built with --force-enable-abort-handler and
// --experimental-reset-state-function) marks the instance terminated when a call traps and
// builds a fresh instance on the next call. What the glue cannot do is done here: the
// request that trapped gets the stable JSON error (the trap throws out of the synchronous
// call) and the instance is rebuilt at once (see `internal`), what this file cached from
// the dead instance is dropped, and the Durable Object's Rust object is rebuilt once its
// instance is gone.
import * as core from './edgehook.js';

const INTERNAL = '{"error":{"code":"internal","message":"internal error"}}';
const VERSION = 'edgehook-in-2';
const BODY_OVER_LIMIT = 1;
const BODY_UNREADABLE = 2;
const ALL_HEADERS = 4;
// A body refused unread is still read to its end when small: workerd drops a keep-alive
// connection whose request body was left unread, so the sender's next request on it
// would fail with a reset (measured: tests/load).
const DRAIN_LIMIT = 64 * 1024;
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

// workers-rs counts wasm instances here (worker-0.8.7/src/init.rs): each (re)start bumps it.
const init = globalThis.__worker_init_state;
const instance = () => (init ? init.instanceId : 0);

// Per wasm instance: the route table and the imported CryptoKeys (ids are the instance's).
let seenInstance = -1;
let routes = null;
let keys = new Map();
// Per isolate: whether accepted requests are logged (EDGEHOOK_LOG=rejections: only not).
let logAll;

function fresh(env) {
  if (seenInstance !== instance() || routes === null) {
    routes = new Map(JSON.parse(core.routes(env)));
    keys = new Map();
    seenInstance = instance();
  }
  if (logAll === undefined) logAll = String(env.EDGEHOOK_LOG ?? '').trim() !== 'rejections';
}

function internal(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    // A trap: the instance's memory can no longer be trusted. The glue would rebuild it on
    // its next guarded call, but its exports copy their arguments into wasm memory (a
    // malloc on the broken heap) before that guard runs: rebuild it now instead.
    console.error('edgehook: internal error, the wasm instance trapped and is rebuilt', e);
    core.__wbg_reset_state();
  } else {
    console.error('edgehook: internal error', e);
  }
  return new Response(INTERNAL, {
    status: 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

// One ResponseInit per kind of reply, built once: `new Response` copies its headers.
const inits = new Map();
function respond(r, head) {
  const k = r.status + ' ' + r.ct + ' ' + (r.allow ?? '');
  let init = inits.get(k);
  if (init === undefined) {
    // A `Headers` object, not a plain one: the runtime copies it without enumerating and
    // validating JS properties on every response.
    const headers = new Headers({ 'content-type': r.ct, 'cache-control': 'no-store' });
    if (r.allow !== undefined) headers.set('allow', r.allow);
    init = { status: r.status, headers };
    inits.set(k, init);
  }
  return new Response(head ? null : r.body, init);
}

function log(l, t0, outcome, status) {
  if (outcome !== undefined) l.outcome = outcome;
  if (status !== undefined) l.status = status;
  l.ms = Date.now() - t0;
  console.log(JSON.stringify(l));
}

// The answer of `run`/`resume`: u32 length, that much JSON, then the bytes it points into.
function parse(out) {
  const n = (out[0] | (out[1] << 8) | (out[2] << 16) | (out[3] << 24)) >>> 0;
  const h = JSON.parse(decoder.decode(out.subarray(4, 4 + n)));
  h.bytes = out.subarray(4 + n);
  return h;
}

// The declared length, if it is one (workerd refuses a malformed Content-Length itself).
function declaredLength(request) {
  const v = request.headers.get('content-length');
  if (v === null) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

async function drain(request, declared) {
  if (request.body === null || (declared !== null && declared > DRAIN_LIMIT)) return;
  try {
    const reader = request.body.getReader();
    let seen = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
      if (seen > DRAIN_LIMIT) return;
    }
  } catch {
    // A broken body on a request that carries none we need.
  }
}

// Chunked, no length: read piecewise and stop once past the limit, so an endless body
// costs at most `max` bytes of memory.
async function readChunked(request, max) {
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) return null;
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

function piece(bytes, body, [src, a, b]) {
  return src === 0 ? bytes.subarray(a, a + b) : body.subarray(a, b);
}

function joined(bytes, body, data) {
  if (data.length === 1) return piece(bytes, body, data[0]);
  const parts = data.map((d) => piece(bytes, body, d));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

// Imported once per key and instance; a cached key costs no await.
async function importKey(id, raw, algorithm, usage) {
  const key = await crypto.subtle.importKey('raw', raw, algorithm, false, [usage]);
  keys.set(id, key);
  return key;
}

// The WebCrypto calls `run` asked for, in order; AES-GCM stops at the first key that
// opens. Results go back as tag (0 done, 1 did not open, 2 the runtime refused the call),
// u32 length, bytes. The core compares (in constant time) and decides.
async function compute(ops, bytes, body) {
  const results = [];
  for (const op of ops) {
    const raw = bytes.subarray(op.key[0], op.key[0] + op.key[1]);
    let r;
    try {
      if (op.op === 'hmac') {
        const id = 'h' + op.hash + op.kid;
        const key = keys.get(id) ?? (await importKey(id, raw, { name: 'HMAC', hash: op.hash }, 'sign'));
        r = [0, new Uint8Array(await crypto.subtle.sign('HMAC', key, joined(bytes, body, op.data)))];
      } else {
        const id = 'a' + op.kid;
        const key = keys.get(id) ?? (await importKey(id, raw, { name: 'AES-GCM' }, 'decrypt'));
        const iv = bytes.subarray(op.iv[0], op.iv[0] + op.iv[1]);
        const data = bytes.subarray(op.data[0], op.data[0] + op.data[1]);
        try {
          r = [0, new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, key, data))];
        } catch {
          r = [1, EMPTY];
        }
      }
    } catch {
      r = [2, EMPTY];
    }
    results.push(r);
    if (op.op === 'aes' && r[0] === 0) break;
  }
  const out = new Uint8Array(results.reduce((n, [, b]) => n + 5 + b.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [tag, b] of results) {
    out[at] = tag;
    view.setUint32(at + 1, b.byteLength, true);
    out.set(b, at + 5);
    at += 5 + b.byteLength;
  }
  return out;
}

// Said once per isolate, by the Rust side (`without_queue`); not a send failure to log here.
const NO_QUEUE = new Error('no queue bound');

async function webhook(request, env, ctx, path, origin) {
  const t0 = Date.now();
  fresh(env);
  const method = request.method;
  const r = routes.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
  const declared = declaredLength(request);
  let flags = 0;
  let body = EMPTY;
  if (method !== 'POST' || r === undefined || (declared === null && request.body === null)) {
    // Only a POST to a route carries an event: other methods get their 405 or handshake
    // without a byte read, and a POST without any body is an empty one.
    await drain(request, declared);
  } else if (declared !== null && declared > r.max) {
    flags |= BODY_OVER_LIMIT;
  } else {
    try {
      body = declared !== null ? new Uint8Array(await request.arrayBuffer()) : await readChunked(request, r.max);
      if (body === null) {
        body = EMPTY;
        flags |= BODY_OVER_LIMIT;
      }
    } catch {
      body = EMPTY;
      flags |= BODY_UNREADABLE;
    }
  }
  if (r !== undefined && r.all) flags |= ALL_HEADERS;
  let head = VERSION + '\n' + flags + '\n' + t0 + '\n' + method + '\n' + path + '\n' + origin;
  if (r !== undefined) {
    if (r.all) {
      for (const [k, v] of request.headers) head += '\n' + k + '\n' + v;
    } else {
      for (const name of r.h) {
        const v = request.headers.get(name);
        if (v !== null) head += '\n' + name + '\n' + v;
      }
    }
  }
  let h = parse(core.run(env, ctx, head, body));
  if (h.t === 'crypto') {
    const results = await compute(h.ops, h.bytes, body);
    h = parse(core.resume(env, ctx, head, body, results));
  }
  const isHead = method === 'HEAD';
  if (h.t !== 'accepted') {
    if (h.t !== 'reply') return internal(new Error('unexpected answer ' + h.t));
    if (logAll || h.log.outcome !== 'handshake') log(h.log, t0);
    return respond(h.reply, isHead);
  }
  const a = h.accepted;
  const id = h.log.event_id;
  const kv = env.EDGEHOOK_KV ?? null;
  if (kv !== null) {
    try {
      if ((await kv.get(a.seen)) !== null) {
        // A provider retry of an event already queued: the same ack, no second delivery.
        if (logAll) log(h.log, t0, 'duplicate');
        return respond(h.reply, isHead);
      }
    } catch (e) {
      console.error('edgehook: dedup store unavailable, continuing without it: ' + e);
    }
  }
  const message = h.bytes.subarray(0, a.msg);
  const queue = env.EDGEHOOK_QUEUE ?? null;
  try {
    if (a.spill !== undefined) {
      if (kv === null) throw new Error(`event ${id} is over the queue's message limit and no EDGEHOOK_KV store is bound`);
      await kv.put(a.spill, h.bytes.subarray(a.msg));
    }
    if (queue === null) {
      if (!core.without_queue(env, ctx, message, a.inline)) throw NO_QUEUE;
    } else {
      await queue.send(message, { contentType: 'bytes' });
    }
  } catch (e) {
    if (e !== NO_QUEUE) console.error(`edgehook: queue send failed for event ${id}: ${e}`);
    const busy = { status: 503, ct: 'application/json', body: core.refused(env, ctx, path) };
    log(h.log, t0, 'queue_unavailable', 503);
    return respond(busy, isHead);
  }
  // Queued: the ack need not wait for the dedup record too. A failed put costs at most a
  // duplicate delivery, which the origin dedups by webhook-id.
  if (kv !== null) {
    ctx.waitUntil(
      kv.put(a.seen, String(a.at), { expirationTtl: a.ttl }).catch((e) => console.error('edgehook: could not record event for dedup: ' + e)),
    );
  }
  if (logAll) log(h.log, t0);
  return respond(h.reply, isHead);
}

export default {
  fetch(request, env, ctx) {
    const url = request.url;
    const s = url.indexOf('://') + 3;
    const slash = url.indexOf('/', s);
    const origin = slash < 0 ? url : url.slice(0, slash);
    let path = slash < 0 ? '/' : url.slice(slash);
    // A serialized URL percent-encodes `?` and `#` in its path: the first of either ends it.
    const q = path.indexOf('?');
    if (q >= 0) path = path.slice(0, q);
    const h = path.indexOf('#');
    if (h >= 0) path = path.slice(0, h);
    try {
      if (path.startsWith('/__edgehook/') || path.startsWith('/__demo/')) {
        return core.fetch(request, env).catch(internal);
      }
      return webhook(request, env, ctx, path, origin).catch(internal);
    } catch (e) {
      return internal(e);
    }
  },
  queue(batch, env, ctx) {
    return core.queue(batch, env, ctx);
  },
  scheduled(event, env, ctx) {
    return core.scheduled(event, env, ctx);
  },
};

/** The per-origin gate, re-made from its constructor arguments after a reset. */
export class OriginGate {
  constructor(state, env) {
    this.args = [state, env];
    this.make();
  }

  make() {
    this.inner = new core.OriginGate(...this.args);
    this.instance = instance();
  }

  fetch(request) {
    if (this.instance !== instance()) this.make();
    return this.inner.fetch(request);
  }
}
