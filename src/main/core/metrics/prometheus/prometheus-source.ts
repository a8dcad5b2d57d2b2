import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Host } from '../../../../shared/protocol';
import type { SecretStore } from '../../secrets';
import type { CollectorStatus } from '../collector';
import type { HostCollectorSettings, MetricsConfig } from '../config';
import { selectFilesystems, wholeDevices } from '../derive';
import type { MetricSource, SampleSink } from '../types';
import { authorizationHeader, hostForInstance, HostStatus, readCa, SourceError, toApiError } from './common';
import { httpGet } from './http';
import { FS_SIZE_QUERY, mappedQueries, type MappedQuery } from './promql';

type PrometheusConfig = NonNullable<MetricsConfig['sources']['prometheus']>;

/** Prometheus refuses more than 11 000 points per series in one query_range. */
const MAX_POINTS_PER_QUERY = 10_000;
/** Queries sent at once to the server. */
const CONCURRENCY = 4;
/** Loops stop trying to catch up after this many windows in one poll (the rest waits for the next). */
const MAX_WINDOWS_PER_POLL = 4;

const MatrixSchema = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        values: z.array(z.tuple([z.number(), z.string()])),
      }),
    ),
  }),
});
const ErrorSchema = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string() });

export interface PrometheusSourceDeps {
  hosts(): Host[];
  settings(host: Host): HostCollectorSettings;
  config: PrometheusConfig;
  secrets?: SecretStore;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface SeriesPoints {
  host: string;
  metric: string;
  labels: Record<string, string>;
  points: [number, number][];
}

/**
 * Reads node_exporter series from a Prometheus server (`/api/v1/query_range`), for hosts
 * whose `source` is `prometheus`, and appends them to the store under our names.
 *
 * Every poll asks for the window after the last one stored (the first poll, and a poll
 * after an outage, reach back `backfillMinutes`), ending `settleSeconds` ago, on a grid of
 * `stepSeconds`. A poll stores nothing unless every query of it succeeded: a dead server,
 * a refused credential, a malformed answer or a timed-out request leaves the window to
 * the next poll, so nothing is lost while the outage is shorter than the backfill. Each
 * request has its own deadline and the poll runs on its own timer: the SSH collector and
 * the node_exporter scrapes never wait for it.
 */
export class PrometheusSource implements MetricSource {
  readonly name = 'prometheus';
  private sink: SampleSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  private polling: Promise<void> | null = null;
  /** Unix ms of the next step to fetch (null: nothing fetched yet). */
  private nextStart: number | null = null;
  private readonly statuses = new Map<string, HostStatus>();
  private readonly now: () => number;
  private readonly queries: MappedQuery[];
  private missed = 0;

  constructor(private readonly deps: PrometheusSourceDeps) {
    this.now = deps.now ?? Date.now;
    this.queries = mappedQueries({ matchers: deps.config.matchers, rateWindowSeconds: deps.config.rateWindowSeconds });
  }

  start(sink: SampleSink): void {
    if (this.sink) return;
    this.sink = sink;
    const tick = () => {
      if (this.polling) {
        this.missed++;
        return;
      }
      void this.poll();
    };
    this.timer = setInterval(tick, this.deps.config.intervalSeconds * 1000);
    this.timer.unref();
    setImmediate(tick);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.inFlight?.abort();
    await this.polling?.catch(() => undefined);
    this.sink = null;
  }

  /** Hosts this source feeds (enabled, `source: prometheus`). */
  private wantedHosts(): Host[] {
    try {
      return this.deps.hosts().filter((h) => {
        const s = this.deps.settings(h);
        return s.enabled && s.source === 'prometheus';
      });
    } catch (err) {
      this.deps.logger?.warn({ err: (err as Error).message }, 'metrics: could not read the inventory');
      return [];
    }
  }

  /** One poll: fetch every query over the pending window(s), store the points (all or nothing). Resolves when done; never rejects. */
  poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = this.pollInner().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private statusOf(host: string): HostStatus {
    let s = this.statuses.get(host);
    const cfg = this.deps.config;
    if (!s) this.statuses.set(host, (s = new HostStatus(host, this.name, cfg.intervalSeconds * 1000, cfg.timeoutSeconds * 1000)));
    return s;
  }

