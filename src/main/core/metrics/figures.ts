import type { CollectorStatus, ProcessSnapshotView } from './collector';
import type { Baseline, DeviceFigure, DiskFigure, Figures, HostFigures } from './diagnosis';
import type { QueryOutcome, SeriesInfo, SeriesQuery } from './types';

/** What figures are read from: the store (or MetricsService, with its readers). */
export interface FiguresReader {
  query(q: SeriesQuery): QueryOutcome;
  listSeries(host: string): SeriesInfo[];
}

const MINUTE = 60_000;
/** Without a known interval, a sample is current for this long. */
const DEFAULT_FRESH_MS = 2 * MINUTE;

/**
 * The current figures of a host (its newest sample, if recent enough) and the same figures
 * an hour ago (the average of 55 to 65 minutes back), from stored series. Null when the
 * store has no recent sample of the host.
 */
export function readFigures(reader: FiguresReader, host: string, opts: { now: number; status?: CollectorStatus | null; processes?: ProcessSnapshotView | null; source?: HostFigures['source'] }): HostFigures | null {
  const { now } = opts;
  const freshMs = Math.max(DEFAULT_FRESH_MS, (opts.status?.intervalMs ?? 0) * 3);
  const series = reader.listSeries(host);
  // collector_up and collector_duration_seconds are written by failed runs too: they say nothing about the host.
  if (!series.some((s) => !s.metric.startsWith('collector_') && s.lastAt !== null && s.lastAt >= now - freshMs)) return null;
  const pointsOf = (metric: string, labels: Record<string, string>, since: number, until: number) => {
    const r = reader.query({ host, metric, labels, since, until });
    return r.ok ? r.result.points : [];
  };
  let at: number | null = null;
  const latest = (metric: string, labels: Record<string, string> = {}): number | null => {
    const pts = pointsOf(metric, labels, now - freshMs, now);
    const last = pts[pts.length - 1];
    if (!last) return null;
    at = Math.max(at ?? 0, last[0]);
    return last[1];
  };
  const hourAgo = (metric: string, labels: Record<string, string> = {}): number | null => {
    const pts = pointsOf(metric, labels, now - 65 * MINUTE, now - 55 * MINUTE);
    return pts.length ? pts.reduce((s, p) => s + p[1], 0) / pts.length : null;
  };
  // Swap activity: how fast swap use grew over the last couple of minutes (collector samples only).
  const swapPts = pointsOf('swap_used_bytes', {}, now - 2 * MINUTE, now);
  let swapGrowth: number | null = null;
  if (swapPts.length >= 2) {
    const [t0, v0] = swapPts[0]!;
    const [t1, v1] = swapPts[swapPts.length - 1]!;
    swapGrowth = t1 > t0 ? Math.max(0, (v1 - v0) / ((t1 - t0) / 1000)) : null;
  }
  // Measured paging (vmstat), averaged over the same couple of minutes; null where not collected.
  const recentRate = (metric: string): number | null => {
    const pts = pointsOf(metric, {}, now - 2 * MINUTE, now);
    return pts.length ? pts.reduce((sum, p) => sum + p[1], 0) / pts.length : null;
  };
  const labelled = (metric: string, label: string) => [...new Set(series.filter((s) => s.metric === metric && s.labels[label] !== undefined && s.lastAt !== null && s.lastAt >= now - freshMs).map((s) => s.labels[label] as string))];
  const disks: DiskFigure[] = [];
  for (const mount of labelled('disk_used_ratio', 'mount')) {
    const used = latest('disk_used_ratio', { mount });
    if (used !== null) disks.push({ mount, usedRatio: used, usedRatioHourAgo: hourAgo('disk_used_ratio', { mount }) });
  }
  const devices: DeviceFigure[] = [];
  for (const device of labelled('disk_io_time_ratio', 'device')) devices.push({ device, utilisation: latest('disk_io_time_ratio', { device }), latencySeconds: latest('disk_io_latency_seconds', { device }) });
  const figures: Figures = {
    cpuBusy: latest('cpu_busy_ratio'),
    cpuIowait: latest('cpu_iowait_ratio'),
    cpuSteal: latest('cpu_steal_ratio'),
    load1: latest('load1'),
    cpus: latest('cpu_count'),
    memTotalBytes: latest('memory_total_bytes'),
    memAvailableBytes: latest('memory_available_bytes'),
    swapTotalBytes: latest('swap_total_bytes'),
    swapUsedBytes: latest('swap_used_bytes'),
    swapGrowthBytesPerSecond: swapGrowth,
    swapInPagesPerSecond: recentRate('swap_in_pages_per_second'),
    swapOutPagesPerSecond: recentRate('swap_out_pages_per_second'),
    majorFaultsPerSecond: recentRate('major_faults_per_second'),
    psiCpuSome: latest('pressure_cpu_some_ratio'),
    psiIoSome: latest('pressure_io_some_ratio'),
    psiMemorySome: latest('pressure_memory_some_ratio'),
    psiMemoryFull: latest('pressure_memory_full_ratio'),
    failedUnits: latest('systemd_failed_units'),
    disks,
    devices,
  };
  const baseline: Baseline = {
    cpuBusy: hourAgo('cpu_busy_ratio'),
    cpuIowait: hourAgo('cpu_iowait_ratio'),
    cpuSteal: hourAgo('cpu_steal_ratio'),
    load1: hourAgo('load1'),
    memAvailableBytes: hourAgo('memory_available_bytes'),
    memTotalBytes: hourAgo('memory_total_bytes'),
    psiCpuSome: hourAgo('pressure_cpu_some_ratio'),
    psiIoSome: hourAgo('pressure_io_some_ratio'),
    psiMemorySome: hourAgo('pressure_memory_some_ratio'),
  };
  const hasBaseline = Object.values(baseline).some((v) => v !== null);
  const procs = opts.processes && Date.parse(opts.processes.at) >= now - freshMs ? opts.processes : null;
  return {
    host,
    state: 'ok',
    at,
    lastSeen: opts.status?.lastSuccessAt ?? null,
    source: opts.source ?? 'collector',
    figures,
    baseline: hasBaseline ? baseline : null,
    processes: procs?.processes ?? null,
    cpuWindow: procs?.cpuWindow ?? null,
  };
}
