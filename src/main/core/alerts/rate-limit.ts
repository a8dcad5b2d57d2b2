/**
 * How many alert interpretations may start: a token bucket (a steady rate with bursts)
 * inside an hourly budget. During an alert storm the rest are deferred rather than queued
 * without end, so a flood of webhooks cannot turn into a flood of tool runs and model calls.
 * Pure: the caller passes the clock.
 */
export interface InterpretationLimits {
  perMinute: number;
  burst: number;
  perHour: number;
}

export type Admission = { ok: true } | { ok: false; reason: 'rate' | 'budget'; message: string };

export class InterpretationLimiter {
  private tokens: number;
  private refilledAt: number | null = null;
  /** Start times within the last hour (at most perHour of them). */
  private readonly started: number[] = [];

  constructor(private readonly limits: InterpretationLimits) {
    this.tokens = limits.burst;
  }

  /** Takes a token when both the bucket and the hourly budget allow one. */
  admit(now: number): Admission {
    if (this.refilledAt !== null) this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) / 60_000) * this.limits.perMinute);
    this.refilledAt = now;
    while (this.started.length > 0 && now - this.started[0]! >= 3_600_000) this.started.shift();
    if (this.started.length >= this.limits.perHour) {
      return { ok: false, reason: 'budget', message: `the hourly budget of ${this.limits.perHour} interpretations is spent` };
    }
    if (this.tokens < 1) {
      return { ok: false, reason: 'rate', message: `more than ${this.limits.perMinute} interpretations a minute (bursts of ${this.limits.burst})` };
    }
    this.tokens -= 1;
    this.started.push(now);
    return { ok: true };
  }

  /** Interpretations started in the hour before `now`. */
  usedThisHour(now: number): number {
    return this.started.filter((t) => now - t < 3_600_000).length;
  }
}
