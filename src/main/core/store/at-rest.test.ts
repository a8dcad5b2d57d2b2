import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mapStrings, migrate, migrations, openDatabase, Store, STORE_FILE, type AtRestRedactor } from './index';

// The store sits below `privacy`, so these tests stand in a redactor of their own: anything
// shaped like SECRET-xxxx becomes a placeholder, numbered per conversation like the real one.
function fakeRedactor(): { redact: AtRestRedactor; calls: (string | null)[] } {
  const calls: (string | null)[] = [];
  const sessions = new Map<string, Map<string, string>>();
  return {
    calls,
    redact: (text, conversationId) => {
      calls.push(conversationId);
      const key = conversationId ?? `fresh-${calls.length}`;
      const session = sessions.get(key) ?? new Map<string, string>();
      sessions.set(key, session);
      return text.replace(/SECRET-[A-Za-z0-9]+/g, (secret) => {
        if (!session.has(secret)) session.set(secret, `[REDACTED:test#${session.size + 1}]`);
        return session.get(secret) as string;
      });
    },
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fm-at-rest-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

/** The raw bytes of the database and its WAL, as someone reading the files would see them. */
function rawFiles(dir: string): string {
  return ['', '-wal', '-shm']
    .map((suffix) => join(dir, STORE_FILE + suffix))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}

describe('privacy at rest in the store', () => {
  it('redacts every free-text column it writes, per conversation, and reads back the redacted text', () => {
    const dir = tempDir();
    const { redact } = fakeRedactor();
    const store = Store.open(dir, { redact });
    const { conversation } = store.conversations.createWithMessage({ title: 'rotate SECRET-title1 now' }, { role: 'user', content: 'my key is SECRET-user1, again SECRET-user1' });
    store.conversations.appendMessage(conversation.id, {
      role: 'assistant',
      content: 'saw SECRET-user1 and SECRET-out1',
      engine: 'model',
      toolCalls: [
        {
          id: 'c1',
          tool: 'run_command',
          args: { command: 'echo SECRET-arg1', nested: ['SECRET-arg2', { deep: 'SECRET-arg3' }], count: 3 },
          host: 'localhost',
          ok: false,
          summary: 'printed SECRET-sum1',
          error: { code: 'internal', message: 'failed near SECRET-err1' },
          durationMs: 1,
          startedAt: new Date().toISOString(),
        },
      ],
    });
    store.conversations.setSummary(conversation.id, 'summary with SECRET-sum2', 2);
    store.conversations.setPinned(conversation.id, ['never print SECRET-pin1']);
    store.usage.record({ provider: 'p', model: 'm', task: 'chat', conversationId: conversation.id, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: 0, latencyMs: 0, ttftMs: null, local: false, ok: false, error: 'provider said SECRET-usage1' });
    const approval = store.approvals.create({ conversationId: conversation.id, command: 'printf SECRET-cmd1 > /tmp/x', hosts: ['localhost'], category: 'mutating', reasons: ['"printf SECRET-cmd1 > /tmp/x": writes to a file'], purpose: 'keep SECRET-purpose1', requester: 'agent', policyVersion: 'v1', ttlMs: 60_000 });
    store.approvals.recordResults(approval.id, [{ host: 'localhost', ok: true, exitCode: 0, stdout: 'out SECRET-stdout1', stderr: 'err SECRET-stderr1', durationMs: 1, error: null }]);
    const other = store.approvals.create({ conversationId: null, command: 'touch /tmp/y', hosts: ['localhost'], category: 'mutating', reasons: [], purpose: null, requester: 'cli', policyVersion: 'v1', ttlMs: 60_000 });
    expect(store.approvals.decide(other.id, 'denied', 'not with SECRET-reason1')).toBe(true);
    store.close();

    expect(rawFiles(dir)).not.toMatch(/SECRET-/);
    expect(rawFiles(dir)).toContain('[REDACTED:test#');

    const reopened = Store.open(dir);
    const detail = reopened.conversations.detail(conversation.id)!;
    expect(detail.title).toBe('rotate [REDACTED:test#1] now');
    // One session per conversation: the same secret keeps its placeholder across writes.
    expect(detail.messages[0]!.content).toBe('my key is [REDACTED:test#2], again [REDACTED:test#2]');
    expect(detail.messages[1]!.content).toBe('saw [REDACTED:test#2] and [REDACTED:test#3]');
    expect(detail.messages[1]!.toolCalls[0]).toMatchObject({
      args: { command: 'echo [REDACTED:test#4]', nested: ['[REDACTED:test#5]', { deep: '[REDACTED:test#6]' }], count: 3 },
      summary: 'printed [REDACTED:test#7]',
      error: { code: 'internal', message: 'failed near [REDACTED:test#8]' },
    });
    expect(reopened.conversations.memory(conversation.id)).toEqual({ summary: 'summary with [REDACTED:test#9]', summaryUptoSeq: 2, pinned: ['never print [REDACTED:test#10]'] });
    const stored = reopened.approvals.get(approval.id)!;
    expect(stored).toMatchObject({ command: 'printf [REDACTED:test#12] > /tmp/x', purpose: 'keep [REDACTED:test#13]' });
    expect(stored.reasons).toEqual(['"printf [REDACTED:test#12] > /tmp/x": writes to a file']);
    expect(stored.results![0]).toMatchObject({ stdout: 'out [REDACTED:test#14]', stderr: 'err [REDACTED:test#15]' });
    expect(stored.commandSha256).toBe(createHash('sha256').update('printf SECRET-cmd1 > /tmp/x').digest('hex'));
    expect(reopened.approvals.get(other.id)!.decisionReason).toBe('not with [REDACTED:test#1]');
    reopened.close();
  });

  it('keeps the exact text of a pending command with a secret in memory only, bound by its digest', () => {
    const dir = tempDir();
    const { redact } = fakeRedactor();
    const queuing = Store.open(dir, { redact });
    const ask = { conversationId: null, hosts: ['localhost'], category: 'mutating', reasons: [], purpose: null, requester: 'cli', policyVersion: 'v1', ttlMs: 60_000 };
    const secret = queuing.approvals.create({ ...ask, command: 'curl -u me:SECRET-pw1 https://x > out' });
    const plain = queuing.approvals.create({ ...ask, command: 'touch /tmp/plain' });
    expect(queuing.approvals.get(secret.id)!.command).toBe('curl -u me:[REDACTED:test#1] https://x > out');
    expect(queuing.approvals.exactCommand(secret.id)).toBe('curl -u me:SECRET-pw1 https://x > out');
    expect(queuing.approvals.exactCommand(plain.id)).toBe('touch /tmp/plain');

    // Another process (or this one after a restart) has the row, not the secret.
    const elsewhere = Store.open(dir, { redact });
    expect(elsewhere.approvals.exactCommand(secret.id)).toBeNull();
    expect(elsewhere.approvals.exactCommand(plain.id)).toBe('touch /tmp/plain');
    // A stored text edited to something else no longer matches the digest: nothing to run.
    elsewhere.db.prepare('UPDATE approvals SET command = ? WHERE id = ?').run('touch /tmp/other', plain.id);
    expect(elsewhere.approvals.exactCommand(plain.id)).toBeNull();
    elsewhere.close();

    // Decided (here or elsewhere): the secret is not held any longer.
    expect(queuing.approvals.decide(secret.id, 'approved', null)).toBe(true);
    expect(queuing.approvals.exactCommand(secret.id)).toBeNull();
    const second = queuing.approvals.create({ ...ask, command: 'echo SECRET-two > f' });
    const other = Store.open(dir, { redact });
    other.approvals.decide(second.id, 'denied', null);
    other.close();
    queuing.approvals.pending();
    expect(queuing.approvals.exactCommand(second.id)).toBeNull();
    queuing.close();
  });

  it('reads approvals stored before migration 10 as exact text (no digest)', () => {
    const dir = tempDir();
    const file = join(dir, STORE_FILE);
    const old = openDatabase(file, migrations.filter((m) => m.version < 10));
    old.prepare(`INSERT INTO approvals (id, conversation_id, command, hosts_json, category, reasons_json, purpose, requester, policy_version, status, requested_at, expires_at)
      VALUES ('a1', NULL, 'touch /tmp/legacy', '["localhost"]', 'mutating', '[]', NULL, 'cli', 'v1', 'pending', ?, ?)`).run(new Date().toISOString(), new Date(Date.now() + 60_000).toISOString());
    migrate(old, migrations);
    old.close();
    const store = Store.open(dir);
    expect(store.approvals.get('a1')).toMatchObject({ command: 'touch /tmp/legacy', commandSha256: null });
    expect(store.approvals.exactCommand('a1')).toBe('touch /tmp/legacy');
    store.close();
  });

  it('zeroes deleted and overwritten text: neither the .db nor the WAL keeps it once a checkpoint lets the WAL restart', () => {
    // Settings are not redacted (they are configuration), which makes them a plain carrier here.
    const leftovers = (pragmas: string[]): string[] => {
      const dir = tempDir();
      const store = Store.open(dir);
      for (const p of pragmas) store.db.pragma(p);
      store.settings.set('overwritten', 'SECRET-updated-away');
      store.settings.set('deleted', 'SECRET-deleted-row');
      // Rows after them, so the freed cells lie inside the page rather than at its free end.
      for (let i = 0; i < 40; i++) store.settings.set(`filler.${i}`, 'x'.repeat(60));
      store.settings.set('overwritten', 'nothing');
      store.db.prepare("DELETE FROM settings WHERE key = 'deleted'").run();
      store.db.pragma('wal_checkpoint(PASSIVE)');
      // The next write (to another table, so it cannot reuse the freed space) restarts the WAL.
      store.usage.record({ provider: 'p', model: 'm', task: 'chat', conversationId: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costUsd: 0, latencyMs: 0, ttftMs: null, local: true, ok: true, error: null });
      const raw = rawFiles(dir);
      store.close();
      return ['SECRET-updated-away', 'SECRET-deleted-row'].filter((s) => raw.includes(s));
    };
    expect(leftovers([])).toEqual([]);
    // Each setting matters: without it the old text stays in a file.
    expect(leftovers(['secure_delete = OFF'])).toContain('SECRET-deleted-row');
    expect(leftovers(['journal_size_limit = -1'])).not.toEqual([]);
  });

  it('mapStrings reaches every string of a JSON value and leaves the rest as it is', () => {
    const upper = (s: string) => s.toUpperCase();
    expect(mapStrings({ a: 'x', b: [1, 'y', { c: null, d: true }], 'k': { e: 'z' } }, upper)).toEqual({ A: 'X', B: [1, 'Y', { C: null, D: true }], K: { E: 'Z' } });
    expect(mapStrings('plain', upper)).toBe('PLAIN');
    expect(mapStrings(42, upper)).toBe(42);
  });
});
