import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../../shared/protocol';
import { MemorySecretStore } from '../../secrets';
import { hostSettings, metricsConfig } from '../config';
import type { SampleBatch } from '../types';
import { hostForInstance, instanceHost } from './common';
import { PrometheusSource } from './prometheus-source';

const host = (name: string, address: string, transport: 'ssh' | 'local' = 'ssh'): Host => ({ name, address, port: 22, user: null, identityFile: null, tags: [], jump: null, privacy: 'default', transport });

describe('instance → host mapping', () => {
  const hosts = [host('web-1', '10.0.0.5'), host('db', 'db.example.com'), host('localhost', 'localhost', 'local'), host('v6', 'fd00::1')];
  it('matches the instance host part to an address or a name; the explicit map wins', () => {
    expect(instanceHost('10.0.0.5:9100')).toBe('10.0.0.5');
    expect(instanceHost('[fd00::1]:9100')).toBe('fd00::1');
    expect(instanceHost('DB.example.com')).toBe('db.example.com');
    expect(hostForInstance('10.0.0.5:9100', hosts, {})).toBe('web-1');
    expect(hostForInstance('db.example.com:9100', hosts, {})).toBe('db');
    expect(hostForInstance('web-1:9100', hosts, {})).toBe('web-1');
    expect(hostForInstance('[fd00::1]:9100', hosts, {})).toBe('v6');
    expect(hostForInstance('127.0.0.1:9100', hosts, {})).toBe('localhost');
    expect(hostForInstance('10.9.9.9:9100', hosts, {})).toBeNull();
    expect(hostForInstance('10.9.9.9:9100', hosts, { '10.9.9.9:9100': 'db' })).toBe('db');
    // A map to a host not in the inventory maps nowhere (rather than somewhere else).
    expect(hostForInstance('10.0.0.5:9100', hosts, { '10.0.0.5:9100': 'gone' })).toBeNull();
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server | null = null;
async function serve(handler: Handler): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = null;
});

function source(url: string, extra: Record<string, unknown> = {}, secrets?: MemorySecretStore) {
  const config = metricsConfig.schema.parse({ source: 'prometheus', sources: { prometheus: { url, stepSeconds: 10, settleSeconds: 0, backfillMinutes: 1, timeoutSeconds: 1, ...extra } } });
  const hosts = [host('web-1', '10.0.0.5')];
  const batches: SampleBatch[] = [];
  const src = new PrometheusSource({ hosts: () => hosts, settings: (h) => hostSettings(config, h), config: config.sources.prometheus!, secrets, now: () => 1_700_000_000_000 });
  return { src, batches, sink: { append: (b: SampleBatch) => void batches.push(b) } };
}

/** A query_range answer: every query gets one series for web-1's instance with two points. */
function matrix(req: IncomingMessage): string {
  const u = new URL(req.url ?? '/', 'http://x');
  const q = u.searchParams.get('query') ?? '';
  const start = Number(u.searchParams.get('start'));
  const metric: Record<string, string> = { instance: '10.0.0.5:9100' };
  if (q.includes('mountpoint')) Object.assign(metric, { device: '/dev/vda', fstype: 'ext4', mountpoint: '/' });
  else if (q.includes('device')) metric.device = q.includes('network') ? 'eth0' : 'vda';
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric, values: [[start, '0.5'], [start + 10, '0.75']] }] } });
}

