import { medianOf, theilSen, thin, type Point, type SenFit } from './theil-sen';

/**
 * When does a series reach a limit? A robust trend (Theil–Sen) with an 80 % interval from
 * Sen's slope bounds, on the part of the series that says something about the future:
 *
 * - A sudden lasting step away from the limit (log rotation, a cleanup, a restart that
 *   frees memory) is a reset: the trend is fitted after the last one, so the drop does not
 *   flatten it (least squares over the whole window would see a much smaller slope).
 * - With two resets or more the series is a sawtooth. What fills a disk then is the
 *   envelope: the peaks just before each reset. Rising peaks forecast their crossing; flat
 *   peaks do not, even though each tooth, extrapolated on its own, would reach the limit
 *   some day. The current tooth still counts when it reaches the limit before the next
 *   reset is due (the rotation would come too late).
 * - A trend that has stopped (the last third of the fit much flatter than the whole) is a
 *   plateau, not a fill, and a trend whose interval includes zero is no trend.
 *
 * Pure: points in, times out. Direction: towards a limit above the series (disk, inodes)
 * or below it (available memory towards 0).
 */

export type Direction = 'up' | 'down';

export type ForecastReason =
  | 'crosses'
  | 'already_reached'
  | 'too_few_points'
  | 'no_trend'
  | 'away_from_limit'
  | 'plateau'
  | 'rotates_before_limit';

export interface Forecast {
  /** Unix ms when the series is predicted to reach the limit, or null. */
  crossesAt: number | null;
  /** The interval (default 80 %): earliest and latest plausible crossing; high is null when the slower bound never gets there. */
  low: number | null;
  high: number | null;
  reason: ForecastReason;
  /** What was fitted: the whole window, the stretch after the last reset, or the sawtooth's peaks. */
  method: 'trend' | 'since_reset' | 'peaks' | 'none';
  /** The fitted rate, value units per hour (signed as the series moves), when a trend was fitted. */
  ratePerHour: number | null;
  /** Resets (lasting drops away from the limit) seen in the window. */
  resets: number;
}

export interface ForecastOptions {
  /** Default: inferred from where the series starts relative to the limit. */
  direction?: Direction;
  /** 0.8 (default), 0.9 or 0.95. */
  confidence?: number;
  /** Fewer points (in the stretch fitted) than this: no forecast. */
  minPoints?: number;
  /** A step away from the limit larger than this many robust deviations of the step noise... */
  resetSigmas?: number;
  /** ...and larger than this share of the series' range is a reset. */
  resetShare?: number;
  /** The last third's slope below this share of the whole fit's slope: a plateau. */
  plateauRatio?: number;
}

export const DEFAULT_FORECAST_OPTIONS = { confidence: 0.8, minPoints: 5, resetSigmas: 6, resetShare: 0.1, plateauRatio: 0.2 } as const;

const HOUR_MS = 3_600_000;

const none = (reason: ForecastReason, resets = 0, ratePerHour: number | null = null, method: Forecast['method'] = 'none'): Forecast => ({
  crossesAt: null,
  low: null,
  high: null,
  reason,
  method,
  ratePerHour,
  resets,
});

/** Finite points in time order; of points sharing a time, the last. */
export function cleanPoints(points: readonly Point[]): Point[] {
  const byTime = new Map<number, number>();
  for (const p of points) if (Number.isFinite(p.t) && Number.isFinite(p.v)) byTime.set(p.t, p.v);
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
}

/**
 * Indexes i where a reset happens between y[i-1] and y[i] (y oriented so that the limit is
 * upwards). A single low sample that comes straight back is noise, not a reset: the level
 * must stay down for the following points.
 */
export function findResets(y: readonly Point[], sigmas: number, share: number): number[] {
  if (y.length < 3) return [];
  const diffs: number[] = [];
  for (let i = 1; i < y.length; i++) diffs.push((y[i] as Point).v - (y[i - 1] as Point).v);
  const med = medianOf(diffs);
  const mad = medianOf(diffs.map((d) => Math.abs(d - med)));
  let min = Infinity;
  let max = -Infinity;
  for (const p of y) {
    min = Math.min(min, p.v);
    max = Math.max(max, p.v);
  }
  const threshold = Math.max(sigmas * 1.4826 * mad, share * (max - min));
  if (!(threshold > 0)) return [];
  const out: number[] = [];
  for (let i = 1; i < y.length; i++) {
    const before = (y[i - 1] as Point).v;
    const drop = before - (y[i] as Point).v;
    if (drop <= threshold) continue;
    // Lasting: the next few points (as many as there are, up to 3) stay well below the level before.
    const after = y.slice(i, Math.min(y.length, i + 3)).map((p) => p.v);
    if (!(medianOf(after) < before - threshold / 2)) continue;
    // A drop spread over two samples (a bucket average straddling it) is one reset, at its end.
    if (out.length > 0 && i - (out.at(-1) as number) <= 2) out[out.length - 1] = i;
    else out.push(i);
  }
  return out;
}

interface Crossing {
  at: number;
  low: number;
  high: number | null;
}

