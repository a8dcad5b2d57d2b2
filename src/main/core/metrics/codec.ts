/**
 * The byte format of one stored chunk: the points of one series in one time window.
 *
 * Timestamps are delta-of-delta encoded (a steady interval costs one zero, and runs of
 * zeros collapse into two bytes), values are quantised to a power of ten chosen per chunk
 * and delta encoded as zigzag varints with the same zero-run compression. A chunk is
 * therefore a few bytes per point for noisy rates and close to nothing for a gauge that
 * does not move (failed units, memory total), which is what keeps 50 hosts × 30 days
 * well under a gigabyte (bench: metrics).
 *
 * Quantisation: the chunk's values are stored as integers q with v = q·10^-d. d is the
 * smallest exponent at which every value of the chunk round-trips exactly (load averages,
 * counts, short decimals), but never finer than SIG significant digits of the chunk's
 * largest magnitude: noisy ratios, rates and large byte counts keep six digits (an error
 * of at most 5·10^-6 of the chunk's largest value), which charts and diagnoses never see.
 *
 * Rollup chunks (kind AGG) hold avg, min and max per bucket (min and max as non-negative
 * offsets below/above avg, which are small) and the number of raw points per bucket.
 */

const VERSION = 1;
export const CHUNK_RAW = 0;
export const CHUNK_AGG = 1;

/** Significant digits kept relative to a chunk's largest value when values are not exact decimals. */
export const DEFAULT_SIGNIFICANT_DIGITS = 6;

export interface RawPoints {
  ts: Float64Array;
  values: Float64Array;
}

export interface AggPoints {
  ts: Float64Array;
  avg: Float64Array;
  min: Float64Array;
  max: Float64Array;
  count: Float64Array;
}

export class ChunkFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChunkFormatError';
  }
}

// ---------------------------------------------------------------------------------
// Byte primitives (numbers up to 2^53; arithmetic instead of 32-bit bitwise operators)

class Writer {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varint(n: number): void {
    if (!(n >= 0) || !Number.isSafeInteger(n)) throw new ChunkFormatError(`cannot encode ${n} as a varint`);
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) + 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }

  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new ChunkFormatError('chunk ends early');
    return this.buf[this.pos++] as number;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new ChunkFormatError('varint longer than 8 bytes');
  }

  zigzag(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}

/** Writes non-negative integers, collapsing each run of zeros into `0, runLength-1`. */
function writeRuns(w: Writer, values: ArrayLike<number>, signed: boolean): void {
  let i = 0;
  while (i < values.length) {
    const v = values[i] as number;
    if (v === 0) {
      let run = 1;
      while (i + run < values.length && values[i + run] === 0) run++;
      w.varint(0);
      w.varint(run - 1);
      i += run;
    } else {
      if (signed) w.zigzag(v);
      else w.varint(v);
      i++;
    }
  }
}

function readRuns(r: Reader, count: number, signed: boolean): Float64Array {
  const out = new Float64Array(count);
  let i = 0;
  while (i < count) {
    const z = r.varint();
    if (z === 0) {
      const run = r.varint() + 1;
      if (i + run > count) throw new ChunkFormatError('zero run past the end of the chunk');
      i += run; // already zero
    } else {
      out[i++] = signed ? (z % 2 === 0 ? z / 2 : -(z + 1) / 2) : z;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Quantisation

const POW10 = Array.from({ length: 25 }, (_, i) => 10 ** (i - 12));
const pow10 = (d: number): number => POW10[d + 12] as number;

function quantise(v: number, d: number): number {
  return d >= 0 ? Math.round(v * pow10(d)) : Math.round(v / pow10(-d));
}

/** The value a quantised integer stands for (division by a power of ten gives the shortest decimal). */
function dequantise(q: number, d: number): number {
  return d >= 0 ? q / pow10(d) : q * pow10(-d);
}

/**
 * The exponent d for a chunk: the smallest in [-12, cap] at which all values round-trip
 * exactly, else cap, where cap keeps `significant` digits of the largest magnitude.
 */
export function chooseDecimals(values: Iterable<number>, significant = DEFAULT_SIGNIFICANT_DIGITS): number {
  let maxAbs = 0;
  const list: number[] = [];
  for (const v of values) {
    list.push(v);
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
  }
  if (maxAbs === 0) return 0;
  const cap = Math.max(-12, Math.min(12, significant - 1 - Math.floor(Math.log10(maxAbs))));
  for (let d = -12; d < cap; d++) {
    let exact = true;
    for (const v of list) {
      if (dequantise(quantise(v, d), d) !== v) {
        exact = false;
        break;
      }
    }
    if (exact) return d;
  }
  return cap;
}

// ---------------------------------------------------------------------------------
// Timestamps

function writeTimestamps(w: Writer, ts: ArrayLike<number>): void {
  const n = ts.length;
  if (n === 0) return;
  w.varint(ts[0] as number);
  if (n === 1) return;
  const first = (ts[1] as number) - (ts[0] as number);
  w.varint(first);
  const dods = new Array<number>(n - 2);
  let prevDelta = first;
  for (let i = 2; i < n; i++) {
    const delta = (ts[i] as number) - (ts[i - 1] as number);
    dods[i - 2] = delta - prevDelta;
    prevDelta = delta;
  }
  writeRuns(w, dods, true);
}

function readTimestamps(r: Reader, n: number): Float64Array {
  const ts = new Float64Array(n);
  if (n === 0) return ts;
  ts[0] = r.varint();
  if (n === 1) return ts;
  let delta = r.varint();
  ts[1] = (ts[0] as number) + delta;
  const dods = readRuns(r, n - 2, true);
  for (let i = 2; i < n; i++) {
    delta += dods[i - 2] as number;
    ts[i] = (ts[i - 1] as number) + delta;
  }
  return ts;
}

function checkTimestamps(ts: ArrayLike<number>): void {
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as number;
    if (!Number.isSafeInteger(t) || t < 0) throw new ChunkFormatError(`timestamp ${t} is not a non-negative integer of milliseconds`);
    if (i > 0 && t <= (ts[i - 1] as number)) throw new ChunkFormatError('timestamps must be strictly increasing');
  }
}

function checkValues(values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) throw new ChunkFormatError(`value ${values[i]} is not finite`);
  }
}

