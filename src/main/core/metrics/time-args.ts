/**
 * Times and durations as the API, the CLI and the agent tool take them:
 * `since=-15m`, `since=2025-01-31T12:00:00Z`, `until=now`, `step=60` or `step=5m`.
 */
export class TimeArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeArgError';
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90`, `90s`, `15m`, `1h30m`, `2d` → milliseconds (a bare number is seconds). */
export function parseDurationMs(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== t.length) throw new TimeArgError(`"${text}" is not a duration (write 30s, 15m, 2h, 7d)`);
  return Math.round(total);
}

/** `now`, `-15m` (before now), an ISO 8601 time, or unix milliseconds → unix ms. */
export function parseTimeArg(text: string, now: number): number {
  const t = text.trim();
  if (t === '' || t === 'now') return now;
  if (t.startsWith('-')) return now - parseDurationMs(t.slice(1));
  if (/^\d{12,}$/.test(t)) return Number(t);
  // A date-time without a zone would be read in the server's zone: require one.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t)) throw new TimeArgError(`"${text}" has no time zone; add Z or an offset such as +02:00`);
  const ms = Date.parse(t);
  if (!Number.isFinite(ms)) throw new TimeArgError(`"${text}" is not a time (write -15m, now, or an ISO time such as 2025-01-31T12:00:00Z)`);
  return ms;
}
