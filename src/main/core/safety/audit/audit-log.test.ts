import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../store';
import { AuditLog, canonicalJson, hashAuditRow, loadOrCreateAuditKey, readAuditKey, type AuditCheckpoint, type AuditLogOptions, type AuditVerifyResult } from './index';

const KEY = Buffer.alloc(32, 7);

let store: Store;
let clock: number;
const now = (): Date => new Date(Date.UTC(2025, 0, 1) + clock++ * 1000);

function open(options: AuditLogOptions = {}): AuditLog {
  // Batch checkpoints are off unless a test asks for them, so counts stay deterministic.
  return new AuditLog(store.db, KEY, { now, checkpointEvery: 1000, scheduleBatch: null, ...options });
}

function fill(log: AuditLog, n: number): void {
  for (let i = 1; i <= n; i++) {
    log.append({ kind: i % 2 ? 'decision' : 'execution', actor: 'cli:exec', host: 'web-1', subject: `uptime #${i}`, data: { decision: 'allow', n: i } });
  }
}

/** An attacker with the database file can drop the triggers that keep the table append-only. */
function disarm(): void {
  store.db.exec(`DROP TRIGGER audit_log_append_only; DROP TRIGGER audit_log_retention_only;
    DROP TRIGGER audit_checkpoints_append_only; DROP TRIGGER audit_checkpoints_no_delete;`);
}

function broken(result: AuditVerifyResult): { brokenAt: number; problem: string } {
  if (result.ok) throw new Error('expected the chain to be broken');
  return result;
}

beforeEach(() => {
  store = Store.inMemory();
  clock = 0;
});
afterEach(() => store.close());

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  it('refuses values JSON would silently change', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });
});

