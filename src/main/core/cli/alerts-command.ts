import type { Command } from 'commander';
import { AlertSourceSchema, AlertStateSchema } from '../../../shared/protocol';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { Core } from '../compose';
import { UsageError } from './exit';

interface ListFlags {
  state?: string;
  source?: string;
  host?: string;
  limit: string;
  json?: boolean;
}

/** `fleetmind alerts list`: what the alerts page shows, from the store (beside a running server too). */
export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('Alerts from Alertmanager, thresholds, anomalies and forecasts, with their interpretation: list');
  alerts
    .command('list')
    .description('List alerts, newest first (JSON Lines with --json)')
    .option('--state <state>', 'firing | acknowledged | silenced | resolved')
    .option('--source <source>', 'alertmanager | threshold | anomaly | forecast')
    .option('--host <name>', 'only alerts about this host')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'one JSON object per alert')
    .action((flags: ListFlags) => {
      const state = flags.state === undefined ? undefined : AlertStateSchema.safeParse(flags.state);
      if (state && !state.success) throw new UsageError(`--state must be firing, acknowledged, silenced or resolved, got "${flags.state}"`);
      const source = flags.source === undefined ? undefined : AlertSourceSchema.safeParse(flags.source);
      if (source && !source.success) throw new UsageError(`--source must be alertmanager, threshold, anomaly or forecast, got "${flags.source}"`);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw new UsageError('--limit takes a whole number from 1 to 5000');
      const core = new Core();
      try {
        const list = core.alerts.list({ state: state?.data, source: source?.data, host: flags.host, limit });
        if (flags.json) {
          // JSON.stringify leaves C1 controls (U+009B is an 8-bit CSI) and bidi overrides raw; alert text comes from outside.
          for (const a of list.alerts) process.stdout.write(`${safeJsonStringify(a)}\n`);
          return;
        }
        for (const a of list.alerts) {
          // Alert text comes from outside: control characters are shown escaped, never sent to the terminal.
          process.stdout.write(`${a.startsAt.slice(0, 19)}  ${a.severity.padEnd(8)} ${a.state.padEnd(12)} ${escapeControls(a.name)} ${escapeControls(a.host ?? '-')}: ${escapeControls(a.summary)}\n`);
          const first = a.interpretation?.text.split('\n')[0];
          if (first) process.stdout.write(`    ${escapeControls(first)}\n`);
        }
        const c = list.counts;
        process.stderr.write(`${c.firing} firing, ${c.acknowledged} acknowledged, ${c.silenced} silenced, ${c.resolved} resolved\n`);
      } finally {
        void core.close();
      }
    });
}
