#!/usr/bin/env node
// `npm run demo:send -- <provider> [--url http://127.0.0.1:8787]`: signs (or encrypts) a
// sample payload with the DEMO secrets from .dev.vars and posts it to the local gateway,
// then shows what the demo origin sink received.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { samples } from './demo-samples.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const urlIdx = args.indexOf('--url');
const base = (urlIdx >= 0 ? args.splice(urlIdx, 2)[1] : process.env.EDGEHOOK_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');
const provider = args[0];

function devVars() {
  const vars = {};
  const text = fs.readFileSync(path.join(root, '.dev.vars'), 'utf8');
  for (const m of text.matchAll(/^([A-Z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"/gm)) vars[m[1]] = m[2].replace(/\\n/g, '\n');
  return vars;
}

if (!provider || !samples[provider]) {
  console.error(`usage: npm run demo:send -- <provider> [--url ${base}]\nproviders: ${Object.keys(samples).join(', ')}`);
  process.exit(2);
}

const { path: routePath, build } = samples[provider];
const req = build(devVars(), Math.floor(Date.now() / 1000));
console.log(`POST ${base}${routePath}`);
for (const [k, v] of Object.entries(req.headers)) console.log(`  ${k}: ${v}`);
let res;
try {
  res = await fetch(base + routePath, { method: 'POST', headers: req.headers, body: req.body });
} catch (e) {
  console.error(`cannot reach ${base}: is \`npm start\` running? (${e.cause?.code || e.message})`);
  process.exit(1);
}
console.log(`\n<- ${res.status} ${res.headers.get('content-type')}\n${await res.text()}`);
if (!res.ok) process.exit(1);
// The sink is filled by the queue consumer a moment later.
for (let i = 0; i < 40; i++) {
  await new Promise((r) => setTimeout(r, 250));
  const sink = await (await fetch(`${base}/__demo/origin`)).json();
  const hit = sink.received.find((e) => e.body?.provider === samples[provider].name || e['webhook-id'] === req.id);
  if (hit) {
    console.log(`\ndemo origin received it (signature ${hit.signature}):\n${JSON.stringify(hit.body, null, 2)}`);
    process.exit(0);
  }
}
console.error('\nthe demo origin has not received it yet; see the wrangler dev log');
process.exit(1);
