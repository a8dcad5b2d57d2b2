import { createHash } from 'node:crypto';
import type {
  AlertIngestResult,
  AlertList,
  AlertmanagerWebhook,
  AlertSeverity,
  AlertSource,
  AlertState,
  AlertView,
  Interpretation,
  SilenceList,
  SilenceRequest,
  SilenceView,
} from '../../../shared/protocol';
import { SilenceRequestSchema } from '../../../shared/protocol';
import { parseSeriesSelector, type QueryOutcome, type SeriesInfo, type SeriesQuery } from '../metrics';
import type { AuditSink } from '../safety';
import type { AlertRepository, NewAlert } from '../store';
import type { AlertsConfig, ThresholdRule } from './config';
import { InterpretationLimiter } from './rate-limit';
import { compileMatcher, silenceActive, silenceMatches } from './silences';
import { ThresholdEvaluator } from './thresholds';

/** What other parts (forecasts, remediation, tests) hand to `AlertService.raise`. */
export interface RaiseInput {
  source: AlertSource;
  /** An inventory host name, or null when the alert is about no single host. */
  host: string | null;
  /** The alert's name (Alertmanager's `alertname`): DiskWillFill, HighLoad... */
  name: string;
  severity: AlertSeverity;
  summary: string;
  labels?: Record<string, string>;
  /** Stable identity of the condition; default: a hash of source, name, host and labels. Raising it again while open is a repeat, not a new alert. */
  fingerprint?: string;
  value?: number | null;
  /** ISO time a forecast predicts the condition (e.g. the disk full). */
  predictedAt?: string | null;
  /** Free text shown beside the summary (description, runbook URL...). */
  annotations?: Record<string, string>;
}

/** The metrics the evaluator reads (MetricsService satisfies it). */
export interface AlertMetricsPort {
  hosts(): string[];
  listSeries(host: string): SeriesInfo[];
  query(q: SeriesQuery): QueryOutcome;
}

/** Reported anomalies since a time (the anomaly tracker's public list, through the metrics service). */
export type AnomalyFeed = (since: number) => readonly { host: string; series: string; at: number; value: number | null; score: number }[];

/** Explains one alert (interpret.ts); the service decides when, the interpreter how. */
export interface AlertInterpreter {
  interpret(alert: AlertView, signal: AbortSignal): Promise<Interpretation>;
}

export interface AlertServiceDeps {
  repository: AlertRepository;
  config: AlertsConfig;
  /** Inventory hosts, to map Alertmanager labels (instance, host, nodename) onto one. */
  inventory: () => readonly { name: string; address: string }[];
  metrics?: () => AlertMetricsPort | null;
  anomalies?: AnomalyFeed;
  interpreter?: AlertInterpreter | null;
  logger?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  /** Arrivals and acknowledgements are recorded as requests, silences as settings (they change what is shown). */
  audit?: AuditSink;
  now?: () => number;
}

export type AlertEvent = { type: 'alert'; alert: AlertView; change: 'created' | 'repeated' | 'resolved' | 'acknowledged' | 'silenced' | 'interpreted' };

const SEVERITY_WORDS: Record<string, AlertSeverity> = {
  critical: 'critical',
  crit: 'critical',
  error: 'critical',
  page: 'critical',
  high: 'critical',
  emergency: 'critical',
  warning: 'warning',
  warn: 'warning',
  medium: 'warning',
  info: 'info',
  informational: 'info',
  none: 'info',
  low: 'info',
  notice: 'info',
};

/** Alertmanager's `severity` label (any casing, common synonyms) → ours; unknown or missing → warning. */
export function severityOf(labels: Readonly<Record<string, string>>): AlertSeverity {
  const word = (labels.severity ?? '').trim().toLowerCase();
  // Own keys only: a label `severity: constructor` (or __proto__, toString) must not pick up
  // Object.prototype's members, which SQLite cannot bind (a 500 for the whole payload).
  return Object.hasOwn(SEVERITY_WORDS, word) ? SEVERITY_WORDS[word]! : 'warning';
}

