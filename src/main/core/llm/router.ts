import type { UsageRepository } from '../store';
import type { BudgetGuard } from './budget';
import type { LlmConfig, LlmTask } from './config';
import type { ModelCatalog } from './model-catalog';
import { LlmCallError, type CompletionRequest, type CompletionResult, type LlmProvider } from './provider';
import { PseudonymSessions, pseudonymiseMessages, RedactionSessions, redactMessages } from './redaction';
import { measureSent, type SentRecorder } from './sent-record';

export interface RoutedCompletion extends CompletionResult {
  provider: string;
  model: string;
  local: boolean;
  costUsd: number;
  /** Earlier candidates that failed, with why (shown to the operator). */
  skipped: string[];
  /** The request carried pseudonyms; content and tool-call arguments are already mapped back. */
  pseudonymised: boolean;
}

export class AllModelsFailedError extends Error {
  constructor(readonly reasons: string[]) {
    super(`no model could answer: ${reasons.join('; ')}`);
    this.name = 'AllModelsFailedError';
  }
}

export interface RouteOptions {
  task: LlmTask;
  /** A model the request asked for; tried first. */
  model?: string;
  conversationId: string | null;
  /** Only local providers (privacy: sensitive data). */
  localOnly?: boolean;
}

const BACKOFF_MS = [250, 1000, 2000];

/**
 * Picks the model per task, then walks the fallback chain on rate limits, server
 * errors and timeouts (with backoff), records every call's usage and cost, and
 * keeps remote models away once the budget cap is reached.
 */
export class ModelRouter {
  private readonly providers: Map<string, LlmProvider>;
  private readonly defaultModels = new Map<string, Promise<string | null>>();
  /** Told of every request as it leaves (bytes, placeholders by type, provider): the privacy report. */
  onSent: SentRecorder | null = null;

