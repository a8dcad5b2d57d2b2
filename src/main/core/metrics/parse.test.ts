import { describe, expect, it } from 'vitest';
import { CollectorOutputError, parseCollectorOutput, parseDf, parseNetDev, parseProcStatLine, parseVmstat } from './parse';
import { collectorOutput, syntheticHost } from './testing/synthetic-proc';

describe('collector output parsing', () => {
  it('reads every section of the script output', () => {
    const h = syntheticHost({ psi: { io: { some: 1000n, full: 400n } }, disks: { sda: { reads: 10, sectorsRead: 20, writes: 30, sectorsWritten: 40, ioMs: 50 } }, net: { eth0: { rxBytes: 1, rxPackets: 2, txBytes: 3, txPackets: 4 } } });
    const s = parseCollectorOutput(collectorOutput(h, { selfPid: 77, failedUnits: ['nginx.service loaded failed failed A web server'], procs: ['1 (systemd) S 0 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 10 1000 300 0'] }));
    expect(s.selfPid).toBe(77);
    expect(s.uptimeSeconds).toBe(1000);
    expect(s.stat).toMatchObject({ cpuCount: 2, btime: 1_700_000_000, forks: 5000n, contextSwitches: 100_000n, procsRunning: 1 });
    expect(s.stat?.cpu?.idle).toBe(8000n);
    expect(s.meminfo?.get('MemAvailable')).toBe(6_000_000 * 1024);
    expect(s.meminfo?.get('HugePages_Total')).toBe(0);
    expect(s.loadavg).toEqual({ load1: 0.5, load5: 0.4, load15: 0.3 });
    expect(s.pressure).toEqual({ io: { some: 1000n, full: 400n } });
    expect(s.diskstats.get('sda')).toEqual({ reads: 10n, sectorsRead: 20n, writes: 30n, sectorsWritten: 40n, ioMs: 50n, readMs: 10n, writeMs: 20n });
    expect(s.netdev.get('eth0')).toMatchObject({ rxBytes: 1n, txPackets: 4n });
    expect(s.filesystems?.map((f) => f.mount)).toEqual(['/', '/run']);
    expect(s.processes).toEqual([{ pid: 1, comm: 'systemd', state: 'S', ppid: 0, session: 1, ticks: 11, startTicks: 10, rssPages: 300 }]);
    expect(s.failedUnits).toBe(1);
  });

  it('leaves out what a host does not have: no PSI files, no systemctl', () => {
    const s = parseCollectorOutput(collectorOutput(syntheticHost(), { failedUnits: null }));
    expect(s.pressure).toEqual({});
    expect(s.failedUnits).toBeNull();
    expect(s.processes).toBeNull();
  });

  it('refuses output cut off before the end marker', () => {
    const full = collectorOutput(syntheticHost());
    expect(() => parseCollectorOutput(full.slice(0, full.indexOf('@fm1 end')))).toThrow(CollectorOutputError);
  });

  it('reads command names with spaces and parentheses', () => {
    expect(parseProcStatLine('4242 (my (odd) name) R 1 4242 4242 0 -1 0 0 0 0 0 150 50 0 0 20 0 1 0 999 1000 25 0')).toMatchObject({ pid: 4242, comm: 'my (odd) name', state: 'R', ppid: 1, session: 4242, ticks: 200, startTicks: 999, rssPages: 25 });
    expect(parseProcStatLine('garbage')).toBeNull();
  });

  it('reads df -P lines with spaces in the mount point and net/dev lines without a space after the colon', () => {
    expect(parseDf(['Filesystem Type 1-blocks Used Available Capacity Mounted on', '/dev/sdb1 xfs 1000 400 600 40% /mnt/my disk'])).toEqual([{ source: '/dev/sdb1', type: 'xfs', sizeBytes: 1000, usedBytes: 400, availableBytes: 600, mount: '/mnt/my disk' }]);
    expect(parseNetDev(['  eth1:18446744073709551615 1 0 0 0 0 0 0 2 3 0 0 0 0 0 0']).get('eth1')?.rxBytes).toBe(18_446_744_073_709_551_615n);
  });
  it('reads the paging counters of /proc/vmstat (64-bit exact) and nothing else; junk values are absent, not zero', () => {
    const sample = parseCollectorOutput(collectorOutput(syntheticHost({ vmstat: { pswpin: 18_446_744_073_709_551_000n, pswpout: 7, pgmajfault: 3 } })));
    expect(sample.vmstat).toEqual({ pswpin: 18_446_744_073_709_551_000n, pswpout: 7n, pgmajfault: 3n });
    expect(parseVmstat(['pswpin -5', 'pswpout 1e3', 'pgmajfault 12 extra', 'pgfault 99'])).toEqual({ pswpin: null, pswpout: null, pgmajfault: 12n });
    expect(parseVmstat(['nr_free_pages 1', 'pswpin x'])).toBeNull();
    expect(parseCollectorOutput(collectorOutput(syntheticHost())).vmstat).toBeNull();
  });
});
