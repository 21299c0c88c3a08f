// Validly signed (or encrypted) requests for every demo route with a body of the test's
// choosing, and the signature the gateway would expect for any request: node:crypto only,
// independent of the Rust code. Used by the bad-input, secret-leak and load tests.
import crypto from 'node:crypto';
import { signStripe } from '../../scripts/samples/stripe.mjs';
import { signFedapay } from '../../scripts/samples/fedapay.mjs';
import { signEverifin } from '../../scripts/samples/everifin.mjs';
import { signStandard } from '../../scripts/samples/standard-webhooks.mjs';
import { encrypt } from '../../scripts/samples/sibs.mjs';
import { ipnBody } from '../../scripts/samples/lyra-rest.mjs';
import { vadsSignature, keyFor } from '../../scripts/samples/lyra-form.mjs';

export const hmac = (key, data, enc) => crypto.createHmac('sha256', key).update(data).digest(enc);
export const b64 = (b) => Buffer.from(b).toString('base64');
const first = (v) => v.split('\n')[0].trim();
export const nowS = () => Math.floor(Date.now() / 1000);

/** The demo secrets a test signs with, read from `.dev.vars`-style `vars`. */
export function keys(vars) {
  const [wlId, ...wl] = first(vars.DEMO_WORLDLINE_KEYS).split(':');
  return {
    worldlineKeyId: wlId,
    worldline: wl.join(':'),
    sibs: Buffer.from(first(vars.DEMO_SIBS_KEY), 'base64'),
    lyraPassword: first(vars.DEMO_LYRA_REST_PASSWORD),
    lyraHmac: first(vars.DEMO_LYRA_REST_HMAC_KEY),
    lyraForm: keyFor(vars.DEMO_LYRA_FORM_KEYS, 'TEST'),
    standard: first(vars.DEMO_STANDARD_WEBHOOKS_SECRET),
    generic: first(vars.DEMO_GENERIC_HMAC_SECRET),
    everifin: first(vars.DEMO_EVERIFIN_HOOK_SECRET),
    fedapay: first(vars.DEMO_FEDAPAY_WEBHOOK_SECRET),
    stripe: first(vars.DEMO_STRIPE_WEBHOOK_SECRET),
  };
}

const JSON_CT = { 'content-type': 'application/json' };

/** A JSON body's own `event_id`, if it is JSON and has one. */
function bodyEventId(body) {
  try {
    return JSON.parse(body)?.event_id;
  } catch {
    return undefined;
  }
}
const FORM_CT = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * Signers with a chosen body, per demo route. `body` is the JSON text (Lyra REST: the
 * kr-answer; Lyra form: ordered [name, value] pairs; SIBS: the plaintext, string or bytes).
 */
