/**
 * Metric names (DESIGN: valid Prometheus names, labels for the varying part) and their
 * units. Every source (the SSH collector, later a Prometheus server mapped onto these
 * names) writes series under these names so charts, the agent's metrics_query tool and
 * diagnoses do not care where a point came from.
 */
export type MetricUnit = 'load' | 'ratio' | 'bytes' | 'bytes_per_second' | 'per_second' | 'count' | 'seconds';

export interface MetricInfo {
  unit: MetricUnit;
  help: string;
  /** The label that varies (iface, device, mount), if any. */
  label?: 'iface' | 'device' | 'mount';
}

export const METRICS: Readonly<Record<string, MetricInfo>> = {
  load1: { unit: 'load', help: 'Load average over 1 minute' },
  load5: { unit: 'load', help: 'Load average over 5 minutes' },
  load15: { unit: 'load', help: 'Load average over 15 minutes' },
  cpu_count: { unit: 'count', help: 'Online CPUs' },
  cpu_busy_ratio: { unit: 'ratio', help: 'Share of CPU time not idle and not waiting for I/O (all CPUs)' },
  cpu_user_ratio: { unit: 'ratio', help: 'Share of CPU time in user space (nice included)' },
  cpu_system_ratio: { unit: 'ratio', help: 'Share of CPU time in the kernel (irq and softirq included)' },
  cpu_iowait_ratio: { unit: 'ratio', help: 'Share of CPU time idle while waiting for I/O' },
  cpu_steal_ratio: { unit: 'ratio', help: 'Share of CPU time taken by the hypervisor for other guests' },
  memory_total_bytes: { unit: 'bytes', help: 'Physical memory' },
  memory_used_bytes: { unit: 'bytes', help: 'Memory in use: total minus available' },
  memory_available_bytes: { unit: 'bytes', help: 'Memory available for new work without swapping (MemAvailable)' },
  memory_cached_bytes: { unit: 'bytes', help: 'Page cache' },
  swap_total_bytes: { unit: 'bytes', help: 'Swap space' },
  swap_used_bytes: { unit: 'bytes', help: 'Swap in use' },
  swap_in_pages_per_second: { unit: 'per_second', help: 'Pages read back from swap (pswpin)' },
  swap_out_pages_per_second: { unit: 'per_second', help: 'Pages written out to swap (pswpout)' },
  major_faults_per_second: { unit: 'per_second', help: 'Major page faults: accesses that had to read the page from disk or swap (pgmajfault)' },
  pressure_cpu_some_ratio: { unit: 'ratio', help: 'Share of time some task waited for CPU (PSI)' },
  pressure_cpu_full_ratio: { unit: 'ratio', help: 'Share of time all non-idle tasks waited for CPU (PSI)' },
  pressure_io_some_ratio: { unit: 'ratio', help: 'Share of time some task waited for I/O (PSI)' },
  pressure_io_full_ratio: { unit: 'ratio', help: 'Share of time all non-idle tasks waited for I/O (PSI)' },
  pressure_memory_some_ratio: { unit: 'ratio', help: 'Share of time some task waited for memory (PSI)' },
  pressure_memory_full_ratio: { unit: 'ratio', help: 'Share of time all non-idle tasks waited for memory (PSI)' },
  net_rx_bytes_per_second: { unit: 'bytes_per_second', help: 'Bytes received', label: 'iface' },
  net_tx_bytes_per_second: { unit: 'bytes_per_second', help: 'Bytes sent', label: 'iface' },
  net_rx_packets_per_second: { unit: 'per_second', help: 'Packets received', label: 'iface' },
  net_tx_packets_per_second: { unit: 'per_second', help: 'Packets sent', label: 'iface' },
  net_rx_errors_per_second: { unit: 'per_second', help: 'Receive errors', label: 'iface' },
  net_tx_errors_per_second: { unit: 'per_second', help: 'Transmit errors', label: 'iface' },
  net_rx_dropped_per_second: { unit: 'per_second', help: 'Received packets dropped', label: 'iface' },
  net_tx_dropped_per_second: { unit: 'per_second', help: 'Outgoing packets dropped', label: 'iface' },
  disk_read_bytes_per_second: { unit: 'bytes_per_second', help: 'Bytes read from a block device', label: 'device' },
  disk_written_bytes_per_second: { unit: 'bytes_per_second', help: 'Bytes written to a block device', label: 'device' },
  disk_reads_per_second: { unit: 'per_second', help: 'Reads completed', label: 'device' },
  disk_writes_per_second: { unit: 'per_second', help: 'Writes completed', label: 'device' },
  disk_io_time_ratio: { unit: 'ratio', help: 'Share of time the device had I/O in flight (utilisation)', label: 'device' },
  disk_io_latency_seconds: { unit: 'seconds', help: 'Mean time per completed read or write over the interval (await)', label: 'device' },
  disk_used_ratio: { unit: 'ratio', help: 'Share of a file system in use (as df computes Use%)', label: 'mount' },
  disk_used_bytes: { unit: 'bytes', help: 'Bytes used on a file system', label: 'mount' },
  disk_available_bytes: { unit: 'bytes', help: 'Bytes available to unprivileged users on a file system', label: 'mount' },
  disk_inodes_used_ratio: { unit: 'ratio', help: 'Share of a file system\'s inodes in use (df -i)', label: 'mount' },
  processes_total: { unit: 'count', help: 'Processes' },
  procs_running: { unit: 'count', help: 'Runnable threads' },
  procs_blocked: { unit: 'count', help: 'Threads blocked on I/O' },
  forks_per_second: { unit: 'per_second', help: 'Processes and threads created' },
  context_switches_per_second: { unit: 'per_second', help: 'Context switches' },
  systemd_failed_units: { unit: 'count', help: 'systemd units in the failed state (absent without systemd)' },
  uptime_seconds: { unit: 'seconds', help: 'Time since boot' },
  anomaly_score: { unit: 'ratio', help: 'Anomaly score in [0, 1] of the series named by metric_name (stored only above a low floor; 0.1 and up is anomalous)' },
  collector_up: { unit: 'count', help: '1 when the collection run succeeded, 0 when it failed' },
  collector_duration_seconds: { unit: 'seconds', help: 'How long one collection run took (round trip included)' },
};