  constructor(
    providers: readonly LlmProvider[],
    private readonly config: LlmConfig,
    private readonly catalog: ModelCatalog,
    private readonly usage: UsageRepository,
    private readonly budget: BudgetGuard,
    /**
     * Secret redaction for remote providers, one session per conversation (privacy). The
     * composition root shares it with the store's redaction at rest, so a secret has the same
     * placeholder in the stored history and in the request that carries this turn's text.
     */
    private readonly redaction: RedactionSessions = new RedactionSessions(),
    /**
     * Pseudonyms for remote providers (host names and addresses, IPs, internal domains, users,
     * e-mail addresses), one session per conversation; none when not given.
     */
    private readonly pseudonyms: PseudonymSessions | null = null,
  ) {
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  budgetStatus(): { state: 'ok' | 'warning' | 'exceeded'; message: string | null } {
    const status = this.budget.status();
    return { state: status.state, message: status.message };
  }

  get available(): boolean {
    return this.providers.size > 0;
  }

  providerList(): LlmProvider[] {
    return [...this.providers.values()];
  }

  /** `provider/model` or a bare model on the first provider (model names may contain '/' for some servers). */
  resolve(ref: string): { provider: LlmProvider; model: string } | null {
    const slash = ref.indexOf('/');
    if (slash > 0) {
      const provider = this.providers.get(ref.slice(0, slash));
      if (provider) return { provider, model: ref.slice(slash + 1) };
    }
    const first = this.providers.values().next().value as LlmProvider | undefined;
    return first ? { provider: first, model: ref } : null;
  }

  /** A provider's default model: its first listed model (local servers), or gpt-4o-mini for OpenAI. */
  private async defaultModelFor(provider: LlmProvider, signal?: AbortSignal): Promise<string | null> {
    if (!provider.config.baseURL) return 'gpt-4o-mini';
    let pending = this.defaultModels.get(provider.name);
    if (!pending) {
      pending = provider.listModels(signal).then(
        (ids) => ids[0] ?? null,
        () => null,
      );
      this.defaultModels.set(provider.name, pending);
    }
    return pending;
  }

  private recordSent(sent: Parameters<SentRecorder>[0]): void {
    try {
      this.onSent?.(sent);
    } catch {
      // The ledger is a report; it never stops a request.
    }
  }

  async candidates(options: RouteOptions, signal?: AbortSignal): Promise<{ provider: LlmProvider; model: string }[]> {
    const refs = [options.model, this.config.models[options.task], this.config.models.chat, ...this.config.fallback].filter(
      (r): r is string => typeof r === 'string' && r.length > 0,
    );
    const list: { provider: LlmProvider; model: string }[] = [];
    for (const ref of refs) {
      const resolved = this.resolve(ref);
      if (resolved) list.push(resolved);
    }
    if (list.length === 0) {
      for (const provider of this.providers.values()) {
        const model = await this.defaultModelFor(provider, signal);
        if (model) list.push({ provider, model });
      }
    }
    const seen = new Set<string>();
    return list.filter((c) => {
      const key = `${c.provider.name}/${c.model}`;
      if (seen.has(key) || (options.localOnly && !c.provider.local)) return false;
      seen.add(key);
      return true;
    });
  }

  async complete(options: RouteOptions, request: Omit<CompletionRequest, 'model'>): Promise<RoutedCompletion> {
    const reasons: string[] = [];
    const candidates = await this.candidates(options, request.signal);
    if (candidates.length === 0) {
      throw new AllModelsFailedError([options.localOnly ? 'no local model is configured for sensitive data' : 'no model is configured']);
    }
    const budget = this.budget.status();
    for (const [index, { provider, model }] of candidates.entries()) {
      const label = `${provider.name}/${model}`;
      if (!provider.local && budget.state === 'exceeded') {
        reasons.push(`${label}: ${budget.message}`);
        continue;
      }
      if (options.conversationId && !provider.local && this.budget.conversationTokensLeft(options.conversationId) <= 0) {
        reasons.push(`${label}: this conversation reached its token cap`);
        continue;
      }
      try {
        // Nothing leaves for a remote model unredacted: secrets become [REDACTED:type#n] placeholders,
        // stable within the conversation. Local providers (`local: true`) get the text as it is.
        let messages = provider.local ? request.messages : redactMessages(request.messages, this.redaction.for(options.conversationId));
        // Then names become pseudonyms (host-1, ip-3, user-2), after redaction so that no value the
        // pseudonymiser can map back is a secret. The answer is mapped back before anyone sees it:
        // streamed tokens, the final text and tool-call arguments.
        const vocabulary = provider.local ? null : (this.pseudonyms?.current() ?? null);
        const session = vocabulary ? this.pseudonyms!.for(options.conversationId) : null;
        if (session && vocabulary) messages = pseudonymiseMessages(messages, session, vocabulary);
        const stream = session && request.onToken ? session.revealStream(request.onToken) : null;
        // The privacy ledger: what leaves, measured as sent, with the pseudonyms issued per kind.
        this.recordSent({ conversationId: options.conversationId, provider: provider.name, model, local: provider.local, ...measureSent(messages), ...(session ? { pseudonyms: session.counts() } : {}) });
        let result = await provider.complete({ ...request, messages, model, onToken: stream ? (text) => stream.push(text) : request.onToken });
        if (session) {
          stream?.flush();
          result = {
            ...result,
            content: session.reveal(result.content).text,
            toolCalls: result.toolCalls.map((call) => {
              const revealed = session.revealJson(call.arguments);
              return { ...call, arguments: revealed.text, ...(revealed.unknown.length ? { unknownPseudonyms: revealed.unknown } : {}) };
            }),
          };
        }
        const tokens = result.usage ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
        const costUsd = provider.local ? 0 : this.catalog.costUsd(model, tokens);
        this.usage.record({ provider: provider.name, model, task: options.task, conversationId: options.conversationId, ...tokens, costUsd, latencyMs: result.latencyMs, ttftMs: result.ttftMs, local: provider.local, ok: true, error: null });
        return { ...result, provider: provider.name, model, local: provider.local, costUsd, skipped: reasons, pseudonymised: session !== null };
      } catch (err) {
        const error = err instanceof LlmCallError ? err : new LlmCallError('bad_response', String(err));
        this.usage.record({ provider: provider.name, model, task: options.task, conversationId: options.conversationId, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: 0, latencyMs: 0, ttftMs: null, local: provider.local, ok: false, error: error.message });
        if (error.kind === 'cancelled') throw error;
        reasons.push(`${label}: ${error.message}`);
        if (!error.retryable && error.kind !== 'auth' && error.kind !== 'bad_request') throw error;
        if (index < candidates.length - 1 && error.kind === 'rate_limited') {
          await sleep(BACKOFF_MS[Math.min(index, BACKOFF_MS.length - 1)] as number, request.signal);
        }
      }
    }
    throw new AllModelsFailedError(reasons);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
