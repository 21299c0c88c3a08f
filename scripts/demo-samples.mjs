// Sample requests per provider, signed or encrypted with the demo secrets (.dev.vars),
// independently of the Rust code (node:crypto). One file per provider in samples/.
// Used by `npm run demo:send` and by the e2e tests.
import fs from 'node:fs';

const dir = new URL('./samples/', import.meta.url);
export const samples = {};
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
  samples[f.replace(/\.mjs$/, '')] = (await import(new URL(f, dir))).default;
}
