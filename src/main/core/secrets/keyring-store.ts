/**
 * The OS keychain through `@napi-rs/keyring`: Secret Service (GNOME Keyring, KeePassXC,
 * KWallet's Secret Service bridge) on Linux, Keychain on macOS, Credential Manager on
 * Windows.
 *
 * Why @napi-rs/keyring and not keytar: keytar (atom/node-keytar) is archived upstream
 * and has to be compiled against libsecret on every install (node-gyp, a C++ toolchain,
 * libsecret-1-dev, and a rebuild for each Electron ABI). @napi-rs/keyring is maintained,
 * wraps the Rust `keyring` crates, is Node-API (one binary for Node and Electron) and
 * ships prebuilt binaries for every platform we target, with libdbus bundled: nothing
 * is built on the user's machine.
 *
 * Items are stored under service "fleetmind" and the account name. On Linux they are
 * Secret Service items with the attributes `service=fleetmind` and `username=<account>`
 * (so `secret-tool lookup service fleetmind username <account>` finds them, and
 * `secret-tool store --label=… service fleetmind username <account>` can add one on a
 * headless box).
 *
 * On Linux every entry is pinned to the Secret Service. Left to its defaults the library
 * silently falls back to the kernel keyring (keyutils) when there is no Secret Service:
 * a key stored there vanishes at logout/reboot without the user being told. We would
 * rather say "the keychain is unavailable" and let resolveApiKey fall back to
 * OPENAI_API_KEY. There is no fallback to a file, ever.
 *
 * Process-wide caveat (Linux): the library's libdbus reads DBUS_SESSION_BUS_ADDRESS once,
 * at the first connection, and keeps that bus for the life of the process. Changing the
 * variable afterwards has no effect; tests that need a different bus use a new process.
 * A missing or dead bus is detected by a JavaScript pre-flight (dbus-preflight.ts) so
 * the native library never sees it (and never remembers it). If the Secret Service on a
 * live bus goes away and comes back, the next call finds it again.
 */
import type { AsyncEntry as AsyncEntryType, EntryOptions } from '@napi-rs/keyring';
import { probeDbusSessionBus } from './dbus-preflight';
import { scrubSecret } from './redact';
import {
  SecretStoreError,
  validateAccount,
  validateSecret,
  type SecretStore,
  type SecretStoreErrorCode,
  type SecretStoreStatus,
} from './types';

export const KEYRING_SERVICE = 'fleetmind';

/** Account used by status() to ask the keychain a harmless question (a lookup that finds nothing). */
export const STATUS_PROBE_ACCOUNT = 'fleetmind:status-probe';

type KeyringModule = Pick<typeof import('@napi-rs/keyring'), 'AsyncEntry'>;

export interface KeyringSecretStoreOptions {
  /** Service name under which items are stored. Default "fleetmind". */
  service?: string;
  /**
   * Bound on get/set/delete. The keychain may show an unlock prompt (desktop), so the
   * default is generous: 60 s.
   */
  timeoutMs?: number;
  /** Bound on status() and on the D-Bus pre-flight. Default 5 s. */
  probeTimeoutMs?: number;
  /** Platform whose keychain is used (tests). Default process.platform. */
  platform?: NodeJS.Platform;
  /** Load the binding (tests inject a fake). Default: `import('@napi-rs/keyring')`. */
  loadModule?: () => Promise<KeyringModule>;
}

export function keyringBackendName(platform: NodeJS.Platform): string {
  switch (platform) {
    case 'darwin':
      return 'macos-keychain';
    case 'win32':
      return 'windows-credential-manager';
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return 'secret-service';
    default:
      return `unsupported (${platform})`;
  }
}

const SECRET_SERVICE_HINT = 'is gnome-keyring or KeePassXC running?';

/** Turn a native error into a reason a user can act on. `raw` has already been scrubbed. */
export function classifyKeyringError(raw: string, backend: string): { code: SecretStoreErrorCode; reason: string } {
  if (/not provided by any \.service files|ServiceUnknown|NameHasNoOwner|org\.freedesktop\.secrets/i.test(raw)) {
    return { code: 'unavailable', reason: `no Secret Service on the session bus (${SECRET_SERVICE_HINT})` };
  }
  if (/Failed to connect to socket|Connection refused|autolaunch|DBUS_SESSION_BUS_ADDRESS|No such file or directory/i.test(raw)) {
    return { code: 'unavailable', reason: 'cannot reach the D-Bus session bus' };
  }
  if (/Did not receive a reply|timed? ?out|NoReply/i.test(raw)) {
    return { code: 'timeout', reason: `the ${backend} keychain did not answer` };
  }
  if (/locked|prompt|dismiss|cancel/i.test(raw)) {
    return { code: 'unavailable', reason: 'the keychain is locked (unlock it, or answer the unlock prompt)' };
  }
  if (/NoStorageAccess|access platform storage|AccessDenied|not allowed|permission/i.test(raw)) {
    return { code: 'unavailable', reason: `access to the ${backend} keychain was denied` };
  }
  if (/Ambiguous/i.test(raw)) {
    return { code: 'internal', reason: 'the keychain holds more than one matching item for this account' };
  }
  return { code: 'internal', reason: `the ${backend} keychain reported an error` };
}

