import { createHash, randomUUID } from 'node:crypto';
import type { ExecResultLine, PendingApproval } from '../../../shared/protocol';
import { keepText, mapStrings, type AtRestRedactor } from './at-rest';
import type { SqliteDatabase } from './database';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalRecord extends PendingApproval {
  conversationId: string | null;
  requester: string;
  policyVersion: string;
  status: ApprovalStatus;
  decidedAt: string | null;
  decisionReason: string | null;
  /** Each host's result once the approved command ran (null before, or when it did not run). */
  results: ExecResultLine[] | null;
  executedAt: string | null;
  /**
   * sha256 (hex) of the exact command; `command` is its redacted text. Null for approvals
   * stored before redaction at rest, whose `command` is the exact text.
   */
  commandSha256: string | null;
}

interface ApprovalRow {
  id: string;
  conversation_id: string | null;
  command: string;
  hosts_json: string;
  category: string;
  reasons_json: string;
  purpose: string | null;
  requester: string;
  policy_version: string;
  status: ApprovalStatus;
  requested_at: string;
  expires_at: string;
  decided_at: string | null;
  decision_reason: string | null;
  results_json: string | null;
  executed_at: string | null;
  command_sha256: string | null;
}

export interface NewApproval {
  conversationId: string | null;
  command: string;
  hosts: string[];
  category: string;
  reasons: string[];
  purpose: string | null;
  requester: string;
  policyVersion: string;
  ttlMs: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The redaction session of an approval's text: its conversation's, else one of its own, so a
 * secret has one placeholder across the command, the reasons quoting it and its results.
 */
const sessionOf = (id: string, conversationId: string | null): string => conversationId ?? `approval:${id}`;

/**
 * Approvals bound to the exact command, hosts and policy version, with an expiry.
 * No decision means no execution: an expired request is never run.
 *
 * Privacy at rest: the command, the policy's reasons (they quote it), the purpose, the
 * decision reason and the results are stored redacted, with the sha256 of the exact command.
 */
export class ApprovalRepository {
  /** Exact texts of pending commands that hold a secret, by approval id: in this process's memory only. */
  private readonly exactTexts = new Map<string, string>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly redact: AtRestRedactor = keepText,
  ) {}

