// Shared by the browser tests: a tiny static server for www/ and Debian's Chromium driven
// by playwright-core (never a downloaded browser build).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const www = path.join(root, 'www');
export const artifacts = path.join(root, 'test-artifacts', 'browser');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.ts': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8', '.png': 'image/png' };

/** Serves `dir` on 127.0.0.1:<random port>; records every request path. */
export async function serveStatic(dir = www) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ method: req.method, path: url.pathname });
    let p = path.normalize(path.join(dir, decodeURIComponent(url.pathname)));
    if (!p.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (p.endsWith(path.sep)) p = path.join(p, 'index.html');
    fs.readFile(p, (err, data) => {
      if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(p)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(data);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless Chromium with a fresh profile; returns {context, close}. */
export async function launchBrowser({ viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh browser (apt-get install chromium)`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgehook-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    colorScheme,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    context,
    close: async () => { await context.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); },
  };
}

/** Opens the tester and waits until the wasm is loaded. */
export async function openTester(context, baseUrl) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return { page, errors };
}

export async function screenshot(page, name, opts = {}) {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, ...opts });
  return file;
}

/** Changes one character of the body (a letter or digit two thirds in), keeping its class so
 *  JSON, form and base64 bodies stay well-formed. In a form body only values change: Lyra's
 *  form signature covers the values in name order, not the names, so renaming a field to one
 *  that sorts the same is not a change of signed content. */
export function changeOneByte(body) {
  const form = /^[\w.-]+=/.test(body) && !body.trimStart().startsWith('{');
  const inName = (j) => form && body.lastIndexOf('=', j) <= body.lastIndexOf('&', j);
  for (let i = Math.floor(body.length * 2 / 3); i < body.length + body.length; i++) {
    const j = i % body.length;
    if (inName(j)) continue;
    const c = body[j];
    let d;
    if (/[0-8]/.test(c)) d = String(Number(c) + 1);
    else if (/[a-y]/.test(c)) d = String.fromCharCode(c.charCodeAt(0) + 1);
    else if (/[A-Y]/.test(c)) d = String.fromCharCode(c.charCodeAt(0) + 1);
    if (d) return body.slice(0, j) + d + body.slice(j + 1);
  }
  throw new Error('nothing to change');
}
