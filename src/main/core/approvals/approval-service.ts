import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ApiError, ChatResponse, ExecResultLine, Host, ToolCallRecord } from '../../../shared/protocol';
import { commandRunFromLine, mapBounded, SelectorError, type Fleet, type Inventory } from '../fleet';
import { findSecrets } from '../privacy';
import { noAudit, rememberedVerdictOf, sameVerdict, type AuditSink, type PolicyVerdict, type RememberedVerdict, type SafetyGate } from '../safety';
import type { ApprovalRecord, ApprovalRepository, RememberedRule, RememberedRuleRepository } from '../store';

export type ApprovalDecision = 'approve' | 'deny';
export type RememberScope = 'once' | 'host' | 'tag';

export class ApprovalError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'ApprovalError';
  }
}

/**
 * What a decided approval continues: the conversation that asked (the agent's chat service).
 * Null when nothing continues: `fleetmind exec` queues approvals without loading the agent.
 */
export interface ConversationResumer {
  resume(conversationId: string, note: { content: string; toolCalls: ToolCallRecord[] }): Promise<ChatResponse | null> | null;
}

export interface DecisionInput {
  decision: ApprovalDecision;
  reason?: string;
  remember?: RememberScope;
  /** With remember 'tag': which tag (default: the one tag all approved hosts share). */
  tag?: string;
  /** The host names the operator typed: required for every production host the command would change. */
  confirmHosts?: readonly string[];
  /** Who decided: `cli`, `api`, `ui`. */
  actor: string;
}

/** A host whose ask needs its name typed to approve, and the tag that says so. */
export interface TypedHost {
  host: string;
  tag: string;
}

const shown = (typed: string) => JSON.stringify(typed.length > 80 ? `${typed.slice(0, 77)}...` : typed);

/**
 * Why the names typed do not confirm an approval, or null when they do: every host in
 * `needed` must be typed exactly (case and all), and nothing may be typed that the request
 * does not run on (a name from another request or another host is a sign the operator is
 * looking at something else). For a fan-out every production host's name is typed, not
 * their count: reading and typing each name is where "db-1 is in this list" gets noticed.
 */
export function typedConfirmationError(requestHosts: readonly string[], needed: readonly TypedHost[], typed: readonly string[] | undefined): string | null {
  const given = typed ?? [];
  const stray = given.filter((t) => !requestHosts.includes(t));
  if (stray.length > 0) {
    const names = stray.slice(0, 5).map(shown).join(', ') + (stray.length > 5 ? ` and ${stray.length - 5} more` : '');
    return `${names} ${stray.length === 1 ? 'is not a host' : 'are not hosts'} this request runs on (${requestHosts.join(', ')}); type the name of each production host exactly`;
  }
  const missing = needed.filter((n) => !given.includes(n.host));
  if (missing.length === 0) return null;
  const names = missing.map((m) => `${m.host} (tagged ${m.tag})`).join(', ');
  if (given.length === 0) {
    const only = needed.length === 1 ? needed[0] : undefined;
    return only ? `${only.host} is tagged ${only.tag}: type its name to approve` : `this runs on ${needed.length} production hosts: type the name of each to approve (${names})`;
  }
  return `the names typed do not include ${names}: type the name of every production host this runs on`;
}

export interface DecisionOutcome {
  approval: ApprovalRecord;
  results: ExecResultLine[];
  /** Rules written by "approve and remember". */
  remembered: RememberedRule[];
  /** Set when the agent continued the conversation (it runs in the background). */
  continued: Promise<unknown> | null;
}

/**
 * Why "approve and remember" is refused for a command, given the policy's verdicts on its
 * hosts, or null when it may be remembered. The policy decides (policy/rememberable.ts:
 * one simple command of literal words, no wrapper, shell, interpreter or instruction
 * file, nothing approved once only); sudo, shells, interpreters and env are refused here
 * by name as well (Codex's lesson): the next command could be anything.
 */
