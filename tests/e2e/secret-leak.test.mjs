// Secrets never leak: a full mixed session through the real worker (every provider: valid,
// tampered, wrongly keyed, retried; dead letters; the admin API; broken configs), capturing
// all workerd stdout/stderr and every response body, then searching them for every secret in
// .dev.vars and everything derived from one: decoded keys in hex/base64, the MAC each request
// should have carried, the SIBS plaintexts. Also checks the request log line's shape: one
// structured line per webhook request, no payload content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startOrigin, startGateway, waitFor, verifyForward } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';
import { samples } from '../../scripts/demo-samples.mjs';
import { signers, expectedMac, encodings, keys, nowS } from './signed.mjs';

// The demo secrets, with Everifin's published "abcd" swapped for a long unique value: a
// 4-letter secret would "appear" inside any hex string and make the search meaningless.
const vars = { ...devVars(), DEMO_EVERIFIN_HOOK_SECRET: 'everifin-leak-canary-' + crypto.randomBytes(8).toString('hex') };
const K = keys(vars);
const sign = signers(vars);
const ADMIN = vars.EDGEHOOK_ADMIN_TOKEN;
const PAYLOAD_CANARY = 'payload-canary-' + crypto.randomBytes(6).toString('hex');
const SIBS_CANARY = 'sibs-plaintext-canary-' + crypto.randomBytes(6).toString('hex');

/** The plaintext of a SIBS request (node:crypto), to search for it afterwards. */
function openSibs(req) {
  const h = (n) => req.headers[n];
  const d = crypto.createDecipheriv('aes-256-gcm', K.sibs, Buffer.from(h('X-Initialization-Vector'), 'base64'));
  d.setAuthTag(Buffer.from(h('X-Authentication-Tag'), 'base64'));
  return Buffer.concat([d.update(Buffer.from(req.body, 'base64')), d.final()]);
}

/** Every secret value and every derived form of a key, at least 8 characters long. */
function secretNeedles() {
  const needles = new Map();
  const add = (label, v) => {
    const s = Buffer.isBuffer(v) ? null : String(v);
    if (s !== null) {
      if (s.length >= 8) needles.set(s, label);
      return;
    }
    for (const e of encodings(v)) if (e.length >= 8) needles.set(e, label + ' (encoded)');
  };
  for (const [name, value] of Object.entries(vars)) {
    for (const line of value.split('\n').map((l) => l.trim()).filter(Boolean)) {
      add(name, line);
      // KEY_ID:SECRET, TEST:KEY: the secret part alone too.
      if (line.includes(':')) add(name + ' (after :)', line.slice(line.indexOf(':') + 1));
      const b = line.replace(/^whsec_/, '');
      if (line.startsWith('whsec_') || /^[A-Za-z0-9+/]{32,}={0,2}$/.test(b)) add(name + ' decoded', Buffer.from(b, 'base64'));
    }
  }
  add('SIBS key', K.sibs);
  add('Standard Webhooks key', Buffer.from(K.standard.replace(/^whsec_/, ''), 'base64'));
  add('Lyra REST HMAC key (bytes)', Buffer.from(K.lyraHmac, 'utf8'));
  return needles;
}

