// `npm run check-config`: structure errors from the schema and secret errors from the
// gateway's own parser, each located as routes[i].field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const script = path.resolve('scripts/check-config.mjs');

function check(routes, devVars) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgehook-cc-'));
  fs.writeFileSync(path.join(dir, 'wrangler.toml'), `name = "t"\nmain = "x.js"\ncompatibility_date = "2026-04-20"\n[vars]\nEDGEHOOK_ROUTES = '''${JSON.stringify(routes)}'''\n`);
  if (devVars !== undefined) fs.writeFileSync(path.join(dir, '.dev.vars'), devVars);
  const r = spawnSync(process.execPath, [script, '--config', path.join(dir, 'wrangler.toml')], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: r.status, out: r.stdout + r.stderr };
}

const wl = { path: '/wl', provider: 'worldline', secrets: ['WL'], origin: 'https://shop.example/in' };

test('a valid config with its secrets passes', () => {
  const r = check([wl], 'WL="k1:secret"\n');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /ok\s+\/wl\s+worldline/);
});

test('schema errors name the route index and field', () => {
  const r = check([wl, { ...wl, path: '/x', provider: 'paypal', forward: 'xml' }], 'WL="k1:s"\n');
  assert.equal(r.code, 1);
  assert.match(r.out, /routes\[1\]\.provider/);
  assert.match(r.out, /routes\[1\]\.forward/);
  const r2 = check([{ ...wl, bogus: 1 }], 'WL="k1:s"\n');
  assert.match(r2.out, /routes\[0\]: must NOT have additional properties \(bogus\)/);
});

test('a missing secret binding or a malformed key fails like the worker would', () => {
  let r = check([wl], 'OTHER="x"\n');
  assert.equal(r.code, 1);
  assert.match(r.out, /config_invalid: routes\[0\]\.secrets\[0\]: secret binding WL is not set/);
  r = check([{ path: '/s', provider: 'sibs', secrets: ['K'], origin: '/o' }], 'K="c2hvcnQ="\n');
  assert.equal(r.code, 1);
  assert.match(r.out, /routes\[0\]\.secrets/);
  r = check([{ ...wl, origin_secret: 'O' }], 'WL="k:s"\nO="not-whsec"\n');
  assert.match(r.out, /routes\[0\]\.origin_secret/);
  assert.ok(!r.out.includes('not-whsec'), 'the secret value is never printed');
});

test('duplicate paths are caught', () => {
  const r = check([wl, wl], 'WL="k:s"\n');
  assert.equal(r.code, 1);
  assert.match(r.out, /routes\[1\]\.path: duplicate path \/wl/);
});
