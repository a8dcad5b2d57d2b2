import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { CollectorStatusList, MetricAnomalyList, MetricQueryResponse, MetricSeriesList, ProcessSnapshotResponse } from '../../../../shared/protocol';
import { formatSeries, isLabelName, parseDurationMs, parseSeriesSelector, parseTimeArg, SelectorSyntaxError, TimeArgError, type Aggregate, type MetricsService } from '../../metrics';
import type { CoreFacade } from '../../services';
import { sendError } from '../http-errors';

/** Query parameters that are not labels. */
const RESERVED = new Set(['host', 'metric', 'since', 'until', 'step', 'agg', 'anomalies']);
const ANOMALY_LIST_LIMIT = 1000;
const DEFAULT_SINCE = '-1h';

type Query = Record<string, string | string[] | undefined>;

function single(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * Stored time series (DESIGN: HTTP, monitoring): `/api/metrics/series`, `/api/metrics/query`,
 * plus each host's collector status and latest process sample. Reading is inspection, like
 * the read tools: the server's own user, the operator, and `metrics:read` tokens (the scope
 * a Prometheus scrape of Fleetmind's own `/metrics` uses, routes/metrics.ts).
 */
export const metricSeriesRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const read = { access: 'metrics:read', what: 'reading metrics' } as const;
  const service = (reply: FastifyReply): MetricsService | null => {
    if (core.metrics) return core.metrics;
    sendError(reply, { code: 'unavailable', message: 'this server keeps no metrics' });
    return null;
  };
  const hostOf = (q: Query, reply: FastifyReply): string | null => {
    const host = single(q, 'host');
    if (!host) {
      sendError(reply, { code: 'bad_request', message: 'host is required (?host=NAME)' });
      return null;
    }
    return host;
  };

  app.get<{ Querystring: Query }>('/api/metrics/series', { config: read }, async (request, reply) => {
    const metrics = service(reply);
    const host = metrics && hostOf(request.query, reply);
    if (!metrics || !host) return reply;
    const body: MetricSeriesList = { host, series: metrics.listSeries(host).map(({ host: _h, ...s }) => s), collector: metrics.hostStatus(host), anomalyThreshold: metrics.anomalyThreshold };
    return body;
  });

  // Anomalies stored beside this host's series (issue 18): points whose score reached the
  // threshold, oldest first, the newest 1000 at most; they survive a restart.
  app.get<{ Querystring: Query }>('/api/metrics/anomalies', { config: read }, async (request, reply) => {
    const metrics = service(reply);
    const host = metrics && hostOf(request.query, reply);
    if (!metrics || !host) return reply;
    const now = Date.now();
    let since: number;
    let until: number;
    try {
      since = parseTimeArg(single(request.query, 'since') ?? '-24h', now);
      until = parseTimeArg(single(request.query, 'until') ?? 'now', now);
    } catch (err) {
      if (err instanceof TimeArgError) return sendError(reply, { code: 'bad_request', message: err.message });
      throw err;
    }
    if (since > until) return sendError(reply, { code: 'bad_request', message: 'since is after until' });
    const series = single(request.query, 'series');
    const anomalies = metrics.storedAnomalies({ host, since, until, series, limit: ANOMALY_LIST_LIMIT }).map((a) => ({ ...a, labels: { ...a.labels } }));
    const body: MetricAnomalyList = { host, threshold: metrics.anomalyThreshold, anomalies };
    return body;
  });

  app.get<{ Querystring: Query }>('/api/metrics/query', { config: read }, async (request, reply) => {
    const metrics = service(reply);
    const q = request.query;
    const host = metrics && hostOf(q, reply);
    if (!metrics || !host) return reply;
    const metricText = single(q, 'metric');
    if (!metricText) return sendError(reply, { code: 'bad_request', message: 'metric is required (?metric=load1, or disk_used_ratio&mount=/)' });
    const now = Date.now();
    let name: string;
    let labels: Record<string, string>;
    let since: number;
    let until: number;
    let stepMs: number | null = null;
    try {
      ({ name, labels } = parseSeriesSelector(metricText));
      for (const [key, value] of Object.entries(q)) {
        if (RESERVED.has(key) || value === undefined) continue;
        if (!isLabelName(key)) return sendError(reply, { code: 'bad_request', message: `"${key}" is not a label name` });
        labels[key] = Array.isArray(value) ? (value[value.length - 1] as string) : value;
      }
      since = parseTimeArg(single(q, 'since') ?? DEFAULT_SINCE, now);
      until = parseTimeArg(single(q, 'until') ?? 'now', now);
      const step = single(q, 'step');
      if (step !== undefined) stepMs = parseDurationMs(step);
    } catch (err) {
      if (err instanceof SelectorSyntaxError || err instanceof TimeArgError) return sendError(reply, { code: 'bad_request', message: err.message });
      throw err;
    }
    if (since > until) return sendError(reply, { code: 'bad_request', message: 'since is after until' });
    if (stepMs !== null && (stepMs < 1000 || (until - since) / stepMs > 100_000)) return sendError(reply, { code: 'bad_request', message: 'step must be at least 1 s and give at most 100000 points' });
    // Absent: avg (max for anomaly scores, chosen by the service).
    const agg = single(q, 'agg');
    if (agg !== undefined && agg !== 'avg' && agg !== 'min' && agg !== 'max') return sendError(reply, { code: 'bad_request', message: 'agg is avg, min or max' });
    const withAnomalies = single(q, 'anomalies');
    if (withAnomalies !== undefined && withAnomalies !== '0' && withAnomalies !== '1') return sendError(reply, { code: 'bad_request', message: 'anomalies is 0 or 1' });
    const outcome = metrics.query({ host, metric: name, labels, since, until, stepMs, agg: agg as Aggregate | undefined });
    if (!outcome.ok) {
      if (outcome.code === 'ambiguous') {
        const choices = (outcome.candidates ?? []).map((l) => formatSeries(name, l)).join(', ');
        return sendError(reply, { code: 'bad_request', message: `${outcome.message}: ${choices}` });
      }
      return sendError(reply, { code: 'not_found', message: outcome.message });
    }
    const { host: h, metric, labels: l, unit, points, stepMs: s, resolution, source } = outcome.result;
    const body: MetricQueryResponse = { host: h, metric, labels: { ...l }, unit, points, stepMs: s, resolution, source };
    if (withAnomalies === '1') {
      // Scores in the same buckets as the points (the answer's step, raw when it has none).
      body.anomalies = metrics.anomalyScores({ host: h, metric, labels: l, since, until, stepMs: s, maxPoints: 100_000 });
      body.anomalyThreshold = metrics.anomalyThreshold;
    }
    return body;
  });

  app.get('/api/metrics/hosts', { config: read }, async (_request, reply) => {
    const metrics = service(reply);
    if (!metrics) return reply;
    const body: CollectorStatusList = { hosts: metrics.status() };
    return body;
  });

  app.get<{ Querystring: Query }>('/api/metrics/processes', { config: read }, async (request, reply) => {
    const metrics = service(reply);
    const host = metrics && hostOf(request.query, reply);
    if (!metrics || !host) return reply;
    const snapshot = metrics.processes(host);
    if (!snapshot) return sendError(reply, { code: 'not_found', message: `no process sample for ${host} yet (collected by a running server)` });
    const body: ProcessSnapshotResponse = snapshot;
    return body;
  });
};
