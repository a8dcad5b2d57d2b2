import { createHash } from 'node:crypto';
import { escapeControls } from '../../../shared/text/escape-controls';
import type { QueryOutcome, SeriesInfo, SeriesQuery } from '../metrics';
import type { ForecastConfig } from './config';
import { forecastCrossing, type Direction, type Forecast } from './forecast';
import type { Point } from './theil-sen';

/**
 * Forecast alerts over collected metrics: disk full, inodes exhausted, memory running out
 * (a leak suspected). Each time a series has new points (each collection) its forecast is
 * computed again; an alert is raised while the predicted crossing is within the horizon,
 * naming the time and its 80 % interval, and resolved when the forecast no longer crosses.
 * Raising and resolving both wait for `confirm` agreeing forecasts, and the band between
 * the horizon and 1.5× the horizon changes nothing, so an alert does not flap.
 */

export type AlertSeverity = 'warning' | 'critical';

/** What the watcher raises: the shape of the alert service's raise() (kept local so the watcher stands alone). */
export interface ForecastAlert {
  source: 'forecast';
  /** The inventory host it is about (null: none, e.g. a TLS endpoint outside the inventory). */
  host: string | null;
  name: string;
  severity: AlertSeverity;
  summary: string;
  labels: Record<string, string>;
  fingerprint: string;
  /** The series' latest value (a ratio, bytes). */
  value?: number;
  /** ISO time of the predicted crossing (or of the certificate's expiry). */
  predictedAt?: string;
}

export interface ForecastAlertSink {
  raise(alert: ForecastAlert): unknown;
  resolve(fingerprint: string): unknown;
}

/** The part of the metrics service a watcher reads (every host it has series for, stored or remote). */
export interface ForecastSeriesReader {
  hosts(): string[];
  listSeries(host: string): SeriesInfo[];
  query(q: SeriesQuery): QueryOutcome;
}

export interface TrendRule {
  /** The alert's name. */
  name: string;
  metric: string;
  limit: number;
  direction: Direction;
  windowMs: number;
  minHistoryMs: number;
  /**
   * The alert's summary from the quoted label value (mount), the host and the crossing
   * (`at … (80 % interval …)`), or, once reached, the time it was reached.
   */
  describe(subject: string | null, host: string, when: string, reached: boolean): string;
}

const HOUR = 3_600_000;
/** Points read per forecast (bucket averages past that): Theil–Sen's pairs grow with the square. */
const MAX_POINTS = 200;

/** Shown in a summary: text from a host (a mount point) escaped and bounded. */
export function quoteSubject(text: string): string {
  const escaped = escapeControls(text);
  return escaped.length > 80 ? `${escaped.slice(0, 79)}…` : escaped;
}

/** `2026-12-08T14:10Z`: minutes are as precise as a forecast deserves. */
export function isoMinute(t: number): string {
  return `${new Date(t).toISOString().slice(0, 16)}Z`;
}

/** `at 2026-12-08T14:10Z (80 % interval 13:40–14:55)`, dates written in the interval when they differ. */
export function describeCrossing(f: Pick<Forecast, 'crossesAt' | 'low' | 'high'>, confidence = 0.8): string {
  const at = f.crossesAt as number;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const short = (t: number) => (day(t) === day(at) ? new Date(t).toISOString().slice(11, 16) : isoMinute(t));
  const high = f.high === null ? 'later' : short(f.high);
  return `at ${isoMinute(at)} (${Math.round(confidence * 100)} % interval ${short(f.low ?? at)}–${high})`;
}

export function trendRules(config: ForecastConfig): TrendRule[] {
  const rules: TrendRule[] = [];
  const window = (c: { windowHours: number; minHistoryMinutes: number }) => ({ windowMs: c.windowHours * HOUR, minHistoryMs: c.minHistoryMinutes * 60_000 });
  if (config.disk.enabled)
    rules.push({ name: 'disk_full_forecast', metric: 'disk_used_ratio', limit: 1, direction: 'up', ...window(config.disk), describe: (mount, host, when, reached) => `disk ${mount} on ${host} ${reached ? 'is full since' : 'will fill'} ${when}` });
  if (config.inodes.enabled)
    rules.push({ name: 'inodes_exhausted_forecast', metric: 'disk_inodes_used_ratio', limit: 1, direction: 'up', ...window(config.inodes), describe: (mount, host, when, reached) => `inodes of ${mount} on ${host} ${reached ? 'ran out at' : 'will run out'} ${when}` });
  if (config.memory.enabled)
    rules.push({
      name: 'memory_leak_forecast',
      metric: 'memory_available_bytes',
      limit: 0,
      direction: 'down',
      ...window(config.memory),
      describe: (_, host, when, reached) => `memory on ${host} keeps growing without a plateau (leak suspected): available memory ${reached ? 'ran out at' : 'runs out'} ${when}`,
    });
  return rules;
}

interface SeriesState {
  lastAt: number | null;
  raised: boolean;
  hits: number;
  misses: number;
  predicted: number | null;
  severity: AlertSeverity | null;
  reached: boolean;
  /** The rule's window: no point for this long and the forecast is stale. */
  windowMs: number;
}

export interface WatcherEvaluation {
  host: string;
  rule: string;
  labels: Record<string, string>;
  forecast: Forecast;
  raised: boolean;
}

export interface ForecastWatcherDeps {
  reader: ForecastSeriesReader;
  sink: ForecastAlertSink;
  config: ForecastConfig;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void };
  /** Every forecast computed (tests, the UI later). */
  onEvaluation?: (e: WatcherEvaluation) => void;
}

