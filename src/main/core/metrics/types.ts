import type { SeriesValue } from './derive';
import type { Labels, MetricUnit } from './names';

/**
 * The seams between where points come from and where they are read. The SSH collector is
 * one MetricSource; a Prometheus server (node_exporter mapped onto the same names) can be
 * a second: either a MetricSource appending into the same store (series carry `source`),
 * or a SeriesReader answering queries itself (MetricsService.addReader). Charts, the
 * metrics_query tool and the CLI only see SeriesReader answers.
 */

/** Values of one host at one moment, as a source delivers them. */
export interface SampleBatch {
  host: string;
  /** Which source produced them (`collector`, `prometheus`, ...), recorded per series. */
  source: string;
  /** Unix ms. */
  at: number;
  values: readonly (SeriesValue & { unit?: MetricUnit | string })[];
}

export interface SampleSink {
  append(batch: SampleBatch): void;
}

export interface MetricSource {
  readonly name: string;
  start(sink: SampleSink): void;
  stop(): Promise<void>;
}

export interface SeriesInfo {
  host: string;
  metric: string;
  labels: Labels;
  unit: string;
  source: string;
  /** Unix ms of the first and newest points known. */
  firstAt: number | null;
  lastAt: number | null;
}

export type Aggregate = 'avg' | 'min' | 'max';

export interface SeriesQuery {
  host: string;
  metric: string;
  /** Labels the series must have (all of them); the series may have no others unless exactly one matches. */
  labels?: Labels;
  /** Unix ms, inclusive. */
  since: number;
  until: number;
  /** Bucket width; absent: the finest resolution kept for `since`, bucketed only past maxPoints. */
  stepMs?: number | null;
  /** Within a bucket (default avg). */
  agg?: Aggregate;
  maxPoints?: number;
}

export interface SeriesQueryResult {
  host: string;
  metric: string;
  labels: Labels;
  unit: string;
  /** [unix ms, value]; with a step, the bucket's start time. */
  points: [number, number][];
  /** The bucket width of the answer (null: raw points). */
  stepMs: number | null;
  /** The stored resolution read: raw points, 1-minute or 1-hour rollups. */
  resolution: 'raw' | '1m' | '1h';
  source: string;
}

export type QueryOutcome =
  | { ok: true; result: SeriesQueryResult }
  | { ok: false; code: 'not_found' | 'ambiguous'; message: string; candidates?: Labels[] };

export interface SeriesReader {
  /** Hosts this reader has series for. */
  hosts(): string[];
  listSeries(host: string): SeriesInfo[];
  query(q: SeriesQuery): QueryOutcome;
}
