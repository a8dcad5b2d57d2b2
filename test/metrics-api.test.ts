// Metrics end to end through the BUILT server (issue 17, items 1, 3, 6): `fleetmind serve`
// collects from fixture sshd hosts that each have their own synthetic /proc (bind-mounted
// files, so the hosts' values differ although they share a kernel); the points come back
// from /api/metrics/query per host; a stopped host shows as failing with its last-seen
// time, and a host that never answers the SSH handshake stays stuck in its own run while
// the others keep collecting. `fleetmind metrics` reads the same series beside the server.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorStatusList, MetricQueryResponse, MetricSeriesList } from '../src/shared/protocol';
import { procFiles, syntheticHost } from '../src/main/core/metrics/testing/synthetic-proc';
import { canMountPerHost, startSshdHosts, type HostMount, type SshdFleet } from './fixtures/sshd-hosts/index';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { silentServer, type HungHost } from './helpers/hung-host';
import { until } from './helpers/poll';
import { canSwitchUsers, probeAs } from './helpers/os-users';

const mountable = await canMountPerHost();
const HOSTS = { a: 'fm-e2e-a', b: 'fm-e2e-b', dead: 'fm-e2e-dead' } as const;
const LOAD = { [HOSTS.a]: 1.25, [HOSTS.b]: 3.5, [HOSTS.dead]: 0.75 } as Record<string, number>;

