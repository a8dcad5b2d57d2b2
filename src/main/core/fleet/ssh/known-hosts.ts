import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** A host's public key as the server presents it: the SSH wire blob and its type name. */
export interface PublicHostKey {
  /** e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
  type: string;
  /** Base64 of the wire-format blob (what known_hosts stores). */
  base64: string;
  /** OpenSSH `SHA256:…` fingerprint (`ssh-keygen -l -E sha256`). */
  fingerprint: string;
}

/** OpenSSH-style `SHA256:<base64 without padding>` of a key blob. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads the key type name at the start of an SSH wire-format public key blob. */
export function keyTypeOfBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return null;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

export function publicHostKey(blob: Buffer): PublicHostKey {
  return { type: keyTypeOfBlob(blob) ?? 'unknown', base64: blob.toString('base64'), fingerprint: sshFingerprint(blob) };
}

/** `[address]:port`, or the plain address on port 22: how OpenSSH names an endpoint in known_hosts. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export type KnownHostMarker = 'revoked' | 'cert-authority' | null;

export interface KnownHostEntry {
  marker: KnownHostMarker;
  /** Comma-separated host patterns as written (plain, `[h]:p`, wildcards, `!negation`, `|1|salt|hash`). */
  patterns: string[];
  keyType: string;
  keyBase64: string;
  /** Where it came from, for messages: `~/.ssh/known_hosts:12`. */
  source: string;
}

/** Parses OpenSSH known_hosts text; lines that are not entries (comments, garbage) are skipped. */
export function parseKnownHosts(text: string, sourceName: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostMarker = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!.slice(1);
      if (m !== 'revoked' && m !== 'cert-authority') return;
      marker = m;
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+=*$/.test(keyBase64)) return;
    entries.push({ marker, patterns: hosts.split(','), keyType, keyBase64, source: `${sourceName}:${index + 1}` });
  });
  return entries;
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(text);
}

/** `|1|salt|hash`: HMAC-SHA1 of the host name keyed by the salt (`HashKnownHosts yes`). */
function hashedMatch(pattern: string, name: string): boolean {
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const expected = Buffer.from(parts[3] ?? '', 'base64');
  if (salt.length === 0 || expected.length !== 20) return false;
  const actual = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(actual, expected);
}

/** Whether an entry's host patterns name this endpoint (OpenSSH semantics: any positive match, no negated match). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const raw of entry.patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    const hit = pattern.startsWith('|') ? hashedMatch(pattern, name) : globMatch(pattern, name);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** One known_hosts file, re-read when it changes on disk. A missing file knows nothing. */
export class KnownHostsFile {
  private cache: { mtimeMs: number; size: number; entries: KnownHostEntry[] } | null = null;

  constructor(
    readonly path: string,
    private readonly displayName = path,
  ) {}

  entries(): KnownHostEntry[] {
    let stat;
    try {
      stat = statSync(this.path);
    } catch {
      this.cache = null;
      return [];
    }
    if (this.cache && this.cache.mtimeMs === stat.mtimeMs && this.cache.size === stat.size) return this.cache.entries;
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return [];
    }
    this.cache = { mtimeMs: stat.mtimeMs, size: stat.size, entries: parseKnownHosts(text, this.displayName) };
    return this.cache.entries;
  }

  /** Entries naming this endpoint (host key entries and @revoked ones; @cert-authority is not supported and skipped). */
  lookup(name: string): KnownHostEntry[] {
    return this.entries().filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name));
  }
}
