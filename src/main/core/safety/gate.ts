import { ApprovedCommand } from './approved-command';
import { noAudit, type AuditSink } from './audit-sink';
import { staleRememberedRule, type RememberedRuleMatch } from './remembered';
import type { CommandPolicy, CommandRequest, PolicyVerdict } from './types';

export type GateResult =
  /** `judged`: from checkApproved, the policy's own verdict before the operator's approval made it `allow`. */
  | { ok: true; command: ApprovedCommand; verdict: PolicyVerdict; judged?: PolicyVerdict }
  | { ok: false; verdict: PolicyVerdict };

/** Operator approvals remembered as rules: the exact command on a host or a tag, with the verdict approved. */
export interface RememberedRuleSource {
  match(command: string, host: string, tags: readonly string[]): RememberedRuleMatch | null;
}

/**
 * Every face and every agent asks here before anything runs. Only an `allow` verdict
 * mints an ApprovedCommand; `ask` and `deny` come back as refusals the caller must
 * surface (an `ask` becomes a pending approval; only the operator's decision runs it).
 */
export class SafetyGate {
  constructor(
    private readonly policy: CommandPolicy,
    private readonly remembered: RememberedRuleSource | null = null,
    private readonly audit: AuditSink = noAudit,
  ) {}

  /** Every decision that could lead to execution is audited (views of a verdict are not). */
  private recordDecision(request: CommandRequest, verdict: PolicyVerdict, approvalId?: string): void {
    this.audit.record({
      kind: 'decision',
      actor: request.requester,
      host: request.host,
      subject: request.command,
      data: { decision: verdict.decision, category: verdict.category, reasons: verdict.reasons, policyVersion: this.policy.version, ...(approvalId ? { approvalId } : {}) },
    });
  }

  get policyVersion(): string {
    return this.policy.version;
  }

  /**
   * The concrete paths the policy looks at when judging this command (relative names
   * resolved against a `cd` it saw): what the fleet resolves on the host as facts.
   */
  judgedPaths(request: { command: string; argv?: readonly string[] }): string[] {
    try {
      return this.policy.judgedPaths?.(request) ?? [];
    } catch {
      return [];
    }
  }

  /** Waits until the policy can judge; rejects if it failed to load. */
  async ready(): Promise<void> {
    await this.policy.ready?.();
  }

  /**
   * The policy's verdict, failing closed when the policy throws. A remembered approval
   * turns an `ask` for exactly that command into `allow`; it never overrides `deny`,
   * never applies where remembering is not allowed, and applies only while the policy
   * judges the command as it did when the approval was remembered (decision, category,
   * rule ids): otherwise the operator is asked again, with the reason.
   */
  evaluate(request: CommandRequest): PolicyVerdict {
    let verdict: PolicyVerdict;
    try {
      verdict = withPathFacts(this.policy, request, this.policy.evaluate(request));
    } catch (err) {
      return { decision: 'deny', category: 'unknown', reasons: [`policy error: ${(err as Error).message}`] };
    }
    if (verdict.decision === 'ask' && this.remembered) {
      const rule = this.remembered.match(request.command, request.host, request.tags ?? []);
      if (rule) {
        const label = `the remembered approval (${rule.scope} ${rule.target}, rule ${rule.id})`;
        if (verdict.rememberable === false) return { ...verdict, reasons: [...verdict.reasons, `${label} does not apply: ${verdict.notRememberable ?? 'this command is approved once only'}`] };
        const stale = staleRememberedRule(rule, verdict, this.policy.version);
        if (stale) return { ...verdict, reasons: [...verdict.reasons, stale] };
        return { ...verdict, decision: 'allow', reasons: [...verdict.reasons, `allowed by a remembered approval (${rule.scope} ${rule.target}, rule ${rule.id})`] };
      }
    }
    return verdict;
  }

