import type { ApiError, Host } from '../../../shared/protocol';

/** A host could not be reached the way the inventory says (no transport, or the connection failed). */
export class TransportUnavailableError extends Error {
  constructor(host: Host | string, message?: string) {
    const name = typeof host === 'string' ? host : host.name;
    super(message ?? `host "${name}" cannot be reached: no transport for it`);
    this.name = 'TransportUnavailableError';
  }
}

/** Per-host failure classes of the DESIGN contract (`fleetmind exec --json` error.code). */
export type HostErrorCode = 'unreachable' | 'auth_failed' | 'host_key_unknown' | 'host_key_mismatch' | 'timeout' | 'cancelled';

export interface HostKeyDetails {
  /** The key the server presented now. */
  fingerprint: string;
  keyType: string;
  /** Fingerprints Fleetmind or known_hosts expected (mismatch only). */
  expected?: { fingerprint: string; keyType: string; source: string }[];
}

/** The boundary shape plus, for host key errors, the fingerprint an operator must confirm. */
export type HostApiError = ApiError & { fingerprint?: string; expectedFingerprints?: string[] };

/**
 * Connecting to a host failed in a classified way. It extends TransportUnavailableError
 * so layers that only know "the transport failed" still handle it; `code` carries the
 * precise class and `toApiError()` the message an operator sees.
 */
export class HostConnectionError extends TransportUnavailableError {
  constructor(
    readonly hostName: string,
    readonly code: HostErrorCode,
    message: string,
    readonly hostKey: HostKeyDetails | null = null,
  ) {
    super(hostName, message);
    this.name = 'HostConnectionError';
  }

  toApiError(): HostApiError {
    const error: HostApiError = { code: this.code, message: this.message };
    if (this.hostKey) {
      error.fingerprint = this.hostKey.fingerprint;
      if (this.hostKey.expected) error.expectedFingerprints = this.hostKey.expected.map((e) => e.fingerprint);
    }
    return error;
  }
}

export function isHostConnectionError(err: unknown): err is HostConnectionError {
  return err instanceof HostConnectionError;
}
