// The worker's module entry, written by hand instead of worker-build's shim (issue 15,
// docs/design-js-entry.md). This first step keeps today's wasm exports as they are and
// only replaces what wraps them: a plain handler object instead of a `WorkerEntrypoint`
// class constructed per request behind two `Proxy`s.
//
// Trap recovery: wasm-bindgen's glue (built with --force-enable-abort-handler and
// --experimental-reset-state-function) marks the instance terminated when a call traps and
// builds a fresh instance on the next call. What the glue cannot do is done here: the
// Durable Object's Rust object is rebuilt once its instance is gone, and a call that
// throws gets the stable JSON error. (Today's `fetch` export is async: a panic inside its
// future happens in a microtask, so its promise never settles and workerd answers 500
// itself, "code had hung"; the synchronous core entry will throw here instead.)
import * as core from './edgehook.js';

const INTERNAL = '{"error":{"code":"internal","message":"internal error"}}';

function internal(e) {
  console.error('edgehook: internal error (a trapped instance is rebuilt on the next call)', e);
  return new Response(INTERNAL, {
    status: 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await core.fetch(request, env, ctx);
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

// workers-rs counts wasm instances here (worker-0.8.7/src/init.rs): each start bumps it.
const init = globalThis.__worker_init_state;

/** The per-origin gate, re-made from its constructor arguments after a reset. */
export class OriginGate {
  constructor(state, env) {
    this.args = [state, env];
    this.make();
  }

  make() {
    this.inner = new core.OriginGate(...this.args);
    this.instance = init.instanceId;
  }

  fetch(request) {
    if (this.instance !== init.instanceId) this.make();
    return this.inner.fetch(request);
  }
}
