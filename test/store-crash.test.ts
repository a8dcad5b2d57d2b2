import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatResponseSchema } from '../src/shared/protocol';
import { Store } from '../src/main/core/store';
import { startBuiltServer } from './helpers/built-server';

const dataDir = mkdtempSync(join(tmpdir(), 'fm-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a kill -9 while writing', () => {
  it('loses at most the messages in flight, and the store opens cleanly after', async () => {
    const server = await startBuiltServer({ dataDir });
    const acknowledged: string[] = [];
    let stop = false;
    const CONCURRENCY = 4;
    const worker = async () => {
      for (let i = 0; i < 200 && !stop; i++) {
        try {
          const res = await fetch(`${server.url}/api/chat`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ message: 'disk usage' }),
          });
          if (res.status === 200) acknowledged.push(ChatResponseSchema.parse(await res.json()).conversationId);
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    // Let writes pile up, then pull the plug without any chance to clean up.
    while (acknowledged.length < 20) await new Promise((r) => setTimeout(r, 20));
    server.process.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await server.stop();

    const store = Store.open(dataDir);
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      for (const id of acknowledged) {
        expect(store.conversations.messages(id).map((m) => m.role), id).toEqual(['user', 'assistant']);
      }
      const all = store.conversations.list(10_000);
      const unanswered = all.filter((c) => store.conversations.messages(c.id).length < 2);
      // Only requests that were in flight at the kill may lack their answer.
      expect(unanswered.length).toBeLessThanOrEqual(CONCURRENCY);
      expect(all.every((c) => store.conversations.messages(c.id)[0]?.role === 'user')).toBe(true);
    } finally {
      store.close();
    }

    // And the product itself starts again on the same store.
    const again = await startBuiltServer({ dataDir });
    try {
      const res = await fetch(`${again.url}/api/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: 'memory', conversationId: acknowledged[0] }),
      });
      expect(res.status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});