/**
 * Fingerprints of Fleetmind's own alerts (thresholds, anomalies, forecasts) live in their own
 * namespace: `fm/` holds a `/`, which a webhook fingerprint may not (protocol schema). So
 * whoever holds an alerts:write token cannot name one of our alerts: not resolve it with a
 * resolved notification, not pre-plant an open firing under its fingerprint that our raise
 * would then update instead of firing (hiding it), not collide with it on (fingerprint, startsAt).
 */
export const OWN_FINGERPRINT_PREFIX = 'fm/';
export function ownFingerprint(fingerprint: string): string {
  return fingerprint.startsWith(OWN_FINGERPRINT_PREFIX) ? fingerprint : `${OWN_FINGERPRINT_PREFIX}${fingerprint}`;
}

/** Go's zero time, which Alertmanager sends as endsAt of an alert with no end yet. */
function endOf(endsAt: string | undefined): string | null {
  if (!endsAt) return null;
  const t = Date.parse(endsAt);
  return Number.isNaN(t) || t <= 0 ? null : new Date(t).toISOString();
}

/**
 * Annotation text kept per alert. The webhook schema allows 64 annotations of 8 KiB (512 KiB
 * per alert), and alerts.maxStored counts rows, not bytes: without this, an alerts:write token
 * could store ~1 MiB per row (a disk of 100 GiB at the default 100 000 rows) and make each page
 * of the list hundreds of MiB. Real annotations (summary, description, runbook_url) are far
 * smaller; what is cut is said so in the alert.
 */
export const MAX_ANNOTATION_CHARS_PER_ALERT = 16_384;
export const TRUNCATED_ANNOTATION = 'fleetmind_truncated';

function boundAnnotations(annotations: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  let left = MAX_ANNOTATION_CHARS_PER_ALERT;
  let dropped = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const room = left - key.length;
    if (room <= 0) {
      dropped += key.length + value.length;
      continue;
    }
    kept[key] = value.length > room ? `${value.slice(0, room - 1)}…` : value;
    dropped += Math.max(0, value.length - room + 1);
    left -= key.length + kept[key]!.length;
  }
  if (dropped > 0) kept[TRUNCATED_ANNOTATION] = `${dropped} characters of annotations were not kept (at most ${MAX_ANNOTATION_CHARS_PER_ALERT} per alert)`;
  return kept;
}

/** Longest group key stored (Alertmanager's are `{}:{alertname="X"}`-sized; the webhook allows 8192). */
const MAX_GROUP_KEY_CHARS = 256;

const sha = (parts: readonly unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);

/** A short, single-line summary from untrusted text (no control characters, bounded). */
function oneLine(text: string, max = 300): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Alerts from every source: Alertmanager webhooks, threshold rules and anomaly detectors on
 * collected metrics, forecasts (other modules call `raise`). De-duplicates (fingerprint and
 * startsAt), applies silences, keeps acknowledgements, and has each new firing explained by
 * the interpreter within a rate limit and an hourly budget.
 */
