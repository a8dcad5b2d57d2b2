import type { ExecResultLine, Host } from '../../../shared/protocol';
import { publicCliName } from '../config';
import type { PolicyVerdict, SafetyGate } from '../safety';
import { mapBounded } from './concurrency';
import type { Fleet, PathFacts } from './fleet';
import type { ExecOptions } from './types';

export interface FanOutRequest {
  /** Text shown to the operator and judged by the policy. */
  command: string;
  /** Words, when the caller has them (no shell involved). */
  argv?: string[];
  requester: string;
  concurrency?: number;
  exec?: Omit<ExecOptions, 'onOutput'>;
  /** Each host's line as soon as that host finishes. */
  onResult?: (line: ExecResultLine) => void;
  /**
   * Where `ask` verdicts go: one pending approval for every host that asked (the same
   * queue the agent uses). Without it, those hosts report approval_required with no id.
   */
  requestApproval?: (input: ApprovalAsk) => { id: string; expiresAt: string };
  /** Path facts (resolved paths, glob matches) the caller already gathered per host name (run_command judged with them first): not gathered again. */
  facts?: ReadonlyMap<string, PathFacts | undefined>;
}

/** What a fan-out asks the operator to approve: the exact text, the hosts that asked, why. */
export interface ApprovalAsk {
  command: string;
  hosts: string[];
  category: string;
  reasons: string[];
  policyVersion: string;
}

/** Words that need no quoting in a shell (so a plain argv reads as typed). */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The command line a shell parses back into exactly these words. */
export function shellQuoteWords(words: readonly string[]): string {
  return words.map((w) => (w !== '' && PLAIN_WORD.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Per category, something narrower the policy may let an operator run instead. */
const INSTEAD: Partial<Record<PolicyVerdict['category'], string>> = {
  credential_access:
    'to check a key without reading it, list it (`ls -l ~/.ssh`) or print the fingerprint of its public half (`ssh-keygen -lf ~/.ssh/id_ed25519.pub`)',
  destructive: 'name the specific files or directory to remove (e.g. `rm -rf ./build`); that asks for approval instead of being refused',
};

/**
 * Why a `deny` is final, and what to do instead. `deny` is reserved for what no operator
 * should approve from any console; `ask` is for routine changes.
 */
export function denialMessage(verdict: PolicyVerdict): string {
  const head = `refused by the safety policy (${verdict.category}): ${verdict.reasons.join('; ')}`;
  const instead = INSTEAD[verdict.category];
  const why =
    'This is denied, not queued for approval: the policy keeps `deny` for what no operator should approve from a console (wiping the root file system, fork bombs, reading credentials), so no approval on any face can run it';
  return `${head}. ${why}${instead ? `. Instead, ${instead}.` : '; run it, if you must, outside Fleetmind where you can see its full effect.'}`;
}

/** The per-host message for a queued approval: how the operator decides it. */
export function approvalMessage(id: string, expiresAt: string, verdict: { category: string; reasons: readonly string[] }): string {
  const cli = publicCliName();
  return `needs the operator's approval (${verdict.category}): ${verdict.reasons.join('; ')}. Queued as approval ${id}, pending until ${expiresAt}: approve it with \`${cli} approvals approve ${id}\` (or deny it with \`${cli} approvals deny ${id}\`, or in the UI); nothing runs until then.`;
}

/**
 * Runs one command on many hosts with bounded concurrency. The gate judges the command
 * for each host (host and tag rules may differ); a refusal or a dead host is that host's
 * result, never a reason to stop the others.
 */
export async function fanOut(fleet: Fleet, gate: SafetyGate, hosts: readonly Host[], request: FanOutRequest): Promise<ExecResultLine[]> {
  const asking: { host: Host; verdict: PolicyVerdict }[] = [];
  const runOne = async (host: Host): Promise<ExecResultLine | null> => {
    // The path words are judged by what they resolve to on that host, not only as written, and
    // its globs by the names they match there (the command then runs with those names).
    const facts = request.facts?.has(host.name) ? request.facts.get(host.name) : await fleet.pathFacts(host, request.command, request.argv, request.exec?.signal);
    const check = gate.check({ command: request.command, argv: request.argv, host: host.name, requester: request.requester, tags: host.tags, ...facts });
    if (!check.ok) {
      const denied = check.verdict.decision === 'deny';
      if (!denied && request.requestApproval) {
        // Reported once every host was judged: the hosts that asked share one approval.
        asking.push({ host, verdict: check.verdict });
        return null;
      }
      return notRun(host.name, {
        code: denied ? 'policy_denied' : 'approval_required',
        message: denied ? denialMessage(check.verdict) : `needs the operator's approval (${check.verdict.category}): ${check.verdict.reasons.join('; ')}; this face cannot queue approvals`,
      });
    }
    try {
      const out = await fleet.executor(host).run(check.command, request.exec);
      return {
        host: host.name,
        ok: out.error === null && out.exitCode === 0,
        exitCode: out.exitCode,
        stdout: out.stdout,
        stderr: out.stderr,
        durationMs: Math.round(out.durationMs * 10) / 10,
        error: out.error,
      };
    } catch (err) {
      return notRun(host.name, { code: 'unreachable', message: (err as Error).message });
    }
  };
  // Connecting needs no approval: overlap it with the policy load (the cold CLI's main cost).
  fleet.prewarm(hosts, request.exec?.signal);
  await gate.ready();
  // Results come back in completion order, each reported as soon as its host finishes.
  const results: ExecResultLine[] = [];
  await mapBounded(hosts, request.concurrency ?? 32, async (host) => {
    const line = await runOne(host);
    if (!line) return;
    results.push(line);
    request.onResult?.(line);
  });
  // A plain argv is queued as the command line that parses back into the same words; a glob the
  // host expanded, as the list it expanded to there (what runs once approved), so hosts whose
  // lists differ get an approval each.
  const byText = new Map<string, typeof asking>();
  for (const a of asking) {
    const text = a.verdict.expandedCommand ?? (request.argv ? shellQuoteWords(request.argv) : request.command);
    byText.set(text, [...(byText.get(text) ?? []), a]);
  }
  // (Hosts are only added to `asking` when requestApproval is set.)
  for (const [text, group] of byText) {
    const reasons = [...new Set(group.flatMap((a) => a.verdict.reasons))];
    const categories = [...new Set(group.map((a) => a.verdict.category))];
    const verdict = { category: categories.join(', '), reasons };
    let queued: { id: string; expiresAt: string } | null = null;
    let failure: string | null = null;
    try {
      queued = request.requestApproval?.({ command: text, hosts: group.map((a) => a.host.name), category: verdict.category, reasons, policyVersion: gate.policyVersion }) ?? null;
      if (!queued) failure = 'approvals are not available here';
    } catch (err) {
      failure = (err as Error).message;
    }
    for (const { host } of group) {
      const line = notRun(
        host.name,
        queued
          ? { code: 'approval_required', approvalId: queued.id, message: approvalMessage(queued.id, queued.expiresAt, verdict) }
          : { code: 'approval_required', message: `needs the operator's approval (${verdict.category}): ${reasons.join('; ')}; it could not be queued: ${failure}` },
      );
      results.push(line);
      request.onResult?.(line);
    }
  }
  return results;
}

/** A host's line for a command that never started there (refused, queued, or the host failed). */
function notRun(host: string, error: NonNullable<ExecResultLine['error']>): ExecResultLine {
  return { host, ok: false, exitCode: null, stdout: '', stderr: '', durationMs: 0, error };
}
