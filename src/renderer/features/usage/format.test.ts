import { describe, expect, it } from 'vitest';
import { formatUsd, share } from './format';
import { daysAgo } from './store';

describe('usage formatting', () => {
  it('shows cents, and fractions of a cent for cheap calls', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.00042)).toBe('$0.0004');
    expect(formatUsd(12.5)).toBe('$12.50');
  });

  it('measures spend against a limit, capped at full', () => {
    expect(share(5, 10)).toBe(0.5);
    expect(share(15, 10)).toBe(1);
    expect(share(5, null)).toBeNull();
  });

  it('counts days back in UTC', () => {
    expect(daysAgo(30, new Date('2026-03-31T12:00:00Z'))).toBe('2026-03-01');
  });
});
