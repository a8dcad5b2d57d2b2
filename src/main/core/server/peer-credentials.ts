import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';

/**
 * Who is on the other end of a loopback TCP connection, as the kernel says: the client
 * socket's row in /proc/net/tcp or /proc/net/tcp6 carries the uid of the process that
 * owns it. The row is found by the full 4-tuple seen from the client's side (its local
 * address is our remote one), addresses compared as 16 bytes (IPv4 as IPv4-mapped IPv6).
 *
 * A row is trusted only while a process still holds the socket: an orphaned socket
 * (inode 0, e.g. a client that sent its request and closed) shows uid 0, and a closing
 * one is on its way there, so both are refused. Anything unclear fails closed.
 */

/** The connection as the server's accepted socket sees it. */
export interface SocketTuple {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export interface ProcTcpRow {
  local: Buffer;
  localPort: number;
  remote: Buffer;
  remotePort: number;
  /** TCP state as the kernel numbers it (1 ESTABLISHED … 11 CLOSING). */
  state: number;
  uid: number;
  inode: number;
}

export type PeerIdentity =
  | { uid: number }
  | {
      uid: null;
      /**
       * unsupported: no /proc/net/tcp here (not Linux); not_found: no row for the tuple (a
       * remote client, or a socket already gone); orphaned: inode 0; closing: not ESTABLISHED;
       * ambiguous: more than one live row; error: the tuple or the files could not be read.
       */
      reason: 'unsupported' | 'not_found' | 'orphaned' | 'closing' | 'ambiguous' | 'error';
    };

export const TCP_ESTABLISHED = 1;

/** 16 bytes for an IP address; IPv4 becomes ::ffff:a.b.c.d so both families compare alike. */
export function addressBytes(address: string): Buffer | null {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(ip)) {
    const bytes = Buffer.alloc(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    ip.split('.').forEach((part, i) => (bytes[12 + i] = Number(part)));
    return bytes;
  }
  if (!isIPv6(ip)) return null;
  let text = ip;
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const p = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  if (groups.length !== 8) return null;
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}

/**
 * /proc prints each address as 32-bit words in the kernel's (host) byte order, %08X each:
 * 127.0.0.1 is 0100007F on a little-endian machine. Ports are plain big-endian hex.
 */
function procAddressBytes(hex: string, hostEndian: 'LE' | 'BE'): Buffer | null {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return null;
  const raw = Buffer.alloc(hex.length / 2);
  for (let i = 0; i < hex.length / 8; i++) {
    const word = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    if (hostEndian === 'LE') raw.writeUInt32LE(word, i * 4);
    else raw.writeUInt32BE(word, i * 4);
  }
  if (raw.length === 16) return raw;
  const mapped = Buffer.alloc(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  raw.copy(mapped, 12);
  return mapped;
}

/** Parses the text of /proc/net/tcp or /proc/net/tcp6 (header line and malformed lines skipped). */
export function parseProcNetTcp(text: string, hostEndian: 'LE' | 'BE' = endianness()): ProcTcpRow[] {
  const rows: ProcTcpRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10 || !/^\d+:$/.test(f[0]!)) continue;
    const [localHex, localPortHex] = f[1]!.split(':');
    const [remoteHex, remotePortHex] = f[2]!.split(':');
    const local = procAddressBytes(localHex ?? '', hostEndian);
    const remote = procAddressBytes(remoteHex ?? '', hostEndian);
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    const state = parseInt(f[3]!, 16);
    if (!local || !remote || !Number.isInteger(uid) || !Number.isInteger(inode) || Number.isNaN(state)) continue;
    rows.push({ local, localPort: parseInt(localPortHex ?? '', 16), remote, remotePort: parseInt(remotePortHex ?? '', 16), state, uid, inode });
  }
  return rows;
}

/**
 * The uid owning the client end of `tuple` (seen from the server), from /proc rows. Only a
 * row whose local end is the client and whose remote end is the server counts (the server's
 * own accepted socket has the same addresses the other way round and the server's uid).
 */
export function findPeer(rows: readonly ProcTcpRow[], tuple: SocketTuple): PeerIdentity {
  const client = addressBytes(tuple.remoteAddress);
  const server = addressBytes(tuple.localAddress);
  if (!client || !server || !tuple.remotePort || !tuple.localPort) return { uid: null, reason: 'error' };
  const matches = rows.filter(
    (r) => r.localPort === tuple.remotePort && r.remotePort === tuple.localPort && r.local.equals(client) && r.remote.equals(server),
  );
  if (matches.length === 0) return { uid: null, reason: 'not_found' };
  const live = matches.filter((r) => r.inode !== 0 && r.state === TCP_ESTABLISHED);
  if (live.length === 1) return { uid: live[0]!.uid };
  if (live.length > 1) return { uid: null, reason: 'ambiguous' };
  return { uid: null, reason: matches.some((r) => r.inode === 0) ? 'orphaned' : 'closing' };
}

export type ProcReader = (path: string) => Promise<string>;

const readText: ProcReader = (path) => readFile(path, 'utf8');

/** True when the client address can only be this machine (127/8, ::1, ::ffff:127/8). */
export function isLoopback(address: string): boolean {
  const bytes = addressBytes(address);
  if (!bytes) return false;
  const v6Loopback = bytes.subarray(0, 15).every((b) => b === 0) && bytes[15] === 1;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return v6Loopback || (mapped && bytes[12] === 127);
}

/**
 * Looks the client up in /proc/net/tcp and /proc/net/tcp6 (an IPv4 client of an IPv6
 * socket may sit in either). Never throws: an unreadable /proc is `unsupported`.
 */
export async function lookupPeer(tuple: SocketTuple, read: ProcReader = readText, hostEndian: 'LE' | 'BE' = endianness()): Promise<PeerIdentity> {
  const client = addressBytes(tuple.remoteAddress);
  if (!client) return { uid: null, reason: 'error' };
  const mapped = client.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]));
  const files = mapped ? ['/proc/net/tcp', '/proc/net/tcp6'] : ['/proc/net/tcp6'];
  const rows: ProcTcpRow[] = [];
  let readAny = false;
  for (const file of files) {
    try {
      rows.push(...parseProcNetTcp(await read(file), hostEndian));
      readAny = true;
    } catch {
      // tcp6 is absent when IPv6 is disabled; no /proc at all is handled below
    }
  }
  return readAny ? findPeer(rows, tuple) : { uid: null, reason: 'unsupported' };
}
