import type { GatherResult, GatherSpec } from '../fleet';
import { formatBytes, formatDuration, percent, table } from './format';
import { isRealFilesystem, parseDf, parsePs, parseProcNet, parseSs, parseSystemctlUnits, PS_ARGV, type Filesystem, type ListeningSocket, type ProcessInfo, type SystemdUnit } from './parse/commands';
import { countCpus, parseLoadavg, parseMeminfo, parseOsRelease, parseUptimeSeconds, type LoadAverage, type MemoryInfo } from './parse/proc';

/**
 * One facet of a host's state: what to read, and how to interpret it. Tools combine
 * aspects so that a remote host answers all of them in one round trip.
 */
export interface Aspect<T> {
  files?: readonly string[];
  commands?: Readonly<Record<string, readonly string[]>>;
  interpret(gathered: GatherResult): T;
}

export type AspectSpec = Pick<GatherSpec, 'files' | 'commands'>;

export function mergeSpecs(aspects: readonly Aspect<unknown>[]): AspectSpec {
  const files = new Set<string>();
  const commands: Record<string, readonly string[]> = {};
  for (const aspect of aspects) {
    aspect.files?.forEach((f) => files.add(f));
    Object.assign(commands, aspect.commands ?? {});
  }
  return { files: [...files], commands };
}

/** stdout of a command that ran and exited 0, else null with the reason. */
export function commandOutput(gathered: GatherResult, key: string): { stdout: string | null; problem: string | null } {
  const c = gathered.commands[key];
  if (!c) return { stdout: null, problem: 'not collected' };
  if (c.status === 'refused') return { stdout: null, problem: `refused by policy: ${c.verdict.reasons.join('; ')}` };
  const o = c.outcome;
  if (o.error) return { stdout: null, problem: o.error.message };
  if (o.exitCode !== 0) return { stdout: null, problem: (o.stderr.trim().split('\n')[0] || `exit code ${o.exitCode}`).slice(0, 200) };
  return { stdout: o.stdout, problem: null };
}

export interface SystemFacts {
  hostname: string | null;
  os: string | null;
  kernel: string | null;
  uptimeSeconds: number | null;
  load: LoadAverage | null;
  cpus: number;
}

export const systemAspect: Aspect<SystemFacts> = {
  files: ['/proc/sys/kernel/hostname', '/proc/sys/kernel/osrelease', '/etc/os-release', '/proc/uptime', '/proc/loadavg', '/proc/cpuinfo'],
  interpret: (g) => ({
    hostname: g.files['/proc/sys/kernel/hostname']?.trim() || null,
    os: parseOsRelease(g.files['/etc/os-release'] ?? null),
    kernel: g.files['/proc/sys/kernel/osrelease']?.trim() || null,
    uptimeSeconds: parseUptimeSeconds(g.files['/proc/uptime'] ?? ''),
    load: parseLoadavg(g.files['/proc/loadavg'] ?? ''),
    cpus: countCpus(g.files['/proc/cpuinfo'] ?? ''),
  }),
};

export function describeSystem(s: SystemFacts): string {
  const lines = [
    `Host: ${s.hostname ?? 'unknown'}`,
    `OS: ${s.os ?? 'unknown'}, kernel ${s.kernel ?? 'unknown'}`,
    `Uptime: ${s.uptimeSeconds !== null ? formatDuration(s.uptimeSeconds) : 'unknown'}`,
  ];
  if (s.load) {
    const perCpu = s.load.one / s.cpus;
    const verdict = perCpu >= 1.5 ? 'overloaded' : perCpu >= 0.8 ? 'busy' : 'normal';
    lines.push(
      `Load average: ${s.load.one.toFixed(2)} / ${s.load.five.toFixed(2)} / ${s.load.fifteen.toFixed(2)} (1/5/15 min) on ${s.cpus} CPU${s.cpus === 1 ? '' : 's'}: ${(perCpu * 100).toFixed(0)}% of capacity, ${verdict}`,
    );
  } else {
    lines.push('Load average: unavailable');
  }
  return lines.join('\n');
}

export const memoryAspect: Aspect<MemoryInfo | null> = {
  files: ['/proc/meminfo'],
  interpret: (g) => parseMeminfo(g.files['/proc/meminfo'] ?? ''),
};

export function describeMemory(m: MemoryInfo | null): string {
  if (!m) return 'Memory: unavailable (/proc/meminfo unreadable)';
  const swap =
    m.swapTotalBytes > 0
      ? `${formatBytes(m.swapUsedBytes)} used of ${formatBytes(m.swapTotalBytes)} (${percent(m.swapUsedBytes, m.swapTotalBytes)})`
      : 'none configured';
  return [
    `Memory: ${formatBytes(m.usedBytes)} used of ${formatBytes(m.totalBytes)} (${percent(m.usedBytes, m.totalBytes)}), ${formatBytes(m.availableBytes)} available, ${formatBytes(m.cachedBytes)} cache`,
    `Swap: ${swap}`,
  ].join('\n');
}

export interface DiskFacts {
  filesystems: Filesystem[];
  problem: string | null;
}

