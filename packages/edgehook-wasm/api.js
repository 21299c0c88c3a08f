// The package's API over the two wasm-bindgen modules (`--target web`): the explainer
// (explain, decrypt_sibs, parse_raw_http, providers, version) and the signer (sign), each
// initialized once. Until a module is ready its functions answer a Failure value instead of
// reaching into an uninstantiated module: like every other failure here, nothing throws.
import initCore, * as core from './pkg/edgehook.js';
import initSign, * as signer from './pkg/edgehook_signer.js';

let coreReady = null;
let signerReady = null;
let coreOk = false;
let signerOk = false;

const notReady = (what) => ({
  ok: false,
  error: { code: 'not_initialized', message: `call \`await ${what}\` before using edgehook-wasm` },
});

/** @param {(which: 'core' | 'signer') => unknown} source default wasm source per module */
export function makeApi(source) {
  function initSigner(wasm) {
    signerReady ??= initSign({ module_or_path: wasm ?? source('signer') }).then(
      () => { signerOk = true; },
      (e) => { signerReady = null; throw e; },
    );
    return signerReady;
  }
  async function init({ signer: withSigner = true, wasm, signerWasm } = {}) {
    coreReady ??= initCore({ module_or_path: wasm ?? source('core') }).then(
      () => { coreOk = true; },
      (e) => { coreReady = null; throw e; },
    );
    await Promise.all([coreReady, withSigner ? initSigner(signerWasm) : null]);
  }
  return { init, initSigner };
}

export const explain = (input) => (coreOk ? core.explain(input) : notReady('init()'));
export const decrypt_sibs = (input) => (coreOk ? core.decrypt_sibs(input) : notReady('init()'));
export const parse_raw_http = (text) => (coreOk ? core.parse_raw_http(text) : notReady('init()'));
export const providers = () => (coreOk ? core.providers() : notReady('init()'));
export const sign = (input) => (signerOk ? signer.sign(input) : notReady('init()` or `await initSigner()'));
/** The edgehook version the modules were built from; `undefined` before `init()`. */
export const version = () => (coreOk ? core.version() : signerOk ? signer.version() : undefined);
