import { COLLECTOR_FILES, MARK, type CollectorFile } from './script';

/**
 * Pure parsers for the collector script's output (script.ts). Counters are bigint so that
 * a 64-bit counter wrapping is computed exactly; gauges are numbers. Anything a kernel
 * does not provide is null or absent, never an error.
 */

export interface CpuTimes {
  user: bigint;
  nice: bigint;
  system: bigint;
  idle: bigint;
  iowait: bigint;
  irq: bigint;
  softirq: bigint;
  steal: bigint;
}

export interface ProcStat {
  cpu: CpuTimes | null;
  cpuCount: number;
  contextSwitches: bigint | null;
  /** Processes and threads created since boot (the `processes` line). */
  forks: bigint | null;
  /** Boot time, seconds since the epoch. */
  btime: number | null;
  procsRunning: number | null;
  procsBlocked: number | null;
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

/** PSI totals (microseconds stalled since boot). */
export interface Pressure {
  some: bigint | null;
  full: bigint | null;
}

export interface NetCounters {
  rxBytes: bigint;
  rxPackets: bigint;
  rxErrors: bigint;
  rxDropped: bigint;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  txDropped: bigint;
}

export interface DiskCounters {
  reads: bigint;
  sectorsRead: bigint;
  writes: bigint;
  sectorsWritten: bigint;
  /** Milliseconds with I/O in flight. */
  ioMs: bigint;
  /** Milliseconds spent on reads and on writes, summed over requests (the latency numerators). */
  readMs?: bigint;
  writeMs?: bigint;
}

export interface FilesystemUsage {
  source: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  mount: string;
  /** Inodes (`df -i`); absent when not read, 0 on file systems without a fixed inode table (btrfs). */
  inodes?: number;
  inodesUsed?: number;
  inodesFree?: number;
}

export interface ProcSample {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  session: number;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** Start time after boot, clock ticks. */
  startTicks: number;
  rssPages: number;
}

export interface RawSample {
  selfPid: number | null;
  uptimeSeconds: number | null;
  stat: ProcStat | null;
  meminfo: Map<string, number> | null;
  loadavg: LoadAvg | null;
  pressure: Partial<Record<'cpu' | 'io' | 'memory', Pressure>>;
  netdev: Map<string, NetCounters>;
  diskstats: Map<string, DiskCounters>;
  filesystems: FilesystemUsage[] | null;
  processes: ProcSample[] | null;
  /** Failed systemd units; null when systemctl is absent or systemd is not running. */
  failedUnits: number | null;
  /** /proc/vmstat counters Fleetmind uses (absent: not read, e.g. a source without them). */
  vmstat?: VmStat | null;
}

/** Swap and paging counters of /proc/vmstat (pages, major faults); a counter the kernel lacks is null. */
export interface VmStat {
  pswpin: bigint | null;
  pswpout: bigint | null;
  pgmajfault: bigint | null;
}

export class CollectorOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectorOutputError';
  }
}

const UNSIGNED = /^\d+$/;

function big(word: string | undefined): bigint | null {
  return word !== undefined && UNSIGNED.test(word) ? BigInt(word) : null;
}

function num(word: string | undefined): number | null {
  if (word === undefined || word === '') return null;
  const n = Number(word);
  return Number.isFinite(n) ? n : null;
}

export function parseUptime(lines: readonly string[]): number | null {
  return num(lines[0]?.trim().split(/\s+/)[0]);
}

export function parseProcStat(lines: readonly string[]): ProcStat | null {
  if (lines.length === 0) return null;
  const out: ProcStat = { cpu: null, cpuCount: 0, contextSwitches: null, forks: null, btime: null, procsRunning: null, procsBlocked: null };
  for (const line of lines) {
    const words = line.trim().split(/\s+/);
    const key = words[0];
    if (key === 'cpu') {
      const f = words.slice(1).map((w) => big(w));
      if (f.length >= 4 && f.slice(0, 4).every((x) => x !== null)) {
        // Fields older kernels lack are zero; guest time is already inside user/nice.
        const at = (i: number) => f[i] ?? 0n;
        out.cpu = { user: at(0), nice: at(1), system: at(2), idle: at(3), iowait: at(4), irq: at(5), softirq: at(6), steal: at(7) };
      }
    } else if (key !== undefined && /^cpu\d+$/.test(key)) out.cpuCount++;
    else if (key === 'ctxt') out.contextSwitches = big(words[1]);
    else if (key === 'processes') out.forks = big(words[1]);
    else if (key === 'btime') out.btime = num(words[1]);
    else if (key === 'procs_running') out.procsRunning = num(words[1]);
    else if (key === 'procs_blocked') out.procsBlocked = num(words[1]);
  }
  return out;
}

