import { randomUUID } from 'node:crypto';
import type { AlertSeverity, AlertSource, AlertState, AlertView, Interpretation, SilenceView } from '../../../shared/protocol';
import { keepText, mapStrings, type AtRestRedactor } from './at-rest';
import type { SqliteDatabase } from './database';

interface AlertRow {
  id: string;
  fingerprint: string;
  starts_at: string;
  ends_at: string | null;
  source: AlertSource;
  name: string;
  host: string | null;
  severity: AlertSeverity;
  state: AlertState;
  summary: string;
  labels_json: string;
  annotations_json: string;
  group_key: string;
  value: number | null;
  predicted_at: string | null;
  generator_url: string | null;
  notifications: number;
  interpretation_json: string | null;
  incident_id: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  silenced_by: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export interface NewAlert {
  fingerprint: string;
  startsAt: string;
  endsAt: string | null;
  source: AlertSource;
  name: string;
  host: string | null;
  severity: AlertSeverity;
  /** firing or silenced (a matching silence at arrival). */
  state: 'firing' | 'silenced';
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  groupKey: string;
  value: number | null;
  predictedAt: string | null;
  generatorURL: string | null;
  silencedBy: string | null;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
}

interface SilenceRow {
  id: string;
  matchers_json: string;
  starts_at: string;
  ends_at: string;
  comment: string;
  created_by: string;
  created_at: string;
  expired_at: string | null;
}

/** Alerts' free text gets a redaction session per firing, so one secret keeps one placeholder across its fields. */
const sessionOf = (fingerprint: string): string => `alert:${fingerprint}`;

/**
 * Alerts and silences. One row per firing: (fingerprint, startsAt) is unique, so an
 * Alertmanager retry finds the row it already made. Privacy at rest: summary, labels,
 * annotations, the generator URL and the interpretation are redacted before they are written.
 */
export class AlertRepository {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly redact: AtRestRedactor = keepText,
  ) {}

  private view(row: AlertRow): AlertView {
    return {
      id: row.id,
      fingerprint: row.fingerprint,
      startsAt: row.starts_at,
      endsAt: row.ends_at,
      source: row.source,
      name: row.name,
      host: row.host,
      severity: row.severity,
      state: row.state,
      summary: row.summary,
      labels: JSON.parse(row.labels_json) as Record<string, string>,
      annotations: JSON.parse(row.annotations_json) as Record<string, string>,
      groupKey: row.group_key,
      value: row.value,
      predictedAt: row.predicted_at,
      generatorURL: row.generator_url,
      notifications: row.notifications,
      interpretation: row.interpretation_json ? (JSON.parse(row.interpretation_json) as Interpretation) : null,
      incident: row.incident_id,
      acknowledgedAt: row.acknowledged_at,
      acknowledgedBy: row.acknowledged_by,
      silencedBy: row.silenced_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      resolvedAt: row.resolved_at,
    };
  }

  /** Runs `fn` in one transaction (a webhook payload is stored whole or not at all). */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The firing with this fingerprint and start, if known. */
  findFiring(fingerprint: string, startsAt: string): AlertView | null {
    const row = this.db.prepare('SELECT * FROM alerts WHERE fingerprint = ? AND starts_at = ?').get(fingerprint, startsAt) as AlertRow | undefined;
    return row ? this.view(row) : null;
  }

  /** The newest open (not resolved) firing of a fingerprint. */
  findOpen(fingerprint: string): AlertView | null {
    const row = this.db.prepare("SELECT * FROM alerts WHERE fingerprint = ? AND state != 'resolved' ORDER BY starts_at DESC LIMIT 1").get(fingerprint) as AlertRow | undefined;
    return row ? this.view(row) : null;
  }

  get(id: string): AlertView | null {
    const row = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return row ? this.view(row) : null;
  }

