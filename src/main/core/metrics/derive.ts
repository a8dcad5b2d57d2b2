import type { Labels } from './names';
import type { CpuTimes, FilesystemUsage, RawSample } from './parse';
import { processCpu, topProcesses, type ProcessCpu } from './processes';
import { counterChange, counterRate, rebootedBetween } from './rates';

/** One value of one series at one sample. */
export interface SeriesValue {
  name: string;
  labels: Labels;
  value: number;
}

export interface FilesystemFilter {
  /** File system types reported besides the real ones (e.g. tmpfs). */
  includeTypes: readonly string[];
  /** Mount points always reported, whatever their type. */
  includeMounts: readonly string[];
  /** Mount points never reported. */
  excludeMounts: readonly string[];
  /** At most this many mounts per host (the largest first), so a host with thousands of mounts cannot flood the store. */
  maxMounts: number;
}

export interface DeriveOptions {
  filesystems: FilesystemFilter;
  /** Interfaces left out (matched against the whole name). */
  ignoreInterfaces: RegExp;
  /** Block devices left out (partitions of a listed disk are always left out). */
  ignoreDevices: RegExp;
  maxInterfaces: number;
  maxDevices: number;
  /** How many processes the snapshot keeps (plus every probe process). */
  topProcesses: number;
}

export const DEFAULT_DERIVE_OPTIONS: DeriveOptions = {
  filesystems: { includeTypes: [], includeMounts: [], excludeMounts: [], maxMounts: 32 },
  ignoreInterfaces: /^(lo|veth.*|docker\d+|br-[0-9a-f]+|virbr\d+(-nic)?|cali.*|flannel.*|cni\d+|tun\d+|tap.*)$/,
  ignoreDevices: /^(loop|ram|zram|fd|sr|nbd)\d+.*$/,
  maxInterfaces: 16,
  maxDevices: 32,
  topProcesses: 15,
};

export interface ProcessSnapshot {
  /** `interval`: CPU since the previous sample; `lifetime`: the first sample, CPU averaged since each process started. */
  cpuWindow: 'interval' | 'lifetime';
  total: number;
  processes: ProcessCpu[];
}

export interface Derived {
  values: SeriesValue[];
  rebooted: boolean;
  processes: ProcessSnapshot | null;
}

/** Kernel and virtual file systems that hold no operator data. */
const PSEUDO_FS = new Set([
  'tmpfs', 'devtmpfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'debugfs', 'tracefs',
  'securityfs', 'pstore', 'bpf', 'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'nsfs',
  'ramfs', 'efivarfs', 'rpc_pipefs', 'squashfs', 'devfs', 'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.lxcfs',
  'nfsd', 'selinuxfs', 'overlay', 'shm', 'none', 'iso9660', 'udf',
]);
const NOISE_MOUNTS = /^\/(proc|sys|dev|run)(\/|$)|^\/var\/lib\/(docker|containers|kubelet)\/|^\/snap\//;

export function selectFilesystems(all: readonly FilesystemUsage[], filter: FilesystemFilter): FilesystemUsage[] {
  const byMount = new Map<string, FilesystemUsage>();
  for (const fs of all) {
    if (filter.excludeMounts.includes(fs.mount)) continue;
    // A mount point named in the configuration is always reported; a type named there
    // lifts only the type rule (tmpfs under /run stays out).
    if (!filter.includeMounts.includes(fs.mount)) {
      if (fs.sizeBytes === 0 || NOISE_MOUNTS.test(fs.mount)) continue;
      // A container's root is an overlay: it is the disk the operator cares about there.
      if (!filter.includeTypes.includes(fs.type) && (fs.type === 'overlay' ? fs.mount !== '/' : PSEUDO_FS.has(fs.type))) continue;
    }
    // The last mount on a mount point is the one in use.
    byMount.set(fs.mount, fs);
  }
  const list = [...byMount.values()].sort((a, b) => a.mount.length - b.mount.length || a.mount.localeCompare(b.mount));
  // A block device mounted twice (bind mounts) is reported once, at its shortest path;
  // sources that are not devices (tmpfs, server:/export) cannot be told apart this way.
  const seen = new Set<string>();
  const out: FilesystemUsage[] = [];
  for (const fs of list) {
    const key = `${fs.source}\0${fs.type}\0${fs.sizeBytes}`;
    const named = filter.includeMounts.includes(fs.mount);
    if (!named && fs.source.startsWith('/dev/') && seen.has(key)) continue;
    seen.add(key);
    out.push(fs);
  }
  // Named mounts first, then the largest: what is cut at maxMounts is the least interesting.
  const named = (fs: FilesystemUsage) => (filter.includeMounts.includes(fs.mount) ? 1 : 0);
  return out.sort((a, b) => named(b) - named(a) || b.sizeBytes - a.sizeBytes || a.mount.localeCompare(b.mount)).slice(0, filter.maxMounts);
}

