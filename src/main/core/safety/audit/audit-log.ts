import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Redactor } from '../../privacy';
import { mapStrings, type SqliteDatabase } from '../../store';
import { canonicalJson } from './canonical-json';

/** What happened: a request, a tool call, a policy decision, an approval, an execution, a settings or policy change. */
export type AuditKind = 'request' | 'tool_call' | 'decision' | 'approval' | 'execution' | 'settings' | 'policy' | 'retention';

export interface AuditEntryInput {
  kind: AuditKind;
  /** Who caused it: `cli:exec`, `agent:<conversation>`, `user:<name>`... */
  actor: string;
  host?: string | null;
  /** The command, setting or approval the entry is about. */
  subject?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  at: string;
  kind: AuditKind;
  /** `[forgotten]` once the payload was forgotten (then host and subject are null, data names the tombstone). */
  actor: string;
  host: string | null;
  subject: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * Row formats. v1 (before payloads could be forgotten): the hash covers the payload itself.
 * v2: the hash covers the sha256 of the payload (actor, host, subject, data), so the payload
 * can be removed later (a tombstone keeps the digest) and the chain still verifies.
 */
export type AuditRowFormat = 1 | 2;

/** A payload removed by `forget` or audit retention: the row keeps its place, hash and payload digest. */
export interface AuditTombstone {
  seq: number;
  payloadSha256: string;
}

/**
 * Why a checkpoint was written: `batch` after the appends of one turn of the event loop
 * (one request, one CLI step), `close` when the owner closes the log, `exit` by the
 * process-exit safety net, `periodic` every `checkpointEvery` rows, `manual`, `retention`.
 */
export type AuditCheckpointReason = 'periodic' | 'manual' | 'retention' | 'close' | 'batch' | 'exit';

export interface AuditCheckpoint {
  id: number;
  /** The last row the checkpoint vouches for (0 for an empty log). */
  seq: number;
  hash: string;
  at: string;
  reason: AuditCheckpointReason;
  /** Rows up to this seq were removed by retention; the chain restarts after it. */
  prunedThrough: number;
  mac: string;
}

/**
 * The end of the chain as it was at some moment, kept somewhere the data dir's user cannot
 * rewrite (the system journal, a ticket, another machine): the row's seq and hash. Because
 * every row's hash covers all rows before it, a log that still holds this row with this
 * hash holds the same history up to it.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
  /** When it was taken (informational). */
  at?: string | null;
}

/** What the anchors given to verify() proved: how many were checked, and how many named rows retention has removed since. */
export interface AuditAnchorsResult {
  checked: number;
  pruned: number;
  newestSeq: number;
}

export type AuditVerifyResult =
  | { ok: true; rows: number; checkpoints: number; firstSeq: number | null; lastSeq: number | null; uncheckpointedRows: number; anchors?: AuditAnchorsResult }
  | { ok: false; brokenAt: number; problem: string; rows: number; checkpoints: number };

export interface AuditLogOptions {
  /** Also write a signed checkpoint after this many appended rows, within a batch. */
  checkpointEvery?: number;
  now?: () => Date;
  /**
   * Defers the checkpoint that follows a batch of appends. The default runs it on the next
   * turn of the event loop (an unref'd setImmediate), so every request, tool step or CLI
   * command ends signed; null turns batch checkpoints off (only periodic, manual, flush).
   */
  scheduleBatch?: ((run: () => void) => void) | null;
  /**
   * Told of every checkpoint written, so the owner can anchor the head outside the data dir.
   * Must not throw; an exception is swallowed so that anchoring never stops the log.
   */
  onCheckpoint?: (checkpoint: AuditCheckpoint) => void;
}

/** Runs `run` on the next turn of the event loop without keeping the process alive for it. */
const nextTurn = (run: () => void): void => {
  setImmediate(run).unref();
};

/** forget() refused: a row it was asked to forget does not verify. */
export class AuditForgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditForgetError';
  }
}

export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

const GENESIS = '0'.repeat(64);

