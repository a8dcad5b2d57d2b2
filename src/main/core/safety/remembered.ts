import type { Decision, PolicyVerdict } from './types';

/** The policy's judgement a remembered approval was given for: what the operator agreed to. */
export interface RememberedVerdict {
  decision: Decision;
  category: string;
  /** The ids of the rules behind it; null when not recorded (rules remembered before they were). */
  ruleIds: string[] | null;
}

/** A remembered approval as the gate sees it. */
export interface RememberedRuleMatch {
  id: string;
  scope: string;
  target: string;
  /** The policy version the approval was remembered under; null when not recorded. */
  policyVersion: string | null;
  /** The verdict that was approved; null when not recorded. */
  verdict: RememberedVerdict | null;
}

/** What to record with a remembered approval. */
export function rememberedVerdictOf(verdict: Pick<PolicyVerdict, 'decision' | 'category' | 'ruleIds'>): RememberedVerdict {
  return { decision: verdict.decision, category: verdict.category, ruleIds: [...new Set(verdict.ruleIds ?? [])].sort() };
}

function describe(v: RememberedVerdict): string {
  return `${v.decision} ${v.category.replace(/_/g, ' ')}${v.ruleIds && v.ruleIds.length > 0 ? ` [${v.ruleIds.join(', ')}]` : ''}`;
}

/** Whether two judgements agree (rule ids only when the remembered one recorded them). */
export function sameVerdict(remembered: RememberedVerdict, current: RememberedVerdict): boolean {
  if (remembered.decision !== current.decision || remembered.category !== current.category) return false;
  if (remembered.ruleIds === null) return true;
  const now = current.ruleIds ?? [];
  return remembered.ruleIds.length === now.length && remembered.ruleIds.every((id, i) => id === now[i]);
}

/**
 * Why a remembered approval does not apply to the verdict the policy gives now, or null
 * when it does: the operator approved a command as the policy judged it then, so when the
 * policy (another version, or this host's or tag's rules) judges it differently, the
 * operator is asked again.
 */
export function staleRememberedRule(rule: RememberedRuleMatch, verdict: PolicyVerdict, policyVersion: string): string | null {
  const label = `the remembered approval (${rule.scope} ${rule.target}, rule ${rule.id})`;
  if (!rule.verdict) return `${label} was remembered without the verdict it approved; approve it again to remember it under the current policy`;
  const now = rememberedVerdictOf(verdict);
  if (sameVerdict(rule.verdict, now)) return null;
  const change = `${describe(rule.verdict)} → ${describe(now)}`;
  if (rule.policyVersion !== policyVersion) {
    return `${label} no longer applies: the safety policy changed since it was remembered (${rule.policyVersion ?? 'unknown version'} → ${policyVersion}) and judges the command differently (${change}); approve it again to remember it under the current policy`;
  }
  return `${label} does not apply here: the command is judged differently on this host (${change}) than when it was approved`;
}