describe('AuditLog', () => {
  it('chains rows and verifies an intact log', () => {
    const log = open();
    fill(log, 5);
    const entries = log.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    log.checkpoint();
    expect(log.verify()).toMatchObject({ ok: true, rows: 5, lastSeq: 5, uncheckpointedRows: 0 });
  });

  it('verifies an empty log', () => {
    expect(open().verify()).toMatchObject({ ok: true, rows: 0 });
  });

  it('refuses UPDATE and DELETE through the schema', () => {
    const log = open();
    fill(log, 3);
    log.checkpoint();
    expect(() => store.db.prepare("UPDATE audit_log SET actor = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM audit_log WHERE seq = 3').run()).toThrow(/retention/);
    expect(() => store.db.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/append-only/);
  });

  it('detects an edited row and names it', () => {
    const log = open();
    fill(log, 6);
    disarm();
    store.db.prepare(`UPDATE audit_log SET data_json = '{"decision":"deny","n":3}' WHERE seq = 3`).run();
    const result = broken(log.verify());
    expect(result.brokenAt).toBe(3);
    expect(result.problem).toMatch(/row 3 was altered/);
  });

  it('detects an edited row whose hash was recomputed, through the next row', () => {
    const log = open();
    fill(log, 6);
    disarm();
    const row = store.db.prepare('SELECT * FROM audit_log WHERE seq = 4').get() as { at: string; kind: string; actor: string; host: string; subject: string; prev_hash: string };
    const forged = { decision: 'allow', n: 999 };
    const hash = hashAuditRow({ seq: 4, at: row.at, kind: row.kind, actor: row.actor, host: row.host, subject: row.subject, data: forged, prevHash: row.prev_hash, format: 2 });
    store.db.prepare('UPDATE audit_log SET data_json = ?, hash = ? WHERE seq = 4').run(canonicalJson(forged), hash);
    expect(broken(log.verify()).brokenAt).toBe(5);
  });

  it('detects a deleted row in the middle', () => {
    const log = open();
    fill(log, 6);
    disarm();
    store.db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    const result = broken(log.verify());
    expect(result.brokenAt).toBe(4);
    expect(result.problem).toMatch(/row 4 is missing/);
  });

  it('detects reordered rows', () => {
    const log = open();
    fill(log, 6);
    disarm();
    store.db.exec('UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -2;');
    expect(broken(log.verify()).brokenAt).toBe(2);
  });

  it('detects rows removed from the end, through the checkpoint', () => {
    const log = open();
    fill(log, 8);
    log.checkpoint();
    disarm();
    store.db.prepare('DELETE FROM audit_log WHERE seq > 6').run();
    const result = broken(log.verify());
    expect(result.brokenAt).toBe(7);
    expect(result.problem).toMatch(/removed from the end/);
  });

  it('writes periodic checkpoints so truncation is caught without a manual one', () => {
    const log = open({ checkpointEvery: 5 });
    fill(log, 12);
    expect(log.checkpoints().map((c) => c.seq)).toEqual([5, 10]);
    expect(log.verify()).toMatchObject({ ok: true, uncheckpointedRows: 2 });
    disarm();
    store.db.prepare('DELETE FROM audit_log WHERE seq > 8').run();
    expect(broken(log.verify()).brokenAt).toBe(9);
  });

  it('detects a forged or altered checkpoint', () => {
    const log = open();
    fill(log, 4);
    log.checkpoint();
    disarm();
    store.db.prepare('UPDATE audit_checkpoints SET seq = 2').run();
    expect(broken(log.verify()).problem).toMatch(/invalid signature/);
  });

  it('detects a checkpoint signed with another key', () => {
    const log = open();
    fill(log, 4);
    new AuditLog(store.db, Buffer.alloc(32, 9), { now }).checkpoint();
    expect(broken(log.verify()).problem).toMatch(/invalid signature/);
  });

  it('keeps the chain verifiable across retention', () => {
    const log = open();
    fill(log, 10);
    const { removed, checkpoint } = log.applyRetention({ throughSeq: 6 });
    expect(removed).toBe(6);
    expect(checkpoint?.prunedThrough).toBe(6);
    fill(log, 2);
    expect(log.list().map((e) => e.seq)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(log.verify()).toMatchObject({ ok: true, rows: 6, firstSeq: 7, lastSeq: 12 });
  });

  it('detects tampering after retention, including removal of the first kept row', () => {
    const log = open();
    fill(log, 10);
    log.applyRetention({ throughSeq: 4 });
    disarm();
    store.db.prepare('DELETE FROM audit_log WHERE seq = 5').run();
    expect(broken(log.verify()).brokenAt).toBe(5);
  });

  it('removes rows older than a date by retention', () => {
    const log = open();
    fill(log, 5);
    const cutoff = new Date(Date.UTC(2025, 0, 1) + 3 * 1000);
    expect(log.applyRetention({ before: cutoff }).removed).toBe(3);
    expect(log.verify()).toMatchObject({ ok: true, firstSeq: 4 });
  });

  it('can be read without the key, but not written or verified', () => {
    fill(open(), 2);
    const reader = new AuditLog(store.db, null);
    expect(reader.list()).toHaveLength(2);
    expect([...reader.entries()].map((e) => e.seq)).toEqual([1, 2]);
    expect(() => reader.append({ kind: 'request', actor: 'x' })).toThrow(/without its key/);
    expect(() => reader.verify()).toThrow(/without its key/);
  });
});

describe('audit key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetmind-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once with mode 0600 and read back', () => {
    expect(readAuditKey(dir)).toBeNull();
    const key = loadOrCreateAuditKey(dir);
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, 'audit.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateAuditKey(dir).equals(key)).toBe(true);
    expect(readAuditKey(dir)?.equals(key)).toBe(true);
  });
});

describe('checkpoints after every batch and at the end of every process', () => {
  it('signs the end of each batch of appends once, on the next turn of the event loop by default', async () => {
    const log = open({ scheduleBatch: undefined });
    fill(log, 3);
    expect(log.checkpoints()).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.checkpoints().map((c) => [c.seq, c.reason])).toEqual([[3, 'batch']]);
    fill(log, 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.checkpoints().map((c) => [c.seq, c.reason])).toEqual([
      [3, 'batch'],
      [5, 'batch'],
    ]);
    expect(log.verify()).toMatchObject({ ok: true, uncheckpointedRows: 0 });
  });

  it('uses the scheduler it is given, and skips a batch the owner already flushed', () => {
    const queued: Array<() => void> = [];
    const log = open({ scheduleBatch: (run) => queued.push(run) });
    fill(log, 4);
    expect(queued).toHaveLength(1);
    expect(log.flush('close')?.reason).toBe('close');
    queued.shift()?.();
    expect(log.checkpoints().map((c) => c.reason)).toEqual(['close']);
  });

  it('does nothing when the database was closed before the batch ran', async () => {
    const log = open({ scheduleBatch: undefined });
    fill(log, 1);
    store.close();
    await new Promise((resolve) => setImmediate(resolve));
    store = Store.inMemory();
  });

  it('flush signs only when this log appended since its last checkpoint', () => {
    const log = open();
    expect(log.flush('exit')).toBeNull();
    fill(log, 2);
    expect(log.flush('exit')).toMatchObject({ seq: 2, reason: 'exit' });
    expect(log.flush('exit')).toBeNull();
    expect(new AuditLog(store.db, null).flush('exit')).toBeNull();
  });

  it('keeps the periodic checkpoint within a long batch', () => {
    const log = open({ checkpointEvery: 3 });
    fill(log, 7);
    expect(log.checkpoints().map((c) => [c.seq, c.reason])).toEqual([
      [3, 'periodic'],
      [6, 'periodic'],
    ]);
  });

  it('tells onCheckpoint of every checkpoint, retention included, and survives a throwing one', () => {
    const seen: AuditCheckpoint[] = [];
    const log = open({ onCheckpoint: (c) => seen.push(c) });
    fill(log, 4);
    log.flush('close');
    log.applyRetention({ throughSeq: 2 });
    expect(seen.map((c) => [c.seq, c.reason])).toEqual([
      [4, 'close'],
      [2, 'retention'],
    ]);
    const throwing = open({
      onCheckpoint: () => {
        throw new Error('no syslog');
      },
    });
    fill(throwing, 1);
    expect(throwing.flush('close')).toMatchObject({ seq: 5 });
  });
});

