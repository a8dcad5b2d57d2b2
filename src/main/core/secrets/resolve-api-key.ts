import { redactSecret } from './redact';
import { SecretStoreError, type SecretStore, type SecretStoreStatus } from './types';

/** The environment variable the openai SDK itself reads. */
export const OPENAI_API_KEY_ENV = 'OPENAI_API_KEY';

export type ApiKeySource = 'keychain' | 'env' | 'none';

interface ResolutionBase {
  /** What the keychain said (available, backend, reason). */
  keychain: SecretStoreStatus;
  /**
   * A sentence for the user when something is not as it should be: the keychain is
   * unavailable (and why), or could not be read. Never contains the key.
   */
  warning?: string;
}

export type ApiKeyResolution =
  | (ResolutionBase & {
      source: 'keychain';
      /** The key. Non-enumerable: JSON.stringify, pino and util.inspect leave it out. */
      readonly apiKey: string;
      /** Masked form for display, e.g. `sk-…abcd`. */
      masked: string;
      account: string;
    })
  | (ResolutionBase & { source: 'env'; readonly apiKey: string; masked: string; envVar: string })
  | (ResolutionBase & { source: 'none'; readonly apiKey: null; masked: '' });

export interface ResolveApiKeyOptions {
  store: SecretStore;
  /** Keychain account, e.g. `provider:openai`. */
  account: string;
  /** Environment to read the fallback from. Default process.env. */
  env?: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** Fallback variable. Default OPENAI_API_KEY. */
  envVar?: string;
}

function withHiddenKey<T extends object, K extends string | null>(result: T, apiKey: K): T & { readonly apiKey: K } {
  Object.defineProperty(result, 'apiKey', { value: apiKey, enumerable: false, writable: false });
  return result as T & { readonly apiKey: K };
}

/**
 * Where the API key comes from: the OS keychain first, then the environment variable
 * (`OPENAI_API_KEY`). When the keychain is unavailable the result says so in `warning`
 * (with the reason); there is no third place: keys are never read from or written to a
 * plain file. Never rejects: keychain errors become a warning.
 */
export async function resolveApiKey(options: ResolveApiKeyOptions): Promise<ApiKeyResolution> {
  const { store, account } = options;
  const env = options.env ?? process.env;
  const envVar = options.envVar ?? OPENAI_API_KEY_ENV;

  let keychain = await store.status().catch(
    (): SecretStoreStatus => ({ available: false, backend: 'unknown', reason: 'the keychain status could not be read' }),
  );
  let keychainProblem: string | undefined;
  if (keychain.available) {
    try {
      const secret = await store.get(account);
      if (secret) {
        return withHiddenKey({ source: 'keychain' as const, masked: redactSecret(secret), account, keychain }, secret);
      }
    } catch (err) {
      const reason = err instanceof SecretStoreError ? err.reason : 'unexpected error';
      keychain = { ...keychain, available: false, reason };
      keychainProblem = `could not read the API key for "${account}" from the OS keychain (${keychain.backend}): ${reason}`;
    }
  } else {
    keychainProblem = `OS keychain (${keychain.backend}) unavailable: ${keychain.reason ?? 'no reason given'}`;
  }

  const fromEnv = env[envVar]?.trim();
  if (fromEnv) {
    const result = { source: 'env' as const, masked: redactSecret(fromEnv), envVar, keychain };
    if (keychainProblem) {
      Object.assign(result, {
        warning: `${keychainProblem}. Using ${envVar} from the environment; Fleetmind never stores API keys in a file.`,
      });
    }
    return withHiddenKey(result, fromEnv);
  }

  const none = { source: 'none' as const, masked: '' as const, keychain };
  if (keychainProblem) {
    Object.assign(none, {
      warning: `${keychainProblem}, and ${envVar} is not set: no API key (Fleetmind never stores API keys in a file). Start a keychain (e.g. gnome-keyring) or set ${envVar}.`,
    });
  }
  return withHiddenKey(none, null);
}
