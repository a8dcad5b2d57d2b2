/**
 * Counters to rates. Kernel counters only grow, until they wrap (32-bit counters on
 * 32-bit kernels and some drivers, 64-bit ones in principle) or restart from zero (a
 * reboot, an interface or device that was re-created).
 */

const U32 = 1n << 32n;
const U64 = 1n << 64n;

export type CounterChange =
  | { kind: 'increase'; delta: bigint }
  /** The counter passed its maximum and started again from zero. */
  | { kind: 'wrap'; bits: 32 | 64; delta: bigint }
  /** It went back without wrapping: restarted from zero (or went backwards); no delta is known. */
  | { kind: 'reset' };

/**
 * How a counter moved between two readings. A decrease is a wrap only when the implied
 * increase is less than half the counter's range: a counter that was small and got
 * smaller restarted (a re-created interface), it did not travel four billion units.
 */
export function counterChange(prev: bigint, cur: bigint): CounterChange {
  if (cur >= prev) return { kind: 'increase', delta: cur - prev };
  if (prev < U32 && cur < U32) {
    const delta = U32 - prev + cur;
    if (delta <= U32 / 2n) return { kind: 'wrap', bits: 32, delta };
  }
  if (prev < U64 && cur < U64) {
    const delta = U64 - prev + cur;
    if (delta <= U64 / 2n) return { kind: 'wrap', bits: 64, delta };
  }
  return { kind: 'reset' };
}

/** The increase of a counter, or null when it reset. */
export function counterDelta(prev: bigint, cur: bigint): bigint | null {
  const c = counterChange(prev, cur);
  return c.kind === 'reset' ? null : c.delta;
}

export interface BootMark {
  /** btime from /proc/stat (seconds since the epoch), if known. */
  btime: number | null;
  /** /proc/uptime, seconds. */
  uptimeSeconds: number | null;
}

/**
 * Whether the host rebooted between two samples: boot time moved (more than the second or
 * two the kernel's own rounding and clock adjustments account for), or uptime went back.
 */
export function rebootedBetween(prev: BootMark, cur: BootMark): boolean {
  if (prev.btime !== null && cur.btime !== null && Math.abs(cur.btime - prev.btime) > 2) return true;
  if (prev.uptimeSeconds !== null && cur.uptimeSeconds !== null && cur.uptimeSeconds < prev.uptimeSeconds) return true;
  return false;
}

/**
 * Per-second rate of a counter between two samples `seconds` apart; after a reboot the
 * counter counted from zero since boot, so its value over the uptime is the rate.
 * Null when the counter reset for another reason (or no time passed).
 */
export function counterRate(prev: bigint | null | undefined, cur: bigint, seconds: number, sinceBoot: { rebooted: boolean; uptimeSeconds: number | null }): number | null {
  if (sinceBoot.rebooted) {
    const up = sinceBoot.uptimeSeconds;
    return up !== null && up > 0 ? Number(cur) / up : null;
  }
  if (prev === null || prev === undefined || !(seconds > 0)) return null;
  const delta = counterDelta(prev, cur);
  return delta === null ? null : Number(delta) / seconds;
}
