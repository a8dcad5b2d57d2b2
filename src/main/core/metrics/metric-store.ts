import type { SqliteDatabase } from '../store';

/** A prepared statement taking any bind parameters. */
type Statement = import('better-sqlite3').Statement<unknown[], unknown>;
import { ChunkFormatError, DEFAULT_SIGNIFICANT_DIGITS, decodeAgg, decodeRaw, encodeAgg, encodeRaw, type AggPoints, type RawPoints } from './codec';
import { AggBuilder, emptyAgg, mergeAgg, mergeRaw, niceStep, rawAsAgg, sliceAgg, sliceRaw, TIERS, windowStart, type Tier } from './downsample';
import { canonicalLabels, unitOf, type Labels } from './names';
import type { QueryOutcome, SampleBatch, SampleSink, SeriesInfo, SeriesQuery, SeriesReader } from './types';

/**
 * The time series store: compact chunks in SQLite (migration 10).
 *
 * - `metric_series`: one row per (host, metric, labels), with the unit, the source and how
 *   far each rollup tier has been computed.
 * - `metric_chunks`: one row per (series, tier, aligned window) holding that window's
 *   points encoded by codec.ts: raw points in 1-hour windows, 1-minute rollups in 6-hour
 *   windows, 1-hour rollups in 7-day windows. A chunk is written once, when its window
 *   has closed (or rewritten when a late point arrives for it), never per point.
 * - `metric_journal`: the points of the still-open raw windows, appended in batches every
 *   few seconds (one row per batch, all series together) so a crash loses seconds, not
 *   the open hour; replayed into memory at start, deleted once their windows are sealed.
 *
 * Rollups are computed from the tier below once a window has closed, so the 1-minute
 * tier of a 6-hour window is built from that window's raw points while they are still
 * kept (raw retention ≥ 12 h is enforced by the config). Queries combine stored chunks,
 * the in-memory open window, and rollups computed on the fly for windows not sealed yet.
 * Retention deletes whole chunks whose window ended before the tier's horizon.
 */

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

export const DEFAULT_RETENTION: Retention = { rawMs: 48 * 3_600_000, minuteMs: 30 * 86_400_000, hourMs: 365 * 86_400_000 };

export interface MetricStoreOptions {
  retention?: Retention;
  /** Significant digits kept of raw points (default 6) and of rollups (default 4; they are averages drawn over days). */
  significantDigits?: number;
  rollupSignificantDigits?: number;
  now?: () => number;
  /** Read the store without writing (the CLI beside a running server): the journal is replayed into memory only. */
  readOnly?: boolean;
  /** How long after a raw window ends an idle series' window is sealed anyway. Default 5 min. */
  sealGraceMs?: number;
}

interface SeriesRow {
  id: number;
  host: string;
  name: string;
  labels: Labels;
  labelsKey: string;
  unit: string;
  source: string;
  firstAt: number | null;
  lastAt: number | null;
  /** Rollup tiers are computed for every window that starts before these (unix ms, window aligned). */
  rollupUntil: [number, number];
}

/** Unsealed raw points of one series, sorted by time. */
interface Head {
  ts: number[];
  v: number[];
}

export interface MetricStoreStats {
  series: number;
  headPoints: number;
  chunks: number;
  /** Points refused since start: older than what can still be rolled up, or not finite. */
  dropped: number;
}

const MAX_POINTS_DEFAULT = 12_000;

function retentionOf(r: Retention, tier: Tier): number {
  return tier.id === 0 ? r.rawMs : tier.id === 1 ? r.minuteMs : r.hourMs;
}

export class MetricStore implements SampleSink, SeriesReader {
  private readonly retention: Retention;
  private readonly significant: number;
  private readonly rollupSignificant: number;
  private readonly now: () => number;
  readonly readOnly: boolean;
  private readonly graceMs: number;
  private readonly byKey = new Map<string, SeriesRow>();
  private readonly byId = new Map<number, SeriesRow>();
  private readonly heads = new Map<number, Head>();
  /** Points appended since the last journal write: series id, time, value (flat). */
  private journal: number[] = [];
  private dropped = 0;
  private readonly statements = new Map<string, Statement>();
  private loadedFromDb = false;
  /** Where maintain() left off, so each call does a bounded share of the series. */
  private maintainCursor = 0;
  private lastRetentionAt = 0;

