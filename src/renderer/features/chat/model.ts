import type { ApiError, CommandRun, Engine, Finding, PendingApproval, StoredMessage, TableBlock, ToolCallRecord } from '../../../shared/protocol';

/** `held`: the tool asked for the operator's approval instead of running (not a failure). */
export type ToolCallStatus = 'running' | 'ok' | 'failed' | 'held';

/** A tool call as the chat shows it: a card that starts running and ends ok, failed or held for approval. */
export interface ToolCallView {
  id: string;
  tool: string;
  host: string | null;
  args: Record<string, unknown>;
  status: ToolCallStatus;
  durationMs: number | null;
  summary: string | null;
  error: ApiError | null;
  /** The commands it ran per host with their output (host output: shown escaped). */
  commands?: CommandRun[];
  findings?: Finding[];
  table?: TableBlock;
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
  /** The agent wrote it without a new question: it continued after an approval was decided. */
  continuation?: boolean;
}

export function toolCallFromRecord(record: ToolCallRecord): ToolCallView {
  return {
    id: record.id,
    tool: record.tool,
    host: record.host,
    args: record.args,
    status: record.ok ? 'ok' : record.error?.code === 'approval_required' ? 'held' : 'failed',
    durationMs: record.durationMs,
    summary: record.summary,
    error: record.error,
    ...(record.commands?.length ? { commands: record.commands } : {}),
    ...(record.findings?.length ? { findings: record.findings } : {}),
    ...(record.table ? { table: record.table } : {}),
  };
}

/**
 * Stored history as the chat shows it. System rows are context for the model; a tool row
 * (an approval's outcome fed back to the agent) is not shown itself, but its tool calls
 * (the approved command's run) head the reply the agent continued with.
 */
export function messagesFromHistory(stored: readonly StoredMessage[]): MessageView[] {
  const views: MessageView[] = [];
  let carried: ToolCallRecord[] = [];
  let afterTool = false;
  for (const m of stored) {
    if (m.role === 'tool') {
      carried = [...carried, ...m.toolCalls];
      afterTool = true;
      continue;
    }
    if (m.role !== 'user' && m.role !== 'assistant') continue;
    const continuation = m.role === 'assistant' && afterTool;
    views.push({
      key: m.id,
      role: m.role,
      text: m.content,
      engine: m.engine,
      model: null,
      toolCalls: (m.role === 'assistant' ? [...carried, ...m.toolCalls] : m.toolCalls).map(toolCallFromRecord),
      approvals: [],
      status: 'complete',
      error: null,
      ...(continuation ? { continuation } : {}),
    });
    if (m.role === 'assistant') carried = [];
    afterTool = false;
  }
  return views;
}
