import { describe, expect, it } from 'vitest';
import { DEFAULT_DERIVE_OPTIONS, deriveSample, selectFilesystems, wholeDevices, type SeriesValue } from './derive';
import { parseCollectorOutput } from './parse';
import { collectorOutput, syntheticHost, type SyntheticHost } from './testing/synthetic-proc';

const U32 = 2n ** 32n;
const U64 = 2n ** 64n;

function sample(h: SyntheticHost, extra: Parameters<typeof collectorOutput>[1] = {}) {
  return parseCollectorOutput(collectorOutput(h, extra));
}
const value = (values: SeriesValue[], name: string, labels: Record<string, string> = {}) => values.find((v) => v.name === name && JSON.stringify(v.labels) === JSON.stringify(labels))?.value;

const base = syntheticHost({
  disks: { sda: { reads: 100, sectorsRead: U32 - 1000n, writes: 100, sectorsWritten: 1000, ioMs: 1000 }, sda1: { reads: 1, sectorsRead: 1, writes: 1, sectorsWritten: 1, ioMs: 1 } },
  net: { eth0: { rxBytes: U64 - 10_000n, rxPackets: 10, txBytes: 1000, txPackets: 10 }, lo: { rxBytes: 5, rxPackets: 1, txBytes: 5, txPackets: 1 } },
  psi: { cpu: { some: 1_000_000 }, io: { some: 2_000_000, full: 1_000_000 } },
});

