import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HostKeyRecord } from '../../store';
import { KnownHostsFile, knownHostsName, sshFingerprint, type PublicHostKey } from './known-hosts';

/** A host key the operator confirmed in Fleetmind (CLI `hosts trust`, API, UI): the store's record. */
export type TrustedHostKey = HostKeyRecord;

/** Fleetmind's own known_hosts (the store implements it: a table in the data dir's database). */
export interface HostKeyTrustStore {
  forEndpoint(endpoint: string): TrustedHostKey[];
  /** Records the key as the endpoint's only trusted key (a confirmed replacement drops the old one). */
  trust(key: Omit<TrustedHostKey, 'addedAt'>): void;
  /** Forgets the endpoint's keys; returns how many were removed. */
  forget(endpoint: string): number;
}

export interface ExpectedKey {
  fingerprint: string;
  keyType: string;
  source: string;
}

export type HostKeyVerdict =
  | { status: 'trusted'; key: PublicHostKey; source: string }
  | { status: 'unknown'; key: PublicHostKey }
  | { status: 'mismatch'; key: PublicHostKey; expected: ExpectedKey[] }
  | { status: 'revoked'; key: PublicHostKey; source: string };

export function defaultKnownHostsFiles(home = homedir()): string[] {
  return [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
}

/**
 * Strict host key checking, as OpenSSH's StrictHostKeyChecking=yes: the presented key
 * must be in the user's known_hosts (plain or hashed entries, `[host]:port` forms,
 * wildcards) or in Fleetmind's store. A key the endpoint is not known by at all is
 * `unknown` (the operator confirms its fingerprint first); a different key for a known
 * endpoint is `mismatch` (refused loudly, never replaced silently); `@revoked` wins.
 */
export class HostKeyVerifier {
  private readonly files: KnownHostsFile[];

  constructor(
    knownHostsFiles: readonly string[],
    readonly store: HostKeyTrustStore | null,
  ) {
    const home = homedir();
    this.files = knownHostsFiles.map((f) => new KnownHostsFile(f, f.startsWith(home) ? `~${f.slice(home.length)}` : f));
  }

  private known(endpoint: string): { type: string; base64: string; source: string; revoked: boolean }[] {
    const fromFiles = this.files.flatMap((f) =>
      f.lookup(endpoint).map((e) => ({ type: e.keyType, base64: e.keyBase64, source: e.source, revoked: e.marker === 'revoked' })),
    );
    const fromStore = (this.store?.forEndpoint(endpoint) ?? []).map((k) => ({
      type: k.keyType,
      base64: k.keyBase64,
      source: `Fleetmind (confirmed ${k.addedAt.slice(0, 10)} by ${k.addedBy})`,
      revoked: false,
    }));
    return [...fromStore, ...fromFiles];
  }

  /** Key types already known for the endpoint, so the handshake can prefer them (as OpenSSH does). */
  knownKeyTypes(endpoint: string): string[] {
    return [...new Set(this.known(endpoint).filter((k) => !k.revoked).map((k) => k.type))];
  }

  verify(address: string, port: number, key: PublicHostKey): HostKeyVerdict {
    const endpoint = knownHostsName(address, port);
    const known = this.known(endpoint);
    const revoked = known.find((k) => k.revoked && k.base64 === key.base64);
    if (revoked) return { status: 'revoked', key, source: revoked.source };
    const match = known.find((k) => !k.revoked && k.type === key.type && k.base64 === key.base64);
    if (match) return { status: 'trusted', key, source: match.source };
    const expected = known
      .filter((k) => !k.revoked)
      .map((k) => ({ fingerprint: fingerprintOfBase64(k.base64), keyType: k.type, source: k.source }));
    if (expected.length > 0) return { status: 'mismatch', key, expected };
    return { status: 'unknown', key };
  }
}

function fingerprintOfBase64(base64: string): string {
  return sshFingerprint(Buffer.from(base64, 'base64'));
}
