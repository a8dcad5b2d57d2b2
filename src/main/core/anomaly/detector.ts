/**
 * Streaming, causal anomaly detector for one numeric series (pure: no I/O, no clock).
 *
 * Idea (implemented from the published descriptions, not from code):
 *  - Context novelty, as in CAD OSE / ARTime: the recent shape of the series is quantised
 *    against a slowly growing value range and hashed at several time scales; a shape never
 *    seen before is evidence of an anomaly. Memory is bounded: two generations of hash sets,
 *    the older dropped when the newer fills (an approximate LRU).
 *  - Robust residuals (as windowed-Gaussian / EWMA control charts, but scale-free): the
 *    value against a fast running level (spikes), the mean of the last 8 points against a
 *    slow level (level shifts, drifts), and the log ratio of fast to slow step size
 *    (variance changes, flat lines), each in units of its own running mean deviation.
 *  - Seasonal residual: the mean of the last few points against the same points one period
 *    back, for the candidate period (daily at common sampling rates) whose seasonal difference
 *    is currently smallest; used only when that period explains the series clearly better than
 *    a slow level does (so that non-seasonal series do not gain a noisy extra component).
 *  - Range breaks (a value beyond the range seen so far, in units of that range, at most 1) are
 *    their own component. Folded into the shape novelty (as before), the large range breaks of
 *    a series' first hundreds of points, while its range is still small, set a novelty record
 *    near 1 that hid novel shapes for thousands of points (NAB dev set: 59.3 → 61.7 alone).
 *  - Self-calibration per series, in the spirit of HTM's anomaly likelihood but
 *    distribution-free: each component is compared with its own record (the largest value
 *    seen, decaying with a half-life); the score is how far the evidence breaks the record,
 *    1 - record / evidence. Normal behaviour, however noisy, rarely breaks its own records;
 *    new behaviour does, and the first time matters most. Scores are comparable across
 *    series, so one threshold serves all.
 *  - One report per event: after a score ≥ `reportLevel` the output is held below it for
 *    `holdoff` points, since a detector that repeats itself only adds false positives.
 *
 * One configuration for every series; no per-series tuning. `update` costs O(1) time and the
 * detector holds O(1) memory: at most 2 × `maxPatterns` pattern hashes plus fixed rings (4 KiB
 * of past values for the seasonal difference); the bench measures about 40 KiB per series.
 */

export interface AnomalyDetectorOptions {
  /** Points only learned from before any score is given. */
  warmup: number;
  /** Quantisation levels across the observed range. */
  levels: number;
  /** Hash-set capacity per generation (memory bound). */
  maxPatterns: number;
  /** Points the output is held low after a report. */
  holdoff: number;
  /** Output level that counts as a report (starts the hold-off). */
  reportLevel: number;
  /** Score that breaks through a hold-off when it also exceeds the score that started it. */
  breakLevel: number;
  /** Half-life (points) of each component's record. */
  recordHalfLife: number;
  /** Smoothing of the fast running level. */
  levelAlpha: number;
  /** Smoothing of the slow statistics. */
  slowAlpha: number;
  /** Candidate season lengths in points (lag + seasonalWindow < 512: the ring of past values). */
  seasonalLags: readonly number[];
  /** Points averaged on each side of the seasonal difference. */
  seasonalWindow: number;
  /** The seasonal component is used only while its mean deviation is below this fraction of the slow level's. */
  seasonalRatio: number;
  /** Evidence below which a component never scores (spike, shift, variance, novelty, seasonal, range break). */
  floors: readonly number[];
  /** Points before the records start (running statistics still settling). */
  settle: number;
}

export const DEFAULT_ANOMALY_OPTIONS: Readonly<AnomalyDetectorOptions> = Object.freeze({
  warmup: 150,
  levels: 20,
  maxPatterns: 4096,
  holdoff: 120,
  reportLevel: 0.1,
  breakLevel: 0.5,
  recordHalfLife: 3000,
  levelAlpha: 0.1,
  slowAlpha: 0.005,
  settle: 100,
  // 5-minute samples: 2 h, 4 h, 8 h, 12 h, a day; hourly samples: a day, two days
  seasonalLags: [24, 48, 96, 144, 288],
  seasonalWindow: 4,
  seasonalRatio: 0.3,
  floors: [0, 0, 0, 0, 0, 0],
});

