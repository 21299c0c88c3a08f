// The npm package as a user gets it: the tarball `npm pack` made (scripts/build-package.sh)
// installed into a fresh temporary project, then imported in Node (no flags, no fetch),
// type-checked with tsc, bundled by esbuild into a page, and loaded by a plain
// <script type="module">, both in headless Chromium. Each verifies a published vector.
// Build first: bash scripts/build-package.sh
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveStatic, launchBrowser, root } from './util.mjs';

const outDir = path.join(root, 'target/package');
const crateVersion = /^version = "(.*)"$/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
const tarball = path.join(outDir, `edgehook-wasm-${crateVersion}.tgz`);
const vector = (rel) => fs.readFileSync(path.join(root, 'tests/vectors', rel), 'utf8');

// Standard Webhooks' published sign vector (standard-webhooks/standard-webhooks
// libraries/javascript/src/webhook.test.ts), as tests/vectors/standard-webhooks/ has it.
const SW = JSON.parse(vector('standard-webhooks/vectors.json'));
const swCase = SW.cases.find((c) => c.origin === 'published' && c.expect === 'accepted');
const swInput = {
  provider: 'standard-webhooks', secrets: swCase.secret, now_ms: swCase.timestamp * 1000,
  request: {
    headers: { 'webhook-id': swCase.id, 'webhook-timestamp': String(swCase.timestamp), 'webhook-signature': swCase.signature },
    body: vector(`standard-webhooks/${swCase.body_file}`),
  },
};
// SIBS's published decryption sample (docs.pay.sibs.com webhooks examples).
const sibsCase = JSON.parse(vector('sibs/vectors.json')).cases.find((c) => c.origin === 'published' && c.key);
// The same request with one changed byte of the body: the gateway must refuse it.
const swTampered = structuredClone(swInput);
swTampered.request.body = swTampered.request.body.replace('2', '3');

/** What each consumer (Node script, bundled page, plain module page) runs and reports. */
const CHECKS = `
  const before = { explain: explain(${JSON.stringify(swInput)}).error?.code, version: version() ?? null };
  await init();
  const ok = explain(${JSON.stringify(swInput)});
  const bad = explain(${JSON.stringify(swTampered)});
  const signed = sign({ provider: 'stripe', secrets: 'whsec_test_secret', payload: '{"id":"evt_1"}', now_s: 12345, gateway_url: 'http://127.0.0.1:9/hooks/stripe' });
  const back = explain({ provider: 'stripe', secrets: 'whsec_test_secret', now_ms: 12345000, request: { headers: signed.headers, body: signed.body.text } });
  const report = {
    before, version: version(), providers: providers().providers,
    ok: { verdict: ok.verdict, steps: ok.steps.map((s) => s.id + ':' + s.status), id: ok.event?.id },
    bad: { verdict: bad.verdict, code: bad.error?.code, hints: bad.hints.length },
    signed: signed.ok, back: back.verdict, raw: parse_raw_http('POST /x HTTP/1.1\\r\\nA: 1\\r\\n\\r\\nhi').body,
  };
`;

function checkReport(r, where) {
  assert.deepEqual(r.before, { explain: 'not_initialized', version: null }, `${where}: before init()`);
  assert.equal(r.version, crateVersion, where);
  assert.ok(r.providers.includes('standard-webhooks') && r.providers.length >= 9, `${where}: ${r.providers}`);
  assert.equal(r.ok.verdict, 'valid', `${where}: the published vector verifies`);
  assert.deepEqual(r.ok.steps.filter((s) => /^(signature|timestamp)/.test(s)), ['signature:ok', 'timestamp:ok'], where);
  assert.equal(r.ok.id, swCase.id, where);
  assert.deepEqual({ ...r.bad, hints: r.bad.hints > 0 }, { verdict: 'invalid', code: 'signature_mismatch', hints: true }, where);
  assert.equal(r.signed, true, where);
  assert.equal(r.back, 'valid', `${where}: sign() then explain() round trip`);
  assert.equal(r.raw, 'hi', where);
}

