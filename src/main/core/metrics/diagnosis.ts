import type { ProcessCpu } from './processes';

/**
 * Diagnosis from collected figures (issue 17 item 4): pure functions, no I/O. The input
 * is what the collector measured most recently on a host (ratios over its last interval,
 * so "CPU busy" means now, not since boot) and what it measured an hour ago; the output
 * is findings with a severity, the busiest processes by CURRENT CPU (Fleetmind's own
 * probes set apart), and one fleet row per host with the problems first.
 *
 * Thresholds are deliberately conservative: a finding should be worth an operator's
 * reading on a busy day. Each one says why it sits where it does.
 */

export type Severity = 'ok' | 'info' | 'warning' | 'critical';
export type ReachState = 'ok' | 'unreachable' | 'timeout' | 'refused' | 'no_data';

export interface DiskFigure {
  mount: string;
  /** Used over what users can have (as df's Use%), 0..1. */
  usedRatio: number;
  usedRatioHourAgo?: number | null;
}

export interface DeviceFigure {
  device: string;
  /** Share of the interval the device had I/O in flight (diskstats io_ticks), 0..1. */
  utilisation: number | null;
  /** Mean time per completed I/O over the interval, seconds (absent where not collected). */
  latencySeconds?: number | null;
}

/** The numbers a diagnosis needs; null: not measured (old kernel, first sample, other source). */
export interface Figures {
  cpuBusy: number | null;
  cpuIowait: number | null;
  cpuSteal: number | null;
  load1: number | null;
  cpus: number | null;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  swapTotalBytes: number | null;
  swapUsedBytes: number | null;
  /** How fast swap use grew over the last minutes (bytes/s; pages going out to swap). */
  swapGrowthBytesPerSecond: number | null;
  /**
   * Measured paging from /proc/vmstat (pswpin, pswpout, pgmajfault), per second over the
   * last minutes; absent or null where not read (older sources). When measured, they decide
   * whether the host is swapping; the growth of swap use is only the fallback estimate.
   */
  swapInPagesPerSecond?: number | null;
  swapOutPagesPerSecond?: number | null;
  majorFaultsPerSecond?: number | null;
  psiCpuSome: number | null;
  psiIoSome: number | null;
  psiMemorySome: number | null;
  psiMemoryFull: number | null;
  failedUnits: number | null;
  disks: DiskFigure[];
  devices: DeviceFigure[];
}

/** The same figures an hour ago (averaged over a few minutes around then); missing ones null. */
export type Baseline = Partial<Pick<Figures, 'cpuBusy' | 'cpuIowait' | 'cpuSteal' | 'load1' | 'memAvailableBytes' | 'memTotalBytes' | 'psiCpuSome' | 'psiIoSome' | 'psiMemorySome'>>;

export interface HostFigures {
  host: string;
  state: ReachState;
  /** Why the host is not ok (state other than ok). */
  message?: string | null;
  /** Unix ms of the newest sample used; null: none. */
  at: number | null;
  /** Last time the host answered the collector (ISO), for unreachable hosts. */
  lastSeen?: string | null;
  /** Where the figures come from: the running collector, a one-shot run of its script. */
  source?: 'collector' | 'one-shot' | null;
  figures: Figures | null;
  baseline: Baseline | null;
  /** Processes with CPU over the last interval (`probe` marks Fleetmind's own). */
  processes: readonly ProcessCpu[] | null;
  /** `interval`: CPU between two samples (current); `lifetime`: only one sample, averaged since each process started. */
  cpuWindow?: 'interval' | 'lifetime' | null;
}

export interface DiagnosisFinding {
  severity: Exclude<Severity, 'ok'>;
  /** What it is about: cpu, iowait, steal, load, memory, swap, psi_cpu, psi_io, psi_memory, disk_full, disk_busy, disk_latency, units, process. */
  kind: string;
  text: string;
}

export interface FleetRow {
  host: string;
  state: string;
  cpu: string;
  mem: string;
  loadPerCores: string;
  diskMax: string;
  topFinding: string;
}

