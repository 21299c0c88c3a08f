// Drops the `name` custom section (function names, only used in wasm stack traces) from a
// .wasm file in place. Usage: node scripts/strip-wasm-names.mjs file.wasm
// `strip = "symbols"` (Cargo.toml) already drops the Rust names at link time; this removes
// the ~10 KB wasm-bindgen adds back for its shims. scripts/build-worker.sh runs it unless
// EDGEHOOK_KEEP_NAMES=1 (which also wants `CARGO_PROFILE_RELEASE_STRIP=none`): BENCHMARKS.md, "size".
import fs from 'node:fs';

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

const file = process.argv[2];
const buf = fs.readFileSync(file);
const keep = [buf.subarray(0, 8)];
let at = 8;
while (at < buf.length) {
  const id = buf[at];
  const [size, body] = leb(buf, at + 1);
  let drop = false;
  if (id === 0) {
    const [len, s] = leb(buf, body);
    drop = buf.subarray(s, s + len).toString('utf8') === 'name';
  }
  if (!drop) keep.push(buf.subarray(at, body + size));
  at = body + size;
}
const out = Buffer.concat(keep);
fs.writeFileSync(file, out);
process.stderr.write(`[strip-names] ${file}: ${buf.length} -> ${out.length} bytes\n`);
