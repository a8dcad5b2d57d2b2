import { randomUUID } from 'node:crypto';
import type {
  ConversationDetail,
  ConversationSummary,
  Engine,
  StoredMessage,
  ToolCallRecord,
} from '../../../shared/protocol';
import { keepText, mapStrings, type AtRestRedactor } from './at-rest';
import type { SqliteDatabase } from './database';

interface ConversationRow {
  id: string;
  title: string;
  host: string | null;
  created_at: string;
  updated_at: string;
  message_count: number;
}
interface MessageRow {
  id: string;
  conversation_id: string;
  role: StoredMessage['role'];
  content: string;
  engine: Engine | null;
  created_at: string;
}
interface ToolCallRow {
  id: string;
  message_id: string;
  tool: string;
  args_json: string;
  host: string | null;
  ok: number;
  summary: string;
  error_json: string | null;
  duration_ms: number;
  started_at: string;
  commands_json: string | null;
  blocks_json: string | null;
}

export interface NewMessage {
  role: StoredMessage['role'];
  content: string;
  engine?: Engine | null;
  toolCalls?: ToolCallRecord[];
}

const TITLE_CHARS = 80;

/**
 * Conversations, their messages and the tool calls behind each answer. Everything written
 * is redacted first (privacy at rest): the title (the first question), every message (the
 * operator's own included), tool-call arguments, summaries and errors, the summary and the
 * pinned facts. Reads return the stored, redacted text.
 */
