import type { Point } from './theil-sen';

/**
 * `timestamp,value` rows (NAB style, as `fleetmind anomaly detect` reads) → points. A first
 * line whose value is not a number is a header. Timestamps: ISO 8601, NAB's
 * `YYYY-MM-DD HH:MM:SS` (UTC unless a zone is written), or Unix time as a number (seconds
 * below 10^11, milliseconds above). Anything else is an error naming the line, never a
 * silently skipped row: a forecast from half a file would look like a forecast.
 */
export class CsvSeriesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvSeriesError';
  }
}

/** Rows beyond this are refused (a forecast needs hours of samples, not a database dump). */
export const MAX_CSV_ROWS = 2_000_000;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAB = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

export function parseTimestamp(text: string): number | null {
  const s = text.trim().replace(/^"(.*)"$/, '$1');
  if (NUMBER.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? (Math.abs(n) < 1e11 ? n * 1000 : n) : null;
  }
  const nab = NAB.exec(s);
  // A date and time without a zone is UTC (Date would read it as local time).
  const t = Date.parse(nab ? `${nab[1]}T${nab[2]}Z` : s);
  return Number.isFinite(t) && /^\d{4}-\d{2}-\d{2}/.test(s) ? t : null;
}

const show = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

export function parseSeriesCsv(text: string): Point[] {
  const points: Point[] = [];
  const lines = text.split(/\r?\n/);
  let seenRow = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',');
    if (cells.length !== 2) throw new CsvSeriesError(`line ${i + 1}: expected two columns, timestamp,value; got ${cells.length} in ${show(line)}`);
    const [ts, raw] = cells.map((c) => c.trim()) as [string, string];
    if (!NUMBER.test(raw)) {
      // The first row may be a header (timestamp,value); any later one is a bad value.
      if (!seenRow && parseTimestamp(ts) === null) {
        seenRow = true;
        continue;
      }
      throw new CsvSeriesError(`line ${i + 1}: the value ${show(raw)} is not a number`);
    }
    seenRow = true;
    const t = parseTimestamp(ts);
    if (t === null) throw new CsvSeriesError(`line ${i + 1}: the timestamp ${show(ts)} is not ISO 8601, "YYYY-MM-DD HH:MM:SS" or Unix time`);
    if (points.length >= MAX_CSV_ROWS) throw new CsvSeriesError(`more than ${MAX_CSV_ROWS} rows`);
    points.push({ t, v: Number(raw) });
  }
  return points;
}