let project;
before(() => {
  assert.ok(fs.existsSync(tarball), `${tarball} is missing: run bash scripts/build-package.sh`);
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'edgehook-pkg-'));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
});
after(() => { if (project) fs.rmSync(project, { recursive: true, force: true }); });

test('the tarball holds the API, its types, both wasm modules, the README and the license', () => {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  for (const f of ['LICENSE', 'README.md', 'package.json', 'index.js', 'node.js', 'api.js', 'index.d.ts', 'pkg/edgehook_bg.wasm', 'pkg/edgehook_signer_bg.wasm', 'pkg/edgehook.js', 'pkg/edgehook_signer.js'])
    assert.ok(files.includes(`package/${f}`), f);
  const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/edgehook-wasm/package.json'), 'utf8'));
  assert.equal(pkg.version, crateVersion);
  assert.equal(pkg.license, 'MIT');
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'node', 'default']);
  const readme = fs.readFileSync(path.join(project, 'node_modules/edgehook-wasm/README.md'), 'utf8');
  assert.match(readme, /## Versions \(semver\)/);
  const example = /```js\n([\s\S]*?)```/.exec(readme)[1].trim().split('\n');
  assert.ok(example.length <= 10, `the README's first example is ${example.length} lines`);
});

test('Node: the installed package, imported with no flags, verifies a published vector without fetch', () => {
  // The README's first example, run as written, then the shared checks.
  const readme = fs.readFileSync(path.join(project, 'node_modules/edgehook-wasm/README.md'), 'utf8');
  fs.writeFileSync(path.join(project, 'readme-example.mjs'), /```js\n([\s\S]*?)```/.exec(readme)[1]);
  const printed = execFileSync(process.execPath, ['readme-example.mjs'], { cwd: project, encoding: 'utf8' });
  assert.match(printed, /^valid /, printed);
  fs.writeFileSync(path.join(project, 'node-check.mjs'), `
    globalThis.fetch = () => { throw new Error('the package fetched in Node'); };
    import { init, explain, sign, decrypt_sibs, parse_raw_http, providers, version } from 'edgehook-wasm';
    ${CHECKS}
    const sibs = decrypt_sibs(${JSON.stringify((({ key, iv, tag, body }) => ({ key, iv, tag, body }))(sibsCase))});
    report.sibs = { verdict: sibs.verdict, plaintext: sibs.plaintext?.text };
    process.stdout.write(JSON.stringify(report));
  `);
  const out = JSON.parse(execFileSync(process.execPath, ['node-check.mjs'], { cwd: project, encoding: 'utf8' }));
  checkReport(out, 'node');
  assert.deepEqual(out.sibs, { verdict: 'valid', plaintext: vector(`sibs/${sibsCase.plaintext_file}`) }, 'SIBS docs sample decrypts');
});

test('Node: init({ signer: false }) leaves sign() answering not_initialized until initSigner()', () => {
  fs.writeFileSync(path.join(project, 'lazy.mjs'), `
    import { init, initSigner, sign, providers } from 'edgehook-wasm';
    await init({ signer: false });
    const a = sign({ provider: 'stripe', secrets: 'whsec_x', payload: '{}' });
    await initSigner();
    const b = sign({ provider: 'stripe', secrets: 'whsec_x', payload: '{}' });
    process.stdout.write(JSON.stringify({ a: a.error?.code, b: b.ok, p: providers().ok }));
  `);
  const out = JSON.parse(execFileSync(process.execPath, ['lazy.mjs'], { cwd: project, encoding: 'utf8' }));
  assert.deepEqual(out, { a: 'not_initialized', b: true, p: true });
});