describe.skipIf(!mountable)('metrics through the built server', () => {
  let fx: SshdFleet;
  let server: RunningServer;
  let hung: HungHost;
  const root = mkdtempSync(join(tmpdir(), 'fm-metrics-e2e-'));
  const home = join(root, 'home');
  const dataDir = join(root, 'data');

  beforeAll(async () => {
    const hostMounts: Record<string, HostMount[]> = {};
    for (const name of Object.values(HOSTS)) {
      const files = procFiles(syntheticHost({ load: [LOAD[name]!, 1, 1], memKb: { total: 1_000_000 * (name === HOSTS.a ? 2 : 3), free: 0, available: 500_000, buffers: 0, cached: 0, swapTotal: 0, swapFree: 0 } }));
      mkdirSync(join(root, name, 'pressure'), { recursive: true });
      hostMounts[name] = Object.entries(files).map(([rel, text]): HostMount => {
        writeFileSync(join(root, name, rel), text);
        return { kind: 'bind', source: join(root, name, rel), target: `/proc/${rel}` };
      });
    }
    fx = await startSshdHosts({ count: 3, names: Object.values(HOSTS), hostMounts });
    hung = await silentServer();
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(fx.knownHostsPath, join(home, '.ssh', 'known_hosts'));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      join(dataDir, 'config.yaml'),
      [
        'metrics:',
        '  intervalSeconds: 1',
        '  hosts:',
        // The hung host's one run may take a minute: the others must not notice.
        '    fm-e2e-hung: { intervalSeconds: 120, timeoutSeconds: 120 }',
        'ssh:',
        '  connectTimeoutSeconds: 90',
        '',
      ].join('\n'),
    );
    server = await startBuiltServer({ dataDir, env: { HOME: home, SSH_AUTH_SOCK: '' } });
    const add = async (body: object) => {
      const res = await fetch(`${server.url}/api/hosts`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBe(201);
    };
    for (const h of fx.hosts) await add({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath });
    await add({ name: 'fm-e2e-hung', address: '127.0.0.1', port: hung.port, user: 'root' });
  });

  afterAll(async () => {
    await server?.stop();
    hung?.close();
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  const get = async <T>(path: string, init: { token?: string } = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, init.token ? { headers: { Authorization: `Bearer ${init.token}` } } : {});
    return { status: res.status, body: (await res.json()) as T };
  };
  const statusOf = async (host: string) => (await get<CollectorStatusList>('/api/metrics/hosts')).body.hosts.find((h) => h.host === host);

  it('lists the anomalies the streaming detectors reported per host (issue 18), none on steady series', async () => {
    await until(`${HOSTS.a} load1 points`, async () => (await get<MetricQueryResponse>(`/api/metrics/query?host=${HOSTS.a}&metric=load1&since=-10m`)).body.points?.length >= 2);
    const r = await get<{ host: string; threshold: number; anomalies: unknown[] }>(`/api/metrics/anomalies?host=${HOSTS.a}&since=-1h`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ host: HOSTS.a, threshold: expect.any(Number), anomalies: [] });
    expect((await get(`/api/metrics/anomalies`)).status).toBe(400);
    expect((await get(`/api/metrics/anomalies?host=${HOSTS.a}&since=yesterday-ish`)).status).toBe(400);
  });

  it.skipIf(!canSwitchUsers)('refuses another local user without a token: host names, processes and anomalies are not public', () => {
    const paths = [`/api/metrics/hosts`, `/api/metrics/series?host=${HOSTS.a}`, `/api/metrics/query?host=${HOSTS.a}&metric=load1`, `/api/metrics/processes?host=${HOSTS.a}`, `/api/metrics/anomalies?host=${HOSTS.a}`];
    const answers = probeAs('nobody', paths.map((path) => ({ url: `${server.url}${path}` })));
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, paths[i]).toBe(401);
      expect(answer.body ?? '', paths[i]).not.toContain(HOSTS.b);
    }
  });

  it('serves each host\'s own collected values from /api/metrics/query', async () => {
    for (const name of [HOSTS.a, HOSTS.b]) {
      const q = await until(`${name} load1 points`, async () => {
        const r = await get<MetricQueryResponse>(`/api/metrics/query?host=${name}&metric=load1&since=-10m`);
        return r.status === 200 && r.body.points.length >= 2 ? r.body : null;
      });
      expect(q).toMatchObject({ host: name, metric: 'load1', labels: {}, unit: 'load', resolution: 'raw', stepMs: null, source: 'collector' });
      expect(new Set(q.points.map(([, v]) => v))).toEqual(new Set([LOAD[name]]));
      for (const [t] of q.points) expect(t).toBeGreaterThan(Date.now() - 10 * 60_000);
    }
    const mem = await get<MetricQueryResponse>(`/api/metrics/query?host=${HOSTS.b}&metric=memory_used_bytes&since=-10m`);
    expect(mem.body.points.at(-1)?.[1]).toBe(2_500_000 * 1024);
    // Labels as query parameters; the Prometheus spelling works too.
    const root1 = await get<MetricQueryResponse>(`/api/metrics/query?host=${HOSTS.a}&metric=disk_used_ratio&mount=/&since=-10m`);
    const root2 = await get<MetricQueryResponse>(`/api/metrics/query?host=${HOSTS.a}&metric=${encodeURIComponent('disk_used_ratio{mount="/"}')}&since=-10m&step=60`);
    expect(root1.status).toBe(200);
    expect(root1.body.labels).toEqual({ mount: '/' });
    expect(root2.body).toMatchObject({ stepMs: 60_000, labels: { mount: '/' } });
    const series = await get<MetricSeriesList>(`/api/metrics/series?host=${HOSTS.a}`);
    expect(series.body.series.map((s) => s.metric)).toEqual(expect.arrayContaining(['load1', 'load5', 'load15', 'memory_used_bytes', 'memory_available_bytes', 'disk_used_ratio', 'collector_up']));
    // The synthetic uptime stands still, so no time passes on the host: no rates (not zero rates).
    expect(series.body.series.some((s) => s.metric === 'cpu_busy_ratio')).toBe(false);
    expect(series.body.collector).toMatchObject({ host: HOSTS.a, state: 'ok', intervalMs: 1000 });
    // Errors are typed.
    expect((await get('/api/metrics/query?host=fm-e2e-a&metric=nope')).status).toBe(404);
    expect((await get('/api/metrics/query?host=fm-e2e-a&metric=load1&since=yesterday')).status).toBe(400);
    expect((await get('/api/metrics/query?metric=load1')).status).toBe(400);
  }, 120_000);

  it('a stopped host fails with its last-seen time; a hung host stays in its own run while the others keep collecting', async () => {
    const dead = await until('the soon-dead host seen', async () => {
      const s = await statusOf(HOSTS.dead);
      return s?.state === 'ok' ? s : null;
    });
    const hungRun = await until('the hung host in flight', async () => {
      const s = await statusOf('fm-e2e-hung');
      return s?.inFlight ? s : null;
    });
    expect(hungRun).toMatchObject({ runs: 0, lastSuccessAt: null });
    await fx.stop(HOSTS.dead);
    const failed = await until('the stopped host failing', async () => {
      const s = await statusOf(HOSTS.dead);
      return s?.state === 'failing' ? s : null;
    });
    expect(failed.lastError?.code).toBe('unreachable');
    expect(Date.parse(failed.lastSuccessAt!)).toBeGreaterThanOrEqual(Date.parse(dead.lastSuccessAt!));
    const before = (await statusOf(HOSTS.a))!;
    // Three more runs of a healthy host while the hung host is still in its first one.
    const after = await until('three more runs of a healthy host', async () => {
      const s = await statusOf(HOSTS.a);
      return s && s.runs >= before.runs + 3 ? s : null;
    });
    expect(after).toMatchObject({ state: 'ok', consecutiveFailures: 0 });
    expect(await statusOf('fm-e2e-hung')).toMatchObject({ inFlight: true, runs: 0, inFlightSince: hungRun.inFlightSince });
    // The stopped host's series says when it went down: collector_up turned 0.
    const up = await get<MetricQueryResponse>(`/api/metrics/query?host=${HOSTS.dead}&metric=collector_up&since=-10m`);
    expect(up.body.points.at(-1)?.[1]).toBe(0);
    expect(up.body.points.some(([, v]) => v === 1)).toBe(true);
  }, 180_000);

  it('`fleetmind metrics` reads the same series beside the running server', async () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'metrics', ...args], { env: { ...process.env, FLEETMIND_HOME: dataDir, HOME: home }, encoding: 'utf8', timeout: 60_000 });
    const json = await until('the journaled points', async () => {
      const r = cli(HOSTS.b, 'load1', '--since', '-10m', '--json');
      if (r.status !== 0) return null;
      const body = JSON.parse(r.stdout) as MetricQueryResponse;
      return body.points.length >= 2 ? body : null;
    });
    expect(new Set(json.points.map(([, v]) => v))).toEqual(new Set([3.5]));
    const text = cli(HOSTS.b, 'load1', '--since', '-10m');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^load1 on fm-e2e-b \(load\)/);
    expect(text.stdout).toMatch(/[▁▂▃▄▅▆▇█]/);
    expect(text.stdout).toMatch(/latest 3\.50/);
    const bad = cli(HOSTS.b, 'load1', '--since', 'yesterday');
    expect(bad.status).toBe(2);
    expect(cli(HOSTS.b, 'no_such_metric').status).toBe(1);
  }, 120_000);
});
