/**
 * The PromQL that turns node_exporter series stored in a Prometheus server into our metric
 * names (names.ts), with the same definitions as the SSH collector's derivation:
 * `cpu_busy_ratio` is 1 − (idle + iowait) / all CPU time, `memory_used_bytes` is
 * MemTotal − MemAvailable, `disk_used_ratio` is used / (used + available) as df computes
 * Use%, rates are per second. Every query keeps `instance` (mapped to an inventory host)
 * and, for per-device metrics, the one label that varies.
 */

export type VaryingLabel = 'iface' | 'device' | 'mount';

export interface MappedQuery {
  metric: string;
  expr: string;
  /** The node_exporter label that becomes our label (device → iface, mountpoint → mount). */
  label?: { from: 'device' | 'mountpoint'; to: VaryingLabel };
}

export interface PromqlOptions {
  /** Extra label matchers (`job="node"`), without braces. */
  matchers: string;
  rateWindowSeconds: number;
}

/** Filesystem size, fetched to choose mounts as the collector does (largest first); not stored. */
export const FS_SIZE_QUERY = '__filesystem_size_bytes';

export function mappedQueries(options: PromqlOptions): MappedQuery[] {
  const m = options.matchers.trim().replace(/,\s*$/, '');
  const sel = (name: string, extra = '') => {
    const parts = [extra, m].filter((p) => p !== '');
    return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
  };
  const w = `[${Math.round(options.rateWindowSeconds)}s]`;
  const rate = (name: string, extra = '') => `rate(${sel(name, extra)}${w})`;
  const byInstance = (expr: string) => `sum by (instance) (${expr})`;
  const gauge = (metric: string, name: string): MappedQuery => ({ metric, expr: `max by (instance) (${sel(name)})` });
  const cpuShare = (modes: string) => `${byInstance(rate('node_cpu_seconds_total', `mode=~"${modes}"`))} / ${byInstance(rate('node_cpu_seconds_total'))}`;
  const net = (metric: string, name: string): MappedQuery => ({ metric, expr: `sum by (instance, device) (${rate(name)})`, label: { from: 'device', to: 'iface' } });
  const disk = (metric: string, expr: string): MappedQuery => ({ metric, expr: `sum by (instance, device) (${expr})`, label: { from: 'device', to: 'device' } });
  const fsLabels = 'instance, device, fstype, mountpoint';
  const fs = (name: string) => `max by (${fsLabels}) (${sel(name)})`;
  const fsQuery = (metric: string, expr: string): MappedQuery => ({ metric, expr, label: { from: 'mountpoint', to: 'mount' } });
  const mem = (field: string) => `max by (instance) (${sel(`node_memory_${field}_bytes`)})`;
  const pressure = (metric: string, name: string): MappedQuery => ({ metric, expr: `clamp_max(max by (instance) (${rate(name)}), 1)` });
  return [
    gauge('load1', 'node_load1'),
    gauge('load5', 'node_load5'),
    gauge('load15', 'node_load15'),
    { metric: 'cpu_count', expr: `count by (instance) (${sel('node_cpu_seconds_total', 'mode="idle"')})` },
    { metric: 'cpu_busy_ratio', expr: `1 - (${cpuShare('idle|iowait')})` },
    { metric: 'cpu_user_ratio', expr: cpuShare('user|nice') },
    { metric: 'cpu_system_ratio', expr: cpuShare('system|irq|softirq') },
    { metric: 'cpu_iowait_ratio', expr: cpuShare('iowait') },
    { metric: 'cpu_steal_ratio', expr: cpuShare('steal') },
    { metric: 'memory_total_bytes', expr: mem('MemTotal') },
    { metric: 'memory_available_bytes', expr: mem('MemAvailable') },
    { metric: 'memory_used_bytes', expr: `clamp_min(${mem('MemTotal')} - ${mem('MemAvailable')}, 0)` },
    { metric: 'memory_cached_bytes', expr: mem('Cached') },
    { metric: 'swap_total_bytes', expr: mem('SwapTotal') },
    { metric: 'swap_used_bytes', expr: `clamp_min(${mem('SwapTotal')} - ${mem('SwapFree')}, 0)` },
    pressure('pressure_cpu_some_ratio', 'node_pressure_cpu_waiting_seconds_total'),
    pressure('pressure_io_some_ratio', 'node_pressure_io_waiting_seconds_total'),
    pressure('pressure_io_full_ratio', 'node_pressure_io_stalled_seconds_total'),
    pressure('pressure_memory_some_ratio', 'node_pressure_memory_waiting_seconds_total'),
    pressure('pressure_memory_full_ratio', 'node_pressure_memory_stalled_seconds_total'),
    net('net_rx_bytes_per_second', 'node_network_receive_bytes_total'),
    net('net_tx_bytes_per_second', 'node_network_transmit_bytes_total'),
    net('net_rx_packets_per_second', 'node_network_receive_packets_total'),
    net('net_tx_packets_per_second', 'node_network_transmit_packets_total'),
    net('net_rx_errors_per_second', 'node_network_receive_errs_total'),
    net('net_tx_errors_per_second', 'node_network_transmit_errs_total'),
    net('net_rx_dropped_per_second', 'node_network_receive_drop_total'),
    net('net_tx_dropped_per_second', 'node_network_transmit_drop_total'),
    disk('disk_read_bytes_per_second', rate('node_disk_read_bytes_total')),
    disk('disk_written_bytes_per_second', rate('node_disk_written_bytes_total')),
    disk('disk_reads_per_second', rate('node_disk_reads_completed_total')),
    disk('disk_writes_per_second', rate('node_disk_writes_completed_total')),
    disk('disk_io_time_ratio', `clamp_max(${rate('node_disk_io_time_seconds_total')}, 1)`),
    fsQuery(FS_SIZE_QUERY, fs('node_filesystem_size_bytes')),
    fsQuery('disk_used_bytes', `clamp_min(${fs('node_filesystem_size_bytes')} - ${fs('node_filesystem_free_bytes')}, 0)`),
    fsQuery('disk_available_bytes', fs('node_filesystem_avail_bytes')),
    fsQuery(
      'disk_used_ratio',
      `clamp_min(${fs('node_filesystem_size_bytes')} - ${fs('node_filesystem_free_bytes')}, 0) / clamp_min(${fs('node_filesystem_size_bytes')} - ${fs('node_filesystem_free_bytes')} + ${fs('node_filesystem_avail_bytes')}, 1)`,
    ),
    // No inode table (btrfs reports 0 files): the comparison drops the series instead of dividing by zero.
    fsQuery('disk_inodes_used_ratio', `clamp_min(${fs('node_filesystem_files')} - ${fs('node_filesystem_files_free')}, 0) / (${fs('node_filesystem_files')} > 0)`),
    gauge('procs_running', 'node_procs_running'),
    gauge('procs_blocked', 'node_procs_blocked'),
    { metric: 'forks_per_second', expr: `max by (instance) (${rate('node_forks_total')})` },
    { metric: 'context_switches_per_second', expr: `max by (instance) (${rate('node_context_switches_total')})` },
    { metric: 'swap_in_pages_per_second', expr: `max by (instance) (${rate('node_vmstat_pswpin')})` },
    { metric: 'swap_out_pages_per_second', expr: `max by (instance) (${rate('node_vmstat_pswpout')})` },
    { metric: 'major_faults_per_second', expr: `max by (instance) (${rate('node_vmstat_pgmajfault')})` },
    { metric: 'uptime_seconds', expr: `max by (instance) (${sel('node_time_seconds')}) - max by (instance) (${sel('node_boot_time_seconds')})` },
    { metric: 'systemd_failed_units', expr: `sum by (instance) (${sel('node_systemd_unit_state', 'state="failed"')})` },
  ];
}
