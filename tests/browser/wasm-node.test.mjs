// The browser build's wasm API (www/pkg, wasm-bindgen --target web) loaded in Node: the
// same vectors as the page's examples, failures as values, sign → explain round trips.
// Build first: bash scripts/build-www.sh
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, changeOneByte } from './util.mjs';
import { initSync, providers, explain, decrypt_sibs, parse_raw_http, version } from '../../www/pkg/edgehook.js';
import { initSync as initSigner, sign, version as signerVersion } from '../../www/pkg/edgehook_signer.js';
import { EXAMPLES } from '../../www/examples.js';

initSync({ module: fs.readFileSync(path.join(root, 'www/pkg/edgehook_bg.wasm')) });
initSigner({ module: fs.readFileSync(path.join(root, 'www/pkg/edgehook_signer_bg.wasm')) });
const vector = (rel) => fs.readFileSync(path.join(root, 'tests/vectors', rel), 'utf8');

const ALL = ['worldline', 'sibs', 'lyra-rest', 'lyra-form', 'everifin', 'fedapay', 'stripe', 'standard-webhooks', 'generic-hmac'];
/** The failure one changed byte must produce, per provider. */
const TAMPERED = { sibs: 'decryption_failed' };

const exampleInput = (p, request = EXAMPLES[p].request) => ({
  provider: p, secrets: EXAMPLES[p].secrets, hmac_secrets: EXAMPLES[p].hmac_secrets, options: EXAMPLES[p].options,
  request, now_ms: EXAMPLES[p].now?.ms ?? Date.now(),
});

test('providers() lists the whole registry and every one has an example', () => {
  const r = providers();
  assert.equal(r.ok, true);
  assert.deepEqual([...r.providers].sort(), [...ALL].sort());
  for (const p of r.providers) assert.ok(EXAMPLES[p], `example for ${p}`);
  assert.match(version(), /^\d+\.\d+\.\d+/);
  assert.equal(signerVersion(), version(), 'both modules come from the same build');
});

for (const p of ALL) {
  test(`${p}: the published example is valid, one changed byte is precisely rejected`, () => {
    const ok = explain(exampleInput(p));
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(ok.verdict, 'valid', JSON.stringify(ok.error));
    assert.equal(ok.response.status, ok.ack.status);
    assert.equal(JSON.parse(ok.event_json).provider, p);
    assert.deepEqual(JSON.parse(ok.event_json), ok.event);
    assert.deepEqual(ok.hints, []);
    const check = ok.steps.find((s) => s.id === 'signature' || s.id === 'decrypt');
    assert.equal(check.status, 'ok');
    if (check.mac) {
      assert.ok(check.mac.computed.some((k) => k.matched));
      assert.ok(check.mac.received.includes(check.mac.computed[check.mac.matched].signature));
    }
    const ex = EXAMPLES[p].request;
    const bad = explain(exampleInput(p, { ...ex, body: changeOneByte(ex.body) }));
    assert.equal(bad.verdict, 'invalid');
    assert.equal(bad.error.code, TAMPERED[p] ?? 'signature_mismatch', JSON.stringify(bad.error));
    assert.equal(bad.error.status, 401);
    assert.equal(bad.response.status, 401);
    assert.equal(bad.steps.find((s) => s.status === 'fail').id, p === 'sibs' ? 'decrypt' : 'signature');
    assert.ok(bad.hints.length >= 1);
    assert.equal(bad.event, undefined);
  });
}

test('SIBS: decrypt_sibs opens the docs sample to its exact plaintext', () => {
  const r = decrypt_sibs({ ...EXAMPLES.sibs.decrypt, now_ms: 0 });
  assert.equal(r.verdict, 'valid');
  assert.equal(r.plaintext.text, vector('sibs/docs-plaintext.json'));
  assert.match(r.event_json, /"value":2\.0/, 'raw payload kept verbatim');
  assert.equal(JSON.parse(r.ack.body).notificationID, 'de64fbe2-0e6e-4d94-b50c-3dac491e76ff');
  const bad = decrypt_sibs({ ...EXAMPLES.sibs.decrypt, key: 'AAAA' + EXAMPLES.sibs.decrypt.key.slice(4), now_ms: 0 });
  assert.equal(bad.error.code, 'decryption_failed');
  assert.equal(bad.plaintext, undefined);
  const short = decrypt_sibs({ ...EXAMPLES.sibs.decrypt, key: 'c2hvcnQ=', now_ms: 0 });
  assert.equal(short.error.code, 'config_invalid');
});

test('hints name the likely cause', () => {
  const stripe = explain({ ...exampleInput('stripe'), secrets: 'test_secret' });
  assert.equal(stripe.error.code, 'signature_mismatch');
  assert.match(stripe.hints.join(' '), /with a whsec_ prefix/);
  const wl = EXAMPLES.worldline.request;
  const crlf = explain(exampleInput('worldline', { ...wl, body: wl.body.replace(/\n/g, '\r\n') }));
  assert.match(crlf.hints.join(' '), /CRLF line endings turned into LF/);
  const stale = explain({ ...exampleInput('everifin'), now_ms: EXAMPLES.everifin.now.ms + 86400e3 });
  assert.equal(stale.error.code, 'stale_timestamp');
  assert.match(stale.hints.join(' '), /made 1 days ago|made 24 h 0 min ago/);
  const lr = EXAMPLES['lyra-rest'].request;
  const swapped = explain(exampleInput('lyra-rest', { ...lr, body: lr.body.replace('kr-hash-key=password', 'kr-hash-key=sha256_hmac') }));
  assert.equal(swapped.error.code, 'signature_mismatch');
  assert.match(swapped.hints.join(' '), /secrets field.*kr-hash-key/);
});