  private async pollInner(): Promise<void> {
    const hosts = this.wantedHosts();
    const names = new Set(hosts.map((h) => h.name));
    for (const name of [...this.statuses.keys()]) if (!names.has(name)) this.statuses.delete(name);
    if (hosts.length === 0) return;
    const cfg = this.deps.config;
    const stepMs = cfg.stepSeconds * 1000;
    const startedAt = this.now();
    const t0 = performance.now();
    for (const h of hosts) this.statusOf(h.name).begin(startedAt);
    const controller = new AbortController();
    this.inFlight = controller;
    try {
      const end = Math.floor((startedAt - cfg.settleSeconds * 1000) / stepMs) * stepMs;
      const floor = Math.floor((startedAt - cfg.backfillMinutes * 60_000) / stepMs) * stepMs;
      let start = Math.max(this.nextStart ?? floor, floor);
      if (end < start) {
        for (const h of hosts) this.statusOf(h.name).succeed(startedAt, performance.now() - t0);
        return;
      }
      const [headers, ca] = await Promise.all([authorizationHeader(cfg.auth, this.deps.secrets, `Prometheus at ${cfg.url}`), readCa(cfg.caFile)]);
      const seen = new Set<string>();
      // Bounded: at most MAX_WINDOWS_PER_POLL windows; the rest is left for the next poll.
      for (let w = 0; w < MAX_WINDOWS_PER_POLL && start <= end; w++) {
        const windowEnd = Math.min(end, start + (MAX_POINTS_PER_QUERY - 1) * stepMs);
        const results = await this.fetchAll(start, windowEnd, headers, ca, controller.signal);
        const series = mapResults(results, hosts, cfg.instances, (h) => this.deps.settings(h));
        this.store(series);
        for (const s of series) seen.add(s.host);
        this.nextStart = windowEnd + stepMs;
        start = this.nextStart;
      }
      const doneAt = this.now();
      for (const h of hosts) {
        const st = this.statusOf(h.name);
        if (seen.has(h.name) || this.hasInstance(h, this.lastInstances)) st.succeed(doneAt, performance.now() - t0);
        else
          st.fail(doneAt, performance.now() - t0, {
            code: 'not_found',
            message: `Prometheus at ${cfg.url} has no node_exporter instance for ${h.name} (address ${h.address}); map one in metrics.sources.prometheus.instances`,
          });
      }
    } catch (err) {
      const error = toApiError(err);
      const doneAt = this.now();
      for (const h of hosts) this.statusOf(h.name).fail(doneAt, performance.now() - t0, error);
      this.deps.logger?.warn({ err: error.message }, 'metrics: Prometheus poll failed');
    } finally {
      if (this.inFlight === controller) this.inFlight = null;
    }
  }

  /** Instances seen in the last successful answer (a host whose instance had no points in a window is still found). */
  private lastInstances = new Set<string>();

  private hasInstance(host: Host, instances: Set<string>): boolean {
    for (const i of instances) if (hostForInstance(i, [host], this.deps.config.instances) === host.name) return true;
    return false;
  }