  constructor(
    private readonly db: SqliteDatabase,
    options: MetricStoreOptions = {},
  ) {
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.significant = options.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS;
    this.rollupSignificant = options.rollupSignificantDigits ?? 4;
    this.now = options.now ?? Date.now;
    this.readOnly = options.readOnly ?? false;
    this.graceMs = options.sealGraceMs ?? 5 * 60_000;
    this.loadSeries();
    this.replayJournal();
  }

  /** Prepared once per SQL text: the collector writes many small statements. */
  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  // -------------------------------------------------------------------------------
  // Series registry

  private loadSeries(): void {
    const rows = this.stmt('SELECT id, host, name, labels, unit, source, first_at, last_at, rollup1_until, rollup2_until FROM metric_series').all() as {
      id: number;
      host: string;
      name: string;
      labels: string;
      unit: string;
      source: string;
      first_at: number | null;
      last_at: number | null;
      rollup1_until: number;
      rollup2_until: number;
    }[];
    for (const r of rows) this.remember({ id: r.id, host: r.host, name: r.name, labels: JSON.parse(r.labels) as Labels, labelsKey: r.labels, unit: r.unit, source: r.source, firstAt: r.first_at, lastAt: r.last_at, rollupUntil: [r.rollup1_until, r.rollup2_until] });
    this.loadedFromDb = true;
  }

  private remember(row: SeriesRow): void {
    this.byKey.set(`${row.host}\0${row.name}\0${row.labelsKey}`, row);
    this.byId.set(row.id, row);
  }

  /** Series another process created since this one loaded (the CLI reading a live server's store). */
  private refreshSeries(): void {
    if (!this.readOnly || !this.loadedFromDb) return;
    const max = Math.max(0, ...this.byId.keys());
    const rows = this.stmt('SELECT id FROM metric_series WHERE id > ? LIMIT 1').get(max);
    if (rows) {
      this.byKey.clear();
      this.byId.clear();
      this.loadSeries();
    }
  }

