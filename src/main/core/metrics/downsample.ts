import type { AggPoints, RawPoints } from './codec';

/**
 * Storage tiers: raw points, 1-minute and 1-hour rollups. Each tier is stored in chunks
 * covering a fixed, aligned window; a rollup tier is computed from the tier below once
 * one of its windows has closed (so the finer data it needs is still retained).
 */
export interface Tier {
  id: 0 | 1 | 2;
  name: 'raw' | '1m' | '1h';
  /** Bucket width of a rollup; 0 for raw points. */
  stepMs: number;
  /** Width of one stored chunk (aligned to the Unix epoch). */
  chunkMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const TIERS: readonly [Tier, Tier, Tier] = [
  { id: 0, name: 'raw', stepMs: 0, chunkMs: HOUR },
  { id: 1, name: '1m', stepMs: MINUTE, chunkMs: 6 * HOUR },
  { id: 2, name: '1h', stepMs: HOUR, chunkMs: 7 * DAY },
];

export function windowStart(ts: number, chunkMs: number): number {
  return Math.floor(ts / chunkMs) * chunkMs;
}

/**
 * Rollup buckets being built: sums rather than averages so that partial buckets merge
 * exactly. Input in time order (the usual case) appends to arrays; a point for an earlier
 * bucket is looked up instead, so any order gives the same result.
 */
export class AggBuilder {
  private ts: number[] = [];
  private sum: number[] = [];
  private count: number[] = [];
  private min: number[] = [];
  private max: number[] = [];
  private index: Map<number, number> | null = null;

  constructor(readonly stepMs: number) {}

  add(ts: number, value: number, weight = 1, min = value, max = value): void {
    const key = windowStart(ts, this.stepMs);
    const n = this.ts.length;
    let i = n > 0 && this.ts[n - 1] === key ? n - 1 : -1;
    if (i < 0 && n > 0 && key < (this.ts[n - 1] as number)) {
      this.index ??= new Map(this.ts.map((t, j) => [t, j]));
      i = this.index.get(key) ?? -1;
    }
    if (i < 0) {
      this.ts.push(key);
      this.sum.push(value * weight);
      this.count.push(weight);
      this.min.push(min);
      this.max.push(max);
      this.index?.set(key, this.ts.length - 1);
      return;
    }
    this.sum[i] = (this.sum[i] as number) + value * weight;
    this.count[i] = (this.count[i] as number) + weight;
    if (min < (this.min[i] as number)) this.min[i] = min;
    if (max > (this.max[i] as number)) this.max[i] = max;
  }

  addRaw(points: RawPoints): void {
    for (let i = 0; i < points.ts.length; i++) this.add(points.ts[i] as number, points.values[i] as number);
  }

  /** Adds finer rollup buckets (weighted by their point counts). */
  addAgg(points: AggPoints): void {
    for (let i = 0; i < points.ts.length; i++) {
      const count = points.count[i] as number;
      if (count <= 0) continue;
      this.add(points.ts[i] as number, points.avg[i] as number, count, points.min[i] as number, points.max[i] as number);
    }
  }

  get size(): number {
    return this.ts.length;
  }

  build(): AggPoints {
    const n = this.ts.length;
    let order = Array.from({ length: n }, (_, i) => i);
    // Only out-of-order input (an index was needed) can leave the buckets unsorted.
    if (this.index) order = order.sort((a, b) => (this.ts[a] as number) - (this.ts[b] as number));
    const out: AggPoints = { ts: new Float64Array(n), avg: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n), count: new Float64Array(n) };
    order.forEach((j, i) => {
      out.ts[i] = this.ts[j] as number;
      out.avg[i] = (this.sum[j] as number) / (this.count[j] as number);
      out.min[i] = this.min[j] as number;
      out.max[i] = this.max[j] as number;
      out.count[i] = this.count[j] as number;
    });
    return out;
  }
}

export function downsampleRaw(points: RawPoints, stepMs: number): AggPoints {
  const b = new AggBuilder(stepMs);
  b.addRaw(points);
  return b.build();
}

export function downsampleAgg(points: AggPoints, stepMs: number): AggPoints {
  const b = new AggBuilder(stepMs);
  b.addAgg(points);
  return b.build();
}

