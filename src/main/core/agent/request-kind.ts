import type { LlmTask } from '../llm';

/**
 * What kind of request a message is, to pick the model and the tool set before the
 * model sees it. Emergencies and changes get run_command at once so approvals
 * surface early; plain questions get only read tools.
 */
export type RequestKind = 'question' | 'diagnosis' | 'change' | 'emergency';

const EMERGENCY = [/\b(down|outage|crash(ed|ing)?|unreachable|not responding|on fire|urgent|emergency|asap|sev ?[01]|p[01]\b|incident|5\d\d errors?)\b/i];
const CHANGE = [
  /\b(restart|reload|stop|start|kill|install|uninstall|upgrade|update|remove|delete|clean ?up|rotate|truncate|deploy|roll ?back|enable|disable|fix|apply|set|change|add|create|mount|unmount|reboot|scale|purge|chmod|chown)\b/i,
  /\bfree\b.{0,20}\b(space|memory|disk|ram)\b/i,
];
const DIAGNOSIS = [/\b(why|diagnos|troubleshoot|investigate|root cause|slow|sluggish|high (cpu|load|memory)|leak|spik|errors?|failing|failed|timeout|latency|what'?s wrong|explain (this|the) alert)\b/i];

export function classifyRequest(message: string): RequestKind {
  if (EMERGENCY.some((p) => p.test(message))) return 'emergency';
  if (CHANGE.some((p) => p.test(message))) return 'change';
  if (DIAGNOSIS.some((p) => p.test(message))) return 'diagnosis';
  return 'question';
}

export function taskFor(kind: RequestKind): LlmTask {
  return kind === 'diagnosis' || kind === 'emergency' ? 'diagnosis' : 'chat';
}

/** Questions stay read-only; everything else may propose commands (which the policy gates). */
export function allowsRunCommand(kind: RequestKind): boolean {
  return kind !== 'question';
}