class Timeout extends Error {}

function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Timeout(`no answer within ${ms} ms`));
    }, ms);
  });
  // The race bounds the wait even if the native task ignores the abort signal.
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
}

export class KeyringSecretStore implements SecretStore {
  readonly service: string;
  readonly backend: string;
  private readonly timeoutMs: number;
  private readonly probeTimeoutMs: number;
  private readonly platform: NodeJS.Platform;
  private readonly loadModule: () => Promise<KeyringModule>;
  private modulePromise: Promise<KeyringModule> | undefined;

  constructor(options: KeyringSecretStoreOptions = {}) {
    this.service = options.service ?? KEYRING_SERVICE;
    this.platform = options.platform ?? process.platform;
    this.backend = keyringBackendName(this.platform);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.loadModule = options.loadModule ?? (() => import('@napi-rs/keyring'));
  }

  async get(account: string): Promise<string | null> {
    validateAccount(account, this.backend);
    return this.run('read the secret for', account, undefined, (entry, signal) => entry.getPassword(signal), this.timeoutMs);
  }

  async set(account: string, secret: string): Promise<void> {
    validateAccount(account, this.backend);
    validateSecret(secret, this.backend);
    await this.run('store the secret for', account, secret, (entry, signal) => entry.setPassword(secret, signal), this.timeoutMs);
  }

  async delete(account: string): Promise<boolean> {
    validateAccount(account, this.backend);
    return this.run('delete the secret for', account, undefined, (entry, signal) => entry.deletePassword(signal), this.timeoutMs);
  }

  async status(): Promise<SecretStoreStatus> {
    try {
      await this.run('query', STATUS_PROBE_ACCOUNT, undefined, (entry, signal) => entry.getPassword(signal), this.probeTimeoutMs);
      return { available: true, backend: this.backend };
    } catch (err) {
      if (err instanceof SecretStoreError) {
        return { available: false, backend: this.backend, reason: err.reason, ...(err.detail ? { detail: err.detail } : {}) };
      }
      return { available: false, backend: this.backend, reason: 'unexpected error while checking the keychain' };
    }
  }

  private binding(): Promise<KeyringModule> {
    this.modulePromise ??= this.loadModule().then((mod) => {
      // CommonJS module: named exports via Node's CJS lexer, or under `default`.
      const m = mod as KeyringModule & { default?: KeyringModule };
      const resolved = typeof m.AsyncEntry === 'function' ? m : m.default;
      if (!resolved || typeof resolved.AsyncEntry !== 'function') throw new Error('@napi-rs/keyring has no AsyncEntry export');
      return resolved;
    });
    return this.modulePromise;
  }

  private fail(code: SecretStoreErrorCode, reason: string, detail?: string): SecretStoreError {
    const prefix = code === 'unavailable' ? `OS keychain (${this.backend}) unavailable` : `OS keychain (${this.backend})`;
    return new SecretStoreError(code, `${prefix}: ${reason}`, this.backend, { reason, ...(detail ? { detail } : {}) });
  }

  /**
   * One keychain operation: platform support, D-Bus pre-flight, lazy load of the
   * binding, a bounded native call, and errors mapped to SecretStoreError with the
   * secret scrubbed from any native text.
   */
  private async run<T>(
    what: string,
    account: string,
    secret: string | undefined,
    op: (entry: AsyncEntryType, signal: AbortSignal) => Promise<T>,
    timeoutMs: number,
  ): Promise<T> {
    if (this.backend.startsWith('unsupported')) {
      throw this.fail('unavailable', `no supported keychain on platform ${this.platform}`);
    }
    const secretService = this.backend === 'secret-service';
    if (secretService) {
      const bus = await probeDbusSessionBus(
        process.env.DBUS_SESSION_BUS_ADDRESS,
        Math.min(timeoutMs, this.probeTimeoutMs),
        process.env.XDG_RUNTIME_DIR,
      );
      if (bus.ok === false) throw this.fail('unavailable', bus.reason, bus.detail);
    }
    let mod: KeyringModule;
    try {
      mod = await this.binding();
    } catch (err) {
      this.modulePromise = undefined;
      const raw = scrubSecret(err instanceof Error ? err.message : String(err), secret);
      throw this.fail('unavailable', `the keychain library @napi-rs/keyring could not be loaded on ${process.platform}-${process.arch}`, raw);
    }
    const options: EntryOptions | undefined = secretService ? { linux: { store: 'secret-service' } } : undefined;
    try {
      return await withTimeout((signal) => op(new mod.AsyncEntry(this.service, account, options), signal), timeoutMs);
    } catch (err) {
      if (err instanceof Timeout) {
        throw this.fail('timeout', `the keychain did not answer within ${timeoutMs} ms while trying to ${what} "${account}"`);
      }
      const raw = scrubSecret(err instanceof Error ? err.message : String(err), secret);
      const { code, reason } = classifyKeyringError(raw, this.backend);
      throw this.fail(code, code === 'unavailable' ? reason : `could not ${what} "${account}": ${reason}`, raw);
    }
  }
}
