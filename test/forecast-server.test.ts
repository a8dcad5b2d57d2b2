// The forecast watchers as the server wires them (compose.ts): the real built server with
// `forecast.tls.endpoints` in its config.yaml, a TLS endpoint on 127.0.0.1 whose
// self-signed certificate expires in 5 days, and the alert in GET /api/alerts with the
// expiry as its predicted time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertList } from '../src/shared/protocol';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

describe('forecast alerts through the server', () => {
  let dir: string;
  let tls: Server;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fm-forecast-server-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '5', '-subj', '/CN=soon.test'], { stdio: 'pipe' });
    tls = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) });
    port = await new Promise<number>((resolve) => tls.listen(0, '127.0.0.1', () => resolve((tls.address() as { port: number }).port)));
    const dataDir = join(dir, 'home');
    execFileSync('mkdir', ['-m', '700', dataDir]);
    writeFileSync(join(dataDir, 'config.yaml'), `forecast:\n  tls:\n    endpoints: ["127.0.0.1:${port}"]\n    warnDays: 14\n`);
    server = await startBuiltServer({ dataDir });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the certificate-expiry alert with its predicted time', async () => {
    let forecast: AlertList['alerts'] = [];
    // Bounded: the first check runs as collection starts; poll for up to 30 s.
    for (let i = 0; i < 60 && forecast.length === 0; i++) {
      const list = (await (await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as AlertList;
      forecast = list.alerts.filter((a) => a.source === 'forecast');
      if (forecast.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(forecast, server.stderr()).toHaveLength(1);
    const alert = forecast[0]!;
    // 127.0.0.1 is the address of the default inventory's `localhost`: the alert is about that host.
    expect(alert).toMatchObject({ name: 'tls_certificate_expiry', host: 'localhost', state: 'firing', severity: 'warning', labels: expect.objectContaining({ endpoint: `127.0.0.1:${port}`, source: 'forecast' }) });
    expect(alert.summary).toContain(`the TLS certificate of 127.0.0.1:${port} expires at`);
    expect(Date.parse(alert.predictedAt!)).toBeGreaterThan(Date.now() + 4 * 86_400_000);
  }, 60_000);
});
