import { ANOMALY_ALERT_THRESHOLD, type AnomalyScore } from '../anomaly';
import { ANOMALY_SCORE_METRIC, ANOMALY_SCORED_LABEL } from '../../../shared/protocol';
import type { Labels } from './names';
import type { SampleBatch } from './types';

/**
 * Anomaly scores stored beside the series they score (issue 18): as series of their own in
 * the same chunked store, `anomaly_score{metric_name="disk_used_ratio",mount="/"}`, so they
 * share its journal, rollups (a bucket's max says whether anything in it was anomalous),
 * retention and query API, and a Prometheus-minded reader finds them by name.
 *
 * Compact: only scores at or above ANOMALY_STORE_FLOOR are written; almost every point of
 * a healthy series scores 0 and costs nothing. The floor is half the report level, so a
 * reported point and the held-down scores that follow it (the detector's hold-off) are
 * kept, which is what a chart shades as an anomalous window.
 *
 * The label is `metric_name`, not `metric`: the HTTP query API reads `metric` as the
 * series name and every other parameter as a label.
 */
export const ANOMALY_METRIC = ANOMALY_SCORE_METRIC;
export const ANOMALY_LABEL = ANOMALY_SCORED_LABEL;
export const ANOMALY_STORE_FLOOR = ANOMALY_ALERT_THRESHOLD / 2;
export const ANOMALY_SOURCE = 'anomaly-detector';
/** The score at and above which a point counts as anomalous (the detector's report level). */
export const ANOMALY_THRESHOLD = ANOMALY_ALERT_THRESHOLD;

/** Whether a series is scored: everything collected except the scores themselves (and any series already using the label). */
export function isScored(name: string, labels: Labels | undefined): boolean {
  return name !== ANOMALY_METRIC && !(labels && ANOMALY_LABEL in labels);
}

/** The labels of the score series of `metric{labels}`. */
export function anomalyLabels(metric: string, labels: Labels): Record<string, string> {
  return { ...labels, [ANOMALY_LABEL]: metric };
}

/** The scored series a score series belongs to (null: not a score series). */
export function scoredSeriesOf(name: string, labels: Labels): { metric: string; labels: Record<string, string> } | null {
  const metric = labels[ANOMALY_LABEL];
  if (name !== ANOMALY_METRIC || metric === undefined) return null;
  const { [ANOMALY_LABEL]: _drop, ...rest } = labels;
  return { metric, labels: rest };
}

/** The batch of scores worth storing (null: none reached the floor). */
export function scoreBatch(batch: SampleBatch, scores: readonly AnomalyScore[]): SampleBatch | null {
  const values = scores.filter((s) => s.score >= ANOMALY_STORE_FLOOR).map((s) => ({ name: ANOMALY_METRIC, labels: anomalyLabels(s.name, s.labels), value: s.score, unit: 'ratio' }));
  return values.length ? { host: batch.host, source: ANOMALY_SOURCE, at: batch.at, values } : null;
}