  /**
   * Inserts a firing, or counts one more notification when (fingerprint, startsAt) is known.
   * Returns the row and whether it is new.
   */
  upsertFiring(alert: NewAlert, now = new Date().toISOString(), options: { refresh?: boolean } = {}): { alert: AlertView; created: boolean } {
    return this.db.transaction(() => {
      const existing = this.findFiring(alert.fingerprint, alert.startsAt);
      if (existing) {
        this.db.prepare('UPDATE alerts SET notifications = notifications + 1, updated_at = ? WHERE id = ?').run(now, existing.id);
        // Fleetmind's own repeats (a forecast's new prediction, a threshold's value) carry news; Alertmanager's retries do not.
        if (options.refresh) {
          this.db
            .prepare('UPDATE alerts SET severity = ?, summary = ?, value = ?, predicted_at = ? WHERE id = ?')
            .run(alert.severity, this.redact(alert.summary, sessionOf(alert.fingerprint)), alert.value, alert.predictedAt, existing.id);
        }
        return { alert: this.get(existing.id)!, created: false };
      }
      const id = randomUUID();
      const session = sessionOf(alert.fingerprint);
      const text = (t: string) => this.redact(t, session);
      this.db
        .prepare(
          `INSERT INTO alerts (id, fingerprint, starts_at, ends_at, source, name, host, severity, state, summary, labels_json, annotations_json,
             group_key, value, predicted_at, generator_url, notifications, silenced_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
        )
        .run(
          id,
          alert.fingerprint,
          alert.startsAt,
          alert.endsAt,
          alert.source,
          text(alert.name),
          alert.host,
          alert.severity,
          alert.state,
          text(alert.summary),
          JSON.stringify(mapStrings(alert.labels, text)),
          JSON.stringify(mapStrings(alert.annotations, text)),
          text(alert.groupKey),
          alert.value,
          alert.predictedAt,
          alert.generatorURL === null ? null : text(alert.generatorURL),
          alert.silencedBy,
          now,
          now,
        );
      return { alert: this.get(id)!, created: true };
    })();
  }

  /** Closes a firing (resolved notification, a cleared threshold). False when it was already closed or unknown. */
  resolve(id: string, endsAt: string | null, now = new Date().toISOString()): boolean {
    const r = this.db.prepare("UPDATE alerts SET state = 'resolved', resolved_at = ?, ends_at = COALESCE(?, ends_at, ?), updated_at = ? WHERE id = ? AND state != 'resolved'").run(now, endsAt, now, now, id);
    return r.changes > 0;
  }

  acknowledge(id: string, by: string, now = new Date().toISOString()): AlertView | null {
    this.db.prepare("UPDATE alerts SET state = CASE WHEN state = 'firing' THEN 'acknowledged' ELSE state END, acknowledged_at = COALESCE(acknowledged_at, ?), acknowledged_by = COALESCE(acknowledged_by, ?), updated_at = ? WHERE id = ?").run(now, by, now, id);
    return this.get(id);
  }

  /** Marks open firings silenced (a new silence matched them). */
  silence(ids: readonly string[], silenceId: string, now = new Date().toISOString()): void {
    const stmt = this.db.prepare("UPDATE alerts SET state = 'silenced', silenced_by = ?, updated_at = ? WHERE id = ? AND state IN ('firing','acknowledged')");
    this.db.transaction(() => {
      for (const id of ids) stmt.run(silenceId, now, id);
    })();
  }

  /** A silence ended: its alerts that still fire are shown as firing again. */
  unsilence(silenceId: string, now = new Date().toISOString()): number {
    return this.db.prepare("UPDATE alerts SET state = CASE WHEN acknowledged_at IS NULL THEN 'firing' ELSE 'acknowledged' END, silenced_by = NULL, updated_at = ? WHERE silenced_by = ? AND state = 'silenced'").run(now, silenceId).changes;
  }

  setInterpretation(id: string, fingerprint: string, interpretation: Interpretation, now = new Date().toISOString()): void {
    const stored = mapStrings(interpretation, (t) => this.redact(t, sessionOf(fingerprint)));
    this.db.prepare('UPDATE alerts SET interpretation_json = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(stored), now, id);
  }

  setIncident(id: string, incidentId: string | null): void {
    this.db.prepare('UPDATE alerts SET incident_id = ? WHERE id = ?').run(incidentId, id);
  }

  /** Newest first. */
  list(filter: { state?: AlertState; host?: string; source?: AlertSource; limit?: number } = {}): AlertView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.state) {
      where.push('state = ?');
      args.push(filter.state);
    }
    if (filter.host) {
      where.push('host = ?');
      args.push(filter.host);
    }
    if (filter.source) {
      where.push('source = ?');
      args.push(filter.source);
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC, starts_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, Math.min(Math.max(filter.limit ?? 200, 1), 5000)) as AlertRow[]).map((r) => this.view(r));
  }

  /** Open (not resolved) alerts, oldest first; of one source only when given (webhooks can fill the table with open ones). */
  open(source?: AlertSource): AlertView[] {
    const rows = source
      ? this.db.prepare("SELECT * FROM alerts WHERE state != 'resolved' AND source = ? ORDER BY starts_at").all(source)
      : this.db.prepare("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY starts_at").all();
    return (rows as AlertRow[]).map((r) => this.view(r));
  }

  /** Firing alerts of one group (an index lookup, no row parsed). */
  countFiring(groupKey: string): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM alerts WHERE group_key = ? AND state = 'firing'").get(groupKey) as { n: number }).n;
  }

  counts(): Record<AlertState, number> {
    const out: Record<AlertState, number> = { firing: 0, acknowledged: 0, silenced: 0, resolved: 0 };
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM alerts GROUP BY state').all() as { state: AlertState; n: number }[]) out[r.state] = r.n;
    return out;
  }

  /** Earlier firings of the same alert on the same host (similar past alerts), newest first. */
  similar(alert: Pick<AlertView, 'id' | 'name' | 'host'>, limit = 5): AlertView[] {
    const rows = this.db
      .prepare('SELECT * FROM alerts WHERE name = ? AND host IS ? AND id != ? ORDER BY starts_at DESC LIMIT ?')
      .all(alert.name, alert.host, alert.id, limit) as AlertRow[];
    return rows.map((r) => this.view(r));
  }

  total(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n;
  }

  /** Deletes the oldest resolved alerts until at most `keep` rows remain (or none resolved is left); returns how many. */
  trimResolved(keep: number): number {
    const excess = this.total() - keep;
    if (excess <= 0) return 0;
    return this.db.prepare("DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE state = 'resolved' ORDER BY updated_at LIMIT ?)").run(excess).changes;
  }

  /** Alerts not updated since `before` and resolved are removed (retention); returns how many. */
  pruneResolved(before: string): number {
    return this.db.prepare("DELETE FROM alerts WHERE state = 'resolved' AND updated_at < ?").run(before).changes;
  }

  // ---- silences ----

  private silenceView(row: SilenceRow): SilenceView {
    return { id: row.id, matchers: JSON.parse(row.matchers_json) as SilenceMatcher[], startsAt: row.starts_at, endsAt: row.ends_at, comment: row.comment, createdBy: row.created_by, expiredAt: row.expired_at };
  }

  createSilence(input: { matchers: SilenceMatcher[]; startsAt: string; endsAt: string; comment: string; createdBy: string }, now = new Date().toISOString()): SilenceView {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO alert_silences (id, matchers_json, starts_at, ends_at, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, JSON.stringify(input.matchers), input.startsAt, input.endsAt, this.redact(input.comment, null), input.createdBy, now);
    return this.getSilence(id)!;
  }

  getSilence(id: string): SilenceView | null {
    const row = this.db.prepare('SELECT * FROM alert_silences WHERE id = ?').get(id) as SilenceRow | undefined;
    return row ? this.silenceView(row) : null;
  }

  /** Silences not expired by hand; the caller compares endsAt with the clock. */
  silences(includeExpired = false): SilenceView[] {
    const rows = this.db.prepare(`SELECT * FROM alert_silences ${includeExpired ? '' : 'WHERE expired_at IS NULL'} ORDER BY created_at DESC LIMIT 1000`).all() as SilenceRow[];
    return rows.map((r) => this.silenceView(r));
  }

  expireSilence(id: string, now = new Date().toISOString()): boolean {
    return this.db.prepare('UPDATE alert_silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL').run(now, id).changes > 0;
  }
}
