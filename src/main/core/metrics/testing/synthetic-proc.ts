/**
 * Synthetic kernel files for tests: the unit tests build collector output from them, and
 * the fixture-host tests bind-mount them over /proc on an sshd host, so each host reports
 * values of its own (fixture hosts share one kernel). Not used by the product.
 */
export type Counter = number | bigint;

export interface SyntheticHost {
  uptimeSeconds: number;
  btime: number;
  cpus: number;
  /** Aggregate `cpu` line, clock ticks. */
  cpu: { user: Counter; nice: Counter; system: Counter; idle: Counter; iowait: Counter; irq: Counter; softirq: Counter; steal: Counter };
  contextSwitches: Counter;
  forks: Counter;
  procsRunning: number;
  procsBlocked: number;
  load: [number, number, number];
  memKb: { total: number; free: number; available: number; buffers: number; cached: number; swapTotal: number; swapFree: number };
  /** PSI totals (µs); a missing kind is an absent file (a kernel before 4.20). */
  psi?: Partial<Record<'cpu' | 'io' | 'memory', { some: Counter; full?: Counter }>>;
  disks?: Record<string, { reads: Counter; sectorsRead: Counter; writes: Counter; sectorsWritten: Counter; ioMs: Counter; readMs?: Counter; writeMs?: Counter }>;
  net?: Record<string, { rxBytes: Counter; rxPackets: Counter; txBytes: Counter; txPackets: Counter; rxErrors?: Counter; txErrors?: Counter }>;
  /** /proc/vmstat's paging counters; absent: no synthetic file (a fixture host shows the real one). */
  vmstat?: { pswpin: Counter; pswpout: Counter; pgmajfault: Counter };
}

export function syntheticHost(overrides: Partial<SyntheticHost> = {}): SyntheticHost {
  return {
    uptimeSeconds: 1000,
    btime: 1_700_000_000,
    cpus: 2,
    cpu: { user: 1000, nice: 0, system: 500, idle: 8000, iowait: 100, irq: 0, softirq: 10, steal: 0 },
    contextSwitches: 100_000,
    forks: 5000,
    procsRunning: 1,
    procsBlocked: 0,
    load: [0.5, 0.4, 0.3],
    memKb: { total: 8_000_000, free: 2_000_000, available: 6_000_000, buffers: 100_000, cached: 3_000_000, swapTotal: 1_000_000, swapFree: 900_000 },
    ...overrides,
  };
}

const s = (c: Counter) => String(c);

export function uptimeText(h: SyntheticHost): string {
  return `${h.uptimeSeconds.toFixed(2)} ${(h.uptimeSeconds * h.cpus * 0.9).toFixed(2)}\n`;
}

export function procStatText(h: SyntheticHost): string {
  const c = h.cpu;
  const fields = [c.user, c.nice, c.system, c.idle, c.iowait, c.irq, c.softirq, c.steal, 0, 0].map(s).join(' ');
  const perCpu = Array.from({ length: h.cpus }, (_, i) => `cpu${i} 0 0 0 0 0 0 0 0 0 0`);
  return [`cpu  ${fields}`, ...perCpu, 'intr 0', `ctxt ${s(h.contextSwitches)}`, `btime ${h.btime}`, `processes ${s(h.forks)}`, `procs_running ${h.procsRunning}`, `procs_blocked ${h.procsBlocked}`, 'softirq 0 0'].join('\n') + '\n';
}

export function loadavgText(h: SyntheticHost): string {
  return `${h.load.map((l) => l.toFixed(2)).join(' ')} 1/123 4567\n`;
}

export function meminfoText(h: SyntheticHost): string {
  const m = h.memKb;
  const row = (k: string, v: number) => `${`${k}:`.padEnd(16)}${String(v).padStart(10)} kB`;
  return [row('MemTotal', m.total), row('MemFree', m.free), row('MemAvailable', m.available), row('Buffers', m.buffers), row('Cached', m.cached), row('SwapTotal', m.swapTotal), row('SwapFree', m.swapFree), 'HugePages_Total:       0'].join('\n') + '\n';
}

