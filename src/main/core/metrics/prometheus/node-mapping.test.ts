import { describe, expect, it } from 'vitest';
import { DEFAULT_DERIVE_OPTIONS, deriveSample, type SeriesValue } from '../derive';
import { parseExposition } from './exposition';
import { rawSampleFromNodeExporter } from './node-mapping';

interface Node {
  time: number;
  boot: number;
  idle: number;
  user: number;
  iowait: number;
  steal?: number;
  rx: number;
  diskRead: number;
  psiCpu: number;
}

function exposition(n: Node): string {
  return [
    `node_time_seconds ${n.time}`,
    `node_boot_time_seconds ${n.boot}`,
    'node_load1 0.5',
    'node_load5 0.25',
    'node_load15 0.125',
    // Two CPUs, each half of the totals.
    ...['0', '1'].flatMap((cpu) => [
      `node_cpu_seconds_total{cpu="${cpu}",mode="idle"} ${n.idle / 2}`,
      `node_cpu_seconds_total{cpu="${cpu}",mode="user"} ${n.user / 2}`,
      `node_cpu_seconds_total{cpu="${cpu}",mode="system"} 0`,
      `node_cpu_seconds_total{cpu="${cpu}",mode="iowait"} ${n.iowait / 2}`,
      `node_cpu_seconds_total{cpu="${cpu}",mode="steal"} ${(n.steal ?? 0) / 2}`,
    ]),
    'node_memory_MemTotal_bytes 8e+09',
    'node_memory_MemAvailable_bytes 6e+09',
    'node_memory_Cached_bytes 1e+09',
    'node_memory_SwapTotal_bytes 0',
    'node_memory_SwapFree_bytes 0',
    `node_pressure_cpu_waiting_seconds_total ${n.psiCpu}`,
    `node_network_receive_bytes_total{device="eth0"} ${n.rx}`,
    'node_network_transmit_bytes_total{device="eth0"} 0',
    'node_network_receive_bytes_total{device="lo"} 123',
    `node_disk_read_bytes_total{device="vda"} ${n.diskRead}`,
    'node_disk_reads_completed_total{device="vda"} 10',
    'node_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 1000',
    'node_filesystem_free_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 300',
    'node_filesystem_avail_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 200',
    'node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1000',
    'node_filesystem_free_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1000',
    'node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1000',
    'node_procs_running 3',
    'node_forks_total 1000',
    'go_goroutines 8',
  ].join('\n');
}

const raw = (n: Node) => rawSampleFromNodeExporter(parseExposition(exposition(n)).samples);
const value = (values: SeriesValue[], name: string, labels: Record<string, string> = {}) => values.find((v) => v.name === name && JSON.stringify(v.labels) === JSON.stringify(labels))?.value;

const base: Node = { time: 2_000_010, boot: 2_000_000, idle: 100, user: 100, iowait: 0, rx: 1_000, diskRead: 512_000, psiCpu: 1 };

