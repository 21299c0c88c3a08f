// SIBS Gateway demo request: the JSON notification AES-256-GCM-encrypted with the demo key,
// body = base64 ciphertext without the tag, IV and tag in headers (node:crypto only).
import crypto from 'node:crypto';

/** Encrypts like SIBS: returns {body, headers} for a plaintext, key (bytes) and IV. */
export function encrypt(plaintext, key, iv = crypto.randomBytes(12)) {
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    body: ct.toString('base64'),
    headers: {
      'content-type': 'text/plain',
      'X-Initialization-Vector': iv.toString('base64'),
      'X-Authentication-Tag': cipher.getAuthTag().toString('base64'),
    },
  };
}

export default {
  name: 'sibs',
  path: '/hooks/sibs',
  // Returns the request and the normalized event id it will get (`id` = notificationID).
  build(vars, nowS = Math.floor(Date.now() / 1000), i = 0, extra = {}) {
    const key = Buffer.from(vars.DEMO_SIBS_KEY.split('\n')[0].trim(), 'base64');
    const id = crypto.randomUUID();
    const plaintext = JSON.stringify({
      returnStatus: { statusMsg: 'Success', statusCode: '000', statusDescription: 'Success' },
      paymentStatus: 'Success',
      paymentMethod: 'MBWAY',
      transactionID: 's2' + id.replace(/-/g, '').slice(0, 18),
      transactionDateTime: new Date(nowS * 1000).toISOString(),
      amount: { currency: 'EUR', value: '16.20' },
      merchant: { terminalId: 99978, transactionId: `order-${1001 + i}`, merchantName: 'Demo shop' },
      paymentType: 'PURS',
      notificationID: id,
      ...extra,
    });
    return { id, ...encrypt(plaintext, key) };
  },
};