/** Whole disks only: sda1 when sda is listed, nvme0n1p1 when nvme0n1 is, are partitions. */
export function wholeDevices(names: readonly string[]): string[] {
  const set = new Set(names);
  return names.filter((name) => {
    // nvme0n1p2 / mmcblk0p1 (disk names ending in a digit take a `p`), sda1 / vda2 / xvda3.
    const withP = /^(.+\d)p\d+$/.exec(name);
    if (withP && set.has(withP[1] as string)) return false;
    const plain = /^(.+[a-z])\d+$/.exec(name);
    return !(plain && set.has(plain[1] as string));
  });
}

function cpuTotal(c: CpuTimes): bigint {
  return c.user + c.nice + c.system + c.idle + c.iowait + c.irq + c.softirq + c.steal;
}

/** Per-field CPU time since the previous sample; a field that went back a little (a known iowait quirk) counts as zero. */
function cpuDelta(prev: CpuTimes, cur: CpuTimes): CpuTimes {
  const d = (a: bigint, b: bigint): bigint => {
    const c = counterChange(a, b);
    return c.kind === 'reset' ? 0n : c.delta;
  };
  return {
    user: d(prev.user, cur.user),
    nice: d(prev.nice, cur.nice),
    system: d(prev.system, cur.system),
    idle: d(prev.idle, cur.idle),
    iowait: d(prev.iowait, cur.iowait),
    irq: d(prev.irq, cur.irq),
    softirq: d(prev.softirq, cur.softirq),
    steal: d(prev.steal, cur.steal),
  };
}

function cpuRatios(c: CpuTimes): SeriesValue[] {
  const total = Number(cpuTotal(c));
  if (!(total > 0)) return [];
  const r = (x: bigint) => Number(x) / total;
  return [
    { name: 'cpu_busy_ratio', labels: {}, value: 1 - r(c.idle + c.iowait) },
    { name: 'cpu_user_ratio', labels: {}, value: r(c.user + c.nice) },
    { name: 'cpu_system_ratio', labels: {}, value: r(c.system + c.irq + c.softirq) },
    { name: 'cpu_iowait_ratio', labels: {}, value: r(c.iowait) },
    { name: 'cpu_steal_ratio', labels: {}, value: r(c.steal) },
  ];
}

/**
 * Series values from one sample and the one before it (null for the first). Gauges come
 * from the sample alone; rates from counter deltas over the host's own uptime difference
 * (so network latency does not skew them), with wraps counted and resets skipped. After a
 * reboot every counter started at zero, so a rate is the counter over the uptime.
 */