describe('the head and anchored heads', () => {
  it('names the newest row, or the genesis of an empty log, or the last row retention removed', () => {
    const log = open();
    expect(log.head()).toEqual({ seq: 0, hash: '0'.repeat(64), at: null });
    fill(log, 3);
    const third = log.list().at(-1);
    expect(log.head()).toEqual({ seq: 3, hash: third?.hash, at: third?.at });
    log.applyRetention({ throughSeq: 3 });
    expect(log.head()).toEqual({ seq: 3, hash: third?.hash, at: null });
  });

  it('verifies against anchors that still hold', () => {
    const log = open();
    fill(log, 3);
    const early = log.head();
    fill(log, 3);
    const late = log.head();
    log.checkpoint();
    expect(log.verify({ anchors: [early, late] })).toMatchObject({ ok: true, anchors: { checked: 2, pruned: 0, newestSeq: 6 } });
    expect(log.verify({ anchors: [{ seq: 0, hash: '0'.repeat(64) }] })).toMatchObject({ ok: true });
    expect(log.verify()).not.toHaveProperty('anchors');
  });

  it('catches the newest rows removed with the checkpoints that vouched for them only against an anchor', () => {
    const log = open();
    fill(log, 5);
    log.checkpoint();
    const anchored = log.head();
    disarm();
    store.db.prepare('DELETE FROM audit_log WHERE seq > 3').run();
    store.db.prepare('DELETE FROM audit_checkpoints WHERE seq > 3').run();
    expect(log.verify()).toMatchObject({ ok: true, lastSeq: 3 });
    const result = broken(log.verify({ anchors: [anchored] }));
    expect(result.brokenAt).toBe(4);
    expect(result.problem).toBe('rows 4 to 5 were removed from the end of the log (an anchored head names row 5)');
  });

  it('catches a log rewritten and re-signed with the key beside it only against an anchor', () => {
    const log = open();
    fill(log, 4);
    log.checkpoint();
    const anchored = log.head();
    // The attacker holds the key: drop everything, write a history of their own, sign it.
    disarm();
    const rows = log.list();
    store.db.exec('DELETE FROM audit_log; DELETE FROM audit_checkpoints;');
    const forger = open();
    for (const row of rows) forger.append({ kind: row.kind, actor: row.actor, host: row.host, subject: row.seq === 2 ? 'uptime' : row.subject, data: row.data });
    forger.checkpoint();
    expect(log.verify()).toMatchObject({ ok: true, rows: 4 });
    const result = broken(log.verify({ anchors: [{ ...anchored, at: '2025-01-01T00:00:00.000Z' }] }));
    expect(result.brokenAt).toBe(4);
    expect(result.problem).toMatch(/^row 4 is not the row that was anchored at 2025-01-01T00:00:00.000Z \(4:[0-9a-f]{16}…\): the log was rewritten at or before row 4 and re-signed$/);
  });

  it('skips older anchors retention has removed but insists on the newest one', () => {
    const log = open();
    fill(log, 2);
    const old = log.head();
    fill(log, 2);
    const atCut = log.head();
    fill(log, 2);
    const newest = log.head();
    log.applyRetention({ throughSeq: 4 });
    expect(log.verify({ anchors: [old, atCut, newest] })).toMatchObject({ ok: true, anchors: { checked: 2, pruned: 1, newestSeq: 6 } });
    const result = broken(log.verify({ anchors: [old] }));
    expect(result.brokenAt).toBe(2);
    expect(result.problem).toMatch(/removed by retention \(through row 4\)/);
    expect(broken(log.verify({ anchors: [{ seq: 4, hash: 'f'.repeat(64) }] })).problem).toMatch(/^row 4 is not the row that was anchored/);
  });
});
