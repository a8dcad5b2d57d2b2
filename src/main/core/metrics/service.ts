import type { Host } from '../../../shared/protocol';
import { AnomalyTracker } from '../anomaly';
import { ANOMALY_METRIC, ANOMALY_THRESHOLD, anomalyLabels, isScored, scoreBatch, scoredSeriesOf } from './anomaly-scores';
import type { Executor } from '../fleet';
import type { AuditSink, SafetyGate } from '../safety';
import type { SecretStore } from '../secrets';
import type { SettingsRepository, SqliteDatabase } from '../store';
import { CollectorRunner, type CollectorStatus, type ProcessSnapshotView } from './collector';
import { hostSettings, retentionOf, type MetricsConfig } from './config';
import { MetricStore } from './metric-store';
import { NodeExporterSource, PrometheusSource } from './prometheus';
import { COLLECTOR_SCRIPT_SHA256 } from './script';
import type { HostFigures } from './diagnosis';
import { readFigures } from './figures';
import { formatSeries, type Labels } from './names';
import type { MetricSource, QueryOutcome, SampleSink, SeriesInfo, SeriesQuery, SeriesReader } from './types';

/** How often open journal points are written (a crash loses at most this much). */
const JOURNAL_MS = 5_000;
/** How often idle windows are sealed, rollups computed and retention applied. */
const MAINTAIN_MS = 60_000;
const DEFINITION_KEY = 'metrics.collectorDefinition';
/**
 * What a detector replays from the store when its series is first seen after a start (or
 * after it was evicted): the last 12 hours, at most 1500 points (10 warm-ups, half the
 * detector's record half-life). Rebuilt causally from stored raw points rather than saved:
 * the state is the detector's private business, and the replay gives the same kind of state
 * it had. Cost, measured: a host's first batch after a restart (60 series × 3000 points)
 * took 0.24 s, so 1500 points keep that near 0.12 s of event loop per host, once.
 */
const HISTORY_MS = 12 * 3_600_000;
const HISTORY_POINTS = 1500;

/** One stored anomaly: a point of a series whose score reached the threshold. */
export interface StoredAnomaly {
  /** The scored series as shown (`disk_used_ratio{mount="/"}`). */
  series: string;
  metric: string;
  labels: Labels;
  /** Unix ms. */
  at: number;
  /** The series' value at that point (null: no longer stored). */
  value: number | null;
  score: number;
}

export interface MetricsServiceDeps {
  db: SqliteDatabase;
  config: MetricsConfig;
  /** Where the collector definition is remembered between runs (an audit row when it changes). */
  settings?: SettingsRepository;
  /** For collection (the server); without them the service only reads. */
  collection?: {
    hosts(): Host[];
    executor(host: Host): Executor;
    gate: SafetyGate;
    audit: AuditSink;
    logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
    /** Where Prometheus and node_exporter credentials are read (keychain accounts named in the config). */
    secrets?: SecretStore;
  };
  readOnly?: boolean;
  now?: () => number;
}

/**
 * Metrics for every face: the store, the SSH collector (started by the server only),
 * other sources and readers (a Prometheus server, later), status per host.
 */
export class MetricsService {
  readonly store: MetricStore;
  /**
   * Streaming anomaly detectors per collected series (issue 18), fed as points are stored;
   * a detector first seen since start replays its series' stored history (causal).
   */
  readonly anomalies = new AnomalyTracker({ history: (host, name, labels, before) => this.store.valuesBefore(host, name, labels, before, { lookbackMs: HISTORY_MS, limit: HISTORY_POINTS }) });
  /**
   * Where sources write: the store, then the anomaly detectors, whose scores (those above
   * a low floor) go into the store beside the series (a detector failure never loses a point).
   */
  private readonly sink: SampleSink = {
    append: (batch) => {
      this.store.append(batch);
      try {
        const scores = this.anomalies.score({ host: batch.host, at: batch.at, values: batch.values.filter((v) => isScored(v.name, v.labels)) });
        const stored = scoreBatch(batch, scores);
        if (stored) this.store.append(stored);
      } catch (err) {
        this.deps.collection?.logger?.warn({ err: String(err) }, 'anomaly detection failed');
      }
    },
  };
  readonly collector: CollectorRunner | null;
  private readonly sources: MetricSource[] = [];
  private readonly readers: SeriesReader[] = [];
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private maintaining = false;

