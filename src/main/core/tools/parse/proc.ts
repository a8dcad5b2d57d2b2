/** Pure parsers for /proc and /etc files, shared by local and remote hosts. */

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
  running: number;
  total: number;
}

export function parseLoadavg(text: string): LoadAverage | null {
  const m = /^(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+)\/(\d+)/.exec(text.trim());
  if (!m) return null;
  return { one: Number(m[1]), five: Number(m[2]), fifteen: Number(m[3]), running: Number(m[4]), total: Number(m[5]) };
}

export function parseUptimeSeconds(text: string): number | null {
  const value = Number.parseFloat(text.trim().split(/\s+/)[0] ?? '');
  return Number.isFinite(value) ? value : null;
}

export function countCpus(cpuinfo: string): number {
  const count = cpuinfo.split('\n').filter((l) => /^processor\s*:/.test(l)).length;
  return Math.max(count, 1);
}

export interface MemoryInfo {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  freeBytes: number;
  buffersBytes: number;
  cachedBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  swapUsedBytes: number;
}

export function parseMeminfo(text: string): MemoryInfo | null {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) kb.set(m[1] as string, Number(m[2]) * 1024);
  }
  const total = kb.get('MemTotal');
  if (total === undefined) return null;
  const free = kb.get('MemFree') ?? 0;
  const buffers = kb.get('Buffers') ?? 0;
  const cached = (kb.get('Cached') ?? 0) + (kb.get('SReclaimable') ?? 0);
  // Kernels since 3.14 report MemAvailable; "used" follows procps 4 (total - available).
  const available = kb.get('MemAvailable') ?? free + buffers + cached;
  const swapTotal = kb.get('SwapTotal') ?? 0;
  const swapFree = kb.get('SwapFree') ?? 0;
  return {
    totalBytes: total,
    availableBytes: available,
    usedBytes: Math.max(total - available, 0),
    freeBytes: free,
    buffersBytes: buffers,
    cachedBytes: cached,
    swapTotalBytes: swapTotal,
    swapFreeBytes: swapFree,
    swapUsedBytes: Math.max(swapTotal - swapFree, 0),
  };
}

export function parseOsRelease(text: string | null): string | null {
  if (!text) return null;
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1] as string, (m[2] as string).replace(/^["']|["']$/g, ''));
  }
  return fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? null;
}
