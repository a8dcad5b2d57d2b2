import { describe, expect, it } from 'vitest';
import { canonicalLabels, formatSeries, METRICS, parseSeriesSelector, SelectorSyntaxError } from './names';
import { formatValue, sparkline, summarize } from './sparkline';
import { parseDurationMs, parseTimeArg, TimeArgError } from './time-args';

describe('series names', () => {
  it('reads the Prometheus spelling the model and the CLI use', () => {
    expect(parseSeriesSelector('load1')).toEqual({ name: 'load1', labels: {} });
    expect(parseSeriesSelector('disk_used_ratio{mount="/"}')).toEqual({ name: 'disk_used_ratio', labels: { mount: '/' } });
    expect(parseSeriesSelector(' net_rx_bytes_per_second { iface = "eth0" , x="a\\"b" } ')).toEqual({ name: 'net_rx_bytes_per_second', labels: { iface: 'eth0', x: 'a"b' } });
    for (const bad of ['1abc', 'a{mount=/}', 'a{mount="/"', 'a b']) expect(() => parseSeriesSelector(bad), bad).toThrow(SelectorSyntaxError);
  });

  it('formats and canonicalises labels so one series has one spelling', () => {
    expect(formatSeries('disk_used_ratio', { mount: '/var "x"' })).toBe('disk_used_ratio{mount="/var \\"x\\""}');
    expect(parseSeriesSelector(formatSeries('m', { b: '2', a: '1' }))).toEqual({ name: 'm', labels: { a: '1', b: '2' } });
    expect(canonicalLabels({ b: '2', a: '1' })).toBe(canonicalLabels({ a: '1', b: '2' }));
  });

  it('names every DESIGN example metric', () => {
    for (const n of ['load1', 'load5', 'load15', 'cpu_busy_ratio', 'cpu_iowait_ratio', 'memory_used_bytes', 'memory_available_bytes', 'swap_used_bytes', 'disk_used_ratio', 'net_rx_bytes_per_second']) expect(METRICS[n], n).toBeDefined();
  });
});

describe('time arguments', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  it('reads durations, relative and absolute times', () => {
    expect(parseDurationMs('90')).toBe(90_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseTimeArg('-15m', now)).toBe(now - 900_000);
    expect(parseTimeArg('now', now)).toBe(now);
    expect(parseTimeArg('2025-01-01T11:00:00Z', now)).toBe(now - 3_600_000);
    expect(parseTimeArg('2025-01-01T13:00:00+02:00', now)).toBe(now - 3_600_000);
    expect(parseTimeArg(String(now - 5), now)).toBe(now - 5);
  });
  it('refuses what it cannot read, and a local time without a zone', () => {
    for (const bad of ['-15x', 'yesterday', '2025-01-01T11:00:00', '1h 30m']) expect(() => parseTimeArg(bad.startsWith('-') ? bad : bad, now), bad).toThrow(TimeArgError);
  });
});

describe('text renderings', () => {
  it('draws a sparkline over time, gaps as spaces', () => {
    const pts: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7]];
    expect(sparkline(pts, 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([[0, 1], [1, 1], [2, 1], [10, 5]], 11)).toBe('▁  █');
    expect(sparkline([[0, 2], [1, 2]], 10)).toBe('▄▄');
    expect(sparkline([], 10)).toBe('');
  });
  it('summarises and formats values by unit', () => {
    expect(summarize([[1, 2], [2, 4], [3, 0]])).toEqual({ count: 3, min: 0, max: 4, avg: 2, last: 0, lastAt: 3 });
    expect(formatValue(0.4213, 'ratio')).toBe('42.1%');
    expect(formatValue(1.5 * 1024 ** 3, 'bytes')).toBe('1.5 GiB');
    expect(formatValue(2048, 'bytes_per_second')).toBe('2.0 KiB/s');
    expect(formatValue(0.52, 'load')).toBe('0.52');
  });
});
