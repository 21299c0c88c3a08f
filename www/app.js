// The payload tester: forms in, the core's JSON answers out. No network: the only fetch is
// the wasm itself, by pkg/edgehook.js, from this site.
import init, * as core from './pkg/edgehook.js';
// The signer is a second wasm module, fetched the first time the Sign tab opens: a page that
// only verifies and explains never downloads it.
let signer;
const loadSigner = () => (signer ??= import('./pkg/edgehook_signer.js').then(async (m) => { await m.default(); return m; }));
import { EXAMPLES, PROVIDERS, demoPath } from './examples.js';
import { renderExplanation, renderSigned, errorBox, el } from './render.js';

const $ = (id) => document.getElementById(id);
const state = { providers: [], bodyFile: null, timer: 0 };

// ------------------------------------------------------------------ helpers

function radio(name) {
  return document.querySelector(`input[name="${name}"]:checked`)?.value;
}

function setRadio(name, value) {
  const r = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (r) { r.checked = true; syncWhen(); }
}

/** Shows the blocks marked data-when="name=value" whose radio is selected. */
function syncWhen() {
  for (const block of document.querySelectorAll('[data-when]')) {
    const [name, value] = block.dataset.when.split('=');
    block.hidden = radio(name) !== value;
  }
}

const headerText = (headers) => headers.map(([k, v]) => `${k}: ${v}`).join('\n');

function b64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function parseJsonField(id, what) {
  const text = $(id).value.trim();
  if (!text) return undefined;
  try { return JSON.parse(text); } catch (e) { throw new InputError(`${what} is not valid JSON: ${e.message}`); }
}

class InputError extends Error {}

/** `NAME=value` lines (a repeated NAME adds a line), or a JSON object. */
function parseBindings(text) {
  const t = text.trim();
  if (!t) return {};
  if (t.startsWith('{')) {
    try { return JSON.parse(t); } catch (e) { throw new InputError(`Secret bindings are not valid JSON: ${e.message}`); }
  }
  const out = {};
  for (const [i, line] of t.split('\n').entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at < 1) throw new InputError(`Secret bindings, line ${i + 1}: expected NAME=value`);
    const name = line.slice(0, at).trim();
    let value = line.slice(at + 1).trim();
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    (out[name] ||= []).push(value);
  }
  return out;
}