export class AlertService {
  private readonly thresholds = new ThresholdEvaluator();
  private readonly limiter: InterpretationLimiter;
  private readonly listeners = new Set<(event: AlertEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  /** Anomalies older than this are not raised (none from before this process started). */
  private readonly anomaliesSince: number;
  /** The newest anomaly point raised per host and series: a point is raised once, however often it is read. */
  private readonly anomalySeen = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: AlertView[] = [];
  private readonly aborter = new AbortController();
  private restored = false;
  /** During one webhook: firing alerts per group key, for the storm note of deferred interpretations. */
  private groupFiring: Map<string, number> | null = null;
  private prunedAt = -Infinity;

  constructor(private readonly deps: AlertServiceDeps) {
    this.limiter = new InterpretationLimiter(deps.config.interpretation);
    this.anomaliesSince = this.now();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Live alert changes (the UI badge, desktop notifications); returns the unsubscribe function. */
  subscribe(listener: (event: AlertEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: AlertEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.deps.logger?.warn({ err: String(err) }, 'an alert listener failed');
      }
    }
  }

  // ---------------------------------------------------------------- raising

  /**
   * Raises an alert from inside Fleetmind (threshold, anomaly, forecast). While an alert with
   * the same fingerprint is open, raising it again is a repeat: it counts one more notification
   * and takes the new severity, summary, value and predictedAt (labels and state stay); once
   * resolved, raising it starts a new firing. Returns the stored alert.
   */
  raise(input: RaiseInput): AlertView {
    const labels: Record<string, string> = { ...(input.labels ?? {}), alertname: input.name, severity: input.severity, source: input.source };
    if (input.host) labels.host = input.host;
    const fingerprint = ownFingerprint(input.fingerprint ?? sha([input.source, input.name, input.host, Object.entries(input.labels ?? {}).sort()]));
    const open = this.deps.repository.findOpen(fingerprint);
    const startsAt = open?.startsAt ?? new Date(this.now()).toISOString();
    return this.store(
      {
        fingerprint,
        startsAt,
        endsAt: null,
        source: input.source,
        name: oneLine(input.name, 128),
        host: input.host,
        severity: input.severity,
        summary: oneLine(input.summary),
        labels,
        annotations: input.annotations ?? {},
        groupKey: `${input.source}/${input.name}`,
        value: input.value ?? null,
        predictedAt: input.predictedAt ?? null,
        generatorURL: null,
      },
      'internal',
    ).alert;
  }

  /** Closes the open firing of a fingerprint (a cleared threshold, a forecast that no longer holds). False: none was open. */
  resolve(fingerprint: string): boolean {
    const open = this.deps.repository.findOpen(ownFingerprint(fingerprint));
    if (!open) return false;
    return this.close(open, null);
  }

  private close(alert: AlertView, endsAt: string | null): boolean {
    if (!this.deps.repository.resolve(alert.id, endsAt, new Date(this.now()).toISOString())) return false;
    const closed = this.deps.repository.get(alert.id);
    if (closed) this.emit({ type: 'alert', alert: closed, change: 'resolved' });
    return true;
  }

  /** Stores a firing (new, or a repeat of a known one), applying silences; interprets new ones. */
  private store(alert: Omit<NewAlert, 'state' | 'silencedBy'>, via: string, batch?: { silences: SilenceView[] }): { alert: AlertView; created: boolean } {
    const now = this.now();
    const silence = (batch?.silences ?? this.activeSilences(now)).find((s) => silenceMatches(s, alert.labels));
    const { alert: stored, created } = this.deps.repository.upsertFiring({ ...alert, state: silence ? 'silenced' : 'firing', silencedBy: silence?.id ?? null }, new Date(now).toISOString(), { refresh: via === 'internal' });
    this.emit({ type: 'alert', alert: stored, change: created ? 'created' : 'repeated' });
    if (created) {
      // A webhook is audited once for its whole payload (ingest); an alert of our own here.
      if (!batch) this.deps.audit?.record({ kind: 'request', actor: via, host: stored.host ?? undefined, subject: `alert ${stored.name}`, data: { id: stored.id, event: 'alert', source: stored.source, severity: stored.severity, fingerprint: stored.fingerprint, state: stored.state } });
      if (stored.state === 'firing') this.requestInterpretation(stored);
    }
    return { alert: stored, created };
  }

  // ---------------------------------------------------------------- Alertmanager

  /** Maps Alertmanager's labels onto an inventory host: host, hostname, nodename, then instance (port stripped), by name or address. */
  hostOf(labels: Readonly<Record<string, string>>): string | null {
    const hosts = this.deps.inventory();
    const candidates: string[] = [];
    for (const key of ['host', 'hostname', 'nodename', 'instance']) {
      const raw = labels[key]?.trim();
      if (!raw) continue;
      candidates.push(raw);
      // instance is usually host:port, [v6]:port
      const m = /^\[([^\]]+)\](?::\d+)?$/.exec(raw) ?? /^([^:]+):\d+$/.exec(raw);
      if (m) candidates.push(m[1]!);
    }
    for (const c of candidates) {
      const lower = c.toLowerCase();
      const found = hosts.find((h) => h.name.toLowerCase() === lower) ?? hosts.find((h) => h.address.toLowerCase() === lower);
      if (found) return found.name;
    }
    return null;
  }

