import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../store';
import { MetricStore } from './metric-store';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 6, 0, 0, 0); // a Monday, aligned to every window

function fakeClock(start: number) {
  let now = start;
  return { now: () => now, set: (t: number) => (now = t) };
}

function chunkRows(db: SqliteDatabase, tier: number): { start_at: number; points: number }[] {
  return db.prepare('SELECT start_at, points FROM metric_chunks WHERE tier = ? ORDER BY start_at').all(tier) as { start_at: number; points: number }[];
}

function fill(store: MetricStore, clock: ReturnType<typeof fakeClock>, from: number, to: number, stepMs: number, value: (t: number) => number, host = 'web-1'): void {
  for (let t = from; t < to; t += stepMs) {
    clock.set(t);
    store.append({ host, source: 'collector', at: t, values: [{ name: 'load1', labels: {}, value: value(t) }] });
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('metric store', () => {
  it('keeps one row per series and window, never a row per point', () => {
    const db = openDatabase(':memory:');
    const clock = fakeClock(T0);
    const store = new MetricStore(db, { now: clock.now });
    fill(store, clock, T0, T0 + 3 * HOUR, 15_000, (t) => ((t - T0) / 15_000) % 7);
    // Two closed hours are sealed (240 points each); the third is still open in memory.
    expect(chunkRows(db, 0)).toEqual([
      { start_at: T0, points: 240 },
      { start_at: T0 + HOUR, points: 240 },
    ]);
    expect(store.stats().headPoints).toBe(240);
    const q = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 3 * HOUR });
    expect(q.ok && q.result.points.length).toBe(720);
    expect(q.ok && q.result.points[1]).toEqual([T0 + 15_000, 1]);
    expect(q.ok && q.result).toMatchObject({ resolution: 'raw', stepMs: null, unit: 'load', source: 'collector', labels: {} });
  });

  it('journals the open window and replays it after a crash; the read-only view sees it too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-metrics-'));
    dirs.push(dir);
    const file = join(dir, 'm.db');
    const clock = fakeClock(T0);
    const db = openDatabase(file);
    const store = new MetricStore(db, { now: clock.now });
    fill(store, clock, T0, T0 + 10 * 60_000, 15_000, () => 2);
    store.flushJournal();
    fill(store, clock, T0 + 10 * 60_000, T0 + 11 * 60_000, 15_000, () => 3); // never journaled: lost in the "crash"
    const reader = new MetricStore(openDatabase(file), { now: clock.now, readOnly: true });
    const seen = reader.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + HOUR });
    expect(seen.ok && seen.result.points.length).toBe(40);
    expect(() => reader.append({ host: 'web-1', source: 'x', at: T0, values: [] })).toThrow(/read-only/);
    db.close(); // no close(): a crash
    const reopened = new MetricStore(openDatabase(file), { now: clock.now });
    const q = reopened.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + HOUR });
    expect(q.ok && q.result.points.length).toBe(40);
    expect(q.ok && q.result.points.every(([, v]) => v === 2)).toBe(true);
  });

  it('seals idle windows, computes rollups once windows close, trims the journal', () => {
    const db = openDatabase(':memory:');
    const clock = fakeClock(T0);
    const store = new MetricStore(db, { now: clock.now });
    // 7 hours of a value equal to the minute number within the hour, every 15 s.
    fill(store, clock, T0, T0 + 7 * HOUR, 15_000, (t) => Math.floor((t % HOUR) / 60_000));
    store.flushJournal();
    clock.set(T0 + 7 * HOUR + 10 * 60_000); // the host went quiet; the grace has passed
    while (!store.maintain(1)) {
      /* bounded: one series */
    }
    expect(chunkRows(db, 0)).toHaveLength(7);
    expect(store.stats().headPoints).toBe(0);
    expect((db.prepare('SELECT COUNT(*) AS n FROM metric_journal').get() as { n: number }).n).toBe(0);
    // The first 6-hour window is rolled up to 360 one-minute buckets of 4 points each.
    const minute = chunkRows(db, 1);
    expect(minute).toEqual([{ start_at: T0, points: 360 }]);
    const q = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 7 * HOUR, stepMs: 60_000 });
    expect(q.ok && q.result.resolution).toBe('1m');
    expect(q.ok && q.result.points.length).toBe(420); // 360 stored + 60 computed from raw for the 7th hour
    expect(q.ok && q.result.points[59]).toEqual([T0 + 59 * 60_000, 59]);
    expect(q.ok && q.result.points[419]).toEqual([T0 + 419 * 60_000, 59]);
    const max = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 7 * HOUR, stepMs: HOUR, agg: 'max' });
    expect(max.ok && max.result.points.map(([, v]) => v)).toEqual([59, 59, 59, 59, 59, 59, 59]);
    const avg = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 7 * HOUR, stepMs: HOUR });
    expect(avg.ok && avg.result.points[0]).toEqual([T0, 29.5]);
  });

  it('rolls 1-minute data up to hours, applies retention per tier and picks the tier that still has the data', () => {
    const db = openDatabase(':memory:');
    const clock = fakeClock(T0);
    const store = new MetricStore(db, { now: clock.now, retention: { rawMs: 12 * HOUR, minuteMs: 8 * 24 * HOUR, hourMs: 365 * 24 * HOUR } });
    // Ten days at one point per 5 minutes (fast to write; the tiers do not care about the rate).
    fill(store, clock, T0, T0 + 10 * 24 * HOUR, 300_000, () => 1);
    clock.set(T0 + 10 * 24 * HOUR + 10 * 60_000);
    while (!store.maintain(50)) {
      /* bounded */
    }
    // Raw older than 12 h is gone (whole hourly chunks), minutes older than 8 days too; one 7-day window of hours exists.
    const raw = chunkRows(db, 0);
    expect(raw[0]!.start_at).toBeGreaterThanOrEqual(T0 + 10 * 24 * HOUR - 13 * HOUR);
    expect(chunkRows(db, 1)[0]!.start_at).toBeGreaterThanOrEqual(T0 + 2 * 24 * HOUR - 6 * HOUR);
    const hours = chunkRows(db, 2);
    expect(hours.length).toBeGreaterThanOrEqual(1);
    for (const h of hours) expect(h.start_at % (7 * 24 * HOUR)).toBe(0);
    const week = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 10 * 24 * HOUR });
    expect(week.ok && week.result.resolution).toBe('1h');
    expect(week.ok && week.result.points.length).toBe(240);
    expect(week.ok && week.result.points.every(([, v]) => v === 1)).toBe(true);
    const day = store.query({ host: 'web-1', metric: 'load1', since: T0 + 9 * 24 * HOUR, until: T0 + 10 * 24 * HOUR });
    expect(day.ok && day.result.resolution).toBe('1m');
    const recent = store.query({ host: 'web-1', metric: 'load1', since: T0 + 10 * 24 * HOUR - HOUR, until: T0 + 10 * 24 * HOUR });
    expect(recent.ok && recent.result).toMatchObject({ resolution: 'raw', stepMs: null });
  });

  it('buckets past maxPoints and accepts a late point by recomputing the rollup it falls in', () => {
    const db = openDatabase(':memory:');
    const clock = fakeClock(T0);
    const store = new MetricStore(db, { now: clock.now });
    fill(store, clock, T0, T0 + 8 * HOUR, 15_000, () => 4);
    clock.set(T0 + 8 * HOUR + 10 * 60_000);
    while (!store.maintain()) {
      /* bounded */
    }
    const capped = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 8 * HOUR, maxPoints: 100 });
    expect(capped.ok && capped.result.stepMs).toBe(300_000);
    expect(capped.ok && capped.result.points.length).toBe(96);
    // A late point inside the first (already rolled up) window.
    store.append({ host: 'web-1', source: 'collector', at: T0 + 7_000, values: [{ name: 'load1', labels: {}, value: 8 }] });
    clock.set(T0 + 9 * HOUR);
    store.append({ host: 'web-1', source: 'collector', at: T0 + 9 * HOUR, values: [{ name: 'load1', labels: {}, value: 4 }] });
    while (!store.maintain()) {
      /* bounded */
    }
    const minute = store.query({ host: 'web-1', metric: 'load1', since: T0, until: T0 + 59_999, stepMs: 60_000 });
    expect(minute.ok && minute.result.points).toEqual([[T0, (4 * 4 + 8) / 5]]);
  });

  it('finds series by labels, says which exist, and refuses an ambiguous name', () => {
    const db = openDatabase(':memory:');
    const store = new MetricStore(db, { now: () => T0 });
    store.append({
      host: 'db-1',
      source: 'collector',
      at: T0,
      values: [
        { name: 'disk_used_ratio', labels: { mount: '/' }, value: 0.5 },
        { name: 'disk_used_ratio', labels: { mount: '/var' }, value: 0.25 },
        { name: 'load1', labels: {}, value: 1 },
      ],
    });
    const one = store.query({ host: 'db-1', metric: 'disk_used_ratio', labels: { mount: '/var' }, since: T0 - 1, until: T0 });
    expect(one.ok && one.result).toMatchObject({ labels: { mount: '/var' }, unit: 'ratio', points: [[T0, 0.25]] });
    const many = store.query({ host: 'db-1', metric: 'disk_used_ratio', since: T0 - 1, until: T0 });
    expect(many).toMatchObject({ ok: false, code: 'ambiguous', candidates: [{ mount: '/' }, { mount: '/var' }] });
    const none = store.query({ host: 'db-1', metric: 'load5', since: T0 - 1, until: T0 });
    expect(none).toMatchObject({ ok: false, code: 'not_found' });
    expect(!none.ok && none.message).toContain('disk_used_ratio, load1');
    expect(store.listSeries('db-1').map((s) => `${s.metric}${JSON.stringify(s.labels)}`)).toEqual(['disk_used_ratio{"mount":"/"}', 'disk_used_ratio{"mount":"/var"}', 'load1{}']);
    expect(store.hosts()).toEqual(['db-1']);
  });

  it('imports historical points and rollups directly (backfill, benchmarks)', () => {
    const db = openDatabase(':memory:');
    const store = new MetricStore(db, { now: () => T0 + 30 * 24 * HOUR });
    const n = 1440;
    store.importPoints({ host: 'h', metric: 'load1', source: 'prometheus' }, 1, {
      ts: Float64Array.from({ length: n }, (_, i) => T0 + i * 60_000),
      avg: new Float64Array(n).fill(2),
      min: new Float64Array(n).fill(1),
      max: new Float64Array(n).fill(3),
      count: new Float64Array(n).fill(4),
    });
    expect(chunkRows(db, 1)).toHaveLength(4);
    const q = store.query({ host: 'h', metric: 'load1', since: T0, until: T0 + 24 * HOUR, stepMs: HOUR, agg: 'min' });
    expect(q.ok && q.result.points.length).toBe(24);
    expect(q.ok && q.result.points[0]).toEqual([T0, 1]);
    expect(q.ok && q.result.source).toBe('prometheus');
  });
});
