// The demo default (wrangler.toml routes + .dev.vars secrets) re-pointed at a test origin,
// so suites exercise every provider the repo ships without restating their config.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function demoRoutes() {
  const toml = fs.readFileSync(path.join(root, 'wrangler.toml'), 'utf8');
  const m = toml.match(/EDGEHOOK_ROUTES\s*=\s*'''([\s\S]*?)'''/);
  if (!m) throw new Error('EDGEHOOK_ROUTES not found in wrangler.toml');
  return JSON.parse(m[1]);
}

export function devVars() {
  const vars = {};
  const text = fs.readFileSync(path.join(root, '.dev.vars'), 'utf8');
  for (const m of text.matchAll(/^([A-Z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"/gm)) vars[m[1]] = m[2].replace(/\\n/g, '\n');
  return vars;
}

/** Demo routes with `origin` replaced and extra route options merged in. */
export function routesTo(originUrl, extra = {}) {
  return demoRoutes().map((r) => ({ ...r, origin: originUrl, ...extra }));
}