/** The clock for verify: now, or the fixed time (ISO 8601 or Unix seconds). */
function clockMs() {
  if (radio('clock') !== 'fixed') return Date.now();
  const t = $('v-now').value.trim();
  if (/^\d{1,12}$/.test(t)) return Number(t) * 1000;
  if (/^\d{13}$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new InputError('The fixed time is neither ISO 8601 (2024-05-07T14:49:55.887Z) nor Unix seconds.');
  return ms;
}

function defaultGatewayUrl() {
  const servedByGateway = location.protocol.startsWith('http') && location.pathname.startsWith('/__edgehook/');
  return servedByGateway ? location.origin : 'http://127.0.0.1:8787';
}

// ------------------------------------------------------------------ providers & examples

function providerHelp(name) {
  return PROVIDERS[name] ?? { label: name, secretsHelp: 'The secret(s) this provider signs with.', payloadHelp: 'The body to sign.' };
}

function fillProviderSelects() {
  for (const sel of document.querySelectorAll('.provider-select')) {
    sel.replaceChildren(...state.providers.map((p) => el('option', { value: p }, `${providerHelp(p).label} (${p})`)));
  }
  syncProviderHelp('v');
  syncProviderHelp('s');
}

/** Per-provider help and the optional HMAC-key field (`v` = verify form, `s` = sign form). */
function syncProviderHelp(form) {
  const p = $(`${form}-provider`).value;
  const info = providerHelp(p);
  $(`${form}-secrets-help`).textContent = info.secretsHelp;
  $(`${form}-hmac-wrap`).hidden = !info.hmacHelp;
  if (form === 'v') $('v-hmac-help').textContent = info.hmacHelp ?? '';
  if (form === 's') $('s-payload-help').textContent = info.payloadHelp;
  const opts = $(`${form}-options`);
  opts.placeholder = info.optionsHelp ?? '{"tolerance_s": 300}';
}

function buildExampleButtons() {
  const box = $('example-buttons');
  for (const p of state.providers) {
    const ex = EXAMPLES[p];
    if (!ex) continue;
    box.append(el('button', { type: 'button', class: 'example', dataset: { example: p }, onclick: () => loadExample(p) },
      ex.label, ex.origin === 'computed' ? el('span', { class: 'tag' }, 'computed') : null));
  }
}

function loadExample(p) {
  const ex = EXAMPLES[p];
  setRadio('route-mode', 'provider');
  $('v-provider').value = p;
  syncProviderHelp('v');
  $('v-secrets').value = ex.secrets;
  $('v-hmac').value = ex.hmac_secrets ?? '';
  $('v-options').value = ex.options ? JSON.stringify(ex.options) : '';
  setRadio('req-mode', 'parts');
  clearBodyFile();
  $('v-headers').value = headerText(ex.request.headers);
  $('v-body').value = ex.request.body;
  if (ex.now) {
    setRadio('clock', 'fixed');
    $('v-now').value = new Date(ex.now.ms).toISOString();
    $('clock-note').textContent = ex.now.note;
    $('clock-note').hidden = false;
  } else {
    setRadio('clock', 'now');
    $('clock-note').hidden = true;
  }
  const note = $('example-note');
  note.replaceChildren(el('strong', {}, `${ex.label}: `),
    ex.origin === 'computed' ? 'computed vector (the provider publishes none; cross-checked with an independent implementation). ' : 'published vector. ',
    `Source: ${ex.source}.`);
  note.hidden = false;
  if (ex.decrypt) fillDecrypt(ex.decrypt);
  fillSign(p);
  selectTab('verify');
  runVerify({ show: true });
}

// ------------------------------------------------------------------ tabs

const TABS = ['verify', 'decrypt', 'sign'];

function selectTab(name, focus = false) {
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    const on = t === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
    if (on && focus) tab.focus();
  }
}

function wireTabs() {
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    tab.addEventListener('click', () => selectTab(t));
    if (t === 'sign') tab.addEventListener('click', () => loadSigner().catch(() => { signer = undefined; }), { once: true });
    tab.addEventListener('keydown', (e) => {
      const i = TABS.indexOf(t);
      const to = { ArrowRight: (i + 1) % TABS.length, ArrowLeft: (i + TABS.length - 1) % TABS.length, Home: 0, End: TABS.length - 1 }[e.key];
      if (to !== undefined) { e.preventDefault(); selectTab(TABS[to], true); }
    });
  }
}

// ------------------------------------------------------------------ verify

function routeInput(form) {
  const input = {};
  if (form === 's' || radio('route-mode') === 'provider') {
    input.provider = $(`${form}-provider`).value;
    input.secrets = $(`${form}-secrets`).value;
    if (!$(`${form}-hmac-wrap`).hidden && $(`${form}-hmac`).value.trim()) input.hmac_secrets = $(`${form}-hmac`).value;
    const options = parseJsonField(`${form}-options`, 'Route options');
    if (options !== undefined) input.options = options;
  } else {
    input.route = $('v-route').value;
    input.bindings = parseBindings($('v-bindings').value);
  }
  return input;
}

function verifyInput() {
  const input = routeInput('v');
  if (radio('req-mode') === 'raw') {
    input.request = { raw: $('v-raw').value };
  } else {
    input.request = { headers: $('v-headers').value };
    if (state.bodyFile) input.request.body_base64 = state.bodyFile.base64;
    else input.request.body = $('v-body').value;
  }
  input.now_ms = clockMs();
  return input;
}

/** Brings a fresh verdict into view when it is off screen (phone width: the result sits
 *  below the form). Not while typing: that would yank the page away from the field. */
