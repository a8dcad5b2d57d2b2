import { describe, expect, it } from 'vitest';
import { ChunkFormatError, chooseDecimals, decodeAgg, decodeRaw, encodeAgg, encodeRaw } from './codec';

const steady = (n: number, start = 1_700_000_000_000, step = 15_000) => Array.from({ length: n }, (_, i) => start + i * step);

describe('chunk codec', () => {
  it('round-trips exact decimals, integers and byte counts exactly', () => {
    const ts = steady(6);
    for (const values of [
      [0.52, 0.58, 0.59, 1.25, 0, 12.75],
      [16_318_400_000_000, 16_318_000_000_000, 0, 16_000_000_000_000, 1_000_000_000, 2e12],
      [512_000, 1_024_000, 0, 3_000_000, 999_990, 70],
      [1, 0, 512, 3, 77, 1024],
      [0, 0, 0, 0, 0, 0],
      [-3.5, 2.25, -0.125, 7, 8, 9],
    ]) {
      const back = decodeRaw(encodeRaw(ts, values));
      expect(Array.from(back.ts)).toEqual(ts);
      expect(Array.from(back.values)).toEqual(values);
    }
  });

  it('keeps six significant digits of a chunk whose values are not short decimals', () => {
    const ts = steady(3);
    const values = [16_318_412 * 1024, 1, 2 ** 40];
    const back = decodeRaw(encodeRaw(ts, values));
    // 1.09951e12 keeps its six digits: a step of 1e7, so each value is within 5e6 of what was stored.
    values.forEach((v, i) => expect(Math.abs((back.values[i] as number) - v)).toBeLessThanOrEqual(5e6));
  });

  it('keeps six significant digits of noisy values relative to the chunk maximum', () => {
    const ts = steady(200);
    const values = ts.map((_, i) => Math.abs(Math.sin(i * 0.7)) * 0.9 + ((i * 7919) % 1000) * 1e-6);
    const back = decodeRaw(encodeRaw(ts, values));
    const maxAbs = Math.max(...values);
    values.forEach((v, i) => expect(Math.abs((back.values[i] as number) - v)).toBeLessThanOrEqual(maxAbs * 5e-6));
  });

  it('packs a steady 15 s series of a constant gauge into a few bytes, and a noisy one into a few bytes per point', () => {
    const ts = steady(240);
    const constant = encodeRaw(ts, ts.map(() => 4));
    expect(constant.length).toBeLessThan(24);
    const noisy = encodeRaw(ts, ts.map((_, i) => 0.3 + 0.2 * Math.sin(i / 10) + ((i * 7919) % 100) * 1e-4));
    expect(noisy.length / 240).toBeLessThan(4);
  });

  it('encodes irregular timestamps (jitter, gaps)', () => {
    const ts = [1000, 16_000, 31_000, 47_000, 62_000, 600_000, 615_000];
    const back = decodeRaw(encodeRaw(ts, ts.map((t) => t / 1000)));
    expect(Array.from(back.ts)).toEqual(ts);
  });

  it('round-trips rollup buckets with min ≤ avg ≤ max and counts', () => {
    const ts = steady(5, 1_700_000_040_000, 60_000);
    const points = { ts, avg: [1, 2.5, 3, 0.25, 9], min: [0.5, 2, 3, 0, 1], max: [2, 4, 3, 1, 10], count: [4, 4, 3, 4, 1] };
    const back = decodeAgg(encodeAgg(points));
    expect(Array.from(back.ts)).toEqual(ts);
    expect(Array.from(back.avg)).toEqual(points.avg);
    expect(Array.from(back.min)).toEqual(points.min);
    expect(Array.from(back.max)).toEqual(points.max);
    expect(Array.from(back.count)).toEqual(points.count);
  });

  it('refuses what it cannot encode and what is not a chunk', () => {
    expect(() => encodeRaw([2, 1], [0, 0])).toThrow(ChunkFormatError);
    expect(() => encodeRaw([1, 1], [0, 0])).toThrow(ChunkFormatError);
    expect(() => encodeRaw([1], [Number.NaN])).toThrow(ChunkFormatError);
    expect(() => decodeRaw(Buffer.from([9, 0, 1]))).toThrow(ChunkFormatError);
    expect(() => decodeAgg(encodeRaw([1], [1]))).toThrow(ChunkFormatError);
    expect(() => decodeRaw(encodeRaw([1, 2, 3], [1, 2, 3]).subarray(0, 4))).toThrow(ChunkFormatError);
  });

  it('chooses the smallest exact exponent, else keeps the significant digits', () => {
    expect(chooseDecimals([1, 2, 3])).toBe(0);
    expect(chooseDecimals([0.52, 1.5])).toBe(2);
    expect(chooseDecimals([4096000, 8192000])).toBe(-3);
    expect(chooseDecimals([0])).toBe(0);
    expect(chooseDecimals([Math.PI])).toBe(5);
    expect(chooseDecimals([Math.PI * 1e9])).toBe(-4);
  });
});
