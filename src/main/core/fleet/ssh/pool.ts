import { userInfo } from 'node:os';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, AuthenticationType, Client as SshClient, ConnectConfig } from 'ssh2';
import type { Host } from '../../../../shared/protocol';
import { HostConnectionError, type HostErrorCode } from '../errors';
import { defaultIdentityFiles, IdentityCache, planAuth, type PassphraseProvider } from './auth';
import { defaultKnownHostsFiles, HostKeyVerifier, type HostKeyTrustStore, type HostKeyVerdict } from './host-keys';
import { knownHostsName, publicHostKey, type PublicHostKey } from './known-hosts';
import { Semaphore } from './semaphore';
import { publicCliName } from '../../config';
import { ssh2 } from './ssh2-module';

export interface SshPoolOptions {
  /** OpenSSH known_hosts files checked besides Fleetmind's own store. Default: ~/.ssh/known_hosts(2), /etc/ssh/ssh_known_hosts(2). */
  knownHostsFiles: readonly string[];
  /** Fleetmind's known_hosts (the store's host_keys table); null: known_hosts files only. */
  trustStore: HostKeyTrustStore | null;
  /** ssh-agent socket. Default: $SSH_AUTH_SOCK. */
  agentSocket: string | null;
  /** Keys tried when a host names no identity file. Default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa, ... */
  defaultIdentityFiles: readonly string[];
  /** Unlocks encrypted keys (prompt or keychain). Null: encrypted keys are skipped with a message saying why. */
  passphrase: PassphraseProvider | null;
  /** TCP connect + SSH handshake + authentication. Default 10 s. */
  connectTimeoutMs: number;
  /** SSH keepalive on pooled connections. Default every 15 s, dropped after 3 unanswered. */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** A connection with no channel open for this long is closed. Default 5 min. */
  idleTimeoutMs: number;
  /** Channels (commands) at once on one host's connection; sshd's MaxSessions default is 10. Default 8. */
  maxChannelsPerHost: number;
  /** Connections being opened (handshakes) at once across the pool. Default 64. */
  maxConnecting: number;
  /** After a failed connect, further attempts to that host fail fast for backoff = initial × 2^(failures-1), capped. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Resolves a ProxyJump name to an inventory host (null: parse `[user@]host[:port]`). */
  resolveHost: (name: string) => Host | null;
}

export function defaultSshPoolOptions(env: NodeJS.ProcessEnv = process.env): SshPoolOptions {
  return {
    knownHostsFiles: defaultKnownHostsFiles(),
    trustStore: null,
    agentSocket: env.SSH_AUTH_SOCK || null,
    defaultIdentityFiles: defaultIdentityFiles(),
    passphrase: null,
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 15_000,
    keepaliveCountMax: 3,
    idleTimeoutMs: 5 * 60_000,
    maxChannelsPerHost: 8,
    maxConnecting: 64,
    backoffInitialMs: 500,
    backoffMaxMs: 30_000,
    resolveHost: () => null,
  };
}

/** A channel slot on a host's live connection; release it exactly once. */
export interface ChannelLease {
  client: SshClient;
  /** Call when the channel failed in a way that shows the connection is dead. */
  markBroken(): void;
  release(): void;
}

interface PoolEntry {
  /** Connection settings; an inventory edit that changes them retires the entry. */
  signature: string;
  host: Host;
  client: SshClient | null;
  connecting: Promise<SshClient> | null;
  channels: Semaphore;
  /** Leases plus tunnels through this host (as a jump host). */
  users: number;
  idleTimer: NodeJS.Timeout | null;
  failures: number;
  retryAt: number;
  lastError: HostConnectionError | null;
  /** Runs when the connection closes (releases the jump host tunnel). */
  onClose: (() => void) | null;
}

