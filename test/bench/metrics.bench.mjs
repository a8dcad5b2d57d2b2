// Metrics benchmarks (issue 17), each figure beside its target:
//   collector CPU on a monitored host: the remote script plus sshd, per run, as a share of
//     one core at the default 15 s interval                                       target < 1 %
//   storage: 50 hosts × 30 days at the default rollups (raw 48 h, 1-minute 30 days,
//     1-hour for the 30 days), synthesised through the store API              target < 1 GB
//   a 24 h chart query (raw points of one series)                               target < 50 ms
//   50 loopback sshd hosts collected every 15 s without falling behind (missed slots,
//     lag, run durations)                                                        target: 0 missed
// The collector runs in this process over real SSH (test/fixtures/sshd-hosts), through the
// default policy, exactly as the server runs it.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, printTable, root, writeResults } from './lib.mjs';

const HOSTS = 50;
const INTERVAL_S = 15;
const COLLECT_INTERVALS = 4;
const CPU_RUNS = 40;
const DAY = 86_400_000;
const HOUR = 3_600_000;

export async function load() {
  const { runnerImport } = await import('vite');
  return (await runnerImport(join(root, 'test', 'bench', 'metrics-entry.ts'), { configFile: false, logLevel: 'silent' })).module;
}

const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds used by these processes and the children they waited for. */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone
    }
  }
  return ticks / hz;
}

// ---------------------------------------------------------------------------------
// Storage

/** A host's series as the collector makes them on a typical server (2 NICs, 2 disks, 3 mounts). */
function seriesOfHost() {
  const s = [];
  const add = (metric, kind, labels = {}) => s.push({ metric, kind, labels });
  for (const m of ['load1', 'load5', 'load15']) add(m, 'load');
  for (const m of ['cpu_busy_ratio', 'cpu_user_ratio', 'cpu_system_ratio', 'cpu_iowait_ratio', 'cpu_steal_ratio']) add(m, 'ratio');
  for (const m of ['cpu_count', 'memory_total_bytes', 'swap_total_bytes', 'systemd_failed_units', 'collector_up']) add(m, 'constant');
  for (const m of ['memory_used_bytes', 'memory_available_bytes', 'memory_cached_bytes', 'swap_used_bytes']) add(m, 'bytes');
  for (const m of ['pressure_cpu_some_ratio', 'pressure_cpu_full_ratio', 'pressure_io_some_ratio', 'pressure_io_full_ratio', 'pressure_memory_some_ratio', 'pressure_memory_full_ratio']) add(m, 'pressure');
  for (const iface of ['eth0', 'eth1']) {
    for (const d of ['rx', 'tx']) {
      add(`net_${d}_bytes_per_second`, 'rate', { iface });
      add(`net_${d}_packets_per_second`, 'rate', { iface });
      add(`net_${d}_errors_per_second`, 'zero', { iface });
      add(`net_${d}_dropped_per_second`, 'zero', { iface });
    }
  }
  for (const device of ['sda', 'sdb']) {
    for (const m of ['disk_read_bytes_per_second', 'disk_written_bytes_per_second', 'disk_reads_per_second', 'disk_writes_per_second']) add(m, 'rate', { device });
    add('disk_io_time_ratio', 'ratio', { device });
  }
  for (const mount of ['/', '/var', '/srv']) {
    add('disk_used_ratio', 'growth-ratio', { mount });
    add('disk_used_bytes', 'growth', { mount });
    add('disk_available_bytes', 'growth', { mount });
  }
  for (const m of ['processes_total', 'procs_running', 'procs_blocked']) add(m, 'count');
  for (const m of ['forks_per_second', 'context_switches_per_second']) add(m, 'rate');
  add('uptime_seconds', 'uptime');
  add('collector_duration_seconds', 'duration');
  return s;
}

/** A deterministic generator per kind: values like the collector's (noisy where real data is). */
function generator(kind, seed) {
  let x = seed % 1 || 0.5;
  let state = 0.3 + (seed % 7) / 20;
  const rnd = () => {
    x = (x * 9301 + 49297) % 233280;
    return x / 233280;
  };
  switch (kind) {
    case 'load':
      return () => (state = Math.max(0, Math.round((state + (rnd() - 0.5) * 0.1) * 100) / 100));
    case 'ratio':
      return () => (state = Math.min(1, Math.max(0, state * 0.9 + 0.1 * rnd() + (rnd() - 0.5) * 0.05)));
    case 'constant':
      return () => 8;
    case 'zero':
      return () => 0;
    case 'bytes':
      return () => Math.floor(Math.max(0, 4e9 + (state = state * 0.99 + 0.01 * rnd()) * 1e9 + (rnd() - 0.5) * 5e7) / 4096) * 4096;
    case 'pressure':
      return () => (rnd() < 0.95 ? 0 : rnd() * 0.2);
    case 'rate':
      return () => Math.exp(8 + 4 * rnd());
    case 'growth':
      return () => (state += 4096 * Math.floor(rnd() * 8)) + 5e10;
    case 'growth-ratio':
      return () => (state = Math.min(1, state + rnd() * 1e-6));
    case 'count':
      return () => Math.max(0, Math.round(200 + (rnd() - 0.5) * 20));
    case 'uptime': {
      let up = 1e6;
      return () => (up += 15);
    }
    default:
      return () => 0.05 + rnd() * 0.1;
  }
}

