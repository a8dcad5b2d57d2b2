// Forgetting audit payloads (issue 16 item 4): a tombstone keeps a row's place, hash and the
// digest of its payload, so the chain, checkpoints and anchored heads still verify after the
// text is gone; rows written before the format change (format 1) migrate and stay verifiable.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, migrations, openDatabase, Store, type SqliteDatabase } from '../../store';
import { AuditForgetError, AuditLog, auditPayloadSha256, canonicalJson, FORGOTTEN_ACTOR, hashAuditRow, type AuditLogOptions, type AuditVerifyResult } from './index';

const KEY = Buffer.alloc(32, 9);
let clock = 0;
const now = (): Date => new Date(Date.UTC(2025, 0, 1) + clock++ * 1000);

/** The schema version that introduced format 2 (the migration before it is the old schema). */
const FORMAT2_VERSION = migrations.find((m) => m.sql.includes('audit_log_v2'))!.version;

function open(db: SqliteDatabase, options: AuditLogOptions = {}): AuditLog {
  return new AuditLog(db, KEY, { now, checkpointEvery: 1000, scheduleBatch: null, ...options });
}

function broken(result: AuditVerifyResult): { brokenAt: number; problem: string } {
  if (result.ok) throw new Error('expected the chain to be broken');
  return result;
}

function disarm(db: SqliteDatabase): void {
  for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'").all() as { name: string }[]) db.exec(`DROP TRIGGER "${t.name}"`);
}

const raw = (db: SqliteDatabase): string => JSON.stringify(db.prepare('SELECT * FROM audit_log').all());

let store: Store;
beforeEach(() => {
  store = Store.inMemory();
  clock = 0;
});
afterEach(() => store.close());