test('a mixed session leaks no secret, MAC or plaintext; one structured log line per request', { timeout: 120000 }, async () => {
  const gone = new Set();
  const origin = await startOrigin((e) => ({ status: gone.has(e.headers['webhook-id']) ? 410 : 200 }));
  const routes = routesTo(`${origin.url}/in`);
  const gw = await startGateway({ routes, secrets: vars });
  const bodies = []; // every response body the session saw
  const sent = []; // every webhook request sent
  const macs = new Map(); // encoded expected MAC -> request label
  const plaintexts = []; // SIBS plaintexts
  let webhookRequests = 0;
  let macRequests = 0;
  const accepted = new Map(); // event id -> provider

  async function send(label, req, { method = 'POST' } = {}) {
    sent.push({ label, ...req });
    webhookRequests++;
    const mac = expectedMac(vars, req);
    if (mac) {
      macRequests++;
      for (const e of encodings(mac)) macs.set(e, label);
    }
    const res = await fetch(gw.url + req.path, { method, headers: req.headers, body: method === 'GET' ? undefined : req.body });
    const text = await res.text();
    bodies.push({ label, text, headers: JSON.stringify([...res.headers]) });
    return { status: res.status, text };
  }
  async function admin(label, path, init = {}) {
    const res = await fetch(gw.url + path, init);
    const text = await res.text();
    bodies.push({ label, text, headers: JSON.stringify([...res.headers]), admin: true, authorized: init.headers?.authorization === `Bearer ${ADMIN}` });
    return { status: res.status, text };
  }

  try {
    for (const [name, s] of Object.entries(samples)) {
      // Valid: accepted once, then a provider retry of the same request (dedup).
      const extra = name === 'sibs' ? { canary: SIBS_CANARY } : { canary: PAYLOAD_CANARY };
      const ok = s.build(vars, nowS(), 0, extra);
      if (name === 'sibs') plaintexts.push(openSibs(ok));
      const req = { path: s.path, body: ok.body, headers: ok.headers };
      let res = await send(`${name} valid`, req);
      assert.ok(res.status >= 200 && res.status < 300, `${name}: ${res.status} ${res.text}`);
      accepted.set(ok.id, name);
      res = await send(`${name} retry`, req);
      assert.ok(res.status >= 200 && res.status < 300, `${name} retry: ${res.status}`);
      // Tampered body: the expected MAC over it is exactly what must never be shown.
      const tampered = { ...req, body: name === 'sibs' ? req.body.slice(0, -4) + 'AAA=' : req.body.replace(/.$/, (c) => (c === '}' ? ' }' : c + 'x')) };
      res = await send(`${name} tampered`, tampered);
      assert.ok(res.status >= 400 && res.status < 500, `${name} tampered: ${res.status}`);
    }
    // SIBS plaintexts we control (the samples' plaintext is random): one accepted and
    // dead-lettered later, one whose notification cannot be parsed.
    const sibsPlain = JSON.stringify({ notificationID: 'leak-sibs-' + crypto.randomUUID(), paymentStatus: 'Success', amount: { value: '12.34', currency: 'EUR' }, merchantName: SIBS_CANARY });
    plaintexts.push(Buffer.from(sibsPlain));
    const sibsId = JSON.parse(sibsPlain).notificationID;
    gone.add(sibsId);
    let res = await send('sibs dead-lettered', sign.sibs(sibsPlain));
    assert.equal(res.status, 200, res.text);
    accepted.set(sibsId, 'sibs');
    const badPlain = `{"notificationID":"x","note":"${SIBS_CANARY}","notificationID":"y"}`;
    plaintexts.push(Buffer.from(badPlain));
    res = await send('sibs duplicate-key plaintext', sign.sibs(badPlain));
    assert.equal(res.status, 400);
    res = await send('sibs wrong key', sign.sibs(sibsPlain, { key: crypto.randomBytes(32) }));
    assert.equal(res.status, 401);

    // Signed with a wrong secret (the gateway computes the right MAC and must keep it).
    const wrong = signers({ ...vars, DEMO_STRIPE_WEBHOOK_SECRET: 'whsec_wrong', DEMO_WORLDLINE_KEYS: `${K.worldlineKeyId}:wrong`, DEMO_STANDARD_WEBHOOKS_SECRET: 'whsec_d3Jvbmc=' });
    const stripeBody = JSON.stringify({ id: 'evt_leak', type: 'payment_intent.succeeded', canary: PAYLOAD_CANARY });
    for (const [label, req] of [
      ['stripe wrong secret', wrong.stripe(stripeBody)],
      ['worldline wrong secret', wrong.worldline(stripeBody)],
      ['standard-webhooks wrong secret', wrong['standard-webhooks'](stripeBody)],
      ['stripe stale', sign.stripe(stripeBody, { t: nowS() - 3600 })],
    ]) {
      res = await send(label, req);
      assert.ok([401, 408].includes(res.status), `${label}: ${res.status}`);
    }
    // A dead letter from a plain-JSON provider too.
    const gen = sign['generic-hmac'](JSON.stringify({ type: 'payment.succeeded', data: { id: 'pay_leak', canary: PAYLOAD_CANARY } }));
    gone.add(gen.id);
    assert.equal((await send('generic dead-lettered', gen)).status, 200);
    accepted.set(gen.id, 'generic-hmac');
    // Handshake and a method error.
    assert.equal((await send('worldline handshake', { path: '/hooks/worldline', headers: { 'X-GCS-Webhooks-Endpoint-Verification': 'challenge-1' } }, { method: 'GET' })).status, 200);
    assert.equal((await send('unknown route', { path: '/hooks/none', body: '{}', headers: { 'content-type': 'application/json' } })).status, 404);

    // Everything accepted is delivered or dead-lettered.
    const deadList = await waitFor(async () => {
      const r = await admin('admin list (poll)', '/__edgehook/dead', { headers: { authorization: `Bearer ${ADMIN}` } });
      const d = JSON.parse(r.text).dead;
      return d.length >= gone.size ? d : null;
    }, 20000, 200);
    assert.ok(deadList, 'dead letters stored');
    const delivered = await waitFor(() => {
      const ids = new Set(origin.delivered().map((e) => e.headers['webhook-id']));
      return [...accepted.keys()].filter((id) => !gone.has(id)).every((id) => ids.has(id)) ? ids : null;
    }, 20000, 100);
    assert.ok(delivered, 'all accepted events delivered');
    for (const e of origin.delivered()) verifyForward(e, vars.DEMO_ORIGIN_SECRET);

    // Admin API: wrong token, no token, unknown id, replay.
    assert.equal((await admin('admin wrong token', '/__edgehook/dead', { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await admin('admin no token', '/__edgehook/dead')).status, 401);
    assert.equal((await admin('admin unknown id', '/__edgehook/dead/none/replay', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status, 404);
    gone.clear();
    const replayed = await admin('admin replay', `/__edgehook/dead/${encodeURIComponent(gen.id)}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(replayed.status, 202);
    assert.ok(await waitFor(() => origin.delivered().filter((e) => e.headers['webhook-id'] === gen.id).length > 0, 10000));
  } finally {
    await gw.dispose();
    await origin.close();
  }

  // Broken configurations: the error names the binding, never its value.
  const configLogs = [];
  for (const [label, bindings, route, where] of [
    ['stripe API key pasted as the signing secret', { S: 'sk_live_' + 'config-canary-' + crypto.randomBytes(6).toString('hex') }, { path: '/hooks/stripe', provider: 'stripe', secrets: ['S'] }],
    ['SIBS key of the wrong length', { S: Buffer.from('config-canary-16').toString('base64') }, { path: '/hooks/sibs', provider: 'sibs', secrets: ['S'] }],
    ['Worldline line without KEY_ID', { S: 'config-canary-no-key-id' }, { path: '/hooks/worldline', provider: 'worldline', secrets: ['S'] }],
    ['origin secret not whsec_', { S: 'kid:hello+world-config', O: 'config-canary-origin-secret' }, { path: '/hooks/worldline', provider: 'worldline', secrets: ['S'], origin_secret: 'O' }],
    // The secret itself written where its binding's name belongs: echoed before in every
    // public 500 body ("secret binding whsec_... is not set").
    ['a secret pasted where its binding name belongs', {}, { path: '/hooks/stripe', provider: 'stripe', secrets: ['whsec_' + 'config-canary-' + crypto.randomBytes(6).toString('hex')] }, 'routes[0].secrets[0]'],
    ['a secret pasted as origin_secret', { S: 'whsec_' + Buffer.from('s').toString('base64') }, { path: '/hooks/stripe', provider: 'stripe', secrets: ['S'], origin_secret: 'whsec_' + 'config-canary-origin-' + crypto.randomBytes(6).toString('hex') }, 'routes[0].origin_secret'],
  ]) {
    const bad = await startGateway({ routes: [{ origin: 'http://127.0.0.1:9/in', ...route }], secrets: bindings });
    try {
      const res = await fetch(bad.url + route.path, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      const text = await res.text();
      assert.equal(res.status, 500, label);
      assert.equal(JSON.parse(text).error.code, 'config_invalid');
      bodies.push({ label: `config: ${label}`, text, headers: '' });
      await waitFor(() => bad.logs.join('').includes('config_invalid'), 3000);
      configLogs.push(bad.logs.join(''));
      const pasted = [...(route.secrets || []), route.origin_secret].filter((n) => n && !(n in bindings));
      for (const v of [...Object.values(bindings), ...pasted]) {
        assert.ok(!text.includes(v), `${label}: response shows the secret`);
        assert.ok(!bad.logs.join('').includes(v), `${label}: log shows the secret`);
      }
      // The public body names where the problem is, never what is configured there.
      if (where) assert.ok(JSON.parse(text).error.message.includes(where), `${label}: ${text}`);
    } finally {
      await bad.dispose();
    }
  }

  // ---- the search -----------------------------------------------------------------------
  const logs = gw.logs.join('') + configLogs.join('');
  const needles = secretNeedles();
  const hits = [];
  const search = (where, text, { allowPlaintext = false } = {}) => {
    for (const [needle, what] of needles) if (text.includes(needle)) hits.push(`${where}: secret ${what}`);
    for (const [needle, what] of macs) if (needle.length >= 16 && text.includes(needle)) hits.push(`${where}: expected MAC of "${what}"`);
    if (!allowPlaintext) {
      for (const p of plaintexts) if (p.length >= 16 && text.includes(p.toString('utf8'))) hits.push(`${where}: a SIBS plaintext`);
      if (text.includes(SIBS_CANARY)) hits.push(`${where}: SIBS plaintext content`);
    }
  };
  // The search itself finds what it looks for (a broken search would pass everything).
  search('self-check', `x${[...needles.keys()].join(' ')}${[...macs.keys()][0]}${plaintexts[1]}${SIBS_CANARY}x`);
  assert.equal(hits.length, needles.size + 3, 'the search sees every needle');
  hits.length = 0;
  search('workerd output', logs);
  if (logs.includes(PAYLOAD_CANARY)) hits.push('workerd output: payload content');
  for (const b of bodies) {
    // The admin listing is the operator's view of undeliverable events: it holds the
    // deliveries (decrypted payload included) so they can be inspected and replayed, behind
    // the admin token. Secrets and MACs are still searched there; plaintext only elsewhere.
    search(`response to "${b.label}"`, b.text + b.headers, { allowPlaintext: b.admin && b.authorized });
    if (!b.admin && b.text.includes(PAYLOAD_CANARY)) hits.push(`response to "${b.label}": payload content`);
  }
  assert.deepEqual(hits, [], hits.join('\n'));
  assert.ok(needles.size >= 15, `searched for ${needles.size} secret forms`);
  assert.ok(macRequests >= 20, `searched for the MACs of ${macRequests} requests`);
  const adminShowsPlaintext = bodies.some((b) => b.admin && b.text.includes(SIBS_CANARY));

  // ---- the request log line ---------------------------------------------------------------
  const lines = gw.logs.join('').split('\n').filter((l) => l.includes('"edgehook":"request"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
  assert.equal(lines.length, webhookRequests, 'one line per webhook request, none for admin calls');
  const allowed = new Set(['edgehook', 'route', 'provider', 'method', 'outcome', 'status', 'ms', 'event_id', 'key']);
  for (const l of lines) {
    for (const k of Object.keys(l)) assert.ok(allowed.has(k), `unexpected log field ${k}`);
    assert.equal(typeof l.route, 'string');
    assert.equal(typeof l.provider, 'string');
    assert.match(l.method, /^[A-Z]+$/);
    assert.match(l.outcome, /^[a-z_]+$/);
    assert.ok(Number.isInteger(l.status) && l.status >= 200 && l.status < 600);
    assert.ok(Number.isInteger(l.ms) && l.ms >= 0 && l.ms < 10000, `latency ${l.ms}`);
    if (l.outcome === 'accepted' || l.outcome === 'duplicate') {
      assert.ok(accepted.has(l.event_id), `accepted line names its event id: ${l.event_id}`);
      assert.equal(l.provider, accepted.get(l.event_id));
      assert.equal(typeof l.key, 'string', 'the key label');
    } else {
      assert.equal(l.event_id, undefined);
    }
  }
  const byOutcome = lines.reduce((m, l) => ({ ...m, [l.outcome]: (m[l.outcome] || 0) + 1 }), {});
  assert.equal(byOutcome.accepted, accepted.size);
  assert.equal(byOutcome.duplicate, Object.keys(samples).length);
  assert.equal(new Set(lines.filter((l) => l.outcome === 'accepted').map((l) => l.provider)).size, 9, 'all nine providers');
  console.log('# leak search ' + JSON.stringify({ secret_forms: needles.size, mac_requests: macRequests, mac_encodings: macs.size, admin_listing_holds_sibs_plaintext: adminShowsPlaintext, plaintexts: plaintexts.length, responses: bodies.length, log_bytes: logs.length, request_lines: lines.length, outcomes: byOutcome }));
});
