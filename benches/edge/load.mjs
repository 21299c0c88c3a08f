// One autocannon run in its own process (so the load generator's CPU is never counted as
// the server's and never shares the bench runner's event loop). Reads a JSON spec file:
// {url, method, headers, bodyFile, connections, duration}; prints autocannon's result JSON.
import fs from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const body = spec.bodyFile ? fs.readFileSync(spec.bodyFile) : undefined;
const result = await autocannon({
  url: spec.url,
  method: spec.method || 'POST',
  headers: spec.headers,
  body,
  connections: spec.connections,
  duration: spec.duration,
  pipelining: 1,
});
process.stdout.write(JSON.stringify({
  requests: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  duration: result.duration,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
}));