/** /proc/meminfo in bytes (`kB` values × 1024; HugePages counts stay counts). */
export function parseMeminfo(lines: readonly string[]): Map<string, number> | null {
  const out = new Map<string, number>();
  for (const line of lines) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out.size > 0 ? out : null;
}

/** The counters of /proc/vmstat that Fleetmind derives rates from (`name value` lines). */
export function parseVmstat(lines: readonly string[]): VmStat | null {
  const out: VmStat = { pswpin: null, pswpout: null, pgmajfault: null };
  let found = false;
  for (const line of lines) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === 'pswpin' || key === 'pswpout' || key === 'pgmajfault') {
      out[key] = big(value);
      found ||= out[key] !== null;
    }
  }
  return found ? out : null;
}

export function parseLoadavg(lines: readonly string[]): LoadAvg | null {
  const w = (lines[0] ?? '').trim().split(/\s+/);
  const [a, b, c] = [num(w[0]), num(w[1]), num(w[2])];
  return a === null || b === null || c === null ? null : { load1: a, load5: b, load15: c };
}

export function parsePressure(lines: readonly string[]): Pressure | null {
  let some: bigint | null = null;
  let full: bigint | null = null;
  for (const line of lines) {
    const m = /^(some|full)\b.*\btotal=(\d+)/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'some') some = BigInt(m[2] as string);
    else full = BigInt(m[2] as string);
  }
  return some === null && full === null ? null : { some, full };
}

export function parseNetDev(lines: readonly string[]): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (!iface || iface.includes('|')) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map((w) => big(w));
    if (f.length < 16 || f.slice(0, 16).some((x) => x === null)) continue;
    const v = f as bigint[];
    out.set(iface, { rxBytes: v[0]!, rxPackets: v[1]!, rxErrors: v[2]!, rxDropped: v[3]!, txBytes: v[8]!, txPackets: v[9]!, txErrors: v[10]!, txDropped: v[11]! });
  }
  return out;
}

export function parseDiskstats(lines: readonly string[]): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of lines) {
    const w = line.trim().split(/\s+/);
    if (w.length < 14) continue;
    const f = w.slice(3).map((x) => big(x));
    if (f.slice(0, 11).some((x) => x === null)) continue;
    const v = f as bigint[];
    out.set(w[2] as string, { reads: v[0]!, sectorsRead: v[2]!, readMs: v[3]!, writes: v[4]!, sectorsWritten: v[6]!, writeMs: v[7]!, ioMs: v[9]! });
  }
  return out;
}

/** `df -P -T -B1`: POSIX format keeps one file system per line; the mount point may contain spaces. */
export function parseDf(lines: readonly string[]): FilesystemUsage[] {
  const out: FilesystemUsage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+|-)%\s+(\/.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({ source: m[1] as string, type: m[2] as string, sizeBytes: Number(m[3]), usedBytes: Number(m[4]), availableBytes: Number(m[5]), mount: m[6] as string });
  }
  return out;
}

export interface InodeUsage {
  source: string;
  mount: string;
  inodes: number;
  used: number;
  free: number;
}

/** `df -P -T -i`: the same layout as the byte counts, with inode counts in the number columns. */
export function parseDfInodes(lines: readonly string[]): InodeUsage[] {
  const out: InodeUsage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+|-)%\s+(\/.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({ source: m[1] as string, mount: m[6] as string, inodes: Number(m[3]), used: Number(m[4]), free: Number(m[5]) });
  }
  return out;
}

