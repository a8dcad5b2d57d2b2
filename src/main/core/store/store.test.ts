import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations, openDatabase, Store, StoreError } from './index';

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

  it('round-trips settings', () => {
    const store = Store.inMemory();
    expect(store.settings.get('x')).toBeUndefined();
    store.settings.set('x', { a: 1 });
    expect(store.settings.get('x')).toEqual({ a: 1 });
  });
});
