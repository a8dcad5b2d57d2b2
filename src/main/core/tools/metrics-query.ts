import { z } from 'zod';
import { ANOMALY_METRIC, ANOMALY_THRESHOLD, anomalyLabels, formatSeries, formatValue, parseSeriesSelector, parseTimeArg, SelectorSyntaxError, sparkline, summarize, TimeArgError, type SeriesQueryResult } from '../metrics';
import { defineHostTool, type ToolOutput } from './tool';

/** Points handed to the model at most (the chart stays in the data for the UI). */
const TEXT_POINTS = 24;
const DATA_POINTS = 500;

export const metricsQueryTool = defineHostTool({
  name: 'metrics_query',
  description:
    'History of one metric of a host from Fleetmind\'s own collection (every 15 s by default): min, average, max, the latest value and a compact series. ' +
    'Names: load1, load5, load15, cpu_busy_ratio, cpu_iowait_ratio, cpu_steal_ratio, memory_used_bytes, memory_available_bytes, swap_used_bytes, swap_in_pages_per_second, swap_out_pages_per_second, major_faults_per_second, ' +
    'pressure_cpu_some_ratio, pressure_io_some_ratio, pressure_memory_some_ratio, disk_used_ratio{mount="/"}, disk_io_time_ratio{device="sda"}, ' +
    'disk_read_bytes_per_second{device="sda"}, net_rx_bytes_per_second{iface="eth0"}, processes_total, systemd_failed_units, collector_up, ...; ' +
    'an unknown name lists the ones the host has.',
  kind: 'read',
  input: z
    .object({
      host: z.string().min(1).max(500).describe('Host selector: a name, glob (web-*), tag:NAME, comma list, !exclusion, or "all".'),
      metric: z.string().min(1).max(300).describe('Metric name, with labels where it has them: disk_used_ratio{mount="/"}'),
      since: z.string().max(64).optional().describe('Start: -15m, -1h (default), -7d, or an ISO 8601 time'),
      until: z.string().max(64).optional().describe('End: now (default), -5m, or an ISO 8601 time'),
    })
    .strict(),
  async run(args, ctx): Promise<ToolOutput> {
    const metrics = ctx.metrics;
    if (!metrics) throw new Error('no metrics are kept here (metrics are collected by a running Fleetmind server)');
    let name: string;
    let labels: Record<string, string>;
    let since: number;
    let until: number;
    const now = Date.now();
    try {
      ({ name, labels } = parseSeriesSelector(args.metric));
      since = parseTimeArg(args.since ?? '-1h', now);
      until = parseTimeArg(args.until ?? 'now', now);
    } catch (err) {
      if (err instanceof SelectorSyntaxError || err instanceof TimeArgError) throw new Error(err.message);
      throw err;
    }
    const host = ctx.host.name;
    const outcome = metrics.query({ host, metric: name, labels, since, until, maxPoints: DATA_POINTS });
    if (!outcome.ok) {
      const status = metrics.hostStatus(host);
      const collector = status ? ` Collector on ${host}: ${status.state}${status.lastError ? ` (${status.lastError.code}: ${status.lastError.message})` : ''}, last seen ${status.lastSuccessAt ?? 'never'}.` : '';
      const candidates = outcome.candidates?.map((l) => formatSeries(name, l)).join(', ');
      return {
        data: { host, metric: args.metric, error: { code: outcome.code, message: outcome.message }, candidates: outcome.candidates ?? [] },
        text: `${outcome.message}${candidates ? `: ${candidates}` : ''}.${collector}`,
        summary: outcome.code === 'ambiguous' ? `${name}: several series` : `${name}: no data`,
      };
    }
    // The detector's stored scores of this series, in the same buckets (max per bucket).
    const scored = name === ANOMALY_METRIC ? null : metrics.query({ host, metric: ANOMALY_METRIC, labels: anomalyLabels(outcome.result.metric, outcome.result.labels), since, until, stepMs: outcome.result.stepMs, agg: 'max', maxPoints: DATA_POINTS });
    const anomalies = scored === null ? null : scored.ok ? scored.result.points.filter(([, score]) => score >= ANOMALY_THRESHOLD) : [];
    return describe(outcome.result, since, until, anomalies);
  },
});

/** Anomalies listed to the model at most (the newest). */
const TEXT_ANOMALIES = 12;

function describe(r: SeriesQueryResult, since: number, until: number, anomalies: readonly [number, number][] | null = null): ToolOutput {
  const series = formatSeries(r.metric, r.labels);
  const window = `${new Date(since).toISOString()} to ${new Date(until).toISOString()}`;
  const stats = summarize(r.points);
  if (!stats) {
    return { data: r, text: `${series} on ${r.host}: no points from ${window}.`, summary: `${series}: no points` };
  }
  const fmt = (v: number) => formatValue(v, r.unit);
  const resolution = r.stepMs ? `${Math.round(r.stepMs / 1000)} s buckets (${r.resolution} data)` : 'raw points';
  // A handful of evenly spaced points is what a model can read; the UI gets them all.
  const every = Math.max(1, Math.ceil(r.points.length / TEXT_POINTS));
  // Times of day suffice within a day; longer windows need the date.
  const clock = (t: number) => (until - since > 20 * 3_600_000 ? new Date(t).toISOString().slice(5, 16) : new Date(t).toISOString().slice(11, 19));
  const sampled = r.points.filter((_, i) => i % every === 0 || i === r.points.length - 1);
  const text: string[] = [
    `${series} on ${r.host}, ${window}: ${stats.count} ${resolution}.`,
    `min ${fmt(stats.min)}, avg ${fmt(stats.avg)}, max ${fmt(stats.max)}, latest ${fmt(stats.last)} at ${new Date(stats.lastAt).toISOString()}.`,
    `trend: ${sparkline(r.points, 48, { since, until })}`,
    `points: ${sampled.map(([t, v]) => `${clock(t)} ${fmt(v)}`).join(', ')}`,
  ];
  if (anomalies && anomalies.length > 0) {
    const valueAt = new Map(r.points);
    const shown = anomalies.slice(-TEXT_ANOMALIES).map(([t, score]) => {
      const v = valueAt.get(t);
      return `${clock(t)}${v === undefined ? '' : ` ${fmt(v)}`} (score ${score.toFixed(2)})`;
    });
    text.push(`anomalies (${anomalies.length}, detector score ≥ ${ANOMALY_THRESHOLD}${anomalies.length > TEXT_ANOMALIES ? `, the last ${TEXT_ANOMALIES}` : ''}): ${shown.join(', ')}`);
  } else if (anomalies) {
    text.push('anomalies: none flagged in this window.');
  }
  const summary = `${series}: latest ${fmt(stats.last)}, max ${fmt(stats.max)}${anomalies?.length ? `, ${anomalies.length} anomal${anomalies?.length === 1 ? 'y' : 'ies'}` : ''}`;
  return { data: { ...r, anomalies: (anomalies ?? []).map(([at, score]) => ({ at, score })) }, text: text.join('\n'), summary };
}