  private series(host: string, name: string, labels: Labels, unit: string, source: string, at: number): SeriesRow {
    const labelsKey = canonicalLabels(labels);
    const key = `${host}\0${name}\0${labelsKey}`;
    const known = this.byKey.get(key);
    if (known) return known;
    this.stmt('INSERT OR IGNORE INTO metric_series (host, name, labels, unit, source, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(host, name, labelsKey, unit, source, at, at);
    const r = this.stmt('SELECT id, first_at, rollup1_until, rollup2_until FROM metric_series WHERE host = ? AND name = ? AND labels = ?').get(host, name, labelsKey) as { id: number; first_at: number | null; rollup1_until: number; rollup2_until: number };
    const row: SeriesRow = { id: r.id, host, name, labels: JSON.parse(labelsKey) as Labels, labelsKey, unit, source, firstAt: r.first_at, lastAt: at, rollupUntil: [r.rollup1_until, r.rollup2_until] };
    this.remember(row);
    return row;
  }

  // -------------------------------------------------------------------------------
  // Writing

  append(batch: SampleBatch): void {
    if (this.readOnly) throw new Error('this metric store is read-only');
    const at = Math.round(batch.at);
    for (const v of batch.values) {
      if (!Number.isFinite(v.value) || !(at >= 0)) {
        this.dropped++;
        continue;
      }
      const row = this.series(batch.host, v.name, v.labels, v.unit ?? unitOf(v.name), batch.source, at);
      if (!this.accepts(row, at)) {
        this.dropped++;
        continue;
      }
      this.addToHead(row, at, v.value);
      this.journal.push(row.id, at, v.value);
    }
  }

  /**
   * Points older than the raw data kept for recomputing a rollup are refused: the tiers
   * above would no longer agree with the raw data.
   */
  private accepts(row: SeriesRow, at: number): boolean {
    const floor = this.now() - this.retention.rawMs + TIERS[1].chunkMs;
    return at >= floor || at >= row.rollupUntil[0];
  }

  private addToHead(row: SeriesRow, at: number, value: number): void {
    let head = this.heads.get(row.id);
    if (!head) this.heads.set(row.id, (head = { ts: [], v: [] }));
    const n = head.ts.length;
    if (n === 0 || at > (head.ts[n - 1] as number)) {
      head.ts.push(at);
      head.v.push(value);
    } else {
      // Out of order or repeated: keep the list sorted, the newest value for a repeated time.
      let i = n - 1;
      while (i >= 0 && (head.ts[i] as number) > at) i--;
      if (i >= 0 && head.ts[i] === at) head.v[i] = value;
      else {
        head.ts.splice(i + 1, 0, at);
        head.v.splice(i + 1, 0, value);
      }
    }
    if (row.lastAt === null || at > row.lastAt) row.lastAt = at;
    if (row.firstAt === null || at < row.firstAt) row.firstAt = at;
    // A point in a newer raw window closes the older ones: write them out now.
    const open = windowStart(at, TIERS[0].chunkMs);
    if (!this.readOnly && (head.ts[0] as number) < open) this.sealHead(row, open);
  }

  /** Writes the head's points of windows starting before `before` as chunks (merged with stored ones). */
  private sealHead(row: SeriesRow, before: number): void {
    const head = this.heads.get(row.id);
    if (!head || head.ts.length === 0) return;
    let cut = 0;
    while (cut < head.ts.length && (head.ts[cut] as number) < before) cut++;
    if (cut === 0) return;
    const ts = head.ts.splice(0, cut);
    const v = head.v.splice(0, cut);
    if (head.ts.length === 0) this.heads.delete(row.id);
    const chunkMs = TIERS[0].chunkMs;
    const write = this.db.transaction(() => {
      let i = 0;
      // Bounded: every iteration consumes at least one point.
      while (i < ts.length) {
        const start = windowStart(ts[i] as number, chunkMs);
        let j = i;
        while (j < ts.length && (ts[j] as number) < start + chunkMs) j++;
        const fresh: RawPoints = { ts: Float64Array.from(ts.slice(i, j)), values: Float64Array.from(v.slice(i, j)) };
        const stored = this.readRawChunk(row.id, start);
        this.writeRaw(row.id, start, stored ? mergeRaw(stored, fresh) : fresh);
        // A late point in a window already rolled up: recompute the rollups from there.
        if (start < row.rollupUntil[0]) {
          row.rollupUntil[0] = windowStart(start, TIERS[1].chunkMs);
          row.rollupUntil[1] = Math.min(row.rollupUntil[1], windowStart(start, TIERS[2].chunkMs));
        }
        i = j;
      }
      this.stmt('UPDATE metric_series SET first_at = ?, last_at = ?, rollup1_until = ?, rollup2_until = ? WHERE id = ?').run(row.firstAt, row.lastAt, row.rollupUntil[0], row.rollupUntil[1], row.id);
    });
    write();
  }

  private readRawChunk(seriesId: number, start: number): RawPoints | null {
    const r = this.stmt('SELECT data FROM metric_chunks WHERE series_id = ? AND tier = 0 AND start_at = ?').get(seriesId, start) as { data: Buffer } | undefined;
    return r ? this.decodeRawSafe(r.data) : null;
  }

  private writeRaw(seriesId: number, start: number, points: RawPoints): void {
    if (points.ts.length === 0) return;
    const data = encodeRaw(points.ts, points.values, this.significant);
    this.upsertChunk(seriesId, 0, start, points.ts[points.ts.length - 1] as number, points.ts.length, data);
  }

  private writeAgg(seriesId: number, tier: 1 | 2, start: number, points: AggPoints): void {
    if (points.ts.length === 0) {
      this.stmt('DELETE FROM metric_chunks WHERE series_id = ? AND tier = ? AND start_at = ?').run(seriesId, tier, start);
      return;
    }
    const data = encodeAgg(points, this.rollupSignificant);
    this.upsertChunk(seriesId, tier, start, points.ts[points.ts.length - 1] as number, points.ts.length, data);
  }

  private upsertChunk(seriesId: number, tier: number, start: number, end: number, count: number, data: Buffer): void {
    this.stmt(
        `INSERT INTO metric_chunks (series_id, tier, start_at, end_at, points, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(series_id, tier, start_at) DO UPDATE SET end_at = excluded.end_at, points = excluded.points, data = excluded.data`,
      )
      .run(seriesId, tier, start, end, count, data);
  }

  /**
   * Stores already-aggregated or historical points directly (a Prometheus backfill, the
   * storage benchmark): raw points merge into their chunks; rollup buckets replace the
   * buckets they cover. With `rolledUpThrough`, a rollup tier counts as computed up to
   * that time (its windows are not recomputed from the tier below).
   */
  importPoints(key: { host: string; metric: string; labels?: Labels; unit?: string; source: string }, tier: 0 | 1 | 2, points: RawPoints | AggPoints, options: { rolledUpThrough?: number } = {}): void {
    if (this.readOnly) throw new Error('this metric store is read-only');
    const n = points.ts.length;
    if (n === 0) return;
    const row = this.series(key.host, key.metric, key.labels ?? {}, key.unit ?? unitOf(key.metric), key.source, points.ts[0] as number);
    const t = TIERS[tier];
    this.db.transaction(() => {
      let i = 0;
      while (i < n) {
        const start = windowStart(points.ts[i] as number, t.chunkMs);
        let j = i;
        while (j < n && (points.ts[j] as number) < start + t.chunkMs) j++;
        if (tier === 0) {
          const p = points as RawPoints;
          const fresh = { ts: p.ts.subarray(i, j), values: p.values.subarray(i, j) };
          const stored = this.readRawChunk(row.id, start);
          this.writeRaw(row.id, start, stored ? mergeRaw(stored, fresh) : fresh);
        } else {
          const fresh = sliceAgg(points as AggPoints, points.ts[i] as number, points.ts[j - 1] as number);
          const stored = this.readAggChunks(row.id, tier, start, start);
          this.writeAgg(row.id, tier, start, mergeAgg(stored, fresh));
        }
        i = j;
      }
      const last = points.ts[n - 1] as number;
      if (row.lastAt === null || last > row.lastAt) row.lastAt = last;
      if (row.firstAt === null || (points.ts[0] as number) < row.firstAt) row.firstAt = points.ts[0] as number;
      if (tier > 0 && options.rolledUpThrough !== undefined) {
        const i = tier - 1;
        row.rollupUntil[i] = Math.max(row.rollupUntil[i] as number, windowStart(options.rolledUpThrough, t.chunkMs));
      }
      this.stmt('UPDATE metric_series SET first_at = ?, last_at = ?, rollup1_until = ?, rollup2_until = ? WHERE id = ?').run(row.firstAt, row.lastAt, row.rollupUntil[0], row.rollupUntil[1], row.id);
    })();
  }

  // -------------------------------------------------------------------------------
  // Journal

  /** Writes the points appended since the last call as one journal row (cheap: one append). */
  flushJournal(): void {
    if (this.readOnly || this.journal.length === 0) return;
    const flat = this.journal;
    this.journal = [];
    let maxAt = 0;
    for (let i = 1; i < flat.length; i += 3) if ((flat[i] as number) > maxAt) maxAt = flat[i] as number;
    this.stmt('INSERT INTO metric_journal (max_at, data) VALUES (?, ?)').run(maxAt, encodeJournal(flat));
  }

  private replayJournal(): void {
    const rows = this.stmt('SELECT data FROM metric_journal ORDER BY id').all() as { data: Buffer }[];
    for (const r of rows) {
      let flat: number[];
      try {
        flat = decodeJournal(r.data);
      } catch {
        continue; // a torn row cannot exist (SQLite transactions); a foreign format is skipped, not fatal
      }
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const row = this.byId.get(flat[i] as number);
        if (row) this.addToHead(row, flat[i + 1] as number, flat[i + 2] as number);
      }
    }
  }