describe('deriving series from samples', () => {
  it('gives gauges from the first sample and no rates yet', () => {
    const d = deriveSample(null, sample(base));
    expect(value(d.values, 'load1')).toBe(0.5);
    expect(value(d.values, 'memory_total_bytes')).toBe(8_000_000 * 1024);
    expect(value(d.values, 'memory_used_bytes')).toBe(2_000_000 * 1024);
    expect(value(d.values, 'swap_used_bytes')).toBe(100_000 * 1024);
    expect(value(d.values, 'disk_used_ratio', { mount: '/' })).toBeCloseTo(40 / 95, 10);
    expect(value(d.values, 'cpu_busy_ratio')).toBeUndefined();
    expect(value(d.values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBeUndefined();
    expect(d.rebooted).toBe(false);
  });

  it('computes rates over the host uptime difference, counting 32- and 64-bit wraps', () => {
    const next: SyntheticHost = {
      ...base,
      uptimeSeconds: base.uptimeSeconds + 15,
      // 1500 ticks in 15 s: 300 user, 150 system, 900 idle, 150 iowait.
      cpu: { ...base.cpu, user: 1300, system: 650, idle: 8900, iowait: 250 },
      forks: 5150,
      disks: { sda: { reads: 130, sectorsRead: 500, writes: 100, sectorsWritten: 1000, ioMs: 1000 + 7500, readMs: 10 + 30 * 12 }, sda1: base.disks!.sda1! },
      net: { eth0: { rxBytes: 5000n, rxPackets: 25, txBytes: 1000 + 15 * 2048, txPackets: 10 }, lo: base.net!.lo! },
      psi: { cpu: { some: 1_000_000 + 1_500_000 }, io: { some: 2_000_000 + 3_000_000, full: 1_000_000 } },
    };
    const d = deriveSample(sample(base), sample(next));
    expect(value(d.values, 'cpu_busy_ratio')).toBeCloseTo(450 / 1500, 12);
    expect(value(d.values, 'cpu_user_ratio')).toBeCloseTo(300 / 1500, 12);
    expect(value(d.values, 'cpu_iowait_ratio')).toBeCloseTo(150 / 1500, 12);
    expect(value(d.values, 'forks_per_second')).toBe(10);
    // sectors: 2^32-1000 → 500 is a 32-bit wrap of 1500 sectors.
    expect(value(d.values, 'disk_read_bytes_per_second', { device: 'sda' })).toBe((1500 * 512) / 15);
    expect(value(d.values, 'disk_reads_per_second', { device: 'sda' })).toBe(2);
    expect(value(d.values, 'disk_io_time_ratio', { device: 'sda' })).toBe(0.5);
    // 30 reads that waited 360 ms in all: 12 ms per request.
    expect(value(d.values, 'disk_io_latency_seconds', { device: 'sda' })).toBeCloseTo(0.012, 12);
    // bytes: 2^64-10000 → 5000 is a 64-bit wrap of 15000 bytes.
    expect(value(d.values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBe(1000);
    expect(value(d.values, 'net_tx_bytes_per_second', { iface: 'eth0' })).toBe(2048);
    expect(value(d.values, 'pressure_cpu_some_ratio')).toBeCloseTo(0.1, 12);
    expect(value(d.values, 'pressure_io_some_ratio')).toBeCloseTo(0.2, 12);
    expect(value(d.values, 'pressure_io_full_ratio')).toBe(0);
    expect(value(d.values, 'pressure_memory_some_ratio')).toBeUndefined();
    // Partitions of a listed disk and the loopback interface are left out.
    expect(d.values.some((v) => v.labels.device === 'sda1' || v.labels.iface === 'lo')).toBe(false);
  });

  it('after a reboot gives since-boot rates, never a negative or a wrapped spike', () => {
    const rebooted: SyntheticHost = {
      ...base,
      btime: base.btime + 5000,
      uptimeSeconds: 20,
      cpu: { user: 200, nice: 0, system: 100, idle: 3600, iowait: 100, irq: 0, softirq: 0, steal: 0 },
      forks: 400,
      disks: { sda: { reads: 40, sectorsRead: 2000, writes: 0, sectorsWritten: 0, ioMs: 100 } },
      net: { eth0: { rxBytes: 20_000, rxPackets: 20, txBytes: 0, txPackets: 0 } },
    };
    const d = deriveSample(sample(base), sample(rebooted));
    expect(d.rebooted).toBe(true);
    expect(value(d.values, 'cpu_busy_ratio')).toBeCloseTo(300 / 4000, 12);
    expect(value(d.values, 'forks_per_second')).toBe(20);
    expect(value(d.values, 'disk_read_bytes_per_second', { device: 'sda' })).toBe((2000 * 512) / 20);
    expect(value(d.values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBe(1000);
    for (const v of d.values) expect(v.value, v.name).toBeGreaterThanOrEqual(0);
  });

  it('skips the rate of a counter that restarted without a reboot (an interface re-created)', () => {
    const next = { ...base, uptimeSeconds: base.uptimeSeconds + 15, net: { eth0: { rxBytes: 0n, rxPackets: 0, txBytes: 0, txPackets: 0 } } };
    const prev = { ...base, net: { eth0: { rxBytes: 900_000n, rxPackets: 10, txBytes: 1000, txPackets: 10 } } };
    const d = deriveSample(sample(prev), sample(next));
    expect(value(d.values, 'net_rx_bytes_per_second', { iface: 'eth0' })).toBeUndefined();
    expect(value(d.values, 'net_rx_packets_per_second', { iface: 'eth0' })).toBeUndefined();
    expect(d.rebooted).toBe(false);
  });

  it('reports failed units only where systemctl answered', () => {
    expect(value(deriveSample(null, sample(base, { failedUnits: null })).values, 'systemd_failed_units')).toBeUndefined();
    expect(value(deriveSample(null, sample(base, { failedUnits: [] })).values, 'systemd_failed_units')).toBe(0);
    expect(value(deriveSample(null, sample(base, { failedUnits: ['a.service loaded failed failed A', 'b.service loaded failed failed B'] })).values, 'systemd_failed_units')).toBe(2);
  });

  it('keeps real file systems and leaves tmpfs, proc and overlay noise out unless configured', () => {
    const all = [
      { source: '/dev/sda1', type: 'ext4', sizeBytes: 100, usedBytes: 40, availableBytes: 55, mount: '/' },
      { source: '/dev/sda1', type: 'ext4', sizeBytes: 100, usedBytes: 40, availableBytes: 55, mount: '/srv/bind' },
      { source: 'tmpfs', type: 'tmpfs', sizeBytes: 100, usedBytes: 1, availableBytes: 99, mount: '/run' },
      { source: 'tmpfs', type: 'tmpfs', sizeBytes: 100, usedBytes: 1, availableBytes: 99, mount: '/data/scratch' },
      { source: 'overlay', type: 'overlay', sizeBytes: 100, usedBytes: 1, availableBytes: 99, mount: '/var/lib/docker/overlay2/x/merged' },
      { source: 'proc', type: 'proc', sizeBytes: 0, usedBytes: 0, availableBytes: 0, mount: '/proc' },
    ];
    const f = DEFAULT_DERIVE_OPTIONS.filesystems;
    expect(selectFilesystems(all, f).map((x) => x.mount)).toEqual(['/']);
    expect(selectFilesystems(all, { ...f, includeMounts: ['/data/scratch'] }).map((x) => x.mount)).toEqual(['/data/scratch', '/']);
    expect(selectFilesystems(all, { ...f, includeTypes: ['tmpfs'] }).map((x) => x.mount).sort()).toEqual(['/', '/data/scratch']);
  });

  it('tells whole disks from partitions', () => {
    expect(wholeDevices(['sda', 'sda1', 'sda2', 'nvme0n1', 'nvme0n1p1', 'mmcblk0', 'mmcblk0p2', 'md0', 'dm-0', 'vdb1'])).toEqual(['sda', 'nvme0n1', 'mmcblk0', 'md0', 'dm-0', 'vdb1']);
  });
  it('derives swap-in, swap-out and major-fault rates from /proc/vmstat, counting a 32-bit wrap and skipping a reset', () => {
    const vmBase = syntheticHost({ vmstat: { pswpin: 1000, pswpout: U32 - 300n, pgmajfault: 40 } });
    const first = deriveSample(null, sample(vmBase));
    expect(value(first.values, 'swap_in_pages_per_second')).toBeUndefined();
    const later = { ...vmBase, uptimeSeconds: vmBase.uptimeSeconds + 10 };
    const d = deriveSample(sample(vmBase), sample({ ...later, vmstat: { pswpin: 1500, pswpout: 700, pgmajfault: 140 } }));
    expect(value(d.values, 'swap_in_pages_per_second')).toBe(50);
    // 300 pages to the wrap and 700 after it: 1000 pages in 10 s.
    expect(value(d.values, 'swap_out_pages_per_second')).toBe(100);
    expect(value(d.values, 'major_faults_per_second')).toBe(10);
    const reset = deriveSample(sample(vmBase), sample({ ...later, vmstat: { pswpin: 3, pswpout: U32 - 200n, pgmajfault: 140 } }));
    expect(value(reset.values, 'swap_in_pages_per_second')).toBeUndefined();
    expect(value(reset.values, 'swap_out_pages_per_second')).toBe(10);
    // A kernel without /proc/vmstat (or a host where it was not readable): no series, not zero.
    expect(value(deriveSample(sample(base), sample({ ...base, uptimeSeconds: base.uptimeSeconds + 10 })).values, 'swap_in_pages_per_second')).toBeUndefined();
  });
});
