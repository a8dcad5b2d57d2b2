/** Pure parsers for the output of standard inspection commands (LC_ALL=C). */

export interface Filesystem {
  source: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  usedPercent: number;
  mount: string;
}

/** Kernel and virtual filesystems that hold no operator data. */
const PSEUDO_FS = new Set([
  'tmpfs', 'devtmpfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'debugfs', 'tracefs',
  'securityfs', 'pstore', 'bpf', 'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'nsfs',
  'ramfs', 'efivarfs', 'rpc_pipefs', 'squashfs', 'devfs', 'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.lxcfs',
  'nfsd', 'selinuxfs', 'overlay', 'shm', 'none',
]);

export function isRealFilesystem(fs: Pick<Filesystem, 'type' | 'mount' | 'sizeBytes'>): boolean {
  // A container's root is an overlay: it is the disk the operator cares about there.
  if (fs.type === 'overlay') return fs.mount === '/';
  if (fs.sizeBytes === 0) return false;
  return !PSEUDO_FS.has(fs.type);
}

/** `df -P -T -B1`: POSIX format keeps one filesystem per line. */
export function parseDf(text: string): Filesystem[] {
  const result: Filesystem[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(.+)$/.exec(line.trim());
    if (!m) continue;
    const used = Number(m[4]);
    const avail = Number(m[5]);
    result.push({
      source: m[1] as string,
      type: m[2] as string,
      sizeBytes: Number(m[3]),
      usedBytes: used,
      availableBytes: avail,
      usedPercent: Number(m[6]),
      mount: m[7] as string,
    });
  }
  return result;
}

export interface ProcessInfo {
  pid: number;
  user: string;
  cpuPercent: number;
  memPercent: number;
  rssBytes: number;
  command: string;
  args: string;
}

/** Column order of PS_FORMAT below; args last because it contains spaces. */
export const PS_ARGV = ['ps', '-eo', 'pid=,user:32=,pcpu=,pmem=,rss=,comm=,args='] as const;

export function parsePs(text: string): ProcessInfo[] {
  const result: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    result.push({
      pid: Number(m[1]),
      user: m[2] as string,
      cpuPercent: Number(m[3]),
      memPercent: Number(m[4]),
      rssBytes: Number(m[5]) * 1024,
      command: m[6] as string,
      args: (m[7] as string).trim(),
    });
  }
  return result;
}

export interface ListeningSocket {
  protocol: string;
  address: string;
  port: number;
  process: string | null;
}

/** `ss -H -tulnp`: Netid State Recv-Q Send-Q Local Peer [Process]. */
export function parseSs(text: string): ListeningSocket[] {
  const result: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6) continue;
    const [netid, , , , local, , ...rest] = cols as [string, string, string, string, string, string, ...string[]];
    const sep = local.lastIndexOf(':');
    if (sep < 0) continue;
    const port = Number(local.slice(sep + 1));
    if (!Number.isInteger(port)) continue;
    const proc = /users:\(\("([^"]+)"/.exec(rest.join(' '));
    result.push({ protocol: netid, address: local.slice(0, sep), port, process: proc ? (proc[1] as string) : null });
  }
  return dedupeSockets(result);
}

function dedupeSockets(sockets: ListeningSocket[]): ListeningSocket[] {
  const seen = new Set<string>();
  return sockets.filter((s) => {
    const key = `${s.protocol}|${s.address}|${s.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Fallback without iproute2: /proc/net/{tcp,tcp6,udp,udp6}; LISTEN is state 0A for TCP. */
export function parseProcNet(protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6', text: string): ListeningSocket[] {
  const result: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [addrHex, portHex] = (cols[1] ?? '').split(':');
    const state = cols[3];
    const isListening = protocol.startsWith('tcp') ? state === '0A' : state === '07';
    if (!isListening || !addrHex || !portHex) continue;
    result.push({ protocol: protocol.replace('6', ''), address: hexToAddress(addrHex), port: parseInt(portHex, 16), process: null });
  }
  return dedupeSockets(result);
}

function hexToAddress(hex: string): string {
  if (hex.length === 8) {
    const bytes = hex.match(/../g)!.map((b) => parseInt(b, 16)).reverse();
    return bytes.join('.');
  }
  // IPv6 as four little-endian 32-bit words.
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const groups = words.join('').match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

export interface SystemdUnit {
  unit: string;
  load: string;
  active: string;
  sub: string;
  description: string;
}

/** `systemctl list-units --no-legend --plain` rows. */
export function parseSystemctlUnits(text: string): SystemdUnit[] {
  const result: SystemdUnit[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*[●*]?\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    result.push({ unit: m[1] as string, load: m[2] as string, active: m[3] as string, sub: m[4] as string, description: (m[5] as string).trim() });
  }
  return result;
}