  // -------------------------------------------------------------------------------
  // Maintenance: seal idle windows, compute rollups, apply retention, trim the journal

  /**
   * Does up to `budget` series' worth of maintenance; returns true when a pass over all
   * series finished (callers loop with a yield in between, so a large fleet never blocks
   * the event loop for long).
   */
  maintain(budget = 200): boolean {
    if (this.readOnly) return true;
    const now = this.now();
    const ids = [...this.byId.keys()].sort((a, b) => a - b);
    const doRetention = now - this.lastRetentionAt >= 3_600_000;
    let done = 0;
    while (this.maintainCursor < ids.length && done < budget) {
      const row = this.byId.get(ids[this.maintainCursor++] as number)!;
      this.maintainSeries(row, now, doRetention);
      done++;
    }
    if (this.maintainCursor < ids.length) return false;
    this.maintainCursor = 0;
    if (doRetention) this.lastRetentionAt = now;
    this.trimJournal();
    return true;
  }

  private maintainSeries(row: SeriesRow, now: number, retention: boolean): void {
    // An idle series (a host that went away) still gets its last window written.
    this.sealHead(row, windowStart(now - this.graceMs, TIERS[0].chunkMs));
    this.rollUp(row, now);
    if (retention) {
      const del = this.stmt('DELETE FROM metric_chunks WHERE series_id = ? AND tier = ? AND start_at <= ?');
      for (const tier of TIERS) del.run(row.id, tier.id, now - retentionOf(this.retention, tier) - tier.chunkMs);
    }
  }