  private async fetchAll(start: number, end: number, headers: Record<string, string>, ca: string | undefined, signal: AbortSignal): Promise<Map<MappedQuery, z.infer<typeof MatrixSchema>['data']['result']>> {
    const out = new Map<MappedQuery, z.infer<typeof MatrixSchema>['data']['result']>();
    const queue = [...this.queries];
    const instances = new Set<string>();
    const worker = async () => {
      // Bounded: each iteration takes one query off the queue.
      for (let q = queue.shift(); q; q = queue.shift()) {
        if (signal.aborted) throw new SourceError('cancelled', 'Prometheus poll cancelled');
        const result = await this.queryRange(q, start, end, headers, ca, signal);
        for (const r of result) if (r.metric.instance) instances.add(r.metric.instance);
        out.set(q, result);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    this.lastInstances = instances;
    return out;
  }

  private async queryRange(q: MappedQuery, start: number, end: number, headers: Record<string, string>, ca: string | undefined, signal: AbortSignal) {
    const cfg = this.deps.config;
    const url = new URL('api/v1/query_range', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`);
    url.searchParams.set('query', q.expr);
    url.searchParams.set('start', String(start / 1000));
    url.searchParams.set('end', String(end / 1000));
    url.searchParams.set('step', String(cfg.stepSeconds));
    url.searchParams.set('timeout', `${cfg.timeoutSeconds}s`);
    const res = await httpGet(url, { headers: { ...headers, Accept: 'application/json' }, timeoutMs: cfg.timeoutSeconds * 1000, ca, signal });
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new SourceError('unavailable', `Prometheus at ${cfg.url} sent a malformed answer (not JSON) to the query for ${q.metric}: ${res.body.slice(0, 120)}`);
    }
    const error = ErrorSchema.safeParse(body);
    if (error.success) throw new SourceError('unavailable', `Prometheus at ${cfg.url} refused the query for ${q.metric} (${error.data.errorType ?? 'error'}): ${error.data.error}`);
    const parsed = MatrixSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SourceError('unavailable', `Prometheus at ${cfg.url} sent a malformed answer to the query for ${q.metric}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unexpected shape'}`);
    }
    return parsed.data.data.result;
  }

  private store(series: SeriesPoints[]): void {
    if (!this.sink) return;
    // One batch per host and time, in time order (the store's head keeps points sorted anyway).
    const batches = new Map<string, Map<number, { name: string; labels: Record<string, string>; value: number }[]>>();
    for (const s of series) {
      let byTime = batches.get(s.host);
      if (!byTime) batches.set(s.host, (byTime = new Map()));
      for (const [t, v] of s.points) {
        let list = byTime.get(t);
        if (!list) byTime.set(t, (list = []));
        list.push({ name: s.metric, labels: s.labels, value: v });
      }
    }
    for (const [host, byTime] of batches) {
      for (const t of [...byTime.keys()].sort((a, b) => a - b)) this.sink.append({ host, source: this.name, at: t, values: byTime.get(t)! });
    }
  }

  status(): CollectorStatus[] {
    return [...this.statuses.values()].map((s) => ({ ...s.snapshot(), missedRuns: this.missed }));
  }
}

/**
 * query_range answers → our series for the hosts fed by Prometheus: instance → host,
 * the varying label renamed, interfaces, devices and mounts chosen as the collector
 * chooses them, non-finite values dropped. Exported for unit tests.
 */
export function mapResults(
  results: ReadonlyMap<MappedQuery, readonly { metric: Record<string, string>; values: [number, string][] }[]>,
  hosts: readonly Host[],
  explicit: Readonly<Record<string, string>>,
  settings: (host: Host) => HostCollectorSettings,
): SeriesPoints[] {
  const hostByName = new Map(hosts.map((h) => [h.name, h]));
  const instanceCache = new Map<string, string | null>();
  const hostOf = (instance: string | undefined) => {
    if (!instance) return null;
    if (!instanceCache.has(instance)) instanceCache.set(instance, hostForInstance(instance, hosts, explicit));
    return instanceCache.get(instance) ?? null;
  };
  // A host matched by several instances (two jobs scraping it) takes the first in sort order only.
  const chosenInstance = new Map<string, string>();
  for (const list of results.values()) {
    for (const r of list) {
      const host = hostOf(r.metric.instance);
      if (!host || !r.metric.instance) continue;
      const prev = chosenInstance.get(host);
      if (prev === undefined || r.metric.instance < prev) chosenInstance.set(host, r.metric.instance);
    }
  }
  // Mounts kept per host: the collector's rules applied to the newest sizes.
  const fsKeep = new Map<string, Set<string>>();
  for (const [q, list] of results) {
    if (q.metric !== FS_SIZE_QUERY) continue;
    const perHost = new Map<string, { source: string; type: string; sizeBytes: number; usedBytes: number; availableBytes: number; mount: string }[]>();
    for (const r of list) {
      const host = hostOf(r.metric.instance);
      const last = r.values[r.values.length - 1];
      if (!host || chosenInstance.get(host) !== r.metric.instance || !last || r.metric.mountpoint === undefined) continue;
      const size = Number(last[1]);
      let fsList = perHost.get(host);
      if (!fsList) perHost.set(host, (fsList = []));
      fsList.push({ source: r.metric.device ?? '', type: r.metric.fstype ?? '', sizeBytes: Number.isFinite(size) ? size : 0, usedBytes: 0, availableBytes: 0, mount: r.metric.mountpoint });
    }
    for (const [host, fsList] of perHost) fsKeep.set(host, new Set(selectFilesystems(fsList, settings(hostByName.get(host)!).derive.filesystems).map((f) => f.mount)));
  }
  // Devices and interfaces kept per host (as the collector: filters, whole disks, caps).
  const names = (label: 'device', metricPrefix: string) => {
    const out = new Map<string, string[]>();
    for (const [q, list] of results) {
      if (!q.metric.startsWith(metricPrefix) || q.label?.from !== label) continue;
      for (const r of list) {
        const host = hostOf(r.metric.instance);
        const v = r.metric[label];
        if (!host || chosenInstance.get(host) !== r.metric.instance || v === undefined) continue;
        const l = out.get(host) ?? [];
        if (!l.includes(v)) l.push(v);
        out.set(host, l);
      }
    }
    return out;
  };
  const ifaceKeep = new Map<string, Set<string>>();
  for (const [host, list] of names('device', 'net_')) {
    const d = settings(hostByName.get(host)!).derive;
    ifaceKeep.set(host, new Set(list.sort().filter((i) => !d.ignoreInterfaces.test(i)).slice(0, d.maxInterfaces)));
  }
  const deviceKeep = new Map<string, Set<string>>();
  for (const [host, list] of names('device', 'disk_')) {
    const d = settings(hostByName.get(host)!).derive;
    deviceKeep.set(host, new Set(wholeDevices(list.sort().filter((x) => !d.ignoreDevices.test(x))).slice(0, d.maxDevices)));
  }

  const out: SeriesPoints[] = [];
  for (const [q, list] of results) {
    if (q.metric === FS_SIZE_QUERY) continue;
    for (const r of list) {
      const host = hostOf(r.metric.instance);
      if (!host || chosenInstance.get(host) !== r.metric.instance) continue;
      const labels: Record<string, string> = {};
      if (q.label) {
        const v = r.metric[q.label.from];
        if (v === undefined) continue;
        const keep = q.label.to === 'mount' ? fsKeep.get(host) : q.label.to === 'iface' ? ifaceKeep.get(host) : deviceKeep.get(host);
        if (!keep?.has(v)) continue;
        labels[q.label.to] = v;
      }
      const points: [number, number][] = [];
      for (const [t, s] of r.values) {
        const v = Number(s);
        if (Number.isFinite(v)) points.push([Math.round(t * 1000), v]);
      }
      if (points.length > 0) out.push({ host, metric: q.metric, labels, points });
    }
  }
  return out;
}
