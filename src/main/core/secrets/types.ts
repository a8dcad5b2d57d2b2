/**
 * The secrets layer (DESIGN: config < store < secrets): API keys live in the OS keychain
 * and nowhere else. Nothing in this module writes a secret to a file, a log or an error
 * message; there is deliberately no file-backed SecretStore.
 */

/** What a keychain backend says about itself; `reason` is a sentence for humans. */
export interface SecretStoreStatus {
  available: boolean;
  /** 'secret-service' (Linux), 'macos-keychain', 'windows-credential-manager', 'memory', … */
  backend: string;
  /** Why the keychain is unavailable, e.g. "no Secret Service on the session bus (is gnome-keyring or KeePassXC running?)". */
  reason?: string;
  /** The underlying error (never contains a secret), for logs and `--verbose` output. */
  detail?: string;
}

/** A place to keep secrets (API keys) by account name, e.g. `provider:openai`. */
export interface SecretStore {
  /** The secret for `account`, or null when there is none. Rejects (SecretStoreError) when the keychain cannot be used. */
  get(account: string): Promise<string | null>;
  /** Create or replace the secret for `account`. Rejects (SecretStoreError) when the keychain cannot be used. */
  set(account: string, secret: string): Promise<void>;
  /** Remove the secret; true when one was removed, false when there was none. */
  delete(account: string): Promise<boolean>;
  /** Whether the backend can be used right now; never rejects. */
  status(): Promise<SecretStoreStatus>;
}

/** A subset of the protocol's ErrorCode (src/shared/protocol/errors.ts), so faces can pass it through as is. */
export type SecretStoreErrorCode = 'unavailable' | 'timeout' | 'bad_request' | 'internal';

/**
 * Every failure of a SecretStore. The message says what failed and why; it never
 * contains the secret (KeyringSecretStore scrubs it out of native error text too).
 */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
  readonly code: SecretStoreErrorCode;
  readonly backend: string;
  /** The reason alone (without the "OS keychain … unavailable:" prefix), as status() reports it. */
  readonly reason: string;
  /** Underlying error text (scrubbed of the secret), for logs; not part of toJSON(). */
  readonly detail: string | undefined;

  constructor(code: SecretStoreErrorCode, message: string, backend: string, extra: { reason?: string; detail?: string } = {}) {
    super(message);
    this.code = code;
    this.backend = backend;
    this.reason = extra.reason ?? message;
    this.detail = extra.detail;
  }

  /** The boundary shape (`{code, message}`) used by HTTP, IPC and CLI JSON. */
  toJSON(): { code: SecretStoreErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

const MAX_ACCOUNT_LENGTH = 256;

/** Account names are short printable identifiers such as `provider:openai`. */
export function validateAccount(account: unknown, backend: string): asserts account is string {
  if (typeof account !== 'string' || account.trim().length === 0) {
    throw new SecretStoreError('bad_request', 'account must be a non-empty string', backend);
  }
  if (account.length > MAX_ACCOUNT_LENGTH) {
    throw new SecretStoreError('bad_request', `account must be at most ${MAX_ACCOUNT_LENGTH} characters`, backend);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(account)) {
    throw new SecretStoreError('bad_request', 'account must not contain control characters', backend);
  }
}

/** A secret is a non-empty string without NUL (keychains store C strings on some platforms). Never echoed. */
export function validateSecret(secret: unknown, backend: string): asserts secret is string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new SecretStoreError('bad_request', 'secret must be a non-empty string', backend);
  }
  if (secret.includes('\u0000')) {
    throw new SecretStoreError('bad_request', 'secret must not contain NUL characters', backend);
  }
}