interface AuditRow {
  seq: number;
  at: string;
  kind: string;
  /** Null (with host, subject, data_json) once the payload was forgotten. */
  actor: string | null;
  host: string | null;
  subject: string | null;
  data_json: string | null;
  prev_hash: string;
  hash: string;
  format: number;
  /** Set when the payload is forgotten: the sha256 of the canonical payload it had. */
  payload_sha256: string | null;
  forgotten_at: string | null;
}

/** What a row's tombstone record (a `retention` row with `action: forget`) says about it. */
interface TombstoneRecord {
  bySeq: number;
  payloadSha256: string;
}

interface CheckpointRow {
  id: number;
  seq: number;
  hash: string;
  at: string;
  reason: string;
  pruned_through: number;
  mac: string;
}

/** The sha256 of a row's payload (what `forget` may remove): canonical JSON of actor, host, subject and data. */
export function auditPayloadSha256(payload: { actor: string; host: string | null; subject: string | null; data: unknown }): string {
  return createHash('sha256').update(canonicalJson({ actor: payload.actor, host: payload.host, subject: payload.subject, data: payload.data })).digest('hex');
}

/** The v2 hash of a row from its payload's digest: what stays checkable after the payload is forgotten. */
export function hashAuditRowDigest(row: { seq: number; at: string; kind: string; payloadSha256: string; prevHash: string }): string {
  return createHash('sha256')
    .update(canonicalJson({ format: 2, seq: row.seq, at: row.at, kind: row.kind, payloadSha256: row.payloadSha256, prevHash: row.prevHash }))
    .digest('hex');
}

/**
 * The hash of a row. Format 1 (rows written before payloads could be forgotten, and the
 * default here so such rows can still be produced and checked): sha256 over the canonical
 * JSON of its content and the previous row's hash. Format 2: over the payload's digest.
 */
export function hashAuditRow(row: { seq: number; at: string; kind: string; actor: string; host: string | null; subject: string | null; data: unknown; prevHash: string; format?: AuditRowFormat }): string {
  if (row.format === 2) return hashAuditRowDigest({ seq: row.seq, at: row.at, kind: row.kind, payloadSha256: auditPayloadSha256(row), prevHash: row.prevHash });
  return createHash('sha256')
    .update(canonicalJson({ seq: row.seq, at: row.at, kind: row.kind, actor: row.actor, host: row.host, subject: row.subject, data: row.data, prevHash: row.prevHash }))
    .digest('hex');
}

/** The actor shown for a row whose payload was forgotten. */
export const FORGOTTEN_ACTOR = '[forgotten]';

/** The hash of command output, for execution entries (the output itself is not kept in the log). */
export function hashOutput(output: string | Buffer): string {
  return createHash('sha256').update(output).digest('hex');
}

function notAnchoredRow(seq: number, anchor: AuditAnchor): string {
  const when = anchor.at ? ` at ${anchor.at}` : '';
  return `row ${seq} is not the row that was anchored${when} (${seq}:${anchor.hash.slice(0, 16)}…): the log was rewritten at or before row ${seq} and re-signed`;
}