/** Adds inode counts to the file systems they belong to (same mount and source; the last mount on a path wins, as for bytes). */
export function withInodes(filesystems: FilesystemUsage[], inodes: readonly InodeUsage[]): FilesystemUsage[] {
  const byMount = new Map(inodes.map((i) => [`${i.source}\0${i.mount}`, i]));
  return filesystems.map((fs) => {
    const i = byMount.get(`${fs.source}\0${fs.mount}`);
    return i ? { ...fs, inodes: i.inodes, inodesUsed: i.used, inodesFree: i.free } : fs;
  });
}

/**
 * One /proc/PID/stat line. The command name sits in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parseProcStatLine(line: string): ProcSample | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const f = line.slice(close + 1).trim().split(/\s+/);
  // After the name: state(0) ppid(1) pgrp(2) session(3) ... utime(11) stime(12) ... starttime(19) vsize(20) rss(21)
  if (f.length < 22) return null;
  const n = (i: number) => Number(f[i]);
  const ticks = n(11) + n(12);
  if (!Number.isFinite(ticks)) return null;
  return { pid, comm: line.slice(open + 1, close), state: f[0] as string, ppid: n(1), session: n(3), ticks, startTicks: n(19), rssPages: n(21) };
}

export interface CollectorSections {
  selfPid: number | null;
  files: Map<CollectorFile, string[]>;
  df: string[] | null;
  dfInodes: string[] | null;
  procs: string[] | null;
  units: string[] | null;
  unitsExit: number | null;
  complete: boolean;
}

const FILE_SET: ReadonlySet<string> = new Set(COLLECTOR_FILES);

/** Splits the script's output into its sections (unknown lines are ignored). */
export function splitSections(output: string): CollectorSections {
  const out: CollectorSections = { selfPid: null, files: new Map(), df: null, dfInodes: null, procs: null, units: null, unitsExit: null, complete: false };
  let section: string[] | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      const [, word, arg] = line.split(' ');
      section = null;
      if (word === 'self') out.selfPid = num(arg) ?? null;
      else if (word === 'df') section = out.df = [];
      else if (word === 'df-inodes') section = out.dfInodes = [];
      else if (word === 'procs') section = out.procs = [];
      else if (word === 'units') section = out.units = [];
      else if (word === 'units-exit') out.unitsExit = num(arg) ?? null;
      else if (word === 'end') out.complete = true;
      continue;
    }
    if (section) {
      section.push(line);
      continue;
    }
    // `grep -H` lines: FILE:CONTENT
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const file = line.slice(0, colon);
    if (!FILE_SET.has(file)) continue;
    let lines = out.files.get(file as CollectorFile);
    if (!lines) out.files.set(file as CollectorFile, (lines = []));
    lines.push(line.slice(colon + 1));
  }
  return out;
}

/** The whole sample from the script's stdout; throws CollectorOutputError when it is cut off. */
export function parseCollectorOutput(output: string): RawSample {
  const s = splitSections(output);
  if (!s.complete) throw new CollectorOutputError('the collector output ended early (no end marker): cut off or not produced by the collector script');
  const file = (f: CollectorFile) => s.files.get(f) ?? [];
  const pressure: RawSample['pressure'] = {};
  for (const kind of ['cpu', 'io', 'memory'] as const) {
    const p = parsePressure(file(`/proc/pressure/${kind}`));
    if (p) pressure[kind] = p;
  }
  const processes = s.procs ? s.procs.map(parseProcStatLine).filter((p): p is ProcSample => p !== null) : null;
  return {
    selfPid: s.selfPid,
    uptimeSeconds: parseUptime(file('/proc/uptime')),
    stat: parseProcStat(file('/proc/stat')),
    meminfo: parseMeminfo(file('/proc/meminfo')),
    loadavg: parseLoadavg(file('/proc/loadavg')),
    pressure,
    netdev: parseNetDev(file('/proc/net/dev')),
    diskstats: parseDiskstats(file('/proc/diskstats')),
    filesystems: s.df && s.df.length > 0 ? withInodes(parseDf(s.df), parseDfInodes(s.dfInodes ?? [])) : null,
    processes: processes && processes.length > 0 ? processes : null,
    // 0: systemctl answered; anything else (127 not installed, 1 not booted with systemd): no metric.
    failedUnits: s.unitsExit === 0 && s.units ? s.units.filter((l) => l.trim() !== '').length : null,
    vmstat: parseVmstat(file('/proc/vmstat')),
  };
}
