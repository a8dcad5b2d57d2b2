import { describe, expect, it } from 'vitest';
import { InterpretationLimiter } from './rate-limit';

describe('interpretation limiter (token bucket inside an hourly budget)', () => {
  it('allows a burst, then the steady rate', () => {
    const l = new InterpretationLimiter({ perMinute: 6, burst: 3, perHour: 100 });
    expect([0, 0, 0, 0].map(() => l.admit(0).ok)).toEqual([true, true, true, false]);
    expect(l.admit(5_000).ok).toBe(false);
    expect(l.admit(10_000).ok).toBe(true); // one token per 10 s
  });

  it('stops at the hourly budget and recovers after an hour', () => {
    const l = new InterpretationLimiter({ perMinute: 600, burst: 100, perHour: 5 });
    for (let i = 0; i < 5; i++) expect(l.admit(i * 1000).ok).toBe(true);
    const refused = l.admit(10_000);
    expect(refused).toMatchObject({ ok: false, reason: 'budget' });
    expect(l.admit(3_600_000 + 1000).ok).toBe(true);
  });
});
