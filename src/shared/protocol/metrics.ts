import { z } from 'zod';
import { ApiErrorSchema } from './errors';

/**
 * Metrics over HTTP (DESIGN: `GET /api/metrics/series?host=H`, `GET /api/metrics/query?host=H
 * &metric=M[&since=ISO|-15m][&until=ISO][&step=S][&LABEL=VALUE...]`), the desktop face and
 * `fleetmind metrics --json`. Times in points are unix milliseconds; other times ISO strings.
 */
export const MetricLabelsSchema = z.record(z.string(), z.string());

export const MetricQueryResponseSchema = z.object({
  host: z.string(),
  metric: z.string(),
  labels: MetricLabelsSchema,
  unit: z.string(),
  points: z.array(z.tuple([z.number(), z.number()])),
  /** Bucket width of the points in ms; null: raw points as collected. */
  stepMs: z.number().nullable(),
  /** The stored resolution that answered: raw points, 1-minute or 1-hour rollups. */
  resolution: z.enum(['raw', '1m', '1h']),
  source: z.string(),
  /**
   * With `&anomalies=1`: the series' stored anomaly scores in the same window and buckets
   * (max per bucket), [unixMs, score in [0, 1]]; only scores above a low floor are stored,
   * so a time absent here scored (about) 0. A point is anomalous at `anomalyThreshold`.
   */
  anomalies: z.array(z.tuple([z.number(), z.number()])).optional(),
  anomalyThreshold: z.number().optional(),
});
export type MetricQueryResponse = z.infer<typeof MetricQueryResponseSchema>;

/** One stored anomaly: a point whose score reached the threshold. */
export const MetricAnomalySchema = z.object({
  /** The series as shown (`disk_used_ratio{mount="/"}`). */
  series: z.string(),
  metric: z.string(),
  labels: MetricLabelsSchema,
  /** Unix ms of the anomalous point. */
  at: z.number(),
  /** The series' value there (null: its raw point is no longer kept). */
  value: z.number().nullable(),
  score: z.number(),
});
export type MetricAnomaly = z.infer<typeof MetricAnomalySchema>;

/** `GET /api/metrics/anomalies?host=H[&since=..][&until=..][&series=..]`: stored anomalies, oldest first. */
export const MetricAnomalyListSchema = z.object({
  host: z.string(),
  threshold: z.number(),
  anomalies: z.array(MetricAnomalySchema),
});
export type MetricAnomalyList = z.infer<typeof MetricAnomalyListSchema>;

export const CollectorStatusSchema = z.object({
  host: z.string(),
  /** Which source feeds the host: `collector` (SSH, the default), `prometheus` or `node_exporter`. */
  source: z.string().optional(),
  /** pending: no run yet; ok: the last run returned a sample; failing: it did not; refused: the policy does not allow the collector there. */
  state: z.enum(['pending', 'ok', 'failing', 'refused']),
  intervalMs: z.number(),
  timeoutMs: z.number(),
  lastAttemptAt: z.string().nullable(),
  /** Last seen. */
  lastSuccessAt: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  lastError: ApiErrorSchema.nullable(),
  consecutiveFailures: z.number().int(),
  runs: z.number().int(),
  failures: z.number().int(),
  missedRuns: z.number().int(),
  lagMs: z.number().nullable(),
  inFlight: z.boolean(),
  inFlightSince: z.string().nullable(),
  nextRunAt: z.string().nullable(),
  reboots: z.number().int(),
  bootAt: z.string().nullable(),
});
export type CollectorStatusView = z.infer<typeof CollectorStatusSchema>;

export const MetricSeriesInfoSchema = z.object({
  metric: z.string(),
  labels: MetricLabelsSchema,
  unit: z.string(),
  source: z.string(),
  firstAt: z.number().nullable(),
  lastAt: z.number().nullable(),
});

/**
 * Anomaly scores are stored as series of their own beside the series they score:
 * `anomaly_score{metric_name="disk_used_ratio",mount="/"}` scores `disk_used_ratio{mount="/"}`
 * (only scores above a low floor are stored; a bucket holds its worst score).
 */
export const ANOMALY_SCORE_METRIC = 'anomaly_score';
export const ANOMALY_SCORED_LABEL = 'metric_name';

/** `GET /api/metrics/series?host=H`. */
export const MetricSeriesListSchema = z.object({
  host: z.string(),
  series: z.array(MetricSeriesInfoSchema),
  /** This host's collector (null: not collected by this server). */
  collector: CollectorStatusSchema.nullable(),
  /** The score at and above which a stored anomaly score marks an anomalous point. */
  anomalyThreshold: z.number().optional(),
});
export type MetricSeriesList = z.infer<typeof MetricSeriesListSchema>;

/** `GET /api/metrics/hosts`: every host's collector, for the fleet view. */
export const CollectorStatusListSchema = z.object({ hosts: z.array(CollectorStatusSchema) });
export type CollectorStatusList = z.infer<typeof CollectorStatusListSchema>;

export const ProcessSampleSchema = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  comm: z.string(),
  state: z.string(),
  /** CPU over the last interval in cores (1 = one core). */
  cpuCores: z.number(),
  rssBytes: z.number(),
  /** Fleetmind's own probe (the collector script and its SSH session), shown rather than hidden. */
  probe: z.boolean(),
});

/** `GET /api/metrics/processes?host=H`: the latest sample's busiest processes. */
export const ProcessSnapshotSchema = z.object({
  host: z.string(),
  at: z.string(),
  cpuWindow: z.enum(['interval', 'lifetime']),
  total: z.number().int(),
  processes: z.array(ProcessSampleSchema),
});
export type ProcessSnapshotResponse = z.infer<typeof ProcessSnapshotSchema>;