export function pressureText(p: { some: Counter; full?: Counter } | undefined): string {
  if (!p) return '';
  const line = (kind: string, total: Counter) => `${kind} avg10=0.00 avg60=0.00 avg300=0.00 total=${s(total)}`;
  return [line('some', p.some), ...(p.full !== undefined ? [line('full', p.full)] : [])].join('\n') + '\n';
}

export function diskstatsText(h: SyntheticHost): string {
  return (
    Object.entries(h.disks ?? {})
      .map(([name, d], i) => `   8       ${i * 16} ${name} ${s(d.reads)} 0 ${s(d.sectorsRead)} ${s(d.readMs ?? 10)} ${s(d.writes)} 0 ${s(d.sectorsWritten)} ${s(d.writeMs ?? 20)} 0 ${s(d.ioMs)} 30 0 0 0 0 0 0`)
      .join('\n') + '\n'
  );
}

export function netDevText(h: SyntheticHost): string {
  const rows = Object.entries(h.net ?? {}).map(
    ([iface, n]) => `${iface.padStart(6)}: ${s(n.rxBytes)} ${s(n.rxPackets)} ${s(n.rxErrors ?? 0)} 0 0 0 0 0 ${s(n.txBytes)} ${s(n.txPackets)} ${s(n.txErrors ?? 0)} 0 0 0 0 0`,
  );
  return ['Inter-|   Receive                                                |  Transmit', ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed', ...rows].join('\n') + '\n';
}

/** /proc/vmstat with the paging counters among a few of the kernel's other lines. */
export function vmstatText(h: SyntheticHost): string {
  const v = h.vmstat;
  if (!v) return '';
  return ['nr_free_pages 123456', `pgmajfault ${s(v.pgmajfault)}`, 'pgpgin 1000', 'pgpgout 2000', `pswpin ${s(v.pswpin)}`, `pswpout ${s(v.pswpout)}`, 'pgfault 99999'].join('\n') + '\n';
}

/** The files to bind-mount over /proc on a fixture host (paths relative to /proc). */
export function procFiles(h: SyntheticHost): Record<string, string> {
  return {
    uptime: uptimeText(h),
    stat: procStatText(h),
    loadavg: loadavgText(h),
    meminfo: meminfoText(h),
    diskstats: diskstatsText(h),
    'pressure/cpu': pressureText(h.psi?.cpu),
    'pressure/io': pressureText(h.psi?.io),
    'pressure/memory': pressureText(h.psi?.memory),
    ...(h.vmstat ? { vmstat: vmstatText(h) } : {}),
  };
}

/** What the collector script prints on a host with these files (grep -H, then the sections). */
export function collectorOutput(h: SyntheticHost, extra: { selfPid?: number; df?: string; procs?: readonly string[]; failedUnits?: readonly string[] | null } = {}): string {
  const files: [string, string][] = [
    ['/proc/uptime', uptimeText(h)],
    ['/proc/stat', procStatText(h)],
    ['/proc/meminfo', meminfoText(h)],
    ['/proc/loadavg', loadavgText(h)],
    ['/proc/pressure/cpu', pressureText(h.psi?.cpu)],
    ['/proc/pressure/io', pressureText(h.psi?.io)],
    ['/proc/pressure/memory', pressureText(h.psi?.memory)],
    ['/proc/net/dev', netDevText(h)],
    ['/proc/diskstats', diskstatsText(h)],
    ['/proc/vmstat', vmstatText(h)],
  ];
  const grep = files.flatMap(([path, text]) => text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').map((l) => `${path}:${l}`));
  const units = extra.failedUnits === undefined ? [] : extra.failedUnits;
  return [
    `@fm1 self ${extra.selfPid ?? 4242}`,
    ...grep,
    '@fm1 df',
    ...(extra.df ?? 'Filesystem     Type  1-blocks        Used   Available Capacity Mounted on\n/dev/sda1      ext4  100000000000 40000000000 55000000000      43% /\ntmpfs          tmpfs 1000000        0     1000000       0% /run').split('\n'),
    '@fm1 procs',
    ...(extra.procs ?? []),
    '@fm1 units',
    ...(units ?? []),
    `@fm1 units-exit ${units === null ? 127 : 0}`,
    '@fm1 end',
    '',
  ].join('\n');
}