function rowToEntry(row: AuditRow): AuditEntry {
  if (row.forgotten_at !== null || row.data_json === null || row.actor === null) {
    return {
      seq: row.seq,
      at: row.at,
      kind: row.kind as AuditKind,
      actor: FORGOTTEN_ACTOR,
      host: null,
      subject: null,
      data: { forgotten: true, forgottenAt: row.forgotten_at, payloadSha256: row.payload_sha256 },
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }
  return {
    seq: row.seq,
    at: row.at,
    kind: row.kind as AuditKind,
    actor: row.actor,
    host: row.host,
    subject: row.subject,
    data: JSON.parse(row.data_json) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The append-only audit log. Every row carries the hash of the previous one, so an
 * edit, deletion or reordering breaks the chain; signed checkpoints (HMAC with a key
 * the caller loads from the data dir) vouch for the last row, so removing rows from
 * the end is detected too, and let retention drop old rows without losing that proof.
 * Triggers in the schema refuse UPDATE and DELETE outside retention.
 */
export class AuditLog {
  private readonly checkpointEvery: number;
  private readonly now: () => Date;
  private readonly scheduleBatch: ((run: () => void) => void) | null;
  private readonly onCheckpoint: ((checkpoint: AuditCheckpoint) => void) | null;
  private appendedSinceCheckpoint = 0;
  private batchPending = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly key: Buffer | null,
    options: AuditLogOptions = {},
  ) {
    if (key !== null && key.length < 16) throw new AuditKeyError('the audit key must be at least 16 bytes');
    this.checkpointEvery = options.checkpointEvery ?? 50;
    this.now = options.now ?? (() => new Date());
    this.scheduleBatch = options.scheduleBatch === undefined ? nextTurn : options.scheduleBatch;
    this.onCheckpoint = options.onCheckpoint ?? null;
  }

  private requireKey(): Buffer {
    if (!this.key) throw new AuditKeyError('this audit log was opened without its key; it can be read but not written or verified');
    return this.key;
  }

  private mac(checkpoint: { seq: number; hash: string; at: string; reason: string; prunedThrough: number }): string {
    return createHmac('sha256', this.requireKey())
      .update(canonicalJson({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, reason: checkpoint.reason, prunedThrough: checkpoint.prunedThrough }))
      .digest('hex');
  }

  private last(): { seq: number; hash: string } {
    const row = this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    if (row) return row;
    const pruned = this.db.prepare('SELECT seq, hash FROM audit_checkpoints WHERE pruned_through > 0 ORDER BY pruned_through DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    return pruned ?? { seq: 0, hash: GENESIS };
  }

  /**
   * Appends a row, redacted (privacy at rest): secrets in the subject and the data become
   * typed placeholders before the row is hashed, so the chain vouches for what is stored.
   * A subject that changed keeps `subjectSha256` in the data, the sha256 of the exact text,
   * so an approval or an execution still names exactly which command it was about.
   */
  append(input: AuditEntryInput): AuditEntry {
    this.requireKey();
    const redactor = new Redactor();
    const text = (t: string) => redactor.redactText(t);
    const subject = input.subject ?? null;
    const redactedSubject = subject === null ? null : text(subject);
    const data = mapStrings(input.data ?? {}, text);
    if (redactedSubject !== subject) data.subjectSha256 = createHash('sha256').update(subject as string).digest('hex');
    const entry = this.db.transaction((): AuditEntry => {
      const previous = this.last();
      const base = {
        seq: previous.seq + 1,
        at: this.now().toISOString(),
        kind: input.kind,
        actor: text(input.actor),
        host: input.host == null ? null : text(input.host),
        subject: redactedSubject,
        data,
        prevHash: previous.hash,
      };
      // Format 2: the hash covers the payload's digest, so `forget` can remove the payload later.
      const hash = hashAuditRow({ ...base, format: 2 });
      this.db
        .prepare('INSERT INTO audit_log (seq, at, kind, actor, host, subject, data_json, prev_hash, hash, format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 2)')
        .run(base.seq, base.at, base.kind, base.actor, base.host, base.subject, canonicalJson(base.data), base.prevHash, hash);
      return { ...base, hash };
    })();
    this.appendedSinceCheckpoint++;
    if (this.appendedSinceCheckpoint >= this.checkpointEvery) this.checkpoint('periodic');
    else if (this.scheduleBatch && !this.batchPending) {
      this.batchPending = true;
      this.scheduleBatch(() => {
        this.batchPending = false;
        // The owner may have closed the database (and flushed) in the meantime.
        if (this.db.open) this.flush('batch');
      });
    }
    return entry;
  }

  /**
   * Signs the end of the chain if rows were appended through this log since its last
   * checkpoint; returns the checkpoint, or null when there was nothing to sign. Owners call
   * it when they close and as their process exits, so that removing the newest rows is
   * always caught.
   */
  flush(reason: Extract<AuditCheckpointReason, 'batch' | 'close' | 'exit' | 'manual'> = 'manual'): AuditCheckpoint | null {
    if (this.appendedSinceCheckpoint === 0 || this.key === null) return null;
    return this.checkpoint(reason);
  }

  /** Signs the current end of the chain. */
  checkpoint(reason: AuditCheckpointReason = 'manual', prunedThrough = 0): AuditCheckpoint {
    const last = this.last();
    const at = this.now().toISOString();
    const mac = this.mac({ seq: last.seq, hash: last.hash, at, reason, prunedThrough });
    const info = this.db
      .prepare('INSERT INTO audit_checkpoints (seq, hash, at, reason, pruned_through, mac) VALUES (?, ?, ?, ?, ?, ?)')
      .run(last.seq, last.hash, at, reason, prunedThrough, mac);
    this.appendedSinceCheckpoint = 0;
    return this.announce({ id: Number(info.lastInsertRowid), seq: last.seq, hash: last.hash, at, reason, prunedThrough, mac });
  }

  private announce(checkpoint: AuditCheckpoint): AuditCheckpoint {
    try {
      this.onCheckpoint?.(checkpoint);
    } catch {
      // Anchoring is best effort by contract; the checkpoint itself is written.
    }
    return checkpoint;
  }

  /**
   * The end of the chain: the newest row's seq, hash and time (after retention removed
   * every row, the last removed one; seq 0 for a log that never had a row). What an
   * operator copies elsewhere to check the log against later.
   */
  head(): AuditAnchor & { at: string | null } {
    const row = this.db.prepare('SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; at: string } | undefined;
    if (row) return row;
    const last = this.last();
    return { seq: last.seq, hash: last.hash, at: null };
  }

  /** Entries in order, optionally after (or before, for paging back) a seq and of one kind. */
  list(options: { afterSeq?: number; beforeSeq?: number; limit?: number; kind?: AuditKind; newestFirst?: boolean } = {}): AuditEntry[] {
    const where: string[] = ['seq > ?'];
    const params: unknown[] = [options.afterSeq ?? 0];
    if (options.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(options.beforeSeq);
    }
    if (options.kind) {
      where.push('kind = ?');
      params.push(options.kind);
    }
    const order = options.newestFirst ? 'DESC' : 'ASC';
    const limit = options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.limit))}` : '';
    const rows = this.db.prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq ${order}${limit}`).all(...params) as AuditRow[];
    return rows.map(rowToEntry);
  }

  /** Every entry in order, without loading the whole log at once (for export). */
  *entries(): Generator<AuditEntry> {
    for (const row of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>) yield rowToEntry(row);
  }

  checkpoints(): AuditCheckpoint[] {
    const rows = this.db.prepare('SELECT * FROM audit_checkpoints ORDER BY id').all() as CheckpointRow[];
    return rows.map((r) => ({ id: r.id, seq: r.seq, hash: r.hash, at: r.at, reason: r.reason as AuditCheckpoint['reason'], prunedThrough: r.pruned_through, mac: r.mac }));
  }

  /**
   * Removes rows up to and including `throughSeq` (or older than `before`). A signed
   * retention checkpoint first records the hash of the last removed row, so the chain
   * that remains still verifies from there.
   */
  applyRetention(options: { throughSeq?: number; before?: Date }): { removed: number; checkpoint: AuditCheckpoint | null } {
    this.requireKey();
    const result = this.db.transaction((): { removed: number; checkpoint: AuditCheckpoint | null } => {
      let through = options.throughSeq ?? 0;
      if (options.before) {
        const row = this.db.prepare('SELECT MAX(seq) AS seq FROM audit_log WHERE at < ?').get(options.before.toISOString()) as { seq: number | null };
        through = Math.max(through, row.seq ?? 0);
      }
      const target = this.db.prepare('SELECT seq, hash FROM audit_log WHERE seq <= ? ORDER BY seq DESC LIMIT 1').get(through) as { seq: number; hash: string } | undefined;
      if (!target) return { removed: 0, checkpoint: null };
      const at = this.now().toISOString();
      const mac = this.mac({ seq: target.seq, hash: target.hash, at, reason: 'retention', prunedThrough: target.seq });
      const info = this.db
        .prepare('INSERT INTO audit_checkpoints (seq, hash, at, reason, pruned_through, mac) VALUES (?, ?, ?, ?, ?, ?)')
        .run(target.seq, target.hash, at, 'retention', target.seq, mac);
      const removed = this.db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(target.seq).changes;
      const checkpoint: AuditCheckpoint = { id: Number(info.lastInsertRowid), seq: target.seq, hash: target.hash, at, reason: 'retention', prunedThrough: target.seq, mac };
      return { removed, checkpoint };
    })();
    if (result.checkpoint) this.announce(result.checkpoint);
    return result;
  }

  /**
   * Live rows whose payload is about one of `about`: a host (its host column, or the name as
   * a JSON string in the data, e.g. in `hosts`), or a text (a conversation or approval id) in
   * the actor, subject or data. `before` selects rows older than a time instead (or as well).
   * Tombstone records themselves are never selected.
   */
  findPayloads(about: { hosts?: readonly string[]; texts?: readonly string[]; before?: Date }): number[] {
    const ors: string[] = [];
    const params: unknown[] = [];
    for (const host of about.hosts ?? []) {
      ors.push('host = ?', 'instr(data_json, ?) > 0');
      params.push(host, JSON.stringify(host));
    }
    for (const text of about.texts ?? []) {
      if (text.length === 0) continue;
      ors.push('instr(actor, ?) > 0', "instr(COALESCE(subject, ''), ?) > 0", 'instr(data_json, ?) > 0');
      params.push(text, text, text);
    }
    const where: string[] = ['forgotten_at IS NULL', 'data_json IS NOT NULL', `NOT (kind = 'retention' AND instr(data_json, '"action":"forget"') > 0)`];
    if (ors.length > 0) where.push(`(${ors.join(' OR ')})`);
    if (about.before) {
      where.push('at < ?');
      params.push(about.before.toISOString());
    }
    if (ors.length === 0 && !about.before) return [];
    return (this.db.prepare(`SELECT seq FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq`).all(...params) as { seq: number }[]).map((r) => r.seq);
  }

  /**
   * Forgets the payloads of these rows: actor, host, subject and data are removed, the row
   * keeps its place, time, kind, hash and the sha256 of the payload it had (a tombstone),
   * so the chain, the checkpoints and every anchored head still verify. Then appends a
   * `retention` row (`action: forget`) naming every tombstone with its digest: verify()
   * refuses a tombstone no such row accounts for. A row whose payload no longer matches its
   * hash is refused (forgetting it would hide the tampering). `data` goes into that row:
   * the reason and counts, never the forgotten text itself.
   */
  forget(seqs: readonly number[], record: { actor: string; subject: string; data?: Record<string, unknown> }): { tombstones: AuditTombstone[]; entry: AuditEntry } {
    this.requireKey();
    return this.db.transaction(() => {
      const select = this.db.prepare('SELECT * FROM audit_log WHERE seq = ?');
      const update = this.db.prepare('UPDATE audit_log SET actor = NULL, host = NULL, subject = NULL, data_json = NULL, payload_sha256 = ?, forgotten_at = ? WHERE seq = ?');
      const at = this.now().toISOString();
      const tombstones: AuditTombstone[] = [];
      for (const seq of [...new Set(seqs)].sort((a, b) => a - b)) {
        const row = select.get(seq) as AuditRow | undefined;
        if (!row || row.forgotten_at !== null || row.data_json === null || row.actor === null) continue;
        const payload = { actor: row.actor, host: row.host, subject: row.subject, data: JSON.parse(row.data_json) as unknown };
        const format: AuditRowFormat = row.format === 2 ? 2 : 1;
        if (hashAuditRow({ seq: row.seq, at: row.at, kind: row.kind, ...payload, prevHash: row.prev_hash, format }) !== row.hash) {
          throw new AuditForgetError(`row ${seq} no longer matches its hash (altered): it is not forgotten, so the tampering stays visible`);
        }
        const payloadSha256 = auditPayloadSha256(payload);
        update.run(payloadSha256, at, seq);
        tombstones.push({ seq, payloadSha256 });
      }
      const entry = this.append({
        kind: 'retention',
        actor: record.actor,
        subject: record.subject,
        data: { ...(record.data ?? {}), action: 'forget', tombstones: tombstones.map((t) => [t.seq, t.payloadSha256]) },
      });
      return { tombstones, entry };
    })();
  }

  /** Which rows the tombstone records (`retention` rows with `action: forget`) account for. */
  private tombstoneRecords(): Map<number, TombstoneRecord> {
    const records = new Map<number, TombstoneRecord>();
    const rows = this.db
      .prepare(`SELECT seq, data_json FROM audit_log WHERE kind = 'retention' AND data_json IS NOT NULL AND instr(data_json, '"action":"forget"') > 0 ORDER BY seq`)
      .all() as { seq: number; data_json: string }[];
    for (const row of rows) {
      let data: { action?: unknown; tombstones?: unknown };
      try {
        data = JSON.parse(row.data_json) as typeof data;
      } catch {
        continue; // the chain walk reports the unreadable row
      }
      if (data.action !== 'forget' || !Array.isArray(data.tombstones)) continue;
      for (const t of data.tombstones) {
        if (Array.isArray(t) && typeof t[0] === 'number' && typeof t[1] === 'string' && !records.has(t[0])) records.set(t[0], { bySeq: row.seq, payloadSha256: t[1] });
      }
    }
    return records;
  }

  /**
   * Walks the chain from the last retention point: each row must hash to its stored
   * hash, link to the previous row, and follow it in sequence; every checkpoint must
   * carry a valid signature and match the row it vouches for, and no row it vouches
   * for may be missing. Reports the first broken row.
   *
   * `anchors` are heads kept outside the data dir: each must still be in the log with
   * the same hash. They catch what the key beside the database cannot: the newest rows
   * removed together with the checkpoints that vouched for them, or the whole log
   * rewritten and re-signed. An anchor for a row that retention has since removed is
   * skipped (counted as pruned), except the newest one, which must still be checkable.
   */
  verify(options: { anchors?: readonly AuditAnchor[] } = {}): AuditVerifyResult {
    const key = this.requireKey();
    const checkpoints = this.checkpoints();
    const rowCount = (this.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    const fail = (brokenAt: number, problem: string): AuditVerifyResult => ({ ok: false, brokenAt, problem, rows: rowCount, checkpoints: checkpoints.length });

    for (const c of checkpoints) {
      const expected = createHmac('sha256', key)
        .update(canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, reason: c.reason, prunedThrough: c.prunedThrough }))
        .digest();
      const actual = Buffer.from(c.mac, 'hex');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
        return fail(c.seq, `checkpoint ${c.id} (for row ${c.seq}) has an invalid signature: it was forged or altered`);
      }
    }
    const retention = checkpoints.filter((c) => c.prunedThrough > 0).sort((a, b) => b.prunedThrough - a.prunedThrough)[0];
    let expectedSeq = retention ? retention.prunedThrough + 1 : 1;
    let prevHash = retention ? retention.hash : GENESIS;
    const vouched = new Map<number, AuditCheckpoint[]>();
    for (const c of checkpoints) if (c.seq >= expectedSeq) vouched.set(c.seq, [...(vouched.get(c.seq) ?? []), c]);
    const anchors = options.anchors ?? [];
    const anchored = new Map<number, AuditAnchor[]>();
    for (const a of anchors) anchored.set(a.seq, [...(anchored.get(a.seq) ?? []), a]);

    let lastSeq: number | null = null;
    let firstSeq: number | null = null;
    const tombstones = this.tombstoneRecords();
    for (const row of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>) {
      if (row.seq < expectedSeq) return fail(row.seq, `row ${row.seq} lies before the retention point (row ${expectedSeq - 1}) and should have been removed`);
      if (row.seq > expectedSeq) {
        return fail(expectedSeq, expectedSeq === row.seq - 1 ? `row ${expectedSeq} is missing` : `rows ${expectedSeq} to ${row.seq - 1} are missing`);
      }
      if (row.format !== 1 && row.format !== 2) return fail(row.seq, `row ${row.seq} has an unknown format (${String(row.format)})`);
      const forgotten = row.forgotten_at !== null || row.data_json === null || row.actor === null;
      if (forgotten) {
        // A tombstone: the payload is gone, its digest stays, and a later forget row must account for it.
        const record = tombstones.get(row.seq);
        if (row.payload_sha256 === null || row.forgotten_at === null || row.data_json !== null || row.actor !== null || row.host !== null || row.subject !== null) {
          return fail(row.seq, `row ${row.seq} was altered: its payload is partly removed without a proper tombstone`);
        }
        if (!record || record.bySeq <= row.seq) return fail(row.seq, `row ${row.seq} was altered: its payload was removed, but no forget record accounts for it`);
        if (record.payloadSha256 !== row.payload_sha256) return fail(row.seq, `row ${row.seq} was altered: its tombstone's digest differs from the one its forget record (row ${record.bySeq}) kept`);
        // v2 rows hash the digest, so the tombstone is checked in full; a v1 row's hash covered the
        // payload itself: it stays vouched for by the next row's link, the checkpoints and anchors.
        if (row.format === 2 && hashAuditRowDigest({ seq: row.seq, at: row.at, kind: row.kind, payloadSha256: row.payload_sha256, prevHash: row.prev_hash }) !== row.hash) {
          return fail(row.seq, `row ${row.seq} was altered: its tombstone no longer matches its hash`);
        }
      } else {
        let data: unknown;
        try {
          data = JSON.parse(row.data_json as string);
        } catch {
          return fail(row.seq, `row ${row.seq} has unreadable data`);
        }
        const recomputed = hashAuditRow({ seq: row.seq, at: row.at, kind: row.kind, actor: row.actor as string, host: row.host, subject: row.subject, data, prevHash: row.prev_hash, format: row.format });
        if (recomputed !== row.hash) return fail(row.seq, `row ${row.seq} was altered: its content no longer matches its hash`);
        if (row.payload_sha256 !== null && row.payload_sha256 !== auditPayloadSha256({ actor: row.actor as string, host: row.host, subject: row.subject, data })) {
          return fail(row.seq, `row ${row.seq} was altered: its content no longer matches its digest`);
        }
      }
      if (row.prev_hash !== prevHash) {
        return fail(row.seq, `row ${row.seq} does not follow row ${row.seq - 1} in the chain (rows were removed, reordered or replaced)`);
      }
      for (const c of vouched.get(row.seq) ?? []) {
        if (c.hash !== row.hash) return fail(row.seq, `row ${row.seq} differs from the row checkpoint ${c.id} signed`);
      }
      for (const a of anchored.get(row.seq) ?? []) {
        if (a.hash !== row.hash) return fail(row.seq, notAnchoredRow(row.seq, a));
      }
      firstSeq ??= row.seq;
      lastSeq = row.seq;
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
    }
    const newestVouched = checkpoints.reduce((max, c) => Math.max(max, c.seq), 0);
    const end = lastSeq ?? expectedSeq - 1;
    if (newestVouched > end) {
      const first = end + 1;
      return fail(first, first === newestVouched ? `row ${first} was removed from the end of the log (checkpoint vouches for it)` : `rows ${first} to ${newestVouched} were removed from the end of the log (a checkpoint vouches for row ${newestVouched})`);
    }
    const result = { ok: true as const, rows: rowCount, checkpoints: checkpoints.length, firstSeq, lastSeq, uncheckpointedRows: Math.max(0, end - newestVouched) };
    if (anchors.length === 0) return result;

    const newestAnchor = anchors.reduce((max, a) => Math.max(max, a.seq), 0);
    if (newestAnchor > end) {
      const first = end + 1;
      return fail(first, first === newestAnchor ? `row ${first} was removed from the end of the log (an anchored head names it)` : `rows ${first} to ${newestAnchor} were removed from the end of the log (an anchored head names row ${newestAnchor})`);
    }
    // Rows up to the retention point are gone by design; only the last removed one's hash is kept.
    const prunedThrough = retention ? retention.prunedThrough : 0;
    const prunedHash = retention ? retention.hash : GENESIS;
    let checked = 0;
    let pruned = 0;
    for (const a of anchors) {
      if (a.seq > prunedThrough) checked++;
      else if (a.seq === prunedThrough) {
        if (a.hash !== prunedHash) return fail(a.seq, notAnchoredRow(a.seq, a));
        checked++;
      } else pruned++;
    }
    if (newestAnchor < prunedThrough) {
      return fail(newestAnchor, `row ${newestAnchor}, which the newest anchored head names, was removed by retention (through row ${prunedThrough}), so the log can no longer be checked against it: anchor a newer head`);
    }
    return { ...result, anchors: { checked, pruned, newestSeq: newestAnchor } };
  }
}
