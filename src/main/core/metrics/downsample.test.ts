import { describe, expect, it } from 'vitest';
import { AggBuilder, downsampleAgg, downsampleRaw, mergeAgg, mergeRaw, niceStep, sliceRaw, windowStart } from './downsample';

const raw = (pairs: [number, number][]) => ({ ts: Float64Array.from(pairs.map((p) => p[0])), values: Float64Array.from(pairs.map((p) => p[1])) });

describe('downsampling', () => {
  it('buckets raw points by aligned step with avg, min, max and count', () => {
    const agg = downsampleRaw(raw([[0, 1], [15_000, 3], [30_000, 2], [45_000, 6], [60_000, 10], [119_000, 20]]), 60_000);
    expect(Array.from(agg.ts)).toEqual([0, 60_000]);
    expect(Array.from(agg.avg)).toEqual([3, 15]);
    expect(Array.from(agg.min)).toEqual([1, 10]);
    expect(Array.from(agg.max)).toEqual([6, 20]);
    expect(Array.from(agg.count)).toEqual([4, 2]);
  });

  it('weights finer buckets by their counts when rolling up again', () => {
    const minute = { ts: Float64Array.from([0, 60_000]), avg: Float64Array.from([2, 8]), min: Float64Array.from([1, 7]), max: Float64Array.from([3, 9]), count: Float64Array.from([3, 1]) };
    const hour = downsampleAgg(minute, 3_600_000);
    expect(Array.from(hour.avg)).toEqual([(2 * 3 + 8) / 4]);
    expect(Array.from(hour.min)).toEqual([1]);
    expect(Array.from(hour.max)).toEqual([9]);
    expect(Array.from(hour.count)).toEqual([4]);
  });

  it('merges sorted series, a later part replacing equal timestamps', () => {
    const merged = mergeRaw(raw([[1, 1], [3, 3]]), raw([[2, 2], [3, 30]]));
    expect(Array.from(merged.ts)).toEqual([1, 2, 3]);
    expect(Array.from(merged.values)).toEqual([1, 2, 30]);
    const b = new AggBuilder(10);
    b.add(5, 1);
    const a1 = b.build();
    const b2 = new AggBuilder(10);
    b2.add(5, 9);
    b2.add(15, 2);
    expect(Array.from(mergeAgg(a1, b2.build()).avg)).toEqual([9, 2]);
  });

  it('slices inclusively and aligns windows and steps', () => {
    expect(Array.from(sliceRaw(raw([[1, 1], [2, 2], [3, 3], [4, 4]]), 2, 3).values)).toEqual([2, 3]);
    expect(windowStart(3_599_999, 3_600_000)).toBe(0);
    expect(windowStart(3_600_000, 3_600_000)).toBe(3_600_000);
    expect(niceStep(7_200)).toBe(10_000);
    expect(niceStep(216_000)).toBe(300_000);
  });
});
