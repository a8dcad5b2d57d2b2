import { readFile } from 'node:fs/promises';
import type { ApiError, Host } from '../../../../shared/protocol';
import { SecretStoreError, type SecretStore } from '../../secrets';
import { pendingStatus, type CollectorStatus } from '../collector';
import type { SourceAuth } from '../config';
import { HttpGetError } from './http';

/**
 * What the Prometheus and node_exporter sources share: credentials from the keychain,
 * CA files, and per-host status in the collector's shape (so the fleet view, /api/metrics/hosts
 * and the CLI show every host the same way, whichever source feeds it).
 */

export class SourceError extends Error {
  constructor(
    readonly code: ApiError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

/** The Authorization header for `auth`, read from the keychain now (never from config or the environment). */
export async function authorizationHeader(auth: SourceAuth | undefined, secrets: SecretStore | undefined, what: string): Promise<Record<string, string>> {
  if (!auth) return {};
  if (!secrets) throw new SourceError('unavailable', `${what}: credentials are configured (keychain account "${auth.keychain}") but this process has no keychain`);
  let secret: string | null;
  try {
    secret = await secrets.get(auth.keychain);
  } catch (err) {
    const reason = err instanceof SecretStoreError ? err.reason : (err as Error).message;
    throw new SourceError('unavailable', `${what}: cannot read keychain account "${auth.keychain}": ${reason}`);
  }
  if (!secret) throw new SourceError('auth_failed', `${what}: keychain account "${auth.keychain}" holds no secret (store it with the keychain, e.g. secret-tool store --label=fleetmind service fleetmind username ${auth.keychain})`);
  if (auth.type === 'bearer') return { Authorization: `Bearer ${secret}` };
  return { Authorization: `Basic ${Buffer.from(`${auth.username}:${secret}`).toString('base64')}` };
}

const caCache = new Map<string, Promise<string>>();
/** A CA file's PEM text (read once per path). */
export function readCa(path: string | undefined): Promise<string | undefined> {
  if (!path) return Promise.resolve(undefined);
  let p = caCache.get(path);
  if (!p) {
    p = readFile(path, 'utf8').catch((err: Error) => {
      caCache.delete(path);
      throw new SourceError('bad_request', `cannot read the CA file ${path}: ${err.message}`);
    });
    caCache.set(path, p);
  }
  return p;
}

/** An error as the status shows it (the code is one of the protocol's). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof SourceError) return { code: err.code, message: err.message };
  if (err instanceof HttpGetError) {
    const code: ApiError['code'] = err.code === 'timeout' ? 'timeout' : err.code === 'auth_failed' ? 'auth_failed' : err.code === 'cancelled' ? 'cancelled' : err.code === 'unreachable' ? 'unreachable' : 'unavailable';
    return { code, message: err.message };
  }
  return { code: 'internal', message: (err as Error).message ?? String(err) };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One host's status for a source other than the SSH collector. */
export class HostStatus {
  readonly status: CollectorStatus;
  constructor(host: string, source: string, intervalMs: number, timeoutMs: number) {
    this.status = pendingStatus(host, intervalMs, timeoutMs, source);
  }

  begin(at: number): void {
    this.status.inFlight = true;
    this.status.inFlightSince = iso(at);
    this.status.lastAttemptAt = iso(at);
  }

  succeed(at: number, durationMs: number): void {
    const s = this.status;
    Object.assign(s, { state: 'ok', inFlight: false, inFlightSince: null, lastSuccessAt: iso(at), lastDurationMs: Math.round(durationMs), lastError: null, consecutiveFailures: 0, runs: s.runs + 1 });
  }

  fail(at: number, durationMs: number, error: ApiError): void {
    const s = this.status;
    Object.assign(s, { state: 'failing', inFlight: false, inFlightSince: null, lastAttemptAt: iso(at), lastDurationMs: Math.round(durationMs), lastError: error, consecutiveFailures: s.consecutiveFailures + 1, runs: s.runs + 1, failures: s.failures + 1 });
  }

  snapshot(): CollectorStatus {
    return { ...this.status };
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', 'ip6-localhost']);

/** The host part of an `instance` label: `10.0.0.5:9100` → 10.0.0.5, `[::1]:9100` → ::1, `web-1` → web-1. */
export function instanceHost(instance: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracket) return (bracket[1] as string).toLowerCase();
  const colons = instance.split(':').length - 1;
  // One colon: host:port; more: a bare IPv6 address.
  return (colons === 1 ? instance.slice(0, instance.lastIndexOf(':')) : instance).toLowerCase();
}

/**
 * The inventory host an `instance` stands for: the explicit map first (instance → host name),
 * then the instance's host part equal to a host's address or name (case-insensitive; a
 * loopback address matches the local machine's host).
 */
export function hostForInstance(instance: string, hosts: readonly Pick<Host, 'name' | 'address' | 'transport'>[], explicit: Readonly<Record<string, string>>): string | null {
  const mapped = explicit[instance];
  if (mapped !== undefined) return hosts.some((h) => h.name === mapped) ? mapped : null;
  const part = instanceHost(instance);
  const byAddress = hosts.find((h) => h.address.toLowerCase() === part);
  if (byAddress) return byAddress.name;
  const byName = hosts.find((h) => h.name.toLowerCase() === part);
  if (byName) return byName.name;
  if (LOOPBACK.has(part)) return hosts.find((h) => h.transport === 'local' || LOOPBACK.has(h.address.toLowerCase()))?.name ?? null;
  return null;
}
