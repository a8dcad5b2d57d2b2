import { redactSecret, resolveApiKey, type SecretStore } from '../secrets';
import type { SettingsRepository } from '../store';
import { noAudit, type AuditSink } from '../safety';
import { ProviderConfigSchema, type LlmConfig, type ProviderConfig } from './config';

const SETTINGS_KEY = 'llm.providers';

export function keychainAccount(provider: string): string {
  return `provider:${provider}`;
}

export interface ProviderView extends ProviderConfig {
  /** Where the provider comes from: the config file, added at run time, or the environment. */
  origin: 'file' | 'settings' | 'env';
  key: { source: 'keychain' | 'env' | 'none'; masked: string | null; warning: string | null };
}

export class ProviderSettingsError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'ProviderSettingsError';
  }
}

/**
 * Providers from the config file, those added from the CLI/API/UI (kept in the store's
 * settings), and the SDK's environment (OPENAI_API_KEY, OPENAI_BASE_URL) when nothing
 * else is configured. Keys go to the OS keychain only; OPENAI_API_KEY is offered only to
 * the provider the environment itself describes, never to another endpoint.
 */
export class ProviderSettings {
  constructor(
    private readonly config: LlmConfig,
    private readonly settings: SettingsRepository,
    private readonly secrets: SecretStore,
    private readonly env: NodeJS.ProcessEnv,
    private readonly audit: AuditSink = noAudit,
  ) {}

  private stored(): ProviderConfig[] {
    const raw = this.settings.get<unknown[]>(SETTINGS_KEY) ?? [];
    return raw.flatMap((r) => {
      const parsed = ProviderConfigSchema.safeParse(r);
      return parsed.success ? [parsed.data] : [];
    });
  }

  private fromEnv(): ProviderConfig | null {
    if (this.env.OPENAI_BASE_URL) {
      const url = new URL(this.env.OPENAI_BASE_URL);
      const local = ['localhost', '127.0.0.1', '[::1]', '::1'].includes(url.hostname);
      return { name: local ? 'local' : 'openai', baseURL: this.env.OPENAI_BASE_URL, local };
    }
    if (this.env.OPENAI_API_KEY) return { name: 'openai' };
    return null;
  }

  /** The providers in effect, each with its origin. */
  effective(): (ProviderConfig & { origin: ProviderView['origin'] })[] {
    const list: (ProviderConfig & { origin: ProviderView['origin'] })[] = [
      ...this.config.providers.map((p) => ({ ...p, origin: 'file' as const })),
      ...this.stored().map((p) => ({ ...p, origin: 'settings' as const })),
    ];
    const env = this.fromEnv();
    if (list.length === 0 && env) list.push({ ...env, origin: 'env' });
    return list;
  }

  /** The key for a provider: keychain first; the SDK's env var only for the provider it belongs to. */
  apiKeySource(provider: ProviderConfig & { origin: ProviderView['origin'] }): () => Promise<string | null> {
    const envUsable = provider.origin === 'env' || (provider.name === 'openai' && !provider.baseURL);
    return async () => {
      const resolved = await resolveApiKey({
        store: this.secrets,
        account: provider.apiKeyAccount ?? keychainAccount(provider.name),
        env: envUsable ? this.env : {},
      });
      return resolved.apiKey;
    };
  }

  async list(): Promise<ProviderView[]> {
    return Promise.all(
      this.effective().map(async (p) => {
        const envUsable = p.origin === 'env' || (p.name === 'openai' && !p.baseURL);
        const resolved = await resolveApiKey({ store: this.secrets, account: p.apiKeyAccount ?? keychainAccount(p.name), env: envUsable ? this.env : {} });
        return {
          ...p,
          key: { source: resolved.source, masked: resolved.apiKey ? redactSecret(resolved.apiKey) : null, warning: resolved.warning ?? null },
        };
      }),
    );
  }

  async add(input: ProviderConfig, apiKey: string | null): Promise<void> {
    const parsed = ProviderConfigSchema.safeParse(input);
    if (!parsed.success) throw new ProviderSettingsError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'provider'}: ${i.message}`).join('; '));
    if (this.config.providers.some((p) => p.name === parsed.data.name)) {
      throw new ProviderSettingsError('conflict', `provider "${parsed.data.name}" is defined in the config file; edit it there`);
    }
    if (apiKey) {
      const status = await this.secrets.status();
      if (!status.available) {
        throw new ProviderSettingsError('unavailable', `cannot store the API key: ${status.reason ?? 'no OS keychain'}. Keys are never written to a file; set OPENAI_API_KEY in the environment instead.`);
      }
      await this.secrets.set(parsed.data.apiKeyAccount ?? keychainAccount(parsed.data.name), apiKey);
    }
    const others = this.stored().filter((p) => p.name !== parsed.data.name);
    this.settings.set(SETTINGS_KEY, [...others, parsed.data]);
    // The key is never audited, only that one was stored.
    this.audit.record({ kind: 'settings', actor: 'operator', subject: 'providers.add', data: { ...parsed.data, apiKeyStored: apiKey !== null } });
  }

  async remove(name: string): Promise<void> {
    const stored = this.stored();
    const found = stored.find((p) => p.name === name);
    if (!found) throw new ProviderSettingsError('not_found', `no provider "${name}" was added here${this.config.providers.some((p) => p.name === name) ? ' (it is in the config file)' : ''}`);
    this.settings.set(SETTINGS_KEY, stored.filter((p) => p.name !== name));
    this.audit.record({ kind: 'settings', actor: 'operator', subject: 'providers.remove', data: { name } });
    const status = await this.secrets.status();
    if (status.available) await this.secrets.delete(found.apiKeyAccount ?? keychainAccount(name));
  }
}
