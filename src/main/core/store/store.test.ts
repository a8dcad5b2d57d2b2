import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, migrations, openDatabase, Store, StoreError } from './index';

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'fm-store-'));
}

describe('Store', () => {
  it('uses WAL and applies every migration once', () => {
    const dir = tempDir();
    const store = Store.open(dir);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = store.db.prepare('SELECT version FROM schema_migrations').all();
    expect(versions).toHaveLength(migrations.length);
    store.close();
    const again = Store.open(dir);
    expect(again.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length });
    again.close();
  });

  it('keeps a conversation with its messages and tool calls across a reopen', () => {
    const dir = tempDir();
    const store = Store.open(dir);
    const conv = store.conversations.create({ title: '  Show   server status  ', host: 'localhost' });
    store.conversations.appendMessage(conv.id, { role: 'user', content: 'Show server status' });
    store.conversations.appendMessage(conv.id, {
      role: 'assistant',
      content: 'all good',
      engine: 'offline',
      toolCalls: [
        {
          id: 'call-1',
          tool: 'server_status',
          args: { host: 'localhost' },
          host: 'localhost',
          ok: true,
          summary: 'load 0.1',
          error: null,
          durationMs: 12.5,
          startedAt: new Date().toISOString(),
        },
      ],
    });
    store.close();

    const reopened = Store.open(dir);
    const detail = reopened.conversations.detail(conv.id);
    expect(detail?.title).toBe('Show server status');
    expect(detail?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(detail?.messages[1]?.toolCalls[0]).toMatchObject({ tool: 'server_status', ok: true, durationMs: 12.5 });
    expect(reopened.conversations.list()[0]?.messageCount).toBe(2);
    reopened.close();
  });

  it('stores nothing of a message whose tool call cannot be written', () => {
    const store = Store.inMemory();
    const conv = store.conversations.create({ title: 't' });
    const bad = { id: 'dup', tool: 'x', args: {}, host: null, ok: true, summary: '', error: null, durationMs: 1, startedAt: '' };
    expect(() =>
      store.conversations.appendMessage(conv.id, { role: 'assistant', content: 'half', toolCalls: [bad, bad] }),
    ).toThrow();
    expect(store.conversations.messages(conv.id)).toHaveLength(0);
  });

  it('creates a conversation and its first message together or not at all', () => {
    const store = Store.inMemory();
    const bad = { id: 'dup', tool: 'x', args: {}, host: null, ok: true, summary: '', error: null, durationMs: 1, startedAt: '' };
    expect(() => store.conversations.createWithMessage({ title: 't' }, { role: 'user', content: 'hi', toolCalls: [bad, bad] })).toThrow();
    expect(store.conversations.list()).toEqual([]);
    const { conversation } = store.conversations.createWithMessage({ title: 't' }, { role: 'user', content: 'hi' });
    expect(store.conversations.messages(conversation.id).map((m) => m.content)).toEqual(['hi']);
  });

  it('refuses a store written by a newer schema', () => {
    const file = join(tempDir(), 'x.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'now')").run();
    raw.close();
    expect(() => openDatabase(file)).toThrow(StoreError);
  });

  it('upserts, lists and removes hosts', () => {
    const store = Store.inMemory();
    store.hosts.upsert({ name: 'web-1', address: '10.0.0.1', port: 22, user: 'ops', identityFile: null, tags: ['web'], jump: null, privacy: 'default' });
    store.hosts.upsert({ name: 'web-1', address: '10.0.0.2', port: 2222, user: 'ops', identityFile: null, tags: ['web', 'prod'], jump: null, privacy: 'default' });
    expect(store.hosts.list()).toEqual([expect.objectContaining({ name: 'web-1', address: '10.0.0.2', port: 2222, tags: ['web', 'prod'] })]);
    expect(store.hosts.remove('web-1')).toBe(true);
    expect(store.hosts.remove('web-1')).toBe(false);
  });

  it('remembered rules record the policy version and verdict; remembering again replaces them', () => {
    const store = Store.inMemory();
    const first = store.rememberedRules.add({ command: 'systemctl restart nginx', scope: 'host', target: 'web-1', approvalId: 'a1', createdBy: 'cli', policyVersion: 'policy-1', verdict: { decision: 'ask', category: 'mutating', ruleIds: ['systemctl-service-state'] } });
    expect(store.rememberedRules.match('systemctl restart nginx', 'web-1', [])).toMatchObject({ id: first.id, policyVersion: 'policy-1', verdict: { decision: 'ask', category: 'mutating', ruleIds: ['systemctl-service-state'] } });
    const again = store.rememberedRules.add({ command: 'systemctl restart nginx', scope: 'host', target: 'web-1', approvalId: 'a2', createdBy: 'api', policyVersion: 'policy-2', verdict: { decision: 'ask', category: 'destructive', ruleIds: ['user-x'] } });
    expect(again).toMatchObject({ id: first.id, approvalId: 'a2', policyVersion: 'policy-2', verdict: { category: 'destructive', ruleIds: ['user-x'] } });
    expect(store.rememberedRules.list()).toHaveLength(1);
  });

  it('migration 8 gives rules remembered before it the version and category of their approval', () => {
    const db = new Database(':memory:');
    migrate(db, migrations.filter((m) => m.version < 8));
    db.prepare(
      `INSERT INTO approvals (id, command, hosts_json, category, reasons_json, requester, policy_version, status, requested_at, expires_at)
       VALUES ('a1', 'touch /srv/x', '["web-1"]', 'mutating', '[]', 'agent:c', 'policy-old', 'approved', '2024-01-01T00:00:00Z', '2024-01-01T00:30:00Z')`,
    ).run();
    const insert = db.prepare(`INSERT INTO remembered_rules (id, command, scope, target, approval_id, created_by, created_at) VALUES (?, ?, 'host', 'web-1', ?, 'cli', '2024-01-01T00:01:00Z')`);
    insert.run('r1', 'touch /srv/x', 'a1');
    insert.run('r2', 'touch /srv/y', null);
    migrate(db, migrations);
    const store = new Store(db);
    expect(store.rememberedRules.match('touch /srv/x', 'web-1', [])).toMatchObject({ id: 'r1', policyVersion: 'policy-old', verdict: { decision: 'ask', category: 'mutating', ruleIds: null } });
    expect(store.rememberedRules.match('touch /srv/y', 'web-1', [])).toMatchObject({ id: 'r2', policyVersion: null, verdict: null });
    store.close();
  });

  it('round-trips settings', () => {
    const store = Store.inMemory();
    expect(store.settings.get('x')).toBeUndefined();
    store.settings.set('x', { a: 1 });
    expect(store.settings.get('x')).toEqual({ a: 1 });
  });
});
