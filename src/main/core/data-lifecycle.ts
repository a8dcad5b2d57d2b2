import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineConfigSlice } from './config';
import type { AuditEntry, AuditLog } from './safety';
import type { PrivacyLedgerRow, Store } from './store';

/**
 * Retention (`retention:` in config.yaml). Each setting is a number of days, or null (the
 * default) to keep that data until it is forgotten by hand. Metrics keep their own tiered
 * retention (`metrics.retention`). Audit retention never removes chain rows: it forgets the
 * payloads of older rows, leaving tombstones that still verify.
 */
export const retentionConfig = defineConfigSlice({
  name: 'retention',
  schema: z
    .object({
      /** Conversations not updated for this many days are deleted (messages, tool calls, approvals). */
      conversationsDays: z.number().int().min(1).max(36500).nullable().default(null),
      /** Tool output (the commands' output kept with tool calls, approval results) older than this is removed; the calls stay. */
      toolOutputDays: z.number().int().min(1).max(36500).nullable().default(null),
      /** Audit payloads older than this are forgotten (tombstoned); the chain rows stay. */
      auditDays: z.number().int().min(1).max(36500).nullable().default(null),
      /** How often the server applies retention. */
      sweepMinutes: z.number().int().min(1).max(24 * 60).default(60),
    })
    .strict(),
});
export type RetentionConfig = z.infer<typeof retentionConfig.schema>;

export interface ForgetSummary {
  /** What was asked: `conversation`, `host` or `expired`. */
  reason: 'conversation' | 'host' | 'expired';
  conversations: number;
  messages: number;
  toolCalls: number;
  toolOutputs: number;
  approvals: number;
  metricSeries: number;
  privacyRows: number;
  auditTombstones: number;
  /** The audit row that records this forget (null when nothing was forgotten). */
  auditSeq: number | null;
}

export interface ConversationExport {
  format: 'fleetmind-conversation-export';
  version: 1;
  exportedAt: string;
  conversation: NonNullable<ReturnType<Store['conversations']['detail']>>;
  approvals: ReturnType<Store['approvals']['forConversation']>;
  usage: Record<string, unknown>[];
  privacy: PrivacyLedgerRow[];
  audit: AuditEntry[];
}

