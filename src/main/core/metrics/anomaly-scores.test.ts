import { describe, expect, it } from 'vitest';
import { Store } from '../store';
import { ANOMALY_LABEL, ANOMALY_METRIC, ANOMALY_STORE_FLOOR, ANOMALY_THRESHOLD, anomalyLabels, isScored, scoredSeriesOf } from './anomaly-scores';
import { metricsConfig } from './config';
import { MetricsService } from './service';
import type { MetricSource, SampleBatch, SampleSink } from './types';

const T0 = Date.UTC(2025, 0, 6, 0, 0, 0);
const STEP = 15_000;

/** A source the test drives: each `push` goes through the service's sink, as a collector's batch would. */
class DrivenSource implements MetricSource {
  readonly name = 'driven';
  private sink: SampleSink | null = null;
  start(sink: SampleSink): void {
    this.sink = sink;
  }
  async stop(): Promise<void> {}
  push(batch: SampleBatch): void {
    if (!this.sink) throw new Error('not started');
    this.sink.append(batch);
  }
}

/** A deterministic steady load with a daily-like wave (the detector sees its usual cycle, never a jump). */
const steady = (i: number) => 0.5 + 0.05 * Math.sin((2 * Math.PI * i) / 40);

function service(store: Store, clock: { now: number }) {
  const metrics = new MetricsService({ db: store.db, config: metricsConfig.schema.parse({}), now: () => clock.now });
  const source = new DrivenSource();
  metrics.start();
  metrics.addSource(source);
  const feed = (i: number, load1: number, disk = 0.4) => {
    clock.now = T0 + i * STEP;
    source.push({ host: 'web-1', source: 'collector', at: clock.now, values: [{ name: 'load1', labels: {}, value: load1 }, { name: 'disk_used_ratio', labels: { mount: '/' }, value: disk }] });
  };
  return { metrics, feed };
}

const scores = (metrics: MetricsService, metric: string, labels: Record<string, string>, since: number, until: number) =>
  metrics.anomalyScores({ host: 'web-1', metric, labels, since, until });

describe('anomaly scores stored beside the series (issue 18)', () => {
  it('names score series so they round-trip and are never scored themselves', () => {
    const labels = anomalyLabels('disk_used_ratio', { mount: '/' });
    expect(labels).toEqual({ mount: '/', [ANOMALY_LABEL]: 'disk_used_ratio' });
    expect(scoredSeriesOf(ANOMALY_METRIC, labels)).toEqual({ metric: 'disk_used_ratio', labels: { mount: '/' } });
    expect(scoredSeriesOf('load1', {})).toBeNull();
    expect(isScored(ANOMALY_METRIC, labels)).toBe(false);
    expect(isScored('load1', {})).toBe(true);
    expect(ANOMALY_STORE_FLOOR).toBeLessThan(ANOMALY_THRESHOLD);
  });

  it('stores a score at the jump and none before, only for the series that jumped, compactly', async () => {
    const store = Store.inMemory();
    const clock = { now: T0 };
    const { metrics, feed } = service(store, clock);
    for (let i = 0; i < 600; i++) feed(i, steady(i));
    const jumpAt = T0 + 600 * STEP;
    for (let i = 600; i < 620; i++) feed(i, 9);
    const load = scores(metrics, 'load1', {}, T0, jumpAt + 20 * STEP);
    const reported = load.filter(([, s]) => s >= ANOMALY_THRESHOLD);
    expect(reported[0]?.[0]).toBe(jumpAt);
    expect(load.filter(([t, s]) => t < jumpAt && s >= ANOMALY_THRESHOLD)).toEqual([]);
    // Compact: a steady series writes (almost) nothing; 600 points, a handful of scores at most.
    expect(load.filter(([t]) => t < jumpAt).length).toBeLessThan(10);
    expect(scores(metrics, 'disk_used_ratio', { mount: '/' }, T0, jumpAt + 20 * STEP).filter(([, s]) => s >= ANOMALY_THRESHOLD)).toEqual([]);
    // The stored list names the series, its value and the score; score series are not scored themselves.
    const listed = metrics.storedAnomalies({ host: 'web-1', since: T0, until: jumpAt + 20 * STEP });
    expect(listed[0]).toMatchObject({ series: 'load1', metric: 'load1', labels: {}, at: jumpAt, value: 9 });
    expect(listed.every((a) => a.metric !== ANOMALY_METRIC)).toBe(true);
    expect(metrics.listSeries('web-1').filter((s) => s.metric === ANOMALY_METRIC).every((s) => s.labels[ANOMALY_LABEL] !== undefined)).toBe(true);
    expect(metrics.listSeries('web-1').some((s) => s.metric === ANOMALY_METRIC && s.labels[ANOMALY_LABEL] === ANOMALY_METRIC)).toBe(false);
    // Buckets carry the worst score in them (max), not an average diluted by quiet points.
    const bucketed = metrics.query({ host: 'web-1', metric: ANOMALY_METRIC, labels: anomalyLabels('load1', {}), since: T0, until: jumpAt + 20 * STEP, stepMs: 3_600_000 });
    expect(bucketed.ok && Math.max(...bucketed.result.points.map(([, s]) => s))).toBe(Math.max(...load.map(([, s]) => s)));
    await metrics.stop();
  });

  it('rebuilds each detector from the stored raw points after a restart: a jump right after it is still caught', async () => {
    const store = Store.inMemory();
    const clock = { now: T0 };
    const first = service(store, clock);
    for (let i = 0; i < 400; i++) first.feed(i, steady(i));
    await first.metrics.stop();
    // A new service on the same database: its detectors start empty and replay the history.
    const second = service(store, clock);
    for (let i = 400; i < 405; i++) second.feed(i, steady(i));
    const jumpAt = T0 + 405 * STEP;
    second.feed(405, 9);
    const after = scores(second.metrics, 'load1', {}, T0, jumpAt);
    // Without the replay the detector would still be warming up (it scores 0 for its first 150 points).
    expect(after.filter(([, s]) => s >= ANOMALY_THRESHOLD).map(([t]) => t)).toEqual([jumpAt]);
    await second.metrics.stop();
  });
});