// ssh2's default host key algorithms; known key types are moved to the front, as OpenSSH does.
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
const ALGORITHMS_FOR_KEY_TYPE: Record<string, string[]> = { 'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] };

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EADDRNOTAVAIL']);
const TRANSIENT_ERRORS = new Set(['ECONNRESET', 'EPIPE']);

function signatureOf(host: Host): string {
  return JSON.stringify([host.address, host.port, host.user, host.identityFile, host.jump]);
}

/** Parses a ProxyJump value that is not an inventory name: `[user@]host[:port]` or `[user@][v6]:port`. */
export function parseJumpSpec(spec: string): Host | null {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(spec.trim());
  if (!m) return null;
  const address = (m[2] as string).replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) return null;
  return { name: spec, address, port, user: m[1] ?? null, identityFile: null, tags: [], jump: null, privacy: 'default', transport: 'ssh' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

/** Describes a host key verdict for an operator: what was presented, what was expected, what to do. */
export function hostKeyError(host: Host, verdict: Exclude<HostKeyVerdict, { status: 'trusted' }>): HostConnectionError {
  const endpoint = knownHostsName(host.address, host.port);
  const presented = `${verdict.key.type} ${verdict.key.fingerprint}`;
  if (verdict.status === 'unknown') {
    return new HostConnectionError(
      host.name,
      'host_key_unknown',
      `host key of ${host.name} (${endpoint}) is not known: the server presented ${presented}. ` +
        `Check this fingerprint with the server's administrator, then confirm it: ${publicCliName()} hosts trust ${host.name} --fingerprint ${verdict.key.fingerprint}`,
      { fingerprint: verdict.key.fingerprint, keyType: verdict.key.type },
    );
  }
  if (verdict.status === 'revoked') {
    return new HostConnectionError(
      host.name,
      'host_key_mismatch',
      `REFUSED: the host key of ${host.name} (${endpoint}), ${presented}, is marked @revoked in ${verdict.source}.`,
      { fingerprint: verdict.key.fingerprint, keyType: verdict.key.type, expected: [] },
    );
  }
  const expected = verdict.expected.map((e) => `${e.keyType} ${e.fingerprint} (${e.source})`).join('; ');
  return new HostConnectionError(
    host.name,
    'host_key_mismatch',
    `WARNING: HOST KEY OF ${host.name} (${endpoint}) HAS CHANGED. Expected ${expected}, but the server presented ${presented}. ` +
      'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. Fleetmind refused to connect. ' +
      `If the change is legitimate, confirm the new key: ${publicCliName()} hosts trust ${host.name} --fingerprint ${verdict.key.fingerprint}`,
    { fingerprint: verdict.key.fingerprint, keyType: verdict.key.type, expected: verdict.expected },
  );
}

/**
 * One multiplexed ssh2 connection per host, opened on first use and shared by every
 * command to that host (channels), with strict host key checking, keepalive, idle
 * close, fail-fast backoff after a failed connect, a per-host channel limit and a
 * pool-wide limit on handshakes in flight. ProxyJump goes through the jump host's own
 * pooled connection (direct-tcpip channel).
 */
export class SshPool {
  readonly options: SshPoolOptions;
  readonly verifier: HostKeyVerifier;
  private readonly identities: IdentityCache;
  private readonly entries = new Map<string, PoolEntry>();
  /** Entries replaced after an inventory edit, closed once idle. */
  private readonly retired = new Set<PoolEntry>();
  private readonly connecting: Semaphore;
  private closed = false;
  /** ssh2 clients still in their handshake (connectOnce, scanHostKey): close() ends them at once. */
  private readonly handshaking = new Set<SshClient>();

  constructor(options: Partial<SshPoolOptions> = {}) {
    this.options = { ...defaultSshPoolOptions(), ...options };
    this.verifier = new HostKeyVerifier(this.options.knownHostsFiles, this.options.trustStore);
    this.identities = new IdentityCache(this.options.passphrase);
    this.connecting = new Semaphore(this.options.maxConnecting);
  }

  /** Open connections (for leak checks and the benchmark). */
  size(): number {
    let n = 0;
    for (const e of [...this.entries.values(), ...this.retired]) if (e.client) n++;
    return n;
  }

  stats(): { connections: number; connecting: number; channels: number; hosts: number } {
    let channels = 0;
    let connecting = 0;
    for (const e of this.entries.values()) {
      channels += e.channels.inUse;
      if (e.connecting) connecting++;
    }
    return { connections: this.size(), connecting, channels, hosts: this.entries.size };
  }

  /** Waits for a channel slot on the host's connection, connecting first if needed. */
  async lease(host: Host, signal?: AbortSignal): Promise<ChannelLease> {
    const entry = this.entryFor(host);
    entry.users++;
    this.clearIdle(entry);
    let slot = false;
    try {
      await entry.channels.acquire(signal, () => this.cancelled(host));
      slot = true;
      const client = await this.ensureConnected(entry, signal, []);
      let released = false;
      return {
        client,
        markBroken: () => {
          if (entry.client === client) {
            entry.client = null;
            client.destroy();
          }
        },
        release: () => {
          if (released) return;
          released = true;
          entry.channels.release();
          entry.users--;
          this.maybeIdle(entry);
        },
      };
    } catch (err) {
      if (slot) entry.channels.release();
      entry.users--;
      this.maybeIdle(entry);
      throw err;
    }
  }

  /**
   * Opens the host's connection ahead of use (no channel, nothing runs). A failure is
   * kept like any failed connect, so the real request reports it at once.
   */
  async warm(host: Host, signal?: AbortSignal): Promise<void> {
    const lease = await this.lease(host, signal);
    lease.release();
  }

  /** Lets the next request try at once (after the operator fixed something: trusted a key, started the host). */
  resetBackoff(hostName: string): void {
    const entry = this.entries.get(hostName);
    if (entry) {
      entry.failures = 0;
      entry.retryAt = 0;
      entry.lastError = null;
    }
  }

  /** Closes a host's connection (after an inventory edit or removal). */
  async forget(hostName: string): Promise<void> {
    const entry = this.entries.get(hostName);
    if (!entry) return;
    this.entries.delete(hostName);
    await this.closeEntry(entry);
  }

  /**
   * Connects only far enough to see the host key the server presents (no authentication),
   * and says how it compares with what is known. Used to show an operator the fingerprint
   * before they confirm it.
   */
  async scanHostKey(host: Host, signal?: AbortSignal): Promise<{ key: PublicHostKey; verdict: HostKeyVerdict }> {
    if (this.closed) throw new HostConnectionError(host.name, 'cancelled', 'the connection pool is closed');
    const sock = host.jump ? await this.tunnel(host, [host.name]) : undefined;
    const client = new (ssh2().Client)();
    let seen: PublicHostKey | null = null;
    let tcpConnected = false;
    this.handshaking.add(client);
    try {
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(this.cancelled(host));
        signal?.addEventListener('abort', abort, { once: true });
        client.on('connect', () => (tcpConnected = true));
        client.on('error', (err: Error & { level?: string; code?: string }) => {
          signal?.removeEventListener('abort', abort);
          if (seen) resolve();
          else reject(this.classify(host, err, null, tcpConnected || sock !== undefined));
        });
        client.on('close', () => {
          signal?.removeEventListener('abort', abort);
          if (seen) resolve();
          else if (this.closed) reject(new HostConnectionError(host.name, 'cancelled', 'the connection pool is closing'));
          else reject(new HostConnectionError(host.name, 'unreachable', 'the connection closed before the server presented a host key'));
        });
        client.connect({
          host: host.address,
          port: host.port,
          sock: sock as ConnectConfig['sock'],
          username: host.user ?? userInfo().username,
          readyTimeout: this.options.connectTimeoutMs,
          algorithms: { serverHostKey: this.hostKeyAlgorithms(host) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
          hostVerifier: (blob: Buffer) => {
            seen = publicHostKey(blob);
            return false;
          },
        });
      });
    } finally {
      this.handshaking.delete(client);
      client.destroy();
      sock?.destroy();
    }
    const key = seen as PublicHostKey | null;
    if (!key) throw new HostConnectionError(host.name, 'unreachable', 'no host key received');
    return { key, verdict: this.verifier.verify(host.address, host.port, key) };
  }

  async close(): Promise<void> {
    this.closed = true;
    // Handshakes in flight end now (a host that accepted TCP and never answers would
    // otherwise hold the process until its connect timeout): they settle as cancelled.
    for (const client of this.handshaking) client.destroy();
    this.handshaking.clear();
    const all = [...this.entries.values(), ...this.retired];
    this.entries.clear();
    this.retired.clear();
    await Promise.all(all.map((e) => this.closeEntry(e)));
  }

  // ---------------------------------------------------------------------------------

  private cancelled(host: Host): HostConnectionError {
    return new HostConnectionError(host.name, 'cancelled', 'cancelled before the command started');
  }

  private entryFor(host: Host): PoolEntry {
    if (this.closed) throw new HostConnectionError(host.name, 'cancelled', 'the connection pool is closed');
    const signature = signatureOf(host);
    const existing = this.entries.get(host.name);
    if (existing && existing.signature === signature) return existing;
    if (existing) {
      // The inventory changed under us: new commands use a new connection, the old one closes once idle.
      this.entries.delete(host.name);
      this.retired.add(existing);
      this.maybeIdle(existing);
    }
    const entry: PoolEntry = {
      signature,
      host,
      client: null,
      connecting: null,
      channels: new Semaphore(this.options.maxChannelsPerHost),
      users: 0,
      idleTimer: null,
      failures: 0,
      retryAt: 0,
      lastError: null,
      onClose: null,
    };
    this.entries.set(host.name, entry);
    return entry;
  }

  private clearIdle(entry: PoolEntry): void {
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = null;
    }
  }

  private maybeIdle(entry: PoolEntry): void {
    if (entry.users > 0 || entry.idleTimer) return;
    const retired = this.retired.has(entry);
    if (!entry.client) {
      if (retired && !entry.connecting) this.retired.delete(entry);
      return;
    }
    entry.idleTimer = setTimeout(
      () => {
        entry.idleTimer = null;
        if (entry.users === 0) void this.closeEntry(entry).then(() => this.retired.delete(entry));
      },
      retired ? 0 : this.options.idleTimeoutMs,
    );
    entry.idleTimer.unref();
  }

  private async closeEntry(entry: PoolEntry): Promise<void> {
    this.clearIdle(entry);
    entry.channels.failAll(new HostConnectionError(entry.host.name, 'cancelled', 'the connection pool is closing'));
    if (entry.connecting) await entry.connecting.catch(() => undefined);
    const client = entry.client;
    entry.client = null;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 1000);
      timer.unref();
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  private ensureConnected(entry: PoolEntry, signal: AbortSignal | undefined, chain: string[]): Promise<SshClient> {
    const { host } = entry;
    if (this.closed) return Promise.reject(new HostConnectionError(host.name, 'cancelled', 'the connection pool is closed'));
    if (entry.client) return Promise.resolve(entry.client);
    if (!entry.connecting) {
      const now = Date.now();
      if (entry.lastError && now < entry.retryAt) {
        const e = entry.lastError;
        const wait = ((entry.retryAt - now) / 1000).toFixed(1);
        return Promise.reject(new HostConnectionError(host.name, e.code, `${e.message} (failed ${entry.failures}× in a row; next attempt in ${wait} s)`, e.hostKey));
      }
      entry.connecting = this.open(entry, chain).then(
        (client) => {
          entry.connecting = null;
          entry.failures = 0;
          entry.retryAt = 0;
          entry.lastError = null;
          if (this.closed) {
            client.end();
            throw new HostConnectionError(host.name, 'cancelled', 'the connection pool is closed');
          }
          entry.client = client;
          // Every channel watches its connection; many channels share one client.
          client.setMaxListeners(0);
          client.on('close', () => {
            if (entry.client === client) entry.client = null;
            this.clearIdle(entry);
            entry.onClose?.();
            entry.onClose = null;
          });
          return client;
        },
        (err: unknown) => {
          entry.connecting = null;
          const error = err instanceof HostConnectionError ? err : new HostConnectionError(host.name, 'unreachable', (err as Error).message);
          if (error.code !== 'cancelled') {
            entry.failures++;
            entry.retryAt = Date.now() + Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** (entry.failures - 1));
            entry.lastError = error;
          }
          entry.onClose?.();
          entry.onClose = null;
          throw error;
        },
      );
    }
    return raceAbort(entry.connecting, signal, () => this.cancelled(host));
  }

  /** A stream to host:port through its jump host's pooled connection. */
  private async tunnel(host: Host, chain: string[]): Promise<Duplex> {
    const jumpName = host.jump as string;
    const jump = this.options.resolveHost(jumpName) ?? parseJumpSpec(jumpName);
    if (!jump) throw new HostConnectionError(host.name, 'unreachable', `jump host "${jumpName}" is neither an inventory host nor [user@]host[:port]`);
    if (chain.includes(jump.name)) throw new HostConnectionError(host.name, 'unreachable', `jump hosts form a loop (${[...chain, jump.name].join(' → ')})`);
    const entry = this.entryFor(jump);
    entry.users++;
    this.clearIdle(entry);
    let stream: Duplex;
    try {
      const client = await this.ensureConnected(entry, undefined, [...chain, jump.name]);
      stream = await new Promise<Duplex>((resolve, reject) => {
        client.forwardOut('127.0.0.1', 0, host.address, host.port, (err, channel) => (err ? reject(err) : resolve(channel)));
      });
    } catch (err) {
      entry.users--;
      this.maybeIdle(entry);
      const e = err as Error;
      const code: HostErrorCode = err instanceof HostConnectionError ? err.code : 'unreachable';
      throw new HostConnectionError(host.name, code, `via jump host ${jump.name}: ${e.message}`, err instanceof HostConnectionError ? err.hostKey : null);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.users--;
      this.maybeIdle(entry);
    };
    stream.once('close', release);
    return stream;
  }

  private hostKeyAlgorithms(host: Host): string[] {
    const known = this.verifier.knownKeyTypes(knownHostsName(host.address, host.port)).flatMap((t) => ALGORITHMS_FOR_KEY_TYPE[t] ?? [t]);
    const first = known.filter((a) => HOST_KEY_ALGORITHMS.includes(a));
    return [...new Set([...first, ...HOST_KEY_ALGORITHMS])];
  }

  private async open(entry: PoolEntry, chain: string[]): Promise<SshClient> {
    const { host } = entry;
    await this.connecting.acquire();
    try {
      const deadline = Date.now() + this.options.connectTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        let sock: Duplex | undefined;
        if (host.jump) {
          sock = await this.tunnel(host, [...chain, host.name]);
          const s = sock;
          entry.onClose = () => s.destroy();
        }
        try {
          return await this.connectOnce(host, sock, Math.max(1000, deadline - Date.now()));
        } catch (err) {
          sock?.destroy();
          const transient = (err as { transient?: boolean }).transient === true;
          if (!transient || attempt >= 3 || Date.now() + 300 * attempt > deadline) throw err;
          await sleep(100 * 3 ** (attempt - 1));
        }
      }
    } finally {
      this.connecting.release();
    }
  }

  private classify(host: Host, err: Error & { level?: string; code?: string }, verdict: HostKeyVerdict | null, tcpConnected: boolean): HostConnectionError & { transient?: boolean } {
    const where = `${host.user ?? userInfo().username}@${host.address}:${host.port}`;
    if (verdict && verdict.status !== 'trusted') return hostKeyError(host, verdict);
    if (err.level === 'client-authentication') {
      return new HostConnectionError(host.name, 'auth_failed', `authentication failed for ${where}`);
    }
    if (err.level === 'client-timeout' && !tcpConnected) {
      return new HostConnectionError(host.name, 'unreachable', `no TCP connection to ${where} within ${Math.round(this.options.connectTimeoutMs / 100) / 10} s`);
    }
    if (err.level === 'client-timeout') {
      // TCP was accepted but the server never finished the SSH handshake (a hung sshd, a
      // tarpit, a port that is not SSH): it answered, so this is a timeout, not "unreachable".
      return new HostConnectionError(host.name, 'timeout', `no SSH handshake with ${where} within ${Math.round(this.options.connectTimeoutMs / 100) / 10} s (the TCP connection was accepted)`);
    }
    const error: HostConnectionError & { transient?: boolean } = new HostConnectionError(
      host.name,
      'unreachable',
      `cannot connect to ${where}: ${err.code && NETWORK_ERRORS.has(err.code) ? `${err.code} (${err.message})` : err.message}`,
    );
    if ((err.code && TRANSIENT_ERRORS.has(err.code)) || /Connection lost before handshake/i.test(err.message)) error.transient = true;
    return error;
  }

  private connectOnce(host: Host, sock: Duplex | undefined, timeoutMs: number): Promise<SshClient> {
    const username = host.user ?? userInfo().username;
    const plan = planAuth({
      username,
      identityFile: host.identityFile,
      agentSocket: this.options.agentSocket,
      defaultIdentityFiles: this.options.defaultIdentityFiles,
    });
    const tried: string[] = [];
    const skipped: string[] = [];
    const client = new (ssh2().Client)();
    let verdict: HostKeyVerdict | null = null;
    let step = 0;
    let tcpConnected = sock !== undefined;

    const authHandler = (_left: AuthenticationType[], _partial: boolean, next: (auth: AnyAuthMethod | false) => void) => {
      void (async () => {
        while (step < plan.steps.length) {
          const s = plan.steps[step++]!;
          if (s.kind === 'agent') {
            tried.push('ssh-agent');
            next({ type: 'agent', username, agent: s.socket });
            return;
          }
          const loaded = await this.identities.load(s.path, host.name);
          if (!loaded.ok) {
            skipped.push(loaded.reason);
            continue;
          }
          tried.push(s.path);
          next({ type: 'publickey', username, key: loaded.key });
          return;
        }
        next(false);
      })();
    };

    this.handshaking.add(client);
    return new Promise<SshClient>((resolve, reject) => {
      let settled = false;
      client.once('connect', () => (tcpConnected = true));
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (settled) return; // after 'ready', errors end in 'close', which the pool watches
        settled = true;
        this.handshaking.delete(client);
        client.destroy();
        if (this.closed) {
          reject(new HostConnectionError(host.name, 'cancelled', 'the connection pool is closing'));
          return;
        }
        const error = this.classify(host, err, verdict, tcpConnected);
        if (error.code === 'auth_failed') {
          const detail = [tried.length ? `tried ${tried.join(', ')}` : 'no identity to try', ...skipped].join('; ');
          reject(new HostConnectionError(host.name, 'auth_failed', `${error.message} (${detail})`));
          return;
        }
        reject(error);
      });
      client.once('close', () => {
        if (settled) return;
        settled = true;
        this.handshaking.delete(client);
        const error = this.closed
          ? new HostConnectionError(host.name, 'cancelled', 'the connection pool is closing')
          : verdict && verdict.status !== 'trusted'
          ? hostKeyError(host, verdict)
          : Object.assign(new HostConnectionError(host.name, 'unreachable', 'the server closed the connection during the handshake'), { transient: true });
        reject(error);
      });
      client.once('ready', () => {
        this.handshaking.delete(client);
        if (settled) {
          client.destroy();
          return;
        }
        settled = true;
        // Small request packets (channel open, exec) must not wait for Nagle's algorithm.
        client.setNoDelay(true);
        resolve(client);
      });
      try {
        client.connect({
          host: host.address,
          port: host.port,
          sock: sock as ConnectConfig['sock'],
          username,
          readyTimeout: timeoutMs,
          keepaliveInterval: this.options.keepaliveIntervalMs,
          keepaliveCountMax: this.options.keepaliveCountMax,
          algorithms: { serverHostKey: this.hostKeyAlgorithms(host) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
          hostVerifier: (blob: Buffer) => {
            verdict = this.verifier.verify(host.address, host.port, publicHostKey(blob));
            return verdict.status === 'trusted';
          },
          authHandler: authHandler as unknown as ConnectConfig['authHandler'],
        });
        // Also during the handshake: its many small packets must not wait for delayed ACKs.
        client.setNoDelay(true);
      } catch (err) {
        settled = true;
        this.handshaking.delete(client);
        client.destroy();
        reject(new HostConnectionError(host.name, 'unreachable', (err as Error).message));
      }
    });
  }
}
