/**
 * A small bounded memo of what the policy derives from a command's text alone: its parse
 * (the walked items), its glob sites, and its findings under one set of rule layers.
 *
 * Why: one fan-out judges the same text for every host (its path words, its glob sites,
 * then the verdict), and hosts that share their rule layers (no host profile, the same
 * tags with rules) share the findings too; parsing and walking it each time cost the same
 * for 50 hosts as for one, fifty times. Per-host facts stay per host: the gate still adds
 * each host's resolved paths, glob matches and remembered rules, and the policy its host
 * and tag raises, so the final verdict is still each host's own.
 *
 * Safe to share because every entry is a pure function of its key for one policy instance
 * (the grammar and the compiled rules never change; a changed policy is a new instance
 * with a new memo). Values are frozen, so a caller that tried to change a shared entry
 * would fail (and the policy's error handling would ask) rather than alter a later verdict.
 * Bounded by entries and by total key length, oldest dropped first.
 */
export class TextMemo<V> {
  private readonly entries = new Map<string, V>();
  private chars = 0;

  constructor(
    private readonly maxEntries = 128,
    private readonly maxChars = 512 * 1024,
    /** Texts longer than this are not kept (hostile or generated input is parsed each time). */
    private readonly maxKeyChars = 16 * 1024,
  ) {}

  get(key: string, compute: () => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Most recently used last, so eviction drops the oldest.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = deepFreeze(compute());
    if (key.length > this.maxKeyChars) return value;
    this.entries.set(key, value);
    this.chars += key.length;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Freezes plain data (objects and arrays) all the way down. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child);
  return value;
}
