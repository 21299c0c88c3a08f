// Lyra form API V2 IPN demo request: vads_* fields + signature = base64 HMAC-SHA-256 of the
// vads_ values sorted by name, joined with '+', then '+' and the key (node:crypto only).
import crypto from 'node:crypto';

/** The form-API signature of a fields object (`alg`: 'hmac-sha256' or 'sha1'). */
export function vadsSignature(fields, key, alg = 'hmac-sha256') {
  const names = Object.keys(fields).filter((k) => k.startsWith('vads_')).sort();
  const text = names.map((k) => fields[k]).join('+') + '+' + key;
  if (alg === 'sha1') return crypto.createHash('sha1').update(text, 'utf8').digest('hex');
  return crypto.createHmac('sha256', key).update(text, 'utf8').digest('base64');
}

/**
 * The normalized event id the gateway gives these fields: the transaction uuid and the first
 * 12 bytes (hex) of SHA-256 over the signed fields as a compact JSON object with sorted names,
 * without the per-delivery `vads_url_check_src` and `vads_hash` (an independent implementation
 * of the rule in src/providers/lyra_form.rs; the e2e and load tests check they agree).
 */
export function eventId(fields) {
  const names = Object.keys(fields)
    .filter((k) => k.startsWith('vads_') && k !== 'vads_url_check_src' && k !== 'vads_hash')
    .sort();
  const json = `{${names.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(fields[k]))}`).join(',')}}`;
  return `${fields.vads_trans_uuid}:${crypto.createHash('sha256').update(json, 'utf8').digest('hex').slice(0, 24)}`;
}

/** The key for a context mode from `[TEST:|PRODUCTION:]KEY` lines. */
export function keyFor(lines, mode) {
  for (const line of lines.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = line.match(/^(TEST|PRODUCTION):(.*)$/);
    if (!m) return line;
    if (m[1] === mode) return m[2].trim();
  }
  throw new Error(`no ${mode} key`);
}

export default {
  name: 'lyra-form',
  path: '/hooks/lyra-form',
  // Returns the request and the normalized event id it will get (`eventId`).
  build(vars, nowS = Math.floor(Date.now() / 1000), i = 0, extra = {}) {
    const key = keyFor(vars.DEMO_LYRA_FORM_KEYS, 'TEST');
    const uuid = crypto.randomBytes(16).toString('hex');
    const date = new Date(nowS * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const fields = {
      vads_action_mode: 'INTERACTIVE', vads_amount: '1999', vads_auth_result: '00', vads_card_brand: 'CB',
      vads_ctx_mode: 'TEST', vads_currency: '978', vads_cust_name: 'Zoë Demo', vads_effective_creation_date: date,
      vads_operation_type: 'DEBIT', vads_order_id: `order-${1001 + i}`, vads_page_action: 'PAYMENT',
      vads_payment_config: 'SINGLE', vads_site_id: '12345678', vads_trans_date: date,
      vads_trans_id: String(100000 + (i % 900000)).padStart(6, '0'), vads_trans_status: 'AUTHORISED',
      vads_trans_uuid: uuid, vads_url_check_src: 'PAY', vads_version: 'V2',
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
    };
    const body = new URLSearchParams({ ...fields, signature: vadsSignature(fields, key) }).toString();
    return { id: eventId(fields), body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  },
};
