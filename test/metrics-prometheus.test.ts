// The Prometheus and node_exporter sources against the real programs (issue 17 item 2):
// the test starts Debian's prometheus-node-exporter and prometheus on 127.0.0.1 only
// (free ports, a generated config scraping the exporter every second, a temporary
// storage dir), waits (bounded) until Prometheus has data, then runs the BUILT server
// with `localhost` fed by Prometheus (instance 127.0.0.1:PORT mapped by default to the
// local machine) and a second host fed by node_exporter directly. The mapped series come
// back from GET /api/metrics/query. Then Prometheus is stopped: its host turns failing
// with a clear error while the node_exporter host keeps getting points. Every process
// started here is killed in afterAll (by its own PID).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorStatusList, MetricQueryResponse, MetricSeriesList } from '../src/shared/protocol';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

const PROMETHEUS = '/usr/bin/prometheus';
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const missing = [PROMETHEUS, NODE_EXPORTER].filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.warn(`metrics-prometheus: skipped, ${missing.join(' and ')} not installed (scripts/install-system-deps.sh installs prometheus and prometheus-node-exporter)`);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise((r) => s.close(r));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000, log?: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${log ? `\n${log()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(missing.length > 0)('Prometheus and node_exporter sources (real programs, built server)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fm-prom-'));
  const children: ChildProcess[] = [];
  const logs: Record<string, string> = { prometheus: '', exporter: '' };
  let exporterPort = 0;
  let promPort = 0;
  let prometheus: ChildProcess;
  let server: RunningServer;

  const start = (name: 'prometheus' | 'exporter', cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => {
      logs[name] = (logs[name] + c.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    exporterPort = await freePort();
    promPort = await freePort();
    start('exporter', NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${exporterPort}`]);
    await until('node_exporter /metrics', async () => (await fetch(`http://127.0.0.1:${exporterPort}/metrics`)).ok, 30_000, () => logs.exporter!);

    writeFileSync(
      join(root, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: node', '    static_configs:', `      - targets: ["127.0.0.1:${exporterPort}"]`, ''].join('\n'),
    );
    mkdirSync(join(root, 'tsdb'));
    prometheus = start('prometheus', PROMETHEUS, [
      `--config.file=${join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(root, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    // Data present: a CPU rate needs at least two scrapes.
    const q = encodeURIComponent('rate(node_cpu_seconds_total{mode="idle"}[5s])');
    await until(
      'Prometheus to have node_exporter data',
      async () => {
        const r = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${q}`)).json()) as { data?: { result?: unknown[] } };
        return (r.data?.result?.length ?? 0) > 0;
      },
      60_000,
      () => logs.prometheus!,
    );

    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'config.yaml'),
      [
        'metrics:',
        '  intervalSeconds: 1',
        '  hosts:',
        '    localhost: { source: prometheus }',
        `    fm-nx: { source: node_exporter, nodeExporterUrl: "http://127.0.0.1:${exporterPort}/metrics" }`,
        '  sources:',
        '    prometheus:',
        `      url: http://127.0.0.1:${promPort}`,
        '      intervalSeconds: 1',
        '      stepSeconds: 1',
        '      settleSeconds: 1',
        '      rateWindowSeconds: 5',
        '      timeoutSeconds: 2',
        '',
      ].join('\n'),
    );
    server = await startBuiltServer({ dataDir });
    const res = await fetch(`${server.url}/api/hosts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      // Never reached over SSH: its metrics come from node_exporter's URL.
      body: JSON.stringify({ name: 'fm-nx', address: 'fm-nx.invalid', port: 22, user: 'root' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(root, { recursive: true, force: true });
  });

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${server.token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const points = (host: string, metric: string) =>
    until(
      `${host} ${metric} points`,
      async () => {
        const r = await get<MetricQueryResponse>(`/api/metrics/query?host=${host}&metric=${encodeURIComponent(metric)}&since=-10m`);
        return r.status === 200 && r.body.points.length >= 2 ? r.body : null;
      },
      60_000,
      () => server.stderr(),
    );

  it('serves the mapped series of the host fed by Prometheus', async () => {
    const busy = await points('localhost', 'cpu_busy_ratio');
    expect(busy).toMatchObject({ host: 'localhost', metric: 'cpu_busy_ratio', unit: 'ratio', labels: {}, source: 'prometheus' });
    for (const [, v] of busy.points) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
    const avail = await points('localhost', 'memory_available_bytes');
    expect(avail.points.at(-1)![1]).toBeGreaterThan(0);
    const root1 = await points('localhost', 'disk_used_ratio{mount="/"}');
    expect(root1.labels).toEqual({ mount: '/' });
    await points('localhost', 'load1');
    const series = await get<MetricSeriesList>('/api/metrics/series?host=localhost');
    const names = new Set(series.body.series.map((s) => s.metric));
    for (const m of ['load1', 'cpu_busy_ratio', 'cpu_iowait_ratio', 'memory_available_bytes', 'memory_used_bytes', 'disk_used_ratio', 'uptime_seconds']) expect(names, m).toContain(m);
    // One source per host: the SSH collector left localhost alone.
    expect(series.body.series.every((s) => s.source === 'prometheus')).toBe(true);
    expect(names.has('collector_up')).toBe(false);
    expect(series.body.collector).toMatchObject({ host: 'localhost', source: 'prometheus', state: 'ok' });
  }, 120_000);

  it('serves the mapped series of the host scraped from node_exporter directly', async () => {
    const busy = await points('fm-nx', 'cpu_busy_ratio');
    expect(busy).toMatchObject({ host: 'fm-nx', source: 'node_exporter', unit: 'ratio' });
    const load = await points('fm-nx', 'load1');
    expect(load.points.at(-1)![1]).toBeGreaterThanOrEqual(0);
    const series = await get<MetricSeriesList>('/api/metrics/series?host=fm-nx');
    expect(series.body.series.map((s) => s.metric)).toEqual(expect.arrayContaining(['memory_available_bytes', 'disk_used_ratio', 'uptime_seconds']));
    expect(series.body.collector).toMatchObject({ host: 'fm-nx', source: 'node_exporter', state: 'ok' });
  }, 120_000);

  it('a dead Prometheus turns its host failing with a clear error; the node_exporter host keeps collecting', async () => {
    const exited = new Promise((r) => prometheus.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
    const failing = await until('localhost to fail', async () => {
      const s = (await get<CollectorStatusList>('/api/metrics/hosts')).body.hosts.find((h) => h.host === 'localhost');
      return s?.state === 'failing' ? s : null;
    });
    expect(failing.source).toBe('prometheus');
    expect(failing.lastError?.code).toBe('unreachable');
    expect(failing.lastError?.message).toContain(`127.0.0.1:${promPort}`);
    const before = (await points('fm-nx', 'load1')).points.at(-1)![0];
    await until('fresh fm-nx points after Prometheus died', async () => {
      const r = await get<MetricQueryResponse>('/api/metrics/query?host=fm-nx&metric=load1&since=-10m');
      return r.body.points.at(-1)![0] > before;
    });
    const nx = (await get<CollectorStatusList>('/api/metrics/hosts')).body.hosts.find((h) => h.host === 'fm-nx');
    expect(nx).toMatchObject({ state: 'ok', source: 'node_exporter' });
  }, 120_000);
});
