import type { ThresholdRule } from './config';

/** What one evaluation of a rule on a series decided. */
export type ThresholdTransition = 'fire' | 'clear' | null;

function holds(value: number, op: ThresholdRule['op'], limit: number): boolean {
  switch (op) {
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
  }
}

interface SeriesState {
  /** When the condition started holding (null: it does not hold now). */
  breachSince: number | null;
  firing: boolean;
}

/**
 * Threshold rules with `for` and hysteresis, per (rule, host, series). Pure: the caller
 * feeds the newest value with its time and acts on the transition it returns.
 *
 * Fires once the condition held for `forSeconds` (a single sample past the limit is not
 * enough unless `forSeconds` is 0); clears only once the value is back past `clearAt`, so a
 * series hovering around the limit raises one alert, not one per sample.
 */
export class ThresholdEvaluator {
  private readonly states = new Map<string, SeriesState>();

  evaluate(rule: ThresholdRule, key: string, value: number, at: number): ThresholdTransition {
    const id = `${rule.name}\u0000${key}`;
    let state = this.states.get(id);
    if (!state) {
      state = { breachSince: null, firing: false };
      this.states.set(id, state);
    }
    if (!Number.isFinite(value)) return null;
    if (state.firing) {
      // Still past the clear level: stays firing (this is the hysteresis band).
      if (holds(value, rule.op, rule.clearAt ?? rule.value)) return null;
      state.firing = false;
      state.breachSince = null;
      return 'clear';
    }
    if (!holds(value, rule.op, rule.value)) {
      state.breachSince = null;
      return null;
    }
    state.breachSince ??= at;
    if (at - state.breachSince >= rule.forSeconds * 1000) {
      state.firing = true;
      return 'fire';
    }
    return null;
  }

  /** Marks a series as firing without waiting (an alert already open from before a restart). */
  restore(rule: ThresholdRule, key: string): void {
    this.states.set(`${rule.name}\u0000${key}`, { breachSince: null, firing: true });
  }

  isFiring(rule: ThresholdRule, key: string): boolean {
    return this.states.get(`${rule.name}\u0000${key}`)?.firing ?? false;
  }
}
