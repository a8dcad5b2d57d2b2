import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from './database';

/** The policy's verdict a remembered approval was given for (decision, category, rule ids). */
export interface RememberedRuleVerdict {
  decision: 'allow' | 'ask' | 'deny';
  category: string;
  /** Null for rules remembered before rule ids were recorded. */
  ruleIds: string[] | null;
}

export interface RememberedRule {
  id: string;
  command: string;
  scope: 'host' | 'tag';
  target: string;
  approvalId: string | null;
  createdBy: string;
  createdAt: string;
  /** The policy version the approval was remembered under (null: not recorded). */
  policyVersion: string | null;
  /** The verdict that was approved (null: not recorded); the rule applies only while the policy judges the command alike. */
  verdict: RememberedRuleVerdict | null;
}

interface Row {
  id: string;
  command: string;
  scope: 'host' | 'tag';
  target: string;
  approval_id: string | null;
  created_by: string;
  created_at: string;
  policy_version: string | null;
  verdict_decision: RememberedRuleVerdict['decision'] | null;
  verdict_category: string | null;
  verdict_rule_ids_json: string | null;
}

function toRule(r: Row): RememberedRule {
  return {
    id: r.id,
    command: r.command,
    scope: r.scope,
    target: r.target,
    approvalId: r.approval_id,
    createdBy: r.created_by,
    createdAt: r.created_at,
    policyVersion: r.policy_version,
    verdict:
      r.verdict_decision && r.verdict_category
        ? { decision: r.verdict_decision, category: r.verdict_category, ruleIds: r.verdict_rule_ids_json === null ? null : (JSON.parse(r.verdict_rule_ids_json) as string[]) }
        : null,
  };
}

/** "Approve and remember": the exact command text, allowed on one host or on a tag's hosts, as long as the policy judges it alike. */
export class RememberedRuleRepository {
  constructor(private readonly db: SqliteDatabase) {}

  /** Adds a rule; remembering the same command for the same target again replaces what it was approved under. */
  add(rule: Omit<RememberedRule, 'id' | 'createdAt'>): RememberedRule {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO remembered_rules (id, command, scope, target, approval_id, created_by, created_at, policy_version, verdict_decision, verdict_category, verdict_rule_ids_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(command, scope, target) DO UPDATE SET approval_id = excluded.approval_id, created_by = excluded.created_by, created_at = excluded.created_at,
           policy_version = excluded.policy_version, verdict_decision = excluded.verdict_decision, verdict_category = excluded.verdict_category,
           verdict_rule_ids_json = excluded.verdict_rule_ids_json`,
      )
      .run(
        id,
        rule.command,
        rule.scope,
        rule.target,
        rule.approvalId,
        rule.createdBy,
        createdAt,
        rule.policyVersion,
        rule.verdict?.decision ?? null,
        rule.verdict?.category ?? null,
        rule.verdict?.ruleIds ? JSON.stringify(rule.verdict.ruleIds) : null,
      );
    const row = this.db.prepare('SELECT * FROM remembered_rules WHERE command = ? AND scope = ? AND target = ?').get(rule.command, rule.scope, rule.target) as Row;
    return toRule(row);
  }

  list(): RememberedRule[] {
    return (this.db.prepare('SELECT * FROM remembered_rules ORDER BY created_at').all() as Row[]).map(toRule);
  }

  get(id: string): RememberedRule | null {
    const row = this.db.prepare('SELECT * FROM remembered_rules WHERE id = ?').get(id) as Row | undefined;
    return row ? toRule(row) : null;
  }

  /** The ids that start with `prefix` (an exact id matches itself only); ids are UUIDs. */
  idsStartingWith(prefix: string, limit = 10): string[] {
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f-]+$/.test(p)) return [];
    if (this.db.prepare('SELECT 1 FROM remembered_rules WHERE id = ?').get(p)) return [p];
    return (this.db.prepare('SELECT id FROM remembered_rules WHERE substr(id, 1, ?) = ? ORDER BY created_at LIMIT ?').all(p.length, p, limit) as { id: string }[]).map((r) => r.id);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM remembered_rules WHERE id = ?').run(id).changes > 0;
  }

  /** The rule for exactly this command on this host (by name or one of its tags), if any; a host rule comes first. */
  match(command: string, host: string, tags: readonly string[]): RememberedRule | null {
    const row = this.db
      .prepare(
        `SELECT * FROM remembered_rules WHERE command = ? AND ((scope = 'host' AND target = ?) OR (scope = 'tag' AND target IN (SELECT value FROM json_each(?))))
         ORDER BY CASE scope WHEN 'host' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`,
      )
      .get(command, host, JSON.stringify(tags)) as Row | undefined;
    return row ? toRule(row) : null;
  }
}
