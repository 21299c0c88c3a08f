// Browsers and bundlers: the wasm files are fetched next to this module
// (`new URL(..., import.meta.url)`, which bundlers such as Vite, webpack and Parcel turn into
// asset URLs), or from wherever `init({ wasm, signerWasm })` says.
import { makeApi } from './api.js';

export { explain, decrypt_sibs, parse_raw_http, providers, sign, version } from './api.js';

export const { init, initSigner } = makeApi((which) =>
  which === 'core'
    ? new URL('./pkg/edgehook_bg.wasm', import.meta.url)
    : new URL('./pkg/edgehook_signer_bg.wasm', import.meta.url),
);