export interface HostDiagnosis {
  host: string;
  state: ReachState;
  severity: Severity;
  findings: DiagnosisFinding[];
  /** What moved against an hour ago, in words (only what moved materially). */
  changes: string[];
  /** Busiest non-probe processes by current CPU. */
  topProcesses: ProcessCpu[];
  /** Fleetmind's own probe processes in the sample (shown apart, never named as the load). */
  probes: ProcessCpu[];
  cpuWindow: 'interval' | 'lifetime' | null;
  row: FleetRow;
}

// ---------------------------------------------------------------------------------------
// Thresholds (ratios are 0..1)

/** CPU busy (user+system+irq+steal, everything but idle and iowait): at 80 % bursts start to queue, at 95 % every runnable task waits. */
export const CPU_BUSY = { warning: 0.8, critical: 0.95 };
/** iowait: CPUs idle only because tasks wait on storage. Above 20 % the host is I/O-bound; above 40 % storage is the bottleneck. */
export const IOWAIT = { warning: 0.2, critical: 0.4 };
/** steal: time the hypervisor gave our vCPUs to someone else. 10 % is a noisy neighbour, 25 % a starved VM. */
export const STEAL = { warning: 0.1, critical: 0.25 };
/** load1 per core: at 1 every core has a task queued (load counts D-state tasks too, so I/O waits show here); at 2 tasks wait as long as they run. */
export const LOAD_PER_CORE = { warning: 1, critical: 2 };
/** MemAvailable share: below 10 % the page cache is squeezed and reclaim starts hurting; below 5 % the OOM killer is near. */
export const MEM_AVAILABLE = { warning: 0.1, critical: 0.05 };
/** Swap use growing (bytes/s): 1 MiB/s sustained is active swapping; 20 MiB/s is thrashing territory on most disks. */
export const SWAP_GROWTH = { warning: 1 << 20, critical: 20 << 20 };
/** Pages swapped in plus out per second (pswpin + pswpout): 256/s (1 MiB/s of 4 KiB pages) sustained is active swapping; 5120/s (20 MiB/s) is thrashing. */
export const SWAP_PAGES = { warning: 256, critical: 5120 };
/** Major faults per second worth naming beside a memory or swap finding (each one is a task waiting on a disk read). */
export const MAJOR_FAULTS_NOTED = 10;
/** PSI some (share of time at least one task stalled on the resource). CPU and I/O: 20 %/50 %; memory stalls hurt more directly, so 10 %/30 %. */
export const PSI_CPU = { warning: 0.2, critical: 0.5 };
export const PSI_IO = { warning: 0.2, critical: 0.5 };
export const PSI_MEMORY = { warning: 0.1, critical: 0.3 };
/** File system use: 90 % leaves little room for a log burst; 95 % is an outage waiting (ext4 reserves are already gone for users). */
export const DISK_FULL = { warning: 0.9, critical: 0.95 };
/** A file system whose use grew at least this much (absolute) in the last hour is called growing. */
export const DISK_GROWING = 0.01;
/** Device utilisation (io_ticks): 80 % busy means requests queue on a single-queue disk; 95 % is saturated (NVMe can show 100 % with headroom, so warning only below critical). */
export const DISK_BUSY = { warning: 0.8, critical: 0.95 };
/** Mean I/O latency: 50 ms is slow for any disk in use today; 200 ms stalls applications. */
export const DISK_LATENCY = { warning: 0.05, critical: 0.2 };
/** A process is named as the CPU hog from 0.5 cores of current CPU (below that it is not why a host is slow). */
export const HOG_CORES = 0.5;
/** Changes against an hour ago are mentioned from 10 points (ratios), or load up/down by half and at least 0.5. */
export const CHANGE_RATIO = 0.1;

const ORDER: Record<Severity, number> = { critical: 3, warning: 2, info: 1, ok: 0 };