/** Where a fitted line (y oriented upwards) reaches `limit`, never before `from`. */
function crossing(fit: SenFit, limit: number, from: number): Crossing | null {
  if (!(fit.lower > 0)) return null;
  const solve = (slope: number): number => {
    const t = from + (limit - fit.at(from, slope)) / slope;
    return Math.max(from, t);
  };
  return { at: solve(fit.slope), low: solve(fit.upper), high: solve(fit.lower) };
}

/** A trend that flattened: the last third of the points rises much more slowly than the whole. */
function plateaued(points: readonly Point[], fit: SenFit, ratio: number, confidence: number, minPoints: number): boolean {
  const tail = points.slice(Math.floor((points.length * 2) / 3));
  if (tail.length < minPoints) return false;
  const recent = theilSen(tail, confidence);
  return recent !== null && recent.slope < ratio * fit.slope;
}

export function forecastCrossing(input: readonly Point[], limit: number, options: ForecastOptions = {}): Forecast {
  const o = { ...DEFAULT_FORECAST_OPTIONS, ...options };
  if (!Number.isFinite(limit)) throw new RangeError('the limit must be a finite number');
  const points = cleanPoints(input);
  if (points.length < o.minPoints || (points.at(-1) as Point).t === (points[0] as Point).t) return none('too_few_points');
  const direction: Direction = o.direction ?? (medianOf(points.slice(0, Math.min(5, points.length)).map((p) => p.v)) <= limit ? 'up' : 'down');
  const sign = direction === 'up' ? 1 : -1;
  // Oriented: the limit is above, a fill is a rising line, a reset is a drop.
  const y = points.map((p) => ({ t: p.t, v: sign * p.v }));
  const top = sign * limit;
  const last = y.at(-1) as Point;

  if (last.v >= top) {
    // Already there: since the first point of the final run at or past the limit.
    let i = y.length - 1;
    while (i > 0 && (y[i - 1] as Point).v >= top) i--;
    const at = (y[i] as Point).t;
    return { crossesAt: at, low: at, high: at, reason: 'already_reached', method: 'none', ratePerHour: null, resets: 0 };
  }

  const resets = findResets(y, o.resetSigmas, o.resetShare);
  const rate = (fit: SenFit) => sign * fit.slope * HOUR_MS;

  /** The trend of a stretch, its crossing, or why there is none. */
  const fitStretch = (stretch: Point[], method: Forecast['method']): Forecast & { fit: SenFit | null } => {
    if (stretch.length < o.minPoints || (stretch.at(-1) as Point).t === (stretch[0] as Point).t) return { ...none('too_few_points', resets.length, null, method), fit: null };
    const fitted = thin(stretch);
    const fit = theilSen(fitted, o.confidence);
    if (!fit) return { ...none('too_few_points', resets.length, null, method), fit: null };
    if (fit.slope <= 0) return { ...none('away_from_limit', resets.length, rate(fit), method), fit };
    if (!(fit.lower > 0)) return { ...none('no_trend', resets.length, rate(fit), method), fit };
    if (plateaued(fitted, fit, o.plateauRatio, o.confidence, o.minPoints)) return { ...none('plateau', resets.length, rate(fit), method), fit };
    const c = crossing(fit, top, last.t) as Crossing;
    return { crossesAt: c.at, low: c.low, high: c.high, reason: 'crosses', method, ratePerHour: rate(fit), resets: resets.length, fit };
  };
  const strip = ({ fit: _fit, ...f }: Forecast & { fit: SenFit | null }): Forecast => f;

  if (resets.length === 0) return strip(fitStretch(y, 'trend'));
  const lastReset = resets.at(-1) as number;
  const tooth = fitStretch(y.slice(lastReset), 'since_reset');
  if (resets.length === 1) return strip(tooth);

  // A sawtooth: the peaks before each reset are the envelope that fills the disk.
  const bounds = [0, ...resets];
  const peaks: Point[] = [];
  for (let k = 0; k < resets.length; k++) {
    const segment = y.slice(bounds[k], resets[k]);
    if (k === 0 && segment.length < 2) continue; // a window that opens on a reset has no first peak
    peaks.push(segment.reduce((a, b) => (b.v >= a.v ? b : a)));
  }
  const cycle = medianOf(resets.slice(1).map((r, k) => (y[r] as Point).t - (y[resets[k] as number] as Point).t));
  const nextReset = (y[lastReset] as Point).t + cycle;
  // The current tooth reaches the limit before the next rotation is due: rotation comes too late.
  if (tooth.crossesAt !== null && tooth.crossesAt < nextReset) return strip(tooth);
  const envelope = peaks.length >= 2 ? theilSen(peaks, o.confidence) : null;
  if (envelope && envelope.lower > 0) {
    const c = crossing(envelope, top, last.t) as Crossing;
    return { crossesAt: c.at, low: c.low, high: c.high, reason: 'crosses', method: 'peaks', ratePerHour: sign * envelope.slope * HOUR_MS, resets: resets.length };
  }
  if (envelope && envelope.slope > 0) return none('no_trend', resets.length, sign * envelope.slope * HOUR_MS, 'peaks');
  return none(tooth.reason === 'crosses' ? 'rotates_before_limit' : tooth.reason, resets.length, envelope ? sign * envelope.slope * HOUR_MS : tooth.ratePerHour, 'peaks');
}
