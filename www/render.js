// Rendering of the core's answers. All user data goes through textContent (never
// innerHTML): a pasted payload is shown, never interpreted.

/** Creates an element: el('p', {class: 'x'}, 'text', child). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const STATUS_WORD = { ok: 'passed', fail: 'failed', info: 'not checked', skipped: 'skipped' };
const STATUS_ICON = { ok: '✓', fail: '✗', info: 'i', skipped: '–' };

/** Text with what is invisible made visible: CR, LF (trailing one flagged), tab, \/, NBSP,
 *  zero-width and control characters. */
export function visibleContent(text) {
  const frag = document.createDocumentFragment();
  let buf = '';
  const flush = () => { if (buf) { frag.append(buf); buf = ''; } };
  const mark = (sym, cls, title, after = '') => {
    flush();
    frag.append(el('span', { class: `inv ${cls}`, title }, sym));
    if (after) frag.append(after);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const last = i === text.length - 1 || (i === text.length - 2 && c === '\r' && text[i + 1] === '\n');
    if (c === '\r') mark('\\r', last ? 'cr trail' : 'cr', 'carriage return (CR)');
    else if (c === '\n') {
      const trail = i === text.length - 1;
      mark('↵', trail ? 'lf trail' : 'lf', trail ? 'trailing line feed (LF): part of the signed bytes' : 'line feed (LF, \\n)', '\n');
    } else if (c === '\t') mark('→', 'tab', 'tab (\\t)', '\t');
    else if (c === '\\' && text[i + 1] === '/') {
      flush();
      frag.append(el('span', { class: 'esc', title: 'escaped slash \\/ (signed as written)' }, '\\/'));
      i++;
    } else if (c === '\u00a0') mark('⟨NBSP⟩', 'nbsp', 'no-break space (U+00A0)');
    else if (c === ' ' && (i === 0 || i === text.length - 1)) mark('·', 'sp', 'leading or trailing space');
    else if (/[\u200b-\u200f\u2028\u2029\ufeff]/.test(c) || c < ' ' || c === '\x7f') {
      mark(`⟨U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`, 'ctl', 'invisible or control character');
    } else buf += c;
  }
  flush();
  if (text.length === 0) frag.append(el('span', { class: 'muted' }, '(empty)'));
  return frag;
}

const LEGEND = '↵ line feed (LF) · \\r carriage return (CR) · → tab · ⟨NBSP⟩ no-break space · a dot for a leading or trailing space · ⟨U+…⟩ other invisible character · highlighted \\/ escaped slash';

/** Pretty-prints JSON text without re-serializing it: key order, numbers (2.0) and string
 *  escapes stay as sent. Non-JSON text is returned as is. */
export function prettyJson(text) {
  if (typeof text !== 'string') return text;
  try { JSON.parse(text); } catch { return text; }
  let out = '';
  let depth = 0;
  const nl = () => '\n' + '  '.repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      let k = i + 1;
      while (k < text.length && /\s/.test(text[k])) k++;
      if (text[k] === close) { out += c + close; i = k; } else { depth++; out += c + nl(); }
    } else if (c === '}' || c === ']') { depth--; out += nl() + c; }
    else if (c === ',') out += ',' + nl();
    else if (c === ':') out += ': ';
    else if (!/\s/.test(c)) out += c;
  }
  return out;
}

function dl(fields) {
  const d = el('dl', { class: 'fields' });
  for (const [k, v] of fields) d.append(el('dt', {}, k), el('dd', {}, v));
  return d;
}

function bytesBlock(title, b, { id } = {}) {
  const wrap = el('div', { class: 'bytes' });
  wrap.append(el('h4', {}, `${title} (${b.length} byte${b.length === 1 ? '' : 's'})`));
  if (b.text === null) {
    wrap.append(el('p', { class: 'note' }, 'Not UTF-8 text: shown as base64.'), el('pre', { class: 'content', id }, b.base64));
  } else {
    const pre = el('pre', { class: 'content', id });
    pre.append(visibleContent(b.text));
    wrap.append(pre);
  }
  if (b.notes?.length) wrap.append(el('ul', { class: 'notes' }, b.notes.map((n) => el('li', {}, n))));
  return wrap;
}

