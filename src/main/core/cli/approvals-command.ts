import type { Command } from 'commander';
import type { Core } from '../compose';
import { resolvePaths } from '../config';
import { escapeControls, hasControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import type { ApprovalList, ApprovalView, ExecResultLine, RememberedRuleList, RememberedRuleView, RuleRevoked } from '../../../shared/protocol';
import { promptLine, typedHostNames } from './approval-wait';
import { requestViaServer, serverFor, ServerError, type ServerConnection } from './cli-client';
import { CliFailure, EXIT, UsageError } from './exit';

/** One line of text a model, a host or an inventory wrote: every control character shown as an escape. */
const line = (text: string) => escapeControls(text);

function printApproval(a: Pick<ApprovalView, 'id' | 'command' | 'hosts' | 'category' | 'reasons' | 'purpose' | 'expiresAt' | 'rootHosts' | 'rememberable' | 'notRememberable' | 'confirmation'>): void {
  const hidden = hasControls(a.command);
  process.stdout.write(
    [
      `${line(a.id)}`,
      // The exact text that runs; escapes stand for the characters a terminal would act on.
      `  command:  ${line(a.command)}`,
      hidden ? '  WARNING:  the command contains control or invisible characters, shown above as \\x.. / \\u.... escapes; they are part of what runs' : null,
      `  hosts:    ${a.hosts.map(line).join(', ')}${a.rootHosts.length ? `   (runs as ROOT on ${a.rootHosts.map(line).join(', ')})` : ''}`,
      a.confirmation ? `  PRODUCTION: ${a.confirmation.reasons.map(line).join('; ')} (\`approvals approve ID --confirm-host NAME\`)` : null,
      `  category: ${line(a.category)}`,
      `  why:      ${a.reasons.map(line).join('; ')}`,
      a.purpose ? `  purpose:  (the agent's claim, not verified) "${line(a.purpose)}"` : null,
      `  expires:  ${a.expiresAt}${a.rememberable ? '' : '   (approve once only)'}`,
      a.rememberable ? null : `  remember: not offered: ${line(a.notRememberable ?? 'this command is approved once only')}`,
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
}

/** ApprovalError → a CLI failure: unknown or ambiguous ids are bad usage (2), the rest failures (1). */
async function cliError(err: unknown): Promise<unknown> {
  const { ApprovalError } = await import('../agent');
  if (err instanceof ApprovalError) return new CliFailure(`${err.error.code}: ${err.error.message}${err.error.code === 'confirmation_required' ? `; ${CONFIRM_HINT}` : ''}`, err.error.code === 'not_found' || err.error.code === 'bad_request' ? 2 : 1);
  return err;
}

const CONFIRM_HINT = 'type the name when asked at a terminal, or pass --confirm-host NAME (once per production host, or a comma list)';

/**
 * The host names to send with an approval: --confirm-host as given, or, when the approval
 * needs names typed (production tags) and none were given, what the operator types at the
 * terminal after reading why. Without a terminal nothing is typed and the approval service
 * refuses, saying which names it needs; it is the check, this only asks.
 */
async function confirmationNames(view: Pick<ApprovalView, 'id' | 'confirmation'>, given: string[]): Promise<string[] | undefined> {
  if (given.length > 0) return given;
  if (!view.confirmation) return undefined;
  for (const reason of view.confirmation.reasons) process.stderr.write(`PRODUCTION: ${line(reason)}\n`);
  if (!(process.stdin.isTTY && process.stderr.isTTY)) return undefined;
  const many = view.confirmation.hosts.length > 1;
  const answer = await promptLine(many ? `Type the names of these ${view.confirmation.hosts.length} production hosts, separated by spaces, to approve: ` : 'Type the host name to approve: ');
  if (answer === null) throw new CliFailure(`stopped: approval ${line(view.id)} is still pending; nothing ran`, EXIT.interrupted);
  return typedHostNames([answer]);
}

/**
 * A core on the data dir, for when no server runs for it. Loaded only then: with a server,
 * the decision, the run and the agent's follow-up happen in the server, which owns the
 * approval queue (a command holding a secret is runnable only by the process that queued
 * it), its SSH pool and the open views of the conversation.
 */
async function localCore(): Promise<Core> {
  const { Core } = await import('../compose');
  return new Core();
}

/** The running server for this data dir, or null to work here; `--verbose` says which. */
function server(what: string, verbose: boolean | undefined): Promise<ServerConnection | null> {
  return serverFor(resolvePaths().dataDir, what, verbose === true);
}

/** One request answered with {"type":"reply","body"}. */
async function ask<T>(connection: ServerConnection, req: Parameters<typeof requestViaServer>[1]): Promise<T> {
  return (await requestViaServer(connection, req, (m) => m.type === 'reply')).body as T;
}

/** What the approver sees of each host's result. */
function printDecisionResult(r: ExecResultLine, json: boolean | undefined): void {
  process.stdout.write(
    json
      ? `${safeJsonStringify(r)}\n`
      : `── ${line(r.host)}: ${r.error ? r.error.code : `exit ${r.exitCode}`}\n${escapeControls(r.stdout, { multiline: true })}${r.stderr ? `stderr: ${escapeControls(r.stderr, { multiline: true })}` : ''}\n`,
  );
}

function printList(list: ApprovalList, json: boolean | undefined): void {
  if (json) process.stdout.write(`${safeJsonStringify(list)}\n`);
  else if (list.approvals.length === 0) process.stdout.write('no pending approvals\n');
  else list.approvals.forEach(printApproval);
}

function printShown(view: ApprovalView, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${safeJsonStringify({ approval: view })}\n`);
    return;
  }
  printApproval(view);
  process.stdout.write(
    [
      `  status:   ${view.status}${view.decidedAt ? ` at ${view.decidedAt}` : ''}${view.decisionReason ? ` (${line(view.decisionReason)})` : ''}`,
      `  asked by: ${line(view.requester)} at ${view.requestedAt} (policy ${line(view.policyVersion)})`,
      view.executedAt ? `  ran at:   ${view.executedAt}` : view.status === 'approved' ? '  ran at:   no result recorded yet' : null,
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  for (const r of view.results ?? []) printResult(r);
  if (view.results?.some((r) => !r.ok)) process.exitCode = 1;
}

function printRules(list: RememberedRuleList, json: boolean | undefined): void {
  if (json) process.stdout.write(`${safeJsonStringify(list)}\n`);
  else if (list.rules.length === 0) process.stdout.write('no remembered rules\n');
  else list.rules.forEach(printRule);
}

function printRevoked({ revoked }: RuleRevoked): void {
  process.stderr.write(`revoked rule ${line(revoked.id)}: ${line(revoked.command)} on ${revoked.scope} ${line(revoked.target)} asks for approval again\n`);
}

function printResult(r: ExecResultLine): void {
  const status = r.ok ? 'ok' : r.error ? r.error.code : `exit ${r.exitCode}`;
  process.stdout.write(`── ${line(r.host)}: ${status} (exit ${r.exitCode ?? '-'}, ${Math.round(r.durationMs)} ms)\n`);
  if (r.stdout) process.stdout.write(escapeControls(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`, { multiline: true }));
  if (r.stderr) process.stdout.write(`stderr: ${escapeControls(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`, { multiline: true })}`);
  if (r.error) process.stdout.write(`error: ${escapeControls(r.error.message, { multiline: true })}\n`);
}

function printRule(r: RememberedRuleView): void {
  process.stdout.write(
    [
      `${line(r.id)}`,
      `  command:  ${line(r.command)}`,
      `  allowed:  on ${r.scope} ${line(r.target)}`,
      `  by:       ${line(r.createdBy)} at ${r.createdAt}${r.approvalId ? ` (approval ${line(r.approvalId)})` : ''}`,
      `  policy:   ${r.policyVersion ? line(r.policyVersion) : 'version not recorded'}${r.verdict ? `, approved as ${r.verdict.decision} ${line(r.verdict.category)}` : ''}`,
    ].join('\n') + '\n',
  );
}

interface DecideFlags {
  /** Host names typed for a production approval (repeatable; comma lists too). */
  confirmHost?: string[];
  remember?: string;
  tag?: string;
  reason?: string;
  json?: boolean;
  verbose?: boolean;
}

const VERBOSE = 'say on stderr whether this goes through the running server or works on the data dir here';

export function registerApprovalsCommand(program: Command): void {
  const approvals = program.command('approvals').description('Commands waiting for the operator: list, show, approve, deny; remembered rules: rules, revoke');

  approvals
    .command('list', { isDefault: true })
    .description('Pending approvals')
    .option('--json', 'print JSON')
    .option('--verbose', VERBOSE)
    .action(async (flags: { json?: boolean; verbose?: boolean }) => {
      const connection = await server('approvals list', flags.verbose);
      if (connection) return printList(await ask<ApprovalList>(connection, { type: 'approvals.list' }), flags.json);
      const core = await localCore();
      try {
        // Whether an approval may be remembered is the policy's call: wait until it can judge.
        await core.ready();
        printList(core.listApprovals(), flags.json);
      } finally {
        await core.close();
      }
    });

  const decide = async (typed: string, decision: 'approve' | 'deny', flags: DecideFlags) => {
    if (flags.remember && !['once', 'host', 'tag'].includes(flags.remember)) throw new UsageError('--remember takes once, host or tag');
    const remember = flags.remember as 'once' | 'host' | 'tag' | undefined;
    // An id or a unique prefix: what is decided is printed in full before deciding.
    const deciding = (id: string, command: string, hosts: string[]) =>
      process.stderr.write(`${decision === 'approve' ? 'approving' : 'denying'} ${line(id)}: ${line(command)} on ${hosts.map(line).join(', ')}\n`);
    const decided = (id: string, command: string, results: ExecResultLine[], remembered: { id: string; scope: string; target: string }[], continuing: string | null) => {
      results.forEach((r) => printDecisionResult(r, flags.json));
      for (const rule of remembered) process.stderr.write(`remembered: this exact command is now allowed on ${rule.scope} ${line(rule.target)} (rule ${rule.id})\n`);
      process.stderr.write(`${decision === 'approve' ? 'approved' : 'denied'} ${line(id)}: ${line(command)}${continuing ? `; ${continuing}` : ''}\n`);
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    };

    const given = typedHostNames(flags.confirmHost ?? []);
    let connection = await server(`approvals ${decision}`, flags.verbose);
    if (connection) {
      let confirmHosts: string[] | undefined = given.length > 0 ? given : undefined;
      if (decision === 'approve' && !confirmHosts) {
        // Whether names must be typed is in the approval's view; one request per connection, so the decision gets its own.
        const view = (await ask<{ approval: ApprovalView }>(connection, { type: 'approvals.show', id: typed })).approval;
        confirmHosts = await confirmationNames(view, given);
        connection = await server(`approvals ${decision}`, false);
        if (!connection) throw new CliFailure(`the server stopped before approval ${line(view.id)} was decided; nothing ran`);
      }
      let reply: Record<string, unknown>;
      try {
        reply = await requestViaServer(
          connection,
          { type: 'approvals.decide', id: typed, decision, remember, tag: flags.tag, reason: flags.reason, ...(confirmHosts ? { confirmHosts } : {}) },
          (m) => m.type === 'reply',
          (m) => {
            if (m.type === 'deciding') deciding(String(m.id), String(m.command), (m.hosts as string[]) ?? []);
          },
        );
      } catch (err) {
        const refused = err instanceof ServerError ? (err.detail.approvalError as { code?: string } | undefined) : undefined;
        if (refused?.code === 'confirmation_required') throw new CliFailure(`${(err as Error).message}; ${CONFIRM_HINT}`, EXIT.failure);
        throw err;
      }
      const body = reply.body as { approval: { id: string; command: string }; results: ExecResultLine[]; remembered: { id: string; scope: string; target: string }[]; continued: boolean };
      // The server carries on with the conversation; nothing here needs to stay for it.
      decided(body.approval.id, body.approval.command, body.results, body.remembered, body.continued ? 'the agent is continuing the conversation in the server' : null);
      return;
    }

    const core = await localCore();
    try {
      const record = core.approvals.resolve(typed);
      let confirmHosts: string[] | undefined = given.length > 0 ? given : undefined;
      if (decision === 'approve' && !confirmHosts) {
        await core.ready();
        confirmHosts = await confirmationNames(core.approvalView(record), given);
      }
      deciding(record.id, record.command, record.hosts);
      const outcome = await core.approvals.decide(record.id, { decision, remember, tag: flags.tag, reason: flags.reason, confirmHosts, actor: 'cli' });
      decided(record.id, outcome.approval.command, outcome.results, outcome.remembered, outcome.continued ? 'the agent is continuing the conversation' : null);
      // Stay until the agent has written its follow-up into the conversation.
      await outcome.continued?.catch((err: unknown) => process.stderr.write(`the agent could not continue: ${line((err as Error).message)}\n`));
    } catch (err) {
      throw await cliError(err);
    } finally {
      await core.close();
    }
  };

  approvals
    .command('approve')
    .description('Approve a pending command: it runs now, on the hosts it was requested for')
    .argument('<id>')
    .option('--remember <scope>', 'once (default), host (allow this exact command on these hosts from now on, while the policy judges it alike) or tag; refused for commands whose effect depends on run time (variables, globs, substitutions, wrappers, shells, interpreters)')
    .option('--tag <tag>', 'with --remember tag: which tag')
    .option('--reason <text>', 'note for the audit log')
    .option('--confirm-host <name>', 'for a command that would change production hosts: the name of each, as typed confirmation (repeat it or give a comma list); at a terminal you are asked to type them', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--json', 'per-host results as JSON lines')
    .option('--verbose', VERBOSE)
    .action((id: string, flags: DecideFlags) => decide(id, 'approve', flags));

  approvals
    .command('deny')
    .description('Deny a pending command; the agent is told your reason')
    .argument('<id>')
    .option('--reason <text>', 'why (the agent reads it)')
    .option('--verbose', VERBOSE)
    .action((id: string, flags: DecideFlags) => decide(id, 'deny', flags));

  approvals
    .command('show')
    .description('One approval (id or unique prefix of 6+ characters), pending or decided, with its result once it ran')
    .argument('<id>')
    .option('--json', 'print JSON')
    .option('--verbose', VERBOSE)
    .action(async (typed: string, flags: { json?: boolean; verbose?: boolean }) => {
      const connection = await server('approvals show', flags.verbose);
      if (connection) return printShown((await ask<{ approval: ApprovalView }>(connection, { type: 'approvals.show', id: typed })).approval, flags.json);
      const core = await localCore();
      try {
        await core.ready();
        printShown(core.showApproval(typed), flags.json);
      } catch (err) {
        throw await cliError(err);
      } finally {
        await core.close();
      }
    });

  approvals
    .command('rules')
    .description('Remembered approvals ("approve and remember"): exact commands allowed on a host or tag')
    .option('--json', 'print JSON')
    .option('--verbose', VERBOSE)
    .action(async (flags: { json?: boolean; verbose?: boolean }) => {
      const connection = await server('approvals rules', flags.verbose);
      if (connection) return printRules(await ask<RememberedRuleList>(connection, { type: 'approvals.rules' }), flags.json);
      const core = await localCore();
      try {
        printRules(core.listRules(), flags.json);
      } finally {
        await core.close();
      }
    });

  approvals
    .command('revoke')
    .description('Revoke a remembered rule (id or unique prefix of 6+ characters): the command asks for approval again')
    .argument('<rule-id>')
    .option('--verbose', VERBOSE)
    .action(async (typed: string, flags: { verbose?: boolean }) => {
      const connection = await server('approvals revoke', flags.verbose);
      if (connection) return printRevoked(await ask<RuleRevoked>(connection, { type: 'approvals.revoke', id: typed }));
      const core = await localCore();
      try {
        printRevoked(core.revokeRule(typed, 'cli'));
      } catch (err) {
        throw await cliError(err);
      } finally {
        await core.close();
      }
    });
}