  /**
   * Queues a request. A command that holds a secret is stored redacted; the exact text it
   * must run as is kept in memory by this process only, for as long as the request is
   * pending. Why not on disk in some other form: anything that lets a later process rebuild
   * the secret (encrypted with a key in the same data dir, say) puts the secret on disk
   * after all. The cost: only the process that queued such a request (the server, or the
   * `exec` waiting at its prompt) can run it; anywhere else, or after a restart,
   * exactCommand() is null and approving it is refused with the reason (denying works
   * anywhere). The digest binds the stored row to the exact text either way.
   */
  create(input: NewApproval, now: Date = new Date()): ApprovalRecord {
    const id = randomUUID();
    const requestedAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + input.ttlMs).toISOString();
    const text = (t: string) => this.redact(t, sessionOf(id, input.conversationId));
    const stored = text(input.command);
    this.db
      .prepare(
        `INSERT INTO approvals (id, conversation_id, command, command_sha256, hosts_json, category, reasons_json, purpose, requester, policy_version,
           status, requested_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(id, input.conversationId, stored, sha256(input.command), JSON.stringify(input.hosts), input.category, JSON.stringify(input.reasons.map(text)), input.purpose === null ? null : text(input.purpose), input.requester, input.policyVersion, requestedAt, expiresAt);
    if (stored !== input.command) this.exactTexts.set(id, input.command);
    return this.get(id) as ApprovalRecord;
  }

  /**
   * The exact command approval `id` was requested for, checked against its digest: the stored
   * text when it held no secret, else the text this process kept when it queued the request.
   * Null when the command holds a secret this process does not have (another process queued
   * it, or this one restarted since), or when the stored row no longer matches its digest.
   */
  exactCommand(id: string): string | null {
    const row = this.db.prepare('SELECT command, command_sha256 FROM approvals WHERE id = ?').get(id) as Pick<ApprovalRow, 'command' | 'command_sha256'> | undefined;
    if (!row) return null;
    if (row.command_sha256 === null) return row.command;
    const candidate = this.exactTexts.get(id) ?? row.command;
    return sha256(candidate) === row.command_sha256 ? candidate : null;
  }

  get(id: string): ApprovalRecord | null {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Pending requests; ones past their expiry are marked expired first. */
  pending(now: Date = new Date()): ApprovalRecord[] {
    this.db.prepare("UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?").run(now.toISOString());
    const pending = (this.db.prepare("SELECT * FROM approvals WHERE status = 'pending' ORDER BY requested_at").all() as ApprovalRow[]).map(toRecord);
    // A secret is held no longer than its request can run (decided elsewhere, or expired).
    if (this.exactTexts.size > 0) {
      const open = new Set(pending.map((a) => a.id));
      for (const id of this.exactTexts.keys()) if (!open.has(id)) this.exactTexts.delete(id);
    }
    return pending;
  }

  /**
   * The ids that start with `prefix` (an exact id matches itself only). Ids are UUIDs:
   * anything else matches nothing.
   */
  idsStartingWith(prefix: string, limit = 10): string[] {
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f-]+$/.test(p)) return [];
    if (this.db.prepare('SELECT 1 FROM approvals WHERE id = ?').get(p)) return [p];
    return (this.db.prepare('SELECT id FROM approvals WHERE substr(id, 1, ?) = ? ORDER BY requested_at LIMIT ?').all(p.length, p, limit) as { id: string }[]).map((r) => r.id);
  }

  /** Records what the approved command did on each host, once. */
  recordResults(id: string, results: ExecResultLine[], now: Date = new Date()): void {
    const row = this.db.prepare('SELECT conversation_id FROM approvals WHERE id = ?').get(id) as { conversation_id: string | null } | undefined;
    const stored = mapStrings(results, (t) => this.redact(t, sessionOf(id, row?.conversation_id ?? null)));
    this.db.prepare('UPDATE approvals SET results_json = ?, executed_at = ? WHERE id = ? AND executed_at IS NULL').run(JSON.stringify(stored), now.toISOString(), id);
  }

  forConversation(conversationId: string): ApprovalRecord[] {
    return (this.db.prepare('SELECT * FROM approvals WHERE conversation_id = ? ORDER BY requested_at').all(conversationId) as ApprovalRow[]).map(toRecord);
  }

  /** Records a decision once; returns false when the request is not pending (already decided or expired). */
  decide(id: string, status: 'approved' | 'denied', reason: string | null, now: Date = new Date()): boolean {
    const row = this.db.prepare('SELECT conversation_id FROM approvals WHERE id = ?').get(id) as { conversation_id: string | null } | undefined;
    const storedReason = reason === null ? null : this.redact(reason, sessionOf(id, row?.conversation_id ?? null));
    const result = this.db
      .prepare("UPDATE approvals SET status = ?, decided_at = ?, decision_reason = ? WHERE id = ? AND status = 'pending' AND expires_at > ?")
      .run(status, now.toISOString(), storedReason, id, now.toISOString());
    // Decided: the caller took the exact text it runs before deciding; it is not kept longer.
    if (result.changes === 1) this.exactTexts.delete(id);
    return result.changes === 1;
  }
}

function toRecord(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    command: row.command,
    hosts: JSON.parse(row.hosts_json) as string[],
    category: row.category,
    reasons: JSON.parse(row.reasons_json) as string[],
    purpose: row.purpose,
    requester: row.requester,
    policyVersion: row.policy_version,
    status: row.status,
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    results: row.results_json ? (JSON.parse(row.results_json) as ExecResultLine[]) : null,
    executedAt: row.executed_at,
    commandSha256: row.command_sha256,
  };
}
