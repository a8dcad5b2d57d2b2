import type { CpuTimes, DiskCounters, FilesystemUsage, NetCounters, Pressure, RawSample, VmStat } from '../parse';
import type { ExpositionSample } from './exposition';

/**
 * node_exporter's metrics as the SSH collector's raw sample (parse.ts), so one derivation
 * (derive.ts: counter deltas with wraps and resets, reboots, the file system and
 * interface filters) turns either into the same series names. node_exporter reads the
 * same /proc and /sys files; only its units differ:
 *
 * | node_exporter                                   | raw sample                         |
 * | ----------------------------------------------- | ---------------------------------- |
 * | node_cpu_seconds_total{cpu,mode} (s)            | stat.cpu, summed over CPUs (USER_HZ 100 ticks) |
 * | node_boot_time_seconds, node_time_seconds       | stat.btime, uptime = time - boot   |
 * | node_load1/5/15                                 | loadavg                            |
 * | node_memory_<Field>_bytes                       | meminfo <Field> (bytes)            |
 * | node_pressure_<cpu|io|memory>_waiting/stalled_seconds_total | PSI some/full (µs)     |
 * | node_network_<receive|transmit>_<bytes|packets|errs|drop>_total{device} | netdev    |
 * | node_disk_<reads|writes>_completed_total, _<read|written>_bytes_total, _io_time_seconds_total, _<read|write>_time_seconds_total | diskstats (512-byte sectors, ms) |
 * | node_filesystem_<size|free|avail>_bytes{device,fstype,mountpoint} | filesystems (used = size - free, as df) |
 * | node_filesystem_files, node_filesystem_files_free                | filesystems' inodes (used = files - free, as df -i) |
 * | node_procs_running/blocked, node_forks_total, node_context_switches_total | stat     |
 * | node_systemd_unit_state{state="failed"} (systemd collector, off by default) | failed units |
 * | node_vmstat_pswpin, node_vmstat_pswpout, node_vmstat_pgmajfault  | vmstat (pages, faults)   |
 *
 * Metrics a node_exporter does not expose (collector disabled, older kernel) stay absent.
 */

/** node_exporter's CPU seconds are the kernel's USER_HZ ticks divided by 100. */
const TICKS_PER_SECOND = 100;

const toBig = (x: number, scale = 1): bigint | null => (Number.isFinite(x) && x >= 0 ? BigInt(Math.round(x * scale)) : null);

