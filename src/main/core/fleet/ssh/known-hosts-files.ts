import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { parseKnownHosts, entryMatches, sshFingerprint, type KnownHostEntry } from './known-hosts';

/** A known_hosts file as an operator names it: `~/…` under the home directory. */
export function displayPath(path: string, home = homedir()): string {
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export type CheckedKnownHosts =
  | { status: 'ok'; path: string; entries: KnownHostEntry[] }
  /** The file does not exist (OpenSSH ignores it; so do we). */
  | { status: 'missing'; path: string }
  /** The file exists but is not taken as a source of trust; `reason` says why, for the operator. */
  | { status: 'refused'; path: string; reason: string };

/**
 * Reads a known_hosts file that is about to become a source of trust (`hosts import`,
 * `hosts trust --known-hosts`). It is opened first, then judged by what was opened:
 * `/dev/null` (configs use it to switch host key checking off: it holds no keys) and
 * files anyone may write (anyone on this machine could add a key) are refused, as is
 * anything that is not a regular file.
 */
export function readKnownHostsChecked(path: string, home = homedir()): CheckedKnownHosts {
  const shown = displayPath(path, home);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing', path: shown };
    return { status: 'refused', path: shown, reason: `cannot be read (${code ?? (err as Error).message})` };
  }
  try {
    const st = fstatSync(fd);
    let opened = path;
    try {
      opened = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // not Linux: the path as given
    }
    if (opened === '/dev/null' || path === '/dev/null') {
      return { status: 'refused', path: shown, reason: 'it is /dev/null, which records no host keys (configs use it to switch host key checking off; Fleetmind keeps checking)' };
    }
    if (!st.isFile()) return { status: 'refused', path: shown, reason: 'it is not a regular file' };
    if ((st.mode & 0o002) !== 0) {
      return { status: 'refused', path: shown, reason: `it is world-writable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): anyone on this machine could add a key to it; chmod o-w it first` };
    }
    return { status: 'ok', path: shown, entries: parseKnownHosts(readFileSync(fd, 'utf8'), shown) };
  } finally {
    closeSync(fd);
  }
}

export interface FoundHostKey {
  keyType: string;
  keyBase64: string;
  fingerprint: string;
  /** `file:line`. */
  source: string;
}

/**
 * Host keys a known_hosts file lists for an endpoint name (`host`, `[host]:port`, plain,
 * hashed or wildcard entries), as OpenSSH reads them: `@cert-authority` lines are not
 * host keys, and a key marked `@revoked` anywhere in the file is never returned.
 */
export function hostKeysFor(entries: readonly KnownHostEntry[], name: string): FoundHostKey[] {
  const revoked = new Set(entries.filter((e) => e.marker === 'revoked').map((e) => e.keyBase64));
  const found = new Map<string, FoundHostKey>();
  for (const e of entries) {
    if (e.marker !== null || revoked.has(e.keyBase64) || !entryMatches(e, name)) continue;
    if (found.has(e.keyBase64)) continue;
    found.set(e.keyBase64, { keyType: e.keyType, keyBase64: e.keyBase64, fingerprint: sshFingerprint(Buffer.from(e.keyBase64, 'base64')), source: e.source });
  }
  return [...found.values()];
}
