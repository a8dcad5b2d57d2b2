import { setFlagsFromString } from 'node:v8';
import type { SilenceView } from '../../../shared/protocol';

/** Longest regular expression a silence may hold (they are operator input, still bounded). */
const MAX_PATTERN_CHARS = 512;

/**
 * Silence regexes run against label values that whoever holds an alerts:write token chooses
 * (up to 1024 characters, 1000 alerts a payload). With a backtracking engine an ordinary
 * operator pattern such as `.*prod.*db.*x` takes seconds on a crafted value (measured: 160 ms
 * for `.*a.*b.*c` on 1 KiB, and `(.*-)+web` never finishes), so one webhook would stall the
 * server. Alertmanager matches with RE2, in linear time; V8's linear-time engine (the `l`
 * flag, same limits as RE2: no backreferences or lookarounds) gives us the same guarantee.
 * Enabling it only makes the `l` flag available; no other regular expression changes.
 */
let linearEngine: boolean | null = null;
function linearAvailable(): boolean {
  if (linearEngine === null) {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine');
      new RegExp('a', 'l');
      linearEngine = true;
    } catch {
      linearEngine = false;
    }
  }
  return linearEngine;
}

/**
 * Without the linear engine, only patterns with at most one unbounded quantifier (`*`, `+`,
 * `{n,}`) are taken: their matching time grows at most with the square of the value's length.
 */
function unboundedQuantifiers(pattern: string): number {
  let count = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '*' || c === '+') count++;
    else if (c === '{' && /^\{\d+,\}/.test(pattern.slice(i))) count++;
  }
  return count;
}

/** Compiled matchers, per pattern (a webhook tests every alert against every active silence). */
const compiled = new Map<string, RegExp | null>();

/** Whether a silence matcher's regular expression compiles; anchored at both ends, as Alertmanager's; runs in linear time. */
export function compileMatcher(value: string): RegExp | null {
  const cached = compiled.get(value);
  if (cached !== undefined) return cached;
  let re: RegExp | null = null;
  if (value.length <= MAX_PATTERN_CHARS) {
    try {
      if (linearAvailable()) re = new RegExp(`^(?:${value})$`, 'l');
      else if (unboundedQuantifiers(value) <= 1) re = new RegExp(`^(?:${value})$`, 'u');
    } catch {
      re = null;
    }
  }
  if (compiled.size >= 1000) compiled.delete(compiled.keys().next().value as string);
  compiled.set(value, re);
  return re;
}

/** Whether every matcher of the silence matches the labels (a missing label matches only ""). */
export function silenceMatches(silence: Pick<SilenceView, 'matchers'>, labels: Readonly<Record<string, string>>): boolean {
  return silence.matchers.every((m) => {
    // Own labels only: a matcher named `constructor` or `__proto__` must not read Object.prototype.
    const actual = Object.hasOwn(labels, m.name) ? labels[m.name]! : '';
    if (!m.isRegex) return actual === m.value;
    return compileMatcher(m.value)?.test(actual) ?? false;
  });
}

/** Active at `now`: started, not past its end and not expired by hand. */
export function silenceActive(silence: SilenceView, now: number): boolean {
  return silence.expiredAt === null && Date.parse(silence.startsAt) <= now && now < Date.parse(silence.endsAt);
}
