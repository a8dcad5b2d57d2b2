// A tiny HTTP client that tests run as another OS user (`runuser -u nobody -- node http-probe.mjs JSON`).
// argv[2] is a JSON array of requests {url, method?, headers?, body?, sendAndClose?}; stdout is a JSON
// array of answers {status, headers, body} (or {sent: true} for sendAndClose, {error} on failure).
// sendAndClose writes the request and closes the socket at once, without waiting for any answer: the
// kernel then keeps an orphaned socket (inode 0) for the connection, which a server must not trust.
import { request } from 'node:http';
import { connect } from 'node:net';

const requests = JSON.parse(process.argv[2] ?? '[]');

function send(spec) {
  const url = new URL(spec.url);
  const body = spec.body === undefined ? undefined : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
  const headers = { ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}), ...(spec.headers ?? {}) };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (spec.sendAndClose) {
    return new Promise((resolve) => {
      const socket = connect({ host, port: Number(url.port) }, () => {
        const lines = [`${spec.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
        for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
        socket.end(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, () => {
          if (spec.sendAndClose === 'destroy') socket.destroy();
          resolve({ sent: true });
        });
      });
      socket.on('error', (err) => resolve({ error: err.message }));
    });
  }
  return new Promise((resolve) => {
    const req = request({ host, port: Number(url.port), path: `${url.pathname}${url.search}`, method: spec.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

const results = [];
for (const spec of requests) results.push(await send(spec));
process.stdout.write(`${JSON.stringify(results)}\n`);
// sendAndClose: exit at once, so the sockets are orphaned while the server may still be accepting them.
process.exit(0);
