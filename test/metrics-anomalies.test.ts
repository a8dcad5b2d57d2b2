// Anomaly scores hooked to the collected series (issue 18, item 3), through the BUILT server:
// `fleetmind serve` collects from a fixture sshd host whose synthetic /proc/loadavg is steady,
// then jumps. The host's stored history (seeded into the data dir before the server starts)
// is what the restarted detector replays, so it is past its warm-up at once. The score is
// stored beside the series: a stored anomaly at the jump's sample and none before it, read
// back from /api/metrics/anomalies and /api/metrics/query?anomalies=1, and still there after
// the server restarts.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricStore } from '../src/main/core/metrics';
import { loadavgText, procFiles, syntheticHost } from '../src/main/core/metrics/testing/synthetic-proc';
import { Store } from '../src/main/core/store';
import { MetricAnomalyListSchema, MetricQueryResponseSchema, MetricSeriesListSchema } from '../src/shared/protocol';
import { canMountPerHost, startSshdHosts, type HostMount, type SshdFleet } from './fixtures/sshd-hosts/index';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { until } from './helpers/poll';

const mountable = await canMountPerHost();
const HOST = 'fm-anomaly-a';
const STEADY = syntheticHost({ load: [0.5, 0.5, 0.5] });
const JUMPED = syntheticHost({ load: [9, 0.5, 0.5] });
const HISTORY_POINTS = 400;

describe.skipIf(!mountable)('anomaly scores stored beside the collected series (built server)', () => {
  let fx: SshdFleet;
  let server: RunningServer;
  const root = mkdtempSync(join(tmpdir(), 'fm-anomaly-e2e-'));
  const home = join(root, 'home');
  const dataDir = join(root, 'data');
  const proc = join(root, HOST);

  const start = () => startBuiltServer({ dataDir, env: { HOME: home, SSH_AUTH_SOCK: '' } });
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${server.token}` } });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const load1 = async () => MetricQueryResponseSchema.parse((await get(`/api/metrics/query?host=${HOST}&metric=load1&since=-30m&anomalies=1`)).body);

  beforeAll(async () => {
    mkdirSync(join(proc, 'pressure'), { recursive: true });
    const hostMounts: Record<string, HostMount[]> = {
      [HOST]: Object.entries(procFiles(STEADY)).map(([rel, text]): HostMount => {
        writeFileSync(join(proc, rel), text);
        return { kind: 'bind', source: join(proc, rel), target: `/proc/${rel}` };
      }),
    };
    fx = await startSshdHosts({ count: 1, names: [HOST], hostMounts });
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(fx.knownHostsPath, join(home, '.ssh', 'known_hosts'));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'config.yaml'), ['metrics:', '  intervalSeconds: 1', ''].join('\n'));
    // The host's past: 400 steady load1 points, one a second, ending just now (what a
    // server that ran before would have stored). The store schema comes from the same migrations.
    const store = Store.open(dataDir);
    const end = Date.now() - 2000;
    const ts = Float64Array.from({ length: HISTORY_POINTS }, (_, i) => end - (HISTORY_POINTS - 1 - i) * 1000);
    new MetricStore(store.db).importPoints({ host: HOST, metric: 'load1', source: 'collector' }, 0, { ts, values: new Float64Array(HISTORY_POINTS).fill(0.5) });
    store.close();
    server = await start();
    const res = await fetch(`${server.url}/api/hosts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ name: HOST, address: fx.hosts[0]!.address, port: fx.hosts[0]!.port, user: fx.hosts[0]!.user, identityFile: fx.clientKeyPath }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('stores an anomaly at the sample where /proc/loadavg jumped, and none before it', async () => {
    const seededUntil = Date.now() - 2000;
    // Live steady samples first: the detector (rebuilt from the 400 stored points) must stay quiet.
    const steady = await until('five live steady load1 samples', async () => {
      const q = await load1();
      return q.points.filter(([t]) => t > seededUntil).length >= 5 ? q : null;
    });
    expect(steady.anomalyThreshold).toBeGreaterThan(0);
    expect(steady.anomalies!.filter(([, s]) => s >= steady.anomalyThreshold!)).toEqual([]);
    expect(MetricAnomalyListSchema.parse((await get(`/api/metrics/anomalies?host=${HOST}`)).body).anomalies).toEqual([]);

    writeFileSync(join(proc, 'loadavg'), loadavgText(JUMPED));
    const jumped = await until('the jump collected and scored', async () => {
      const q = await load1();
      return q.points.some(([, v]) => v === 9) && q.anomalies!.some(([, s]) => s >= q.anomalyThreshold!) ? q : null;
    });
    const jumpAt = jumped.points.find(([, v]) => v === 9)![0];
    const threshold = jumped.anomalyThreshold!;
    const reported = jumped.anomalies!.filter(([, s]) => s >= threshold);
    expect(reported[0]![0]).toBe(jumpAt);
    expect(jumped.anomalies!.filter(([t]) => t < jumpAt)).toEqual([]);

    const listed = MetricAnomalyListSchema.parse((await get(`/api/metrics/anomalies?host=${HOST}&since=-30m`)).body);
    expect(listed.threshold).toBe(threshold);
    expect(listed.anomalies[0]).toEqual({ series: 'load1', metric: 'load1', labels: {}, at: jumpAt, value: 9, score: reported[0]![1] });
    // Only the series that jumped: load5 and load15 stayed, the rest never had a jump.
    expect(new Set(listed.anomalies.map((a) => a.series))).toEqual(new Set(['load1']));
    // The score is a series of its own beside load1, queryable by name like any other.
    const series = MetricSeriesListSchema.parse((await get(`/api/metrics/series?host=${HOST}`)).body);
    expect(series.anomalyThreshold).toBe(threshold);
    expect(series.series.filter((s) => s.metric === 'anomaly_score').map((s) => s.labels)).toEqual([{ metric_name: 'load1' }]);
    const scoreSeries = MetricQueryResponseSchema.parse((await get(`/api/metrics/query?host=${HOST}&metric=${encodeURIComponent('anomaly_score{metric_name="load1"}')}&since=-30m`)).body);
    expect(scoreSeries.points[0]).toEqual(reported[0]);
    expect(scoreSeries.source).toBe('anomaly-detector');
  }, 180_000);

  it('refuses malformed anomaly queries with typed errors', async () => {
    for (const path of [
      `/api/metrics/query?host=${HOST}&metric=load1&anomalies=yes`,
      `/api/metrics/anomalies?host=${HOST}&since=-1m&until=-2h`,
      `/api/metrics/anomalies?host=${HOST}&until=tomorrow-ish`,
      `/api/metrics/anomalies`,
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body, path).toMatchObject({ error: { code: 'bad_request' } });
    }
    // A series filter that matches nothing is an empty list, not an error.
    const none = MetricAnomalyListSchema.parse((await get(`/api/metrics/anomalies?host=${HOST}&series=${encodeURIComponent('load5')}`)).body);
    expect(none.anomalies).toEqual([]);
  });

  it('keeps the stored anomaly across a restart (it is in the store, not in memory)', async () => {
    const before = MetricAnomalyListSchema.parse((await get(`/api/metrics/anomalies?host=${HOST}&since=-30m`)).body).anomalies;
    expect(before.length).toBeGreaterThan(0);
    await server.stop();
    server = await start();
    const after = MetricAnomalyListSchema.parse((await get(`/api/metrics/anomalies?host=${HOST}&since=-30m&series=load1`)).body).anomalies;
    expect(after[0]).toEqual(before[0]);
  }, 120_000);
});
