import type { ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { toJSONSchema, type ZodType } from 'zod';
import type { PendingApproval, ToolCallRecord, Usage } from '../../../shared/protocol';
import { mapBounded, type Inventory } from '../fleet';
import { AllModelsFailedError, LlmCallError, type ChatMessage, type LlmConfig, type ModelCatalog, type ModelRouter, type RoutedCompletion, type ToolSpec } from '../llm';
import type { ConversationRepository } from '../store';
import type { ToolRunner } from '../tools';
import { capToolResult, extractPinnedFacts, historyToModelMessages, pruneToFit } from './context';
import type { EngineAnswer, EngineRequest, OfflineEngine } from './offline-engine';
import { allowsRunCommand, classifyRequest, taskFor, type RequestKind } from './request-kind';
import { buildSystemPrompt } from './system-prompt';

const MAX_INVALID_TOOL_CALLS = 3;
/** Tokens kept free below the window for the answer and for tokenizer differences between model families. */
const SAFETY_MARGIN = 0.1;

/**
 * The model-driven agent: the conversation and the fleet as context, the core tools
 * (JSON Schema from zod), parallel tool calls through the same ToolRunner as the
 * offline engine (so the same safety gate), a step limit, and the offline engine as
 * the last fallback when no model can answer.
 */
export class ModelEngine {
  readonly kind = 'model' as const;

  constructor(
    private readonly router: ModelRouter,
    private readonly tools: ToolRunner,
    private readonly inventory: Inventory,
    private readonly conversations: ConversationRepository,
    private readonly offline: OfflineEngine,
    private readonly catalog: ModelCatalog,
    private readonly config: LlmConfig,
  ) {}

  toolSpecs(kind: RequestKind): ToolSpec[] {
    return this.tools.registry
      .schemas()
      .filter((t) => t.name !== 'run_command' || allowsRunCommand(kind))
      .map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }

  /** Hosts marked local_only must never reach a remote model: their conversations use the sensitive (local) route. */
  private touchesLocalOnlyHost(selector: string | null, message = ''): boolean {
    const localOnly = this.inventory.list().filter((h) => h.privacy === 'local_only');
    if (localOnly.length === 0) return false;
    const words = new Set((message.toLowerCase().match(/[a-z0-9][a-z0-9._-]*/g) ?? []).map((w) => w.replace(/\.+$/, '')));
    if (localOnly.some((h) => words.has(h.name.toLowerCase()))) return true;
    try {
      return this.inventory.select(selector ?? 'localhost').some((h) => h.privacy === 'local_only');
    } catch {
      return false;
    }
  }

  async answer(request: EngineRequest): Promise<EngineAnswer> {
    const kind = classifyRequest(request.message);
    const localOnly = this.touchesLocalOnlyHost(request.host, request.message);
    const task = localOnly ? 'sensitive' : taskFor(kind);
    const conversationId = request.conversationId;
    const memory = this.conversations.memory(conversationId);
    const pinned = extractPinnedFacts(request.message, memory.pinned);
    if (pinned.join('\n') !== memory.pinned.join('\n')) this.conversations.setPinned(conversationId, pinned);
    const tools = this.toolSpecs(kind);
    const allowedTools = new Set(tools.map((t) => (t as { function: { name: string } }).function.name));

    const history = this.conversations.messagesAfter(conversationId, memory.summaryUptoSeq);
    const system = (summary: string | null): ChatMessage => ({
      role: 'system',
      content: buildSystemPrompt({ hosts: this.inventory.list(), conversationHost: request.host, kind, pinned, summary, now: new Date() }),
    });
    const historyMessages = historyToModelMessages(history.map((h) => h.message));
    // The store keeps this turn's text redacted (privacy at rest); the model gets it as it was
    // written: a local model may see secrets, and for a remote one the router redacts it with
    // the conversation's session, which gives the placeholders the store used.
    const current = history.at(-1)?.message;
    if (current && (current.role === 'user' || current.role === 'tool') && historyMessages.length > 0) {
      historyMessages[historyMessages.length - 1] = historyToModelMessages([{ ...current, content: request.message }])[0] as ChatMessage;
    }
    let messages: ChatMessage[] = [system(memory.summary), ...historyMessages];
    // ChatService stored the question before calling us: it is the last history message.
    let currentTurnStart = messages.length - 1;

    const toolCalls: ToolCallRecord[] = [];
    const approvals: PendingApproval[] = [];
    const usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null };
    const replyParts: string[] = [];
    let invalidCalls = 0;
    let summarised = false;
    let finished = false;

    try {
      for (let step = 0; step < this.config.maxSteps && !finished; step++) {
        const candidates = await this.router.candidates({ task, model: request.model, conversationId, localOnly }, request.signal);
        const info = this.catalog.info(candidates[0]?.model ?? '');
        const limit = Math.floor((info.contextWindow - info.maxOutputTokens) * (1 - SAFETY_MARGIN));
        let pruned = pruneToFit(messages, currentTurnStart, limit);
        if (pruned.dropped.length > 0 && !summarised) {
          summarised = true;
          const summary = await this.summarise(memory.summary, pruned.dropped, conversationId, localOnly, request.signal);
          // Dropped turns are the oldest history messages: mark the store so later turns start after them.
          const droppedHistory = pruned.dropped.filter((m) => m.role === 'user' || m.role === 'assistant').length;
          const lastDropped = history[Math.min(droppedHistory, history.length) - 1];
          if (lastDropped) this.conversations.setSummary(conversationId, summary, lastDropped.seq);
          const rest = messages.slice(1 + pruned.dropped.length);
          messages = [system(summary), ...rest];
          currentTurnStart -= pruned.dropped.length;
          pruned = pruneToFit(messages, currentTurnStart, limit);
        }

        const result: RoutedCompletion = await this.router.complete(
          { task, model: request.model, conversationId, localOnly },
          { messages: pruned.messages, tools, signal: request.signal, onToken: request.onToken, maxTokens: info.maxOutputTokens },
        );
        usage.promptTokens += result.usage?.promptTokens ?? 0;
        usage.completionTokens += result.usage?.completionTokens ?? 0;
        usage.costUsd += result.costUsd;
        usage.model = `${result.provider}/${result.model}`;
        if (result.content) replyParts.push(result.content);
        if (result.toolCalls.length === 0) {
          finished = true;
          break;
        }

        const assistantCalls: ChatCompletionMessageToolCall[] = result.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
        messages.push({ role: 'assistant', content: result.content || null, tool_calls: assistantCalls });
        const results = await mapBounded(result.toolCalls, this.config.maxParallelTools, async (call) => {
          const parsed = parseArguments(call.arguments);
          if (!allowedTools.has(call.name)) {
            invalidCalls++;
            return { id: call.id, content: `Error: there is no tool "${call.name}" for this request. Available: ${[...allowedTools].join(', ')}.` };
          }
          if (!parsed.ok) {
            invalidCalls++;
            return { id: call.id, content: `Error: the arguments are not valid JSON (${parsed.error}). Call ${call.name} again with a JSON object.` };
          }
          // No de-redaction: arguments that contain a `[REDACTED:type#n]` placeholder run with the
          // placeholder as written. Secrets are never substituted back into commands or tool
          // arguments, so a remote model cannot make us use (or exfiltrate) a secret it never saw.
          const outcome = await this.tools.call(call.name, parsed.value, {
            defaultHost: request.host ?? undefined,
            conversationId,
            requester: `agent:${conversationId}`,
            signal: request.signal,
            onStart: request.onToolStart,
          });
          if (outcome.record.error?.code === 'bad_request') invalidCalls++;
          toolCalls.push(outcome.record);
          request.onToolResult?.(outcome.record);
          for (const approval of outcome.approvals) {
            approvals.push(approval);
            request.onApproval?.(approval);
          }
          // Output from a local-only host never goes to a remote model, whatever host the model asked about.
          if (!localOnly && this.touchesLocalOnlyHost(outcome.record.host)) {
            return { id: call.id, content: `Output withheld: ${outcome.record.host} is marked local-only, so its data is not sent to a remote model. Tell the operator to ask with a local model configured.` };
          }
          return { id: call.id, content: capToolResult(outcome.text, this.config.toolResultMaxChars) };
        });
        for (const r of results) messages.push({ role: 'tool', tool_call_id: r.id, content: r.content });
        if (invalidCalls >= MAX_INVALID_TOOL_CALLS) {
          replyParts.push(`(Stopped: the model made ${invalidCalls} invalid tool calls in this turn.)`);
          finished = true;
        }
      }
      if (!finished) replyParts.push(`(Stopped after ${this.config.maxSteps} steps without a final answer; ask me to continue.)`);
    } catch (err) {
      if (err instanceof LlmCallError && err.kind === 'cancelled') throw err;
      if (!(err instanceof AllModelsFailedError || err instanceof LlmCallError)) throw err;
      const reasons = err instanceof AllModelsFailedError ? err.reasons.join('; ') : err.message;
      const fallback = await this.offline.answer({ ...request, onToken: undefined });
      const note = `No model could answer (${reasons}); this answer comes from the offline engine.\n\n`;
      request.onToken?.(note + fallback.reply);
      return {
        ...fallback,
        reply: note + fallback.reply,
        toolCalls: [...toolCalls, ...fallback.toolCalls],
        pendingApprovals: approvals,
        engine: 'offline',
        usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens, budget: this.router.budgetStatus() },
        streamed: true,
      };
    }

    usage.totalTokens = usage.promptTokens + usage.completionTokens;
    usage.budget = this.router.budgetStatus();
    return {
      reply: replyParts.join('\n\n'),
      toolCalls,
      host: request.host,
      engine: 'model',
      pendingApprovals: approvals,
      usage,
      streamed: true,
    };
  }

  /**
   * A final answer as JSON validated against a schema (response_format json_schema).
   * Invalid output goes back to the model with the validation errors, a bounded
   * number of times; then it fails rather than return unvalidated data.
   */
  async structured<T>(
    schema: ZodType<T>,
    messages: ChatMessage[],
    options: { name: string; task?: 'chat' | 'diagnosis' | 'summarize' | 'sensitive'; conversationId?: string | null; signal?: AbortSignal; attempts?: number },
  ): Promise<{ value: T; attempts: number }> {
    const jsonSchema = { name: options.name, schema: toJSONSchema(schema) as Record<string, unknown> };
    const attempts = options.attempts ?? 3;
    const conversation = [...messages];
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const result = await this.router.complete({ task: options.task ?? 'chat', conversationId: options.conversationId ?? null }, { messages: conversation, jsonSchema, signal: options.signal });
      let parsed: unknown;
      try {
        parsed = JSON.parse(result.content);
      } catch (err) {
        lastProblem = `not JSON: ${(err as Error).message}`;
      }
      if (parsed !== undefined) {
        const checked = schema.safeParse(parsed);
        if (checked.success) return { value: checked.data, attempts: attempt };
        lastProblem = checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      }
      conversation.push({ role: 'assistant', content: result.content }, { role: 'user', content: `That answer is invalid (${lastProblem}). Reply again with JSON that matches the schema exactly.` });
    }
    throw new LlmCallError('bad_response', `the model gave no valid ${options.name} after ${attempts} attempts (${lastProblem})`);
  }

  /** Folds dropped turns into the running summary with the cheap model; plain excerpts if that fails. */
  private async summarise(previous: string | null, dropped: ChatMessage[], conversationId: string, localOnly: boolean, signal?: AbortSignal): Promise<string> {
    const transcript = dropped
      .filter((m) => m.role === 'user' || m.role === 'assistant')
      .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content.slice(0, 2000) : ''}`)
      .join('\n');
    try {
      const result = await this.router.complete(
        { task: 'summarize', conversationId, localOnly },
        {
          messages: [
            { role: 'system', content: 'Summarise this part of an operations conversation in at most 12 short bullet points: hosts, findings with figures, decisions, pending actions, operator constraints. No preamble.' },
            { role: 'user', content: `${previous ? `Earlier summary:\n${previous}\n\n` : ''}Conversation:\n${transcript}` },
          ],
          signal,
          maxTokens: 600,
        },
      );
      if (result.content.trim()) return result.content.trim();
    } catch (err) {
      if (err instanceof LlmCallError && err.kind === 'cancelled') throw err;
    }
    const excerpts = dropped
      .filter((m) => m.role === 'user')
      .map((m) => `- asked: ${typeof m.content === 'string' ? m.content.slice(0, 160) : ''}`);
    return [previous, ...excerpts].filter(Boolean).join('\n');
  }
}

function parseArguments(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: {} };
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'not a JSON object' };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