test('sign() builds requests explain() accepts, for every provider', () => {
  for (const p of ALL) {
    const ex = EXAMPLES[p];
    const s = sign({ provider: p, secrets: ex.secrets, hmac_secrets: ex.hmac_secrets, options: ex.options, payload: ex.payload ?? ex.request.body, gateway_url: 'http://127.0.0.1:9/' });
    assert.equal(s.ok, true, `${p}: ${JSON.stringify(s)}`);
    assert.equal(s.url, `http://127.0.0.1:9/hooks/${p}`);
    assert.match(s.curl, /^curl -sS -i -X POST /);
    const r = explain({ provider: p, secrets: ex.secrets, hmac_secrets: ex.hmac_secrets, options: ex.options, request: { raw: s.raw } });
    assert.equal(r.verdict, 'valid', `${p}: ${JSON.stringify(r.error)}`);
  }
  // Randomness comes from JS: two SIBS encryptions differ (fresh IV).
  const a = sign({ provider: 'sibs', secrets: EXAMPLES.sibs.secrets, payload: '{}' });
  const b = sign({ provider: 'sibs', secrets: EXAMPLES.sibs.secrets, payload: '{}' });
  assert.notEqual(a.body.text, b.body.text);
});

test('errors are values with stable codes, never exceptions', () => {
  for (const [input, code] of [
    [undefined, 'invalid_input'],
    ['{not json', 'invalid_input'],
    [{ provider: 'worldline' }, 'invalid_input'],
    [{ provider: 'worldline', secrets: 'a:b', request: {}, bogus: 1 }, 'invalid_input'],
    [{ provider: 'worldline', secrets: 'a:b', request: { headers: 12 } }, 'invalid_input'],
  ]) {
    const r = explain(input);
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.error.code, code);
    assert.equal(typeof r.error.message, 'string');
  }
  // A broken route config is explained like a rejection: the gateway would answer 500.
  const cfg = explain({ provider: 'nope', secrets: 'x', request: {} });
  assert.equal(cfg.verdict, 'invalid');
  assert.equal(cfg.error.code, 'config_invalid');
  assert.match(cfg.error.message, /unknown provider "nope" \(known: worldline/);
  const noSecret = explain({ provider: 'worldline', request: { body: '{}' } });
  assert.equal(noSecret.verdict, 'invalid');
  assert.equal(noSecret.error.code, 'config_invalid');
  assert.equal(noSecret.response.status, 500);
  assert.equal(sign({ provider: 'worldline', secrets: 'a:b' }).error.code, 'invalid_input');
  assert.equal(parse_raw_http('not http\n\nbody').ok, false);
  // A JSON string is accepted as well as an object.
  assert.equal(explain(JSON.stringify(exampleInput('worldline'))).verdict, 'valid');
  // Huge and odd inputs stay values.
  const big = explain(exampleInput('worldline', { ...EXAMPLES.worldline.request, body: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(big.error.code, 'body_too_large');
  const binary = explain(exampleInput('worldline', { headers: EXAMPLES.worldline.request.headers, body_base64: Buffer.from([0xff, 0xfe, 0, 1]).toString('base64') }));
  assert.equal(binary.error.code, 'signature_mismatch');
  assert.equal(binary.steps.find((s) => s.id === 'signature').mac.content.text, null);
});

test('parse_raw_http keeps the body exact', () => {
  const r = parse_raw_http('POST /hooks/x?y=1 HTTP/1.1\r\nA: 1\r\nContent-Length: 4\r\n\r\nab\r\n');
  assert.equal(r.ok, true);
  assert.equal(r.path, '/hooks/x');
  assert.equal(r.body, 'ab\r\n');
  assert.deepEqual(r.headers, [['A', '1'], ['Content-Length', '4']]);
});

test('the generated .d.ts types the API', () => {
  const dts = fs.readFileSync(path.join(root, 'www/pkg/edgehook.d.ts'), 'utf8');
  for (const sig of [
    'export function explain(input: ExplainInput | string): Explanation | Failure;',
    'export function decrypt_sibs(input: DecryptSibsInput | string): Explanation | Failure;',
    'export function parse_raw_http(text: string): RawRequest | Failure;',
    'export interface Explanation {',
    'export interface MacDetails {',
  ]) assert.ok(dts.includes(sig), sig);
  assert.ok(!dts.includes('export function sign('), 'sign lives in the signer module');
  const signer = fs.readFileSync(path.join(root, 'www/pkg/edgehook_signer.d.ts'), 'utf8');
  for (const sig of ['export function sign(input: SignInput | string): Signed | Failure;', 'export interface Signed {', 'export interface RouteInput {'])
    assert.ok(signer.includes(sig), sig);
  assert.ok(!signer.includes('export function explain('), 'the signer module carries sign alone');
});