describe('node_exporter → our series (through the collector derivation)', () => {
  it('maps gauges from one scrape and rates from two', () => {
    const first = deriveSample(null, raw(base)).values;
    expect(value(first, 'load1')).toBe(0.5);
    expect(value(first, 'memory_available_bytes')).toBe(6e9);
    expect(value(first, 'memory_used_bytes')).toBe(2e9);
    expect(value(first, 'cpu_count')).toBe(2);
    expect(value(first, 'uptime_seconds')).toBe(10);
    // df's Use%: used (size - free = 700) over used + available (900).
    expect(value(first, 'disk_used_ratio', { mount: '/' })).toBeCloseTo(700 / 900);
    expect(value(first, 'disk_used_ratio', { mount: '/run' })).toBeUndefined();
    expect(value(first, 'cpu_busy_ratio')).toBeUndefined();

    // 10 s later: 10 CPU-seconds of user, 6 idle, 4 iowait (of 20 over two CPUs); 50 kB/s received.
    const next: Node = { ...base, time: base.time + 10, idle: 106, user: 110, iowait: 4, rx: 501_000, diskRead: 512_000 + 5_120_000, psiCpu: 3 };
    const second = deriveSample(raw(base), raw(next)).values;
    expect(value(second, 'cpu_busy_ratio')).toBeCloseTo(0.5);
    expect(value(second, 'cpu_user_ratio')).toBeCloseTo(0.5);
    expect(value(second, 'cpu_iowait_ratio')).toBeCloseTo(0.2);
    expect(value(second, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBeCloseTo(50_000);
    expect(value(second, 'net_rx_bytes_per_second', { iface: 'lo' })).toBeUndefined();
    expect(value(second, 'disk_read_bytes_per_second', { device: 'vda' })).toBeCloseTo(512_000);
    expect(value(second, 'pressure_cpu_some_ratio')).toBeCloseTo(0.2);
  });

  it('skips a counter that reset (an interface re-created) instead of a negative rate', () => {
    const next: Node = { ...base, time: base.time + 10, idle: 110, user: 110, rx: 10 };
    const values = deriveSample(raw(base), raw(next)).values;
    expect(value(values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBeUndefined();
    expect(values.every((v) => v.value >= 0)).toBe(true);
    expect(value(values, 'cpu_busy_ratio')).toBeCloseTo(0.5);
  });

  it('counts a 32-bit wrap as the increase it was', () => {
    const before: Node = { ...base, rx: 2 ** 32 - 1000 };
    const after: Node = { ...base, time: base.time + 10, idle: 110, user: 110, rx: 9000 };
    const values = deriveSample(raw(before), raw(after)).values;
    expect(value(values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBeCloseTo(1000);
  });

  it('after a reboot (boot time moved), rates are the counters over the new uptime', () => {
    const rebooted: Node = { ...base, time: base.time + 100, boot: base.time + 80, idle: 10, user: 10, rx: 20_000 };
    const d = deriveSample(raw(base), raw(rebooted));
    expect(d.rebooted).toBe(true);
    // 20 s of uptime: 20 000 bytes → 1000 B/s.
    expect(value(d.values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBeCloseTo(1000);
    expect(value(d.values, 'uptime_seconds')).toBe(20);
  });

  it('maps node_vmstat_pswpin/pswpout/pgmajfault to swap and major-fault rates, a reset skipped', () => {
    const vm = (n: Node, v: { in: number; out: number; maj: number }) =>
      rawSampleFromNodeExporter(parseExposition(`${exposition(n)}\nnode_vmstat_pswpin ${v.in}\nnode_vmstat_pswpout ${v.out}\nnode_vmstat_pgmajfault ${v.maj}`).samples);
    const later: Node = { ...base, time: base.time + 10, idle: 110, user: 110 };
    const values = deriveSample(vm(base, { in: 100, out: 1000, maj: 50 }), vm(later, { in: 600, out: 3000, maj: 150 })).values;
    expect(value(values, 'swap_in_pages_per_second')).toBeCloseTo(50);
    expect(value(values, 'swap_out_pages_per_second')).toBeCloseTo(200);
    expect(value(values, 'major_faults_per_second')).toBeCloseTo(10);
    const reset = deriveSample(vm(base, { in: 100, out: 1000, maj: 50 }), vm(later, { in: 5, out: 3000, maj: 150 })).values;
    expect(value(reset, 'swap_in_pages_per_second')).toBeUndefined();
    // Without the vmstat collector the series are absent, not zero.
    expect(value(deriveSample(raw(base), raw(later)).values, 'swap_in_pages_per_second')).toBeUndefined();
  });

  it('a scrape without node_* metrics yields nothing', () => {
    const r = rawSampleFromNodeExporter(parseExposition('go_goroutines 8').samples);
    expect(r.stat).toBeNull();
    expect(r.loadavg).toBeNull();
    expect(deriveSample(null, r, DEFAULT_DERIVE_OPTIONS).values).toEqual([]);
  });
});