  check(request: CommandRequest): GateResult {
    const verdict = this.evaluate(request);
    this.recordDecision(request, verdict);
    if (verdict.decision !== 'allow') return { ok: false, verdict };
    const command = ApprovedCommand.mint({
      command: request.command,
      // A plain command line the policy split into words runs without a shell.
      argv: request.argv ?? (verdict.needsShell === false && verdict.argv ? verdict.argv : null),
      host: request.host,
      requester: request.requester,
      verdict,
      policyVersion: this.policy.version,
    });
    return { ok: true, command, verdict };
  }

  /**
   * The operator approved this exact request: mint for an `ask` verdict. A `deny` stays
   * refused whatever was approved, and so does a request whose text differs from the
   * approved one or that the policy now judges under another version.
   */
  checkApproved(request: CommandRequest, approval: { id: string; command: string; policyVersion: string }): GateResult {
    const refuse = (reason: string): GateResult => {
      const verdict: PolicyVerdict = { decision: 'deny', category: 'unknown', reasons: [reason] };
      this.recordDecision(request, verdict, approval.id);
      return { ok: false, verdict };
    };
    if (request.command !== approval.command) return refuse('the command differs from the one the operator approved');
    if (approval.policyVersion !== this.policy.version) {
      return refuse(`the safety policy changed since approval ${approval.id} was requested (${approval.policyVersion} → ${this.policy.version}); request it again`);
    }
    let verdict: PolicyVerdict;
    try {
      verdict = withPathFacts(this.policy, request, this.policy.evaluate(request));
    } catch (err) {
      return refuse(`policy error: ${(err as Error).message}`);
    }
    if (verdict.decision === 'deny') {
      this.recordDecision(request, verdict, approval.id);
      return { ok: false, verdict };
    }
    const approved: PolicyVerdict = { ...verdict, decision: 'allow', reasons: [...verdict.reasons, `approved by the operator (approval ${approval.id})`] };
    this.recordDecision(request, approved, approval.id);
    const command = ApprovedCommand.mint({
      command: request.command,
      argv: request.argv ?? (verdict.needsShell === false && verdict.argv ? verdict.argv : null),
      host: request.host,
      requester: request.requester,
      verdict: approved,
      policyVersion: this.policy.version,
    });
    return { ok: true, command, verdict: approved, judged: verdict };
  }
}

const STRICTNESS = { allow: 0, ask: 1, deny: 2 } as const;

/**
 * Judges what the command's path words resolve to on the host as well as the words
 * themselves: each target is judged as a read of that file (`cat -- TARGET`), so a link
 * to a credential is treated as naming the credential. A verdict changed by a fact is
 * never rememberable (the link can change again), and the link is named in the reasons.
 */
function withPathFacts(policy: CommandPolicy, request: CommandRequest, verdict: PolicyVerdict): PolicyVerdict {
  const facts = Object.entries(request.resolvedPaths ?? {}).filter(([word, target]) => target !== word && target !== normalizeLexically(word));
  if (facts.length === 0) return verdict;
  let result = verdict;
  for (const [word, target] of facts) {
    const probe = policy.evaluate({ command: `cat -- ${target}`, argv: ['cat', '--', target], host: request.host, requester: request.requester, tags: request.tags });
    if (STRICTNESS[probe.decision] > STRICTNESS[result.decision]) {
      result = { ...result, decision: probe.decision, category: probe.category, rememberable: false, needsShell: result.needsShell };
    }
    if (probe.decision !== 'allow') {
      result = {
        ...result,
        rememberable: false,
        notRememberable: result.notRememberable ?? `${word} resolves to ${target} on ${request.host}, and the link can change`,
        reasons: [...result.reasons, `${word} resolves to ${target} on ${request.host}: ${probe.reasons.join('; ')}`],
      };
    } else if (result.decision !== 'allow') {
      result = { ...result, reasons: [...result.reasons, `${word} resolves to ${target} on ${request.host}`] };
    }
  }
  return result;
}

/** `/a/./b/../c` → `/a/c`: a word that only differs from its target by spelling is no link. */
function normalizeLexically(word: string): string {
  if (!word.startsWith('/')) return word;
  const parts: string[] = [];
  for (const part of word.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
