import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from './database';

export interface RememberedRule {
  id: string;
  command: string;
  scope: 'host' | 'tag';
  target: string;
  approvalId: string | null;
  createdBy: string;
  createdAt: string;
}

interface Row {
  id: string;
  command: string;
  scope: 'host' | 'tag';
  target: string;
  approval_id: string | null;
  created_by: string;
  created_at: string;
}

/** "Approve and remember": the exact command text, allowed on one host or on a tag's hosts. */
export class RememberedRuleRepository {
  constructor(private readonly db: SqliteDatabase) {}

  add(rule: Omit<RememberedRule, 'id' | 'createdAt'>): RememberedRule {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO remembered_rules (id, command, scope, target, approval_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(command, scope, target) DO NOTHING`,
      )
      .run(id, rule.command, rule.scope, rule.target, rule.approvalId, rule.createdBy, createdAt);
    return this.list().find((r) => r.command === rule.command && r.scope === rule.scope && r.target === rule.target) as RememberedRule;
  }

  list(): RememberedRule[] {
    return (this.db.prepare('SELECT * FROM remembered_rules ORDER BY created_at').all() as Row[]).map((r) => ({
      id: r.id,
      command: r.command,
      scope: r.scope,
      target: r.target,
      approvalId: r.approval_id,
      createdBy: r.created_by,
      createdAt: r.created_at,
    }));
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM remembered_rules WHERE id = ?').run(id).changes > 0;
  }

  /** The rule allowing exactly this command on this host (by name or one of its tags), if any. */
  match(command: string, host: string, tags: readonly string[]): RememberedRule | null {
    const row = this.db
      .prepare(
        `SELECT * FROM remembered_rules WHERE command = ? AND ((scope = 'host' AND target = ?) OR (scope = 'tag' AND target IN (SELECT value FROM json_each(?)))) LIMIT 1`,
      )
      .get(command, host, JSON.stringify(tags)) as Row | undefined;
    return row
      ? { id: row.id, command: row.command, scope: row.scope, target: row.target, approvalId: row.approval_id, createdBy: row.created_by, createdAt: row.created_at }
      : null;
  }
}
