import { describe, expect, it } from 'vitest';
import { counterChange, counterRate, rebootedBetween } from './rates';

const U32 = 2n ** 32n;
const U64 = 2n ** 64n;

describe('counter rates', () => {
  it('counts an increase as is', () => {
    expect(counterChange(100n, 250n)).toEqual({ kind: 'increase', delta: 150n });
  });

  it('counts a 32-bit wrap exactly', () => {
    expect(counterChange(U32 - 1000n, 500n)).toEqual({ kind: 'wrap', bits: 32, delta: 1500n });
  });

  it('counts a 64-bit wrap exactly (bigint: no precision lost near 2^64)', () => {
    expect(counterChange(U64 - 10_000n, 5000n)).toEqual({ kind: 'wrap', bits: 64, delta: 15_000n });
    expect(counterChange(U64 - 1n, 0n)).toEqual({ kind: 'wrap', bits: 64, delta: 1n });
  });

  it('treats a small counter that got smaller as a reset, not a wrap of four billion', () => {
    expect(counterChange(1_000_000n, 10n)).toEqual({ kind: 'reset' });
    expect(counterChange(U32 + 5n, 3n)).toEqual({ kind: 'reset' });
  });

  it('gives per-second rates, the since-boot average after a reboot, nothing after a reset', () => {
    const same = { rebooted: false, uptimeSeconds: 1015 };
    expect(counterRate(1000n, 2500n, 15, same)).toBe(100);
    expect(counterRate(U32 - 1000n, 500n, 15, same)).toBe(100);
    expect(counterRate(1_000_000n, 10n, 15, same)).toBeNull();
    expect(counterRate(null, 10n, 15, same)).toBeNull();
    expect(counterRate(9_999_999n, 600n, 15, { rebooted: true, uptimeSeconds: 30 })).toBe(20);
  });

  it('notices a reboot by boot time or by uptime going back', () => {
    expect(rebootedBetween({ btime: 1000, uptimeSeconds: 500 }, { btime: 1001, uptimeSeconds: 515 })).toBe(false);
    expect(rebootedBetween({ btime: 1000, uptimeSeconds: 500 }, { btime: 9000, uptimeSeconds: 20 })).toBe(true);
    expect(rebootedBetween({ btime: null, uptimeSeconds: 500 }, { btime: null, uptimeSeconds: 20 })).toBe(true);
  });
});
