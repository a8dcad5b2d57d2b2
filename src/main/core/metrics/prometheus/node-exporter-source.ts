import { performance } from 'node:perf_hooks';
import type { Host } from '../../../../shared/protocol';
import type { SecretStore } from '../../secrets';
import type { CollectorStatus } from '../collector';
import type { HostCollectorSettings, MetricsConfig } from '../config';
import { deriveSample } from '../derive';
import type { RawSample } from '../parse';
import type { MetricSource, SampleSink } from '../types';
import { authorizationHeader, HostStatus, readCa, SourceError, toApiError } from './common';
import { ExpositionError, parseExposition } from './exposition';
import { httpGet } from './http';
import { rawSampleFromNodeExporter } from './node-mapping';

const RECONCILE_MS = 5_000;

export interface NodeExporterSourceDeps {
  hosts(): Host[];
  settings(host: Host): HostCollectorSettings;
  config: MetricsConfig['sources']['nodeExporter'];
  secrets?: SecretStore;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

interface Loop {
  host: Host;
  settings: HostCollectorSettings;
  url: URL;
  signature: string;
  timer: NodeJS.Timeout | null;
  inFlight: AbortController | null;
  prev: RawSample | null;
  status: HostStatus;
}

/** node_exporter's URL for a host: its own `nodeExporterUrl`, else scheme://address:port/path. */
export function nodeExporterUrl(host: Pick<Host, 'address'>, settings: Pick<HostCollectorSettings, 'nodeExporterUrl'>, config: MetricsConfig['sources']['nodeExporter']): URL {
  if (settings.nodeExporterUrl) return new URL(settings.nodeExporterUrl);
  const address = host.address.includes(':') && !host.address.startsWith('[') ? `[${host.address}]` : host.address;
  return new URL(`${config.scheme}://${address}:${config.port}${config.path}`);
}

/**
 * Scrapes node_exporter's /metrics directly, for hosts whose `source` is `node_exporter`:
 * one loop per host on the host's interval, each scrape bounded by the host's timeout,
 * one at a time (a slot that finds the previous scrape still running is a missed run).
 * The exposition becomes the collector's raw sample and goes through the same
 * derivation, so rates, wraps, resets and reboots are handled exactly alike. A scrape
 * that fails or cannot be parsed stores nothing and keeps the previous sample, so the
 * next good one computes its rates over the whole gap.
 */
export class NodeExporterSource implements MetricSource {
  readonly name = 'node_exporter';
  private readonly loops = new Map<string, Loop>();
  private sink: SampleSink | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: NodeExporterSourceDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(sink: SampleSink): void {
    if (this.sink) return;
    this.sink = sink;
    this.reconcile();
    this.reconcileTimer = setInterval(() => this.reconcile(), RECONCILE_MS);
    this.reconcileTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    for (const loop of this.loops.values()) this.stopLoop(loop);
    this.loops.clear();
    this.sink = null;
  }

  reconcile(): void {
    let hosts: Host[];
    try {
      hosts = this.deps.hosts();
    } catch (err) {
      this.deps.logger?.warn({ err: (err as Error).message }, 'metrics: could not read the inventory');
      return;
    }
    const wanted = new Map<string, { host: Host; settings: HostCollectorSettings; url: URL }>();
    for (const host of hosts) {
      const settings = this.deps.settings(host);
      if (!settings.enabled || settings.source !== 'node_exporter') continue;
      try {
        wanted.set(host.name, { host, settings, url: nodeExporterUrl(host, settings, this.deps.config) });
      } catch (err) {
        this.deps.logger?.warn({ host: host.name, err: (err as Error).message }, 'metrics: no node_exporter URL for this host');
      }
    }
    for (const [name, loop] of this.loops) {
      const w = wanted.get(name);
      if (!w || signature(w) !== loop.signature) {
        this.stopLoop(loop);
        this.loops.delete(name);
      }
    }
    for (const [name, w] of wanted) {
      if (this.loops.has(name)) continue;
      const loop: Loop = { ...w, signature: signature(w), timer: null, inFlight: null, prev: null, status: new HostStatus(name, this.name, w.settings.intervalMs, w.settings.timeoutMs) };
      this.loops.set(name, loop);
      this.schedule(loop, 0);
    }
  }

