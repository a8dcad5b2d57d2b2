import type { Command } from 'commander';
import { ApprovalError } from '../agent';
import { Core } from '../compose';
import { escapeControls, hasControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import type { ExecResultLine, RememberedRuleView } from '../../../shared/protocol';
import { CliFailure, UsageError } from './exit';

/** One line of text a model, a host or an inventory wrote: every control character shown as an escape. */
const line = (text: string) => escapeControls(text);

function printApproval(a: { id: string; command: string; hosts: string[]; category: string; reasons: string[]; purpose: string | null; expiresAt: string; rootHosts: string[]; rememberable: boolean; notRememberable?: string | null }): void {
  const hidden = hasControls(a.command);
  process.stdout.write(
    [
      `${line(a.id)}`,
      // The exact text that runs; escapes stand for the characters a terminal would act on.
      `  command:  ${line(a.command)}`,
      hidden ? '  WARNING:  the command contains control or invisible characters, shown above as \\x.. / \\u.... escapes; they are part of what runs' : null,
      `  hosts:    ${a.hosts.map(line).join(', ')}${a.rootHosts.length ? `   (runs as ROOT on ${a.rootHosts.map(line).join(', ')})` : ''}`,
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
function cliError(err: unknown): unknown {
  if (err instanceof ApprovalError) return new CliFailure(`${err.error.code}: ${err.error.message}`, err.error.code === 'not_found' || err.error.code === 'bad_request' ? 2 : 1);
  return err;
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

export function registerApprovalsCommand(program: Command): void {
  const approvals = program.command('approvals').description('Commands waiting for the operator: list, show, approve, deny; remembered rules: rules, revoke');

  approvals
    .command('list', { isDefault: true })
    .description('Pending approvals')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const core = new Core();
      try {
        // Whether an approval may be remembered is the policy's call: wait until it can judge.
        await core.ready();
        const list = core.listApprovals();
        if (flags.json) process.stdout.write(`${safeJsonStringify(list)}\n`);
        else if (list.approvals.length === 0) process.stdout.write('no pending approvals\n');
        else list.approvals.forEach(printApproval);
      } finally {
        await core.close();
      }
    });

  const decide = async (typed: string, decision: 'approve' | 'deny', flags: { remember?: string; tag?: string; reason?: string; json?: boolean }) => {
    if (flags.remember && !['once', 'host', 'tag'].includes(flags.remember)) throw new UsageError('--remember takes once, host or tag');
    const core = new Core();
    try {
      // An id or a unique prefix: what is decided is printed in full before deciding.
      const record = core.approvals.resolve(typed);
      const id = record.id;
      process.stderr.write(`${decision === 'approve' ? 'approving' : 'denying'} ${line(id)}: ${line(record.command)} on ${record.hosts.map(line).join(', ')}\n`);
      const outcome = await core.approvals.decide(id, { decision, remember: flags.remember as 'once' | 'host' | 'tag' | undefined, tag: flags.tag, reason: flags.reason, actor: 'cli' });
      for (const r of outcome.results) {
        process.stdout.write(
          flags.json
            ? `${safeJsonStringify(r)}\n`
            : `── ${line(r.host)}: ${r.error ? r.error.code : `exit ${r.exitCode}`}\n${escapeControls(r.stdout, { multiline: true })}${r.stderr ? `stderr: ${escapeControls(r.stderr, { multiline: true })}` : ''}\n`,
        );
      }
      for (const rule of outcome.remembered) process.stderr.write(`remembered: this exact command is now allowed on ${rule.scope} ${line(rule.target)} (rule ${rule.id})\n`);
      process.stderr.write(`${decision === 'approve' ? 'approved' : 'denied'} ${line(id)}: ${line(outcome.approval.command)}${outcome.continued ? '; the agent is continuing the conversation' : ''}\n`);
      // Stay until the agent has written its follow-up into the conversation.
      await outcome.continued?.catch((err: unknown) => process.stderr.write(`the agent could not continue: ${line((err as Error).message)}\n`));
      if (outcome.results.some((r) => !r.ok)) process.exitCode = 1;
    } catch (err) {
      throw cliError(err);
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
    .option('--json', 'per-host results as JSON lines')
    .action((id: string, flags) => decide(id, 'approve', flags));

  approvals
    .command('deny')
    .description('Deny a pending command; the agent is told your reason')
    .argument('<id>')
    .option('--reason <text>', 'why (the agent reads it)')
    .action((id: string, flags) => decide(id, 'deny', flags));

  approvals
    .command('show')
    .description('One approval (id or unique prefix of 6+ characters), pending or decided, with its result once it ran')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (typed: string, flags: { json?: boolean }) => {
      const core = new Core();
      try {
        await core.ready();
        const view = core.showApproval(typed);
        if (flags.json) {
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
      } catch (err) {
        throw cliError(err);
      } finally {
        await core.close();
      }
    });

  approvals
    .command('rules')
    .description('Remembered approvals ("approve and remember"): exact commands allowed on a host or tag')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const core = new Core();
      try {
        const list = core.listRules();
        if (flags.json) process.stdout.write(`${safeJsonStringify(list)}\n`);
        else if (list.rules.length === 0) process.stdout.write('no remembered rules\n');
        else list.rules.forEach(printRule);
      } finally {
        await core.close();
      }
    });

  approvals
    .command('revoke')
    .description('Revoke a remembered rule (id or unique prefix of 6+ characters): the command asks for approval again')
    .argument('<rule-id>')
    .action(async (typed: string) => {
      const core = new Core();
      try {
        const { revoked } = core.revokeRule(typed, 'cli');
        process.stderr.write(`revoked rule ${line(revoked.id)}: ${line(revoked.command)} on ${revoked.scope} ${line(revoked.target)} asks for approval again\n`);
      } catch (err) {
        throw cliError(err);
      } finally {
        await core.close();
      }
    });
}