const RING = 64; // power of two ≥ longest context used
const NCOMP = 6; // spike, shift, variance, novelty, seasonal, range break
const SEASON_RING = 512; // power of two > longest season lag + window

/** The score at and above which the product reports an anomaly (the detector's `reportLevel`). */
export const ANOMALY_ALERT_THRESHOLD = DEFAULT_ANOMALY_OPTIONS.reportLevel;

export class AnomalyDetector {
  readonly options: AnomalyDetectorOptions;
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private readonly ring = new Float64Array(RING);
  private readonly qring = new Int32Array(RING);
  private seenNew = new Set<number>();
  private seenOld = new Set<number>();
  private level = 0;
  private dev = 0;
  private slow = 0;
  private dev2 = 0;
  private prev = 0;
  private fastStep = 0;
  private slowStep = 0;
  private readonly novRing = new Float64Array(8);
  private novSum = 0;
  private readonly comps = new Float64Array(NCOMP);
  private readonly records = new Float64Array(NCOMP);
  private readonly seasonRing = new Float64Array(SEASON_RING);
  private readonly seasonDev: Float64Array;
  private readonly decay: number;
  private hold = 0;
  private held = 0;

  constructor(options: Partial<AnomalyDetectorOptions> = {}) {
    this.options = { ...DEFAULT_ANOMALY_OPTIONS, ...options };
    this.decay = Math.pow(0.5, 1 / this.options.recordHalfLife);
    const o = this.options;
    if (o.floors.length !== NCOMP) throw new Error(`floors: ${NCOMP} values expected`);
    for (const lag of o.seasonalLags) if (!(Number.isInteger(lag) && lag >= 1 && lag + o.seasonalWindow < SEASON_RING)) throw new Error(`seasonal lag out of range: ${lag}`);
    this.seasonDev = new Float64Array(o.seasonalLags.length);
  }

  /** Points seen so far. */
  get count(): number {
    return this.n;
  }

  /**
   * |mean of the last `seasonalWindow` points − the same points one season back| over its own
   * running mean, for the season whose running mean is smallest; 0 while no season explains the
   * series clearly better than the slow level (dev2, read before this point updates it).
   */
  private seasonalEvidence(i: number, value: number): number {
    const o = this.options;
    const ring = this.seasonRing;
    const m = SEASON_RING - 1;
    ring[i & m] = value;
    const w = o.seasonalWindow;
    let best = Infinity;
    let evidence = 0;
    for (let l = 0; l < o.seasonalLags.length; l++) {
      const lag = o.seasonalLags[l]!;
      if (i < lag + w) continue;
      let diff = 0;
      for (let k = 0; k < w; k++) diff += ring[(i - k) & m]! - ring[(i - k - lag) & m]!;
      const d = Math.abs(diff / w);
      const dev = this.seasonDev[l]!;
      if (dev > 0 && dev < best) {
        best = dev;
        evidence = d / dev;
      }
      this.seasonDev[l] = dev === 0 ? d + 1e-12 : dev + o.slowAlpha * (d - dev);
    }
    return best < o.seasonalRatio * this.dev2 ? evidence : 0;
  }

