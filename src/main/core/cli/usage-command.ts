import type { Command } from 'commander';
import { Core } from '../compose';
import { escapeControls } from '../../../shared/text/escape-controls';
import { UsageError } from './exit';

interface UsageFlags {
  by: string;
  since?: string;
  json?: boolean;
}

export function registerUsageCommand(program: Command): void {
  program
    .command('usage')
    .description('Model usage: calls, tokens and cost per day, model or conversation, and the budget state')
    .option('--by <dimension>', 'day | model | conversation', 'day')
    .option('--since <YYYY-MM-DD>', 'only usage from this day on')
    .option('--json', 'print JSON')
    .action((flags: UsageFlags) => {
      if (!['day', 'model', 'conversation'].includes(flags.by)) throw new UsageError(`--by must be day, model or conversation, got "${flags.by}"`);
      if (flags.since && !/^\d{4}-\d{2}-\d{2}$/.test(flags.since)) throw new UsageError('--since takes a date as YYYY-MM-DD');
      const core = new Core();
      try {
        const report = core.usageReport(flags.by as 'day' | 'model' | 'conversation', flags.since);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const rows = report.rows.map((r) => [escapeControls(r.key), String(r.calls), String(r.promptTokens), String(r.completionTokens), String(r.cachedTokens), `$${r.costUsd.toFixed(4)}`]);
        const header = [flags.by, 'calls', 'prompt', 'completion', 'cached', 'cost'];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
        const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
        process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
        const t = report.totals;
        process.stdout.write(`total: ${t.calls} calls, ${t.promptTokens + t.completionTokens} tokens, $${t.costUsd.toFixed(4)}\n`);
        const b = report.budget;
        process.stdout.write(`budget: ${b.state}${b.message ? ` (${b.message})` : ''}; today $${b.dailySpentUsd.toFixed(4)}${b.dailyLimitUsd ? ` of $${b.dailyLimitUsd}` : ''}, this month $${b.monthlySpentUsd.toFixed(4)}${b.monthlyLimitUsd ? ` of $${b.monthlyLimitUsd}` : ''}\n`);
      } finally {
        void core.close();
      }
    });
}
