import { describe, expect, it } from 'vitest';
import { changesOf, describeDiagnosis, describeFleet, diagnose, findingsOf, rankHosts, type Figures, type HostFigures } from './diagnosis';
import type { ProcessCpu } from './processes';

const GiB = 1024 ** 3;

function figures(over: Partial<Figures> = {}): Figures {
  return {
    cpuBusy: 0.1,
    cpuIowait: 0.01,
    cpuSteal: 0,
    load1: 0.3,
    cpus: 4,
    memTotalBytes: 8 * GiB,
    memAvailableBytes: 6 * GiB,
    swapTotalBytes: GiB,
    swapUsedBytes: 0,
    swapGrowthBytesPerSecond: 0,
    psiCpuSome: 0.01,
    psiIoSome: 0.01,
    psiMemorySome: 0,
    psiMemoryFull: 0,
    failedUnits: 0,
    disks: [{ mount: '/', usedRatio: 0.4, usedRatioHourAgo: 0.4 }],
    devices: [{ device: 'sda', utilisation: 0.05 }],
    ...over,
  };
}

const proc = (pid: number, comm: string, cpuCores: number, probe = false, ppid = 1): ProcessCpu => ({ pid, ppid, comm, state: 'R', cpuCores, rssBytes: 10 << 20, probe });

function host(name: string, over: Partial<Figures> = {}, extra: Partial<HostFigures> = {}): HostFigures {
  return { host: name, state: 'ok', at: 1, figures: figures(over), baseline: null, processes: [], cpuWindow: 'interval', ...extra };
}

describe('diagnosis rules', () => {
  it('a quiet host has no findings', () => {
    expect(findingsOf(figures(), null, [])).toEqual([]);
    expect(diagnose(host('q')).severity).toBe('ok');
  });

  it.each([
    ['cpu', { cpuBusy: 0.94 }, 'warning', /^CPU busy 94 %/],
    ['cpu', { cpuBusy: 0.97 }, 'critical', /^CPU busy 97 %/],
    ['iowait', { cpuIowait: 0.38 }, 'warning', /^iowait 38 %/],
    ['iowait', { cpuIowait: 0.45 }, 'critical', /^iowait 45 %/],
    ['steal', { cpuSteal: 0.12 }, 'warning', /^CPU steal 12 %/],
    ['load', { load1: 7.9, cpus: 2 }, 'critical', /^load 7\.9 on 2 cores/],
    ['load', { load1: 2.5, cpus: 2 }, 'warning', /^load 2\.5 on 2 cores/],
    ['memory', { memAvailableBytes: 0.03 * 8 * GiB }, 'critical', /^memory available 3 %/],
    ['swap', { swapGrowthBytesPerSecond: 5 << 20 }, 'warning', /^memory available 75 % and swapping 5\.0 MB\/s/],
    ['swap', { swapInPagesPerSecond: 300, swapOutPagesPerSecond: 100 }, 'warning', /^memory available 75 % and swapping 300 pages\/s in, 100 out/],
    ['swap', { swapInPagesPerSecond: 6000, swapOutPagesPerSecond: 0, majorFaultsPerSecond: 6000 }, 'critical', /^memory available 75 % and swapping 6000 pages\/s in, 0 out and 6000 major faults\/s/],
    ['psi_cpu', { psiCpuSome: 0.3 }, 'warning', /^PSI cpu some 30 %/],
    ['psi_io', { psiIoSome: 0.6 }, 'critical', /^PSI io some 60 %/],
    ['psi_memory', { psiMemorySome: 0.25 }, 'warning', /^PSI memory some 25 %/],
    ['disk_full', { disks: [{ mount: '/var', usedRatio: 0.97, usedRatioHourAgo: 0.93 }] }, 'critical', /^\/var 97 % full, growing \(93 % an hour ago\)/],
    ['disk_full', { disks: [{ mount: '/data', usedRatio: 0.91, usedRatioHourAgo: 0.91 }] }, 'warning', /^\/data 91 % full, steady/],
    ['disk_busy', { devices: [{ device: 'sdb', utilisation: 0.99 }] }, 'critical', /^disk sdb 99 % busy/],
    ['disk_latency', { devices: [{ device: 'sdb', utilisation: 0.1, latencySeconds: 0.08 }] }, 'warning', /^disk sdb latency 80 ms/],
    ['units', { failedUnits: 2 }, 'warning', /^2 failed systemd units/],
  ] as const)('%s: %j → %s', (kind, over, severity, text) => {
    const found = findingsOf(figures(over as Partial<Figures>), null, []);
    expect(found).toEqual([expect.objectContaining({ kind, severity })]);
    expect(found[0]!.text).toMatch(text);
  });

  it('memory low and swapping is one finding with both figures', () => {
    const found = findingsOf(figures({ memAvailableBytes: 0.03 * 8 * GiB, swapGrowthBytesPerSecond: 40 << 20 }), null, []);
    expect(found).toEqual([expect.objectContaining({ kind: 'memory', severity: 'critical', text: expect.stringMatching(/^memory available 3 % and swapping 40 MB\/s/) })]);
  });

  it('measured swap traffic decides over the growth estimate: swap use growing without pages moving is no finding, and quiet paging is none', () => {
    // Swap use can grow with pages already in swap being counted late; vmstat says nothing moved.
    expect(findingsOf(figures({ swapGrowthBytesPerSecond: 40 << 20, swapInPagesPerSecond: 0, swapOutPagesPerSecond: 2 }), null, [])).toEqual([]);
    expect(findingsOf(figures({ swapInPagesPerSecond: 10, swapOutPagesPerSecond: 10, majorFaultsPerSecond: 500 }), null, [])).toEqual([]);
    // Low memory names the major faults beside it, without measured swapping.
    const low = findingsOf(figures({ memAvailableBytes: 0.03 * 8 * GiB, swapInPagesPerSecond: 0, swapOutPagesPerSecond: 0, majorFaultsPerSecond: 250 }), null, []);
    expect(low).toEqual([expect.objectContaining({ kind: 'memory', severity: 'critical', text: expect.stringMatching(/^memory available 3 % and 250 major faults\/s/) })]);
  });

  it('findings come strongest first', () => {
    const found = findingsOf(figures({ failedUnits: 1, cpuBusy: 0.99 }), null, []);
    expect(found.map((f) => f.severity)).toEqual(['critical', 'warning']);
  });
});

