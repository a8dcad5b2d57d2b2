import type { Decision, SafetyCategory } from '../types';
import type { VerdictSpec } from './spec';

/** One judgement about one part of a command; the verdict is the strictest of them. */
export interface Finding {
  decision: Decision;
  category: SafetyCategory;
  reason: string;
  /** The simple command (or redirection) the finding is about. */
  command: string;
  /** The policy rule that decided, when one did. */
  ruleId?: string;
  /** False when "approve and remember" must not be offered for the command. */
  rememberable: boolean;
}

const DECISION_RANK: Record<Decision, number> = { allow: 0, ask: 1, deny: 2 };

/** When decisions tie, the category an approver most needs to see comes first. */
const CATEGORY_RANK: Record<SafetyCategory, number> = {
  read_only: 0,
  unknown: 1,
  mutating: 2,
  persistence: 3,
  destructive: 4,
  code_download_exec: 5,
  network_exfiltration: 6,
  credential_access: 7,
  privilege_escalation: 8,
};

export function decisionRank(d: Decision): number {
  return DECISION_RANK[d];
}

export function stricterDecision(a: Decision, b: Decision): Decision {
  return DECISION_RANK[a] >= DECISION_RANK[b] ? a : b;
}

export function compareSeverity(a: { decision: Decision; category: SafetyCategory }, b: { decision: Decision; category: SafetyCategory }): number {
  return DECISION_RANK[a.decision] - DECISION_RANK[b.decision] || CATEGORY_RANK[a.category] - CATEGORY_RANK[b.category];
}

/** The stricter of two verdicts (deny over ask over allow; then the graver category). */
export function stricterVerdict<T extends { decision: Decision; category: SafetyCategory }>(a: T, b: T): T {
  return compareSeverity(a, b) >= 0 ? a : b;
}

export function finding(spec: VerdictSpec, command: string, ruleId?: string, reason?: string): Finding {
  return {
    decision: spec.decision,
    category: spec.category,
    reason: reason ?? spec.reason,
    command,
    ruleId,
    rememberable: spec.rememberable ?? true,
  };
}

export function make(decision: Decision, category: SafetyCategory, command: string, reason: string, rememberable = true): Finding {
  return { decision, category, reason, command, rememberable };
}