const pct = (r: number) => `${Math.round(r * 100)} %`;
const num = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
function mib(bytes: number): string {
  const m = bytes / (1 << 20);
  return m >= 1024 ? `${(m / 1024).toFixed(1)} GB` : `${m >= 10 ? m.toFixed(0) : m.toFixed(1)} MB`;
}

function level(value: number, t: { warning: number; critical: number }, below = false): Exclude<Severity, 'ok' | 'info'> | null {
  if (below) return value < t.critical ? 'critical' : value < t.warning ? 'warning' : null;
  return value >= t.critical ? 'critical' : value >= t.warning ? 'warning' : null;
}

/** "(was 12 % an hour ago)" when the figure moved materially, "" otherwise. */
export function comparedWithHourAgo(now: number, before: number | null | undefined, kind: 'ratio' | 'load'): string {
  if (before === null || before === undefined || !Number.isFinite(before)) return '';
  if (kind === 'ratio') return Math.abs(now - before) >= CHANGE_RATIO ? ` (was ${pct(before)} an hour ago)` : '';
  return Math.abs(now - before) >= 0.5 && (before === 0 || Math.abs(now - before) / before >= 0.5) ? ` (was ${num(before)} an hour ago)` : '';
}

/** Findings of one reachable host from its figures, strongest first. */
export function findingsOf(f: Figures, baseline: Baseline | null, processes: readonly ProcessCpu[] | null): DiagnosisFinding[] {
  const out: DiagnosisFinding[] = [];
  const b = baseline ?? {};
  const add = (severity: DiagnosisFinding['severity'] | null, kind: string, text: string) => {
    if (severity) out.push({ severity, kind, text });
  };
  if (f.cpuBusy !== null) {
    const s = level(f.cpuBusy, CPU_BUSY);
    const hog = s ? topNonProbe(processes, 1)[0] : undefined;
    const by = hog && hog.cpuCores >= HOG_CORES ? `; busiest: ${hog.comm} (pid ${hog.pid}) ${num(hog.cpuCores)} cores` : '';
    add(s, 'cpu', `CPU busy ${pct(f.cpuBusy)}${comparedWithHourAgo(f.cpuBusy, b.cpuBusy, 'ratio')}${by}`);
  }
  if (f.cpuIowait !== null) add(level(f.cpuIowait, IOWAIT), 'iowait', `iowait ${pct(f.cpuIowait)}${comparedWithHourAgo(f.cpuIowait, b.cpuIowait, 'ratio')}: tasks are waiting on storage`);
  if (f.cpuSteal !== null) add(level(f.cpuSteal, STEAL), 'steal', `CPU steal ${pct(f.cpuSteal)}${comparedWithHourAgo(f.cpuSteal, b.cpuSteal, 'ratio')}: the hypervisor is giving this VM's CPU time to others`);
  if (f.load1 !== null && f.cpus) {
    add(level(f.load1 / f.cpus, LOAD_PER_CORE), 'load', `load ${num(f.load1)} on ${f.cpus} core${f.cpus === 1 ? '' : 's'}${comparedWithHourAgo(f.load1, b.load1, 'load')}`);
  }
  if (f.memTotalBytes && f.memAvailableBytes !== null) {
    const avail = f.memAvailableBytes / f.memTotalBytes;
    const before = b.memAvailableBytes != null && b.memTotalBytes ? b.memAvailableBytes / b.memTotalBytes : null;
    // Measured swap traffic (vmstat) when collected; otherwise estimated from swap use growing.
    const swapIn = f.swapInPagesPerSecond ?? null;
    const swapOut = f.swapOutPagesPerSecond ?? null;
    const measured = swapIn !== null || swapOut !== null;
    const pages = (swapIn ?? 0) + (swapOut ?? 0);
    const swapping = !measured && f.swapGrowthBytesPerSecond !== null && f.swapGrowthBytesPerSecond >= SWAP_GROWTH.warning ? f.swapGrowthBytesPerSecond : null;
    const memLevel = level(avail, MEM_AVAILABLE, true);
    const swapLevel = measured ? level(pages, SWAP_PAGES) : swapping !== null ? level(swapping, SWAP_GROWTH) : null;
    if (memLevel || swapLevel) {
      const severity = ORDER[memLevel ?? 'warning'] >= ORDER[swapLevel ?? 'warning'] ? (memLevel ?? 'warning') : (swapLevel ?? 'warning');
      const parts = [`memory available ${pct(avail)}${comparedWithHourAgo(avail, before, 'ratio')}`];
      if (measured && swapLevel) parts.push(`swapping ${Math.round(swapIn ?? 0)} pages/s in, ${Math.round(swapOut ?? 0)} out`);
      if (swapping !== null) parts.push(`swapping ${mib(swapping)}/s`);
      const faults = f.majorFaultsPerSecond ?? null;
      if (faults !== null && faults >= MAJOR_FAULTS_NOTED) parts.push(`${Math.round(faults)} major faults/s`);
      out.push({ severity, kind: memLevel ? 'memory' : 'swap', text: parts.join(' and ') });
    }
  }
  if (f.psiCpuSome !== null) add(level(f.psiCpuSome, PSI_CPU), 'psi_cpu', `PSI cpu some ${pct(f.psiCpuSome)}${comparedWithHourAgo(f.psiCpuSome, b.psiCpuSome, 'ratio')}: runnable tasks waiting for a CPU`);
  if (f.psiIoSome !== null) add(level(f.psiIoSome, PSI_IO), 'psi_io', `PSI io some ${pct(f.psiIoSome)}${comparedWithHourAgo(f.psiIoSome, b.psiIoSome, 'ratio')}: tasks stalled on I/O`);
  if (f.psiMemorySome !== null) {
    const full = f.psiMemoryFull !== null && f.psiMemoryFull >= 0.01 ? `, full ${pct(f.psiMemoryFull)}` : '';
    add(level(f.psiMemorySome, PSI_MEMORY), 'psi_memory', `PSI memory some ${pct(f.psiMemorySome)}${full}${comparedWithHourAgo(f.psiMemorySome, b.psiMemorySome, 'ratio')}: tasks stalled reclaiming memory`);
  }
  for (const d of f.disks) {
    const s = level(d.usedRatio, DISK_FULL);
    if (!s) continue;
    const grew = d.usedRatioHourAgo != null ? d.usedRatio - d.usedRatioHourAgo : null;
    const trend = grew === null ? '' : grew >= DISK_GROWING ? `, growing (${pct(d.usedRatioHourAgo!)} an hour ago)` : ', steady over the last hour';
    add(s, 'disk_full', `${d.mount} ${pct(d.usedRatio)} full${trend}`);
  }
  for (const d of f.devices) {
    if (d.utilisation !== null) add(level(d.utilisation, DISK_BUSY), 'disk_busy', `disk ${d.device} ${pct(d.utilisation)} busy`);
    if (d.latencySeconds != null) add(level(d.latencySeconds, DISK_LATENCY), 'disk_latency', `disk ${d.device} latency ${Math.round(d.latencySeconds * 1000)} ms per I/O`);
  }
  if (f.failedUnits !== null && f.failedUnits > 0) add('warning', 'units', `${f.failedUnits} failed systemd unit${f.failedUnits === 1 ? '' : 's'}`);
  // A process eating cores on a host that is otherwise fine is worth a line, not an alarm.
  if (!out.some((x) => x.kind === 'cpu')) {
    const hog = topNonProbe(processes, 1)[0];
    if (hog && hog.cpuCores >= 0.9) add('info', 'process', `${hog.comm} (pid ${hog.pid}) uses ${num(hog.cpuCores)} cores`);
  }
  return out.sort((a, b2) => ORDER[b2.severity] - ORDER[a.severity]);
}

