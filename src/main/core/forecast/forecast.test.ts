import { describe, expect, it } from 'vitest';
import { findResets, forecastCrossing } from './forecast';
import { parseSeriesCsv, parseTimestamp, CsvSeriesError } from './csv';
import { theilSen, type Point } from './theil-sen';

const T0 = Date.UTC(2026, 11, 1);
const MIN = 60_000;
const HOUR = 3_600_000;

/** A deterministic pseudo-random source (LCG) in [-1, 1). */
function noise(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return (a / 2147483648) * 2 - 1;
  };
}

function series(n: number, stepMs: number, f: (i: number, t: number) => number): Point[] {
  return Array.from({ length: n }, (_, i) => ({ t: T0 + i * stepMs, v: f(i, T0 + i * stepMs) }));
}

describe('Theil–Sen', () => {
  it('finds the slope of a line exactly, and is not moved by a quarter of wild points', () => {
    const line = series(40, MIN, (i) => 3 + 0.5 * i);
    expect(theilSen(line)!.slope * MIN).toBeCloseTo(0.5, 12);
    const wild = line.map((p, i) => (i % 4 === 1 ? { ...p, v: 1000 } : p));
    expect(theilSen(wild)!.slope * MIN).toBeCloseTo(0.5, 6);
  });

  it('brackets the true slope with its interval on noisy data', () => {
    const r = noise(7);
    const pts = series(120, MIN, (i) => 0.01 * i + 0.3 * r());
    const fit = theilSen(pts)!;
    expect(fit.lower).toBeLessThan(fit.slope);
    expect(fit.upper).toBeGreaterThan(fit.slope);
    expect(fit.lower * MIN).toBeLessThan(0.01);
    expect(fit.upper * MIN).toBeGreaterThan(0.01);
  });
});