function macDetails(m) {
  const box = el('div', { class: 'details' });
  box.append(dl([
    ['Algorithm', m.algorithm],
    ['Encoding', m.encoding],
    ['Matched key', m.matched === null ? 'none' : m.computed[m.matched]?.label ?? String(m.matched)],
  ]));
  box.append(bytesBlock('Signed content', m.content));
  if (m.append_key) box.append(el('p', { class: 'note' }, 'Then the key itself is appended to this content before hashing (not shown).'));
  box.append(el('p', { class: 'legend muted' }, LEGEND));
  const table = el('table', { class: 'sigs' },
    el('caption', {}, 'Signatures: computed here with your secret(s), next to the received one(s)'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Source'), el('th', { scope: 'col' }, 'Signature'), el('th', { scope: 'col' }, 'Match'))));
  const tb = el('tbody');
  m.received.forEach((s, i) => tb.append(el('tr', { class: 'received' },
    el('th', { scope: 'row' }, m.received.length > 1 ? `received #${i + 1}` : 'received'), el('td', {}, el('code', {}, s)), el('td', {}, ''))));
  for (const k of m.computed) {
    tb.append(el('tr', { class: k.matched ? 'match' : 'nomatch' },
      el('th', { scope: 'row' }, `computed, key ${k.label}`), el('td', {}, el('code', {}, k.signature)),
      el('td', {}, k.matched ? '✓ equal' : '✗ differs')));
  }
  table.append(tb);
  box.append(el('div', { class: 'scroll' }, table));
  return box;
}

function human(s) {
  const a = Math.abs(s);
  if (a < 120) return `${a} s`;
  if (a < 7200) return `${Math.floor(a / 60)} min ${a % 60} s`;
  if (a < 172800) return `${Math.floor(a / 3600)} h ${Math.floor((a % 3600) / 60)} min`;
  return `${Math.floor(a / 86400)} days`;
}

function timeDetails(t) {
  return el('div', { class: 'details' }, dl([
    ['Signed at', `${t.signed_at_iso} (${t.signed_at})`],
    ['Clock', `${t.now_iso} (${t.now_s})`],
    ['Age', t.age_s >= 0 ? `${human(t.age_s)} old` : `${human(t.age_s)} in the future`],
    ['Tolerance', `±${t.tolerance_s} s`],
    ['Within tolerance', t.within ? 'yes' : 'no'],
  ].concat(t.checked ? [] : [['Note', 'the gateway checks the time only after the signature, which failed']])));
}

function decryptDetails(d) {
  const keys = d.keys.map(([label, len], i) => [/^key\b/i.test(label) ? label : `Key ${label}`, `${len} bytes${len === 32 ? '' : ' — AES-256 needs 32'}${d.matched === i ? ' — opened it' : ''}`]);
  return el('div', { class: 'details' }, dl([
    ['Cipher', 'AES-256-GCM, no AAD'],
    ['IV', `${d.iv_length} bytes${d.iv_length === 12 || d.iv_length === 16 ? '' : ' — expected 12'}`],
    ['Tag', `${d.tag_length} bytes${d.tag_length === 16 ? '' : ' — expected 16'}`],
    ['Ciphertext', `${d.ciphertext_length} bytes`],
    ...keys,
  ]));
}

function stepItem(s) {
  const li = el('li', { class: `step step-${s.status}`, dataset: { step: s.id, status: s.status } });
  li.append(el('h3', {},
    el('span', { class: 'badge', 'aria-label': STATUS_WORD[s.status] }, STATUS_ICON[s.status] ?? '?'),
    ' ', s.title, el('span', { class: 'sr-only' }, `: ${STATUS_WORD[s.status] ?? s.status}`)));
  if (s.summary) li.append(el('p', { class: 'summary' }, s.summary));
  if (s.fields?.length) li.append(dl(s.fields));
  if (s.mac) li.append(macDetails(s.mac));
  if (s.timestamp) li.append(timeDetails(s.timestamp));
  if (s.decrypt) li.append(decryptDetails(s.decrypt));
  return li;
}

function verdictBanner(r) {
  const v = el('div', { id: 'verdict', class: `verdict verdict-${r.verdict}`, role: 'status', dataset: { verdict: r.verdict, code: r.error?.code ?? (r.verdict === 'valid' ? 'accepted' : r.verdict), provider: r.provider ?? '' } });
  if (r.verdict === 'valid') {
    v.append(el('strong', {}, '✓ valid'), ' — ',
      `the gateway accepts it (${r.provider} on ${r.route}, key ${r.key}), answers ${r.ack?.status ?? r.response.status} and forwards ${r.event?.type ?? 'the event'}.`);
  } else if (r.verdict === 'handshake') {
    v.append(el('strong', {}, '↔ handshake'), ' — ', `the gateway answers the endpoint verification with ${r.response.status}.`);
  } else {
    v.append(el('strong', {}, `✗ invalid: ${r.error.code}`), ' — ', `${r.error.message} (HTTP ${r.error.status}).`);
  }
  return v;
}

/** Renders an explanation (explain / decrypt_sibs) into `box`. */
export function renderExplanation(r, box, { plaintextFirst = false } = {}) {
  box.replaceChildren();
  if (!r || !r.ok) {
    box.append(errorBox(r?.error ?? { code: 'internal', message: 'no answer' }));
    return;
  }
  box.append(verdictBanner(r));
  if (r.hints?.length) {
    box.append(el('section', { class: 'hints', 'aria-labelledby': 'hints-title' },
      el('h3', { id: 'hints-title' }, r.hints.length > 1 ? 'Most likely reasons' : 'Most likely reason'),
      el('ul', {}, r.hints.map((h) => el('li', {}, h)))));
  }
  if (r.plaintext && plaintextFirst) box.append(plaintextBlock(r.plaintext));
  box.append(el('h3', { class: 'section-title' }, 'Steps'));
  box.append(el('ol', { class: 'steps' }, r.steps.map(stepItem)));
  if (r.plaintext && !plaintextFirst) box.append(plaintextBlock(r.plaintext));
  if (r.event) {
    const n = el('section', { class: 'normalized', 'aria-labelledby': 'norm-title' }, el('h3', { id: 'norm-title' }, 'Normalized'));
    n.append(el('h4', {}, 'CloudEvent forwarded to the origin'), el('pre', { class: 'json', id: 'event-json' }, r.event_json ? prettyJson(r.event_json) : JSON.stringify(r.event, null, 2)));
    if (r.ack) n.append(el('h4', {}, 'Ack sent to the provider'), dl([['Status', String(r.ack.status)], ['Content type', r.ack.content_type]]), el('pre', { class: 'json' }, prettyJson(r.ack.body)));
    if (r.forward) {
      const d = el('details', {}, el('summary', {}, `Forward request: POST ${r.forward.url}`));
      d.append(dl(r.forward.headers), el('pre', { class: 'json' }, r.forward.body.text ?? r.forward.body.base64));
      n.append(d);
    }
    box.append(n);
  }
  box.append(el('section', { class: 'response' }, el('h3', {}, `Gateway response: ${r.response.status}`),
    el('pre', { class: 'json' }, r.response.body || '(empty)')));
}

function plaintextBlock(p) {
  const shown = p.text === null ? null : prettyJson(p.text);
  return el('section', { class: 'plaintext' }, el('h3', {}, `Decrypted payload (${p.length} bytes)`),
    el('pre', { class: 'json', id: 'plaintext' }, shown ?? p.base64));
}

/** A call that failed (bad input, config): code and message. */
export function errorBox(error) {
  return el('div', { id: 'verdict', class: 'verdict verdict-error', role: 'alert', dataset: { verdict: 'error', code: error.code } },
    el('strong', {}, `✗ ${error.code}`), ' — ', error.message);
}

/** Renders a signed request. */
export function renderSigned(r, box, { onVerify, onCopy }) {
  box.replaceChildren();
  if (!r.ok) { box.append(errorBox(r.error)); return; }
  box.append(el('div', { id: 'verdict', class: 'verdict verdict-valid', role: 'status', dataset: { verdict: 'signed' } },
    el('strong', {}, '✓ signed'), ' — ', `a ${r.provider} request for ${r.url}, built by the provider's own sign().`));
  const t = el('table', { class: 'sigs', id: 'sign-headers' }, el('caption', {}, 'Headers'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Name'), el('th', { scope: 'col' }, 'Value'))));
  const tb = el('tbody');
  for (const [k, v] of r.headers) tb.append(el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, el('code', {}, v))));
  t.append(tb);
  box.append(el('div', { class: 'scroll' }, t));
  box.append(el('h4', {}, `Body (${r.body.length} bytes)`));
  box.append(el('pre', { class: 'json', id: 'sign-body', dataset: { base64: r.body.base64 } }, r.body.text ?? r.body.base64));
  const curl = el('pre', { class: 'json', id: 'sign-curl' }, r.curl);
  box.append(el('h4', {}, 'curl'), curl);
  const copyStatus = el('span', { class: 'muted', role: 'status' });
  box.append(el('div', { class: 'actions' },
    el('button', { type: 'button', id: 'sign-copy', onclick: () => onCopy(r.curl, copyStatus) }, 'Copy curl command'),
    el('button', { type: 'button', id: 'sign-verify', onclick: () => onVerify(r) }, 'Verify this request'),
    copyStatus));
  const raw = el('details', {}, el('summary', {}, 'Raw HTTP request'), el('pre', { class: 'json' }, r.raw));
  box.append(raw);
}
