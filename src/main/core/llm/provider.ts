import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type OpenAIClient from 'openai';
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ProviderConfig } from './config';

export type ChatMessage = ChatCompletionMessageParam;
export type ToolSpec = ChatCompletionTool;

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  /** JSON Schema for a structured final answer (response_format json_schema). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  maxTokens?: number;
  signal?: AbortSignal;
  onToken?: (text: string) => void;
}

export interface AssembledToolCall {
  id: string;
  name: string;
  /** Raw argument text as the model wrote it; validated by the caller. */
  arguments: string;
  /**
   * Set by the router when the request carried pseudonyms: pseudonym-shaped names in the
   * arguments that this conversation never issued (invented or borrowed). The call must be refused.
   */
  unknownPseudonyms?: string[];
}

export interface CompletionResult {
  content: string;
  toolCalls: AssembledToolCall[];
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number } | null;
  ttftMs: number | null;
  latencyMs: number;
}

export type LlmErrorKind = 'rate_limited' | 'server_error' | 'timeout' | 'connection' | 'auth' | 'bad_request' | 'cancelled' | 'bad_response';

/** A failed model call, classified so the router knows whether to try the next model. */
export class LlmCallError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmCallError';
  }

  get retryable(): boolean {
    return ['rate_limited', 'server_error', 'timeout', 'connection', 'bad_response'].includes(this.kind);
  }
}

type OpenAIModule = typeof OpenAIClient;
let sdk: OpenAIModule | null = null;

/** The SDK is loaded only when a provider is configured, keeping the offline default lean. */
function openai(): OpenAIModule {
  sdk ??= createRequire(import.meta.url)('openai') as OpenAIModule;
  return sdk;
}

function classify(err: unknown, idleTimedOut: boolean, userAborted: boolean): LlmCallError {
  if (err instanceof LlmCallError) return err;
  if (userAborted) return new LlmCallError('cancelled', 'cancelled');
  if (idleTimedOut) return new LlmCallError('timeout', 'the model stream stalled (no data within the idle timeout)');
  const OpenAI = openai();
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new LlmCallError('timeout', 'the model did not answer in time');
  if (err instanceof OpenAI.APIUserAbortError) return new LlmCallError('cancelled', 'cancelled');
  if (err instanceof OpenAI.APIConnectionError) return new LlmCallError('connection', `cannot reach the model server: ${err.message}`);
  if (err instanceof OpenAI.APIError) {
    const status = err.status ?? 0;
    // The SDK's message can quote the request; keep only status and the server's own error text.
    const text = (err.error as { message?: string } | undefined)?.message ?? err.message;
    if (status === 429) return new LlmCallError('rate_limited', `rate limited (429): ${text}`, status);
    if (status === 401 || status === 403) return new LlmCallError('auth', `the model server refused the API key (${status})`, status);
    if (status >= 500) return new LlmCallError('server_error', `model server error (${status}): ${text}`, status);
    if (status >= 400) return new LlmCallError('bad_request', `model server rejected the request (${status}): ${text}`, status);
    return new LlmCallError('bad_response', `unexpected answer from the model server: ${text}`, status);
  }
  if (err instanceof SyntaxError) return new LlmCallError('bad_response', `the model server sent invalid data: ${err.message}`);
  return new LlmCallError('bad_response', (err as Error).message ?? String(err));
}

/** Where a provider's key comes from (keychain, the SDK's env var, or none); asked on first use only. */
export type ApiKeySource = () => Promise<string | null>;

/** One OpenAI-compatible endpoint, used through the `openai` SDK only. */
export class LlmProvider {
  private clientPromise: Promise<OpenAIClient> | null = null;

  constructor(
    readonly config: ProviderConfig,
    private readonly apiKey: ApiKeySource,
    private readonly options: { timeoutMs: number; maxRetries: number; streamIdleTimeoutMs: number },
  ) {}

  /** The SDK client, created with the key on first use so start-up never touches the keychain. */
  private client(): Promise<OpenAIClient> {
    this.clientPromise ??= this.apiKey().then((key) => {
      const OpenAI = openai();
      return new OpenAI({
        // Local servers accept any key; the SDK insists on one.
        apiKey: key ?? 'not-needed',
        baseURL: this.config.baseURL,
        timeout: this.options.timeoutMs,
        maxRetries: this.options.maxRetries,
      });
    });
    return this.clientPromise;
  }

  get name(): string {
    return this.config.name;
  }

  get local(): boolean {
    return this.config.local === true;
  }

  async listModels(signal?: AbortSignal): Promise<string[]> {
    try {
      const ids: string[] = [];
      const client = await this.client();
      for await (const model of client.models.list({ signal })) ids.push(model.id);
      return ids;
    } catch (err) {
      throw classify(err, false, signal?.aborted ?? false);
    }
  }

  /** Streams a completion (for time to first token) and reassembles text and tool calls. */
  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    request.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (request.signal?.aborted) controller.abort();
    let idleTimedOut = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idleTimedOut = true;
        controller.abort();
      }, this.options.streamIdleTimeoutMs);
    };

    const params: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(request.tools && request.tools.length > 0 ? { tools: request.tools, parallel_tool_calls: true } : {}),
      ...(request.maxTokens ? { max_completion_tokens: request.maxTokens } : {}),
      ...(request.jsonSchema
        ? { response_format: { type: 'json_schema', json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: false } } }
        : {}),
    };

    let content = '';
    let finishReason: string | null = null;
    let usage: CompletionResult['usage'] = null;
    let ttftMs: number | null = null;
    const calls = new Map<number, AssembledToolCall>();
    try {
      armIdle();
      const client = await this.client();
      const stream = await client.chat.completions.create(params, { signal: controller.signal });
      for await (const chunk of stream) {
        armIdle();
        if (chunk.usage) {
          usage = {
            promptTokens: chunk.usage.prompt_tokens ?? 0,
            completionTokens: chunk.usage.completion_tokens ?? 0,
            cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
          };
        }
        for (const choice of chunk.choices ?? []) {
          const delta = choice.delta;
          if (delta?.content) {
            if (ttftMs === null) ttftMs = performance.now() - started;
            content += delta.content;
            request.onToken?.(delta.content);
          }
          for (const part of delta?.tool_calls ?? []) {
            if (ttftMs === null) ttftMs = performance.now() - started;
            const existing = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
            if (part.id) existing.id = part.id;
            if (part.function?.name) existing.name += part.function.name;
            if (part.function?.arguments) existing.arguments += part.function.arguments;
            calls.set(part.index, existing);
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
    } catch (err) {
      throw classify(err, idleTimedOut, request.signal?.aborted ?? false);
    } finally {
      clearTimeout(idleTimer);
      request.signal?.removeEventListener('abort', onOuterAbort);
    }
    // An aborted or cut-off stream ends the loop quietly: only finish_reason proves the answer is whole.
    if (request.signal?.aborted) throw new LlmCallError('cancelled', 'cancelled');
    if (idleTimedOut) throw new LlmCallError('timeout', 'the model stream stalled (no data within the idle timeout)');
    if (finishReason === null) throw new LlmCallError('bad_response', 'the model stream ended before the answer was complete');
    const toolCalls = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    return { content, toolCalls, finishReason, usage, ttftMs, latencyMs: performance.now() - started };
  }
}