describe('forecastCrossing', () => {
  it('a linear fill: the crossing time exactly, a point interval', () => {
    // 50 % full, +1 % per hour, sampled every 5 min for 6 h → 100 % at 56 h... from T0+50h.
    const pts = series(73, 5 * MIN, (i) => 0.5 + (0.01 * i) / 12);
    const f = forecastCrossing(pts, 1);
    expect(f.reason).toBe('crosses');
    expect(f.method).toBe('trend');
    expect(f.crossesAt).toBeCloseTo(T0 + 50 * HOUR, -3);
    expect(f.low).toBeCloseTo(T0 + 50 * HOUR, -3);
    expect(f.high).toBeCloseTo(T0 + 50 * HOUR, -3);
    expect(f.ratePerHour).toBeCloseTo(0.01, 10);
  });

  it('a noisy fill: the true crossing inside the interval, the interval ordered and not absurdly wide', () => {
    const r = noise(11);
    const pts = series(288, 5 * MIN, (i) => 0.4 + (0.02 * i) / 12 + 0.01 * r());
    // True: 0.4 + 0.02·h = 1 → h = 30.
    const f = forecastCrossing(pts, 1);
    expect(f.reason).toBe('crosses');
    const truth = T0 + 30 * HOUR;
    expect(f.low!).toBeLessThanOrEqual(truth);
    expect(f.high!).toBeGreaterThanOrEqual(truth);
    expect(f.low!).toBeLessThanOrEqual(f.crossesAt!);
    expect(f.crossesAt!).toBeLessThanOrEqual(f.high!);
    expect(f.high! - f.low!).toBeLessThan(2 * HOUR);
    expect(Math.abs(f.crossesAt! - truth)).toBeLessThan(HOUR);
  });

  it('the 80 % interval covers the true crossing about 80 % of the time, also with serially correlated noise', () => {
    let a = 12345;
    const uniform = () => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    };
    const gauss = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    for (const phi of [0, 0.5, 0.9]) {
      let covered = 0;
      const runs = 200;
      for (let k = 0; k < runs; k++) {
        const slope = 0.01 + uniform() * 0.03; // per hour
        const sigma = 0.002 + uniform() * 0.01;
        let e = 0;
        const pts = series(144, 5 * MIN, (i) => {
          e = phi * e + Math.sqrt(1 - phi * phi) * sigma * gauss(); // AR(1) noise, lag-1 correlation phi
          return 0.3 + (slope * i) / 12 + e;
        });
        const truth = T0 + (0.7 / slope) * HOUR;
        const f = forecastCrossing(pts, 1, { direction: 'up' });
        if (f.crossesAt !== null && f.low! <= truth && (f.high === null || f.high >= truth)) covered++;
      }
      expect(covered / runs, `lag-1 correlation ${phi}`).toBeGreaterThanOrEqual(0.68);
      expect(covered / runs, `lag-1 correlation ${phi}`).toBeLessThanOrEqual(0.92);
    }
  });

  it('flat and noisy: no forecast', () => {
    const r = noise(3);
    const f = forecastCrossing(series(200, MIN, () => 0.6 + 0.02 * r()), 1);
    expect(f.crossesAt).toBeNull();
    expect(['no_trend', 'away_from_limit', 'plateau']).toContain(f.reason);
  });

  it('decreasing towards an upper limit: away from it', () => {
    const f = forecastCrossing(series(50, MIN, (i) => 0.9 - 0.001 * i), 1);
    expect(f).toMatchObject({ crossesAt: null, reason: 'away_from_limit' });
  });

  it('already over the limit: since the first point of the last run over it', () => {
    const pts = series(20, MIN, (i) => (i < 15 ? 0.8 + 0.01 * i : 1));
    const f = forecastCrossing(pts, 1, { direction: 'up' });
    expect(f).toMatchObject({ reason: 'already_reached', crossesAt: T0 + 15 * MIN, low: T0 + 15 * MIN, high: T0 + 15 * MIN });
  });

  it('too few points, or all at one instant', () => {
    expect(forecastCrossing(series(3, MIN, (i) => i), 10).reason).toBe('too_few_points');
    expect(forecastCrossing([1, 2, 3, 4, 5, 6].map((v) => ({ t: T0, v })), 10).reason).toBe('too_few_points');
    expect(forecastCrossing([], 10).crossesAt).toBeNull();
  });

  it('irregular timestamps: the trend is per unit of time, not per sample', () => {
    const r = noise(5);
    let t = T0;
    const pts: Point[] = [];
    for (let i = 0; i < 100; i++) {
      t += (1 + Math.abs(r()) * 9) * MIN; // 1 to 10 minutes apart
      pts.push({ t, v: 10 + (t - T0) / HOUR }); // +1 per hour
    }
    const f = forecastCrossing(pts, 100);
    expect(f.crossesAt).toBeCloseTo(T0 + 90 * HOUR, -3);
  });

  it('downwards: available memory falling to 0 (direction inferred from the start)', () => {
    const gib = 2 ** 30;
    const pts = series(120, MIN, (i) => 4 * gib - (i * gib) / 60); // −1 GiB per hour from 4 GiB
    const f = forecastCrossing(pts, 0);
    expect(f.reason).toBe('crosses');
    expect(f.crossesAt).toBeCloseTo(T0 + 4 * HOUR, -3);
    expect(f.ratePerHour).toBeCloseTo(-gib, 0);
  });

  it('a growth that stopped is a plateau, not a fill', () => {
    const pts = series(180, MIN, (i) => (i < 120 ? 0.3 + 0.004 * i : 0.78));
    expect(forecastCrossing(pts, 1).reason).toBe('plateau');
  });

  it('one cleanup drop resets the trend instead of flattening it', () => {
    // +2 %/h for 10 h, cleanup from 0.9 to 0.5, then +2 %/h for 5 h → at 0.6; 1.0 in 20 h more.
    const pts = series(181, 5 * MIN, (i) => (i <= 120 ? 0.7 + (0.02 * i) / 12 : 0.5 + (0.02 * (i - 120)) / 12));
    const f = forecastCrossing(pts, 1);
    expect(f).toMatchObject({ reason: 'crosses', method: 'since_reset', resets: 1 });
    expect(f.crossesAt).toBeCloseTo(T0 + 35 * HOUR, -3);
    // Whole-window least squares would have seen a much smaller slope; Theil–Sen over the whole a different one too.
    expect(f.ratePerHour).toBeCloseTo(0.02, 6);
  });

  it('sawtooth with a flat floor (daily log rotation): no fill forecast from one tooth', () => {
    // Each day: from 40 % to 70 % (+1.25 %/h), rotated back to 40 %. Over 4 days.
    const pts = series(4 * 24 * 4, 15 * MIN, (i) => 0.4 + (0.3 * ((i % 96) / 96)));
    expect(findResets(pts, 6, 0.1)).toHaveLength(3);
    const f = forecastCrossing(pts, 1);
    expect(f.crossesAt).toBeNull();
    expect(f.method).toBe('peaks');
    expect(f.resets).toBe(3);
  });

  it('sawtooth with a rising floor: the long-term growth of the peaks is forecast', () => {
    // As above, but every day starts 5 % higher: peaks ~70, 75, 80, 85 % → 100 % about three days after the last.
    const pts = series(4 * 96, 15 * MIN, (i) => 0.4 + 0.05 * Math.floor(i / 96) + 0.3 * ((i % 96) / 96));
    const f = forecastCrossing(pts, 1);
    expect(f).toMatchObject({ reason: 'crosses', method: 'peaks', resets: 3 });
    const lastPeakAt = T0 + (4 * 96 - 1) * 15 * MIN;
    const lastPeak = 0.4 + 0.15 + (0.3 * 95) / 96;
    expect(f.crossesAt).toBeCloseTo(lastPeakAt + ((1 - lastPeak) / 0.05) * 24 * HOUR, -4);
    expect(f.ratePerHour).toBeCloseTo(0.05 / 24, 6);
  });

  it('sawtooth whose current tooth reaches the limit before the next rotation: the tooth wins', () => {
    // Daily rotation; today's tooth grows 10× faster and reaches 100 % in ~3 h.
    const day = series(3 * 96, 15 * MIN, (i) => 0.4 + 0.3 * ((i % 96) / 96));
    const today = series(12, 15 * MIN, (i) => 0.4 + 0.025 * i).map((p) => ({ t: p.t + 3 * 96 * 15 * MIN, v: p.v }));
    const f = forecastCrossing([...day, ...today], 1);
    expect(f).toMatchObject({ reason: 'crosses', method: 'since_reset' });
    expect(f.crossesAt).toBeLessThan(T0 + 3 * 24 * HOUR + 24 * HOUR);
  });

  it('a drop spread over two samples (bucket averages) is one reset', () => {
    const pts = series(4 * 96, 15 * MIN, (i) => {
      const v = 0.4 + 0.3 * ((i % 96) / 96);
      return i % 96 === 0 && i > 0 ? 0.55 : v; // half-way down on the first sample after each rotation
    });
    expect(findResets(pts, 6, 0.1)).toHaveLength(3);
    expect(forecastCrossing(pts, 1).crossesAt).toBeNull();
  });

  it('a single low sample is not a reset', () => {
    const pts = series(60, MIN, (i) => (i === 30 ? 0.1 : 0.5 + 0.001 * i));
    expect(findResets(pts, 6, 0.1)).toEqual([]);
    expect(forecastCrossing(pts, 1)).toMatchObject({ reason: 'crosses', method: 'trend' });
  });
});

describe('CSV series', () => {
  it('reads a header, NAB timestamps as UTC, ISO, Unix seconds and milliseconds', () => {
    expect(parseSeriesCsv('timestamp,value\n2026-12-01 00:00:00,1\n2026-12-01T00:01:00Z,2\n1796083320,3\n1796083380000,4\n')).toEqual([
      { t: T0, v: 1 },
      { t: T0 + MIN, v: 2 },
      { t: 1796083320000, v: 3 },
      { t: 1796083380000, v: 4 },
    ]);
    expect(parseTimestamp('yesterday')).toBeNull();
  });

  it('names the line of a bad row instead of skipping it', () => {
    expect(() => parseSeriesCsv('timestamp,value\n2026-12-01 00:00:00,1\n2026-12-01 00:01:00,abc\n')).toThrow(/line 3: the value "abc"/);
    expect(() => parseSeriesCsv('2026-12-01 00:00:00,1\nnot a time,2\n')).toThrow(/line 2: the timestamp/);
    expect(() => parseSeriesCsv('2026-12-01 00:00:00,1,7\n')).toThrow(CsvSeriesError);
  });
});
