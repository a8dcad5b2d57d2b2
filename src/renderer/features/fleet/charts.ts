import { ANOMALY_SCORE_METRIC, ANOMALY_SCORED_LABEL, type CollectorStatusView, type MetricSeriesList } from '../../../shared/protocol';

/** The chart ranges: raw points for an hour, 5-minute and 1-hour buckets beyond (at most a few hundred points each). */
export type RangeKey = '1h' | '24h' | '7d';
export const RANGES: Record<RangeKey, { label: string; ms: number; stepMs: number | null }> = {
  '1h': { label: '1 h', ms: 3_600_000, stepMs: null },
  '24h': { label: '24 h', ms: 86_400_000, stepMs: 300_000 },
  '7d': { label: '7 d', ms: 7 * 86_400_000, stepMs: 3_600_000 },
};

export type ChartUnit = 'ratio' | 'bytes' | 'bytes_per_second' | 'load';

/** One line on a chart: a stored series named by metric and labels. */
export interface ChartLine {
  metric: string;
  labels: Record<string, string>;
  /** Legend text; label values come from the host and are shown as text, escaped. */
  label: string;
}

export interface ChartSpec {
  id: 'cpu' | 'memory' | 'load' | 'disk' | 'network';
  title: string;
  unit: ChartUnit;
  lines: ChartLine[];
}

type Series = MetricSeriesList['series'][number];

const byLabel = (key: string) => (a: Series, b: Series) => (a.labels[key] ?? '').localeCompare(b.labels[key] ?? '');

/**
 * The host page's charts from the series the host has: CPU busy/iowait, memory used and
 * available, load 1/5/15, disk use per mount, network rx/tx per interface. A chart
 * whose metrics the host lacks is left out rather than drawn empty.
 */
export function chartSpecs(series: readonly Series[]): ChartSpec[] {
  const has = (metric: string) => series.filter((s) => s.metric === metric);
  const plain = (metric: string, label: string): ChartLine[] => (has(metric).length > 0 ? [{ metric, labels: {}, label }] : []);
  const specs: ChartSpec[] = [
    { id: 'cpu', title: 'CPU', unit: 'ratio', lines: [...plain('cpu_busy_ratio', 'busy'), ...plain('cpu_iowait_ratio', 'iowait')] },
    { id: 'memory', title: 'Memory', unit: 'bytes', lines: [...plain('memory_used_bytes', 'used'), ...plain('memory_available_bytes', 'available')] },
    { id: 'load', title: 'Load', unit: 'load', lines: [...plain('load1', 'load 1'), ...plain('load5', 'load 5'), ...plain('load15', 'load 15')] },
    {
      id: 'disk',
      title: 'Disk used',
      unit: 'ratio',
      lines: has('disk_used_ratio')
        .sort(byLabel('mount'))
        .map((s) => ({ metric: s.metric, labels: { ...s.labels }, label: s.labels.mount ?? '?' })),
    },
    {
      id: 'network',
      title: 'Network',
      unit: 'bytes_per_second',
      lines: [...has('net_rx_bytes_per_second'), ...has('net_tx_bytes_per_second')]
        .sort((a, b) => byLabel('iface')(a, b) || a.metric.localeCompare(b.metric))
        .map((s) => ({ metric: s.metric, labels: { ...s.labels }, label: `${s.labels.iface ?? '?'} ${s.metric.startsWith('net_rx') ? 'rx' : 'tx'}` })),
    },
  ];
  return specs.filter((s) => s.lines.length > 0);
}

/** The labels of the stored anomaly scores of a chart line (`anomaly_score{metric_name=...}`). */
export function anomalyLabelsOf(line: ChartLine): Record<string, string> {
  return { ...line.labels, [ANOMALY_SCORED_LABEL]: line.metric };
}

/** Whether the host has stored anomaly scores for this line (a line that never scored high has none). */
export function hasAnomalyScores(series: readonly Series[], line: ChartLine): boolean {
  const wanted = anomalyLabelsOf(line);
  const keys = Object.keys(wanted);
  return series.some((s) => s.metric === ANOMALY_SCORE_METRIC && Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === wanted[k]));
}

/** One anomalous point of a line: when, its score and the line's value there (null: no point drawn at that time). */
export interface AnomalyMark {
  at: number;
  score: number;
  value: number | null;
}

/** The marks of one line: its stored scores at or above the threshold, with the line's value at the same time. */
export function anomalyMarks(points: readonly (readonly [number, number])[], scores: readonly (readonly [number, number])[], threshold: number): AnomalyMark[] {
  const valueAt = new Map(points.map(([t, v]) => [t, v]));
  return scores.filter(([, score]) => score >= threshold).map(([at, score]) => ({ at, score, value: valueAt.get(at) ?? null }));
}

/** uPlot's columnar data: x in seconds, one y column per line, null where a line has no point at that time. */
export type AlignedData = [number[], ...(number | null)[][]];

/** Lines' points ([unixMs, value]) on one time axis for uPlot; times in seconds, as uPlot wants them. */
export function alignPoints(lines: readonly (readonly (readonly [number, number])[])[]): AlignedData {
  const times = [...new Set(lines.flatMap((points) => points.map(([t]) => t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = lines.map((points) => {
    const column: (number | null)[] = new Array<number | null>(times.length).fill(null);
    for (const [t, v] of points) column[index.get(t)!] = v;
    return column;
  });
  return [times.map((t) => t / 1000), ...columns];
}

/** The inverse, from what uPlot holds: each line's points, for tests to compare with the API's. */
export function pointsFromAligned(data: readonly (readonly (number | null | undefined)[])[]): [number, number][][] {
  const [xs, ...columns] = data;
  return columns.map((column) => {
    const points: [number, number][] = [];
    column.forEach((v, i) => {
      if (v !== null && v !== undefined) points.push([Math.round((xs![i] as number) * 1000), v]);
    });
    return points;
  });
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = abs;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toFixed(value < 10 ? 1 : 0);
  return `${bytes < 0 ? '-' : ''}${text} ${units[unit]}`;
}

export function formatValue(value: number, unit: ChartUnit): string {
  if (unit === 'ratio') return `${(value * 100).toFixed(value < 0.1 ? 1 : 0)}%`;
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'bytes_per_second') return `${formatBytes(value)}/s`;
  return value.toFixed(2);
}

/** "12 s ago", "3 min ago", "5 h ago", "2 d ago". */
export function formatAgo(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const ms = Math.max(0, now - Date.parse(iso));
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

/** Host errors that mean "cannot be reached or logged into", as opposed to a collector problem on a reachable host. */
const UNREACHABLE_CODES = new Set(['unreachable', 'timeout', 'auth_failed', 'host_key_unknown', 'host_key_mismatch']);

export type Health = 'ok' | 'pending' | 'unreachable' | 'failing' | 'refused' | 'not_collected';

/** One word for the fleet table, from the collector's state and its last error. */
export function hostHealth(collector: CollectorStatusView | null | undefined): Health {
  if (!collector) return 'not_collected';
  if (collector.state === 'failing') return collector.lastError && UNREACHABLE_CODES.has(collector.lastError.code) ? 'unreachable' : 'failing';
  return collector.state;
}

export const HEALTH_TEXT: Record<Health, string> = {
  ok: 'collecting',
  pending: 'pending',
  unreachable: 'unreachable',
  failing: 'failing',
  refused: 'refused by policy',
  not_collected: 'not collected',
};