  /** Computes every rollup window that has closed and whose finer data is complete. */
  private rollUp(row: SeriesRow, now: number): void {
    const head = this.heads.get(row.id);
    // Raw data is complete for windows that end before the oldest unsealed point, and before now minus the grace.
    const rawComplete = Math.min(head && head.ts.length ? (head.ts[0] as number) : Infinity, windowStart(now - this.graceMs, TIERS[0].chunkMs));
    for (const tierId of [1, 2] as const) {
      const tier = TIERS[tierId];
      const completeUntil = tierId === 1 ? rawComplete : row.rollupUntil[0];
      let w = row.rollupUntil[tierId - 1] as number;
      if (w === 0) {
        if (row.firstAt === null) continue;
        w = windowStart(row.firstAt, tier.chunkMs);
      }
      const before = row.rollupUntil[tierId - 1];
      // Bounded: each step advances w by at least one window; gaps are jumped over.
      for (let guard = 0; w + tier.chunkMs <= completeUntil && guard < 10_000; guard++) {
        const end = w + tier.chunkMs;
        const finer = tierId === 1 ? this.storedRaw(row.id, w, end - 1) : this.storedAgg(row.id, 1, w, end - 1);
        if (finer.ts.length > 0) {
          const b = new AggBuilder(tier.stepMs);
          if (tierId === 1) b.addRaw(finer as RawPoints);
          else b.addAgg(finer as AggPoints);
          this.db.transaction(() => this.writeAgg(row.id, tierId, w, b.build()))();
          w = end;
        } else {
          const next = this.nextChunkStart(row.id, tierId - 1, end);
          w = next === null ? windowStart(completeUntil, tier.chunkMs) : Math.max(end, windowStart(next, tier.chunkMs));
        }
      }
      if (w !== before) {
        row.rollupUntil[tierId - 1] = w;
        this.stmt(`UPDATE metric_series SET rollup${tierId}_until = ? WHERE id = ?`).run(w, row.id);
      }
    }
  }

  private nextChunkStart(seriesId: number, tier: number, from: number): number | null {
    const r = this.stmt('SELECT MIN(start_at) AS s FROM metric_chunks WHERE series_id = ? AND tier = ? AND start_at >= ?').get(seriesId, tier, from) as { s: number | null };
    return r.s;
  }

  /** Journal rows whose points all lie in sealed windows are no longer needed. */
  private trimJournal(): void {
    let oldest = Infinity;
    for (const head of this.heads.values()) if (head.ts.length && (head.ts[0] as number) < oldest) oldest = head.ts[0] as number;
    if (this.journal.length > 0) {
      for (let i = 1; i < this.journal.length; i += 3) if ((this.journal[i] as number) < oldest) oldest = this.journal[i] as number;
    }
    if (oldest === Infinity) oldest = this.now() + 1;
    this.stmt('DELETE FROM metric_journal WHERE max_at < ?').run(oldest);
  }

  // -------------------------------------------------------------------------------
  // Reading

  private decodeRawSafe(data: Buffer): RawPoints | null {
    try {
      return decodeRaw(data);
    } catch (err) {
      if (err instanceof ChunkFormatError) return null;
      throw err;
    }
  }

  /** Stored raw chunks plus the unsealed head, within [since, until]. */
  private storedRaw(seriesId: number, since: number, until: number): RawPoints {
    const rows = this.stmt('SELECT data FROM metric_chunks WHERE series_id = ? AND tier = 0 AND start_at >= ? AND start_at <= ? ORDER BY start_at')
      .all(seriesId, windowStart(since, TIERS[0].chunkMs), until) as { data: Buffer }[];
    const parts = rows.map((r) => this.decodeRawSafe(r.data)).filter((p): p is RawPoints => p !== null);
    const head = this.heads.get(seriesId);
    if (head && head.ts.length) parts.push({ ts: Float64Array.from(head.ts), values: Float64Array.from(head.v) });
    return sliceRaw(mergeRaw(...parts), since, until);
  }