/** What moved against an hour ago (whether or not it crossed a threshold). */
export function changesOf(f: Figures, baseline: Baseline | null): string[] {
  if (!baseline) return [];
  const out: string[] = [];
  const ratio = (label: string, now: number | null, before: number | null | undefined) => {
    if (now === null || before == null) return;
    if (Math.abs(now - before) >= CHANGE_RATIO) out.push(`${label} ${pct(before)} → ${pct(now)}`);
  };
  ratio('CPU busy', f.cpuBusy, baseline.cpuBusy);
  ratio('iowait', f.cpuIowait, baseline.cpuIowait);
  ratio('steal', f.cpuSteal, baseline.cpuSteal);
  if (f.load1 !== null && baseline.load1 != null && comparedWithHourAgo(f.load1, baseline.load1, 'load')) out.push(`load ${num(baseline.load1)} → ${num(f.load1)}`);
  if (f.memTotalBytes && f.memAvailableBytes !== null && baseline.memAvailableBytes != null && baseline.memTotalBytes) {
    ratio('memory available', f.memAvailableBytes / f.memTotalBytes, baseline.memAvailableBytes / baseline.memTotalBytes);
  }
  ratio('PSI cpu', f.psiCpuSome, baseline.psiCpuSome);
  ratio('PSI io', f.psiIoSome, baseline.psiIoSome);
  ratio('PSI memory', f.psiMemorySome, baseline.psiMemorySome);
  for (const d of f.disks) if (d.usedRatioHourAgo != null && d.usedRatio - d.usedRatioHourAgo >= DISK_GROWING) out.push(`${d.mount} ${pct(d.usedRatioHourAgo)} → ${pct(d.usedRatio)}`);
  return out;
}

