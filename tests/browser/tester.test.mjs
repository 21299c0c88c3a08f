// The payload tester page (www/) in headless Chromium (Debian's, via playwright-core):
// every provider's example verifies, one changed byte fails precisely, SIBS decrypts, and a
// request signed in the page is accepted by the real worker (workerd, tests/e2e/harness.mjs).
// Screenshots go to test-artifacts/browser/.
// Build first: bash scripts/build-www.sh --no-site; EDGEHOOK_BUILD_DIR=<dir> bash scripts/build-worker.sh
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serveStatic, launchBrowser, openTester, screenshot, root, changeOneByte } from './util.mjs';
import { EXAMPLES, PROVIDERS } from '../../www/examples.js';
import { startOrigin, startGateway, waitFor, verifyForward } from '../e2e/harness.mjs';
import { routesTo, devVars } from '../e2e/demo-config.mjs';

let srv, browser, page, errors;
const offsite = [];

before(async () => {
  srv = await serveStatic();
  browser = await launchBrowser();
  browser.context.on('request', (r) => { if (!r.url().startsWith(srv.url) && !r.url().startsWith('data:')) offsite.push(r.url()); });
  ({ page, errors } = await openTester(browser.context, srv.url));
});
after(async () => { await browser?.close(); await srv?.close(); });

const verdict = () => page.$eval('#verdict', (v) => ({ ...v.dataset, text: v.textContent }));

async function loadExample(p) {
  await page.click(`[data-example="${p}"]`);
  await page.waitForSelector(`#verify-result #verdict[data-provider="${p}"]`);
}

async function verifyNow() {
  await page.click('#verify-form button[type="submit"]');
  await page.waitForSelector('#verify-result #verdict');
}

test('every provider: the example shows "valid"; one changed byte shows the precise failure', async (t) => {
  const providers = await page.$$eval('[data-example]', (b) => b.map((x) => x.dataset.example));
  assert.deepEqual([...providers].sort(), Object.keys(EXAMPLES).sort(), 'one example button per provider');
  for (const p of providers) {
    await t.test(p, async () => {
      await loadExample(p);
      const ok = await verdict();
      assert.equal(ok.verdict, 'valid', ok.text);
      assert.match(ok.text, /^✓ valid/);
      const stepIds = await page.$$eval('.step', (s) => s.map((x) => `${x.dataset.step}:${x.dataset.status}`));
      assert.ok(stepIds.includes(p === 'sibs' ? 'decrypt:ok' : 'signature:ok'), stepIds.join(' '));
      assert.ok(stepIds.includes('normalize:ok'), stepIds.join(' '));
      assert.ok(await page.isVisible('#event-json'));
      if (EXAMPLES[p].now) assert.ok(await page.isVisible('#clock-note'), 'pinned clock is shown');
      if (p === 'worldline') await screenshot(page, 'valid-worldline');

      const body = await page.inputValue('#v-body');
      await page.fill('#v-body', changeOneByte(body));
      await verifyNow();
      const bad = await verdict();
      const code = p === 'sibs' ? 'decryption_failed' : 'signature_mismatch';
      assert.equal(bad.verdict, 'invalid', bad.text);
      assert.equal(bad.code, code);
      assert.match(bad.text, new RegExp(`invalid: ${code}.*HTTP 401`));
      const failed = await page.$eval('.step-fail', (s) => s.dataset.step);
      assert.equal(failed, p === 'sibs' ? 'decrypt' : 'signature');
      assert.ok(await page.isVisible('.hints li'), 'a plain-words reason is shown');
      if (p !== 'sibs') {
        const row = await page.$$eval('table.sigs tr.nomatch', (r) => r.length);
        assert.ok(row >= 1, 'computed signature shown next to the received one');
      }
      if (p === 'worldline') await screenshot(page, 'failure-worldline-one-byte');
    });
  }
});