  /**
   * A webhook from Alertmanager (already validated against the protocol's schema and limits).
   * Firing alerts are stored once per (fingerprint, startsAt): a retry or a repeat only counts;
   * resolved ones close their firing (or are recorded closed when the firing never reached us).
   */
  ingest(payload: AlertmanagerWebhook, actor: string): AlertIngestResult {
    // Bounded storage: whoever holds an alerts:write token cannot fill the disk.
    const max = this.deps.config.maxStored;
    if (this.deps.repository.total() + payload.alerts.length > max) {
      this.deps.repository.trimResolved(max - payload.alerts.length);
      if (this.deps.repository.total() + payload.alerts.length > max) throw new AlertCapacityError(`${max} alerts are stored and none of them resolved can make room (alerts.maxStored); resolve or silence some, or raise the limit`);
    }
    // One transaction per payload (all of it or none), silences read once, one audit row.
    let result: AlertIngestResult;
    this.groupFiring = new Map();
    try {
      result = this.deps.repository.batch(() => this.ingestAlerts(payload, actor));
    } finally {
      this.groupFiring = null;
    }
    this.deps.audit?.record({ kind: 'request', actor, subject: 'alertmanager webhook', data: { event: 'alerts', groupKey: payload.groupKey.slice(0, 300), status: payload.status, ...result } });
    return result;
  }

  private ingestAlerts(payload: AlertmanagerWebhook, actor: string): AlertIngestResult {
    const batch = { silences: this.activeSilences(this.now()) };
    // Stored in every alert of the payload (and quoted in storm notes): bounded, still distinct.
    const groupKey = payload.groupKey.length <= MAX_GROUP_KEY_CHARS ? payload.groupKey : `${payload.groupKey.slice(0, MAX_GROUP_KEY_CHARS - 20)}…${sha([payload.groupKey])}`;
    const result: AlertIngestResult = { received: payload.alerts.length, created: 0, duplicates: 0, resolved: 0, silenced: 0 };
    for (const a of payload.alerts) {
      const startsAt = new Date(Date.parse(a.startsAt)).toISOString();
      const labels = { ...a.labels };
      // Not merged with payload.commonAnnotations: Alertmanager's common annotations are those every
      // alert already carries, and merging them let one 1 MiB request store ~0.5 MiB in each of
      // its 1000 alerts (a disk-filling amplification for whoever holds an alerts:write token).
      const annotations = boundAnnotations(a.annotations);
      const name = labels.alertname ?? 'UnnamedAlert';
      const known = this.deps.repository.findFiring(a.fingerprint, startsAt);
      if (a.status === 'resolved') {
        const target =
          known ??
          this.deps.repository.upsertFiring(
            { fingerprint: a.fingerprint, startsAt, endsAt: endOf(a.endsAt), source: 'alertmanager', name: oneLine(name, 128), host: this.hostOf(labels), severity: severityOf(labels), state: 'firing', summary: oneLine(annotations.summary ?? annotations.description ?? name), labels, annotations, groupKey, value: null, predictedAt: null, generatorURL: a.generatorURL ?? null, silencedBy: null },
            new Date(this.now()).toISOString(),
          ).alert;
        if (this.close(target, endOf(a.endsAt))) result.resolved++;
        else result.duplicates++;
        continue;
      }
      if (known) {
        this.store({ fingerprint: a.fingerprint, startsAt, endsAt: null, source: 'alertmanager', name, host: known.host, severity: known.severity, summary: known.summary, labels, annotations, groupKey, value: null, predictedAt: null, generatorURL: null }, actor, batch);
        result.duplicates++;
        continue;
      }
      const { alert } = this.store(
        {
          fingerprint: a.fingerprint,
          startsAt,
          endsAt: endOf(a.endsAt),
          source: 'alertmanager',
          name: oneLine(name, 128),
          host: this.hostOf(labels),
          severity: severityOf(labels),
          summary: oneLine(annotations.summary ?? annotations.description ?? name),
          labels,
          annotations,
          groupKey,
          value: null,
          predictedAt: null,
          generatorURL: a.generatorURL ?? null,
        },
        actor,
        batch,
      );
      result.created++;
      if (alert.state === 'silenced') result.silenced++;
    }
    return result;
  }

  // ---------------------------------------------------------------- reading and deciding

  list(filter: { state?: AlertState; host?: string; source?: AlertSource; limit?: number } = {}): AlertList {
    return { alerts: this.deps.repository.list(filter), counts: this.deps.repository.counts() };
  }

  get(id: string): AlertView | null {
    return this.deps.repository.get(id);
  }