export function signers(vars) {
  const k = keys(vars);
  return {
    worldline: (body, extra = {}) => ({
      path: '/hooks/worldline', body,
      headers: { ...JSON_CT, 'X-GCS-Signature': hmac(k.worldline, body, 'base64'), 'X-GCS-KeyId': k.worldlineKeyId, ...extra },
    }),
    stripe: (body, { t = nowS(), sig } = {}) => ({ path: '/hooks/stripe', body, headers: { ...JSON_CT, 'Stripe-Signature': sig ?? signStripe([k.stripe], t, body) } }),
    fedapay: (body, { t = nowS() } = {}) => ({ path: '/hooks/fedapay', body, headers: { ...JSON_CT, 'X-FEDAPAY-SIGNATURE': signFedapay(k.fedapay, t, body) } }),
    everifin: (body, { ts = new Date().toISOString() } = {}) => ({ path: '/hooks/everifin', body, headers: { ...JSON_CT, Signature: signEverifin([k.everifin], ts, body) } }),
    'standard-webhooks': (body, { id = 'msg_' + crypto.randomBytes(8).toString('hex'), ts = nowS(), sig } = {}) => ({
      path: '/hooks/standard-webhooks', body, id,
      headers: { ...JSON_CT, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig ?? signStandard(k.standard, id, ts, body) },
    }),
    // GitHub-style: the delivery id header is not signed, so the event id is the body's own
    // (`event_id`) or, without one, the body's stable hash (`generic-hmac-<first 16 bytes of
    // SHA-256, hex>`), computed here independently of the Rust code.
    'generic-hmac': (body, { sig, delivery = crypto.randomUUID() } = {}) => ({
      path: '/hooks/generic', body,
      id: bodyEventId(body) ?? `generic-hmac-${crypto.createHash('sha256').update(body).digest('hex').slice(0, 32)}`,
      headers: { ...JSON_CT, 'X-Hub-Signature-256': sig ?? 'sha256=' + hmac(k.generic, body, 'hex'), 'X-GitHub-Delivery': delivery, 'X-GitHub-Event': 'payment.succeeded' },
    }),
    sibs: (plaintext, { key = k.sibs, iv = crypto.randomBytes(12) } = {}) => {
      if (typeof plaintext === 'string') {
        const e = encrypt(plaintext, key, iv);
        return { path: '/hooks/sibs', body: e.body, headers: e.headers };
      }
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      return { path: '/hooks/sibs', body: b64(ct), headers: { 'content-type': 'text/plain', 'X-Initialization-Vector': b64(iv), 'X-Authentication-Tag': b64(c.getAuthTag()) } };
    },
    'lyra-rest': (answer) => ({ path: '/hooks/lyra-rest', body: ipnBody(answer, k.lyraPassword), headers: { ...FORM_CT } }),
    'lyra-form': (pairs, { sign = true } = {}) => {
      const all = sign ? [...pairs, ['signature', vadsSignature(Object.fromEntries(pairs), k.lyraForm)]] : pairs;
      return { path: '/hooks/lyra-form', body: new URLSearchParams(all).toString(), headers: { ...FORM_CT } };
    },
  };
}

const header = (req, name) => Object.entries(req.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
const items = (value, sep) => Object.fromEntries(String(value || '').split(sep).map((p) => p.trim().split('=')).map(([a, ...b]) => [a, b.join('=')]));

/**
 * The MAC the gateway computes for `req` on a demo route with the demo secrets, as raw
 * bytes (whatever the request carries: for a tampered request this is the value an
 * attacker would need). `null` for SIBS (no MAC; its secret output is the plaintext).
 */
export function expectedMac(vars, req) {
  const k = keys(vars);
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body ?? '', 'utf8');
  switch (req.path) {
    case '/hooks/worldline': return hmac(k.worldline, body);
    case '/hooks/stripe': return hmac(k.stripe, Buffer.concat([Buffer.from(`${Number(items(header(req, 'Stripe-Signature'), ',').t)}.`), body]));
    case '/hooks/fedapay': return hmac(k.fedapay, Buffer.concat([Buffer.from(`${Number(items(header(req, 'X-FEDAPAY-SIGNATURE'), ',').t)}.`), body]));
    case '/hooks/everifin': return hmac(k.everifin, Buffer.concat([Buffer.from(`${items(header(req, 'Signature'), ';').ts}.`), body]));
    case '/hooks/standard-webhooks': {
      const key = Buffer.from(k.standard.replace(/^whsec_/, ''), 'base64');
      return hmac(key, Buffer.concat([Buffer.from(`${header(req, 'webhook-id')}.${Number(header(req, 'webhook-timestamp'))}.`), body]));
    }
    case '/hooks/generic': return hmac(k.generic, body);
    case '/hooks/lyra-rest': {
      const answer = new URLSearchParams(body.toString('utf8')).get('kr-answer') ?? '';
      return hmac(k.lyraPassword, answer.replace(/\\\//g, '/'));
    }
    case '/hooks/lyra-form': {
      const f = Object.fromEntries([...new URLSearchParams(body.toString('utf8'))].filter(([n]) => n.startsWith('vads_')));
      return Buffer.from(vadsSignature(f, k.lyraForm), 'base64');
    }
    default: return null;
  }
}

/** Every text form a MAC could take in a log or a body. */
export function encodings(bytes) {
  const b = Buffer.from(bytes);
  const base = b.toString('base64');
  return [b.toString('hex'), b.toString('hex').toUpperCase(), base, base.replace(/=+$/, ''), b.toString('base64url')];
}