export class ForgetError extends Error {
  constructor(
    readonly code: 'not_found' | 'bad_request',
    message: string,
  ) {
    super(message);
    this.name = 'ForgetError';
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const empty = (reason: ForgetSummary['reason']): ForgetSummary => ({ reason, conversations: 0, messages: 0, toolCalls: 0, toolOutputs: 0, approvals: 0, metricSeries: 0, privacyRows: 0, auditTombstones: 0, auditSeq: null });

/**
 * Data lifecycle: forgetting a conversation or a host, retention, export, the privacy report.
 * Deletes from the store (SQLite with secure_delete: freed pages are zeroed) and forgets the
 * audit payloads about the same things, so the text is gone while the chain still verifies;
 * every forget is itself audited, naming digests and counts, never the forgotten text.
 */
export class DataLifecycle {
  constructor(
    private readonly store: Store,
    private readonly auditLog: AuditLog,
    private readonly retention: RetentionConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get db() {
    return this.store.db;
  }

  private hasColumn(table: string, column: string): boolean {
    return (this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
  }

  /** Deletes conversations with everything stored for them; returns their approval ids (for the audit search). */
  private deleteConversations(ids: readonly string[], summary: ForgetSummary): string[] {
    const approvalIds: string[] = [];
    for (const id of ids) {
      summary.messages += (this.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?').get(id) as { n: number }).n;
      summary.toolCalls += (this.db.prepare('SELECT COUNT(*) AS n FROM tool_calls t JOIN messages m ON m.id = t.message_id WHERE m.conversation_id = ?').get(id) as { n: number }).n;
      for (const a of this.db.prepare('SELECT id FROM approvals WHERE conversation_id = ?').all(id) as { id: string }[]) approvalIds.push(a.id);
      summary.approvals += this.db.prepare('DELETE FROM approvals WHERE conversation_id = ?').run(id).changes;
      // Usage numbers stay for budgets and reports; the error texts (which can quote the exchange) and the link go.
      this.db.prepare('UPDATE llm_calls SET error = NULL, conversation_id = NULL WHERE conversation_id = ?').run(id);
      summary.privacyRows += this.store.privacyLedger.forgetConversation(id);
      // Messages and tool calls go with the conversation (ON DELETE CASCADE).
      summary.conversations += this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id).changes;
    }
    return approvalIds;
  }

  /** Forgets the audit payloads found, records the forget (one audit row), and shrinks the WAL. */
  private finish(summary: ForgetSummary, about: Parameters<AuditLog['findPayloads']>[0], actor: string, selector: string | null): ForgetSummary {
    const seqs = this.auditLog.findPayloads(about);
    const changed = summary.conversations + summary.toolCalls + summary.toolOutputs + summary.approvals + summary.metricSeries + summary.privacyRows + seqs.length > 0;
    if (changed || summary.reason !== 'expired') {
      const { tombstones, entry } = this.auditLog.forget(seqs, {
        actor,
        subject: `forget ${summary.reason}`,
        data: {
          reason: summary.reason,
          // The selector itself may be what is being forgotten: only its digest is kept.
          ...(selector !== null ? { selectorSha256: sha256(selector) } : {}),
          deleted: { conversations: summary.conversations, messages: summary.messages, toolCalls: summary.toolCalls, toolOutputs: summary.toolOutputs, approvals: summary.approvals, metricSeries: summary.metricSeries, privacyRows: summary.privacyRows },
        },
      });
      summary.auditTombstones = tombstones.length;
      summary.auditSeq = entry.seq;
      this.auditLog.checkpoint('retention');
    }
    return summary;
  }

  /** After a forget, outside its transaction: the WAL's copies of the old pages go too. */
  private shrinkWal<T>(result: T): T {
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another connection holds the WAL; it is cut back at its next checkpoint (journal_size_limit = 0).
    }
    return result;
  }

  forgetConversation(id: string, actor: string): ForgetSummary {
    if (!this.store.conversations.get(id)) throw new ForgetError('not_found', `no conversation with id ${id}`);
    return this.shrinkWal(this.db.transaction(() => {
      const summary = empty('conversation');
      const approvalIds = this.deleteConversations([id], summary);
      return this.finish(summary, { texts: [id, ...approvalIds] }, actor, id);
    })());
  }

  /**
   * Forgets a host: its conversations (whole), tool calls that ran on it in other
   * conversations, approvals naming it, its metric series, and the audit payloads about it.
   * The inventory entry stays (remove it with `hosts remove`).
   */
  forgetHost(name: string, actor: string): ForgetSummary {
    if (name.trim() === '') throw new ForgetError('bad_request', 'a host name is required');
    return this.shrinkWal(this.db.transaction(() => {
      const summary = empty('host');
      const conversations = (this.db.prepare('SELECT id FROM conversations WHERE host = ?').all(name) as { id: string }[]).map((r) => r.id);
      const approvalIds = this.deleteConversations(conversations, summary);
      summary.toolCalls += this.db.prepare('DELETE FROM tool_calls WHERE host = ?').run(name).changes;
      const quoted = JSON.stringify(name);
      for (const a of this.db.prepare('SELECT id FROM approvals WHERE instr(hosts_json, ?) > 0').all(quoted) as { id: string }[]) approvalIds.push(a.id);
      summary.approvals += this.db.prepare('DELETE FROM approvals WHERE instr(hosts_json, ?) > 0').run(quoted).changes;
      summary.metricSeries += this.db.prepare('DELETE FROM metric_series WHERE host = ?').run(name).changes;
      // Alerts about the host (labels, annotations, interpretations quoting its output) go too.
      this.db.prepare('DELETE FROM alerts WHERE host = ?').run(name);
      this.store.privacyLedger.forgetHost(name);
      return this.finish(summary, { hosts: [name], texts: [...conversations, ...approvalIds] }, actor, name);
    })());
  }

  /** Applies the retention settings (the server's sweep and `forget --expired`); audited when anything was removed. */
  forgetExpired(actor: string): ForgetSummary {
    const { conversationsDays, toolOutputDays, auditDays } = this.retention;
    const cutoff = (days: number) => new Date(this.now().getTime() - days * 86_400_000).toISOString();
    return this.shrinkWal(this.db.transaction(() => {
      const summary = empty('expired');
      const texts: string[] = [];
      if (conversationsDays !== null) {
        const ids = (this.db.prepare('SELECT id FROM conversations WHERE updated_at < ?').all(cutoff(conversationsDays)) as { id: string }[]).map((r) => r.id);
        texts.push(...ids, ...this.deleteConversations(ids, summary));
      }
      if (toolOutputDays !== null) {
        const before = cutoff(toolOutputDays);
        const outputs = ['commands_json', 'blocks_json'].filter((c) => this.hasColumn('tool_calls', c));
        if (outputs.length > 0) {
          summary.toolOutputs += this.db
            .prepare(`UPDATE tool_calls SET ${outputs.map((c) => `${c} = NULL`).join(', ')} WHERE started_at < ? AND (${outputs.map((c) => `${c} IS NOT NULL`).join(' OR ')})`)
            .run(before).changes;
        }
        summary.toolOutputs += this.db.prepare('UPDATE approvals SET results_json = NULL WHERE results_json IS NOT NULL AND COALESCE(executed_at, requested_at) < ?').run(before).changes;
      }
      const about: Parameters<AuditLog['findPayloads']>[0] = { texts };
      const result = this.finish(summary, texts.length > 0 ? about : { texts: [] }, actor, null);
      if (auditDays !== null) {
        // Old payloads, in their own forget row (the one above named the deleted conversations' rows).
        const seqs = this.auditLog.findPayloads({ before: new Date(this.now().getTime() - auditDays * 86_400_000) });
        if (seqs.length > 0) {
          const { tombstones, entry } = this.auditLog.forget(seqs, { actor, subject: 'forget expired', data: { reason: 'expired', auditDays } });
          result.auditTombstones += tombstones.length;
          result.auditSeq = entry.seq;
          this.auditLog.checkpoint('retention');
        }
      }
      return result;
    })());
  }

  /** A conversation with everything stored about it, as JSON-ready data (`fleetmind export`). */
  exportConversation(id: string): ConversationExport {
    const conversation = this.store.conversations.detail(id);
    if (!conversation) throw new ForgetError('not_found', `no conversation with id ${id}`);
    const approvals = this.store.approvals.forConversation(id);
    const usage = this.db
      .prepare('SELECT at, provider, model, task, prompt_tokens AS promptTokens, completion_tokens AS completionTokens, cached_tokens AS cachedTokens, cost_usd AS costUsd, local, ok FROM llm_calls WHERE conversation_id = ? ORDER BY at')
      .all(id) as Record<string, unknown>[];
    const seqs = new Set(this.auditLog.findPayloads({ texts: [id, ...approvals.map((a) => a.id)] }));
    const audit = [...this.auditLog.entries()].filter((e) => seqs.has(e.seq));
    return { format: 'fleetmind-conversation-export', version: 1, exportedAt: this.now().toISOString(), conversation, approvals, usage, privacy: this.store.privacyLedger.list(id), audit };
  }

  /** What was sent to which provider, per conversation (counts only). */
  privacyReport(): { rows: PrivacyLedgerRow[]; totals: { requests: number; bytesSent: number; remoteRequests: number; remoteBytesSent: number; redactions: Record<string, number> } } {
    const rows = this.store.privacyLedger.list();
    const totals = { requests: 0, bytesSent: 0, remoteRequests: 0, remoteBytesSent: 0, redactions: {} as Record<string, number> };
    for (const r of rows) {
      totals.requests += r.requests;
      totals.bytesSent += r.bytesSent;
      if (!r.local) {
        totals.remoteRequests += r.requests;
        totals.remoteBytesSent += r.bytesSent;
      }
      for (const [type, n] of Object.entries(r.redactions)) totals.redactions[type] = (totals.redactions[type] ?? 0) + n;
    }
    return { rows, totals };
  }
}