test('the likely reason is named: Stripe secret without whsec_, CRLF body, clock skew', async () => {
  await loadExample('stripe');
  await page.fill('#v-secrets', 'test_secret');
  await verifyNow();
  let v = await verdict();
  assert.equal(v.code, 'signature_mismatch');
  assert.match(await page.textContent('.hints'), /matches the secret with a whsec_ prefix/);
  await screenshot(page, 'failure-stripe-whsec-dropped');

  await loadExample('everifin');
  await page.check('input[name="clock"][value="now"]');
  await verifyNow();
  v = await verdict();
  assert.equal(v.code, 'stale_timestamp');
  assert.match(await page.textContent('.hints'), /The signature is valid, but it was made .* ago/);
  assert.equal(await page.$eval('[data-step="timestamp"]', (s) => s.dataset.status), 'fail');

  // A body with CRLF line endings, from a file (text fields turn CRLF into LF).
  await loadExample('worldline');
  const crlf = path.join(root, 'test-artifacts', 'browser', 'crlf-body.json');
  fs.mkdirSync(path.dirname(crlf), { recursive: true });
  fs.writeFileSync(crlf, EXAMPLES.worldline.request.body.replace(/\n/g, '\r\n'));
  await page.setInputFiles('#v-body-file', crlf);
  await page.waitForSelector('#verify-result #verdict[data-code="signature_mismatch"]');
  assert.match(await page.textContent('.hints'), /CRLF line endings turned into LF/);
  assert.ok(await page.$('pre.content .inv.cr'), 'CR characters are made visible');
  await screenshot(page, 'failure-worldline-crlf');
});

test('raw HTTP request and pasted route config modes', async () => {
  const ex = EXAMPLES.worldline;
  const raw = `POST /hooks/wl HTTP/1.1\nHost: shop.example\n${ex.request.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${ex.request.body}`;
  await page.check('input[name="route-mode"][value="config"]');
  await page.fill('#v-route', JSON.stringify([{ path: '/hooks/wl', provider: 'worldline', secrets: ['WL_OLD', 'WL'], origin: 'https://shop.example/in' }]));
  await page.fill('#v-bindings', 'WL_OLD=old-id:old-secret\nWL=dummy-key-id:hello+world');
  await page.check('input[name="req-mode"][value="raw"]');
  await page.fill('#v-raw', raw);
  await page.check('input[name="clock"][value="now"]');
  await verifyNow();
  const v = await verdict();
  assert.equal(v.verdict, 'valid', v.text);
  assert.match(v.text, /worldline on \/hooks\/wl, key dummy-key-id/);
  assert.match(await page.textContent('#v-raw-notes'), /POST \/hooks\/wl · 4 header\(s\)/);
  await page.check('input[name="route-mode"][value="provider"]');
  await page.check('input[name="req-mode"][value="parts"]');
});

test('decrypt: the SIBS example opens to its plaintext; a wrong tag says why not', async () => {
  await page.click('#tab-decrypt');
  await page.click('#d-example');
  await page.waitForSelector('#decrypt-result #plaintext');
  const text = await page.textContent('#decrypt-result #plaintext');
  const plain = fs.readFileSync(path.join(root, 'tests/vectors/sibs/docs-plaintext.json'), 'utf8');
  assert.deepEqual(JSON.parse(text), JSON.parse(plain));
  assert.match(text, /"value": 2\.0/, 'numbers shown as sent');
  assert.equal((await page.$eval('#decrypt-result #verdict', (v) => v.dataset.verdict)), 'valid');
  await screenshot(page, 'decrypt-sibs');
  await page.fill('#d-tag', 'FEajWHmZjP4A5qaa1G0kxw==');
  await page.click('#decrypt-form button[type="submit"]');
  await page.waitForSelector('#decrypt-result #verdict[data-code="decryption_failed"]');
  assert.match(await page.textContent('#decrypt-result .hints'), /tag does not verify/);
  assert.equal(await page.$('#decrypt-result #plaintext'), null);
});

test('verifying, explaining and decrypting never download the signer module', () => {
  const paths = srv.requests.map((r) => r.path);
  assert.ok(paths.includes('/pkg/edgehook_bg.wasm'), paths.join(' '));
  assert.ok(!paths.some((p) => p.includes('edgehook_signer')), paths.join(' '));
});