export function deriveSample(prev: RawSample | null, cur: RawSample, options: DeriveOptions = DEFAULT_DERIVE_OPTIONS): Derived {
  const values: SeriesValue[] = [];
  const add = (name: string, value: number | null | undefined, labels: Labels = {}) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) values.push({ name, labels, value });
  };
  const mark = (s: RawSample) => ({ btime: s.stat?.btime ?? null, uptimeSeconds: s.uptimeSeconds });
  const rebooted = prev !== null && rebootedBetween(mark(prev), mark(cur));
  const seconds = prev && prev.uptimeSeconds !== null && cur.uptimeSeconds !== null ? cur.uptimeSeconds - prev.uptimeSeconds : 0;
  // Rates need an earlier sample of the same boot, or a reboot (counted since boot).
  const rates = prev !== null && (rebooted || seconds > 0);
  const boot = { rebooted, uptimeSeconds: cur.uptimeSeconds };
  const rate = (p: bigint | null | undefined, c: bigint | null | undefined) => (rates && c !== null && c !== undefined ? counterRate(p, c, seconds, boot) : null);

  // Load, CPU
  if (cur.loadavg) {
    add('load1', cur.loadavg.load1);
    add('load5', cur.loadavg.load5);
    add('load15', cur.loadavg.load15);
  }
  const stat = cur.stat;
  if (stat) {
    if (stat.cpuCount > 0) add('cpu_count', stat.cpuCount);
    add('procs_running', stat.procsRunning);
    add('procs_blocked', stat.procsBlocked);
    if (rates && stat.cpu) {
      if (rebooted) values.push(...cpuRatios(stat.cpu));
      else if (prev?.stat?.cpu) values.push(...cpuRatios(cpuDelta(prev.stat.cpu, stat.cpu)));
    }
    add('forks_per_second', rate(prev?.stat?.forks, stat.forks));
    add('context_switches_per_second', rate(prev?.stat?.contextSwitches, stat.contextSwitches));
  }
  add('uptime_seconds', cur.uptimeSeconds);

  // Memory
  const mem = cur.meminfo;
  if (mem) {
    const total = mem.get('MemTotal');
    // MemAvailable since Linux 3.14; before it, free + buffers + page cache is the usual estimate.
    const available = mem.get('MemAvailable') ?? (mem.has('MemFree') ? (mem.get('MemFree') ?? 0) + (mem.get('Buffers') ?? 0) + (mem.get('Cached') ?? 0) : undefined);
    add('memory_total_bytes', total);
    add('memory_available_bytes', available);
    if (total !== undefined && available !== undefined) add('memory_used_bytes', Math.max(0, total - available));
    add('memory_cached_bytes', mem.get('Cached'));
    const swapTotal = mem.get('SwapTotal');
    const swapFree = mem.get('SwapFree');
    add('swap_total_bytes', swapTotal);
    if (swapTotal !== undefined && swapFree !== undefined) add('swap_used_bytes', Math.max(0, swapTotal - swapFree));
  }
  // Paging: pages swapped in and out, major faults (a page read from disk or swap to satisfy an access).
  const vm = cur.vmstat;
  if (vm) {
    add('swap_in_pages_per_second', rate(prev?.vmstat?.pswpin, vm.pswpin));
    add('swap_out_pages_per_second', rate(prev?.vmstat?.pswpout, vm.pswpout));
    add('major_faults_per_second', rate(prev?.vmstat?.pgmajfault, vm.pgmajfault));
  }

  // Pressure (PSI totals are microseconds stalled)
  for (const kind of ['cpu', 'io', 'memory'] as const) {
    const p = cur.pressure[kind];
    if (!p) continue;
    const before = prev?.pressure[kind];
    const ratio = (a: bigint | null | undefined, b: bigint | null) => {
      const r = rate(a, b);
      return r === null ? null : Math.min(1, r / 1e6);
    };
    if (p.some !== null) add(`pressure_${kind}_some_ratio`, ratio(before?.some, p.some));
    if (p.full !== null) add(`pressure_${kind}_full_ratio`, ratio(before?.full, p.full));
  }

  // Network
  let ifaces = 0;
  for (const [iface, c] of cur.netdev) {
    if (options.ignoreInterfaces.test(iface) || ifaces >= options.maxInterfaces) continue;
    ifaces++;
    const p = prev?.netdev.get(iface);
    const labels = { iface };
    add('net_rx_bytes_per_second', rate(p?.rxBytes, c.rxBytes), labels);
    add('net_tx_bytes_per_second', rate(p?.txBytes, c.txBytes), labels);
    add('net_rx_packets_per_second', rate(p?.rxPackets, c.rxPackets), labels);
    add('net_tx_packets_per_second', rate(p?.txPackets, c.txPackets), labels);
    add('net_rx_errors_per_second', rate(p?.rxErrors, c.rxErrors), labels);
    add('net_tx_errors_per_second', rate(p?.txErrors, c.txErrors), labels);
    add('net_rx_dropped_per_second', rate(p?.rxDropped, c.rxDropped), labels);
    add('net_tx_dropped_per_second', rate(p?.txDropped, c.txDropped), labels);
  }

  // Block devices (sectors are 512 bytes whatever the device's own sector size)
  const devices = wholeDevices([...cur.diskstats.keys()].filter((d) => !options.ignoreDevices.test(d))).slice(0, options.maxDevices);
  for (const device of devices) {
    const c = cur.diskstats.get(device)!;
    const p = prev?.diskstats.get(device);
    const labels = { device };
    const read = rate(p?.sectorsRead, c.sectorsRead);
    const written = rate(p?.sectorsWritten, c.sectorsWritten);
    add('disk_read_bytes_per_second', read === null ? null : read * 512, labels);
    add('disk_written_bytes_per_second', written === null ? null : written * 512, labels);
    add('disk_reads_per_second', rate(p?.reads, c.reads), labels);
    add('disk_writes_per_second', rate(p?.writes, c.writes), labels);
    const busy = rate(p?.ioMs, c.ioMs);
    add('disk_io_time_ratio', busy === null ? null : Math.min(1, busy / 1000), labels);
    // Mean time per completed request (await): what applications wait. No completed I/O in the
    // interval means no latency to report, not a latency of zero.
    const ops = sumRates(rate(p?.reads, c.reads), rate(p?.writes, c.writes));
    const waited = sumRates(rate(p?.readMs, c.readMs), rate(p?.writeMs, c.writeMs));
    if (ops !== null && ops > 0 && waited !== null) add('disk_io_latency_seconds', waited / ops / 1000, labels);
  }

  // File systems
  if (cur.filesystems) {
    for (const fs of selectFilesystems(cur.filesystems, options.filesystems)) {
      const labels = { mount: fs.mount };
      // As df computes Use%: used over what unprivileged users can have (reserved blocks left out).
      const usable = fs.usedBytes + fs.availableBytes;
      add('disk_used_ratio', usable > 0 ? fs.usedBytes / usable : 0, labels);
      add('disk_used_bytes', fs.usedBytes, labels);
      add('disk_available_bytes', fs.availableBytes, labels);
      // Inode exhaustion refuses new files on a disk with bytes to spare; no inode table (btrfs: 0), no series.
      if (fs.inodes !== undefined && fs.inodes > 0 && fs.inodesUsed !== undefined) add('disk_inodes_used_ratio', Math.min(1, fs.inodesUsed / fs.inodes), labels);
    }
  }

  // Processes, systemd
  let processes: ProcessSnapshot | null = null;
  if (cur.processes) {
    add('processes_total', cur.processes.length);
    const samePrev = prev && !rebooted ? prev : null;
    const all = processCpu(samePrev ? { processes: samePrev.processes, uptimeSeconds: samePrev.uptimeSeconds } : null, { processes: cur.processes, uptimeSeconds: cur.uptimeSeconds, selfPid: cur.selfPid });
    processes = { cpuWindow: samePrev?.processes ? 'interval' : 'lifetime', total: cur.processes.length, processes: topProcesses(all, options.topProcesses) };
  }
  add('systemd_failed_units', cur.failedUnits);

  return { values, rebooted, processes };
}

/** The sum of two rates, or null when either is unknown. */
function sumRates(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}
