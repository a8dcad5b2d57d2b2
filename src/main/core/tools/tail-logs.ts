import { z } from 'zod';
import { commandOutput } from './aspects';
import { hostArg } from './host-arg';
import { defineHostTool, type HostToolContext } from './tool';

const DEFAULT_LINES = 50;
const LOG_ROOT = '/var/log/';

const input = z
  .object({
    host: hostArg,
    unit: z.string().regex(/^[A-Za-z0-9@._:-]+$/, 'a systemd unit name').max(200).optional().describe('systemd unit, e.g. nginx.service'),
    path: z
      .string()
      .max(500)
      .refine((p) => p.startsWith(LOG_ROOT) && !p.split('/').includes('..'), `log files are read only under ${LOG_ROOT}`)
      .optional()
      .describe('A log file under /var/log'),
    lines: z.number().int().min(1).max(1000).optional().describe(`How many recent lines, default ${DEFAULT_LINES}`),
  })
  .strict()
  .refine((a) => !(a.unit && a.path), 'give either unit or path, not both');

const JOURNAL_EMPTY = /^-- No entries --\s*$|No journal files were found/m;

export const tailLogsTool = defineHostTool({
  name: 'tail_logs',
  description: 'Recent log lines: from the systemd journal (optionally one unit) or a file under /var/log; without arguments the system log.',
  kind: 'read',
  input,
  async run(args, ctx) {
    const n = String(args.lines ?? DEFAULT_LINES);
    if (args.path) {
      const { stdout, problem } = await tailFile(ctx, args.path, Number(n));
      return logResult(args.path, stdout, problem);
    }
    const journalArgv = ['journalctl', '--no-pager', '-o', 'short-iso', '-n', n, ...(args.unit ? ['-u', args.unit] : [])];
    const g = await ctx.gather({
      commands: {
        journal: journalArgv,
        ...(args.unit ? {} : { recent: ['ls', '-1t', LOG_ROOT] }),
      },
      // Opened by Fleetmind and judged by what was opened (a log path can be a planted symlink).
      ...(args.unit ? {} : { files: [{ path: '/var/log/syslog', tailLines: Number(n) }, { path: '/var/log/messages', tailLines: Number(n) }] }),
    });
    const journal = commandOutput(g, 'journal');
    if (journal.stdout && !JOURNAL_EMPTY.test(journal.stdout)) return logResult(args.unit ? `journal of ${args.unit}` : 'systemd journal', journal.stdout, null);
    if (args.unit) return logResult(`journal of ${args.unit}`, null, journal.problem ?? 'the journal has no entries for this unit');
    for (const path of ['/var/log/syslog', '/var/log/messages']) {
      const text = g.files[path];
      if (text) return logResult(path, text, null);
    }
    // No journal and no syslog (containers, minimal images): fall back to the newest *.log file.
    const newest = commandOutput(g, 'recent').stdout?.split('\n').find((f) => /\.log$/.test(f.trim()));
    if (newest) {
      const path = `${LOG_ROOT}${newest.trim()}`;
      const out = await tailFile(ctx, path, Number(n));
      return logResult(`${path} (no journal or syslog on this host; newest log file)`, out.stdout, out.problem);
    }
    return logResult('system log', null, 'no journal entries, no /var/log/syslog or /var/log/messages, and no *.log file in /var/log');
  },
});

function logResult(source: string, stdout: string | null, problem: string | null) {
  if (stdout === null) {
    return { data: { source, lines: [] as string[] }, text: `Logs (${source}): unavailable (${problem ?? 'no output'})`, summary: `${source}: unavailable` };
  }
  const lines = stdout.replace(/\n$/, '').split('\n').filter((l) => l.length > 0);
  return {
    data: { source, lines },
    text: `Last ${lines.length} lines of ${source}:\n${lines.join('\n') || '(empty)'}`,
    summary: `${lines.length} lines from ${source}`,
  };
}

/** The last lines of a log file, opened by Fleetmind and judged by what the kernel opened. */
async function tailFile(ctx: HostToolContext, path: string, lines: number): Promise<{ stdout: string | null; problem: string | null }> {
  const g = await ctx.gather({ files: [{ path, tailLines: lines }] });
  const refused = g.refusedFiles?.[path];
  if (refused) return { stdout: null, problem: `refused by the safety policy (${refused.decision}): ${refused.reasons.join('; ')}` };
  const text = g.files[path];
  return text === null || text === undefined ? { stdout: null, problem: 'the file does not exist or cannot be read' } : { stdout: text, problem: null };
}
