// Size: raw and gzip (-9) bytes of the worker's wasm + JS and the browser
// tester's wasm + glue (the explainer module a page loads, the lazily loaded signer, and the
// core-only floor of benches/browser-floor when built) and the worker wasm's sections (code,
// data, names). Start-up is measured by benches/edge/run.mjs (group `cold`: interleaved cold
// starts in the same configuration as the load variants).
//
// Usage: node benches/size.mjs [--worker target/bench/worker] [--www www/pkg] [--browser-floor target/bench/browser-floor] [--out target/bench/size.json]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
// As benches/edge/run.mjs: scripts/bench.sh's build, else the one of scripts/build-worker.sh.
const WORKER = path.resolve(root, arg('worker', process.env.EDGEHOOK_BENCH_BUILD || (fs.existsSync(path.join(root, 'target/bench/worker/index.js')) ? 'target/bench/worker' : 'build')));
const WWW = path.resolve(root, arg('www', 'www/pkg'));
const OUT = path.resolve(root, arg('out', 'target/bench/size.json'));
const BROWSER_FLOOR = path.resolve(root, arg('browser-floor', 'target/bench/browser-floor'));

const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;

function leb(buf, at) {
  let v = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [v, at];
  }
}

/** Bytes per section: code, data, custom sections by name, everything else. */
function sections(buf) {
  const names = { 10: 'code', 11: 'data' };
  const out = {};
  let at = 8;
  while (at < buf.length) {
    const id = buf[at];
    const [size, body] = leb(buf, at + 1);
    let key = names[id] || 'other';
    if (id === 0) {
      const [len, s] = leb(buf, body);
      key = `custom:${buf.subarray(s, s + len).toString('utf8')}`;
    }
    out[key] = (out[key] || 0) + (body - at) + size;
    at = body + size;
  }
  return out;
}

function files(list) {
  const rows = [];
  for (const f of list) {
    if (!fs.existsSync(f)) return null;
    const buf = fs.readFileSync(f);
    rows.push({ file: path.relative(root, f), raw: buf.length, gzip: gz(buf) });
  }
  const all = Buffer.concat(list.map((f) => fs.readFileSync(f)));
  return { files: rows, raw: all.length, gzip: gz(all) };
}

const workerWasm = path.join(WORKER, 'index_bg.wasm');
const result = {
  date: new Date().toISOString(),
  node: process.version,
  worker: files([workerWasm, path.join(WORKER, 'index.js')]),
  workerSections: fs.existsSync(workerWasm) ? sections(fs.readFileSync(workerWasm)) : null,
  browser: files([path.join(WWW, 'edgehook_bg.wasm'), path.join(WWW, 'edgehook.js')]),
  browserSigner: files([path.join(WWW, 'edgehook_signer_bg.wasm'), path.join(WWW, 'edgehook_signer.js')]),
  browserFloor: files([path.join(BROWSER_FLOOR, 'floor_bg.wasm'), path.join(BROWSER_FLOOR, 'floor.js')]),
};
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify(result, null, 2));
const kib = (n) => (n / 1024).toFixed(1);
if (result.worker) process.stderr.write(`[size] worker wasm+js: ${kib(result.worker.raw)} KiB raw, ${kib(result.worker.gzip)} KiB gzip\n`);
if (result.browser) process.stderr.write(`[size] browser wasm+glue (explainer, what a page loads to verify and explain): ${kib(result.browser.raw)} KiB raw, ${kib(result.browser.gzip)} KiB gzip\n`);
if (result.browserSigner) process.stderr.write(`[size] browser signer wasm+glue (loaded when a page first signs): ${kib(result.browserSigner.raw)} KiB raw, ${kib(result.browserSigner.gzip)} KiB gzip\n`);
if (result.browserFloor) process.stderr.write(`[size] browser floor (the gateway core alone, benches/browser-floor): ${kib(result.browserFloor.raw)} KiB raw, ${kib(result.browserFloor.gzip)} KiB gzip\n`);