describe('PrometheusSource', () => {
  it('stores mapped series for the mapped host, with the bearer token from the keychain', async () => {
    const auth: string[] = [];
    const url = await serve((req, res) => {
      auth.push(String(req.headers.authorization));
      res.setHeader('Content-Type', 'application/json');
      res.end(matrix(req));
    });
    const secrets = new MemorySecretStore({ secrets: { 'metrics:prometheus': 's3cret' } });
    const { src, batches, sink } = source(url, { auth: { type: 'bearer', keychain: 'metrics:prometheus' } }, secrets);
    src.start(sink);
    await src.poll();
    await src.stop();
    expect(auth.every((a) => a === 'Bearer s3cret')).toBe(true);
    const names = new Set(batches.flatMap((b) => b.values.map((v) => `${v.name}${JSON.stringify(v.labels)}`)));
    expect(names).toContain('load1{}');
    expect(names).toContain('cpu_busy_ratio{}');
    expect(names).toContain('disk_used_ratio{"mount":"/"}');
    expect(names).toContain('net_rx_bytes_per_second{"iface":"eth0"}');
    expect(names).not.toContain('__filesystem_size_bytes{"mount":"/"}');
    expect(batches.every((b) => b.host === 'web-1' && b.source === 'prometheus')).toBe(true);
    expect(src.status()[0]).toMatchObject({ host: 'web-1', source: 'prometheus', state: 'ok' });
  });

  it('a malformed answer stores nothing, says why, and the next good poll fetches the same window', async () => {
    let broken = true;
    const starts: string[] = [];
    const url = await serve((req, res) => {
      starts.push(new URL(req.url ?? '/', 'http://x').searchParams.get('start') ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end(broken && (req.url ?? '').includes('node_load1') ? '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x"]]}]}}' : matrix(req));
    });
    const { src, batches, sink } = source(url);
    src.start(sink);
    await src.poll();
    expect(batches).toEqual([]);
    const st = src.status()[0]!;
    expect(st.state).toBe('failing');
    expect(st.lastError?.message).toMatch(/malformed answer to the query for load1/);
    broken = false;
    const firstStart = starts[0];
    starts.length = 0;
    await src.poll();
    await src.stop();
    expect(starts.every((s) => s === firstStart)).toBe(true);
    expect(batches.length).toBeGreaterThan(0);
    expect(src.status()[0]!.state).toBe('ok');
  });

  it('an error answer from Prometheus is reported with its text', async () => {
    const url = await serve((_req, res) => {
      res.statusCode = 400;
      res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }));
    });
    const { src, sink } = source(url);
    src.start(sink);
    await src.poll();
    await src.stop();
    expect(src.status()[0]!.lastError?.message).toMatch(/refused the query .*bad_data.*parse error at char 3/);
  });

  it('a server that never answers fails the poll at its deadline (timeout), a closed port as unreachable', async () => {
    const url = await serve(() => undefined);
    const hung = source(url);
    hung.src.start(hung.sink);
    await hung.src.poll();
    await hung.src.stop();
    expect(hung.src.status()[0]!.lastError).toMatchObject({ code: 'timeout' });
    expect(hung.batches).toEqual([]);

    const closed = source('http://127.0.0.1:1');
    closed.src.start(closed.sink);
    await closed.src.poll();
    await closed.src.stop();
    expect(closed.src.status()[0]!.lastError).toMatchObject({ code: 'unreachable' });
  });

  it('credentials missing from the keychain are an auth failure; the config cannot hold a secret', async () => {
    const url = await serve((req, res) => res.end(matrix(req)));
    const { src, sink } = source(url, { auth: { type: 'basic', username: 'fm', keychain: 'metrics:none' } }, new MemorySecretStore());
    src.start(sink);
    await src.poll();
    await src.stop();
    expect(src.status()[0]!.lastError).toMatchObject({ code: 'auth_failed' });
    expect(src.status()[0]!.lastError?.message).toMatch(/metrics:none/);
    expect(() => metricsConfig.schema.parse({ sources: { prometheus: { url, auth: { type: 'bearer', token: 'x' } } } })).toThrow();
    expect(() => metricsConfig.schema.parse({ sources: { prometheus: { url, password: 'x' } } })).toThrow();
    expect(() => metricsConfig.schema.parse({ sources: { prometheus: { url, insecureSkipVerify: true } } })).toThrow();
    expect(() => metricsConfig.schema.parse({ source: 'prometheus' })).toThrow(/sources.prometheus.url/);
  });

  it('only hosts whose source is prometheus are fed by it; the collector gets the rest', () => {
    const config = metricsConfig.schema.parse({ hosts: { 'web-1': { source: 'prometheus' } }, tags: { edge: { source: 'node_exporter', nodeExporterUrl: 'https://edge.example:9100/metrics' } }, sources: { prometheus: { url: 'https://prom.example:9090' } } });
    expect(hostSettings(config, { name: 'web-1', tags: [] }).source).toBe('prometheus');
    expect(hostSettings(config, { name: 'db', tags: [] }).source).toBe('collector');
    expect(hostSettings(config, { name: 'e1', tags: ['edge'] })).toMatchObject({ source: 'node_exporter', nodeExporterUrl: 'https://edge.example:9100/metrics' });
  });
});