/**
 * The busiest processes by current CPU that are not Fleetmind's own probes. Left out too:
 * processes measured over less than half a second (a command that lived that briefly is not
 * why a host is slow, and its ticks over its own short life read as a whole core; many of
 * them show as forks per second), and idle ones (under 0.5 % of a core: a table of zeros
 * says nothing).
 */
export const MIN_SAMPLED_SECONDS = 0.5;
export const MIN_LISTED_CORES = 0.005;
export function topNonProbe(processes: readonly ProcessCpu[] | null, limit: number): ProcessCpu[] {
  return [...(processes ?? [])]
    .filter((p) => !p.probe && (p.sampledSeconds === undefined || p.sampledSeconds >= MIN_SAMPLED_SECONDS) && p.cpuCores >= MIN_LISTED_CORES)
    .sort((a, b) => b.cpuCores - a.cpuCores || b.rssBytes - a.rssBytes || a.pid - b.pid)
    .slice(0, limit);
}

const STATE_WORDS: Record<ReachState, string> = { ok: 'ok', unreachable: 'unreachable', timeout: 'timed out', refused: 'refused', no_data: 'no data' };

export function diagnose(h: HostFigures, topLimit = 5): HostDiagnosis {
  const f = h.figures;
  const reachable = h.state === 'ok' && f !== null;
  const findings = reachable ? findingsOf(f, h.baseline, h.processes) : [];
  const severity: Severity = !reachable ? (h.state === 'no_data' ? 'info' : 'critical') : (findings[0]?.severity ?? 'ok');
  const procs = h.processes ?? [];
  const memUsed = f?.memTotalBytes && f.memAvailableBytes !== null ? 1 - f.memAvailableBytes / f.memTotalBytes : null;
  const fullest = f ? [...f.disks].sort((a, b) => b.usedRatio - a.usedRatio)[0] : undefined;
  const dash = '-';
  const row: FleetRow = {
    host: h.host,
    state: reachable ? (severity === 'ok' || severity === 'info' ? 'ok' : severity) : STATE_WORDS[h.state],
    cpu: f?.cpuBusy != null ? pct(f.cpuBusy) : dash,
    mem: memUsed !== null ? pct(memUsed) : dash,
    loadPerCores: f?.load1 != null && f.cpus ? `${num(f.load1)}/${f.cpus}` : dash,
    diskMax: fullest ? `${pct(fullest.usedRatio)} ${fullest.mount}` : dash,
    topFinding: reachable ? (findings[0]?.text ?? 'nothing stands out') : (h.message ?? STATE_WORDS[h.state]),
  };
  return {
    host: h.host,
    state: reachable ? 'ok' : h.state === 'ok' ? 'no_data' : h.state,
    severity,
    findings,
    changes: reachable ? changesOf(f, h.baseline) : [],
    topProcesses: topNonProbe(procs, topLimit),
    probes: procs.filter((p) => p.probe),
    cpuWindow: h.cpuWindow ?? null,
    row,
  };
}