export class ConversationRepository {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly redact: AtRestRedactor = keepText,
  ) {}

  create(opts: { title: string; host?: string | null; id?: string }): ConversationSummary {
    const now = new Date().toISOString();
    const id = opts.id ?? randomUUID();
    // Redacted before it is cut to length, so a secret is never stored in part.
    const title = this.redact(opts.title, id).trim().replace(/\s+/g, ' ').slice(0, TITLE_CHARS) || 'New conversation';
    this.db
      .prepare('INSERT INTO conversations (id, title, host, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, title, opts.host ?? null, now, now);
    return { id, title, host: opts.host ?? null, createdAt: now, updatedAt: now, messageCount: 0 };
  }

  /** A new conversation and its first message in one transaction: a crash never leaves an empty conversation. */
  createWithMessage(opts: { title: string; host?: string | null }, message: NewMessage): { conversation: ConversationSummary; message: StoredMessage } {
    return this.db.transaction(() => {
      const conversation = this.create(opts);
      return { conversation, message: this.appendMessage(conversation.id, message) };
    })();
  }

  get(id: string): ConversationSummary | null {
    const row = this.db
      .prepare(
        `SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
         FROM conversations c WHERE c.id = ?`,
      )
      .get(id) as ConversationRow | undefined;
    return row ? toSummary(row) : null;
  }

  list(limit = 100): ConversationSummary[] {
    const rows = this.db
      .prepare(
        `SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
         FROM conversations c ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`,
      )
      .all(limit) as ConversationRow[];
    return rows.map(toSummary);
  }

  setHost(id: string, host: string | null): void {
    this.db.prepare('UPDATE conversations SET host = ? WHERE id = ?').run(host, id);
  }

  /** Appends a message and its tool calls in one transaction: all of it is stored, or none. */
  appendMessage(conversationId: string, message: NewMessage): StoredMessage {
    const id = randomUUID();
    const now = new Date().toISOString();
    const content = this.redact(message.content, conversationId);
    const toolCalls = (message.toolCalls ?? []).map((call) => this.redactCall(call, conversationId));
    this.db.transaction(() => {
      const { next } = this.db
        .prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM messages WHERE conversation_id = ?')
        .get(conversationId) as { next: number };
      this.db
        .prepare(
          'INSERT INTO messages (id, conversation_id, seq, role, content, engine, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, conversationId, next, message.role, content, message.engine ?? null, now);
      const insertCall = this.db.prepare(
        `INSERT INTO tool_calls (id, message_id, tool, args_json, host, ok, summary, error_json, duration_ms, started_at, commands_json, blocks_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const call of toolCalls) {
        insertCall.run(
          call.id,
          id,
          call.tool,
          JSON.stringify(call.args),
          call.host,
          call.ok ? 1 : 0,
          call.summary,
          call.error ? JSON.stringify(call.error) : null,
          call.durationMs,
          call.startedAt,
          call.commands ? JSON.stringify(call.commands) : null,
          call.findings || call.table ? JSON.stringify({ findings: call.findings, table: call.table }) : null,
        );
      }
      this.db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(now, conversationId);
    })();
    return {
      id,
      conversationId,
      role: message.role,
      content,
      engine: message.engine ?? null,
      createdAt: now,
      toolCalls,
    };
  }

  /**
   * A tool call as stored: its arguments, summary, error, the commands it ran with their output,
   * findings and tables redacted (ids, host, timings as they are). Host output is where secrets
   * turn up most (`env`, config files, command lines in `ps`), so it takes the same path.
   */
  private redactCall(call: ToolCallRecord, conversationId: string): ToolCallRecord {
    const text = (t: string) => this.redact(t, conversationId);
    return {
      ...call,
      args: mapStrings(call.args, text),
      summary: text(call.summary),
      error: call.error ? mapStrings(call.error, text) : null,
      ...(call.commands ? { commands: mapStrings(call.commands, text) } : {}),
      ...(call.findings ? { findings: mapStrings(call.findings, text) } : {}),
      ...(call.table ? { table: mapStrings(call.table, text) } : {}),
    };
  }

  messages(conversationId: string): StoredMessage[] {
    const rows = this.db
      .prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq')
      .all(conversationId) as MessageRow[];
    const calls = this.db
      .prepare(
        `SELECT t.* FROM tool_calls t JOIN messages m ON m.id = t.message_id
         WHERE m.conversation_id = ? ORDER BY t.started_at, t.rowid`,
      )
      .all(conversationId) as ToolCallRow[];
    const byMessage = new Map<string, ToolCallRecord[]>();
    for (const c of calls) {
      const list = byMessage.get(c.message_id) ?? [];
      list.push({
        id: c.id,
        tool: c.tool,
        args: JSON.parse(c.args_json) as Record<string, unknown>,
        host: c.host,
        ok: c.ok === 1,
        summary: c.summary,
        error: c.error_json ? JSON.parse(c.error_json) : null,
        durationMs: c.duration_ms,
        startedAt: c.started_at,
        ...blocksOf(c),
      });
      byMessage.set(c.message_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      conversationId: r.conversation_id,
      role: r.role,
      content: r.content,
      engine: r.engine,
      createdAt: r.created_at,
      toolCalls: byMessage.get(r.id) ?? [],
    }));
  }

  /** Messages after a sequence number, with their numbers (for the model's context after a summary). */
  messagesAfter(conversationId: string, seq: number): { seq: number; message: StoredMessage }[] {
    const seqs = this.db
      .prepare('SELECT id, seq FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq')
      .all(conversationId, seq) as { id: string; seq: number }[];
    const bySeq = new Map(seqs.map((r) => [r.id, r.seq]));
    return this.messages(conversationId)
      .filter((m) => bySeq.has(m.id))
      .map((m) => ({ seq: bySeq.get(m.id) as number, message: m }));
  }

  memory(id: string): { summary: string | null; summaryUptoSeq: number; pinned: string[] } {
    const row = this.db.prepare('SELECT summary, summary_upto_seq, pinned_json FROM conversations WHERE id = ?').get(id) as
      | { summary: string | null; summary_upto_seq: number; pinned_json: string }
      | undefined;
    if (!row) return { summary: null, summaryUptoSeq: 0, pinned: [] };
    return { summary: row.summary, summaryUptoSeq: row.summary_upto_seq, pinned: JSON.parse(row.pinned_json) as string[] };
  }

  setSummary(id: string, summary: string, uptoSeq: number): void {
    this.db.prepare('UPDATE conversations SET summary = ?, summary_upto_seq = ? WHERE id = ?').run(this.redact(summary, id), uptoSeq, id);
  }

  setPinned(id: string, pinned: string[]): void {
    this.db.prepare('UPDATE conversations SET pinned_json = ? WHERE id = ?').run(JSON.stringify(pinned.map((fact) => this.redact(fact, id))), id);
  }

  detail(id: string): ConversationDetail | null {
    const summary = this.get(id);
    return summary ? { ...summary, messages: this.messages(id) } : null;
  }
}

/** The optional structured fields of a stored tool call (absent on rows from before migration 12). */
function blocksOf(row: ToolCallRow): Pick<ToolCallRecord, 'commands' | 'findings' | 'table'> {
  const out: Pick<ToolCallRecord, 'commands' | 'findings' | 'table'> = {};
  if (row.commands_json) out.commands = JSON.parse(row.commands_json) as ToolCallRecord['commands'];
  if (row.blocks_json) {
    const blocks = JSON.parse(row.blocks_json) as Pick<ToolCallRecord, 'findings' | 'table'>;
    if (blocks.findings) out.findings = blocks.findings;
    if (blocks.table) out.table = blocks.table;
  }
  return out;
}

function toSummary(row: ConversationRow): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    host: row.host,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count,
  };
}