  private readAggChunks(seriesId: number, tier: 1 | 2, fromStart: number, toStart: number): AggPoints {
    const rows = this.stmt('SELECT data FROM metric_chunks WHERE series_id = ? AND tier = ? AND start_at >= ? AND start_at <= ? ORDER BY start_at')
      .all(seriesId, tier, fromStart, toStart) as { data: Buffer }[];
    const parts: AggPoints[] = [];
    for (const r of rows) {
      try {
        parts.push(decodeAgg(r.data));
      } catch (err) {
        if (!(err instanceof ChunkFormatError)) throw err;
      }
    }
    return mergeAgg(...parts);
  }

  /**
   * A rollup tier over [since, until] (bucket start times): its stored chunks, and for
   * windows not rolled up yet, buckets computed from the tier below.
   */
  private storedAgg(seriesId: number, tier: 1 | 2, since: number, until: number): AggPoints {
    const t = TIERS[tier];
    const from = windowStart(since, t.stepMs);
    const stored = sliceAgg(this.readAggChunks(seriesId, tier, windowStart(from, t.chunkMs), until), from, until);
    const row = this.byId.get(seriesId);
    const sealed = row ? (row.rollupUntil[tier - 1] as number) : 0;
    if (until < sealed) return stored;
    const computeFrom = Math.max(from, sealed);
    const b = new AggBuilder(t.stepMs);
    if (tier === 1) b.addRaw(this.storedRaw(seriesId, computeFrom, until));
    else b.addAgg(this.storedAgg(seriesId, 1, computeFrom, until));
    return b.size ? mergeAgg(stored, sliceAgg(b.build(), computeFrom, until)) : stored;
  }

  hosts(): string[] {
    this.refreshSeries();
    return [...new Set([...this.byId.values()].map((r) => r.host))].sort();
  }

  listSeries(host: string): SeriesInfo[] {
    this.refreshSeries();
    return [...this.byId.values()]
      .filter((r) => r.host === host)
      .sort((a, b) => a.name.localeCompare(b.name) || a.labelsKey.localeCompare(b.labelsKey))
      .map((r) => ({ host: r.host, metric: r.name, labels: r.labels, unit: r.unit, source: r.source, firstAt: r.firstAt, lastAt: r.lastAt }));
  }

