import { randomUUID } from 'node:crypto';
import type { ExecResultLine, PendingApproval } from '../../../shared/protocol';
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

/**
 * Approvals bound to the exact command, hosts and policy version, with an expiry.
 * No decision means no execution: an expired request is never run.
 */
export class ApprovalRepository {
  constructor(private readonly db: SqliteDatabase) {}

  create(input: NewApproval, now: Date = new Date()): ApprovalRecord {
    const id = randomUUID();
    const requestedAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + input.ttlMs).toISOString();
    this.db
      .prepare(
        `INSERT INTO approvals (id, conversation_id, command, hosts_json, category, reasons_json, purpose, requester, policy_version,
           status, requested_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(id, input.conversationId, input.command, JSON.stringify(input.hosts), input.category, JSON.stringify(input.reasons), input.purpose, input.requester, input.policyVersion, requestedAt, expiresAt);
    return this.get(id) as ApprovalRecord;
  }

  get(id: string): ApprovalRecord | null {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Pending requests; ones past their expiry are marked expired first. */
  pending(now: Date = new Date()): ApprovalRecord[] {
    this.db.prepare("UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?").run(now.toISOString());
    return (this.db.prepare("SELECT * FROM approvals WHERE status = 'pending' ORDER BY requested_at").all() as ApprovalRow[]).map(toRecord);
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
    this.db.prepare('UPDATE approvals SET results_json = ?, executed_at = ? WHERE id = ? AND executed_at IS NULL').run(JSON.stringify(results), now.toISOString(), id);
  }

  forConversation(conversationId: string): ApprovalRecord[] {
    return (this.db.prepare('SELECT * FROM approvals WHERE conversation_id = ? ORDER BY requested_at').all(conversationId) as ApprovalRow[]).map(toRecord);
  }

  /** Records a decision once; returns false when the request is not pending (already decided or expired). */
  decide(id: string, status: 'approved' | 'denied', reason: string | null, now: Date = new Date()): boolean {
    const result = this.db
      .prepare("UPDATE approvals SET status = ?, decided_at = ?, decision_reason = ? WHERE id = ? AND status = 'pending' AND expires_at > ?")
      .run(status, now.toISOString(), reason, id, now.toISOString());
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
  };
}
