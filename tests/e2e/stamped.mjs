// Helpers shared by the e2e suites of the "<timestamp>.<body>" HMAC schemes (everifin,
// fedapay, stripe): rejections that must forward nothing, the demo sample on the demo
// route, and node:crypto agreeing with the Rust-side vector files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startGateway, waitFor, verifyForward, post, hmac } from './harness.mjs';
import { routesTo, devVars } from './demo-config.mjs';

const quiet = () => new Promise((r) => setTimeout(r, 300));

/** Posts and expects a JSON rejection `status`/`code`, with nothing reaching the origin. */
export async function expectRejected(origin, url, body, headers, status, code, secrets = []) {
  const before = origin.received.length;
  const res = await post(url, body, headers);
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  for (const s of secrets) assert.ok(!res.text.includes(s), 'no secret in the rejection');
  await quiet();
  assert.equal(origin.received.length, before, 'nothing forwarded');
}

/** Posts, expects the ack, and returns the forwarded CloudEvent verified as an origin would. */
export async function expectForwarded(origin, url, body, headers, id, originSecret) {
  const res = await post(url, body, headers);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const got = await waitFor(() => origin.delivered().find((e) => e.headers['webhook-id'] === id));
  assert.ok(got, `origin received ${id}`);
  assert.equal(got.headers['content-type'], 'application/cloudevents+json');
  return verifyForward(got, originSecret); // throws on a bad signature
}

/** The demo sample on the demo route (wrangler.toml + .dev.vars) reaches the origin. */
export async function demoSampleDelivered(origin, name) {
  const { default: sample } = await import(`../../scripts/samples/${name}.mjs`);
  const vars = devVars();
  const demo = await startGateway({ routes: routesTo(`${origin.url}/demo`), secrets: vars });
  try {
    const req = sample.build(vars, Math.floor(Date.now() / 1000), 0);
    const ev = await expectForwarded(origin, demo.url + sample.path, req.body, req.headers, req.id, vars.DEMO_ORIGIN_SECRET);
    assert.equal(ev.provider, name);
    assert.equal(ev.type, 'payment.succeeded');
    return ev;
  } finally {
    await demo.dispose();
  }
}

/**
 * Every accepted case of tests/vectors/<provider>/vectors.json: some configured secret's
 * node:crypto HMAC of `<ts>.<body>` equals one of the header's signatures of `key` (`unix`:
 * the SDKs sign the parsed integer, as the gateway does).
 */
export function nodeAgreesWithVectors(provider, { separator, ts, key, unix = false }) {
  const v = JSON.parse(fs.readFileSync(new URL(`../vectors/${provider}/vectors.json`, import.meta.url)));
  const accepted = v.cases.filter((c) => c.expect === 'accepted');
  assert.ok(accepted.length > 0);
  for (const c of accepted) {
    const body = Buffer.concat([fs.readFileSync(new URL(`../vectors/${provider}/${c.body_file}`, import.meta.url)), Buffer.from(c.body_suffix || '')]);
    const items = c.signature.split(separator).map((i) => i.trim().split('=')).filter(([k]) => k);
    const stamp = items.find(([k]) => k === ts)[1];
    const sigs = items.filter(([k]) => key.test(k)).map(([, s]) => s.toLowerCase());
    const secrets = c.secrets || [v.secret];
    const ok = secrets.some((s) => sigs.includes(hmac('sha256', s, Buffer.concat([Buffer.from(`${unix ? Number(stamp) : stamp}.`), body]), 'hex')));
    assert.ok(ok, `${provider}: ${c.name}`);
  }
  return accepted.length;
}
