import type { ApiError, ChatEvent, ChatRequest, ChatResponse, Engine, ToolCallRecord, Usage } from '../../../shared/protocol';
import { SelectorError, type Inventory } from '../fleet';
import type { ConversationRepository } from '../store';
import type { EngineAnswer, EngineRequest } from './offline-engine';
import { ConversationEvents } from './conversation-events';
import { createHash } from 'node:crypto';
import { noAudit, type AuditSink } from '../safety';

/** An engine answers one user turn; the offline engine today, the model agent with its issue. */
export interface ChatEngine {
  readonly kind: Engine;
  answer(request: EngineRequest): Promise<EngineAnswer>;
}

export class ChatError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'ChatError';
  }
}

export interface ChatCallOptions {
  /** Which face asked (`http`, `cli`, `desktop`), for the audit log. */
  actor?: string;
  onEvent?: (event: ChatEvent) => void;
  signal?: AbortSignal;
}

const ZERO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null };

/**
 * One user turn: find or start the conversation, store the question before any work
 * (a crash loses at most the answer in flight), let the engine answer through the
 * tools, stream typed events, and store the answer with its tool calls.
 */
export class ChatService {
  /** Turns in progress per conversation, so the UI, API and CLI can cancel them. */
  private readonly inflight = new Map<string, Set<AbortController>>();

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly inventory: Inventory,
    private readonly engine: ChatEngine,
    readonly events: ConversationEvents = new ConversationEvents(),
    private readonly audit: AuditSink = noAudit,
  ) {}

  get engineKind(): Engine {
    return this.engine.kind;
  }

  /** Cancels every turn in progress in a conversation; true when there was one. */
  cancel(conversationId: string): boolean {
    const controllers = this.inflight.get(conversationId);
    if (!controllers || controllers.size === 0) return false;
    for (const c of controllers) c.abort();
    return true;
  }

  async chat(request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResponse> {
    const existing = request.conversationId ? this.conversations.get(request.conversationId) : null;
    if (request.conversationId && !existing) {
      throw new ChatError({ code: 'not_found', message: `no conversation with id ${request.conversationId}` });
    }
    if (request.host) {
      try {
        this.inventory.select(request.host);
      } catch (err) {
        if (err instanceof SelectorError) throw new ChatError({ code: 'unknown_host', message: err.message });
        throw err;
      }
    }
    const question = { role: 'user' as const, content: request.message };
    let conversation;
    if (existing) {
      if (request.host && request.host !== existing.host) this.conversations.setHost(existing.id, request.host);
      this.conversations.appendMessage(existing.id, question);
      conversation = existing;
    } else {
      conversation = this.conversations.createWithMessage({ title: request.message, host: request.host ?? null }, question).conversation;
    }
    // The words themselves are in the conversation; the audit log keeps their fingerprint.
    this.audit.record({
      kind: 'request',
      actor: options.actor ?? 'chat',
      subject: conversation.id,
      data: { messageSha256: createHash('sha256').update(request.message).digest('hex'), length: request.message.length, host: request.host ?? null, model: request.model ?? null, engine: this.engine.kind },
    });
    return this.runTurn(conversation.id, request.message, request.host ?? conversation.host ?? null, request, options, conversation.host);
  }

  /**
   * Continues a conversation without a new question from the operator: a decided
   * approval's outcome is stored as a tool message and the engine answers from it.
   * Events go to everyone watching the conversation.
   */
  async resume(conversationId: string, note: { content: string; toolCalls: ToolCallRecord[] }): Promise<ChatResponse | null> {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return null;
    this.conversations.appendMessage(conversationId, { role: 'tool', content: note.content, toolCalls: note.toolCalls });
    for (const call of note.toolCalls) this.events.publish({ type: 'tool_result', conversationId, call });
    return this.runTurn(conversationId, note.content, conversation.host, { message: note.content }, {}, conversation.host, true);
  }

  private async runTurn(
    conversationId: string,
    message: string,
    host: string | null,
    request: Pick<ChatRequest, 'message' | 'model' | 'host'>,
    options: ChatCallOptions,
    conversationHost: string | null,
    resumed = false,
  ): Promise<ChatResponse> {
    const emit = (event: ChatEvent) => {
      options.onEvent?.(event);
      this.events.publish(event);
    };

    const controller = new AbortController();
    const forwardAbort = () => controller.abort();
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    const running = this.inflight.get(conversationId) ?? new Set<AbortController>();
    running.add(controller);
    this.inflight.set(conversationId, running);
    const signal = controller.signal;

    let answer: EngineAnswer;
    try {
      answer = await this.engine.answer({
        message,
        host,
        conversationId,
        resumed,
        signal,
        model: request.model,
        onToolStart: (call) => emit({ type: 'tool_call', conversationId, ...call }),
        onToolResult: (call) => emit({ type: 'tool_result', conversationId, call }),
        onToken: (text) => emit({ type: 'token', conversationId, text }),
        onApproval: (approval) => emit({ type: 'approval_required', conversationId, approval }),
      });
    } catch (err) {
      const cancelled = signal.aborted;
      const error: ApiError = cancelled
        ? { code: 'cancelled', message: 'the request was cancelled' }
        : { code: 'internal', message: `the ${this.engine.kind} engine failed: ${(err as Error).message}` };
      emit({ type: 'error', conversationId, error });
      if (cancelled) this.conversations.appendMessage(conversationId, { role: 'assistant', content: '(cancelled by the operator)', engine: this.engine.kind });
      throw new ChatError(error);
    } finally {
      options.signal?.removeEventListener('abort', forwardAbort);
      running.delete(controller);
      if (running.size === 0) this.inflight.delete(conversationId);
    }
    if (signal.aborted) {
      const error: ApiError = { code: 'cancelled', message: 'the request was cancelled' };
      emit({ type: 'error', conversationId, error });
      this.conversations.appendMessage(conversationId, { role: 'assistant', content: `${answer.reply}\n\n(cancelled by the operator)`, engine: answer.engine ?? this.engine.kind, toolCalls: answer.toolCalls });
      throw new ChatError(error);
    }

    // The offline answer is complete at once; streaming it by line keeps one event contract for both engines.
    if (!answer.streamed) {
      for (const piece of answer.reply.match(/[^\n]*\n|[^\n]+$/g) ?? []) emit({ type: 'token', conversationId, text: piece });
    }
    const engine = answer.engine ?? this.engine.kind;
    const usage = answer.usage ?? ZERO_USAGE;

    const stored = this.conversations.appendMessage(conversationId, {
      role: 'assistant',
      content: answer.reply,
      engine,
      toolCalls: answer.toolCalls,
    });
    if (answer.host && answer.host !== conversationHost && !request.host) this.conversations.setHost(conversationId, answer.host);

    const response: ChatResponse = {
      conversationId,
      messageId: stored.id,
      reply: answer.reply,
      engine,
      toolCalls: answer.toolCalls,
      pendingApprovals: answer.pendingApprovals ?? [],
      usage,
    };
    emit({ type: 'usage', conversationId, usage });
    emit({ type: 'done', conversationId, response });
    return response;
  }
}

