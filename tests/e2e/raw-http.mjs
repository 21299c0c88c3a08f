// HTTP/1.1 over a plain socket, for requests fetch() would refuse or rewrite: `..` and
// encoded slashes in the target, duplicated header lines, raw non-UTF-8 header bytes,
// chunked bodies with no Content-Length.
import net from 'node:net';

/**
 * Sends `head` (request line + header lines, no CRLFs) and `body` pieces on a fresh
 * connection; `chunked` frames the pieces as Transfer-Encoding: chunked, `paceMs` waits
 * between pieces (and sending stops as soon as a response arrives). Resolves with the
 * parsed response, or `{reset: code}` when the peer closed without answering.
 */
export function rawRequest(baseUrl, { line, headers = [], body = [], chunked = false, contentLength = !chunked, paceMs = 0 }) {
  const u = new URL(baseUrl);
  const pieces = (Array.isArray(body) ? body : [body]).map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1')));
  const total = pieces.reduce((n, b) => n + b.length, 0);
  const lines = [line + ' HTTP/1.1', `Host: ${u.host}`, 'Connection: close', ...headers];
  if (chunked) lines.push('Transfer-Encoding: chunked');
  else if (contentLength) lines.push(`Content-Length: ${total}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return new Promise((resolve) => {
    const got = [];
    let done = false;
    const finish = (reset) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(parse(Buffer.concat(got), reset));
    };
    const sock = net.connect(Number(u.port), u.hostname, async () => {
      const write = (b) => new Promise((r) => (sock.destroyed ? r() : sock.write(b, () => r())));
      await write(head);
      for (const p of pieces) {
        // Stop sending once the server has answered (a 413 before the body ended): a peer
        // that closes with unread input resets the connection, losing its own answer.
        if (sock.destroyed || done || got.length) break;
        await write(chunked ? Buffer.concat([Buffer.from(p.length.toString(16) + '\r\n'), p, Buffer.from('\r\n')]) : p);
        if (paceMs) await new Promise((r) => setTimeout(r, paceMs));
      }
      if (chunked && !sock.destroyed && !done) await write(Buffer.from('0\r\n\r\n'));
    });
    sock.on('data', (c) => {
      got.push(c);
      // workerd may keep the connection open despite `Connection: close`: stop at the end
      // of the response instead of waiting for the close.
      if (complete(Buffer.concat(got))) {
        finish();
        sock.destroy();
      }
    });
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => finish(e.code || 'error'));
    const timer = setTimeout(() => { sock.destroy(); finish('timeout'); }, 15000);
  });
}

function complete(buf) {
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) return false;
  const head = buf.subarray(0, sep).toString('latin1');
  const len = head.match(/\r\ncontent-length:\s*(\d+)/i);
  if (len) return buf.length - sep - 4 >= Number(len[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return buf.subarray(sep + 4).includes('0\r\n\r\n');
  return false;
}

function parse(buf, reset) {
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) return { status: 0, headers: {}, text: '', json: undefined, reset: reset || 'no response' };
  const [statusLine, ...hl] = buf.subarray(0, sep).toString('latin1').split('\r\n');
  const headers = {};
  for (const h of hl) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  let body = buf.subarray(sep + 4);
  if (/chunked/i.test(headers['transfer-encoding'] || '')) body = unchunk(body);
  const text = body.toString('utf8');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: Number(statusLine.split(' ')[1]), headers, text, json, reset };
}

function unchunk(b) {
  const out = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf('\r\n', i);
    if (nl < 0) break;
    const n = parseInt(b.subarray(i, nl).toString('latin1'), 16);
    if (!n) break;
    out.push(b.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(out);
}
