#!/usr/bin/env node
// `npm run check-config [-- --config wrangler.toml] [--secrets .dev.vars | --env-secrets]`
// Validates EDGEHOOK_ROUTES before deploy: first against edgehook.schema.json (structure,
// located as routes[i].field), then with the gateway's own parser over the secrets (missing
// bindings, malformed keys), exactly as the worker would at start-up. Secret values are
// never printed. --env-secrets reads secrets from the environment (CI).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { unstable_readConfig } from 'wrangler';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const configPath = path.resolve(opt('--config', path.join(root, 'wrangler.toml')));
const secretsPath = path.resolve(opt('--secrets', path.join(path.dirname(configPath), '.dev.vars')));
const fromEnv = args.includes('--env-secrets');

function fail(msg) { console.error(`config_invalid: ${msg}`); process.exit(1); }

const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
let routesText = config.vars?.EDGEHOOK_ROUTES;
if (routesText === undefined) fail(`EDGEHOOK_ROUTES: not set in [vars] of ${configPath}`);
if (typeof routesText !== 'string') routesText = JSON.stringify(routesText);
let routes;
try { routes = JSON.parse(routesText); } catch (e) { fail(`EDGEHOOK_ROUTES: not JSON (${e.message})`); }

const schema = JSON.parse(fs.readFileSync(path.join(root, 'edgehook.schema.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
if (!validate(routes)) {
  const where = (p) => 'routes' + p.replace(/^\/(\d+)/, '[$1]').replace(/\//g, '.');
  const seen = new Set();
  for (const e of validate.errors) {
    if (['if', 'allOf', 'anyOf'].includes(e.keyword)) continue;
    const line = `${where(e.instancePath)}: ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''}`;
    if (!seen.has(line)) { seen.add(line); console.error(`config_invalid: ${line}`); }
  }
  process.exit(1);
}

const secrets = {};
if (fromEnv) {
  for (const [k, v] of Object.entries(process.env)) secrets[k] = v;
} else if (fs.existsSync(secretsPath)) {
  const text = fs.readFileSync(secretsPath, 'utf8');
  for (const m of text.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(.*?))\s*$/gm)) {
    secrets[m[1]] = m[2] !== undefined ? m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"') : (m[3] ?? m[4]);
  }
} else {
  console.error(`note: no ${path.relative(process.cwd(), secretsPath)}; checking structure only (pass --secrets FILE or --env-secrets)`);
  console.log(`ok  ${routes.length} route(s), structure valid`);
  process.exit(0);
}

const run = spawnSync('cargo', ['run', '--quiet', '--features', 'cli', '--bin', 'edgehook-check-config'], {
  cwd: root,
  input: JSON.stringify({ routes: routesText, secrets }),
  encoding: 'utf8',
});
process.stdout.write(run.stdout || '');
if (run.status !== 0) {
  process.stderr.write(run.stderr || '');
  process.exit(run.status ?? 1);
}
console.log(`ok  ${routes.length} route(s) valid with the secrets from ${fromEnv ? 'the environment' : path.relative(process.cwd(), secretsPath)}`);