/** Points of a sorted series within [since, until] (inclusive). */
export function sliceRaw(points: RawPoints, since: number, until: number): RawPoints {
  const lo = lowerBound(points.ts, since);
  const hi = upperBound(points.ts, until);
  return { ts: points.ts.subarray(lo, hi), values: points.values.subarray(lo, hi) };
}

export function sliceAgg(points: AggPoints, since: number, until: number): AggPoints {
  const lo = lowerBound(points.ts, since);
  const hi = upperBound(points.ts, until);
  return { ts: points.ts.subarray(lo, hi), avg: points.avg.subarray(lo, hi), min: points.min.subarray(lo, hi), max: points.max.subarray(lo, hi), count: points.count.subarray(lo, hi) };
}

function lowerBound(ts: Float64Array, x: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(ts: Float64Array, x: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Merges sorted raw series; on equal timestamps the later argument wins (a re-sent or
 * replayed point replaces the stored one rather than duplicating it).
 */
export function mergeRaw(...parts: RawPoints[]): RawPoints {
  const nonEmpty = parts.filter((p) => p.ts.length > 0);
  if (nonEmpty.length === 0) return { ts: new Float64Array(0), values: new Float64Array(0) };
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  // Stored chunks come in order and do not overlap: concatenate them.
  if (inOrder(nonEmpty)) return { ts: concat(nonEmpty.map((p) => p.ts)), values: concat(nonEmpty.map((p) => p.values)) };
  const map = new Map<number, number>();
  for (const p of nonEmpty) for (let i = 0; i < p.ts.length; i++) map.set(p.ts[i] as number, p.values[i] as number);
  const keys = [...map.keys()].sort((a, b) => a - b);
  return { ts: Float64Array.from(keys), values: Float64Array.from(keys, (k) => map.get(k)!) };
}

/** Merges sorted rollups; on equal bucket times the later argument wins (a recomputed bucket replaces the old one). */
export function mergeAgg(...parts: AggPoints[]): AggPoints {
  const nonEmpty = parts.filter((p) => p.ts.length > 0);
  if (nonEmpty.length === 0) return emptyAgg();
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  if (inOrder(nonEmpty)) {
    return { ts: concat(nonEmpty.map((p) => p.ts)), avg: concat(nonEmpty.map((p) => p.avg)), min: concat(nonEmpty.map((p) => p.min)), max: concat(nonEmpty.map((p) => p.max)), count: concat(nonEmpty.map((p) => p.count)) };
  }
  const map = new Map<number, [number, number, number, number]>();
  for (const p of nonEmpty) for (let i = 0; i < p.ts.length; i++) map.set(p.ts[i] as number, [p.avg[i] as number, p.min[i] as number, p.max[i] as number, p.count[i] as number]);
  const keys = [...map.keys()].sort((a, b) => a - b);
  const out: AggPoints = { ts: Float64Array.from(keys), avg: new Float64Array(keys.length), min: new Float64Array(keys.length), max: new Float64Array(keys.length), count: new Float64Array(keys.length) };
  keys.forEach((k, i) => {
    const [a, mn, mx, c] = map.get(k)!;
    out.avg[i] = a;
    out.min[i] = mn;
    out.max[i] = mx;
    out.count[i] = c;
  });
  return out;
}

function inOrder(parts: readonly { ts: Float64Array }[]): boolean {
  for (let i = 1; i < parts.length; i++) {
    const prev = parts[i - 1]!.ts;
    if ((parts[i]!.ts[0] as number) <= (prev[prev.length - 1] as number)) return false;
  }
  return true;
}

function concat(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function emptyAgg(): AggPoints {
  return { ts: new Float64Array(0), avg: new Float64Array(0), min: new Float64Array(0), max: new Float64Array(0), count: new Float64Array(0) };
}

/** Raw points seen as one-point buckets (so one code path can aggregate either). */
export function rawAsAgg(points: RawPoints): AggPoints {
  return { ts: points.ts, avg: points.values, min: points.values, max: points.values, count: new Float64Array(points.ts.length).fill(1) };
}

const NICE_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * 1000);

/** The smallest "round" step ≥ ms (15 s, 1 min, 5 min, 1 h, ...) so chart buckets line up with clock times. */
export function niceStep(ms: number): number {
  for (const s of NICE_STEPS_MS) if (s >= ms) return s;
  return Math.ceil(ms / 86_400_000) * 86_400_000;
}
