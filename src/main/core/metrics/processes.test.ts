import { describe, expect, it } from 'vitest';
import type { ProcSample } from './parse';
import { probePids, processCpu, topProcesses } from './processes';

const p = (pid: number, ppid: number, comm: string, session: number, ticks = 0, startTicks = 0): ProcSample => ({ pid, ppid, comm, state: 'S', session, ticks, startTicks, rssPages: 1 });

// An sshd host: listener (1) → sshd (10) → sshd (11) → sh wrapper (20) → bash script (30, own session) → find (31) → cat (32); the wrapper's watchdog (21).
const tree = [p(1, 0, 'sshd', 1), p(10, 1, 'sshd', 10), p(11, 10, 'sshd', 10), p(20, 11, 'sh', 20), p(21, 20, 'sh', 20), p(30, 20, 'bash', 30), p(31, 30, 'find', 30), p(32, 31, 'cat', 30), p(40, 1, 'nginx', 40, 5000), p(41, 40, 'nginx', 40, 100)];

describe('process samples', () => {
  it('marks the collector script, its wrappers and the SSH session, not the shared daemon or other work', () => {
    expect([...probePids(tree, 30)].sort((a, b) => a - b)).toEqual([10, 11, 20, 21, 30, 31, 32]);
    // A local run: bash under the Fleetmind server (node): only the script's session.
    expect([...probePids([p(500, 1, 'node', 500), p(600, 500, 'bash', 600), p(601, 600, 'grep', 600)], 600)].sort()).toEqual([600, 601]);
    expect(probePids(tree, null).size).toBe(0);
  });

  it('gives CPU since the previous sample, and for new or reused PIDs since they started', () => {
    const before = { processes: [p(40, 1, 'nginx', 40, 5000, 100), p(50, 1, 'old', 50, 10, 100)], uptimeSeconds: 1000 };
    const after = { processes: [p(40, 1, 'nginx', 40, 5000 + 750, 100), p(50, 1, 'reused', 50, 300, 101_000), p(60, 1, 'new', 60, 200, 100_500)], uptimeSeconds: 1015, selfPid: null };
    const cpu = processCpu(before, after);
    // 750 ticks in 15 s = half a core; the reused PID 50 started 5 s ago with 300 ticks: 0.6 of a core; PID 60, 10 s and 200 ticks: 0.2.
    expect(cpu.find((x) => x.pid === 40)?.cpuCores).toBe(0.5);
    expect(cpu.find((x) => x.pid === 50)?.cpuCores).toBe(0.6);
    expect(cpu.find((x) => x.pid === 60)?.cpuCores).toBe(0.2);
  });

  it('keeps the busiest processes and every probe process', () => {
    const all = processCpu(null, { processes: tree, uptimeSeconds: 1000, selfPid: 30 });
    const top = topProcesses(all, 1);
    expect(top[0]?.comm).toBe('nginx');
    expect(top.filter((x) => x.probe).map((x) => x.pid).sort((a, b) => a - b)).toEqual([10, 11, 20, 21, 30, 31, 32]);
  });
});