function reveal(box) {
  const v = box.querySelector('#verdict');
  if (!v) return;
  const r = v.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) v.scrollIntoView({ block: 'start' });
}

function runVerify({ show = false } = {}) {
  const box = $('verify-result');
  let input;
  try {
    input = verifyInput();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    box.replaceChildren(errorBox({ code: 'invalid_input', message: e.message }));
    return;
  }
  renderExplanation(safe(() => core.explain(input)), box);
  if (show) reveal(box);
}

/** The core answers errors as values; this only guards against a broken build. */
function safe(fn) {
  try { return fn(); } catch (e) { return { ok: false, error: { code: 'internal', message: `the wasm module failed: ${e}` } }; }
}

function rawNotes() {
  const notes = $('v-raw-notes');
  const text = $('v-raw').value;
  if (!text.trim()) { notes.hidden = true; return; }
  const p = safe(() => core.parse_raw_http(text));
  const lines = p.ok ? [`${p.method} ${p.path ?? '(route path)'} · ${p.headers.length} header(s) · body ${new TextEncoder().encode(p.body).length} bytes`, ...p.notes] : [p.error.message];
  notes.replaceChildren(...lines.map((l, i) => (i ? [el('br'), l] : [l])).flat());
  notes.hidden = false;
}

function clearBodyFile() {
  state.bodyFile = null;
  $('v-body-file').value = '';
  $('v-body-file-note').hidden = true;
  $('v-body').disabled = false;
}

function wireVerify() {
  const form = $('verify-form');
  form.addEventListener('submit', (e) => { e.preventDefault(); runVerify({ show: true }); });
  const schedule = () => {
    if (!$('v-auto').checked) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(runVerify, 250);
  };
  form.addEventListener('input', (e) => {
    if (e.target.id === 'v-raw') rawNotes();
    if (e.target.name === 'clock' && radio('clock') === 'now') $('clock-note').hidden = true;
    schedule();
  });
  form.addEventListener('change', (e) => {
    if (e.target.type === 'radio') syncWhen();
    if (e.target.id === 'v-provider') syncProviderHelp('v');
    schedule();
  });
  $('v-body-file').addEventListener('change', async () => {
    const f = $('v-body-file').files?.[0];
    if (!f) return clearBodyFile();
    const bytes = new Uint8Array(await f.arrayBuffer());
    state.bodyFile = { name: f.name, base64: b64(bytes) };
    const note = $('v-body-file-note');
    note.replaceChildren(`Using the exact bytes of ${f.name} (${bytes.length} bytes); the Body field is ignored. `,
      el('button', { type: 'button', onclick: () => { clearBodyFile(); runVerify(); } }, 'Use the Body field again'));
    note.hidden = false;
    $('v-body').disabled = true;
    runVerify();
  });
}

// ------------------------------------------------------------------ decrypt

function fillDecrypt(d) {
  $('d-key').value = d.key;
  $('d-iv').value = d.iv;
  $('d-tag').value = d.tag;
  $('d-body').value = d.body;
}

function runDecrypt() {
  const input = { key: $('d-key').value, iv: $('d-iv').value, tag: $('d-tag').value, body: $('d-body').value, now_ms: Date.now() };
  renderExplanation(safe(() => core.decrypt_sibs(input)), $('decrypt-result'), { plaintextFirst: true });
  reveal($('decrypt-result'));
}

function wireDecrypt() {
  $('decrypt-form').addEventListener('submit', (e) => { e.preventDefault(); runDecrypt(); });
  const ex = EXAMPLES.sibs?.decrypt;
  if (!ex || !state.providers.includes('sibs')) $('d-example').hidden = true;
  $('d-example').addEventListener('click', () => { fillDecrypt(ex); runDecrypt(); });
}

// ------------------------------------------------------------------ sign

/** Fills the signer for a provider: its npm-start demo secret when known (so the curl is
 *  accepted by the local dev server), else the example's secret, and the example payload. */
