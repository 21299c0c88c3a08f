// Types of edgehook-wasm. The input and output shapes come from the wasm modules' generated
// declarations (pkg/edgehook.d.ts, pkg/edgehook_signer.d.ts), so they cannot drift from the code.
import type {
  DecryptSibsInput, ExplainInput, Explanation, Failure, InitInput, RawRequest,
} from './pkg/edgehook.js';
import type { SignInput, Signed } from './pkg/edgehook_signer.js';

export type {
  Bytes, DecryptDetails, DecryptSibsInput, ExplainInput, Explanation, Failure, HeadersInput,
  MacDetails, RawRequest, Reply, RequestInput, RouteInput, Step, TimestampDetails,
} from './pkg/edgehook.js';
export type { SignInput, Signed } from './pkg/edgehook_signer.js';

/** Where a module's wasm comes from: a URL, a `Response`, the bytes, or a compiled module. */
export type WasmSource = InitInput | Promise<InitInput>;

export interface InitOptions {
  /** Also load the signer module (`sign`). Default `true`; `false` defers it to `initSigner()`. */
  signer?: boolean;
  /** The explainer's `edgehook_bg.wasm`. Default: the package's own file. */
  wasm?: WasmSource;
  /** The signer's `edgehook_signer_bg.wasm`. Default: the package's own file. */
  signerWasm?: WasmSource;
}

/** Loads the wasm (Node: read from the package with `node:fs`; browsers: fetched next to the
 *  module). Call once and await it; later calls return the same promise. */
export function init(options?: InitOptions): Promise<void>;
/** Loads the signer module alone, e.g. when a page first needs `sign`. */
export function initSigner(source?: WasmSource): Promise<void>;

/** The gateway's verdict on one request, every step explained, and the likely reason when it fails. */
export function explain(input: ExplainInput | string): Explanation | Failure;
/** A SIBS notification decrypted and normalized with the SIBS route's own code. */
export function decrypt_sibs(input: DecryptSibsInput | string): Explanation | Failure;
/** A pasted raw HTTP/1 request taken apart: method, path, headers, exact body. */
export function parse_raw_http(text: string): RawRequest | Failure;
/** The providers of this build, in the gateway's registry order. */
export function providers(): { ok: true; providers: string[] } | Failure;
/** A valid test request for a provider (signed, or encrypted for SIBS), with a `curl` command. */
export function sign(input: SignInput | string): Signed | Failure;
/** The edgehook version the modules were built from; `undefined` before `init()`. */
export function version(): string | undefined;
