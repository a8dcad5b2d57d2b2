import type { ApiError, Engine, PendingApproval, StoredMessage, ToolCallRecord } from '../../../shared/protocol';

export type ToolCallStatus = 'running' | 'ok' | 'failed';

/** A tool call as the chat shows it: a card that starts running and ends ok or failed. */
export interface ToolCallView {
  id: string;
  tool: string;
  host: string | null;
  args: Record<string, unknown>;
  status: ToolCallStatus;
  durationMs: number | null;
  summary: string | null;
  error: ApiError | null;
}

export type MessageStatus = 'streaming' | 'complete' | 'failed' | 'stopped';

export interface MessageView {
  /** Local key for React; stored messages reuse their id. */
  key: string;
  role: 'user' | 'assistant';
  text: string;
  engine: Engine | null;
  /** The model that answered, when a model did (usage.model). */
  model: string | null;
  toolCalls: ToolCallView[];
  approvals: PendingApproval[];
  status: MessageStatus;
  error: ApiError | null;
}

export function toolCallFromRecord(record: ToolCallRecord): ToolCallView {
  return {
    id: record.id,
    tool: record.tool,
    host: record.host,
    args: record.args,
    status: record.ok ? 'ok' : 'failed',
    durationMs: record.durationMs,
    summary: record.summary,
    error: record.error,
  };
}

/** Stored history as the chat shows it; system and tool rows are context for the model, not the reader. */
export function messagesFromHistory(stored: readonly StoredMessage[]): MessageView[] {
  return stored
    .filter((m): m is StoredMessage & { role: 'user' | 'assistant' } => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({
      key: m.id,
      role: m.role,
      text: m.content,
      engine: m.engine,
      model: null,
      toolCalls: m.toolCalls.map(toolCallFromRecord),
      approvals: [],
      status: 'complete',
      error: null,
    }));
}
