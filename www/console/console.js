// The operator console: the gateway's admin API (/__edgehook/events, /stats) in a page.
// The token lives in this module's memory only (no storage, no cookie, no URL), so closing
// or reloading the page forgets it; every request carries it as a bearer header.

const $ = (id) => document.getElementById(id);
const api = new URL('../', location.href); // /__edgehook/
let token = '';
let cursor = null;
let current = null; // { route, id } of the open event

function showError(msg) {
  const e = $('error');
  e.textContent = msg;
  e.hidden = !msg;
}

async function call(path, init = {}) {
  const res = await fetch(new URL(path, api), {
    ...init,
    headers: { authorization: `Bearer ${token}` },
    cache: 'no-store',
    credentials: 'omit',
  });
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function cell(text, label) {
  const td = document.createElement('td');
  td.textContent = text ?? '—';
  if (label) td.dataset.label = label;
  return td;
}

const time = (ms) => (ms ? new Date(ms).toLocaleString() : '—');
const amount = (e) => (e.amount_minor == null ? '—' : `${(e.amount_minor / 100).toFixed(2)} ${e.currency ?? ''}`.trim());

function stateBadge(state) {
  const s = document.createElement('span');
  s.className = `state state-${state}`;
  s.textContent = state;
  return s;
}

function fillStats(id, rows, key) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    tr.append(cell(r.route || '(no route)', 'Route'), cell(r[key], key === 'state' ? 'State' : 'Code'), cell(String(r.last_hour), 'Hour'), cell(String(r.last_day), 'Day'));
    return tr;
  }));
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell('none');
    td.colSpan = 4;
    tr.append(td);
    body.append(tr);
  }
}

async function loadStats() {
  const s = await call('stats');
  fillStats('stats-events', s.events, 'state');
  fillStats('stats-rejections', s.rejections, 'code');
}

function query() {
  const p = new URLSearchParams();
  for (const k of ['q', 'state', 'provider', 'route']) {
    const v = $(k).value.trim();
    if (v) p.set(k, v);
  }
  const since = Number($('since').value);
  if (since) p.set('since', String(Date.now() - since));
  p.set('limit', '50');
  return p;
}

function eventRow(e) {
  const tr = document.createElement('tr');
  tr.dataset.id = e.id;
  tr.dataset.route = e.route;
  const idCell = document.createElement('td');
  idCell.dataset.label = 'Event';
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'link';
  open.textContent = e.id;
  open.title = `Open event ${e.id} (${e.route})`;
  open.addEventListener('click', () => guarded(() => openEvent(e.route, e.id)));
  idCell.append(open);
  const st = cell('', 'Delivery');
  st.append(stateBadge(e.state));
  tr.append(cell(time(e.accepted_at_ms), 'Accepted'), idCell, cell(e.provider, 'Provider'), cell(e.merchant_reference, 'Reference'),
    cell(e.payment_id, 'Payment'), cell(amount(e), 'Amount'), cell(e.status, 'Status'), st, cell(String(e.attempts), 'Attempts'));
  return tr;
}

async function loadEvents(more = false) {
  const p = query();
  if (more && cursor) p.set('cursor', cursor);
  const page = await call(`events?${p}`);
  const body = $('events').querySelector('tbody');
  const rows = page.events.map(eventRow);
  if (more) body.append(...rows); else body.replaceChildren(...rows);
  cursor = page.cursor;
  $('more').hidden = !cursor;
  $('empty').hidden = body.children.length > 0;
}

function field(dl, name, value) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value ?? '—';
  dl.append(dt, dd);
}

async function openEvent(route, id, focus = true) {
  current = { route, id };
  const d = await call(`events/${encodeURIComponent(id)}?route=${encodeURIComponent(route)}`);
  const e = d.event;
  const dl = $('detail-fields');
  dl.replaceChildren();
  for (const [k, v] of [['Event id', e.id], ['Route', e.route], ['Provider', e.provider], ['Type', e.event_type], ['Provider type', e.provider_event_type],
    ['Merchant reference', e.merchant_reference], ['Payment id', e.payment_id], ['Amount', amount(e)], ['Status', e.status],
    ['Live', e.livemode == null ? null : e.livemode ? 'yes' : 'test'], ['Accepted', time(e.accepted_at_ms)], ['Delivery', e.state],
    ['Attempts', String(e.attempts)], ['Last origin status', e.last_status], ['Last error', e.last_error], ['Delivered', time(e.delivered_at_ms)]]) {
    field(dl, k, v);
  }
  $('dead').hidden = e.state !== 'dead';
  $('dead').textContent = e.state === 'dead' ? `Dead: ${e.dead_reason ?? 'given up'}` : '';
  const body = $('attempts').querySelector('tbody');
  body.replaceChildren(...d.attempts.map((a) => {
    const tr = document.createElement('tr');
    tr.append(cell(String(a.chain), 'Chain'), cell(String(a.n), '#'), cell(time(a.at_ms), 'At'), cell(a.status == null ? '—' : String(a.status), 'Origin status'),
      cell(`${a.latency_ms} ms`, 'Latency'), cell(a.detail, 'Detail'));
    return tr;
  }));
  $('normalized').textContent = d.normalized ? JSON.stringify(d.normalized, null, 2) : 'not kept (past the retention, or the event was never attempted)';
  $('resend').disabled = !d.resendable;
  $('detail').dataset.attempts = String(d.attempts.length);
  $('detail').dataset.state = e.state;
  $('detail').hidden = false;
  for (const tr of $('events').querySelectorAll('tbody tr')) tr.classList.toggle('open', tr.dataset.id === id && tr.dataset.route === route);
  if (focus) $('detail').focus();
  return d;
}

async function resend() {
  if (!current) return;
  const status = $('resend-status');
  const { route, id } = current;
  const before = Number($('detail').dataset.attempts);
  status.textContent = 'Resending…';
  try {
    const r = await call(`events/${encodeURIComponent(id)}/resend?route=${encodeURIComponent(route)}`, { method: 'POST' });
    status.textContent = `Queued again (${r.from === 'dead_letter' ? 'from its dead letter' : `chain ${r.chain}`}); waiting for the attempt…`;
    for (let i = 0; i < 30; i++) {
      await new Promise((res) => setTimeout(res, 500));
      const d = await openEvent(route, id, false);
      if (d.attempts.length > before && d.event.state !== 'queued') {
        status.textContent = `Attempted: ${d.event.state}.`;
        await loadEvents();
        return;
      }
    }
    status.textContent = 'Queued; no attempt yet (Refresh later).';
  } catch (e) {
    status.textContent = '';
    showError(e.message);
  }
}

async function guarded(fn) {
  showError('');
  try {
    await fn();
  } catch (e) {
    if (e.status === 401 || e.status === 404) {
      $('app').hidden = true;
      $('who').textContent = '';
      showError(e.status === 401 ? 'The token was refused.' : 'The admin API is off on this gateway (no token configured).');
    } else {
      showError(e.message);
    }
  }
}

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('token').value;
  $('token').value = '';
  guarded(async () => {
    await loadStats();
    await loadEvents();
    $('app').hidden = false;
    $('who').textContent = 'Connected.';
    $('q').focus();
  });
});
$('filters').addEventListener('submit', (ev) => {
  ev.preventDefault();
  guarded(() => loadEvents());
});
$('refresh').addEventListener('click', () => guarded(async () => { await loadStats(); await loadEvents(); }));
$('more').addEventListener('click', () => guarded(() => loadEvents(true)));
$('resend').addEventListener('click', () => guarded(resend));