export const diskAspect: Aspect<DiskFacts> = {
  commands: { df: ['df', '-P', '-T', '-B1'] },
  interpret: (g) => {
    const { stdout, problem } = commandOutput(g, 'df');
    // df exits 1 when one mount is unreadable but still prints the rest.
    const c = g.commands.df;
    const text = stdout ?? (c?.status === 'ran' && !c.outcome.error ? c.outcome.stdout : '');
    const filesystems = parseDf(text).filter(isRealFilesystem);
    return { filesystems, problem: filesystems.length > 0 ? null : problem };
  },
};

export function describeDisks(d: DiskFacts): string {
  if (d.filesystems.length === 0) return `Disks: unavailable${d.problem ? ` (${d.problem})` : ''}`;
  const rows = d.filesystems.map((f) => [
    f.mount,
    f.type,
    formatBytes(f.usedBytes),
    formatBytes(f.sizeBytes),
    `${f.usedPercent}%${f.usedPercent >= 90 ? ' !' : ''}`,
    formatBytes(f.availableBytes),
  ]);
  return `Disks:\n${table(['Mount', 'Type', 'Used', 'Size', 'Use%', 'Free'], rows)}`;
}

export interface ProcessFacts {
  processes: ProcessInfo[];
  problem: string | null;
}

export const processAspect: Aspect<ProcessFacts> = {
  commands: { ps: PS_ARGV },
  interpret: (g) => {
    const { stdout, problem } = commandOutput(g, 'ps');
    // Leave out the ps process that produced this list.
    const own = PS_ARGV.join(' ');
    return { processes: stdout ? parsePs(stdout).filter((p) => p.args !== own) : [], problem };
  },
};

export function topBy(processes: ProcessInfo[], key: 'cpuPercent' | 'memPercent', limit: number): ProcessInfo[] {
  return [...processes].sort((a, b) => b[key] - a[key] || b.rssBytes - a.rssBytes).slice(0, limit);
}

export function describeProcesses(title: string, processes: ProcessInfo[]): string {
  const rows = processes.map((p) => [p.pid, p.user, p.cpuPercent.toFixed(1), p.memPercent.toFixed(1), formatBytes(p.rssBytes), p.args.slice(0, 60) || p.command]);
  return `${title}:\n${table(['PID', 'User', 'CPU%', 'MEM%', 'RSS', 'Command'], rows)}`;
}

export interface PortFacts {
  sockets: ListeningSocket[];
  problem: string | null;
}

export const portsAspect: Aspect<PortFacts> = {
  files: ['/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/net/udp6'],
  commands: { ss: ['ss', '-H', '-tulnp'] },
  interpret: (g) => {
    const { stdout, problem } = commandOutput(g, 'ss');
    if (stdout !== null) return { sockets: parseSs(stdout), problem: null };
    // Without iproute2, /proc/net still lists listeners (without process names).
    const fromProc = (['tcp', 'tcp6', 'udp', 'udp6'] as const).flatMap((p) => parseProcNet(p, g.files[`/proc/net/${p}`] ?? ''));
    return { sockets: fromProc, problem: fromProc.length > 0 ? null : problem };
  },
};

export function describePorts(p: PortFacts): string {
  if (p.sockets.length === 0) return `Listening ports: none found${p.problem ? ` (${p.problem})` : ''}`;
  const sorted = [...p.sockets].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  return `Listening ports:\n${table(['Proto', 'Address', 'Port', 'Process'], sorted.map((s) => [s.protocol, s.address, s.port, s.process ?? '-']))}`;
}

export interface UnitFacts {
  systemd: boolean;
  units: SystemdUnit[];
  problem: string | null;
}

/** Reads PID 1's name so a host without systemd is reported as such rather than as an error. */
function interpretUnits(g: GatherResult, key: string): UnitFacts {
  const init = g.files['/proc/1/comm']?.trim();
  const { stdout, problem } = commandOutput(g, key);
  if (stdout === null) {
    const noSystemd = init !== 'systemd' || /not been booted with systemd|not found|ENOENT|Failed to connect to bus/i.test(problem ?? '');
    return { systemd: !noSystemd, units: [], problem: noSystemd ? null : problem };
  }
  return { systemd: true, units: parseSystemctlUnits(stdout), problem: null };
}

export const failedUnitsAspect: Aspect<UnitFacts> = {
  files: ['/proc/1/comm'],
  commands: { failedUnits: ['systemctl', 'list-units', '--state=failed', '--no-legend', '--plain', '--no-pager'] },
  interpret: (g) => interpretUnits(g, 'failedUnits'),
};

export const serviceUnitsAspect: Aspect<UnitFacts> = {
  files: ['/proc/1/comm'],
  commands: { serviceUnits: ['systemctl', 'list-units', '--type=service', '--all', '--no-legend', '--plain', '--no-pager'] },
  interpret: (g) => interpretUnits(g, 'serviceUnits'),
};

export function describeFailedUnits(u: UnitFacts, init: string | null): string {
  if (!u.systemd) return `Failed systemd units: not applicable (systemd is not running here; PID 1 is ${init ?? 'unknown'})`;
  if (u.problem) return `Failed systemd units: unavailable (${u.problem})`;
  if (u.units.length === 0) return 'Failed systemd units: none';
  return `Failed systemd units (${u.units.length}):\n${u.units.map((x) => `  ${x.unit} (${x.sub}) ${x.description}`).join('\n')}`;
}
