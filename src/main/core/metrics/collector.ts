import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ApiError, Host } from '../../../shared/protocol';
import type { Executor } from '../fleet';
import type { ApprovedCommand, AuditSink, SafetyGate } from '../safety';
import type { HostCollectorSettings } from './config';
import { deriveSample, type ProcessSnapshot, type SeriesValue } from './derive';
import { CollectorOutputError, parseCollectorOutput, type RawSample } from './parse';
import { COLLECTOR_SCRIPT, COLLECTOR_SCRIPT_SHA256 } from './script';
import type { MetricSource, SampleSink } from './types';

export const COLLECTOR_REQUESTER = 'metrics:collector';
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** How often the host list is compared with the inventory (hosts added, removed, edited). */
const RECONCILE_MS = 5_000;
/** Past the run's own timeout, how long to wait for the transport to give up before the run is reported as timed out anyway. */
const HARD_STOP_GRACE_MS = 10_000;
/** How long stop() waits for cancelled runs to report before it returns anyway. */
const STOP_WAIT_MS = 2_000;

export type CollectorState = 'pending' | 'ok' | 'failing' | 'refused';

export interface CollectorStatus {
  host: string;
  /** The source feeding the host (`collector`, `prometheus`, `node_exporter`); absent: the collector. */
  source?: string;
  state: CollectorState;
  intervalMs: number;
  timeoutMs: number;
  lastAttemptAt: string | null;
  /** Last seen: the last run that returned a sample. */
  lastSuccessAt: string | null;
  lastDurationMs: number | null;
  lastError: ApiError | null;
  consecutiveFailures: number;
  runs: number;
  failures: number;
  /** Slots skipped because the previous run of this host was still going. */
  missedRuns: number;
  /** How late the last run started after its scheduled slot. */
  lagMs: number | null;
  inFlight: boolean;
  inFlightSince: string | null;
  nextRunAt: string | null;
  /** Reboots noticed (boot time moved or uptime went back). */
  reboots: number;
  bootAt: string | null;
}

/** A host's status before its first run; every source (collector, Prometheus, node_exporter) starts here. */
export function pendingStatus(host: string, intervalMs: number, timeoutMs: number, source?: string): CollectorStatus {
  return {
    host,
    ...(source === undefined ? {} : { source }),
    state: 'pending',
    intervalMs,
    timeoutMs,
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastDurationMs: null,
    lastError: null,
    consecutiveFailures: 0,
    runs: 0,
    failures: 0,
    missedRuns: 0,
    lagMs: null,
    inFlight: false,
    inFlightSince: null,
    nextRunAt: null,
    reboots: 0,
    bootAt: null,
  };
}

export interface ProcessSnapshotView extends ProcessSnapshot {
  host: string;
  at: string;
}

