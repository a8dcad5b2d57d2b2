import type { Command } from 'commander';
import { ApprovalError } from '../agent';
import { Core } from '../compose';
import { escapeControls, hasControls, safeJsonStringify } from '../../../shared/text/escape-controls';
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

export function registerApprovalsCommand(program: Command): void {
  const approvals = program.command('approvals').description('Commands waiting for the operator: list, approve, deny');

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

  const decide = async (id: string, decision: 'approve' | 'deny', flags: { remember?: string; tag?: string; reason?: string; json?: boolean }) => {
    if (flags.remember && !['once', 'host', 'tag'].includes(flags.remember)) throw new UsageError('--remember takes once, host or tag');
    const core = new Core();
    try {
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
      if (err instanceof ApprovalError) throw new CliFailure(`${err.error.code}: ${err.error.message}`, err.error.code === 'not_found' || err.error.code === 'bad_request' ? 2 : 1);
      throw err;
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
}