  constructor(private readonly deps: MetricsServiceDeps) {
    this.store = new MetricStore(deps.db, { retention: retentionOf(deps.config), readOnly: deps.readOnly, now: deps.now });
    const c = deps.collection;
    this.collector = c
      ? new CollectorRunner({
          hosts: c.hosts,
          // One source per host: the collector leaves hosts fed by Prometheus or node_exporter alone.
          settings: (host) => {
            const s = hostSettings(deps.config, host);
            return s.source === 'collector' ? s : { ...s, enabled: false };
          },
          executor: c.executor,
          gate: c.gate,
          audit: c.audit,
          logger: c.logger,
          now: deps.now,
        })
      : null;
    if (this.collector) this.sources.push(this.collector);
    if (c) {
      const common = { hosts: c.hosts, settings: (host: Host) => hostSettings(deps.config, host), secrets: c.secrets, logger: c.logger, now: deps.now };
      // Idle (a reconcile every few seconds) until a host's source is node_exporter.
      this.sources.push(new NodeExporterSource({ ...common, config: deps.config.sources.nodeExporter }));
      if (deps.config.sources.prometheus) this.sources.push(new PrometheusSource({ ...common, config: deps.config.sources.prometheus }));
    }
  }

  /** Another source writing into the same store (e.g. a Prometheus scraper mapping node_exporter onto these names). */
  addSource(source: MetricSource): void {
    this.sources.push(source);
    if (this.started) source.start(this.sink);
  }

  /** Another reader consulted for series this store does not have (e.g. a remote Prometheus). */
  addReader(reader: SeriesReader): void {
    this.readers.push(reader);
  }

  /** Starts collecting (the server and the desktop app; never a one-shot CLI command). */
  start(): void {
    if (this.started || this.store.readOnly) return;
    this.started = true;
    this.recordDefinition();
    for (const s of this.sources) s.start(this.sink);
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(JOURNAL_MS, () => this.safely('journal', () => this.store.flushJournal()));
    every(MAINTAIN_MS, () => void this.maintain());
    void this.maintain();
  }

  /** One audit row whenever what the collector runs or how often changes (compared with the last start). */
  private recordDefinition(): void {
    const c = this.deps.collection;
    if (!c || !this.deps.settings) return;
    const cfg = this.deps.config;
    const definition = { scriptSha256: COLLECTOR_SCRIPT_SHA256, enabled: cfg.enabled, intervalSeconds: cfg.intervalSeconds, timeoutSeconds: cfg.timeoutSeconds, hosts: cfg.hosts, tags: cfg.tags, filesystems: cfg.filesystems, source: cfg.source, sources: cfg.sources };
    const previous = this.deps.settings.get<unknown>(DEFINITION_KEY);
    if (JSON.stringify(previous) === JSON.stringify(definition)) return;
    this.deps.settings.set(DEFINITION_KEY, definition);
    c.audit.record({ kind: 'settings', actor: 'metrics:collector', subject: 'metrics collector definition', data: { ...definition, previous: previous ?? null } });
  }

  /** Seals, rolls up and trims in slices, yielding between them so requests keep flowing. */
  async maintain(): Promise<void> {
    if (this.maintaining || this.store.readOnly) return;
    this.maintaining = true;
    try {
      // Bounded: each call handles a slice; a full pass ends the loop.
      for (let i = 0; i < 100_000; i++) {
        let done = true;
        this.safely('maintenance', () => {
          done = this.store.maintain(200);
        });
        if (done) break;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.maintaining = false;
    }
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.collection?.logger?.warn({ err: (err as Error).message }, `metrics: ${what} failed`);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.sources.map((s) => s.stop().catch(() => undefined)));
    this.started = false;
    if (!this.store.readOnly) this.store.close();
  }

  hosts(): string[] {
    return [...new Set([...this.store.hosts(), ...this.readers.flatMap((r) => r.hosts())])].sort();
  }

  listSeries(host: string): SeriesInfo[] {
    const local = this.store.listSeries(host);
    const seen = new Set(local.map((s) => `${s.metric}${JSON.stringify(s.labels)}`));
    const extra = this.readers.flatMap((r) => r.listSeries(host)).filter((s) => !seen.has(`${s.metric}${JSON.stringify(s.labels)}`));
    return [...local, ...extra];
  }

  query(q: SeriesQuery): QueryOutcome {
    // A bucket of anomaly scores is as anomalous as its worst point.
    if (q.metric === ANOMALY_METRIC && q.agg === undefined) return this.query({ ...q, agg: 'max' });
    const local = this.store.query(q);
    if (local.ok || local.code === 'ambiguous') return local;
    for (const r of this.readers) {
      const other = r.query(q);
      if (other.ok || other.code === 'ambiguous') return other;
    }
    return local;
  }

