import { ApprovedCommand } from './approved-command';
import { noAudit, type AuditSink } from './audit-sink';
import { substituteGlobs } from './policy/glob-sites';
import { staleRememberedRule, type RememberedRuleMatch } from './remembered';
import type { CommandPolicy, CommandRequest, GlobSite, PolicyVerdict } from './types';

/**
 * Names a command's globs may expand to on a host and still be judged one by one (in
 * all, over every glob word): past it the fleet stops listing them and the gate asks.
 */
export const MAX_GLOB_MATCHES = 1000;
/** The expanded command text at most; longer, the globs are not replaced and the gate asks. */
const MAX_EXPANDED_LENGTH = 60_000;

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
    // The subject is what runs: with globs expanded on the host, the judged list; the text asked for is kept beside it.
    const expanded = verdict.expandedCommand !== undefined && verdict.expandedCommand !== request.command;
    this.audit.record({
      kind: 'decision',
      actor: request.requester,
      host: request.host,
      subject: expanded ? (verdict.expandedCommand as string) : request.command,
      data: {
        decision: verdict.decision,
        category: verdict.category,
        reasons: verdict.reasons,
        policyVersion: this.policy.version,
        ...(expanded ? { requested: request.command } : {}),
        ...(approvalId ? { approvalId } : {}),
      },
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

  /**
   * The glob words of a shell command that the fleet may expand on the host (glob-sites):
   * their matches come back as `globMatches`, and the command is judged and run with them.
   */
  globSites(command: string): GlobSite[] {
    try {
      return this.policy.globSites?.(command) ?? [];
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
      verdict = this.judge(request);
    } catch (err) {
      return { decision: 'deny', category: 'unknown', reasons: [`policy error: ${(err as Error).message}`] };
    }
    if (verdict.decision === 'ask' && this.remembered) {
      // A remembered approval is for the text that runs (an approval of an expanded glob names its list).
      const rule = this.remembered.match(verdict.expandedCommand ?? request.command, request.host, request.tags ?? []);
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

  /**
   * The policy's verdict with the host's facts: the command with its glob words replaced
   * by what they matched there (what runs), judged as if typed, and every path word also
   * judged by what it resolves to. Throws when the policy does.
   */
  private judge(request: CommandRequest): PolicyVerdict {
    const expansion = this.expandGlobs(request);
    const judged = expansion.request;
    let verdict = withPathFacts(this.policy, judged, this.policy.evaluate(judged));
    if (judged.command !== request.command) verdict = { ...verdict, expandedCommand: judged.command, reasons: [...verdict.reasons, ...expansion.notes] };
    if (expansion.unknown.length > 0) {
      const why = `which files it reads was not judged one by one, and bash expands it again when it runs`;
      const reasons = expansion.unknown.map((u) => `${u}; ${why}`);
      verdict =
        verdict.decision === 'allow'
          ? { ...verdict, decision: 'ask', category: 'unknown', reasons, rememberable: false, notRememberable: reasons[0] }
          : { ...verdict, reasons: [...verdict.reasons, ...reasons], rememberable: false, notRememberable: verdict.notRememberable ?? reasons[0] };
    }
    return verdict;
  }

  /**
   * The request with each glob site replaced by the names the fleet found for it on the
   * host. Only sites the policy reports for this very text are replaced, each by its own
   * list (quoted, so no name is parsed as shell code); a site the host could not list stays
   * as written and is reported in `unknown`.
   */
  private expandGlobs(request: CommandRequest): { request: CommandRequest; notes: string[]; unknown: string[] } {
    const facts = request.globMatches;
    if (!facts || facts.length === 0 || (request.argv && request.argv.length > 0)) return { request, notes: [], unknown: [] };
    const sites = new Map(this.globSites(request.command).map((s) => [`${s.start}:${s.end}`, s]));
    const replacements: { start: number; end: number; words: readonly string[] }[] = [];
    const notes: string[] = [];
    const unknown: string[] = [];
    let total = 0;
    for (const fact of facts) {
      const key = `${fact.start}:${fact.end}`;
      const site = sites.get(key);
      if (!site || site.word !== fact.word) continue;
      sites.delete(key); // one fact per site
      const where = `on ${request.host}`;
      const matches = fact.matches;
      if (matches === null || matches.length === 0 || matches.some((m) => m.length === 0 || m.includes('\0'))) {
        unknown.push(`${site.pattern}: ${fact.unknown ?? 'its matches could not be listed'} ${where}`);
        continue;
      }
      total += matches.length;
      if (total > MAX_GLOB_MATCHES) {
        unknown.push(`${site.pattern}: with the other globs it matches more than the ${MAX_GLOB_MATCHES} names judged one by one ${where}`);
        continue;
      }
      replacements.push({ start: fact.start, end: fact.end, words: matches });
      notes.push(
        matches.length === 1 && matches[0] === site.pattern
          ? `${site.pattern} matched no file ${where}; it runs as that literal word, as bash passes it`
          : `${site.pattern} matched ${matches.length} name${matches.length === 1 ? '' : 's'} ${where}, each judged as written; it runs as that list, not expanded again`,
      );
    }
    if (replacements.length === 0) return { request, notes: [], unknown };
    const command = substituteGlobs(request.command, replacements);
    if (command.length > MAX_EXPANDED_LENGTH) {
      const patterns = replacements.map((r) => request.command.slice(r.start, r.end)).join(', ');
      return { request, notes: [], unknown: [...unknown, `the names ${patterns} matched on ${request.host} make the command longer than ${MAX_EXPANDED_LENGTH} characters`] };
    }
    return { request: { ...request, command, globMatches: undefined }, notes, unknown };
  }

  check(request: CommandRequest): GateResult {
    const verdict = this.evaluate(request);
    this.recordDecision(request, verdict);
    if (verdict.decision !== 'allow') return { ok: false, verdict };
    const command = ApprovedCommand.mint({
      // What was judged: the expanded list when the host expanded the globs.
      command: verdict.expandedCommand ?? request.command,
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
   * approved one or that the policy now judges under another version, and an ask that
   * needs the host name typed (a production tag) when `confirmedHosts` lacks this host:
   * the approval service checks what was typed first; this is the last word, at the one
   * place that mints.
   */
  checkApproved(request: CommandRequest, approval: { id: string; command: string; policyVersion: string; confirmedHosts?: readonly string[]; reasons?: readonly string[] }): GateResult {
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
      verdict = this.judge(request);
    } catch (err) {
      return refuse(`policy error: ${(err as Error).message}`);
    }
    if (verdict.decision === 'deny') {
      this.recordDecision(request, verdict, approval.id);
      return { ok: false, verdict };
    }
    // What the command's paths resolve to is part of what the operator approved (the reasons
    // name each resolution): a link planted or swapped after the request was queued, by
    // whoever controls that directory, would make the approved text write or read elsewhere.
    if (approval.reasons) {
      const approvedReasons = new Set(approval.reasons);
      const moved = verdict.reasons.filter((r) => r.includes(' resolves to ') && !approvedReasons.has(r));
      if (moved.length > 0) {
        return refuse(`what the command's paths resolve to changed since approval ${approval.id} was requested (${moved.join('; ')}); nothing ran, request it again`);
      }
    }
    if (verdict.decision === 'ask' && verdict.confirmation === 'typed-host' && !(approval.confirmedHosts ?? []).includes(request.host)) {
      return refuse(`${request.host} is tagged ${verdict.confirmationTag ?? 'production'}: approval ${approval.id} needs its name typed to run there`);
    }
    const approved: PolicyVerdict = { ...verdict, decision: 'allow', reasons: [...verdict.reasons, `approved by the operator (approval ${approval.id})`] };
    this.recordDecision(request, approved, approval.id);
    const command = ApprovedCommand.mint({
      command: verdict.expandedCommand ?? request.command,
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
const MAX_BENIGN_LINK_REASONS = 8;

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
  // Harmless links are named for context only, a few of them (an expanded glob may bring hundreds).
  let benign = 0;
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
    } else if (result.decision !== 'allow' && benign++ < MAX_BENIGN_LINK_REASONS) {
      result = { ...result, reasons: [...result.reasons, `${word} resolves to ${target} on ${request.host}`] };
    }
  }
  if (benign > MAX_BENIGN_LINK_REASONS && result.decision !== 'allow') result = { ...result, reasons: [...result.reasons, `and ${benign - MAX_BENIGN_LINK_REASONS} more harmless links`] };
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
