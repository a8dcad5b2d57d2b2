import type { Command } from 'commander';
import type { MetricQueryResponse, MetricSeriesList } from '../../../shared/protocol';
import { escapeControls } from '../../../shared/text/escape-controls';
import { Config } from '../config';
import { formatSeries, formatValue, isLabelName, MetricsService, metricsConfig, parseDurationMs, parseSeriesSelector, parseTimeArg, SelectorSyntaxError, sparkline, summarize, TimeArgError } from '../metrics';
import { Store } from '../store';
import { CliFailure, UsageError } from './exit';

interface MetricsFlags {
  since: string;
  until: string;
  step?: string;
  label: string[];
  agg: string;
  width: string;
  json?: boolean;
}

const collectLabel = (value: string, previous: string[]) => [...previous, value];

/**
 * `fleetmind metrics HOST [METRIC]`: a sparkline of what the server collected (without
 * METRIC, the host's series). It reads the store directly, read-only, including the open
 * window a running server has journaled (seconds old), so it needs no server and never
 * writes to one's store.
 */
export function registerMetricsCommand(program: Command): void {
  program
    .command('metrics')
    .description('Collected metrics of a host: a sparkline of one series over a window, or the list of its series')
    .argument('<host>', 'host name')
    .argument('[metric]', 'load1, cpu_busy_ratio, disk_used_ratio{mount="/"}, ... (omit to list the series)')
    .option('--since <time>', 'start: -15m, -1h, -7d, or an ISO time', '-1h')
    .option('--until <time>', 'end: now, -5m, or an ISO time', 'now')
    .option('--step <duration>', 'bucket width (60, 5m, 1h); default: what is stored')
    .option('--label <name=value>', 'label of the series (repeatable), e.g. --label mount=/', collectLabel, [])
    .option('--agg <avg|min|max>', 'within a bucket', 'avg')
    .option('--width <columns>', 'sparkline width', '60')
    .option('--json', 'print the answer as JSON (the API\'s shape)')
    .action((host: string, metric: string | undefined, flags: MetricsFlags) => {
      const now = Date.now();
      let since: number;
      let until: number;
      let stepMs: number | null = null;
      let name = '';
      let labels: Record<string, string> = {};
      try {
        since = parseTimeArg(flags.since, now);
        until = parseTimeArg(flags.until, now);
        if (flags.step !== undefined) stepMs = parseDurationMs(flags.step);
        if (metric !== undefined) ({ name, labels } = parseSeriesSelector(metric));
      } catch (err) {
        if (err instanceof TimeArgError || err instanceof SelectorSyntaxError) throw new UsageError(err.message);
        throw err;
      }
      for (const pair of flags.label) {
        const eq = pair.indexOf('=');
        const key = pair.slice(0, eq);
        if (eq <= 0 || !isLabelName(key)) throw new UsageError(`--label takes NAME=VALUE, got "${pair}"`);
        labels[key] = pair.slice(eq + 1);
      }
      if (!['avg', 'min', 'max'].includes(flags.agg)) throw new UsageError('--agg is avg, min or max');
      if (stepMs !== null && stepMs < 1000) throw new UsageError('--step must be at least 1 s');
      const width = Number(flags.width);
      if (!Number.isInteger(width) || width < 1 || width > 1000) throw new UsageError('--width takes a number of columns (1-1000)');
      if (since > until) throw new UsageError('--since is after --until');

      const config = new Config();
      const store = Store.open(config.paths.dataDir);
      const metrics = new MetricsService({ db: store.db, config: config.get(metricsConfig), readOnly: true });
      try {
        if (metric === undefined) return listSeries(metrics, host, flags.json === true);
        const outcome = metrics.query({ host, metric: name, labels, since, until, stepMs, agg: flags.agg as 'avg' | 'min' | 'max' });
        if (!outcome.ok) {
          if (outcome.code === 'ambiguous') throw new UsageError(`${outcome.message}: ${(outcome.candidates ?? []).map((l) => formatSeries(name, l)).join(', ')}`);
          throw new CliFailure(outcome.message);
        }
        const r = outcome.result;
        if (flags.json) {
          const body: MetricQueryResponse = { host: r.host, metric: r.metric, labels: { ...r.labels }, unit: r.unit, points: r.points, stepMs: r.stepMs, resolution: r.resolution, source: r.source };
          process.stdout.write(`${JSON.stringify(body)}\n`);
          return;
        }
        const series = escapeControls(formatSeries(r.metric, r.labels));
        const stats = summarize(r.points);
        const span = `${new Date(since).toISOString()} .. ${new Date(until).toISOString()}`;
        if (!stats) {
          process.stdout.write(`${series} on ${escapeControls(r.host)}: no points in ${span}\n`);
          return;
        }
        const fmt = (v: number) => formatValue(v, r.unit);
        const resolution = r.stepMs ? `${Math.round(r.stepMs / 1000)} s buckets from ${r.resolution} data` : 'raw points';
        process.stdout.write(
          [
            `${series} on ${escapeControls(r.host)} (${r.unit}), ${span}: ${stats.count} ${resolution}`,
            sparkline(r.points, width, { since, until }),
            `min ${fmt(stats.min)}  avg ${fmt(stats.avg)}  max ${fmt(stats.max)}  latest ${fmt(stats.last)} at ${new Date(stats.lastAt).toISOString()}`,
          ].join('\n') + '\n',
        );
      } finally {
        store.close();
      }
    });
}

function listSeries(metrics: MetricsService, host: string, json: boolean): void {
  const series = metrics.listSeries(host);
  if (json) {
    const body: MetricSeriesList = { host, series: series.map(({ host: _h, ...s }) => ({ ...s, labels: { ...s.labels } })), collector: null };
    process.stdout.write(`${JSON.stringify(body)}\n`);
    return;
  }
  if (series.length === 0) {
    const hosts = metrics.hosts();
    throw new CliFailure(`no metrics stored for ${host}${hosts.length ? ` (hosts with metrics: ${hosts.join(', ')})` : ' (metrics are collected while `fleetmind serve` runs)'}`);
  }
  const rows = series.map((s) => [escapeControls(formatSeries(s.metric, s.labels)), s.unit, s.lastAt ? new Date(s.lastAt).toISOString() : '-']);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  process.stdout.write(`${rows.map((r) => `${(r[0] as string).padEnd(widths[0] as number)}  ${(r[1] as string).padEnd(widths[1] as number)}  last ${r[2]}`).join('\n')}\n`);
}