  private schedule(loop: Loop, delayMs: number): void {
    loop.status.status.nextRunAt = new Date(this.now() + delayMs).toISOString();
    loop.timer = setTimeout(() => {
      loop.timer = null;
      if (this.loops.get(loop.host.name) !== loop) return;
      this.schedule(loop, loop.settings.intervalMs);
      if (loop.inFlight) {
        loop.status.status.missedRuns++;
        return;
      }
      void this.scrape(loop);
    }, delayMs);
    loop.timer.unref();
  }

  private stopLoop(loop: Loop): void {
    if (loop.timer) clearTimeout(loop.timer);
    loop.timer = null;
    loop.inFlight?.abort();
  }

  /** One scrape of one host (exported for tests through scrapeOnce). */
  private async scrape(loop: Loop): Promise<void> {
    const controller = new AbortController();
    loop.inFlight = controller;
    const startedAt = this.now();
    const t0 = performance.now();
    loop.status.begin(startedAt);
    try {
      const [headers, ca] = await Promise.all([authorizationHeader(this.deps.config.auth, this.deps.secrets, `node_exporter of ${loop.host.name}`), readCa(this.deps.config.caFile)]);
      const res = await httpGet(loop.url, { headers: { ...headers, Accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' }, timeoutMs: loop.settings.timeoutMs, ca, signal: controller.signal, maxBytes: 16 * 1024 * 1024 });
      if (res.status !== 200) throw new SourceError('unavailable', `${loop.url.href} answered HTTP ${res.status}`);
      let cur: RawSample;
      try {
        cur = rawSampleFromNodeExporter(parseExposition(res.body).samples);
      } catch (err) {
        if (err instanceof ExpositionError) throw new SourceError('unavailable', `${loop.url.href} sent a malformed exposition (${err.message})`);
        throw err;
      }
      if (!cur.stat && !cur.loadavg && !cur.meminfo) throw new SourceError('unavailable', `${loop.url.href} has no node_* metrics: is it node_exporter?`);
      const at = this.now();
      const derived = deriveSample(loop.prev, cur, loop.settings.derive);
      if (derived.rebooted) loop.status.status.reboots++;
      if (cur.stat?.btime) loop.status.status.bootAt = new Date(cur.stat.btime * 1000).toISOString();
      loop.prev = cur;
      if (this.loops.get(loop.host.name) === loop && this.sink) {
        this.sink.append({ host: loop.host.name, source: this.name, at, values: derived.values });
        loop.status.succeed(at, performance.now() - t0);
      }
    } catch (err) {
      loop.status.fail(this.now(), performance.now() - t0, toApiError(err));
      this.deps.logger?.debug({ host: loop.host.name, err: (err as Error).message }, 'metrics: node_exporter scrape failed');
    } finally {
      if (loop.inFlight === controller) loop.inFlight = null;
    }
  }

  /** Scrapes every wanted host once now (tests; `fleetmind metrics` diagnostics). */
  async scrapeOnce(): Promise<void> {
    if (this.loops.size === 0) this.reconcile();
    await Promise.all([...this.loops.values()].filter((l) => !l.inFlight).map((l) => this.scrape(l)));
  }

  status(): CollectorStatus[] {
    return [...this.loops.values()].map((l) => ({ ...l.status.snapshot(), inFlight: l.inFlight !== null }));
  }
}

function signature(w: { host: Host; settings: HostCollectorSettings; url: URL }): string {
  return JSON.stringify([w.url.href, w.settings.intervalMs, w.settings.timeoutMs, w.settings.derive.ignoreInterfaces.source, w.settings.derive.filesystems]);
}
