import type { Command } from 'commander';
import { ApprovalError } from '../agent';
import { Core } from '../compose';
import { CliFailure, UsageError } from './exit';

function printApproval(a: { id: string; command: string; hosts: string[]; category: string; reasons: string[]; purpose: string | null; expiresAt: string; rootHosts: string[]; rememberable: boolean }): void {
  process.stdout.write(
    [
      `${a.id}`,
      `  command:  ${a.command}`,
      `  hosts:    ${a.hosts.join(', ')}${a.rootHosts.length ? `   (runs as ROOT on ${a.rootHosts.join(', ')})` : ''}`,
      `  category: ${a.category}`,
      `  why:      ${a.reasons.join('; ')}`,
      a.purpose ? `  purpose:  ${a.purpose}` : null,
      `  expires:  ${a.expiresAt}${a.rememberable ? '' : '   (approve once only)'}`,
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
        const list = core.listApprovals();
        if (flags.json) process.stdout.write(`${JSON.stringify(list)}\n`);
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
        process.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : `── ${r.host}: ${r.error ? r.error.code : `exit ${r.exitCode}`}\n${r.stdout}${r.stderr ? `stderr: ${r.stderr}` : ''}\n`);
      }
      for (const rule of outcome.remembered) process.stderr.write(`remembered: this exact command is now allowed on ${rule.scope} ${rule.target} (rule ${rule.id})\n`);
      process.stderr.write(`${decision === 'approve' ? 'approved' : 'denied'} ${id}${outcome.continued ? '; the agent is continuing the conversation' : ''}\n`);
      // Stay until the agent has written its follow-up into the conversation.
      await outcome.continued?.catch((err: unknown) => process.stderr.write(`the agent could not continue: ${(err as Error).message}\n`));
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
    .option('--remember <scope>', 'once (default), host (allow this exact command on these hosts from now on) or tag')
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
