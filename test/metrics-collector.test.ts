// The metrics collector against real OpenSSH fixture hosts (issue 17, items 1 and 6). The
// hosts share this machine's kernel, so each gets a synthetic /proc of its own: generated
// files bind-mounted over /proc/stat, /proc/uptime, ... in that sshd's mount namespace
// (fixture `hostMounts`), and a tmpfs of its own that the test fills. What the collector
// reads over the pooled SSH connection must be that host's values: per-host attribution,
// a 32-bit counter wrap and a reboot are proven with the real script, policy and parser.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, Inventory, SshExecutor } from '../src/main/core/fleet';
import { CollectorRunner, hostSettings, metricsConfig, MetricStore, type CollectOutcome } from '../src/main/core/metrics';
import { procFiles, syntheticHost, type SyntheticHost } from '../src/main/core/metrics/testing/synthetic-proc';
import { loadDefaultPolicy, SafetyGate, type AuditEntryInput } from '../src/main/core/safety';
import { Store } from '../src/main/core/store';
import { canMountPerHost, startSshdHosts, type HostMount, type SshdFleet } from './fixtures/sshd-hosts/index';

const U32 = 2n ** 32n;
const mountable = await canMountPerHost();

const A0 = syntheticHost({
  uptimeSeconds: 5000,
  btime: 1_700_000_000,
  load: [1.25, 1, 0.75],
  memKb: { total: 4_000_000, free: 1_000_000, available: 3_000_000, buffers: 0, cached: 1_000_000, swapTotal: 0, swapFree: 0 },
  disks: { sda: { reads: 1000, sectorsRead: U32 - 1000n, writes: 10, sectorsWritten: 100, ioMs: 500 } },
});
const B0 = syntheticHost({
  uptimeSeconds: 90_000,
  btime: 1_690_000_000,
  cpus: 8,
  load: [3.5, 3, 2.5],
  memKb: { total: 16_000_000, free: 2_000_000, available: 4_000_000, buffers: 0, cached: 2_000_000, swapTotal: 2_000_000, swapFree: 1_000_000 },
  psi: { cpu: { some: 10_000_000 }, io: { some: 5_000_000, full: 1_000_000 }, memory: { some: 0, full: 0 } },
  disks: { vda: { reads: 1, sectorsRead: 1, writes: 1, sectorsWritten: 1, ioMs: 1 } },
  // pswpout 100 pages short of a 32-bit wrap
  vmstat: { pswpin: 1000, pswpout: U32 - 100n, pgmajfault: 10 },
});

