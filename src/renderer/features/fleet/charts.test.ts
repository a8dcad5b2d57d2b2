import { describe, expect, it } from 'vitest';
import { alignPoints, anomalyLabelsOf, anomalyMarks, chartSpecs, formatAgo, hasAnomalyScores, hostHealth, pointsFromAligned } from './charts';

const s = (metric: string, labels: Record<string, string> = {}) => ({ metric, labels, unit: '', source: 'collector', firstAt: 1, lastAt: 2 });

describe('chartSpecs', () => {
  it('groups the host series into the five charts, disks per mount and interfaces rx/tx, leaving out what the host lacks', () => {
    const specs = chartSpecs([
      s('load1'),
      s('load15'),
      s('cpu_busy_ratio'),
      s('disk_used_ratio', { mount: '/var' }),
      s('disk_used_ratio', { mount: '/' }),
      s('net_tx_bytes_per_second', { iface: 'eth0' }),
      s('net_rx_bytes_per_second', { iface: 'eth0' }),
      s('swap_used_bytes'),
    ]);
    expect(specs.map((c) => c.id)).toEqual(['cpu', 'load', 'disk', 'network']);
    expect(specs.find((c) => c.id === 'load')!.lines.map((l) => l.metric)).toEqual(['load1', 'load15']);
    expect(specs.find((c) => c.id === 'disk')!.lines).toEqual([
      { metric: 'disk_used_ratio', labels: { mount: '/' }, label: '/' },
      { metric: 'disk_used_ratio', labels: { mount: '/var' }, label: '/var' },
    ]);
    expect(specs.find((c) => c.id === 'network')!.lines.map((l) => l.label)).toEqual(['eth0 rx', 'eth0 tx']);
  });
});

describe('alignPoints / pointsFromAligned', () => {
  it('puts lines on one time axis in seconds with gaps as null, and gives the same points back', () => {
    const a: [number, number][] = [
      [1_700_000_000_123, 0.5],
      [1_700_000_015_123, 0.25],
    ];
    const b: [number, number][] = [[1_700_000_015_123, 3]];
    const data = alignPoints([a, b]);
    expect(data).toEqual([[1_700_000_000.123, 1_700_000_015.123], [0.5, 0.25], [null, 3]]);
    expect(pointsFromAligned(data)).toEqual([a, b]);
  });
});

describe('hostHealth', () => {
  const base = { host: 'h', intervalMs: 1, timeoutMs: 1, lastAttemptAt: null, lastSuccessAt: null, lastDurationMs: null, consecutiveFailures: 0, runs: 0, failures: 0, missedRuns: 0, lagMs: null, inFlight: false, inFlightSince: null, nextRunAt: null, reboots: 0, bootAt: null };
  it('marks hosts that cannot be reached apart from collector failures', () => {
    expect(hostHealth(undefined)).toBe('not_collected');
    expect(hostHealth({ ...base, state: 'ok', lastError: null })).toBe('ok');
    expect(hostHealth({ ...base, state: 'failing', lastError: { code: 'unreachable', message: 'refused' } })).toBe('unreachable');
    expect(hostHealth({ ...base, state: 'failing', lastError: { code: 'host_key_unknown', message: 'x' } })).toBe('unreachable');
    expect(hostHealth({ ...base, state: 'failing', lastError: { code: 'internal', message: 'parse' } })).toBe('failing');
  });
  it('says how long ago', () => {
    expect(formatAgo(null, 0)).toBe('never');
    expect(formatAgo(new Date(0).toISOString(), 12_000)).toBe('12 s ago');
    expect(formatAgo(new Date(0).toISOString(), 3 * 60_000)).toBe('3 min ago');
  });
});

describe('anomaly marks', () => {
  it('finds a line\'s stored scores by exact labels and never charts the score series themselves', () => {
    const line = { metric: 'disk_used_ratio', labels: { mount: '/' }, label: '/' };
    expect(anomalyLabelsOf(line)).toEqual({ mount: '/', metric_name: 'disk_used_ratio' });
    expect(hasAnomalyScores([s('anomaly_score', { mount: '/', metric_name: 'disk_used_ratio' })], line)).toBe(true);
    expect(hasAnomalyScores([s('anomaly_score', { mount: '/var', metric_name: 'disk_used_ratio' })], line)).toBe(false);
    expect(hasAnomalyScores([s('anomaly_score', { metric_name: 'disk_used_ratio' })], line)).toBe(false);
    expect(chartSpecs([s('anomaly_score', { metric_name: 'load1' })])).toEqual([]);
  });

  it('marks the scores at or above the threshold, with the line\'s value at that time', () => {
    const points: [number, number][] = [[1000, 0.5], [2000, 9], [3000, 9]];
    expect(anomalyMarks(points, [[2000, 1], [3000, 0.05], [4000, 0.2]], 0.1)).toEqual([
      { at: 2000, score: 1, value: 9 },
      { at: 4000, score: 0.2, value: null },
    ]);
    expect(anomalyMarks(points, [], 0.1)).toEqual([]);
  });
});