describe('change against the last hour', () => {
  it('says what a figure was an hour ago when it moved materially', () => {
    const [cpu] = findingsOf(figures({ cpuBusy: 0.94 }), { cpuBusy: 0.12 }, []);
    expect(cpu!.text).toBe('CPU busy 94 % (was 12 % an hour ago)');
    const [load] = findingsOf(figures({ load1: 7.9, cpus: 2 }), { load1: 0.4 }, []);
    expect(load!.text).toBe('load 7.9 on 2 cores (was 0.4 an hour ago)');
  });

  it('says nothing about the past when the figure was about the same', () => {
    const [cpu] = findingsOf(figures({ cpuBusy: 0.94 }), { cpuBusy: 0.9 }, []);
    expect(cpu!.text).toBe('CPU busy 94 %');
  });

  it('lists what changed even below the thresholds', () => {
    expect(changesOf(figures({ cpuBusy: 0.5, load1: 2 }), { cpuBusy: 0.1, load1: 0.5 })).toEqual(['CPU busy 10 % → 50 %', 'load 0.5 → 2.0']);
    expect(changesOf(figures(), null)).toEqual([]);
    const d = diagnose(host('h', { cpuBusy: 0.5 }, { baseline: { cpuBusy: 0.1 } }));
    expect(describeDiagnosis(d)).toMatch(/Changed against an hour ago: CPU busy 10 % → 50 %/);
  });
});

describe('processes by current CPU', () => {
  const processes = [proc(10, 'ss', 1, true), proc(11, 'sshd', 0.3, true), proc(20, 'stress', 1.9), proc(21, 'postgres', 0.2), proc(1, 'systemd', 0)];

  it('never names a Fleetmind probe as the CPU hog; probes are listed apart', () => {
    const d = diagnose(host('h', { cpuBusy: 0.97 }, { processes }));
    expect(d.topProcesses.map((p) => p.comm)).toEqual(['stress', 'postgres']);
    expect(d.probes.map((p) => p.comm)).toEqual(['ss', 'sshd']);
    expect(d.findings[0]!.text).toMatch(/busiest: stress \(pid 20\) 1\.9 cores/);
    const text = describeDiagnosis(d);
    expect(text).toMatch(/Top processes by CPU \(current/);
    const table = text.split("Fleetmind's own probes")[0]!;
    expect(table).not.toMatch(/\bss\b|\bsshd\b/);
    expect(text).toMatch(/Fleetmind's own probes \(not counted above\): 2 processes/);
  });

  it('a command that lived under half a second is not named (its own short life reads as a whole core)', () => {
    const brief = { ...proc(30, 'cat', 1.5), sampledSeconds: 0.05 };
    const d = diagnose(host('h', { cpuBusy: 0.97 }, { processes: [brief, { ...proc(20, 'stress', 0.9), sampledSeconds: 15 }] }));
    expect(d.topProcesses.map((p) => p.comm)).toEqual(['stress']);
    expect(d.findings[0]!.text).toMatch(/busiest: stress/);
  });

  it('a busy process on an otherwise fine host is an info line', () => {
    const found = findingsOf(figures(), null, [proc(5, 'ss', 3, true), proc(20, 'backup', 1.2)]);
    expect(found).toEqual([{ severity: 'info', kind: 'process', text: 'backup (pid 20) uses 1.2 cores' }]);
  });
});

describe('fleet', () => {
  const busy = diagnose(host('b-busy', { cpuBusy: 0.97, load1: 7.9, cpus: 2 }));
  const quiet = diagnose(host('a-quiet'));
  const full = diagnose(host('c-full', { disks: [{ mount: '/var', usedRatio: 0.92 }] }));
  const dead = diagnose({ host: 'd-dead', state: 'unreachable', message: 'connection refused', at: null, figures: null, baseline: null, processes: null });
  const hung = diagnose({ host: 'e-hung', state: 'timeout', message: 'did not answer within 10 s (timed out)', at: null, figures: null, baseline: null, processes: null });

  it('orders problems first, worst first', () => {
    expect(rankHosts([quiet, full, busy]).map((d) => d.host)).toEqual(['b-busy', 'c-full', 'a-quiet']);
  });

  it('one row per reachable host, unreachable hosts in one line on top', () => {
    const { text, rows, unreachable } = describeFleet([quiet, dead, full, hung, busy]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Unreachable \(2\): d-dead unreachable \(connection refused\); e-hung timed out/);
    expect(lines[1]).toMatch(/^Host\s+State\s+CPU\s+Mem\s+Load\/cores\s+Disk max\s+Top finding$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['b-busy', 'c-full', 'a-quiet']);
    expect(rows.map((r) => r.host)).toEqual(['b-busy', 'c-full', 'a-quiet']);
    expect(unreachable.map((d) => d.host)).toEqual(['d-dead', 'e-hung']);
    expect(lines[2]).toMatch(/b-busy\s+critical\s+97 %\s+25 %\s+7\.9\/2\s+40 % \/\s+CPU busy 97 %/);
    expect(lines[4]).toMatch(/a-quiet\s+ok\s.*nothing stands out/);
  });
});
