// Node (>= 20, no flags): the wasm files are read from the package directory with node:fs,
// never fetched (Node's fetch does not read file: URLs).
import { readFile } from 'node:fs/promises';
import { makeApi } from './api.js';

export { explain, decrypt_sibs, parse_raw_http, providers, sign, version } from './api.js';

export const { init, initSigner } = makeApi((which) =>
  readFile(new URL(which === 'core' ? './pkg/edgehook_bg.wasm' : './pkg/edgehook_signer_bg.wasm', import.meta.url)),
);
