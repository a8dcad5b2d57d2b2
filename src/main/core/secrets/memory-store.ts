import { SecretStoreError, validateAccount, validateSecret, type SecretStore, type SecretStoreStatus } from './types';

export interface MemorySecretStoreOptions {
  /** Initial secrets by account. */
  secrets?: Record<string, string>;
  /** Start unavailable with this reason (simulates a machine without a keychain). */
  unavailableReason?: string;
}

/**
 * An in-process SecretStore for other modules' unit tests (and nothing else: it keeps
 * secrets in memory only and never touches disk). `setUnavailable(reason)` simulates a
 * machine without a keychain: status() reports it and get/set/delete reject with
 * SecretStoreError code 'unavailable', exactly like KeyringSecretStore.
 */
export class MemorySecretStore implements SecretStore {
  readonly backend = 'memory';
  private readonly secrets = new Map<string, string>();
  private unavailableReason: string | undefined;

  constructor(options: MemorySecretStoreOptions = {}) {
    for (const [account, secret] of Object.entries(options.secrets ?? {})) this.secrets.set(account, secret);
    this.unavailableReason = options.unavailableReason;
  }

  /** Simulate a keychain that cannot be used (or, with undefined, make it usable again). */
  setUnavailable(reason: string | undefined): void {
    this.unavailableReason = reason;
  }

  /** Accounts that hold a secret (for assertions; secrets themselves are not listed). */
  accounts(): string[] {
    return [...this.secrets.keys()].sort();
  }

  get size(): number {
    return this.secrets.size;
  }

  async get(account: string): Promise<string | null> {
    validateAccount(account, this.backend);
    this.assertAvailable();
    return this.secrets.get(account) ?? null;
  }

  async set(account: string, secret: string): Promise<void> {
    validateAccount(account, this.backend);
    validateSecret(secret, this.backend);
    this.assertAvailable();
    this.secrets.set(account, secret);
  }

  async delete(account: string): Promise<boolean> {
    validateAccount(account, this.backend);
    this.assertAvailable();
    return this.secrets.delete(account);
  }

  async status(): Promise<SecretStoreStatus> {
    return this.unavailableReason === undefined
      ? { available: true, backend: this.backend }
      : { available: false, backend: this.backend, reason: this.unavailableReason };
  }

  private assertAvailable(): void {
    if (this.unavailableReason !== undefined) {
      throw new SecretStoreError(
        'unavailable',
        `OS keychain (${this.backend}) unavailable: ${this.unavailableReason}`,
        this.backend,
        { reason: this.unavailableReason },
      );
    }
  }
}