export interface CollectorDeps {
  /** Hosts to collect from (the inventory); re-read every few seconds. */
  hosts(): Host[];
  settings(host: Host): HostCollectorSettings;
  /** An executor that does not audit each run (this runner writes hourly summaries instead). */
  executor(host: Host): Executor;
  gate: SafetyGate;
  audit: AuditSink;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface CollectOutcome {
  ok: boolean;
  at: number;
  values: SeriesValue[];
  error: ApiError | null;
  rebooted: boolean;
}

interface Summary {
  hourStart: number;
  runs: number;
  ok: number;
  errors: Record<string, number>;
  totalMs: number;
  maxMs: number;
}

interface HostLoop {
  host: Host;
  settings: HostCollectorSettings;
  signature: string;
  executor: Executor;
  timer: NodeJS.Timeout | null;
  /** Offset of this host's slots within the interval. */
  phase: number;
  nextSlot: number;
  inFlight: Promise<CollectOutcome> | null;
  inFlightSince: number | null;
  prev: RawSample | null;
  approval: { key: string; command: ApprovedCommand } | null;
  status: CollectorStatus;
  summary: Summary;
  processes: ProcessSnapshotView | null;
  stopped: boolean;
}

const HOUR = 3_600_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A stable offset in [0, interval) per host, in whole seconds, so hosts do not all run at once. */
export function phaseOf(hostName: string, intervalMs: number): number {
  const h = createHash('sha256').update(hostName).digest().readUInt32BE(0);
  const slots = Math.max(1, Math.floor(intervalMs / 1000));
  return (h % slots) * 1000;
}

/**
 * Runs the collector script on every host on its own schedule: each host has its own
 * timer, one run at a time, and a per-run timeout, so a dead or hung host only delays
 * itself (its skipped slots are counted as missed runs). Every run uses a command the
 * safety gate approved for that host under the current policy version; the approval is
 * re-requested (and so audited) only when the policy or the host's tags change. Instead
 * of an audit row per run, each host gets an hourly summary row.
 */
export class CollectorRunner implements MetricSource {
  readonly name = 'collector';
  private readonly loops = new Map<string, HostLoop>();
  private sink: SampleSink | null = null;
  /** Runs in flight (stop() cancels them) and whether stop() did. */
  private readonly running = new Set<AbortController>();
  private stopped = false;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: CollectorDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(sink: SampleSink): void {
    if (this.sink) return;
    this.sink = sink;
    this.stopped = false;
    this.reconcile();
    this.reconcileTimer = setInterval(() => this.reconcile(), RECONCILE_MS);
    this.reconcileTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    const pending: Promise<unknown>[] = [];
    for (const loop of this.loops.values()) {
      this.stopLoop(loop);
      if (loop.inFlight) pending.push(loop.inFlight.catch(() => undefined));
    }
    // Runs in flight are cancelled (a hung host must not hold up a shutdown); give them a moment to say so.
    this.stopped = true;
    for (const controller of this.running) controller.abort();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending), new Promise((r) => (grace = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(grace);
    for (const loop of this.loops.values()) this.writeSummary(loop, true);
    this.loops.clear();
    this.sink = null;
  }

  /** Compares the loops with the inventory: new hosts start, removed or disabled ones stop, edited ones restart. */
  reconcile(): void {
    let hosts: Host[];
    try {
      hosts = this.deps.hosts();
    } catch (err) {
      this.deps.logger?.warn({ err: (err as Error).message }, 'metrics: could not read the inventory');
      return;
    }
    const wanted = new Map<string, { host: Host; settings: HostCollectorSettings }>();
    for (const host of hosts) {
      const settings = this.deps.settings(host);
      if (settings.enabled) wanted.set(host.name, { host, settings });
    }
    for (const [name, loop] of this.loops) {
      const w = wanted.get(name);
      if (!w || signatureOf(w.host, w.settings) !== loop.signature) {
        this.stopLoop(loop);
        this.writeSummary(loop, true);
        this.loops.delete(name);
      }
    }
    for (const [name, w] of wanted) {
      if (!this.loops.has(name)) this.startLoop(w.host, w.settings);
    }
  }

  private startLoop(host: Host, settings: HostCollectorSettings): void {
    const now = this.now();
    const phase = phaseOf(host.name, settings.intervalMs);
    // The first run comes within a few seconds (a new host, a server start, a long interval),
    // spread by the same phase; later runs fall on the host's aligned slots.
    const first = Math.min(nextAligned(now, phase, settings.intervalMs), now + (phase % Math.min(settings.intervalMs, 5000)));
    const loop: HostLoop = {
      host,
      settings,
      signature: signatureOf(host, settings),
      executor: this.deps.executor(host),
      timer: null,
      phase,
      nextSlot: first,
      inFlight: null,
      inFlightSince: null,
      prev: null,
      approval: null,
      status: pendingStatus(host.name, settings.intervalMs, settings.timeoutMs),
      summary: { hourStart: Math.floor(now / HOUR) * HOUR, runs: 0, ok: 0, errors: {}, totalMs: 0, maxMs: 0 },
      processes: null,
      stopped: false,
    };
    this.loops.set(host.name, loop);
    this.schedule(loop);
  }

  private stopLoop(loop: HostLoop): void {
    loop.stopped = true;
    if (loop.timer) clearTimeout(loop.timer);
    loop.timer = null;
  }

  private schedule(loop: HostLoop): void {
    if (loop.stopped) return;
    const now = this.now();
    const interval = loop.settings.intervalMs;
    if (loop.nextSlot <= now - interval) {
      // The timer fired late (a blocked event loop, a suspended machine): skip to the present.
      const behind = Math.floor((now - loop.nextSlot) / interval);
      loop.status.missedRuns += behind;
      loop.nextSlot += behind * interval;
    }
    loop.status.nextRunAt = iso(loop.nextSlot);
    loop.timer = setTimeout(() => this.tick(loop), Math.max(0, loop.nextSlot - now));
    loop.timer.unref();
  }

  private tick(loop: HostLoop): void {
    loop.timer = null;
    if (loop.stopped) return;
    const slot = loop.nextSlot;
    loop.nextSlot = nextAligned(slot, loop.phase, loop.settings.intervalMs);
    if (loop.inFlight) loop.status.missedRuns++;
    else void this.run(loop, slot);
    this.schedule(loop);
  }

  /** Runs one collection on a host now (tests, benchmarks), or waits for the one in flight. */
  async collectNow(hostName: string): Promise<CollectOutcome> {
    const loop = this.loops.get(hostName);
    if (!loop) throw new Error(`metrics: no collector for host ${hostName} (not in the inventory, or disabled)`);
    if (loop.inFlight) await loop.inFlight.catch(() => undefined);
    return this.run(loop, this.now());
  }

  status(): CollectorStatus[] {
    return [...this.loops.values()].map((l) => ({ ...l.status, inFlight: l.inFlight !== null, inFlightSince: iso(l.inFlightSince) })).sort((a, b) => a.host.localeCompare(b.host));
  }

  hostStatus(hostName: string): CollectorStatus | null {
    return this.status().find((s) => s.host === hostName) ?? null;
  }

  processes(hostName: string): ProcessSnapshotView | null {
    return this.loops.get(hostName)?.processes ?? null;
  }

  private run(loop: HostLoop, slot: number): Promise<CollectOutcome> {
    const started = this.now();
    loop.inFlightSince = started;
    loop.status.lagMs = Math.max(0, started - slot);
    loop.status.lastAttemptAt = iso(started);
    // Registered before anything is awaited, so stop() can cancel a run at any point.
    const controller = new AbortController();
    this.running.add(controller);
    const p = this.collect(loop, started, controller).finally(() => {
      this.running.delete(controller);
      if (loop.inFlight === p) {
        loop.inFlight = null;
        loop.inFlightSince = null;
      }
    });
    loop.inFlight = p;
    return p;
  }

  private approvalFor(loop: HostLoop): { ok: true; command: ApprovedCommand } | { ok: false; error: ApiError } {
    const gate = this.deps.gate;
    const key = `${gate.policyVersion}\0${loop.host.tags.join(',')}`;
    if (loop.approval?.key === key) return { ok: true, command: loop.approval.command };
    // Audited (a `decision` row): once per host per policy version, not once per run.
    const check = gate.check({ command: COLLECTOR_SCRIPT, host: loop.host.name, requester: COLLECTOR_REQUESTER, tags: loop.host.tags });
    if (!check.ok) {
      loop.approval = null;
      return { ok: false, error: { code: 'policy_denied', message: `the safety policy does not allow the metrics collector script on ${loop.host.name} (${check.verdict.decision}): ${check.verdict.reasons.join('; ')}` } };
    }
    loop.approval = { key, command: check.command };
    return { ok: true, command: check.command };
  }

  private async collect(loop: HostLoop, started: number, controller: AbortController): Promise<CollectOutcome> {
    // Stored times are whole seconds: sub-second precision means nothing at this interval and compresses worse.
    const at = Math.round(started / 1000) * 1000;
    const fail = (error: ApiError, durationMs: number): CollectOutcome => {
      this.record(loop, at, durationMs, error, [], false);
      return { ok: false, at, values: [], error, rebooted: false };
    };
    try {
      await this.deps.gate.ready();
    } catch (err) {
      return fail({ code: 'policy_denied', message: `the safety policy could not be loaded: ${(err as Error).message}` }, 0);
    }
    const approval = this.approvalFor(loop);
    if (!approval.ok) return fail(approval.error, 0);
    if (controller.signal.aborted) return fail({ code: 'cancelled', message: 'collection stopped' }, 0);

    const timeoutMs = loop.settings.timeoutMs;
    // The executor's timeout starts once a channel is open; this one also bounds connecting.
    const deadline = setTimeout(() => controller.abort(), timeoutMs);
    deadline.unref();
    let hardTimer: NodeJS.Timeout | null = null;
    const t0 = performance.now();
    let outcome: Awaited<ReturnType<Executor['run']>> | { hardTimeout: true };
    try {
      outcome = await Promise.race([
        loop.executor.run(approval.command, { timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES, signal: controller.signal }),
        new Promise<{ hardTimeout: true }>((resolve) => {
          hardTimer = setTimeout(() => resolve({ hardTimeout: true }), timeoutMs + HARD_STOP_GRACE_MS);
          hardTimer.unref();
        }),
      ]);
    } catch (err) {
      return fail({ code: 'unreachable', message: (err as Error).message }, performance.now() - t0);
    } finally {
      clearTimeout(deadline);
      if (hardTimer) clearTimeout(hardTimer);
    }
    const durationMs = performance.now() - t0;
    if ('hardTimeout' in outcome) return fail({ code: 'timeout', message: `no answer within ${timeoutMs} ms` }, durationMs);
    if (outcome.error) {
      const error: ApiError = outcome.error.code === 'cancelled' && controller.signal.aborted && !this.stopped ? { code: 'timeout', message: `no answer within ${timeoutMs} ms (connecting included)` } : outcome.error;
      return fail(error, durationMs);
    }
    if (outcome.exitCode !== 0) {
      const why = outcome.stderr.trim().split('\n')[0]?.slice(0, 300) || `exit code ${outcome.exitCode ?? outcome.signal}`;
      return fail({ code: 'internal', message: `the collector script failed on ${loop.host.name}: ${why}` }, durationMs);
    }
    let sample: RawSample;
    try {
      sample = parseCollectorOutput(outcome.stdout);
    } catch (err) {
      if (err instanceof CollectorOutputError) return fail({ code: 'internal', message: err.message }, durationMs);
      throw err;
    }
    const derived = deriveSample(loop.prev, sample, loop.settings.derive);
    loop.prev = sample;
    if (derived.rebooted) loop.status.reboots++;
    if (sample.stat?.btime != null) loop.status.bootAt = iso(sample.stat.btime * 1000);
    if (derived.processes) loop.processes = { host: loop.host.name, at: new Date(at).toISOString(), ...derived.processes };
    this.record(loop, at, durationMs, null, derived.values, true);
    return { ok: true, at, values: derived.values, error: null, rebooted: derived.rebooted };
  }

  private record(loop: HostLoop, at: number, durationMs: number, error: ApiError | null, values: SeriesValue[], ok: boolean): void {
    const s = loop.status;
    s.runs++;
    s.lastDurationMs = Math.round(durationMs * 10) / 10;
    if (ok) {
      s.state = 'ok';
      s.lastSuccessAt = iso(at);
      s.lastError = null;
      s.consecutiveFailures = 0;
    } else {
      s.state = error?.code === 'policy_denied' ? 'refused' : 'failing';
      s.failures++;
      s.consecutiveFailures++;
      s.lastError = error;
      if (s.consecutiveFailures === 1) this.deps.logger?.warn({ host: loop.host.name, error }, 'metrics: collection failed');
    }
    // `up` and the run's duration are series too: a chart shows when a host stopped answering.
    const all = [...values, { name: 'collector_up', labels: {}, value: ok ? 1 : 0 }, { name: 'collector_duration_seconds', labels: {}, value: durationMs / 1000 }];
    if (this.sink && !loop.stopped) {
      try {
        this.sink.append({ host: loop.host.name, source: this.name, at, values: all });
      } catch (err) {
        this.deps.logger?.warn({ err: (err as Error).message, host: loop.host.name }, 'metrics: could not store a sample');
      }
    }
    const sum = loop.summary;
    const hour = Math.floor(this.now() / HOUR) * HOUR;
    if (hour !== sum.hourStart) this.writeSummary(loop, false, hour);
    sum.runs++;
    if (ok) sum.ok++;
    else sum.errors[error?.code ?? 'unknown'] = (sum.errors[error?.code ?? 'unknown'] ?? 0) + 1;
    sum.totalMs += durationMs;
    sum.maxMs = Math.max(sum.maxMs, durationMs);
  }

  /** One audit row per host and hour: how many runs, how many failed and why, how long they took. */
  private writeSummary(loop: HostLoop, final: boolean, nextHour?: number): void {
    const sum = loop.summary;
    if (sum.runs > 0) {
      this.deps.audit.record({
        kind: 'execution',
        actor: COLLECTOR_REQUESTER,
        host: loop.host.name,
        subject: `metrics collector script sha256:${COLLECTOR_SCRIPT_SHA256.slice(0, 16)} (hourly summary)`,
        data: {
          summary: final ? 'partial-hour' : 'hour',
          from: new Date(sum.hourStart).toISOString(),
          to: new Date(final ? this.now() : sum.hourStart + HOUR).toISOString(),
          runs: sum.runs,
          ok: sum.ok,
          failed: sum.runs - sum.ok,
          errors: sum.errors,
          meanDurationMs: Math.round(sum.totalMs / sum.runs),
          maxDurationMs: Math.round(sum.maxMs),
          scriptSha256: COLLECTOR_SCRIPT_SHA256,
          policyVersion: loop.approval?.command.policyVersion ?? this.deps.gate.policyVersion,
        },
      });
    }
    loop.summary = { hourStart: nextHour ?? Math.floor(this.now() / HOUR) * HOUR, runs: 0, ok: 0, errors: {}, totalMs: 0, maxMs: 0 };
  }
}

/** The first slot of this phase strictly after t. */
function nextAligned(t: number, phase: number, intervalMs: number): number {
  return Math.floor((t - phase) / intervalMs) * intervalMs + phase + intervalMs;
}

function signatureOf(host: Host, settings: HostCollectorSettings): string {
  return JSON.stringify([host, settings.intervalMs, settings.timeoutMs, settings.derive.filesystems, settings.derive.ignoreInterfaces.source, settings.derive.topProcesses]);
}