export function unitOf(name: string): MetricUnit | 'unknown' {
  return METRICS[name]?.unit ?? 'unknown';
}

export type Labels = Readonly<Record<string, string>>;

/** Labels as stored: keys sorted, so equal label sets have one spelling. */
export function canonicalLabels(labels: Labels | undefined): string {
  if (!labels) return '{}';
  const keys = Object.keys(labels).sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, labels[k]])));
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isMetricName(name: string): boolean {
  return NAME.test(name);
}

export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

export class SelectorSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorSyntaxError';
  }
}

/**
 * `disk_used_ratio{mount="/"}` (the Prometheus spelling, as the model writes it) or a
 * bare name → name and exact label matches. Only `=` matchers: this is a series name,
 * not a query language.
 */
export function parseSeriesSelector(text: string): { name: string; labels: Record<string, string> } {
  const trimmed = text.trim();
  const brace = trimmed.indexOf('{');
  const name = brace < 0 ? trimmed : trimmed.slice(0, brace).trim();
  if (!isMetricName(name)) throw new SelectorSyntaxError(`"${name}" is not a metric name (letters, digits, _ and :)`);
  const labels: Record<string, string> = {};
  if (brace < 0) return { name, labels };
  if (!trimmed.endsWith('}')) throw new SelectorSyntaxError(`"${trimmed}": a label list ends with }`);
  let rest = trimmed.slice(brace + 1, -1).trim();
  // Bounded: every iteration consumes at least one matcher or throws.
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*|$)/.exec(rest);
    if (!m) throw new SelectorSyntaxError(`cannot read the labels in "${trimmed}" (write name{label="value"})`);
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return { name, labels };
}

/** `name{a="x",b="y"}`: how a series is shown (and accepted back by parseSeriesSelector). */
export function formatSeries(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${(labels[k] as string).replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