  /** Feeds the next value; returns its anomaly score in [0, 1]. Non-finite values score 0 and are skipped. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0;
    const o = this.options;
    const i = this.n++;
    this.ring[i & (RING - 1)] = value;

    // value range (grows with a margin so that it seldom re-quantises)
    let expanded = 0;
    if (value < this.lo || value > this.hi) {
      if (i === 0) {
        this.lo = value;
        this.hi = value;
      } else {
        const span = Math.max(this.hi - this.lo, Math.abs(value) * 1e-3, 1e-9);
        if (value < this.lo) {
          expanded = Math.min(1, (this.lo - value) / span);
          this.lo = value - 0.1 * span;
        } else {
          expanded = Math.min(1, (value - this.hi) / span);
          this.hi = value + 0.1 * span;
        }
      }
    }
    const span = this.hi - this.lo;
    const q = span > 0 ? Math.min(o.levels - 1, Math.floor(((value - this.lo) / span) * o.levels)) : 0;
    this.qring[i & (RING - 1)] = q;

    // context novelty at several scales
    let novel = 0;
    let total = 0;
    if (i >= 8) {
      const m = RING - 1;
      const q0 = q;
      const q1 = this.qring[(i - 1) & m]!;
      const q2 = this.qring[(i - 2) & m]!;
      const q3 = this.qring[(i - 3) & m]!;
      // fine: the last four levels
      const h1 = ((((q3 * 64 + q2) * 64 + q1) * 64 + q0) * 8 + 1) | 0;
      // coarse: block means of 4 points at 4 blocks (16 points)
      let coarse = 0;
      let c = 0;
      for (let b = 0; b < 4 && i - 4 * b - 3 >= 0; b++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += this.qring[(i - 4 * b - k) & m]!;
        coarse = coarse * 64 + Math.round(s / 4);
        c++;
      }
      const h2 = ((coarse * 8 + 2 + c * 16) | 0) ^ 0x5bd1e995;
      // pair: current level and level two steps back
      const h3 = (((q2 * 64 + q0) * 8 + 3) | 0) ^ 0x27d4eb2d;
      for (const h of [h1, h2, h3]) {
        total++;
        if (!this.seenNew.has(h)) {
          if (!this.seenOld.has(h)) novel++;
          this.seenNew.add(h);
          if (this.seenNew.size >= o.maxPatterns) {
            this.seenOld = this.seenNew;
            this.seenNew = new Set<number>();
          }
        }
      }
    }
    const novelty = total > 0 ? novel / total : 0;

    // evidence components (all ≥ 0, unbounded; scale-free ratios)
    const comps = this.comps;
    if (i === 0) {
      this.level = value;
      this.slow = value;
      this.prev = value;
    }
    const d1 = Math.abs(value - this.level);
    comps[0] = this.dev > 0 ? d1 / this.dev : 0; // spike vs running level
    let recent = 0;
    const w = Math.min(i + 1, 8);
    for (let k = 0; k < w; k++) recent += this.ring[(i - k) & (RING - 1)]!;
    recent /= w;
    const d2 = Math.abs(recent - this.slow);
    comps[1] = this.dev2 > 0 ? d2 / this.dev2 : 0; // level shift / drift
    const step = Math.abs(value - this.prev);
    this.fastStep += 0.1 * (step - this.fastStep);
    comps[2] = this.slowStep > 0 && this.fastStep > 0 ? Math.abs(Math.log(this.fastStep / this.slowStep)) : 0; // variance change
    this.novSum += novelty - this.novRing[i & 7]!;
    this.novRing[i & 7] = novelty;
    comps[3] = this.novSum / 8; // novel shapes
    comps[4] = this.seasonalEvidence(i, value); // departure from the season
    comps[5] = expanded; // new range
    // update running statistics after computing the evidence (causal)
    this.level += o.levelAlpha * (value - this.level);
    this.dev += (this.dev === 0 ? 1 : o.slowAlpha) * (d1 - this.dev);
    this.slow += o.slowAlpha * (recent - this.slow);
    this.dev2 += (this.dev2 === 0 ? 1 : o.slowAlpha) * (d2 - this.dev2);
    this.slowStep += (this.slowStep === 0 ? 1 : o.slowAlpha) * (step - this.slowStep);
    this.prev = value;

    // calibration: how far each component exceeds its own (slowly decaying) record
    let score = 0;
    const decay = this.decay;
    for (let k = 0; k < NCOMP; k++) {
      const c = comps[k]!;
      const m = this.records[k]!;
      if (i >= o.warmup && c > m && c > o.floors[k]!) {
        score = Math.max(score, m > 0 ? 1 - m / c : 1);
      }
      if (i >= o.settle) this.records[k] = Math.max(m * decay, c);
    }

    if (this.hold > 0) {
      this.hold--;
      // a much stronger event breaks through the hold-off
      if (score < o.breakLevel || score <= this.held) return Math.min(score, o.reportLevel) * 0.5;
    }
    if (score >= o.reportLevel) {
      this.hold = o.holdoff;
      this.held = score;
    }
    return score;
  }
}