  query(q: SeriesQuery): QueryOutcome {
    this.refreshSeries();
    const wanted = q.labels ?? {};
    const candidates = [...this.byId.values()].filter((r) => r.host === q.host && r.name === q.metric && Object.entries(wanted).every(([k, v]) => r.labels[k] === v));
    const exact = candidates.find((r) => r.labelsKey === canonicalLabels(wanted));
    const row = exact ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!row) {
      if (candidates.length === 0) {
        const names = [...new Set([...this.byId.values()].filter((r) => r.host === q.host).map((r) => r.name))];
        return {
          ok: false,
          code: 'not_found',
          message: names.length
            ? `no series ${q.metric}${Object.keys(wanted).length ? ` with ${canonicalLabels(wanted)}` : ''} on ${q.host} (it has: ${names.sort().slice(0, 40).join(', ')})`
            : `no metrics stored for ${q.host}`,
        };
      }
      return { ok: false, code: 'ambiguous', message: `${q.metric} has ${candidates.length} series on ${q.host}; choose one by its labels`, candidates: candidates.map((c) => c.labels) };
    }
    const now = this.now();
    const maxPoints = q.maxPoints ?? MAX_POINTS_DEFAULT;
    const since = Math.min(q.since, q.until);
    const until = q.until;
    // The finest tier that still keeps data from `since` (or the coarsest, for older ranges).
    const kept = TIERS.filter((t) => now - retentionOf(this.retention, t) <= since);
    let step = q.stepMs && q.stepMs > 0 ? q.stepMs : null;
    const pick = (s: number | null): Tier => {
      if (s === null) return kept[0] ?? TIERS[2];
      const fit = kept.filter((t) => t.stepMs <= s);
      return fit[fit.length - 1] ?? kept[0] ?? TIERS[2];
    };
    let tier = pick(step);
    if (step === null) {
      // Without a step, the stored resolution, unless that is more than maxPoints.
      const estimate = tier.id === 0 ? this.countRaw(row.id, since, until) : Math.floor((until - since) / tier.stepMs) + 1;
      if (estimate > maxPoints) {
        step = niceStep(Math.ceil((until - since) / maxPoints));
        tier = pick(step);
      }
    }
    const agg = q.agg ?? 'avg';
    let points: [number, number][];
    if (tier.id === 0 && step === null) {
      const raw = this.storedRaw(row.id, since, until);
      points = Array.from(raw.ts, (t, i) => [t, raw.values[i] as number]);
    } else {
      let data = tier.id === 0 ? rawAsAgg(this.storedRaw(row.id, since, until)) : this.storedAgg(row.id, tier.id, since, until);
      if (step !== null && step > tier.stepMs) {
        const b = new AggBuilder(step);
        b.addAgg(data);
        data = b.build();
      }
      const col = agg === 'min' ? data.min : agg === 'max' ? data.max : data.avg;
      points = Array.from(data.ts, (t, i) => [t, col[i] as number]);
    }
    return {
      ok: true,
      result: { host: row.host, metric: row.name, labels: row.labels, unit: row.unit, points, stepMs: step ?? (tier.stepMs || null), resolution: tier.name, source: row.source },
    };
  }

  /**
   * The newest raw values of one series (exact labels) before `before`, oldest first, at
   * most `limit` of them from the last `lookbackMs`: what a restarted anomaly detector
   * replays. Empty when the series is unknown.
   */
  valuesBefore(host: string, metric: string, labels: Labels, before: number, opts: { lookbackMs: number; limit: number }): number[] {
    const row = this.byKey.get(`${host}\0${metric}\0${canonicalLabels(labels)}`);
    if (!row || opts.limit <= 0) return [];
    const raw = this.storedRaw(row.id, before - opts.lookbackMs, before - 1);
    const from = Math.max(0, raw.values.length - opts.limit);
    return Array.from(raw.values.subarray(from));
  }

  private countRaw(seriesId: number, since: number, until: number): number {
    const r = this.stmt('SELECT COALESCE(SUM(points), 0) AS n FROM metric_chunks WHERE series_id = ? AND tier = 0 AND start_at >= ? AND start_at <= ?')
      .get(seriesId, windowStart(since, TIERS[0].chunkMs), until) as { n: number };
    return r.n + (this.heads.get(seriesId)?.ts.length ?? 0);
  }

  stats(): MetricStoreStats {
    let headPoints = 0;
    for (const h of this.heads.values()) headPoints += h.ts.length;
    const chunks = (this.stmt('SELECT COUNT(*) AS n FROM metric_chunks').get() as { n: number }).n;
    return { series: this.byId.size, headPoints, chunks, dropped: this.dropped };
  }

  /** Keeps what is in memory safe (the journal); sealed windows are already on disk. */
  close(): void {
    this.flushJournal();
  }
}

// ---------------------------------------------------------------------------------
// Journal rows: (series id varint, time varint, value float64) triples

function encodeJournal(flat: readonly number[]): Buffer {
  const n = flat.length / 3;
  const buf = Buffer.allocUnsafe(n * 24 + 8);
  let pos = 0;
  const varint = (x: number) => {
    while (x >= 0x80) {
      buf[pos++] = (x % 0x80) + 0x80;
      x = Math.floor(x / 0x80);
    }
    buf[pos++] = x;
  };
  varint(n);
  for (let i = 0; i < flat.length; i += 3) {
    varint(flat[i] as number);
    varint(flat[i + 1] as number);
    buf.writeDoubleLE(flat[i + 2] as number, pos);
    pos += 8;
  }
  return buf.subarray(0, pos);
}

function decodeJournal(buf: Buffer): number[] {
  let pos = 0;
  const varint = () => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= buf.length) throw new ChunkFormatError('journal row ends early');
      const b = buf[pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new ChunkFormatError('bad varint in journal row');
  };
  const n = varint();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = varint();
    const at = varint();
    if (pos + 8 > buf.length) throw new ChunkFormatError('journal row ends early');
    out.push(id, at, buf.readDoubleLE(pos));
    pos += 8;
  }
  return out;
}

export { emptyAgg };