/** Problems first: worst severity, then more findings, then busier CPU, then the name. */
export function rankHosts(list: readonly HostDiagnosis[]): HostDiagnosis[] {
  const cpu = (d: HostDiagnosis) => Number.parseFloat(d.row.cpu) || 0;
  return [...list].sort((a, b) => ORDER[b.severity] - ORDER[a.severity] || b.findings.length - a.findings.length || cpu(b) - cpu(a) || a.host.localeCompare(b.host));
}

const UNREACHABLE: ReadonlySet<ReachState> = new Set(['unreachable', 'timeout', 'refused']);

/** One host's diagnosis in words: findings, what changed, the processes by current CPU. */
export function describeDiagnosis(d: HostDiagnosis): string {
  if (d.state !== 'ok') return `${d.host}: ${d.row.state}${d.row.topFinding && d.row.topFinding !== d.row.state ? ` (${d.row.topFinding})` : ''}`;
  const lines: string[] = [];
  lines.push(d.findings.length ? `Findings:\n${d.findings.map((x) => `- [${x.severity}] ${x.text}`).join('\n')}` : 'Findings: nothing stands out (CPU, iowait, steal, load, memory, swap, pressure, disks).');
  lines.push(d.changes.length ? `Changed against an hour ago: ${d.changes.join('; ')}` : 'Changed against an hour ago: nothing material (or no history yet).');
  const window = d.cpuWindow === 'lifetime' ? 'average since each process started: only one sample so far' : 'current, over the last collection interval';
  if (d.topProcesses.length) {
    const rows = d.topProcesses.map((p) => `  ${String(p.pid).padEnd(8)}${`${(p.cpuCores * 100).toFixed(0)} %`.padEnd(8)}${mib(p.rssBytes).padEnd(10)}${p.comm}`);
    lines.push(`Top processes by CPU (${window}; 100 % = one core):\n  ${'PID'.padEnd(8)}${'CPU'.padEnd(8)}${'RSS'.padEnd(10)}Command\n${rows.join('\n')}`);
  }
  if (d.probes.length) {
    const cores = d.probes.reduce((s, p) => s + p.cpuCores, 0);
    lines.push(`Fleetmind's own probes (not counted above): ${d.probes.length} process${d.probes.length === 1 ? '' : 'es'}, ${(cores * 100).toFixed(0)} % CPU in total.`);
  }
  return lines.join('\n');
}

/** A fleet answer: unreachable hosts in one line on top, then one row per host, problems first. */
export function describeFleet(list: readonly HostDiagnosis[]): { text: string; rows: FleetRow[]; unreachable: HostDiagnosis[] } {
  const ranked = rankHosts(list);
  const down = ranked.filter((d) => UNREACHABLE.has(d.state));
  const up = ranked.filter((d) => !UNREACHABLE.has(d.state));
  const lines: string[] = [];
  if (down.length) lines.push(`Unreachable (${down.length}): ${down.map((d) => `${d.host} ${d.row.state}${d.row.topFinding && d.row.topFinding !== d.row.state ? ` (${d.row.topFinding})` : ''}`).join('; ')}`);
  const header = ['Host', 'State', 'CPU', 'Mem', 'Load/cores', 'Disk max', 'Top finding'];
  const rows = up.map((d) => [d.row.host, d.row.state, d.row.cpu, d.row.mem, d.row.loadPerCores, d.row.diskMax, d.row.topFinding]);
  if (rows.length) {
    const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
    lines.push(...[header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()));
  }
  return { text: lines.join('\n'), rows: up.map((d) => d.row), unreachable: down };
}