describe('AuditLog.forget (format 2 rows)', () => {
  it('removes the payloads, keeps hashes and digests, records the forget, and the chain, checkpoints and anchors still verify', () => {
    const log = open(store.db);
    log.append({ kind: 'request', actor: 'http', subject: 'conv-secret-1', data: { note: 'about web-7' } });
    log.append({ kind: 'decision', actor: 'agent', host: 'web-7', subject: 'cat /etc/motd', data: { decision: 'allow' } });
    log.append({ kind: 'decision', actor: 'agent', host: 'db-1', subject: 'uptime', data: { decision: 'allow', hosts: ['web-7'] } });
    log.append({ kind: 'decision', actor: 'agent', host: 'db-1', subject: 'df -h', data: { decision: 'allow' } });
    log.checkpoint();
    const head = log.head();
    const before = log.list();

    expect(log.findPayloads({ hosts: ['web-7'] })).toEqual([2, 3]);
    expect(log.findPayloads({ texts: ['conv-secret-1'] })).toEqual([1]);
    const { tombstones, entry } = log.forget([1, 2, 3], { actor: 'cli', subject: 'forget', data: { reason: 'host' } });
    expect(tombstones.map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(tombstones[1]?.payloadSha256).toBe(auditPayloadSha256({ actor: 'agent', host: 'web-7', subject: 'cat /etc/motd', data: { decision: 'allow' } }));
    expect(entry).toMatchObject({ seq: 5, kind: 'retention', data: { action: 'forget', reason: 'host' } });
    expect(raw(store.db)).not.toContain('web-7');
    expect(raw(store.db)).not.toContain('conv-secret-1');
    expect(raw(store.db)).not.toContain('/etc/motd');

    const after = log.list();
    expect(after.map((e) => e.hash).slice(0, 4)).toEqual(before.map((e) => e.hash));
    expect(after[1]).toMatchObject({ actor: FORGOTTEN_ACTOR, host: null, subject: null, data: { forgotten: true } });
    expect(after[3]).toEqual(before[3]);
    log.checkpoint();
    expect(log.verify({ anchors: [head] })).toMatchObject({ ok: true, rows: 5, anchors: { checked: 1 } });
    // Forgetting again is a no-op for rows already forgotten; forget records are never selected.
    expect(log.findPayloads({ hosts: ['web-7'] })).toEqual([]);
    expect(log.findPayloads({ texts: ['forget'] })).toEqual([]);
  });

  it('lets the schema tombstone a row but refuses any other update', () => {
    const log = open(store.db);
    log.append({ kind: 'decision', actor: 'agent', host: 'web-7', subject: 'uptime', data: {} });
    expect(() => store.db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => store.db.prepare("UPDATE audit_log SET actor = NULL, host = NULL, subject = NULL, data_json = NULL, payload_sha256 = 'x', forgotten_at = 'now', hash = 'y' WHERE seq = 1").run()).toThrow(/append-only/);
    log.forget([1], { actor: 'cli', subject: 'forget' });
    expect(() => store.db.prepare("UPDATE audit_log SET payload_sha256 = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM audit_log WHERE seq = 1').run()).toThrow(/retention/);
  });

  it('detects a tampered tombstone digest', () => {
    const log = open(store.db);
    for (let i = 0; i < 4; i++) log.append({ kind: 'decision', actor: 'agent', host: 'web-7', subject: `uptime ${i}`, data: {} });
    log.forget([2], { actor: 'cli', subject: 'forget' });
    log.checkpoint();
    expect(log.verify()).toMatchObject({ ok: true });
    disarm(store.db);
    store.db.prepare('UPDATE audit_log SET payload_sha256 = ? WHERE seq = 2').run('0'.repeat(64));
    const result = broken(log.verify());
    expect(result.brokenAt).toBe(2);
    expect(result.problem).toMatch(/row 2 was altered/);
  });

  it('detects a tombstone whose digest and forget record were both rewritten (the tombstone then no longer hashes)', () => {
    const log = open(store.db);
    for (let i = 0; i < 3; i++) log.append({ kind: 'decision', actor: 'agent', host: 'web-7', subject: `uptime ${i}`, data: {} });
    const { entry } = log.forget([1], { actor: 'cli', subject: 'forget' });
    disarm(store.db);
    const fake = '1'.repeat(64);
    const data = { ...entry.data, tombstones: [[1, fake]] };
    store.db.prepare('UPDATE audit_log SET payload_sha256 = ? WHERE seq = 1').run(fake);
    store.db.prepare('UPDATE audit_log SET data_json = ? WHERE seq = ?').run(canonicalJson(data), entry.seq);
    expect(broken(log.verify()).brokenAt).toBe(1);
  });

  it('detects a payload removed without a forget record (someone hiding a row)', () => {
    const log = open(store.db);
    for (let i = 0; i < 3; i++) log.append({ kind: 'decision', actor: 'agent', host: 'web-7', subject: `rm -rf /srv/${i}`, data: {} });
    log.checkpoint();
    // The one UPDATE the schema allows, done by hand: the digest is even correct.
    const row = store.db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as { actor: string; host: string; subject: string; data_json: string };
    const digest = auditPayloadSha256({ actor: row.actor, host: row.host, subject: row.subject, data: JSON.parse(row.data_json) });
    store.db.prepare("UPDATE audit_log SET actor = NULL, host = NULL, subject = NULL, data_json = NULL, payload_sha256 = ?, forgotten_at = '2025-01-02T00:00:00.000Z' WHERE seq = 2").run(digest);
    const result = broken(log.verify());
    expect(result.brokenAt).toBe(2);
    expect(result.problem).toMatch(/no forget record accounts for it/);
  });

  it('refuses to forget a row that no longer matches its hash', () => {
    const log = open(store.db);
    for (let i = 0; i < 3; i++) log.append({ kind: 'decision', actor: 'agent', host: 'web-7', subject: `uptime ${i}`, data: {} });
    disarm(store.db);
    store.db.prepare("UPDATE audit_log SET subject = 'reboot' WHERE seq = 2").run();
    expect(() => log.forget([2], { actor: 'cli', subject: 'forget' })).toThrow(AuditForgetError);
    expect(broken(log.verify()).brokenAt).toBe(2);
  });
});

describe('migrating a chain written in format 1', () => {
  /** A store at the schema before format 2, with rows written the way the old code wrote them. */
  function oldChain(): { db: SqliteDatabase; log: AuditLog } {
    const db = openDatabase(':memory:', migrations.filter((m) => m.version < FORMAT2_VERSION));
    let prevHash = '0'.repeat(64);
    for (let seq = 1; seq <= 5; seq++) {
      const row = { seq, at: now().toISOString(), kind: 'decision', actor: `agent:conv-${seq % 2}`, host: seq % 2 ? 'web-7' : 'db-1', subject: `uptime #${seq}`, data: { decision: 'allow', n: seq }, prevHash };
      const hash = hashAuditRow(row);
      db.prepare('INSERT INTO audit_log (seq, at, kind, actor, host, subject, data_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(seq, row.at, row.kind, row.actor, row.host, row.subject, canonicalJson(row.data), prevHash, hash);
      prevHash = hash;
    }
    const log = open(db);
    log.checkpoint('manual');
    return { db, log };
  }

  it('keeps old rows verifying, appends format 2 rows after them, forgets old and new rows, and old anchors still verify', () => {
    const { db, log } = oldChain();
    // The head an operator anchored before upgrading.
    const oldHead = log.head();
    migrate(db, migrations);
    expect(db.prepare('SELECT DISTINCT format FROM audit_log').all()).toEqual([{ format: 1 }]);
    expect(log.verify({ anchors: [oldHead] })).toMatchObject({ ok: true, rows: 5 });

    log.append({ kind: 'decision', actor: 'agent:conv-1', host: 'web-7', subject: 'df -h', data: {} });
    log.append({ kind: 'decision', actor: 'agent:conv-0', host: 'db-1', subject: 'free -m', data: {} });
    expect((db.prepare('SELECT format FROM audit_log WHERE seq = 6').get() as { format: number }).format).toBe(2);
    log.checkpoint();
    const newHead = log.head();
    expect(log.verify({ anchors: [oldHead, newHead] })).toMatchObject({ ok: true, rows: 7 });

    const seqs = log.findPayloads({ hosts: ['web-7'] });
    expect(seqs).toEqual([1, 3, 5, 6]);
    log.forget(seqs, { actor: 'cli', subject: 'forget', data: { reason: 'host' } });
    log.checkpoint();
    expect(raw(db)).not.toContain('web-7');
    expect(log.verify({ anchors: [oldHead, newHead] })).toMatchObject({ ok: true, rows: 8 });

    // A forgotten format-1 row: its digest is held by the forget record, so changing it is caught.
    disarm(db);
    db.prepare('UPDATE audit_log SET payload_sha256 = ? WHERE seq = 3').run('2'.repeat(64));
    const result = broken(log.verify());
    expect(result.brokenAt).toBe(3);
    expect(result.problem).toMatch(/digest differs/);
    db.close();
  });

  it('still catches an edit of a format 1 row after the migration, and its hash replaced, through the next row', () => {
    const { db, log } = oldChain();
    migrate(db, migrations);
    disarm(db);
    db.prepare("UPDATE audit_log SET subject = 'reboot' WHERE seq = 2").run();
    expect(broken(log.verify()).brokenAt).toBe(2);
    db.prepare("UPDATE audit_log SET hash = '3333333333333333333333333333333333333333333333333333333333333333' WHERE seq = 2").run();
    expect(broken(log.verify()).brokenAt).toBe(2);
    db.close();
  });

  it('detects a forgotten format 1 row whose stored hash was replaced, through the next row', () => {
    const { db, log } = oldChain();
    migrate(db, migrations);
    log.forget([2], { actor: 'cli', subject: 'forget' });
    expect(log.verify()).toMatchObject({ ok: true });
    disarm(db);
    db.prepare("UPDATE audit_log SET hash = '4444444444444444444444444444444444444444444444444444444444444444' WHERE seq = 2").run();
    expect(broken(log.verify()).brokenAt).toBe(3);
    db.close();
  });
});
