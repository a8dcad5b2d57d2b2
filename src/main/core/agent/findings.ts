import { formatBytes } from '../tools';

interface StatusData {
  system?: { hostname: string | null; load: { one: number } | null; cpus: number };
  memory?: { usedBytes: number; totalBytes: number; availableBytes: number; swapUsedBytes: number; swapTotalBytes: number } | null;
  disks?: { mount: string; usedPercent: number; availableBytes: number }[];
  topCpu?: { command: string; pid: number; cpuPercent: number }[];
  failedUnits?: { systemd: boolean; units: { unit: string }[] };
}

/**
 * Plain rules an operator applies first when a host feels slow; thresholds are
 * conservative so a finding is worth reading. Works per host for fan-out answers.
 */
export function findingsFromStatus(dataByHost: Record<string, unknown>): string[] {
  const findings: string[] = [];
  const hosts = Object.entries(dataByHost);
  for (const [host, raw] of hosts) {
    const d = raw as StatusData;
    const on = hosts.length > 1 ? ` on ${host}` : '';
    const load = d.system?.load;
    if (load && d.system) {
      const perCpu = load.one / d.system.cpus;
      if (perCpu >= 1) findings.push(`CPU saturated${on}: load ${load.one.toFixed(2)} on ${d.system.cpus} CPUs (${(perCpu * 100).toFixed(0)}%).`);
    }
    const m = d.memory;
    if (m && m.totalBytes > 0) {
      const used = m.usedBytes / m.totalBytes;
      if (used >= 0.9) findings.push(`Memory pressure${on}: ${(used * 100).toFixed(0)}% used, only ${formatBytes(m.availableBytes)} available.`);
      if (m.swapTotalBytes > 0 && m.swapUsedBytes / m.swapTotalBytes >= 0.5) findings.push(`Heavy swap use${on}: ${formatBytes(m.swapUsedBytes)} of ${formatBytes(m.swapTotalBytes)}.`);
    }
    for (const disk of d.disks ?? []) {
      if (disk.usedPercent >= 90) findings.push(`Disk almost full${on}: ${disk.mount} at ${disk.usedPercent}% (${formatBytes(disk.availableBytes)} free).`);
    }
    const hog = d.topCpu?.[0];
    if (hog && hog.cpuPercent >= 80) findings.push(`Process ${hog.command} (pid ${hog.pid}) averages ${hog.cpuPercent.toFixed(0)}% CPU${on}.`);
    const failed = d.failedUnits;
    if (failed?.systemd && failed.units.length > 0) findings.push(`${failed.units.length} failed systemd unit(s)${on}: ${failed.units.map((u) => u.unit).join(', ')}.`);
  }
  if (findings.length === 0) findings.push('Nothing stands out: load, memory, disks and services look normal.');
  return findings;
}