test('sign in the page, send from node: the running worker accepts every provider', async (t) => {
  const origin = await startOrigin();
  const vars = devVars();
  const gw = await startGateway({ routes: routesTo(`${origin.url}/events`), secrets: vars });
  try {
    await page.click('#tab-sign');
    const providers = await page.$$eval('#s-provider option', (o) => o.map((x) => x.value));
    for (const p of providers) {
      await t.test(p, async () => {
        await page.selectOption('#s-provider', p);
        await page.fill('#s-url', gw.url);
        await page.click('#sign-form button[type="submit"]');
        await page.waitForSelector('#sign-result #sign-headers');
        const headers = await page.$$eval('#sign-headers tbody tr', (rows) => rows.map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent]));
        const body = Buffer.from(await page.$eval('#sign-body', (b) => b.dataset.base64), 'base64');
        const curl = await page.textContent('#sign-curl');
        assert.ok(curl.startsWith(`curl -sS -i -X POST '${gw.url}/`), curl);
        const url = curl.match(/-X POST '([^']+)'/)[1];
        const res = await fetch(url, { method: 'POST', headers, body });
        const text = await res.text();
        assert.equal(res.status, 200, `${p}: ${text}`);
        const got = await waitFor(() => origin.delivered().find((e) => e.headers['x-edgehook-provider'] === p));
        assert.ok(got, `${p}: forwarded to the origin`);
        const ev = verifyForward(got, vars.DEMO_ORIGIN_SECRET);
        assert.equal(ev.provider, p);
        if (p === 'worldline') await screenshot(page, 'signer-worldline');
        // The page verifies its own request too.
        await page.click('#sign-verify');
        await page.waitForSelector(`#verify-result #verdict[data-provider="${p}"]`);
        assert.equal((await verdict()).verdict, 'valid');
        await page.click('#tab-sign');
      });
    }
  } finally {
    await gw.dispose();
    await origin.close();
  }
  // The signer's defaults are the npm start demo secrets, so its curl works there as is.
  for (const [p, info] of Object.entries(PROVIDERS)) {
    const route = routesTo('/x').find((r) => r.provider === p);
    if (!route) continue;
    assert.equal(info.demoSecrets ?? EXAMPLES[p].secrets, vars[route.secrets[0]], `${p}: examples.js demo secret = .dev.vars`);
    assert.equal(info.demoPath ?? `/hooks/${p}`, route.path, `${p}: demo path`);
  }
});

test('usable by keyboard, labelled, phone-width and dark', async () => {
  const unlabelled = await page.$$eval('input, textarea, select', (els) => els
    .filter((e) => e.type !== 'radio' && e.type !== 'checkbox' ? e.labels.length === 0 && !e.getAttribute('aria-label') : e.closest('label') === null)
    .map((e) => e.id || e.name));
  assert.deepEqual(unlabelled, []);
  await page.focus('#tab-verify');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-decrypt', 'aria-selected'), 'true');
  assert.ok(await page.isVisible('#panel-decrypt'));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-decrypt');
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('#tab-sign', 'aria-selected'), 'true');
  await page.keyboard.press('Home');
  assert.ok(await page.isVisible('#panel-verify'));

  const phone = await launchBrowser({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  try {
    const { page: p2, errors: e2 } = await openTester(phone.context, srv.url);
    await p2.click('[data-example="everifin"]');
    await p2.waitForSelector('#verdict[data-verdict="valid"]');
    const overflow = await p2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at 390 px (overflow ${overflow}px)`);
    const bg = await p2.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(19, 20, 23)', 'dark by prefers-color-scheme');
    await screenshot(p2, 'phone-dark-everifin');
    await screenshot(p2, 'phone-dark-everifin-top', { clip: { x: 0, y: 0, width: 390, height: 1400 } });
    const y = await p2.$eval('[data-step="signature"]', (s) => s.getBoundingClientRect().top + window.scrollY);
    await screenshot(p2, 'phone-dark-everifin-signature', { clip: { x: 0, y, width: 390, height: 1400 } });
    assert.deepEqual(e2, []);
  } finally { await phone.close(); }
});

test('nothing leaves the page: every request went to the page\'s own server', () => {
  assert.deepEqual(offsite, []);
  const paths = new Set(srv.requests.map((r) => r.path));
  assert.ok(paths.has('/pkg/edgehook_signer_bg.wasm'), 'the Sign tab loaded the signer module');
  for (const p of paths) assert.match(p, /^\/(|index\.html|app\.js|render\.js|examples\.js|style\.css|pkg\/edgehook(_signer)?\.js|pkg\/edgehook(_signer)?_bg\.wasm)$/, p);
  assert.ok(srv.requests.every((r) => r.method === 'GET'));
  assert.deepEqual(errors, []);
});
