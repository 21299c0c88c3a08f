-- edgehook event log (Cloudflare D1). Applied with `wrangler d1 migrations apply EDGEHOOK_DB`.
-- Metadata only: payloads for a resend stay in KV under the same retention.
-- One row per accepted event and route.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  route TEXT NOT NULL,
  id TEXT NOT NULL,
  provider TEXT NOT NULL,
  event_type TEXT,
  livemode INTEGER,
  status TEXT,
  amount_minor INTEGER,
  currency TEXT,
  payment_id TEXT,
  merchant_reference TEXT,
  provider_event_type TEXT,
  accepted_at_ms INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'retrying', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  delivered_at_ms INTEGER,
  dead_reason TEXT,
  updated_at_ms INTEGER NOT NULL,
  UNIQUE (route, id)
);
CREATE INDEX events_accepted ON events (accepted_at_ms);
CREATE INDEX events_merchant_reference ON events (merchant_reference);
CREATE INDEX events_payment_id ON events (payment_id);
CREATE INDEX events_id ON events (id);

-- One row per delivery attempt; chain is the resend generation, n the attempt within it.
CREATE TABLE attempts (
  route TEXT NOT NULL,
  id TEXT NOT NULL,
  chain INTEGER NOT NULL,
  n INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  status INTEGER,
  detail TEXT NOT NULL,
  PRIMARY KEY (route, id, chain, n)
);

-- Rejected requests counted per route (empty: no route), code and minute, flushed from
-- memory: never one row write per rejected request.
CREATE TABLE rejections (
  route TEXT NOT NULL,
  code TEXT NOT NULL,
  minute INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (route, code, minute)
);
