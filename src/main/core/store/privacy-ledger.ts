import type { SqliteDatabase } from './database';

/**
 * What one request to a model carried, as the router saw it leave (privacy report): sizes and
 * counts only, never the text. Placeholders are counted by type (`[REDACTED:aws-key#2]` is an
 * aws-key); `pseudonyms` is filled by pseudonymisation (host names, users, addresses replaced
 * by stable stand-ins) when it runs.
 */
export interface SentRecord {
  conversationId: string | null;
  provider: string;
  model: string;
  local: boolean;
  /** UTF-8 bytes of the messages as sent. */
  bytes: number;
  /** Distinct placeholders per type in what was sent (highest #n seen). */
  redactions: Record<string, number>;
  pseudonyms?: Record<string, number>;
  /** Hosts the request was about, when the caller knows them. */
  hosts?: readonly string[];
}

/** One (conversation, provider) aggregate of the privacy report. */
export interface PrivacyLedgerRow {
  conversationId: string | null;
  provider: string;
  local: boolean;
  requests: number;
  bytesSent: number;
  redactions: Record<string, number>;
  pseudonyms: Record<string, number>;
  hosts: string[];
  models: string[];
  firstAt: string;
  lastAt: string;
}

interface LedgerRow {
  conversation_id: string;
  provider: string;
  local: number;
  requests: number;
  bytes_sent: number;
  redactions_json: string;
  pseudonyms_json: string;
  hosts_json: string;
  models_json: string;
  first_at: string;
  last_at: string;
}

/** Per-type counts merged by maximum: placeholders are numbered per conversation, so #n is how many distinct ones there were. */
function mergeMax(into: Record<string, number>, from: Record<string, number> | undefined): Record<string, number> {
  const out = { ...into };
  for (const [type, n] of Object.entries(from ?? {})) if (Number.isFinite(n) && n > (out[type] ?? 0)) out[type] = n;
  return out;
}

const union = (a: readonly string[], b: readonly string[] | undefined): string[] => [...new Set([...a, ...(b ?? [])])].sort();

/**
 * Aggregates per (conversation, provider) of what was sent to models: requests, bytes,
 * redactions and pseudonyms by type, hosts involved. Counts only; forgetting a conversation
 * removes its rows.
 */
export class PrivacyLedgerRepository {
  constructor(private readonly db: SqliteDatabase) {}

  record(sent: SentRecord, at: Date = new Date()): void {
    const conversationId = sent.conversationId ?? '';
    const when = at.toISOString();
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM privacy_ledger WHERE conversation_id = ? AND provider = ?').get(conversationId, sent.provider) as LedgerRow | undefined;
      if (!row) {
        this.db
          .prepare(
            `INSERT INTO privacy_ledger (conversation_id, provider, local, requests, bytes_sent, redactions_json, pseudonyms_json, hosts_json, models_json, first_at, last_at)
             VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(conversationId, sent.provider, sent.local ? 1 : 0, sent.bytes, JSON.stringify(mergeMax({}, sent.redactions)), JSON.stringify(mergeMax({}, sent.pseudonyms)), JSON.stringify(union([], sent.hosts)), JSON.stringify([sent.model]), when, when);
        return;
      }
      this.db
        .prepare(
          `UPDATE privacy_ledger SET local = ?, requests = requests + 1, bytes_sent = bytes_sent + ?, redactions_json = ?, pseudonyms_json = ?, hosts_json = ?, models_json = ?, last_at = ?
           WHERE conversation_id = ? AND provider = ?`,
        )
        .run(
          sent.local ? 1 : 0,
          sent.bytes,
          JSON.stringify(mergeMax(JSON.parse(row.redactions_json) as Record<string, number>, sent.redactions)),
          JSON.stringify(mergeMax(JSON.parse(row.pseudonyms_json) as Record<string, number>, sent.pseudonyms)),
          JSON.stringify(union(JSON.parse(row.hosts_json) as string[], sent.hosts)),
          JSON.stringify(union(JSON.parse(row.models_json) as string[], [sent.model])),
          when,
          conversationId,
          sent.provider,
        );
    })();
  }

  /**
   * Every aggregate, newest first. Hosts include the conversation's host and the hosts its
   * tool calls ran on (what the model was told about), besides any the recorder was given.
   */
  list(conversationId?: string): PrivacyLedgerRow[] {
    const rows = (
      conversationId === undefined
        ? this.db.prepare('SELECT * FROM privacy_ledger ORDER BY last_at DESC').all()
        : this.db.prepare('SELECT * FROM privacy_ledger WHERE conversation_id = ? ORDER BY last_at DESC').all(conversationId)
    ) as LedgerRow[];
    const hostsOf = this.db.prepare(
      `SELECT host FROM conversations WHERE id = ? AND host IS NOT NULL
       UNION SELECT t.host FROM tool_calls t JOIN messages m ON m.id = t.message_id WHERE m.conversation_id = ? AND t.host IS NOT NULL`,
    );
    return rows.map((r) => ({
      conversationId: r.conversation_id === '' ? null : r.conversation_id,
      provider: r.provider,
      local: r.local === 1,
      requests: r.requests,
      bytesSent: r.bytes_sent,
      redactions: JSON.parse(r.redactions_json) as Record<string, number>,
      pseudonyms: JSON.parse(r.pseudonyms_json) as Record<string, number>,
      hosts: union(JSON.parse(r.hosts_json) as string[], r.conversation_id === '' ? [] : (hostsOf.all(r.conversation_id, r.conversation_id) as { host: string }[]).map((h) => h.host)),
      models: JSON.parse(r.models_json) as string[],
      firstAt: r.first_at,
      lastAt: r.last_at,
    }));
  }

  forgetConversation(conversationId: string): number {
    return this.db.prepare('DELETE FROM privacy_ledger WHERE conversation_id = ?').run(conversationId).changes;
  }

  /** Drops a host from every aggregate's host list (forget --host). */
  forgetHost(host: string): void {
    const rows = this.db.prepare("SELECT conversation_id, provider, hosts_json FROM privacy_ledger WHERE instr(hosts_json, ?) > 0").all(JSON.stringify(host)) as Pick<LedgerRow, 'conversation_id' | 'provider' | 'hosts_json'>[];
    const update = this.db.prepare('UPDATE privacy_ledger SET hosts_json = ? WHERE conversation_id = ? AND provider = ?');
    for (const r of rows) update.run(JSON.stringify((JSON.parse(r.hosts_json) as string[]).filter((h) => h !== host)), r.conversation_id, r.provider);
  }
}
