/** Text renderings of a series for terminals and for the agent (no colour, no control characters). */

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * One line of block characters, `width` columns at most: points are averaged into equal
 * time slices; a slice without points is a space (a gap is shown as a gap).
 */
export function sparkline(points: readonly (readonly [number, number])[], width = 60, range?: { since: number; until: number }): string {
  if (points.length === 0 || width <= 0) return '';
  // Time before the series' first point is not drawn: a host added a minute ago gets a minute-wide line.
  const first = Math.max(range?.since ?? -Infinity, (points[0] as readonly [number, number])[0]);
  const last = range?.until ?? (points[points.length - 1] as readonly [number, number])[0];
  const cols = Math.max(1, Math.min(width, points.length));
  const span = Math.max(1, last - first);
  const sums = new Array<number>(cols).fill(0);
  const counts = new Array<number>(cols).fill(0);
  for (const [t, v] of points) {
    const i = Math.min(cols - 1, Math.max(0, Math.floor(((t - first) / span) * cols)));
    sums[i] = (sums[i] as number) + v;
    counts[i] = (counts[i] as number) + 1;
  }
  const avgs = sums.map((s, i) => ((counts[i] as number) > 0 ? s / (counts[i] as number) : null));
  const present = avgs.filter((a): a is number => a !== null);
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  return avgs
    .map((a) => {
      if (a === null) return ' ';
      if (hi === lo) return BARS[3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((a - lo) / (hi - lo)) * BARS.length))];
    })
    .join('');
}

export interface SeriesSummary {
  count: number;
  min: number;
  max: number;
  avg: number;
  last: number;
  lastAt: number;
}

export function summarize(points: readonly (readonly [number, number])[]): SeriesSummary | null {
  if (points.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const [, v] of points) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const [lastAt, last] = points[points.length - 1] as readonly [number, number];
  return { count: points.length, min, max, avg: sum / points.length, last, lastAt };
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A value with its unit, for people: 42.1%, 1.5 GiB, 3.2 MiB/s, 0.52. */
export function formatValue(value: number, unit: string): string {
  const bytes = (v: number) => {
    let u = 0;
    let x = Math.abs(v);
    while (x >= 1024 && u < BYTE_UNITS.length - 1) {
      x /= 1024;
      u++;
    }
    return `${v < 0 ? '-' : ''}${x >= 100 || u === 0 ? x.toFixed(0) : x.toFixed(1)} ${BYTE_UNITS[u]}`;
  };
  const plain = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
    case 'bytes':
      return bytes(value);
    case 'bytes_per_second':
      return `${bytes(value)}/s`;
    case 'per_second':
      return `${plain(value)}/s`;
    case 'seconds':
      return `${plain(value)} s`;
    default:
      return plain(value);
  }
}
