// The operator console (www/console/) in headless Chromium (Debian's, via playwright-core),
// against the real worker with miniflare's D1: connect with the token, search by merchant
// reference, open the event, resend it and see the new attempt; phone width in dark mode;
// a wrong token shows nothing. Screenshots go to test-artifacts/browser/.
// The page is served as in production: /__edgehook/console/ static, /__edgehook/* the worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, screenshot, root } from './util.mjs';
import { startOrigin, startGateway, waitFor, post } from '../e2e/harness.mjs';
import { routesTo, devVars } from '../e2e/demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';

const ADMIN = 'browser-console-admin-token';
const vars = devVars();
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
let origin, gw, site, browser;
const refs = ['order-A1', 'order-B2', 'order-C3'];
const ids = {};

/** The console's files and the worker on one origin, as wrangler's assets + worker serve them. */
async function serveSite(workerUrl) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = url.pathname === '/__edgehook/console/style.css' ? path.join(root, 'www/style.css')
      : url.pathname.startsWith('/__edgehook/console/') ? path.join(root, 'www/console', url.pathname.slice('/__edgehook/console/'.length) || 'index.html')
        : null;
    if (file) {
      if (!file.startsWith(path.join(root, 'www'))) { res.writeHead(403).end(); return; }
      fs.readFile(file, (err, data) => {
        if (err) { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(data);
      });
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const r = await fetch(workerUrl + req.url, { method: req.method, headers: { authorization: req.headers.authorization ?? '' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

before(async () => {
  origin = await startOrigin(() => ({ status: 200 }));
  gw = await startGateway({
    routes: routesTo(`${origin.url}/in`, { origin_secret: 'DEMO_ORIGIN_SECRET', timeout_ms: 2000 }),
    secrets: { ...vars, EDGEHOOK_ADMIN_TOKEN: ADMIN },
    d1: true,
  });
  const w = samples.worldline;
  for (const [i, ref] of refs.entries()) {
    const req = w.build(vars, Math.floor(Date.now() / 1000), i, {
      payment: { id: `pay_${ref}`, status: 'PAID', paymentOutput: { amountOfMoney: { amount: 1000 + i, currencyCode: 'EUR' }, references: { merchantReference: ref }, paymentMethod: 'card' } },
    });
    const res = await post(gw.url + w.path, req.body, req.headers);
    assert.equal(res.status, 200, res.text);
    ids[ref] = req.id;
  }
  const delivered = await waitFor(async () => {
    const r = await fetch(`${gw.url}/__edgehook/events?state=delivered`, { headers: { authorization: `Bearer ${ADMIN}` } });
    return (await r.json()).count === refs.length;
  }, 20000, 100);
  assert.ok(delivered, 'the events are delivered and logged');
  site = await serveSite(gw.url);
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await site?.close(); await gw?.dispose(); await origin?.close(); });

async function openConsole(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${site.url}/__edgehook/console/`);
  return { page, errors };
}

test('search by merchant reference, open the event, resend it, see the new attempt (keyboard only)', async () => {
  const { page, errors } = await openConsole(browser.context);
  // Keyboard: type the token and press Enter, search with Enter, open with Enter.
  await page.focus('#token');
  await page.keyboard.type(ADMIN);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#app:not([hidden])');
  assert.equal(await page.$eval('#token', (i) => i.value), '', 'the token leaves the input (kept in memory only)');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0, 'nothing stored');
  assert.equal(await page.locator('#events tbody tr').count(), refs.length);
  await screenshot(page, 'console-events');

  await page.selectOption('#since', '3600000');
  await page.click('#filters button[type="submit"]');
  await page.waitForFunction((n) => document.querySelectorAll('#events tbody tr').length === n, refs.length);
  await page.focus('#q');
  await page.keyboard.type('order-B2');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 1);
  const row = await page.textContent('#events tbody tr');
  assert.match(row, /order-B2/);
  assert.match(row, /pay_order-B2/);
  assert.match(row, /delivered/);

  await page.focus('#events tbody tr button.link');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#detail:not([hidden])');
  const fields = await page.textContent('#detail-fields');
  assert.match(fields, new RegExp(ids['order-B2']));
  assert.match(fields, /order-B2/);
  assert.equal(await page.locator('#attempts tbody tr').count(), 1);
  assert.match(await page.textContent('#attempts tbody tr'), /200/);
  assert.match(await page.textContent('#normalized'), /"merchant_reference": "order-B2"/);

  const before = origin.delivered().filter((e) => e.headers['webhook-id'] === ids['order-B2']).length;
  await page.focus('#resend');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#detail[data-attempts="2"][data-state="delivered"]', { timeout: 20000 });
  const attempts = await page.$$eval('#attempts tbody tr', (trs) => trs.map((t) => [...t.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(attempts.length, 2);
  assert.equal(attempts[1][0], '1', 'the resend is chain 1');
  assert.equal(attempts[1][3], '200');
  assert.equal(origin.delivered().filter((e) => e.headers['webhook-id'] === ids['order-B2']).length, before + 1, 'the origin got it again');
  await screenshot(page, 'console-resent');

  // Rejection counts are shown (none yet on this gateway).
  assert.match(await page.textContent('#stats-rejections'), /none|signature/);
  assert.match(await page.textContent('#stats-events'), /\/hooks\/worldline/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a wrong token shows nothing of the log', async () => {
  const { page } = await openConsole(browser.context);
  await page.fill('#token', 'not-the-token');
  await page.click('#login button[type="submit"]');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /refused/);
  assert.ok(await page.$eval('#app', (a) => a.hidden));
  assert.ok(!(await page.content()).includes('order-A1'));
  await page.close();
});

test('phone width, dark mode: readable, no sideways scrolling', async () => {
  const phone = await launchBrowser({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  try {
    const { page, errors } = await openConsole(phone.context);
    await page.fill('#token', ADMIN);
    await page.click('#login button[type="submit"]');
    await page.waitForSelector('#app:not([hidden])');
    await page.click('#events tbody tr button.link');
    await page.waitForSelector('#detail:not([hidden])');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `sideways overflow of ${overflow}px`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(bg, 'rgb(251, 251, 250)', 'dark colours in dark mode');
    await screenshot(page, 'console-phone-dark');
    assert.deepEqual(errors, []);
  } finally {
    await phone.close();
  }
});
