import type { ProcSample } from './parse';

/** USER_HZ: the unit of /proc/PID/stat times (100 on every mainstream Linux architecture). */
export const CLOCK_TICKS = 100;
const PAGE_BYTES = 4096;

export interface ProcessCpu {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  /** CPU over the last interval in cores (1 = one core busy; a multi-threaded process can exceed 1). */
  cpuCores: number;
  rssBytes: number;
  /** One of Fleetmind's own probe processes (the collector's script and its session on the host). */
  probe: boolean;
  /** Seconds the CPU figure was measured over (the interval, or the life of a process younger than it). */
  sampledSeconds?: number;
}

/** Programs that can sit between the SSH daemon and the collector's shell. */
const WRAPPERS = new Set(['sshd', 'sshd-session', 'sh', 'dash', 'bash', 'ash', 'busybox', 'zsh', 'ksh', 'mksh', 'tcsh', 'csh', 'fish', 'env', 'setsid', 'timeout']);

/**
 * Fleetmind's own processes in a sample: everything in the collector shell's session
 * (the script and what it started), the chain of wrappers above it (the remote wrapper
 * shell, the SSH session's sshd processes) up to, but not including, the daemon everyone
 * shares (PID 1, the sshd listener), and the direct children of those wrappers (the
 * remote watchdog). They are
 * marked, not hidden: an operator looking at CPU sees what the monitoring costs.
 */
export function probePids(processes: readonly ProcSample[], selfPid: number | null): Set<number> {
  const probes = new Set<number>();
  if (selfPid === null) return probes;
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const self = byPid.get(selfPid);
  if (!self) return probes;
  for (const p of processes) if (p.session === self.session) probes.add(p.pid);
  const chain: ProcSample[] = [self];
  // Bounded by the number of processes: each step moves to a distinct ancestor.
  for (let cur = self; chain.length <= processes.length; ) {
    const parent = byPid.get(cur.ppid);
    if (!parent || parent.pid <= 1 || !WRAPPERS.has(parent.comm)) break;
    chain.push(parent);
    cur = parent;
  }
  // The topmost sshd whose parent is no sshd is the listener (started by init), shared by
  // every login: not ours. (Where sshd is PID 1 itself, as in a container, it was never added.)
  const top = chain[chain.length - 1] as ProcSample;
  const isSshd = (comm: string | undefined) => comm !== undefined && /^sshd/.test(comm);
  if (chain.length > 1 && isSshd(top.comm) && !isSshd(byPid.get(top.ppid)?.comm)) chain.pop();
  for (const p of chain) probes.add(p.pid);
  const wrappers = new Set(chain.slice(1).map((p) => p.pid));
  for (const p of processes) if (wrappers.has(p.ppid) && !/^sshd/.test(byPid.get(p.ppid)?.comm ?? '')) probes.add(p.pid);
  return probes;
}

/**
 * Current CPU per process from two samples: the ticks a process used between them over
 * the time between them. A process that started after the previous sample (or whose PID
 * was reused: another start time) used all its ticks since it started.
 */
export function processCpu(prev: { processes: readonly ProcSample[] | null; uptimeSeconds: number | null } | null, cur: { processes: readonly ProcSample[]; uptimeSeconds: number | null; selfPid: number | null }, hz = CLOCK_TICKS): ProcessCpu[] {
  const before = new Map((prev?.processes ?? []).map((p) => [p.pid, p]));
  const probes = probePids(cur.processes, cur.selfPid);
  const now = cur.uptimeSeconds;
  const window = now !== null && prev?.uptimeSeconds != null ? now - prev.uptimeSeconds : null;
  return cur.processes.map((p) => {
    const old = before.get(p.pid);
    let cores = 0;
    let sampled = 0;
    if (old && old.startTicks === p.startTicks && window !== null && window > 0) {
      cores = Math.max(0, p.ticks - old.ticks) / hz / window;
      sampled = window;
    } else if (now !== null) {
      const lived = now - p.startTicks / hz;
      // Started within the window (or no earlier sample): all its ticks are recent. A
      // process younger than one tick would divide by ~0; it has used next to nothing.
      if (lived >= 1 / hz && (window === null || lived <= window + 1)) {
        cores = p.ticks / hz / lived;
        sampled = lived;
      }
    }
    return { pid: p.pid, ppid: p.ppid, comm: p.comm, state: p.state, cpuCores: Math.round(cores * 10_000) / 10_000, rssBytes: p.rssPages * PAGE_BYTES, probe: probes.has(p.pid), sampledSeconds: Math.round(sampled * 1000) / 1000 };
  });
}

/** The busiest processes plus every probe process (so the monitoring's own cost stays visible). */
export function topProcesses(all: readonly ProcessCpu[], limit: number): ProcessCpu[] {
  const sorted = [...all].sort((a, b) => b.cpuCores - a.cpuCores || b.rssBytes - a.rssBytes || a.pid - b.pid);
  const top = sorted.slice(0, limit);
  const shown = new Set(top.map((p) => p.pid));
  for (const p of sorted) if (p.probe && !shown.has(p.pid)) top.push(p);
  return top;
}