export function rawSampleFromNodeExporter(samples: readonly ExpositionSample[]): RawSample {
  const byName = new Map<string, ExpositionSample[]>();
  for (const s of samples) {
    if (!s.name.startsWith('node_')) continue;
    let list = byName.get(s.name);
    if (!list) byName.set(s.name, (list = []));
    list.push(s);
  }
  const all = (name: string) => byName.get(name) ?? [];
  const one = (name: string): number | null => {
    const s = all(name).find((x) => Object.keys(x.labels).length === 0) ?? all(name)[0];
    return s && Number.isFinite(s.value) ? s.value : null;
  };
  const bigOne = (name: string, scale = 1): bigint | null => {
    const v = one(name);
    return v === null ? null : toBig(v, scale);
  };

  // CPU: every mode summed over the CPUs (as the `cpu` line of /proc/stat), in ticks.
  const modes = new Map<string, number>();
  const cpus = new Set<string>();
  for (const s of all('node_cpu_seconds_total')) {
    if (!Number.isFinite(s.value)) continue;
    const mode = s.labels.mode ?? '';
    modes.set(mode, (modes.get(mode) ?? 0) + s.value);
    if (s.labels.cpu !== undefined) cpus.add(s.labels.cpu);
  }
  let cpu: CpuTimes | null = null;
  if (modes.has('idle') && modes.has('user') && modes.has('system')) {
    const t = (mode: string) => toBig(modes.get(mode) ?? 0, TICKS_PER_SECOND) ?? 0n;
    cpu = { user: t('user'), nice: t('nice'), system: t('system'), idle: t('idle'), iowait: t('iowait'), irq: t('irq'), softirq: t('softirq'), steal: t('steal') };
  }
  const btime = one('node_boot_time_seconds');
  const now = one('node_time_seconds');
  const stat =
    cpu || btime !== null || all('node_procs_running').length > 0
      ? {
          cpu,
          cpuCount: cpus.size,
          contextSwitches: bigOne('node_context_switches_total'),
          forks: bigOne('node_forks_total'),
          btime: btime === null ? null : Math.round(btime),
          procsRunning: one('node_procs_running'),
          procsBlocked: one('node_procs_blocked'),
        }
      : null;

  // Memory: node_memory_MemAvailable_bytes → MemAvailable.
  let meminfo: Map<string, number> | null = null;
  for (const [name, list] of byName) {
    const m = /^node_memory_(\w+?)_bytes$/.exec(name);
    const s = list[0];
    if (!m || !s || !Number.isFinite(s.value)) continue;
    meminfo ??= new Map();
    meminfo.set(m[1] as string, s.value);
  }

  const l1 = one('node_load1');
  const l5 = one('node_load5');
  const l15 = one('node_load15');
  const loadavg = l1 !== null && l5 !== null && l15 !== null ? { load1: l1, load5: l5, load15: l15 } : null;

  const pressure: Partial<Record<'cpu' | 'io' | 'memory', Pressure>> = {};
  for (const kind of ['cpu', 'io', 'memory'] as const) {
    const some = bigOne(`node_pressure_${kind}_waiting_seconds_total`, 1e6);
    const full = bigOne(`node_pressure_${kind}_stalled_seconds_total`, 1e6);
    if (some !== null || full !== null) pressure[kind] = { some, full };
  }

  // Per-device counters, keyed by the `device` label.
  const perDevice = <K extends string>(fields: Record<K, [string, number]>): Map<string, Record<K, bigint>> => {
    const out = new Map<string, Partial<Record<K, bigint>>>();
    for (const [field, [metric, scale]] of Object.entries(fields) as [K, [string, number]][]) {
      for (const s of all(metric)) {
        const device = s.labels.device;
        const v = toBig(s.value, scale);
        if (device === undefined || v === null) continue;
        let rec = out.get(device);
        if (!rec) out.set(device, (rec = {}));
        rec[field] = v;
      }
    }
    const complete = new Map<string, Record<K, bigint>>();
    const keys = Object.keys(fields) as K[];
    for (const [device, rec] of out) {
      // A device missing a counter gets 0 for it (as older kernels' missing /proc fields).
      complete.set(device, Object.fromEntries(keys.map((k) => [k, rec[k] ?? 0n])) as Record<K, bigint>);
    }
    return complete;
  };
  const netdev: Map<string, NetCounters> = perDevice({
    rxBytes: ['node_network_receive_bytes_total', 1],
    rxPackets: ['node_network_receive_packets_total', 1],
    rxErrors: ['node_network_receive_errs_total', 1],
    rxDropped: ['node_network_receive_drop_total', 1],
    txBytes: ['node_network_transmit_bytes_total', 1],
    txPackets: ['node_network_transmit_packets_total', 1],
    txErrors: ['node_network_transmit_errs_total', 1],
    txDropped: ['node_network_transmit_drop_total', 1],
  });
  const diskstats: Map<string, DiskCounters> = perDevice({
    reads: ['node_disk_reads_completed_total', 1],
    // Bytes back to the 512-byte sectors /proc/diskstats counts (derive multiplies by 512).
    sectorsRead: ['node_disk_read_bytes_total', 1 / 512],
    writes: ['node_disk_writes_completed_total', 1],
    sectorsWritten: ['node_disk_written_bytes_total', 1 / 512],
    ioMs: ['node_disk_io_time_seconds_total', 1000],
    readMs: ['node_disk_read_time_seconds_total', 1000],
    writeMs: ['node_disk_write_time_seconds_total', 1000],
  });

  let filesystems: FilesystemUsage[] | null = null;
  const fsKey = (l: Record<string, string>) => `${l.device ?? ''}\0${l.fstype ?? ''}\0${l.mountpoint ?? ''}`;
  const free = new Map(all('node_filesystem_free_bytes').map((s) => [fsKey(s.labels), s.value]));
  const avail = new Map(all('node_filesystem_avail_bytes').map((s) => [fsKey(s.labels), s.value]));
  const files = new Map(all('node_filesystem_files').map((s) => [fsKey(s.labels), s.value]));
  const filesFree = new Map(all('node_filesystem_files_free').map((s) => [fsKey(s.labels), s.value]));
  for (const s of all('node_filesystem_size_bytes')) {
    const key = fsKey(s.labels);
    const f = free.get(key);
    const a = avail.get(key);
    const mount = s.labels.mountpoint;
    if (mount === undefined || f === undefined || a === undefined || ![s.value, f, a].every(Number.isFinite)) continue;
    filesystems ??= [];
    const usage: FilesystemUsage = { source: s.labels.device ?? '', type: s.labels.fstype ?? '', sizeBytes: s.value, usedBytes: Math.max(0, s.value - f), availableBytes: a, mount };
    const inodes = files.get(key);
    const inodesFree = filesFree.get(key);
    if (inodes !== undefined && inodesFree !== undefined && Number.isFinite(inodes) && Number.isFinite(inodesFree)) Object.assign(usage, { inodes, inodesUsed: Math.max(0, inodes - inodesFree), inodesFree });
    filesystems.push(usage);
  }

  // The vmstat collector (on by default) exposes /proc/vmstat's counters under their own names.
  const vmstat: VmStat = { pswpin: bigOne('node_vmstat_pswpin'), pswpout: bigOne('node_vmstat_pswpout'), pgmajfault: bigOne('node_vmstat_pgmajfault') };

  const units = all('node_systemd_unit_state');
  const failedUnits = units.length > 0 ? units.filter((s) => s.labels.state === 'failed' && s.value === 1).length : null;

  return {
    selfPid: null,
    uptimeSeconds: btime !== null && now !== null ? Math.max(0, now - btime) : null,
    stat,
    meminfo,
    loadavg,
    pressure,
    netdev,
    diskstats,
    filesystems,
    processes: null,
    failedUnits,
    vmstat: vmstat.pswpin !== null || vmstat.pswpout !== null || vmstat.pgmajfault !== null ? vmstat : null,
  };
}
