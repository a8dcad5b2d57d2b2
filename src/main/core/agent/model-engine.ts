import type { ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { toJSONSchema, type ZodType } from 'zod';
import type { Host, PendingApproval, ToolCallRecord, Usage } from '../../../shared/protocol';
import { mapBounded, type Inventory } from '../fleet';
import { AllModelsFailedError, LlmCallError, type ChatMessage, type LlmConfig, type ModelCatalog, type ModelRouter, type RoutedCompletion, type ToolSpec } from '../llm';
import type { ConversationRepository } from '../store';
import type { ToolCallOutcome, ToolRunner } from '../tools';
import { capToolResult, extractPinnedFacts, historyToModelMessages, pruneToFit } from './context';
import type { EngineAnswer, EngineRequest, OfflineEngine } from './offline-engine';
import { allowsRunCommand, classifyRequest, taskFor, type RequestKind } from './request-kind';
import { buildSystemPrompt } from './system-prompt';
import { fleetStatus, fleetTableBlock } from './fleet-status';
import { attachStatusFindings } from './finding-blocks';

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
    private readonly privacy: {
      /** Tags whose hosts are `local_only` (config `privacy.tags`), read on every turn. */
      localOnlyTags?: () => readonly string[];
      /**
       * Learns the accounts of hosts whose data is about to go to a model (their /etc/passwd), so
       * their usernames become pseudonyms too; cached, bounded, never throws.
       */
      learnHostAccounts?: (hosts: readonly Host[], signal?: AbortSignal) => Promise<void>;
    } = {},
  ) {}

  toolSpecs(kind: RequestKind): ToolSpec[] {
    return this.tools.registry
      .schemas()
      .filter((t) => t.name !== 'run_command' || allowsRunCommand(kind))
      .map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }

  /** A host is local-only by its own `privacy` or by one of its tags (config `privacy.tags`). */
  private localOnlyTest(): (host: Host) => boolean {
    const tags = new Set(this.privacy.localOnlyTags?.() ?? []);
    return (h) => h.privacy === 'local_only' || h.tags.some((t) => tags.has(t));
  }

  /** The inventory hosts that successful tool calls of this turn ran on (at most 20). */
  private hostsOf(records: readonly ToolCallRecord[]): Host[] {
    const hosts = new Map<string, Host>();
    for (const record of records) {
      if (!record.ok || !record.host) continue;
      try {
        for (const h of this.inventory.select(record.host)) if (h.transport !== 'local' && hosts.size < 20) hosts.set(h.name, h);
      } catch {
        // Not a selector of this inventory: nothing to learn.
      }
    }
    return [...hosts.values()];
  }

  /** The fleet table for a server_status call that covered several hosts (null: one host). */
  private fleetAnswer(outcome: ToolCallOutcome, selector: unknown): ReturnType<typeof fleetStatus> | null {
    if (typeof selector !== 'string') return null;
    let hosts: string[];
    try {
      hosts = this.inventory.select(selector).map((h) => h.name);
    } catch {
      return null;
    }
    return hosts.length > 1 ? fleetStatus(outcome, hosts) : null;
  }

  /**
   * Hosts marked local_only (themselves or by a tag) must never reach a remote model: their
   * conversations use the sensitive (local) route. A host is touched when the message names it
   * (name, address or `tag:T`) or the selector picks it.
   */
  private touchesLocalOnlyHost(selector: string | null, message = '', known?: { isLocalOnly: (h: Host) => boolean; localOnly: Host[] }): boolean {
    const isLocalOnly = known?.isLocalOnly ?? this.localOnlyTest();
    const localOnly = known?.localOnly ?? this.inventory.list().filter(isLocalOnly);
    if (localOnly.length === 0) return false;
    const words = new Set((message.toLowerCase().match(/[a-z0-9][a-z0-9._:-]*/g) ?? []).flatMap((w) => [w, ...w.split(':')]).map((w) => w.replace(/[.:]+$/, '')));
    if (localOnly.some((h) => words.has(h.name.toLowerCase()) || (h.transport !== 'local' && words.has(h.address.toLowerCase())) || h.tags.some((t) => words.has(`tag:${t.toLowerCase()}`)))) return true;
    try {
      return this.inventory.select(selector ?? 'localhost').some(isLocalOnly);
    } catch {
      return false;
    }
  }

  /**
   * Once a conversation has touched a local-only host (named in a message, its host, or the
   * target of any tool call so far), the rest of it stays on local models: the earlier turns
   * carry that host's data.
   */
  private conversationTouchesLocalOnly(conversationId: string, host: string | null): boolean {
    const isLocalOnly = this.localOnlyTest();
    const known = { isLocalOnly, localOnly: this.inventory.list().filter(isLocalOnly) };
    if (known.localOnly.length === 0) return false;
    if (this.touchesLocalOnlyHost(host, '', known)) return true;
    for (const m of this.conversations.messages(conversationId)) {
      if (m.role === 'user' && this.touchesLocalOnlyHost(null, m.content, known)) return true;
      if (m.toolCalls.some((c) => c.host && this.touchesLocalOnlyHost(c.host, '', known))) return true;
    }
    return false;
  }

  async answer(request: EngineRequest): Promise<EngineAnswer> {
    const kind = classifyRequest(request.message);
    let localOnly = this.touchesLocalOnlyHost(request.host, request.message) || this.conversationTouchesLocalOnly(request.conversationId, request.host);
    let task = localOnly ? 'sensitive' : taskFor(kind);
    const conversationId = request.conversationId;
    const memory = this.conversations.memory(conversationId);
    const pinned = extractPinnedFacts(request.message, memory.pinned);
    if (pinned.join('\n') !== memory.pinned.join('\n')) this.conversations.setPinned(conversationId, pinned);
    const tools = this.toolSpecs(kind);
    const allowedTools = new Set(tools.map((t) => (t as { function: { name: string } }).function.name));

    const history = this.conversations.messagesAfter(conversationId, memory.summaryUptoSeq);
    const system = (summary: string | null): ChatMessage => ({
      role: 'system',
      // A remote model is not told about local-only hosts at all (not even their pseudonyms).
      content: buildSystemPrompt({ hosts: localOnly ? this.inventory.list() : this.inventory.list().filter((h) => !this.localOnlyTest()(h)), conversationHost: request.host, kind, pinned, summary, now: new Date() }),
    });
    const historyMessages = historyToModelMessages(history.map((h) => h.message));
    // The store keeps this turn's text redacted (privacy at rest); the model gets it as it was
    // written: a local model may see secrets, and for a remote one the router redacts it with
    // the conversation's session, which gives the placeholders the store used.
    const current = history.at(-1)?.message;
    if (current && (current.role === 'user' || current.role === 'tool') && historyMessages.length > 0) {
      historyMessages[historyMessages.length - 1] = historyToModelMessages([{ ...current, content: request.message }])[0] as ChatMessage;
    }
    // Hosts whose data the history carries (tool calls, approval outcomes): their accounts become pseudonyms too.
    if (!localOnly && this.privacy.learnHostAccounts) await this.privacy.learnHostAccounts(this.hostsOf(history.flatMap((h) => h.message.toolCalls)), request.signal);
    let messages: ChatMessage[] = [system(memory.summary), ...historyMessages];
    // ChatService stored the question before calling us: it is the last history message.
    let currentTurnStart = messages.length - 1;

    const toolCalls: ToolCallRecord[] = [];
    const approvals: PendingApproval[] = [];
    const usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null };
    const replyParts: string[] = [];
    let invalidCalls = 0;
    let summarised = false;
    let currentSummary = memory.summary;
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
          currentSummary = summary;
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
        let touchedLocalOnly = false;
        const results = await mapBounded(result.toolCalls, this.config.maxParallelTools, async (call) => {
          // Arguments arrive mapped back from pseudonyms (router). A pseudonym this conversation never
          // issued (host-99, or one from another conversation) is refused, never guessed.
          if (call.unknownPseudonyms?.length) {
            invalidCalls++;
            const names = call.unknownPseudonyms.join(', ');
            return { id: call.id, content: `Error: ${names} ${call.unknownPseudonyms.length > 1 ? 'are not names' : 'is not a name'} used in this conversation. Use only the host, address and user names you were given; the call was not run.` };
          }
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
          // server_status over several hosts: the one-row-per-host table (problems first, unreachable on top) ahead of the details.
          const fleet = call.name === 'server_status' ? this.fleetAnswer(outcome, (parsed.value as { host?: unknown }).host ?? request.host ?? 'localhost') : null;
          if (fleet) outcome.record.table = fleetTableBlock(fleet.diagnoses);
          // Structured findings for the chat's tool-call card (chat-blocks).
          attachStatusFindings(call.name, outcome);
          toolCalls.push(outcome.record);
          request.onToolResult?.(outcome.record);
          for (const approval of outcome.approvals) {
            approvals.push(approval);
            request.onApproval?.(approval);
          }
          // Output from a local-only host never goes to a remote model, whatever host the model asked
          // about: from here on the conversation stays on local models (see below).
          if (!localOnly && this.touchesLocalOnlyHost(outcome.record.host ?? request.host)) touchedLocalOnly = true;
          const text = fleet ? `Fleet status (one row per host, problems first):\n${fleet.text}\n\nPer host:\n${outcome.text}` : outcome.text;
          return { id: call.id, content: capToolResult(text, this.config.toolResultMaxChars) };
        });
        for (const r of results) messages.push({ role: 'tool', tool_call_id: r.id, content: r.content });
        // Host data is about to go to a model: learn those hosts' accounts first (pseudonyms).
        if (!localOnly && this.privacy.learnHostAccounts) await this.privacy.learnHostAccounts(this.hostsOf(toolCalls), request.signal);
        if (touchedLocalOnly) {
          // The rest of the conversation, this tool result included, goes to local models only (or,
          // without one, the offline engine answers).
          localOnly = true;
          task = 'sensitive';
          messages[0] = system(currentSummary);
        }
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