function fillSign(p) {
  const ex = EXAMPLES[p] ?? {};
  const info = providerHelp(p);
  $('s-provider').value = p;
  syncProviderHelp('s');
  $('s-secrets').value = info.demoSecrets ?? ex.secrets ?? '';
  $('s-hmac').value = info.demoHmacSecrets ?? ex.hmac_secrets ?? '';
  $('s-options').value = ex.options ? JSON.stringify(ex.options) : '';
  $('s-payload').value = ex.payload ?? ex.request?.body ?? '';
  $('s-path').value = demoPath(p);
}

async function runSign() {
  const box = $('sign-result');
  let input;
  try {
    input = routeInput('s');
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    box.replaceChildren(errorBox({ code: 'invalid_input', message: e.message }));
    return;
  }
  input.payload = $('s-payload').value;
  const base = ($('s-url').value.trim() || defaultGatewayUrl()).replace(/\/+$/, '');
  const path = $('s-path').value.trim() || demoPath(input.provider);
  input.gateway_url = base + (path.startsWith('/') ? path : `/${path}`);
  input.now_s = Math.floor(Date.now() / 1000);
  input.nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)));
  const signedWith = { ...input };
  let sign;
  try {
    ({ sign } = await loadSigner());
  } catch (e) {
    signer = undefined;
    box.replaceChildren(errorBox({ code: 'signer_not_loaded', message: `The signer module did not load: ${e}. Build it with scripts/build-www.sh.` }));
    return;
  }
  queueMicrotask(() => reveal(box));
  renderSigned(safe(() => sign(input)), box, {
    onVerify: (r) => verifySigned(r, signedWith),
    onCopy: async (text, status) => {
      try { await navigator.clipboard.writeText(text); status.textContent = 'Copied.'; } catch {
        const range = document.createRange();
        range.selectNodeContents($('sign-curl'));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
      }
    },
  });
}

/** Loads a signed request into the verify form (same route and secrets) and checks it. */
function verifySigned(r, input) {
  setRadio('route-mode', 'provider');
  $('v-provider').value = input.provider;
  syncProviderHelp('v');
  $('v-secrets').value = input.secrets ?? '';
  $('v-hmac').value = input.hmac_secrets ?? '';
  $('v-options').value = input.options ? JSON.stringify(input.options) : '';
  setRadio('req-mode', 'parts');
  clearBodyFile();
  $('v-headers').value = headerText(r.headers);
  if (r.body.text === null) {
    state.bodyFile = { name: 'the signed body', base64: r.body.base64 };
    $('v-body').value = '';
  } else {
    $('v-body').value = r.body.text;
  }
  setRadio('clock', 'now');
  $('clock-note').hidden = true;
  selectTab('verify', true);
  runVerify({ show: true });
}

function wireSign() {
  $('sign-form').addEventListener('submit', (e) => { e.preventDefault(); runSign(); });
  $('s-provider').addEventListener('change', () => fillSign($('s-provider').value));
  $('s-example').addEventListener('click', () => {
    const ex = EXAMPLES[$('s-provider').value];
    if (ex) $('s-payload').value = ex.payload ?? ex.request?.body ?? '';
  });
  $('s-url').value = defaultGatewayUrl();
  $('s-url').placeholder = defaultGatewayUrl();
}

// ------------------------------------------------------------------ start

async function main() {
  try {
    await init();
  } catch (e) {
    const msg = location.protocol === 'file:'
      ? 'Browsers do not load WebAssembly from file:// pages: serve www/ over http (see docs).'
      : `The WebAssembly module did not load: ${e}. Build it with scripts/build-www.sh.`;
    $('load-error').textContent = msg;
    $('load-error').hidden = false;
    return;
  }
  state.providers = core.providers().providers;
  $('build-info').textContent = ` Core ${core.version()}, providers: ${state.providers.join(', ')}.`;
  fillProviderSelects();
  buildExampleButtons();
  wireTabs();
  syncWhen();
  wireVerify();
  wireDecrypt();
  wireSign();
  if (state.providers.length) fillSign(state.providers[0]);
  document.body.dataset.ready = 'true';
}

main();