describe.skipIf(!mountable)('metrics collector on fixture hosts with a synthetic /proc each', () => {
  let fx: SshdFleet;
  let dir: string;
  let runner: CollectorRunner;
  let store: MetricStore;
  let fleet: Fleet;
  const audit: AuditEntryInput[] = [];
  const files = (host: string) => join(dir, host, 'proc');
  const dataDir = (host: string) => join(dir, host, 'data');

  /** Writes a host's synthetic kernel files in place (the bind mounts show the new bytes). */
  function writeProc(host: string, h: SyntheticHost): void {
    for (const [rel, text] of Object.entries(procFiles(h))) writeFileSync(join(files(host), rel), text);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fm-metrics-hosts-'));
    const hostMounts: Record<string, HostMount[]> = {};
    for (const [name, h] of [['fm-metrics-a', A0], ['fm-metrics-b', B0]] as const) {
      mkdirSync(join(files(name), 'pressure'), { recursive: true });
      mkdirSync(dataDir(name), { recursive: true });
      writeProc(name, h);
      hostMounts[name] = [
        ...Object.keys(procFiles(h)).map((rel): HostMount => ({ kind: 'bind', source: join(files(name), rel), target: `/proc/${rel}` })),
        { kind: 'tmpfs', target: dataDir(name), sizeBytes: 8 * 1024 * 1024 },
      ];
    }
    fx = await startSshdHosts({ count: 2, names: ['fm-metrics-a', 'fm-metrics-b'], hostMounts });
    const db = Store.inMemory();
    const inventory = new Inventory(db.hosts);
    for (const h of fx.hosts) inventory.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
    const gate = new SafetyGate(await loadDefaultPolicy(), null, { record: (e) => audit.push(e) });
    fleet = new Fleet(inventory, gate, { ssh: { knownHostsFiles: [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [] } });
    // An hour between scheduled runs: this test decides when each host is read.
    const cfg = metricsConfig.schema.parse({ intervalSeconds: 3600, timeoutSeconds: 30, filesystems: { includeMounts: [dataDir('fm-metrics-a'), dataDir('fm-metrics-b')] } });
    store = new MetricStore(db.db);
    runner = new CollectorRunner({ hosts: () => inventory.stored(), settings: (h) => hostSettings(cfg, h), executor: (h) => new SshExecutor(h, fleet.sshPool), gate, audit: { record: (e) => audit.push(e) } });
    runner.start(store);
  });

  afterAll(async () => {
    await runner?.stop();
    await fleet?.close();
    await fx?.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const v = (o: CollectOutcome, name: string, labels: Record<string, string> = {}) => o.values.find((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels))?.value;
  const collect = async (host: string) => {
    const o = await runner.collectNow(host);
    expect(o.error, JSON.stringify(o.error)).toBeNull();
    return o;
  };

  it('reads each host\'s own kernel files, counts a 32-bit wrap, notices a reboot, sees a tmpfs fill up', async () => {
    const a1 = await collect('fm-metrics-a');
    const b1 = await collect('fm-metrics-b');
    // Per-host attribution: the values are the ones bind-mounted on that host.
    expect(v(a1, 'load1')).toBe(1.25);
    expect(v(b1, 'load1')).toBe(3.5);
    expect(v(a1, 'cpu_count')).toBe(2);
    expect(v(b1, 'cpu_count')).toBe(8);
    expect(v(a1, 'memory_used_bytes')).toBe(1_000_000 * 1024);
    expect(v(b1, 'memory_used_bytes')).toBe(12_000_000 * 1024);
    expect(v(b1, 'swap_used_bytes')).toBe(1_000_000 * 1024);
    // PSI files empty on A (a kernel without them): absent there, not an error.
    expect(a1.values.some((x) => x.name.startsWith('pressure_'))).toBe(false);
    const used0 = v(a1, 'disk_used_ratio', { mount: dataDir('fm-metrics-a') });
    expect(used0).toBe(0);

    // 15 s later on each host; A's read-sector counter wraps at 2^32, A's tmpfs gets 4 MiB.
    writeProc('fm-metrics-a', { ...A0, uptimeSeconds: 5015, cpu: { ...A0.cpu, user: 1300, system: 650, idle: 8900, iowait: 250 }, disks: { sda: { reads: 1030, sectorsRead: 500, writes: 10, sectorsWritten: 100, ioMs: 500 + 3000 } } });
    // B swaps: 1500 pages in, 300 out across the 32-bit wrap, 150 major faults in 15 s (/proc/vmstat).
    writeProc('fm-metrics-b', { ...B0, uptimeSeconds: 90_015, psi: { cpu: { some: 10_000_000 + 7_500_000 }, io: { some: 5_000_000, full: 1_000_000 }, memory: { some: 0, full: 0 } }, vmstat: { pswpin: 2500, pswpout: 200, pgmajfault: 160 } });
    const fill = spawnSync(fx.sshArgs('fm-metrics-a')[0]!, [...fx.sshArgs('fm-metrics-a').slice(1), `head -c 4194304 /dev/zero > ${dataDir('fm-metrics-a')}/blob`], { encoding: 'utf8' });
    expect(fill.status, fill.stderr).toBe(0);
    const a2 = await collect('fm-metrics-a');
    const b2 = await collect('fm-metrics-b');
    expect(v(a2, 'cpu_busy_ratio')).toBeCloseTo(450 / 1500, 10);
    expect(v(a2, 'disk_read_bytes_per_second', { device: 'sda' })).toBe((1500 * 512) / 15);
    expect(v(a2, 'disk_reads_per_second', { device: 'sda' })).toBe(2);
    expect(v(a2, 'disk_io_time_ratio', { device: 'sda' })).toBe(0.2);
    expect(v(b2, 'pressure_cpu_some_ratio')).toBeCloseTo(0.5, 10);
    expect(v(b2, 'pressure_io_some_ratio')).toBe(0);
    expect(v(b2, 'swap_in_pages_per_second')).toBe(100);
    expect(v(b2, 'swap_out_pages_per_second')).toBe(20);
    expect(v(b2, 'major_faults_per_second')).toBe(10);
    // The tmpfs is A's alone: it grew there and not on B.
    expect(v(a2, 'disk_used_ratio', { mount: dataDir('fm-metrics-a') })).toBeGreaterThanOrEqual(0.5);
    expect(v(b2, 'disk_used_ratio', { mount: dataDir('fm-metrics-b') })).toBe(0);

    // A reboots: new boot time, small uptime, counters from zero.
    writeProc('fm-metrics-a', { ...A0, btime: A0.btime + 10_000, uptimeSeconds: 40, cpu: { user: 400, nice: 0, system: 200, idle: 3200, iowait: 200, irq: 0, softirq: 0, steal: 0 }, forks: 800, disks: { sda: { reads: 80, sectorsRead: 4000, writes: 0, sectorsWritten: 0, ioMs: 400 } } });
    const a3 = await collect('fm-metrics-a');
    expect(a3.rebooted).toBe(true);
    expect(runner.hostStatus('fm-metrics-a')).toMatchObject({ state: 'ok', reboots: 1, bootAt: new Date((A0.btime + 10_000) * 1000).toISOString() });
    expect(v(a3, 'cpu_busy_ratio')).toBeCloseTo(600 / 4000, 10);
    expect(v(a3, 'forks_per_second')).toBe(20);
    expect(v(a3, 'disk_read_bytes_per_second', { device: 'sda' })).toBe((4000 * 512) / 40);
    for (const x of a3.values) expect(x.value, x.name).toBeGreaterThanOrEqual(0);

    // Stored per host: each series holds only its host's values (runs within one second share a timestamp, the last one kept).
    const q = (host: string) => store.query({ host, metric: 'load1', since: 0, until: Date.now() + 1000 });
    const qa = q('fm-metrics-a');
    const qb = q('fm-metrics-b');
    expect(qa.ok && [...new Set(qa.result.points.map(([, x]) => x))]).toEqual([1.25]);
    expect(qb.ok && [...new Set(qb.result.points.map(([, x]) => x))]).toEqual([3.5]);
  });

  it('marks its own probe processes apart in each host\'s process list, and audits no run one by one', async () => {
    await collect('fm-metrics-b');
    const snap = runner.processes('fm-metrics-b');
    expect(snap).not.toBeNull();
    const probes = snap!.processes.filter((p) => p.probe);
    // The script's shell and the commands it ran, and the SSH session: shown, marked.
    expect(probes.map((p) => p.comm)).toEqual(expect.arrayContaining(['bash', 'find']));
    expect(probes.some((p) => /^sshd/.test(p.comm))).toBe(true);
    if (fx.isolation === 'uts+pid') {
      // Its own PID namespace: the sshd listener is PID 1 there and shared, so not a probe.
      expect(snap!.processes.find((p) => p.pid === 1)?.probe ?? false).toBe(false);
    }
    expect(audit.filter((e) => e.kind === 'decision' && e.actor === 'metrics:collector').map((e) => e.host).sort()).toEqual(['fm-metrics-a', 'fm-metrics-b']);
    expect(audit.filter((e) => e.kind === 'execution')).toHaveLength(0);
  });
});
