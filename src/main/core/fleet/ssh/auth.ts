import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { ParsedKey } from 'ssh2';
import type { SecretStore } from '../../secrets';
import { ssh2 } from './ssh2-module';

/**
 * Asked for the passphrase of an encrypted private key. Return null to skip the key.
 * Implementations: a prompt in a face (CLI: terminal without echo; UI: a dialog), or the
 * OS keychain (`keychainPassphrases`). Fleetmind never writes a passphrase anywhere: a
 * decrypted key lives in memory for the pool's lifetime, like ssh-agent does.
 */
export type PassphraseProvider = (request: { keyPath: string; hostName: string; attempt: number }) => Promise<string | null>;

/** The keychain account under which a key's passphrase is kept (secrets module). */
export function passphraseAccount(keyPath: string): string {
  return `ssh-key-passphrase:${keyPath}`;
}

/** Passphrases from the OS keychain (account `ssh-key-passphrase:<key path>`); a wrong one is not asked again. */
export function keychainPassphrases(store: SecretStore): PassphraseProvider {
  return async ({ keyPath, attempt }) => (attempt > 1 ? null : store.get(passphraseAccount(keyPath)).catch(() => null));
}

/** First provider that has an answer wins (e.g. keychain, then a prompt). */
export function firstPassphrase(...providers: (PassphraseProvider | null | undefined)[]): PassphraseProvider {
  return async (request) => {
    for (const p of providers) {
      const answer = p ? await p(request) : null;
      if (answer !== null) return answer;
    }
    return null;
  };
}

export function defaultIdentityFiles(home = homedir()): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519_sk', 'id_rsa'].map((f) => join(home, '.ssh', f));
}

export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

const MAX_PASSPHRASE_ATTEMPTS = 3;

export type LoadedIdentity = { ok: true; key: ParsedKey } | { ok: false; reason: string };

/**
 * Loads private keys once per path and keeps the parsed (decrypted) key in memory.
 * Concurrent connections needing the same encrypted key share one passphrase request.
 */
export class IdentityCache {
  private readonly loaded = new Map<string, Promise<LoadedIdentity>>();

  constructor(private readonly passphrase: PassphraseProvider | null) {}

  load(path: string, hostName: string): Promise<LoadedIdentity> {
    const full = expandHome(path);
    let pending = this.loaded.get(full);
    if (!pending) {
      pending = this.read(full, hostName);
      this.loaded.set(full, pending);
      // A key that could not be unlocked may be unlocked later (keychain filled in, prompt answered).
      void pending.then((r) => {
        if (!r.ok) this.loaded.delete(full);
      });
    }
    return pending;
  }

  private async read(path: string, hostName: string): Promise<LoadedIdentity> {
    if (!isAbsolute(path)) return { ok: false, reason: `${path}: identity file paths must be absolute` };
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      return { ok: false, reason: `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}` };
    }
    const plain = ssh2().utils.parseKey(data);
    if (!(plain instanceof Error)) return usable(path, plain);
    if (!/encrypted|passphrase/i.test(plain.message)) return { ok: false, reason: `${path}: not a private key Fleetmind can use (${plain.message})` };
    if (!this.passphrase) {
      return {
        ok: false,
        reason: `${path} is encrypted and no passphrase source is configured: add it to ssh-agent (ssh-add) or keep its passphrase in the OS keychain`,
      };
    }
    for (let attempt = 1; attempt <= MAX_PASSPHRASE_ATTEMPTS; attempt++) {
      const passphrase = await this.passphrase({ keyPath: path, hostName, attempt });
      if (passphrase === null) return { ok: false, reason: `${path} is encrypted and no passphrase was given` };
      const parsed = ssh2().utils.parseKey(data, passphrase);
      if (!(parsed instanceof Error)) return usable(path, parsed);
    }
    return { ok: false, reason: `${path}: wrong passphrase (${MAX_PASSPHRASE_ATTEMPTS} attempts)` };
  }
}

function usable(path: string, parsed: ParsedKey | ParsedKey[]): LoadedIdentity {
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return { ok: false, reason: `${path} holds no private key` };
  return { ok: true, key };
}

export interface AuthPlan {
  username: string;
  /** In order: the host's identity file, then the agent; without one: agent, then default key files. */
  steps: ({ kind: 'agent'; socket: string } | { kind: 'key'; path: string })[];
}

export function planAuth(options: {
  username: string;
  identityFile: string | null;
  agentSocket: string | null;
  defaultIdentityFiles: readonly string[];
}): AuthPlan {
  const steps: AuthPlan['steps'] = [];
  const agent = options.agentSocket ? [{ kind: 'agent' as const, socket: options.agentSocket }] : [];
  if (options.identityFile) {
    steps.push({ kind: 'key', path: expandHome(options.identityFile) }, ...agent);
  } else {
    steps.push(...agent, ...options.defaultIdentityFiles.filter((f) => existsSync(f)).map((path) => ({ kind: 'key' as const, path })));
  }
  return { username: options.username, steps };
}