export function forecastFingerprint(rule: string, host: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  const canonical = JSON.stringify([rule, host, keys.map((k) => [k, labels[k]])]);
  return `forecast-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

export class ForecastWatcher {
  private readonly rules: TrendRule[];
  private readonly state = new Map<string, SeriesState>();
  private timer: NodeJS.Timeout | null = null;
  private passing = false;
  private readonly now: () => number;

  constructor(private readonly deps: ForecastWatcherDeps) {
    this.rules = trendRules(deps.config);
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.timer || !this.deps.config.enabled || this.rules.length === 0) return;
    this.timer = setInterval(() => void this.pass(), this.deps.config.evaluateSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass: every series of every rule that has new points since the last pass. */
  evaluate(): void {
    const now = this.now();
    for (const host of this.deps.reader.hosts()) this.evaluateHost(host, now);
    this.resolveStale(now);
  }

  /**
   * A raised forecast whose series got no point for a whole window (the host left the
   * inventory, the file system was unmounted, collection stopped) no longer says anything:
   * resolved rather than left firing forever.
   */
  private resolveStale(now: number): void {
    for (const [fingerprint, st] of this.state) {
      if (!st.raised || st.lastAt === null || now - st.lastAt <= st.windowMs) continue;
      this.deps.sink.resolve(fingerprint);
      this.state.delete(fingerprint);
    }
  }

  /** The timer's pass: host by host, yielding between hosts so requests keep flowing on a large fleet. */
  private async pass(): Promise<void> {
    if (this.passing) return;
    this.passing = true;
    try {
      const now = this.now();
      for (const host of this.deps.reader.hosts()) {
        if (!this.timer) return;
        try {
          this.evaluateHost(host, now);
        } catch (err) {
          this.deps.logger?.warn({ err: (err as Error).message, host }, 'forecast evaluation failed');
        }
        await new Promise((r) => setImmediate(r));
      }
      this.resolveStale(now);
    } finally {
      this.passing = false;
    }
  }

  private evaluateHost(host: string, now: number): void {
    const series = this.deps.reader.listSeries(host);
    for (const rule of this.rules) {
      for (const s of series) {
        if (s.metric === rule.metric) this.evaluateSeries(rule, host, s, now);
      }
    }
  }

  private evaluateSeries(rule: TrendRule, host: string, s: SeriesInfo, now: number): void {
    const labels = { ...s.labels };
    const fingerprint = forecastFingerprint(rule.name, host, labels);
    let st = this.state.get(fingerprint);
    if (!st) this.state.set(fingerprint, (st = { lastAt: null, raised: false, hits: 0, misses: 0, predicted: null, severity: null, reached: false, windowMs: rule.windowMs }));
    // No new collection since the last forecast: nothing new to say.
    if (s.lastAt !== null && st.lastAt === s.lastAt) return;
    st.lastAt = s.lastAt;
    const outcome = this.deps.reader.query({ host, metric: rule.metric, labels, since: now - rule.windowMs, until: now, maxPoints: MAX_POINTS });
    if (!outcome.ok) return;
    const points: Point[] = outcome.result.points.map(([t, v]) => ({ t, v }));
    if (points.length === 0 || (points.at(-1) as Point).t - (points[0] as Point).t < rule.minHistoryMs) return;
    const f = forecastCrossing(points, rule.limit, { direction: rule.direction });
    const horizon = this.deps.config.horizonHours * HOUR;
    const confirm = this.deps.config.confirm;
    const alarming = f.crossesAt !== null && f.crossesAt - now <= horizon;
    const clear = f.crossesAt === null || f.crossesAt - now > 1.5 * horizon;
    if (alarming) {
      st.misses = 0;
      st.hits++;
      const severity: AlertSeverity = (f.crossesAt as number) - now <= this.deps.config.criticalHours * HOUR ? 'critical' : 'warning';
      const reached = f.reason === 'already_reached';
      // Raised once confirmed; raised again (same fingerprint) when the time moved by more than a tenth of what is left, the severity changed or the limit was reached.
      const moved = st.predicted !== null && Math.abs((f.crossesAt as number) - st.predicted) > Math.max(5 * 60_000, 0.1 * (st.predicted - now));
      if ((!st.raised && st.hits >= confirm) || (st.raised && (moved || severity !== st.severity || reached !== st.reached))) {
        const subject = labels.mount !== undefined ? quoteSubject(labels.mount) : null;
        const when = reached ? isoMinute(f.crossesAt as number) : describeCrossing(f);
        this.deps.sink.raise({
          source: 'forecast',
          host,
          name: rule.name,
          severity,
          // Host names can come from imported inventories: shown escaped too.
          summary: rule.describe(subject, quoteSubject(host), when, reached),
          labels: { ...labels, metric: rule.metric },
          fingerprint,
          value: (points.at(-1) as Point).v,
          predictedAt: new Date(f.crossesAt as number).toISOString(),
        });
        st.raised = true;
        st.predicted = f.crossesAt;
        st.severity = severity;
        st.reached = reached;
      }
    } else if (clear) {
      st.hits = 0;
      st.misses++;
      if (st.raised && st.misses >= confirm) {
        this.deps.sink.resolve(fingerprint);
        st.raised = false;
        st.predicted = null;
        st.severity = null;
        st.reached = false;
      }
    } else {
      st.hits = 0;
      st.misses = 0;
    }
    this.deps.onEvaluation?.({ host, rule: rule.name, labels, forecast: f, raised: st.raised });
  }
}