  /**
   * The stored anomaly scores of one series over a window, bucketed like the series' own
   * query (max per bucket): [unixMs, score] for every stored score (those at or above the
   * store's floor); empty when the series never scored that high.
   */
  anomalyScores(q: SeriesQuery): [number, number][] {
    const outcome = this.store.query({ ...q, metric: ANOMALY_METRIC, labels: anomalyLabels(q.metric, q.labels ?? {}), agg: 'max' });
    return outcome.ok ? outcome.result.points : [];
  }

  /** The threshold at and above which a stored score is an anomaly. */
  get anomalyThreshold(): number {
    return ANOMALY_THRESHOLD;
  }

  /**
   * Stored anomalies of a host (scores at or above the threshold), oldest first, optionally
   * of one series (as `formatSeries` spells it); at most `limit`, the newest kept.
   */
  storedAnomalies(filter: { host: string; since: number; until: number; series?: string; limit?: number }): StoredAnomaly[] {
    const out: StoredAnomaly[] = [];
    for (const info of this.store.listSeries(filter.host)) {
      const scored = scoredSeriesOf(info.metric, info.labels);
      if (!scored) continue;
      const series = formatSeries(scored.metric, scored.labels);
      if (filter.series !== undefined && filter.series !== series) continue;
      if (info.lastAt !== null && info.lastAt < filter.since) continue;
      const outcome = this.store.query({ host: filter.host, metric: ANOMALY_METRIC, labels: info.labels, since: filter.since, until: filter.until, agg: 'max', maxPoints: 1_000_000 });
      if (!outcome.ok) continue;
      for (const [at, score] of outcome.result.points) if (score >= ANOMALY_THRESHOLD) out.push({ series, metric: scored.metric, labels: scored.labels, at, value: null, score });
    }
    out.sort((a, b) => a.at - b.at || a.series.localeCompare(b.series));
    const kept = filter.limit !== undefined && out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
    // The series' own value at each point (raw points are kept for days; older ones read null).
    for (const a of kept) {
      const own = this.store.query({ host: filter.host, metric: a.metric, labels: a.labels, since: a.at, until: a.at });
      const point = own.ok && own.result.stepMs === null ? own.result.points.find(([t]) => t === a.at) : undefined;
      a.value = point ? point[1] : null;
    }
    return kept;
  }

  /** Every host's status, from the one source that feeds it (`source` says which). */
  status(): CollectorStatus[] {
    const all: CollectorStatus[] = [];
    for (const s of this.sources) {
      const list = s === this.collector ? this.collector.status().map((x) => ({ ...x, source: 'collector' })) : ((s as Partial<{ status(): CollectorStatus[] }>).status?.() ?? []);
      all.push(...list);
    }
    return all;
  }

  hostStatus(host: string): CollectorStatus | null {
    return this.status().find((s) => s.host === host) ?? null;
  }

  processes(host: string): ProcessSnapshotView | null {
    return this.collector?.processes(host) ?? null;
  }

  /** The host's newest collected figures and those of an hour ago (null: no recent sample). */
  figures(host: string): HostFigures | null {
    const now = (this.deps.now ?? Date.now)();
    return readFigures(this, host, { now, status: this.hostStatus(host), processes: this.processes(host) });
  }

  /**
   * A one-shot collection with the collector's own script (through the safety gate, as every
   * run) for a host the collector has no current data for yet: two runs a second apart, so
   * CPU and per-process CPU are current rather than averaged since boot. Null when the
   * collector does not collect from this host (another source, disabled, no collector here).
   * Callers bound it by the host's timeout.
   */
  async sampleNow(host: string): Promise<HostFigures | null> {
    const c = this.collector;
    if (!c || !c.hostStatus(host)) return null;
    const first = await c.collectNow(host);
    if (!first.ok) throw Object.assign(new Error(first.error?.message ?? 'collection failed'), { code: first.error?.code ?? 'internal' });
    if (c.processes(host)?.cpuWindow !== 'interval' || !first.values.some((v) => v.name === 'cpu_busy_ratio')) {
      await new Promise((r) => setTimeout(r, 1000));
      const second = await c.collectNow(host);
      if (!second.ok) throw Object.assign(new Error(second.error?.message ?? 'collection failed'), { code: second.error?.code ?? 'internal' });
    }
    const f = this.figures(host);
    return f ? { ...f, source: 'one-shot' } : null;
  }
}
