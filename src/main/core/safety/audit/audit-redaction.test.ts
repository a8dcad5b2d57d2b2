import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../store';
import { AuditLog, canonicalJson, hashAuditRow } from './index';

const KEY = Buffer.alloc(32, 7);
const TOKEN = 'ghp_R8x2Lq9ZtW4vN7mK3pB6yH1cJ5fD0sA2gE4u';
const PASSWORD = 'Pg-Vault-93kd!x';
const COMMAND = `curl -H 'Authorization: token ${TOKEN}' https://api.github.com/user > /tmp/me.json`;

let store: Store;
let clock: number;
const now = (): Date => new Date(Date.UTC(2025, 0, 1) + clock++ * 1000);
const open = () => new AuditLog(store.db, KEY, { now, checkpointEvery: 1000, scheduleBatch: null });
const raw = () => JSON.stringify(store.db.prepare('SELECT * FROM audit_log').all());

beforeEach(() => {
  store = Store.inMemory();
  clock = 0;
});
afterEach(() => store.close());

describe('AuditLog privacy at rest', () => {
  it('stores a command with a secret redacted, beside the sha256 of the exact text, and the chain verifies', () => {
    const log = open();
    const entry = log.append({ kind: 'decision', actor: 'api:exec', host: 'web-1', subject: COMMAND, data: { reasons: [`"${COMMAND}": writes to a file`], args: { url: `postgres://app:${PASSWORD}@db/app` }, n: 1 } });
    expect(entry.subject).toBe("curl -H 'Authorization: token [REDACTED:github-token#1]' https://api.github.com/user > /tmp/me.json");
    expect(entry.data).toEqual({
      reasons: [`"${entry.subject}": writes to a file`],
      args: { url: 'postgres://app:[REDACTED:url-password#1]@db/app' },
      n: 1,
      subjectSha256: createHash('sha256').update(COMMAND).digest('hex'),
    });
    expect(raw()).not.toContain(TOKEN);
    expect(raw()).not.toContain(PASSWORD);
    expect(log.list()[0]).toEqual(entry);
    log.checkpoint();
    expect(log.verify()).toMatchObject({ ok: true, rows: 1 });
  });

  it('leaves rows without secrets as they were, with no digest', () => {
    const entry = open().append({ kind: 'execution', actor: 'cli:exec', host: 'web-1', subject: 'uptime', data: { outputSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', approvalId: '5f0c2d9e-3b1a-4c7e-9d2f-8a6b4e1c0f37' } });
    expect(entry.subject).toBe('uptime');
    expect(entry.data).toEqual({ outputSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', approvalId: '5f0c2d9e-3b1a-4c7e-9d2f-8a6b4e1c0f37' });
  });

  it('keeps verifying a chain whose older rows were written before redaction, and still catches an edit', () => {
    // Rows as the log wrote them before: the exact text, hashed as it was.
    let prevHash = '0'.repeat(64);
    for (let seq = 1; seq <= 3; seq++) {
      const row = { seq, at: now().toISOString(), kind: 'decision', actor: 'cli:exec', host: 'web-1', subject: `echo ${TOKEN} #${seq}`, data: { decision: 'ask' }, prevHash };
      const hash = hashAuditRow(row);
      store.db.prepare('INSERT INTO audit_log (seq, at, kind, actor, host, subject, data_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(seq, row.at, row.kind, row.actor, row.host, row.subject, canonicalJson(row.data), prevHash, hash);
      prevHash = hash;
    }
    const log = open();
    log.append({ kind: 'decision', actor: 'cli:exec', host: 'web-1', subject: COMMAND, data: {} });
    log.checkpoint();
    expect(log.verify()).toMatchObject({ ok: true, rows: 4 });
    store.db.exec('DROP TRIGGER audit_log_append_only');
    store.db.prepare('UPDATE audit_log SET subject = ? WHERE seq = 4').run(COMMAND);
    expect(log.verify()).toMatchObject({ ok: false, brokenAt: 4 });
  });
});