  /** Acknowledged: someone is on it (firing ones change state; the interpretation stays). Null: unknown id. */
  acknowledge(id: string, by: string): AlertView | null {
    const before = this.deps.repository.get(id);
    if (!before) return null;
    const after = this.deps.repository.acknowledge(id, by, new Date(this.now()).toISOString());
    if (after) {
      this.deps.audit?.record({ kind: 'request', actor: by, host: after.host ?? undefined, subject: `alert ${after.name}`, data: { id, event: 'acknowledged' } });
      this.emit({ type: 'alert', alert: after, change: 'acknowledged' });
    }
    return after;
  }

  private activeSilences(now: number): SilenceView[] {
    return this.deps.repository.silences().filter((s) => silenceActive(s, now));
  }

  listSilences(): SilenceList {
    return { silences: this.deps.repository.silences(true).slice(0, 200) };
  }

  /** Creates a silence and applies it to open alerts it matches; throws SilenceError on a bad request. */
  createSilence(request: SilenceRequest, by: string): SilenceView {
    const parsed = SilenceRequestSchema.safeParse(request);
    if (!parsed.success) throw new SilenceError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    for (const m of parsed.data.matchers) if (m.isRegex && !compileMatcher(m.value)) throw new SilenceError(`matcher ${m.name}: not a valid regular expression that runs in linear time (RE2 syntax, as Alertmanager's: no backreferences or lookarounds)`);
    const now = this.now();
    const endsAt = parsed.data.endsAt !== undefined ? Date.parse(parsed.data.endsAt) : now + (parsed.data.durationMinutes ?? 0) * 60_000;
    if (endsAt <= now) throw new SilenceError('endsAt is in the past');
    const silence = this.deps.repository.createSilence({ matchers: parsed.data.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex })), startsAt: new Date(now).toISOString(), endsAt: new Date(endsAt).toISOString(), comment: parsed.data.comment, createdBy: by });
    const matched = this.deps.repository.open().filter((a) => a.state !== 'silenced' && silenceMatches(silence, a.labels));
    this.deps.repository.silence(
      matched.map((a) => a.id),
      silence.id,
      new Date(now).toISOString(),
    );
    this.deps.audit?.record({ kind: 'settings', actor: by, subject: 'alert silence', data: { id: silence.id, event: 'silence-created', matchers: silence.matchers, endsAt: silence.endsAt, alerts: matched.length } });
    for (const a of matched) {
      const after = this.deps.repository.get(a.id);
      if (after) this.emit({ type: 'alert', alert: after, change: 'silenced' });
    }
    return silence;
  }

  /** Ends a silence now; its alerts that still fire show as firing again. False: unknown or already over. */
  expireSilence(id: string, by: string): boolean {
    if (!this.deps.repository.expireSilence(id, new Date(this.now()).toISOString())) return false;
    this.deps.repository.unsilence(id, new Date(this.now()).toISOString());
    this.deps.audit?.record({ kind: 'settings', actor: by, subject: 'alert silence', data: { id, event: 'silence-expired' } });
    return true;
  }

  // ---------------------------------------------------------------- interpretation

  /**
   * Queues an explanation of a new firing. Past the rate limit or the hourly budget (an alert
   * storm) it is not run: the alert says "deferred (storm)" with its group, and the operator
   * can still ask for one later (POST /api/alerts/:id/interpret).
   */
  requestInterpretation(alert: AlertView, options: { force?: boolean } = {}): Interpretation {
    const cfg = this.deps.config.interpretation;
    const at = new Date(this.now()).toISOString();
    if (!this.deps.interpreter || !cfg.enabled) {
      return { status: 'deferred', engine: null, text: 'interpretation is turned off (alerts.interpretation.enabled)', context: [], at };
    }
    // An operator's explicit request skips the storm limits (one click is one interpretation), not the queue bound.
    const admission = options.force ? ({ ok: true } as const) : this.limiter.admit(this.now());
    const queueFull = this.waiting.length >= 50;
    if (!admission.ok || queueFull) {
      // Counted once per group and webhook, then kept up to date: this runs for every deferred
      // alert of a storm, and listing (and parsing) up to 5000 rows each time, or even counting
      // the group each time, made one 1000-alert payload take seconds of event loop.
      const known = this.groupFiring?.get(alert.groupKey);
      const open = known === undefined ? this.deps.repository.countFiring(alert.groupKey) : known + 1;
      this.groupFiring?.set(alert.groupKey, open);
      const why = !admission.ok ? admission.message : 'too many interpretations are waiting';
      const deferred: Interpretation = {
        status: 'deferred',
        engine: null,
        text: `deferred (storm): ${why}. ${open} alert(s) of group "${alert.groupKey}" are firing; explain one of them on request.`,
        context: [],
        at,
      };
      this.deps.repository.setInterpretation(alert.id, alert.fingerprint, deferred, at);
      this.emitChanged(alert.id);
      return deferred;
    }
    const pending: Interpretation = { status: 'pending', engine: null, text: 'gathering context…', context: [], at };
    this.deps.repository.setInterpretation(alert.id, alert.fingerprint, pending, at);
    this.waiting.push(alert);
    this.pump();
    return pending;
  }

  private emitChanged(id: string): void {
    const a = this.deps.repository.get(id);
    if (a) this.emit({ type: 'alert', alert: a, change: 'interpreted' });
  }

  private pump(): void {
    while (this.running.size < this.deps.config.interpretation.concurrency && this.waiting.length > 0) {
      const alert = this.waiting.shift()!;
      const run = this.runInterpretation(alert).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async runInterpretation(alert: AlertView): Promise<void> {
    const interpreter = this.deps.interpreter;
    if (!interpreter) return;
    let result: Interpretation;
    try {
      result = await interpreter.interpret(alert, this.aborter.signal);
    } catch (err) {
      result = { status: 'failed', engine: null, text: `could not interpret: ${(err as Error).message}`, context: [], at: new Date(this.now()).toISOString() };
    }
    if (this.aborter.signal.aborted) return;
    try {
      this.deps.repository.setInterpretation(alert.id, alert.fingerprint, result, new Date(this.now()).toISOString());
      this.emitChanged(alert.id);
    } catch (err) {
      this.deps.logger?.warn({ err: String(err) }, 'could not store an alert interpretation');
    }
  }

  /** Resolves when no interpretation is running or waiting (tests, shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000 && (this.running.size > 0 || this.waiting.length > 0); i++) await Promise.all([...this.running]);
  }

  // ---------------------------------------------------------------- evaluation on collected metrics

  /** Starts evaluating thresholds and anomalies every `evaluateSeconds` (the server and the desktop app). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.evaluate(), this.deps.config.evaluateSeconds * 1000);
    this.timer.unref();
  }

  /** One evaluation pass (the timer's; tests call it directly). Never throws. */
  evaluate(): void {
    try {
      this.evaluateThresholds();
      this.evaluateAnomalies();
      this.expireEnded();
      this.applyRetention();
    } catch (err) {
      this.deps.logger?.warn({ err: String(err) }, 'alert evaluation failed');
    }
  }

  private thresholdFingerprint(rule: ThresholdRule, host: string, series: string): string {
    return ownFingerprint(sha(['threshold', rule.name, host, series]));
  }

  private evaluateThresholds(): void {
    const metrics = this.deps.metrics?.();
    if (!metrics) return;
    const now = this.now();
    const rules = this.deps.config.thresholds;
    if (!this.restored) {
      // Open threshold alerts from before a restart keep firing until they clear (no duplicate firing).
      this.restored = true;
      const open = new Set(this.deps.repository.open('threshold').map((a) => a.fingerprint));
      for (const rule of rules)
        for (const host of metrics.hosts())
          for (const s of this.matchingSeries(metrics, rule, host)) {
            const key = seriesName(s);
            if (open.has(this.thresholdFingerprint(rule, host, key))) this.thresholds.restore(rule, `${host}\u0000${key}`);
          }
    }
    for (const rule of rules) {
      for (const host of metrics.hosts()) {
        if (rule.hosts && !rule.hosts.includes(host)) continue;
        for (const s of this.matchingSeries(metrics, rule, host)) {
          // Only fresh points: a host that stopped reporting neither fires nor clears.
          if (s.lastAt === null || now - s.lastAt > Math.max(5 * 60_000, this.deps.config.evaluateSeconds * 4000)) continue;
          const outcome = metrics.query({ host, metric: s.metric, labels: s.labels, since: s.lastAt, until: s.lastAt });
          const point = outcome.ok ? outcome.result.points[outcome.result.points.length - 1] : undefined;
          if (!point) continue;
          const key = seriesName(s);
          const transition = this.thresholds.evaluate(rule, `${host}\u0000${key}`, point[1], point[0]);
          const fingerprint = this.thresholdFingerprint(rule, host, key);
          if (transition === 'fire') {
            this.raise({
              source: 'threshold',
              host,
              name: rule.name,
              severity: rule.severity,
              summary: `${rule.summary ?? `${key} ${rule.op} ${rule.value}`} (now ${formatNumber(point[1])})`,
              labels: { ...s.labels, metric: s.metric },
              annotations: { rule: `${key} ${rule.op} ${rule.value} for ${rule.forSeconds}s, clears past ${rule.clearAt ?? rule.value}` },
              fingerprint,
              value: point[1],
            });
          } else if (transition === 'clear') {
            this.resolve(fingerprint);
          }
        }
      }
    }
  }

  private matchingSeries(metrics: AlertMetricsPort, rule: ThresholdRule, host: string): SeriesInfo[] {
    let selector: { name: string; labels: Record<string, string> };
    try {
      selector = parseSeriesSelector(rule.metric);
    } catch {
      return [];
    }
    return metrics.listSeries(host).filter((s) => s.metric === selector.name && Object.entries(selector.labels).every(([k, v]) => s.labels[k] === v));
  }

  private evaluateAnomalies(): void {
    const cfg = this.deps.config.anomaly;
    const feed = this.deps.anomalies;
    if (!cfg.enabled || !feed) return;
    const now = this.now();
    // A look-back, since a point is stored a little after its time (the collector's run).
    const since = Math.max(this.anomaliesSince, now - 5 * 60_000);
    for (const e of feed(since)) {
      const key = `${e.host}\u0000${e.series}`;
      if (e.score < cfg.minScore || e.at < since || e.at <= (this.anomalySeen.get(key) ?? -Infinity)) continue;
      this.anomalySeen.set(key, e.at);
      if (this.anomalySeen.size > 10_000) this.anomalySeen.delete(this.anomalySeen.keys().next().value as string);
      this.raise({
        source: 'anomaly',
        host: e.host,
        name: 'AnomalousMetric',
        severity: cfg.severity,
        summary: `${e.series} is behaving unusually (anomaly score ${e.score.toFixed(2)}${e.value === null ? '' : `, value ${formatNumber(e.value)}`})`,
        labels: { series: e.series },
        fingerprint: sha(['anomaly', e.host, e.series]),
        value: e.value,
      });
    }
    // An anomaly alert resolves once its series has been quiet for clearMinutes (a repeat bumps updatedAt).
    // Only anomaly alerts are read: every open alert (up to alerts.maxStored, which webhooks can fill) parsed on each pass would stall the server.
    for (const a of this.deps.repository.open('anomaly')) {
      if (now - Date.parse(a.updatedAt) >= cfg.clearMinutes * 60_000) this.close(a, null);
    }
  }

  /** Resolved alerts older than `retentionDays` are deleted, at most once an hour. */
  private applyRetention(): void {
    const now = this.now();
    if (now - this.prunedAt < 3_600_000) return;
    this.prunedAt = now;
    this.deps.repository.pruneResolved(new Date(now - this.deps.config.retentionDays * 86_400_000).toISOString());
  }

  /** Silences past their end: their alerts show as firing again. */
  private expireEnded(): void {
    const now = this.now();
    for (const s of this.deps.repository.silences()) {
      if (Date.parse(s.endsAt) <= now) {
        this.deps.repository.expireSilence(s.id, new Date(now).toISOString());
        this.deps.repository.unsilence(s.id, new Date(now).toISOString());
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.waiting.length = 0;
    this.aborter.abort();
    await Promise.allSettled([...this.running]);
  }
}

/** The store holds `alerts.maxStored` alerts and none resolved can go: a webhook is refused, not stored. */
export class AlertCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertCapacityError';
  }
}

export class SilenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SilenceError';
  }
}

function seriesName(s: Pick<SeriesInfo, 'metric' | 'labels'>): string {
  const keys = Object.keys(s.labels).sort();
  return keys.length === 0 ? s.metric : `${s.metric}{${keys.map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',')}}`;
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}