test('TypeScript: the declarations type a consumer, and reject a wrong call', () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [] },
    files: ['consumer.ts'],
  }));
  fs.writeFileSync(path.join(project, 'consumer.ts'), `
    import { init, explain, sign, type Explanation, type Signed } from 'edgehook-wasm';
    await init({ signer: false });
    const r = explain({ provider: 'stripe', secrets: 'whsec_x', request: { headers: [['Stripe-Signature', 't=1,v1=00']], body: '{}' } });
    if (r.ok) { const e: Explanation = r; const v: 'valid' | 'invalid' | 'handshake' = e.verdict; void v; }
    else { const code: string = r.error.code; void code; }
    const s = sign({ provider: 'stripe', secrets: 'whsec_x', payload: '{}' });
    if (s.ok) { const x: Signed = s; const curl: string = x.curl; void curl; }
    // @ts-expect-error request is required
    explain({ provider: 'stripe', secrets: 'whsec_x' });
    // @ts-expect-error verdict is a closed set
    if (r.ok && r.verdict === 'maybe') {}
  `);
  execFileSync(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8' });
  // The check can fail: a misuse without @ts-expect-error is reported.
  fs.writeFileSync(path.join(project, 'consumer.ts'), `import { explain } from 'edgehook-wasm';\nexplain({ provider: 1 });\n`);
  assert.throws(() => execFileSync(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8', stdio: 'pipe' }),
    (e) => /consumer\.ts\(2,\d+\): error TS2322/.test(e.stdout) || assert.fail(e.stdout));
});

test('headless Chromium: an esbuild bundle of a page importing the package, and a plain module page', async () => {
  const esbuild = await import('esbuild');
  const site = path.join(project, 'site');
  fs.mkdirSync(path.join(site, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(project, 'page.js'), `
    import { init as initPackage, explain, sign, parse_raw_http, providers, version } from 'edgehook-wasm';
    import wasm from 'edgehook-wasm/edgehook_bg.wasm';
    import signerWasm from 'edgehook-wasm/edgehook_signer_bg.wasm';
    const init = () => initPackage({ wasm, signerWasm });
    const run = async () => {
      ${CHECKS}
      return report;
    };
    run().then((r) => { window.report = r; }, (e) => { window.report = { error: String(e) }; });
  `);
  await esbuild.build({
    absWorkingDir: project, entryPoints: ['page.js'], bundle: true, format: 'esm', platform: 'browser',
    outdir: path.join(site, 'dist'), loader: { '.wasm': 'file' }, publicPath: '/dist', logLevel: 'error',
  });
  const bundled = fs.readFileSync(path.join(site, 'dist/page.js'), 'utf8');
  assert.ok(!bundled.includes('node:fs'), 'the browser bundle does not carry the Node entry');
  fs.writeFileSync(path.join(site, 'bundled.html'), '<!doctype html><title>bundle</title><script type="module" src="/dist/page.js"></script>');
  // No bundler: the installed package served as static files, imported by path.
  fs.cpSync(path.join(project, 'node_modules/edgehook-wasm'), path.join(site, 'edgehook-wasm'), { recursive: true });
  fs.writeFileSync(path.join(site, 'plain.html'), `<!doctype html><title>plain</title><script type="module">
    import { init, explain, sign, parse_raw_http, providers, version } from './edgehook-wasm/index.js';
    (async () => { ${CHECKS} return report; })().then((r) => { window.report = r; }, (e) => { window.report = { error: String(e) }; });
  </script>`);

  const srv = await serveStatic(site);
  const browser = await launchBrowser();
  try {
    for (const name of ['bundled', 'plain']) {
      const page = await browser.context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${srv.url}/${name}.html`);
      await page.waitForFunction(() => window.report, null, { timeout: 20000 });
      const r = await page.evaluate(() => window.report);
      assert.equal(r.error, undefined, `${name}: ${r.error}`);
      checkReport(r, name);
      assert.deepEqual(errors, [], name);
      await page.close();
    }
    const wasmLoads = srv.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path);
    assert.ok(wasmLoads.some((p) => p.startsWith('/dist/')), `bundled page loaded esbuild's asset copies: ${wasmLoads}`);
    assert.ok(wasmLoads.includes('/edgehook-wasm/pkg/edgehook_bg.wasm'), `plain page loaded the package's own: ${wasmLoads}`);
  } finally {
    await browser.close();
    await srv.close();
  }
});