// ---------------------------------------------------------------------------------
// Chunks

function deltas(q: ArrayLike<number>): number[] {
  const out = new Array<number>(q.length);
  let prev = 0;
  for (let i = 0; i < q.length; i++) {
    out[i] = (q[i] as number) - prev;
    prev = q[i] as number;
  }
  return out;
}

function undelta(d: Float64Array): Float64Array {
  let acc = 0;
  for (let i = 0; i < d.length; i++) {
    acc += d[i] as number;
    d[i] = acc;
  }
  return d;
}

/** Encodes strictly increasing integer-ms timestamps with finite values. */
export function encodeRaw(ts: ArrayLike<number>, values: ArrayLike<number>, significant = DEFAULT_SIGNIFICANT_DIGITS): Buffer {
  if (ts.length !== values.length) throw new ChunkFormatError('timestamps and values differ in length');
  checkTimestamps(ts);
  checkValues(values);
  const w = new Writer();
  w.byte(VERSION);
  w.byte(CHUNK_RAW);
  w.varint(ts.length);
  writeTimestamps(w, ts);
  const d = chooseDecimals(Array.from(values), significant);
  w.zigzag(d);
  const q = Array.from(values, (v) => quantise(v, d));
  writeRuns(w, deltas(q), true);
  return w.bytes();
}

/** Encodes rollup buckets: avg/min/max (min ≤ avg ≤ max) and the raw point count of each. */
export function encodeAgg(points: { ts: ArrayLike<number>; avg: ArrayLike<number>; min: ArrayLike<number>; max: ArrayLike<number>; count: ArrayLike<number> }, significant = DEFAULT_SIGNIFICANT_DIGITS): Buffer {
  const n = points.ts.length;
  if (points.avg.length !== n || points.min.length !== n || points.max.length !== n || points.count.length !== n) throw new ChunkFormatError('rollup columns differ in length');
  checkTimestamps(points.ts);
  checkValues(points.avg);
  checkValues(points.min);
  checkValues(points.max);
  const w = new Writer();
  w.byte(VERSION);
  w.byte(CHUNK_AGG);
  w.varint(n);
  writeTimestamps(w, points.ts);
  const all: number[] = [];
  for (let i = 0; i < n; i++) all.push(points.avg[i] as number, points.min[i] as number, points.max[i] as number);
  const d = chooseDecimals(all, significant);
  w.zigzag(d);
  const qa = Array.from(points.avg, (v) => quantise(v, d));
  // Rounding is monotonic, so the quantised min and max stay on their side of the quantised avg.
  const below = Array.from(points.min, (v, i) => Math.max(0, (qa[i] as number) - quantise(v, d)));
  const above = Array.from(points.max, (v, i) => Math.max(0, quantise(v, d) - (qa[i] as number)));
  writeRuns(w, deltas(qa), true);
  writeRuns(w, below, false);
  writeRuns(w, above, false);
  const counts = Array.from(points.count, (c) => {
    if (!Number.isSafeInteger(c) || c < 0) throw new ChunkFormatError(`bucket count ${c} is not a non-negative integer`);
    return c;
  });
  writeRuns(w, deltas(counts), true);
  return w.bytes();
}

function header(r: Reader, kind: number): number {
  const version = r.byte();
  if (version !== VERSION) throw new ChunkFormatError(`unknown chunk version ${version}`);
  const k = r.byte();
  if (k !== kind) throw new ChunkFormatError(`chunk kind ${k}, expected ${kind}`);
  const n = r.varint();
  if (n > 10_000_000) throw new ChunkFormatError(`implausible point count ${n}`);
  return n;
}

export function decodeRaw(buf: Uint8Array): RawPoints {
  const r = new Reader(buf);
  const n = header(r, CHUNK_RAW);
  const ts = readTimestamps(r, n);
  const d = r.zigzag();
  const q = undelta(readRuns(r, n, true));
  for (let i = 0; i < n; i++) q[i] = dequantise(q[i] as number, d);
  return { ts, values: q };
}

export function decodeAgg(buf: Uint8Array): AggPoints {
  const r = new Reader(buf);
  const n = header(r, CHUNK_AGG);
  const ts = readTimestamps(r, n);
  const d = r.zigzag();
  const qa = undelta(readRuns(r, n, true));
  const below = readRuns(r, n, false);
  const above = readRuns(r, n, false);
  const count = undelta(readRuns(r, n, true));
  const avg = new Float64Array(n);
  const min = new Float64Array(n);
  const max = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = qa[i] as number;
    avg[i] = dequantise(a, d);
    min[i] = dequantise(a - (below[i] as number), d);
    max[i] = dequantise(a + (above[i] as number), d);
  }
  return { ts, avg, min, max, count };
}

/** The kind byte of a stored chunk (raw or rollup). */
export function chunkKind(buf: Uint8Array): number {
  if (buf.length < 2) throw new ChunkFormatError('chunk too short');
  return buf[1] as number;
}
