import { describe, expect, it } from 'vitest';
import { ThresholdRuleSchema } from './config';
import { ThresholdEvaluator } from './thresholds';

const rule = ThresholdRuleSchema.parse({ name: 'DiskAlmostFull', metric: 'disk_used_ratio', op: '>=', value: 0.9, clearAt: 0.85, forSeconds: 60 });

describe('threshold rules with for and hysteresis', () => {
  it('fires only after the condition held for forSeconds', () => {
    const e = new ThresholdEvaluator();
    expect(e.evaluate(rule, 'h', 0.95, 0)).toBeNull();
    expect(e.evaluate(rule, 'h', 0.95, 30_000)).toBeNull();
    expect(e.evaluate(rule, 'h', 0.95, 60_000)).toBe('fire');
    expect(e.evaluate(rule, 'h', 0.96, 75_000)).toBeNull();
  });

  it('a dip below the limit restarts the for window', () => {
    const e = new ThresholdEvaluator();
    e.evaluate(rule, 'h', 0.95, 0);
    e.evaluate(rule, 'h', 0.5, 30_000);
    expect(e.evaluate(rule, 'h', 0.95, 60_000)).toBeNull();
    expect(e.evaluate(rule, 'h', 0.95, 120_000)).toBe('fire');
  });

  it('does not flap in the hysteresis band and clears past clearAt', () => {
    const e = new ThresholdEvaluator();
    e.evaluate(rule, 'h', 0.95, 0);
    expect(e.evaluate(rule, 'h', 0.95, 60_000)).toBe('fire');
    // hovering between clearAt and value: still the same firing
    for (const [i, v] of [0.89, 0.91, 0.86, 0.9, 0.87].entries()) expect(e.evaluate(rule, 'h', v, 61_000 + i * 1000)).toBeNull();
    expect(e.evaluate(rule, 'h', 0.84, 70_000)).toBe('clear');
    expect(e.evaluate(rule, 'h', 0.84, 71_000)).toBeNull();
  });

  it('keeps series apart and handles < rules', () => {
    const low = ThresholdRuleSchema.parse({ name: 'LowMem', metric: 'memory_available_bytes', op: '<', value: 100, clearAt: 200, forSeconds: 0 });
    const e = new ThresholdEvaluator();
    expect(e.evaluate(low, 'a', 50, 0)).toBe('fire');
    expect(e.evaluate(low, 'b', 150, 0)).toBeNull();
    expect(e.evaluate(low, 'a', 150, 1)).toBeNull();
    expect(e.evaluate(low, 'a', 250, 2)).toBe('clear');
  });

  it('rejects a clearAt on the firing side', () => {
    expect(ThresholdRuleSchema.safeParse({ name: 'X', metric: 'load1', op: '>', value: 4, clearAt: 5 }).success).toBe(false);
  });
});