export function rememberRefusal(command: string, verdicts: readonly Pick<PolicyVerdict, 'rememberable' | 'notRememberable' | 'reasons'>[]): string | null {
  // Only a verdict that says so allows remembering (one from a policy still loading says nothing).
  const refused = verdicts.find((v) => v.rememberable !== true);
  if (refused) return refused.notRememberable ?? (refused.rememberable === false ? 'this command is approved once only' : `the policy could not judge it (${refused.reasons[0] ?? 'no verdict'})`);
  if (verdicts.length === 0) return 'the policy has not judged this command on any host';
  if (/^\s*(sudo|su|doas|pkexec|env|bash|sh|zsh|dash|python[0-9.]*|perl|ruby|node|php|eval|exec)\b/.test(command)) {
    return 'commands run through sudo, a shell, an interpreter or env are approved once only';
  }
  // A remembered rule matches on the exact text, so it would keep the secret on disk (privacy at rest).
  if (findSecrets(command).length > 0 || PLACEHOLDER.test(command)) {
    return 'the command contains a secret, and a remembered rule would keep it on disk; it is approved once only';
  }
  return null;
}

/** A redaction placeholder: the command was stored redacted (its exact text held a secret). */
const PLACEHOLDER = /\[REDACTED:[a-z0-9-]+#\d+\]/;

/** Shortest prefix of an id the operator may type (an 8-character hex prefix collides rarely; 6 is the floor). */
export const MIN_ID_PREFIX = 6;

/**
 * An id typed in full or as a unique prefix of at least MIN_ID_PREFIX characters.
 * Ambiguity is an error that lists the candidates, never a guess.
 */
function resolvePrefix(what: string, typed: string, find: (prefix: string) => string[], describe: (id: string) => string): string {
  const given = typed.trim().toLowerCase();
  const exact = find(given);
  if (exact.length === 1 && exact[0] === given) return given;
  if (given.length < MIN_ID_PREFIX) {
    throw new ApprovalError({ code: 'not_found', message: `no ${what} with id ${typed}${exact.length ? ` (a prefix needs at least ${MIN_ID_PREFIX} characters)` : ''}` });
  }
  if (exact.length === 0) throw new ApprovalError({ code: 'not_found', message: `no ${what} with id ${typed}` });
  if (exact.length > 1) {
    const shown = exact.map((id) => `${id} (${describe(id).slice(0, 80)})`).join(', ');
    throw new ApprovalError({ code: 'bad_request', message: `ambiguous ${what} id prefix ${typed}: it matches ${exact.length >= 10 ? 'at least ' : ''}${exact.length} (${shown}); type more characters` });
  }
  return exact[0] as string;
}

/** The verdict a remembered rule records: the policy's own judgement, before the approval made it `allow`. */
function judgedVerdict(check: { verdict: PolicyVerdict; judged?: PolicyVerdict }): RememberedVerdict {
  return rememberedVerdictOf(check.judged ?? { ...check.verdict, decision: 'ask' });
}

/**
 * Decides pending approvals. Approving mints the command through the safety gate
 * (bound to the exact text, hosts and policy version), runs it, stores the result in
 * the conversation and lets the agent continue; denying tells the agent why. No
 * decision means nothing runs: expired requests stay unrun.
 */
/** What an approved MCP call needs from core/mcp: check it still binds (server, tool, arguments, pinned definition), then run exactly it. */
export interface McpApprovalPort {
  prepareApproved(exactCommand: string, policyVersion: string): { server: string; tool: string; run: (actor: string) => Promise<ExecResultLine> };
}

export class ApprovalService {
  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly gate: SafetyGate,
    private readonly fleet: Fleet,
    private readonly inventory: Inventory,
    private readonly chat: ConversationResumer,
    private readonly ruleStore: RememberedRuleRepository,
    private readonly audit: AuditSink = noAudit,
  ) {}

  /** Runs approved MCP tool calls (category `mcp`); set by the composition root. Null: they cannot be approved here. */
  mcpCalls: McpApprovalPort | null = null;

  pending(): ApprovalRecord[] {
    return this.approvals.pending();
  }

  get(id: string): ApprovalRecord | null {
    return this.approvals.get(id);
  }

  /** The approval with this id or unique id prefix (at least 6 characters); not_found / bad_request (ambiguous) otherwise. */
  resolve(idOrPrefix: string): ApprovalRecord {
    const id = resolvePrefix('approval', idOrPrefix, (p) => this.approvals.idsStartingWith(p), (i) => this.approvals.get(i)?.command ?? '');
    return this.approvals.get(id) as ApprovalRecord;
  }

  /** Remembered rules, oldest first. */
  rules(): RememberedRule[] {
    return this.ruleStore.list();
  }

  /** The rule with this id or unique id prefix (at least 6 characters). */
  resolveRule(idOrPrefix: string): RememberedRule {
    const id = resolvePrefix('remembered rule', idOrPrefix, (p) => this.ruleStore.idsStartingWith(p), (i) => this.ruleStore.get(i)?.command ?? '');
    return this.ruleStore.get(id) as RememberedRule;
  }

  /** Revokes a remembered rule (by id or unique prefix): the command asks again from now on. Audited. */
  revokeRule(idOrPrefix: string, actor: string): RememberedRule {
    const rule = this.resolveRule(idOrPrefix);
    if (!this.ruleStore.remove(rule.id)) throw new ApprovalError({ code: 'not_found', message: `remembered rule ${rule.id} was revoked meanwhile` });
    this.audit.record({
      kind: 'policy',
      actor,
      subject: rule.command,
      data: { event: 'revoked_rule', ruleId: rule.id, scope: rule.scope, target: rule.target, approvalId: rule.approvalId },
    });
    return rule;
  }

  async decide(idOrPrefix: string, input: DecisionInput): Promise<DecisionOutcome> {
    await this.gate.ready();
    const record = this.resolve(idOrPrefix);
    const id = record.id;
    this.approvals.pending(); // marks expired ones
    const current = this.approvals.get(id) as ApprovalRecord;
    if (current.status !== 'pending') {
      throw new ApprovalError({ code: 'conflict', message: `approval ${id} is already ${current.status}${current.status === 'expired' ? ' (nothing ran); ask the agent again' : ''}` });
    }
    const reason = input.reason?.trim() || null;
    // What runs is the exact text the request was made for: the store holds it redacted when it
    // has a secret, and only the process that queued it keeps the exact text (in memory).
    const exact = this.approvals.exactCommand(id);
    if (exact === null && input.decision === 'approve') {
      throw new ApprovalError({
        code: 'conflict',
        message:
          `approval ${id} is for a command that contains a secret (${record.command}). Fleetmind never writes secrets to disk, so its exact text is held ` +
          'only in the memory of the process that queued it, and this process cannot run it. Approve it there (the running server: its UI or ' +
          'POST /api/approvals; or the `exec` that asked), or deny it and run the command again, ideally with the secret read from a file or ' +
          'an environment variable on the host instead of written into the command.',
      });
    }
    const command = exact ?? record.command;
    // Audit rows name the exact command: given its text, the log stores it redacted beside its
    // digest; without it (a denial from another process), the digest the store kept.
    const digest = exact === null && record.commandSha256 ? { subjectSha256: record.commandSha256 } : {};

    if (input.decision === 'deny') {
      if (!this.approvals.decide(id, 'denied', reason)) throw new ApprovalError({ code: 'conflict', message: `approval ${id} was decided meanwhile` });
      const approval = this.approvals.get(id) as ApprovalRecord;
      this.audit.record({ kind: 'approval', actor: input.actor, subject: command, data: { approvalId: id, event: 'denied', hosts: record.hosts, reason, ...digest } });
      const note = `The operator DENIED \`${record.command}\` on ${record.hosts.join(', ')} (approval ${id})${reason ? `, saying: "${reason}"` : ''}. It did not run. Do not try it another way; suggest an alternative or ask the operator.`;
      const continued = record.conversationId ? this.chat.resume(record.conversationId, { content: note, toolCalls: [] }) : null;
      return { approval, results: [], remembered: [], continued };
    }

    if (record.category === 'mcp') return this.approveMcp(record, command, input, reason);

    let hosts: Host[];
    try {
      hosts = this.inventory.select(record.hosts.join(','));
    } catch (err) {
      if (err instanceof SelectorError) throw new ApprovalError({ code: 'conflict', message: `the approved hosts changed: ${err.message}` });
      throw err;
    }
    if (input.remember && input.remember !== 'once') {
      // Refused before anything is minted or audited as approved: the request stays pending.
      const refusal = rememberRefusal(command, hosts.map((h) => this.gate.evaluate({ command, host: h.name, requester: 'view', tags: h.tags })));
      if (refusal) throw new ApprovalError({ code: 'bad_request', message: `cannot remember this approval: ${refusal}. Approve it once instead.` });
    }
    // Production hosts need their names typed. Checked before anything is minted or audited as
    // approved, so a missing or wrong name leaves the request pending and nothing runs; the
    // gate checks again when it mints (checkApproved), with the host's path facts.
    const needed = hosts.flatMap((h): TypedHost[] => {
      const verdict = this.gate.evaluate({ command, host: h.name, requester: 'view', tags: h.tags });
      return verdict.decision === 'ask' && verdict.confirmation === 'typed-host' ? [{ host: h.name, tag: verdict.confirmationTag ?? 'production' }] : [];
    });
    const unconfirmed = typedConfirmationError(record.hosts, needed, input.confirmHosts);
    if (unconfirmed) {
      const typed = input.confirmHosts ?? [];
      this.audit.record({
        kind: 'approval',
        actor: input.actor,
        subject: command,
        data: { approvalId: id, event: 'confirmation_refused', hosts: record.hosts, needed: needed.map((n) => n.host), typedMatching: typed.filter((t) => record.hosts.includes(t)), typedOther: typed.filter((t) => !record.hosts.includes(t)).length, ...digest },
      });
      throw new ApprovalError({ code: 'confirmation_required', message: `${unconfirmed}; nothing ran, approval ${id} is still pending` });
    }
    // What the operator approved is judged again with what its paths resolve to now, on each host
    // (an approval of an expanded glob holds the list of names, which is what runs).
    const minted = await Promise.all(
      hosts.map(async (host) => {
        const facts = await this.fleet.pathFacts(host, command);
        return { host, check: this.gate.checkApproved({ command, host: host.name, requester: `approval:${input.actor}`, tags: host.tags, ...facts }, { ...record, command, confirmedHosts: input.confirmHosts }) };
      }),
    );
    const refused = minted.filter((m) => !m.check.ok);
    if (refused.length > 0) {
      const why = refused.map((m) => `${m.host.name}: ${m.check.verdict.reasons.join('; ')}`).join(' | ');
      throw new ApprovalError({ code: 'policy_denied', message: `cannot run the approved command: ${why}` });
    }
    let rememberTargets: { scope: 'host' | 'tag'; target: string; verdict: RememberedVerdict }[] = [];
    if (input.remember && input.remember !== 'once') {
      const refusal = rememberRefusal(command, minted.map((m) => m.check.verdict));
      if (refusal) throw new ApprovalError({ code: 'bad_request', message: `cannot remember this approval: ${refusal}. Approve it once instead.` });
      const judged = minted.map((m) => ({ host: m.host, verdict: judgedVerdict(m.check as { verdict: PolicyVerdict; judged?: PolicyVerdict }) }));
      if (input.remember === 'host') rememberTargets = judged.map((j) => ({ scope: 'host', target: j.host.name, verdict: j.verdict }));
      else {
        const shared = hosts.map((h) => h.tags).reduce((a, b) => a.filter((t) => b.includes(t)));
        const tag = input.tag ?? (shared.length === 1 ? shared[0] : undefined);
        if (!tag) throw new ApprovalError({ code: 'bad_request', message: `name the tag to remember this for (shared tags: ${shared.join(', ') || 'none'})` });
        if (!hosts.every((h) => h.tags.includes(tag))) throw new ApprovalError({ code: 'bad_request', message: `not every approved host has tag ${tag}` });
        // One rule for the tag records one verdict: the approved hosts must agree on it.
        const first = judged[0]?.verdict as RememberedVerdict;
        if (!judged.every((j) => sameVerdict(first, j.verdict) && sameVerdict(j.verdict, first))) {
          throw new ApprovalError({ code: 'bad_request', message: `cannot remember this approval for tag ${tag}: the policy judges the command differently on the approved hosts; remember it per host` });
        }
        rememberTargets = [{ scope: 'tag', target: tag, verdict: first }];
      }
    }
    if (!this.approvals.decide(id, 'approved', reason)) throw new ApprovalError({ code: 'conflict', message: `approval ${id} was decided or expired meanwhile` });
    const approval = this.approvals.get(id) as ApprovalRecord;
    this.audit.record({ kind: 'approval', actor: input.actor, subject: command, data: { approvalId: id, event: 'approved', hosts: record.hosts, reason, remember: input.remember ?? 'once' } });
    const remembered = rememberTargets.map((t) =>
      this.ruleStore.add({ command, scope: t.scope, target: t.target, approvalId: id, createdBy: input.actor, policyVersion: this.gate.policyVersion, verdict: t.verdict }),
    );
    for (const rule of remembered) {
      this.audit.record({
        kind: 'policy',
        actor: input.actor,
        subject: command,
        data: { event: 'remembered_rule', ruleId: rule.id, scope: rule.scope, target: rule.target, approvalId: id, policyVersion: rule.policyVersion, verdict: rule.verdict },
      });
    }

    const started = performance.now();
    const startedAt = new Date().toISOString();
    const results = await mapBounded(minted, 16, async ({ host, check }): Promise<ExecResultLine> => {
      if (!check.ok) throw new Error('unreachable: refused commands were handled above');
      try {
        const out = await this.fleet.executor(host).run(check.command);
        return { host: host.name, ok: out.error === null && out.exitCode === 0, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr, durationMs: Math.round(out.durationMs), error: out.error };
      } catch (err) {
        return { host: host.name, ok: false, exitCode: null, stdout: '', stderr: '', durationMs: 0, error: { code: 'unreachable', message: (err as Error).message } };
      }
    });
    // Kept with the approval: whoever asked (exec --wait, another face) reads them later.
    this.approvals.recordResults(id, results);
    const failed = results.filter((r) => !r.ok);
    const call: ToolCallRecord = {
      id: randomUUID(),
      tool: 'run_command',
      args: { command: record.command, host: record.hosts.join(','), approval: id },
      host: record.hosts.join(','),
      ok: failed.length === 0,
      summary: `approved by ${input.actor}: ${results.length - failed.length}/${results.length} hosts ok`,
      error: failed[0]?.error ?? (failed[0] ? { code: 'internal', message: `exit code ${failed[0].exitCode} on ${failed[0].host}` } : null),
      durationMs: performance.now() - started,
      startedAt,
      // What ran on each host with its output (bounded), for the tool-call card; stored redacted.
      commands: results.map((r) => commandRunFromLine(record.command, r)),
    };
    const output = results
      .map((r) => [`$ ${record.command}  [${r.host}: ${r.error ? r.error.code : `exit ${r.exitCode}`}]`, r.stdout.trimEnd().slice(-4000), r.stderr.trim() ? `stderr:\n${r.stderr.trimEnd().slice(-2000)}` : '', r.error?.message ?? ''].filter(Boolean).join('\n'))
      .join('\n\n');
    const note = `The operator APPROVED \`${record.command}\` on ${record.hosts.join(', ')} (approval ${id}) and it ran:\n${output}`;
    const continued = record.conversationId ? this.chat.resume(record.conversationId, { content: note, toolCalls: [call] }) : null;
    return { approval, results, remembered, continued };
  }

  /**
   * An approved MCP call runs with exactly the arguments it was requested with (the exact
   * text, checked against its digest) and only while the tool's definition is the pinned one
   * the request was bound to (policyVersion). Never remembered: the server's allow list is
   * the standing form, and it too needs a pinned definition.
   */
  private async approveMcp(record: ApprovalRecord, command: string, input: DecisionInput, reason: string | null): Promise<DecisionOutcome> {
    const id = record.id;
    if (input.remember && input.remember !== 'once') {
      throw new ApprovalError({ code: 'bad_request', message: 'an MCP tool call is approved once only; to always allow a tool, put it on its server\'s allow list' });
    }
    if (!this.mcpCalls) throw new ApprovalError({ code: 'conflict', message: `approval ${id} is an MCP tool call, and this process has no MCP client; approve it in the running server` });
    let prepared: ReturnType<McpApprovalPort['prepareApproved']>;
    try {
      prepared = this.mcpCalls.prepareApproved(command, record.policyVersion);
    } catch (err) {
      throw new ApprovalError({ code: 'conflict', message: `cannot run approval ${id}: ${(err as Error).message}` });
    }
    if (!this.approvals.decide(id, 'approved', reason)) throw new ApprovalError({ code: 'conflict', message: `approval ${id} was decided or expired meanwhile` });
    const approval = this.approvals.get(id) as ApprovalRecord;
    this.audit.record({ kind: 'approval', actor: input.actor, subject: command, data: { approvalId: id, event: 'approved', hosts: record.hosts, reason, remember: 'once' } });
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const result = await prepared.run(input.actor);
    this.approvals.recordResults(id, [result]);
    const call: ToolCallRecord = {
      id: randomUUID(),
      tool: `${prepared.server}__${prepared.tool}`,
      args: { approval: id },
      host: null,
      ok: result.ok,
      summary: `approved by ${input.actor}: ${result.ok ? 'ok' : (result.error?.code ?? 'failed')}`,
      error: result.error,
      durationMs: performance.now() - started,
      startedAt,
    };
    const note = `The operator APPROVED the MCP call \`${record.command}\` (approval ${id}) and it ran${result.ok ? '' : ' and failed'}:\n${result.stdout.slice(0, 8000)}`;
    const continued = record.conversationId ? this.chat.resume(record.conversationId, { content: note, toolCalls: [call] }) : null;
    return { approval, results: [result], remembered: [], continued };
  }
}