export async function storageBench(m, dir, hosts = HOSTS) {
  const now = Date.UTC(2025, 5, 30, 0, 0, 0);
  const db = m.openDatabase(join(dir, 'metrics.db'));
  const store = new m.MetricStore(db, { now: () => now });
  const series = seriesOfHost();
  const t0 = performance.now();
  let values = 0;
  for (let h = 0; h < hosts; h++) {
    const host = `web-${String(h + 1).padStart(2, '0')}`;
    series.forEach((s, i) => {
      const key = { host, metric: s.metric, labels: s.labels, source: 'collector' };
      // Raw: 48 h at 15 s.
      const rawN = (48 * HOUR) / 15_000;
      const gen = generator(s.kind, h * 1000 + i + 0.123);
      const ts = new Float64Array(rawN);
      const v = new Float64Array(rawN);
      for (let k = 0; k < rawN; k++) {
        ts[k] = now - 48 * HOUR + k * 15_000;
        v[k] = gen();
      }
      store.importPoints(key, 0, { ts, values: v });
      // 1-minute rollups: 30 days of 4 raw points each.
      const minN = (30 * DAY) / 60_000;
      const mg = generator(s.kind, h * 1000 + i + 0.456);
      const agg = { ts: new Float64Array(minN), avg: new Float64Array(minN), min: new Float64Array(minN), max: new Float64Array(minN), count: new Float64Array(minN).fill(4) };
      for (let k = 0; k < minN; k++) {
        const a = mg();
        const b = mg();
        const c = mg();
        const d = mg();
        agg.ts[k] = now - 30 * DAY + k * 60_000;
        agg.avg[k] = (a + b + c + d) / 4;
        agg.min[k] = Math.min(a, b, c, d);
        agg.max[k] = Math.max(a, b, c, d);
      }
      // As in steady state: the tier is computed up to the last closed window.
      store.importPoints(key, 1, agg, { rolledUpThrough: now });
      // 1-hour rollups of the same 30 days.
      const hourN = (30 * DAY) / HOUR;
      const hourAgg = { ts: new Float64Array(hourN), avg: new Float64Array(hourN), min: new Float64Array(hourN), max: new Float64Array(hourN), count: new Float64Array(hourN).fill(240) };
      for (let k = 0; k < hourN; k++) {
        let sum = 0;
        let mn = Infinity;
        let mx = -Infinity;
        for (let j = 0; j < 60; j++) {
          const x = agg.avg[k * 60 + j];
          sum += x;
          mn = Math.min(mn, agg.min[k * 60 + j]);
          mx = Math.max(mx, agg.max[k * 60 + j]);
        }
        hourAgg.ts[k] = now - 30 * DAY + k * HOUR;
        hourAgg.avg[k] = sum / 60;
        hourAgg.min[k] = mn;
        hourAgg.max[k] = mx;
      }
      store.importPoints(key, 2, hourAgg, { rolledUpThrough: now });
      values += rawN + minN * 3 + hourN * 3;
    });
  }
  const writeMs = performance.now() - t0;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = readdirSync(dir).filter((f) => f.startsWith('metrics.db')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  const chunks = db.prepare('SELECT COUNT(*) AS n, SUM(length(data)) AS b FROM metric_chunks').get();

  // Chart queries: 24 h of one series (raw), and 30 days (1-minute rollups, bucketed to fit).
  const q24 = [];
  const q30 = [];
  for (let i = 0; i < 60; i++) {
    const host = `web-${String((i % hosts) + 1).padStart(2, '0')}`;
    const s = series[(i * 7) % series.length];
    let t = performance.now();
    const r = store.query({ host, metric: s.metric, labels: s.labels, since: now - DAY, until: now });
    if (i >= 5) q24.push(performance.now() - t);
    if (!r.ok || r.result.points.length !== 5760) throw new Error(`24 h query returned ${r.ok ? r.result.points.length : r.message}`);
    t = performance.now();
    const r30 = store.query({ host, metric: s.metric, labels: s.labels, since: now - 30 * DAY, until: now });
    if (i >= 5) q30.push(performance.now() - t);
    if (!r30.ok) throw new Error(r30.message);
  }
  db.close();
  return { bytes, seriesCount: hosts * series.length, perHost: series.length, values, writeMs, chunks, q24, q30 };
}

// ---------------------------------------------------------------------------------
// Collection over SSH

async function collectionBench(m) {
  const fx = await m.startSshdHosts({ count: HOSTS, namePrefix: 'fmmetrics' });
  const store = m.Store.inMemory();
  const inventory = new m.Inventory(store.hosts);
  const fleet = { pool: null };
  try {
    for (const h of fx.hosts) inventory.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
    const gate = new m.SafetyGate(await m.loadDefaultPolicy());
    fleet.pool = new m.Fleet(inventory, gate, { ssh: { knownHostsFiles: [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [] } });
    const metrics = new m.MetricStore(store.db);
    const make = (intervalSeconds) => {
      const cfg = m.metricsConfig.schema.parse({ intervalSeconds });
      return new m.CollectorRunner({ hosts: () => inventory.stored(), settings: (h) => m.hostSettings(cfg, h), executor: (h) => new m.SshExecutor(h, fleet.pool.sshPool), gate, audit: { record: () => undefined } });
    };

    // CPU per run on one monitored host: every process of that host (sshd listener and
    // session, the wrapper, the script and what it ran), children included once reaped.
    const probe = make(3600);
    probe.start(metrics);
    const target = fx.hosts[0].name;
    await probe.collectNow(target); // connect and warm up
    await probe.collectNow(target);
    await new Promise((r) => setTimeout(r, 300));
    const pids = () => fx.pids(target);
    const before = cpuSeconds(pids());
    const durations = [];
    for (let i = 0; i < CPU_RUNS; i++) {
      const t = performance.now();
      const o = await probe.collectNow(target);
      durations.push(performance.now() - t);
      if (!o.ok) throw new Error(`collection failed: ${o.error?.message}`);
    }
    await new Promise((r) => setTimeout(r, 500)); // let sshd reap the last run's processes
    const cpuPerRun = (cpuSeconds(pids()) - before) / CPU_RUNS;
    await probe.stop();

    // 50 hosts on their own 15 s schedules for a few intervals.
    const runner = make(INTERVAL_S);
    const t0 = Date.now();
    runner.start(metrics);
    await new Promise((r) => setTimeout(r, COLLECT_INTERVALS * INTERVAL_S * 1000 + 2000));
    const status = runner.status();
    await runner.stop();
    const elapsed = Date.now() - t0;
    const runs = status.reduce((s, x) => s + x.runs, 0);
    const failures = status.reduce((s, x) => s + x.failures, 0);
    const missed = status.reduce((s, x) => s + x.missedRuns, 0);
    const lags = status.map((x) => x.lagMs ?? 0);
    const runMs = status.map((x) => x.lastDurationMs ?? 0);
    return { isolation: fx.isolation, cpuPerRun, durations, runs, failures, missed, elapsed, lags, runMs, hosts: status.length };
  } finally {
    await fleet.pool?.close();
    await fx.stopAll();
    store.close();
  }
}

export async function run() {
  const m = await load();
  const dir = mkdtempSync(join(tmpdir(), 'fm-metrics-bench-'));
  try {
    const st = await storageBench(m, dir);
    const rows = [
      { metric: `storage: ${HOSTS} hosts × ${st.perHost} series = ${st.seriesCount} series, 30 days (raw 48 h, 1 m, 1 h)`, value: st.bytes / 1e9, unit: 'GB', target: 1 },
      { metric: `  bytes per stored value (${(st.values / 1e6).toFixed(0)} M values in ${st.chunks.n} chunks)`, value: st.bytes / st.values, unit: 'B', target: null },
      { metric: '  synthesising and writing them', value: st.writeMs / 1000, unit: 's', target: null },
      { metric: '24 h chart query (5760 raw points), p50', value: percentile(st.q24, 50), unit: 'ms', target: 50 },
      { metric: '24 h chart query, p95', value: percentile(st.q24, 95), unit: 'ms', target: 50 },
      { metric: '30-day chart query (1 m rollups in 5 min buckets), p50', value: percentile(st.q30, 50), unit: 'ms', target: null },
    ];
    let co = null;
    if (process.getuid?.() === 0) {
      co = await collectionBench(m);
      const expected = co.hosts * COLLECT_INTERVALS;
      rows.push(
        { metric: `collector CPU on a monitored host per run (script + sshd; ${CPU_RUNS} runs)`, value: co.cpuPerRun * 1000, unit: 'ms', target: null },
        { metric: `  as a share of one core at ${INTERVAL_S} s`, value: (co.cpuPerRun / INTERVAL_S) * 100, unit: '%', target: 1 },
        { metric: '  one run round trip on a warm connection, p50', value: percentile(co.durations, 50), unit: 'ms', target: null },
        { metric: `${co.hosts} hosts every ${INTERVAL_S} s for ${(co.elapsed / 1000).toFixed(0)} s: runs (≥ ${expected} expected)`, value: co.runs, unit: 'runs', target: null },
        { metric: '  slots missed (a run still going when the next was due)', value: co.missed, unit: 'slots', target: 0 },
        { metric: '  failed runs', value: co.failures, unit: 'runs', target: 0 },
        { metric: '  start lag behind the slot, max', value: Math.max(...co.lags), unit: 'ms', target: null },
        { metric: '  run duration (last per host), p95', value: percentile(co.runMs, 95), unit: 'ms', target: INTERVAL_S * 1000 },
      );
    } else {
      process.stdout.write('metrics: collection figures skipped (the sshd fixture needs root)\n');
    }
    printTable('metrics', rows);
    writeResults('metrics', { rows, storage: { bytes: st.bytes, series: st.seriesCount, values: st.values, chunks: st.chunks }, collection: co && { ...co, durations: undefined } });
    return rows.every((r) => r.target === null || r.target === undefined || r.value <= r.target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
