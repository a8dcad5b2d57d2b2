import { z } from 'zod';
import { ApiErrorSchema } from './errors';
import { CommandRunSchema, FindingSchema, TableBlockSchema } from './chat-blocks';

/** Longest chat message accepted; larger requests are refused with 413 before parsing. */
export const MAX_MESSAGE_CHARS = 16_000;

export const ChatRequestSchema = z
  .object({
    message: z
      .string()
      .max(MAX_MESSAGE_CHARS, `message is longer than ${MAX_MESSAGE_CHARS} characters`)
      .refine((s) => s.trim().length > 0, 'message must not be empty'),
    conversationId: z.string().min(1).max(100).optional(),
    host: z.string().min(1).max(500).optional(),
    stream: z.boolean().optional(),
    model: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

export const EngineSchema = z.enum(['offline', 'model']);
export type Engine = z.infer<typeof EngineSchema>;

export const BudgetStateSchema = z.object({
  state: z.enum(['ok', 'warning', 'exceeded']),
  /** Why, for a warning or an exceeded cap; shown as a banner. */
  message: z.string().nullable(),
});
export type BudgetState = z.infer<typeof BudgetStateSchema>;

export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  model: z.string().nullable(),
  /** Spend against the configured budgets after this turn (model engine only). */
  budget: BudgetStateSchema.optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const ToolCallRecordSchema = z.object({
  id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  host: z.string().nullable(),
  ok: z.boolean(),
  /** Short human summary of the result; the full text goes to the model or the offline answer. */
  summary: z.string(),
  error: ApiErrorSchema.nullable(),
  durationMs: z.number().nonnegative(),
  startedAt: z.string(),
  /** The commands the call ran on each host, with bounded output (chat-blocks). Stored redacted. */
  commands: z.array(CommandRunSchema).optional(),
  /** Findings about the result, with a severity (e.g. the offline engine's status findings). */
  findings: z.array(FindingSchema).optional(),
  /** The result as a table (e.g. server_status: one row per host). */
  table: TableBlockSchema.optional(),
});
export type ToolCallRecord = z.infer<typeof ToolCallRecordSchema>;

export const PendingApprovalSchema = z.object({
  id: z.string(),
  command: z.string(),
  hosts: z.array(z.string()),
  category: z.string(),
  reasons: z.array(z.string()),
  purpose: z.string().nullable(),
  requestedAt: z.string(),
  expiresAt: z.string(),
});
export type PendingApproval = z.infer<typeof PendingApprovalSchema>;

export const ChatResponseSchema = z.object({
  conversationId: z.string(),
  messageId: z.string(),
  reply: z.string(),
  engine: EngineSchema,
  toolCalls: z.array(ToolCallRecordSchema),
  pendingApprovals: z.array(PendingApprovalSchema),
  usage: UsageSchema,
});
export type ChatResponse = z.infer<typeof ChatResponseSchema>;

/** Typed stream events (SSE over HTTP, IPC events in Electron). `type`-tagged, camelCase. */
const eventBase = { conversationId: z.string() };
export const ChatEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('token'), ...eventBase, text: z.string() }),
  z.object({
    type: z.literal('tool_call'),
    ...eventBase,
    id: z.string(),
    tool: z.string(),
    args: z.record(z.string(), z.unknown()),
    host: z.string().nullable(),
  }),
  z.object({ type: z.literal('tool_result'), ...eventBase, call: ToolCallRecordSchema }),
  z.object({ type: z.literal('approval_required'), ...eventBase, approval: PendingApprovalSchema }),
  z.object({ type: z.literal('usage'), ...eventBase, usage: UsageSchema }),
  z.object({ type: z.literal('done'), ...eventBase, response: ChatResponseSchema }),
  z.object({ type: z.literal('error'), ...eventBase, error: ApiErrorSchema }),
]);
export type ChatEvent = z.infer<typeof ChatEventSchema>;
export type ChatEventType = ChatEvent['type'];
