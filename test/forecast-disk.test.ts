// Issue 19, item 3: a fixture host's tmpfs filling steadily gets a "will fill at …" alert
// before it fills. A real OpenSSH fixture host with a tmpfs of its own (its own mount
// namespace), the real collector script through the real safety policy every second, the
// real metric store, the forecast watcher re-forecasting on each collection and the real
// alert service it raises through (as compose.ts wires them). A bounded
// writer on the host fills the tmpfs; the alert must arrive before the writer hits ENOSPC,
// and the time it names must lie ahead. (Order, not milliseconds.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, Inventory, SshExecutor } from '../src/main/core/fleet';
import type { AlertView } from '../src/shared/protocol';
import { AlertService, alertsConfig } from '../src/main/core/alerts';
import { forecastConfig, ForecastWatcher } from '../src/main/core/forecast';
import { CollectorRunner, hostSettings, metricsConfig, MetricStore } from '../src/main/core/metrics';
import { loadDefaultPolicy, SafetyGate } from '../src/main/core/safety';
import { Store } from '../src/main/core/store';
import { canMountPerHost, startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';

const mountable = await canMountPerHost();
const HOST = 'fm-forecast-a';
const TMPFS_BYTES = 8 * 1024 * 1024;
/** 128 KiB every 0.5 s: the 8 MiB tmpfs is full after ~32 s; 80 steps (10 MiB) bound the writer. */
const CHUNK = 128 * 1024;
const STEPS = 80;

describe.skipIf(!mountable)('forecast: a filling tmpfs on a fixture host', () => {
  let fx: SshdFleet;
  let dir: string;
  let fleet: Fleet;
  let runner: CollectorRunner;
  let watcher: ForecastWatcher;
  let writer: ChildProcess | null = null;
  let store: MetricStore;
  let alerts: AlertService;
  const data = () => join(dir, 'data');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fm-forecast-disk-'));
    mkdirSync(data(), { recursive: true });
    fx = await startSshdHosts({ count: 1, names: [HOST], hostMounts: { [HOST]: [{ kind: 'tmpfs', target: data(), sizeBytes: TMPFS_BYTES }] } });
    const db = Store.inMemory();
    const inventory = new Inventory(db.hosts);
    for (const h of fx.hosts) inventory.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
    const gate = new SafetyGate(await loadDefaultPolicy(), null, { record: () => undefined });
    fleet = new Fleet(inventory, gate, { ssh: { knownHostsFiles: [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [] } });
    const cfg = metricsConfig.schema.parse({ intervalSeconds: 1, timeoutSeconds: 20, filesystems: { includeMounts: [data()] } });
    store = new MetricStore(db.db);
    alerts = new AlertService({ repository: db.alerts, config: alertsConfig.schema.parse({}), inventory: () => inventory.list() });
    runner = new CollectorRunner({ hosts: () => inventory.stored(), settings: (h) => hostSettings(cfg, h), executor: (h) => new SshExecutor(h, fleet.sshPool), gate, audit: { record: () => undefined } });
    runner.start(store);
  });

  afterAll(async () => {
    watcher?.stop();
    if (writer?.pid !== undefined && writer.exitCode === null) writer.kill('SIGKILL');
    await runner?.stop();
    await fleet?.close();
    await fx?.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('raises "will fill at …" naming a time ahead, before the tmpfs is full', async () => {
    const events: { kind: 'alert' | 'full'; at: number; alert?: AlertView }[] = [];
    alerts.subscribe((e) => {
      // The tmpfs's alert (the host's other file systems are this machine's own, which other work may fill).
      if (e.change === 'created' && e.alert.labels.mount === data()) events.push({ kind: 'alert', at: Date.now(), alert: e.alert });
    });
    const config = forecastConfig.schema.parse({
      evaluateSeconds: 0.5,
      confirm: 2,
      // Seconds of history are enough for a tmpfs that fills in half a minute.
      disk: { windowHours: 1, minHistoryMinutes: 0.08 },
      inodes: { enabled: false },
      memory: { enabled: false },
    });
    watcher = new ForecastWatcher({
      reader: store,
      config,
      sink: alerts,
    });
    watcher.start();

    // The bounded writer, on the host (the tmpfs exists only in that sshd's mount namespace).
    const script = `for i in $(seq 1 ${STEPS}); do head -c ${CHUNK} /dev/zero > ${data()}/f$i 2>/dev/null || { echo full; exit 0; }; sleep 0.5; done; echo done`;
    const [ssh, ...args] = fx.sshArgs(HOST, script);
    writer = spawn(ssh!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const finished = new Promise<string>((resolve) => {
      createInterface({ input: writer!.stdout! }).on('line', (line) => {
        if (line === 'full') events.push({ kind: 'full', at: Date.now() });
        if (line === 'full' || line === 'done') resolve(line);
      });
      writer!.once('exit', () => resolve('exit'));
    });
    expect(await finished).toBe('full');

    const firstAlert = events.findIndex((e) => e.kind === 'alert');
    const full = events.findIndex((e) => e.kind === 'full');
    expect(firstAlert, JSON.stringify(runner.hostStatus(HOST))).toBeGreaterThanOrEqual(0);
    expect(firstAlert).toBeLessThan(full);
    const { alert, at } = events[firstAlert]!;
    expect(alert).toMatchObject({ source: 'forecast', host: HOST, name: 'disk_full_forecast', state: 'firing', labels: { mount: data() } });
    expect(alerts.list({ source: 'forecast' }).alerts.map((a) => a.fingerprint)).toContain(alert!.fingerprint);
    expect(alert!.summary).toMatch(new RegExp(`^disk ${data().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} on ${HOST} will fill at \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z \\(80 % interval .+\\)$`));
    expect(Date.parse(alert!.predictedAt!)).toBeGreaterThan(at);
    expect(alert!.value).toBeLessThan(1);

    // Inode use of the same tmpfs came through the same script (df -i): it counts the writer's files.
    const inodes = store.query({ host: HOST, metric: 'disk_inodes_used_ratio', labels: { mount: data() }, since: Date.now() - 10 * 60_000, until: Date.now() + 1000 });
    expect(inodes.ok, JSON.stringify(inodes)).toBe(true);
    const values = inodes.ok ? inodes.result.points.map(([, v]) => v) : [];
    expect(Math.max(...values)).toBeGreaterThan(Math.min(...values));
  }, 120_000);
});
