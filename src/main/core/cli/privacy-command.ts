import type { Command } from 'commander';
import { Core } from '../compose';
import { ForgetError, type ForgetSummary } from '../data-lifecycle';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { CliFailure, UsageError } from './exit';

/** Runs with a core over the data dir (not through a running server: these read and change the store directly). */
async function withCore<T>(fn: (core: Core) => T): Promise<T> {
  const core = new Core();
  try {
    return fn(core);
  } catch (err) {
    if (err instanceof ForgetError) throw new CliFailure(err.message);
    throw err;
  } finally {
    await core.close();
  }
}

const counts = (c: Record<string, number>): string =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${escapeControls(type)}×${n}`)
    .join(' ') || '-';

export function registerPrivacyCommand(program: Command): void {
  const privacy = program.command('privacy').description('What was sent to model providers: per conversation and provider, bytes, redactions by type, pseudonyms, hosts');
  privacy
    .command('report', { isDefault: true })
    .description('Per conversation and provider: requests, bytes sent, redactions by type, pseudonyms, hosts involved')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withCore((core) => {
        const report = core.privacyReport();
        if (flags.json) {
          process.stdout.write(`${safeJsonStringify(report)}\n`);
          return;
        }
        if (report.rows.length === 0) {
          process.stdout.write('nothing was sent to a model yet\n');
          return;
        }
        const header = ['conversation', 'provider', 'where', 'requests', 'bytes', 'redactions', 'pseudonyms', 'hosts'];
        const rows = report.rows.map((r) => [
          escapeControls(r.conversationId ?? '(none)'),
          escapeControls(r.provider),
          r.local ? 'local' : 'remote',
          String(r.requests),
          String(r.bytesSent),
          counts(r.redactions),
          counts(r.pseudonyms),
          r.hosts.map((h) => escapeControls(h)).join(',') || '-',
        ]);
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
        const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
        process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
        const t = report.totals;
        process.stdout.write(`total: ${t.requests} requests, ${t.bytesSent} bytes (${t.remoteRequests} requests, ${t.remoteBytesSent} bytes to remote providers); redactions ${counts(t.redactions)}\n`);
      });
    });
}

function describeForget(s: ForgetSummary): string {
  return (
    `forgot (${s.reason}): ${s.conversations} conversation(s), ${s.messages} message(s), ${s.toolCalls} tool call(s), ${s.toolOutputs} tool output(s), ` +
    `${s.approvals} approval(s), ${s.metricSeries} metric series, ${s.privacyRows} privacy report row(s); ${s.auditTombstones} audit payload(s) tombstoned` +
    (s.auditSeq !== null ? ` (recorded as audit row ${s.auditSeq})` : '')
  );
}

export function registerForgetCommand(program: Command): void {
  program
    .command('forget')
    .description('Delete a conversation or everything about a host (audit payloads become tombstones; the chain still verifies), or what retention says has expired')
    .option('--conversation <id>', 'a conversation: its messages, tool calls, approvals, privacy report rows and audit payloads')
    .option('--host <name>', 'a host: its conversations, tool calls, approvals, metric series and audit payloads (the inventory entry stays)')
    .option('--expired', 'apply the retention settings (retention.conversationsDays, toolOutputDays, auditDays) now')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: { conversation?: string; host?: string; expired?: boolean; json?: boolean }) => {
      const chosen = [flags.conversation !== undefined, flags.host !== undefined, flags.expired === true].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --conversation ID, --host NAME or --expired');
      await withCore((core) => {
        const summary =
          flags.conversation !== undefined
            ? core.lifecycle.forgetConversation(flags.conversation, 'cli')
            : flags.host !== undefined
              ? core.lifecycle.forgetHost(flags.host, 'cli')
              : core.lifecycle.forgetExpired('cli');
        process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${describeForget(summary)}\n`);
      });
    });
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('Export a conversation as JSON to stdout: messages, tool calls, approvals, usage, privacy report rows and its audit entries')
    .requiredOption('--conversation <id>', 'the conversation to export')
    .action(async (flags: { conversation: string }) => {
      await withCore((core) => {
        process.stdout.write(`${safeJsonStringify(core.lifecycle.exportConversation(flags.conversation))}\n`);
      });
    });
}
