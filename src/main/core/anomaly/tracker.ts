import { ANOMALY_ALERT_THRESHOLD, AnomalyDetector, type AnomalyDetectorOptions } from './detector';

/** One reported anomaly of one series. */
export interface AnomalyEvent {
  host: string;
  /** The series as the metrics store names it (`disk_used_ratio{mount="/"}`). */
  series: string;
  /** Unix ms of the point that was reported. */
  at: number;
  value: number;
  score: number;
}

/** The shape of a metrics sample batch this tracker reads (structurally MetricsService's SampleBatch). */
export interface AnomalySampleBatch {
  host: string;
  at: number;
  values: readonly { name: string; labels?: Readonly<Record<string, string>>; value: number }[];
}

export interface AnomalyTrackerOptions {
  /** Most series tracked at once (least recently fed dropped first): bounds memory. */
  maxSeries: number;
  /** Reported anomalies kept (newest first out of a ring). */
  maxEvents: number;
  /** Score at and above which a point is reported. */
  threshold: number;
  detector?: Partial<AnomalyDetectorOptions>;
  /**
   * The series' values before `before` (oldest first), replayed into a detector when it is
   * created, so a restarted (or evicted) series resumes from its stored history rather than
   * a fresh warm-up. Replayed points are learned from, never reported. Absent: no history.
   */
  history?: (host: string, name: string, labels: Readonly<Record<string, string>>, before: number) => readonly number[];
}

/** One point's score, as `score` returns it for every value it scored (reported or not). */
export interface AnomalyScore {
  name: string;
  labels: Readonly<Record<string, string>>;
  series: string;
  value: number;
  score: number;
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<AnomalyTrackerOptions> = Object.freeze({ maxSeries: 5000, maxEvents: 1000, threshold: ANOMALY_ALERT_THRESHOLD });

function seriesKey(name: string, labels?: Readonly<Record<string, string>>): string {
  if (!labels) return name;
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/**
 * One streaming detector per (host, series), fed by the metrics sample batches as they
 * arrive (pure: no I/O, no clock; the caller stores or shows what it returns). Memory is
 * bounded: at most `maxSeries` detectors (each bounded) and `maxEvents` events.
 */
export class AnomalyTracker {
  readonly options: AnomalyTrackerOptions;
  private readonly detectors = new Map<string, { detector: AnomalyDetector; lastAt: number; last: number }>();
  private readonly events: AnomalyEvent[] = [];

  constructor(options: Partial<AnomalyTrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  /** Feeds one batch; returns the anomalies it reported (points at or above the threshold). */
  append(batch: AnomalySampleBatch): AnomalyEvent[] {
    const out: AnomalyEvent[] = [];
    for (const s of this.score(batch)) if (s.score >= this.options.threshold) out.push({ host: batch.host, series: s.series, at: batch.at, value: s.value, score: s.score });
    return out;
  }

  /**
   * Feeds one batch; returns the score of every point it scored (out-of-order points are
   * skipped), reports included. Reports are also kept for `anomalies`.
   */
  score(batch: AnomalySampleBatch): AnomalyScore[] {
    const out: AnomalyScore[] = [];
    for (const v of batch.values) {
      const series = seriesKey(v.name, v.labels);
      const key = `${batch.host}\u0000${series}`;
      let entry = this.detectors.get(key);
      if (entry) {
        // out-of-order or repeated points would break causality: ignore them
        if (batch.at <= entry.lastAt) continue;
        this.detectors.delete(key); // re-insert: Map order is the LRU order
      } else {
        entry = { detector: new AnomalyDetector(this.options.detector), lastAt: -Infinity, last: 0 };
        // Causal: only points before this one; their scores are not reports.
        for (const past of this.options.history?.(batch.host, v.name, v.labels ?? {}, batch.at) ?? []) entry.detector.update(past);
        if (this.detectors.size >= this.options.maxSeries) {
          const oldest = this.detectors.keys().next().value;
          if (oldest !== undefined) this.detectors.delete(oldest);
        }
      }
      this.detectors.set(key, entry);
      entry.lastAt = batch.at;
      const score = entry.detector.update(v.value);
      entry.last = score;
      out.push({ name: v.name, labels: v.labels ?? {}, series, value: v.value, score });
      if (score >= this.options.threshold) {
        const event = { host: batch.host, series, at: batch.at, value: v.value, score };
        this.events.push(event);
        if (this.events.length > this.options.maxEvents) this.events.splice(0, this.events.length - this.options.maxEvents);
      }
    }
    return out;
  }

  /** The latest score of a series, or null when it is not tracked. */
  lastScore(host: string, series: string): number | null {
    return this.detectors.get(`${host}\u0000${series}`)?.last ?? null;
  }

  /** Reported anomalies, oldest first, optionally of one host and/or series and since a time. */
  anomalies(filter: { host?: string; series?: string; since?: number } = {}): AnomalyEvent[] {
    return this.events.filter((e) => (filter.host === undefined || e.host === filter.host) && (filter.series === undefined || e.series === filter.series) && (filter.since === undefined || e.at >= filter.since));
  }

  get trackedSeries(): number {
    return this.detectors.size;
  }
}
