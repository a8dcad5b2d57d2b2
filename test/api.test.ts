import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditPageSchema, ChatEventSchema, ChatResponseSchema, ConversationDetailSchema, ConversationListSchema, ErrorResponseSchema, HealthSchema, type ChatEvent } from '../src/shared/protocol';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

let server: RunningServer;

beforeAll(async () => {
  server = await startBuiltServer();
});
afterAll(async () => {
  await server?.stop();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const parsed = ErrorResponseSchema.parse(await res.json());
  expect(parsed.error.code).toBe(code);
  expect(parsed.error.message.length).toBeGreaterThan(5);
}

describe('HTTP API (real server, built CLI)', () => {
  it('answers the README curl with this machine\'s real state', async () => {
    const res = await post(JSON.stringify({ message: 'Show server status' }));
    expect(res.status).toBe(200);
    const body = ChatResponseSchema.parse(await res.json());
    expect(body.engine).toBe('offline');
    expect(body.reply).toContain(hostname());
    expect(body.reply).toMatch(/Load average: [\d.]+ \/ [\d.]+ \/ [\d.]+/);
    expect(body.reply).toMatch(/Memory: .* used of .*\nSwap:/);
    expect(body.reply, body.reply).toMatch(/Disks:\nMount/);
    expect(body.reply).toContain('Listening ports');
    expect(body.toolCalls).toEqual([expect.objectContaining({ tool: 'server_status', ok: true, host: 'localhost' })]);
    expect(body.pendingApprovals).toEqual([]);
  });

  it('continues a conversation and keeps it in the store', async () => {
    const first = ChatResponseSchema.parse(await (await post(JSON.stringify({ message: 'memory usage' }))).json());
    const second = ChatResponseSchema.parse(
      await (await post(JSON.stringify({ message: 'and disk usage?', conversationId: first.conversationId }))).json(),
    );
    expect(second.conversationId).toBe(first.conversationId);
    const detail = ConversationDetailSchema.parse(await (await fetch(`${server.url}/api/conversations/${first.conversationId}`)).json());
    expect(detail.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(detail.messages[3]?.toolCalls[0]?.tool).toBe('disk_usage');
  });

  it('streams typed events with "stream": true', async () => {
    const res = await post(JSON.stringify({ message: 'Show server status', stream: true }));
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events: ChatEvent[] = text
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => ChatEventSchema.parse(JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6))));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('tool_call');
    expect(types).toContain('tool_result');
    expect(types).toContain('token');
    expect(types.at(-1)).toBe('done');
    const tokens = events.flatMap((e) => (e.type === 'token' ? [e.text] : [])).join('');
    const done = events.at(-1);
    expect(done?.type === 'done' && done.response.reply).toBe(tokens);
  });

  it('streams when the client asks with Accept: text/event-stream', async () => {
    const res = await post(JSON.stringify({ message: 'disk usage' }), { Accept: 'text/event-stream' });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await res.text()).toContain('event: done');
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^fleetmind_llm_budget_state 0$/m);
    expect(text).toMatch(/^fleetmind_approvals_pending 0$/m);
    expect(text).toMatch(/^fleetmind_llm_cost_usd\{period="day"\} 0$/m);
    expect(text).toMatch(/^fleetmind_process_resident_memory_bytes \d+/m);
  });

  it('reports health', async () => {
    const health = HealthSchema.parse(await (await fetch(`${server.url}/api/health`)).json());
    expect(health.ok).toBe(true);
    expect(health.engine).toBe('offline');
  });

  describe('bad input gets a 4xx with {error:{code,message}}, never a crash', () => {
    it('malformed JSON', async () => expectError(await post('{"message": '), 400, 'invalid_json'));
    it('wrong type', async () => expectError(await post(JSON.stringify({ message: 42 })), 400, 'bad_request'));
    it('missing message', async () => expectError(await post(JSON.stringify({})), 400, 'bad_request'));
    it('empty message', async () => expectError(await post(JSON.stringify({ message: '   ' })), 400, 'bad_request'));
    it('unknown field', async () => expectError(await post(JSON.stringify({ message: 'hi', admin: true })), 400, 'bad_request'));
    it('an array body', async () => expectError(await post('[1,2]'), 400, 'bad_request'));
    it('empty body', async () => expectError(await post(''), 400, 'bad_request'));
    it('oversized message', async () => expectError(await post(JSON.stringify({ message: 'x'.repeat(16_001) })), 413, 'payload_too_large'));
    it('oversized body', async () => expectError(await post(JSON.stringify({ message: 'hi', pad: 'x'.repeat(200_000) })), 413, 'payload_too_large'));
    it('not JSON content type', async () => {
      const res = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'Show server status' });
      await expectError(res, 415, 'unsupported_media_type');
    });
    it('unknown conversation', async () => expectError(await post(JSON.stringify({ message: 'hi', conversationId: 'nope' })), 404, 'not_found'));
    it('unknown host field', async () => expectError(await post(JSON.stringify({ message: 'status', host: 'web-99' })), 400, 'unknown_host'));
    it('unknown API route', async () => expectError(await fetch(`${server.url}/api/nope`), 404, 'not_found'));

    it('a message naming an unknown host gets a clear answer', async () => {
      const body = ChatResponseSchema.parse(await (await post(JSON.stringify({ message: 'why is web-2 slow?' }))).json());
      expect(body.reply).toMatch(/don't know a host named "web-2"/);
      expect(body.toolCalls).toEqual([]);
    });

    it('the server still answers after all of that', async () => {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    });
  });

  describe('origin and host checks', () => {
    it('refuses a foreign Host header (DNS rebinding)', async () => {
      const { request } = await import('node:http');
      const url = new URL(server.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: '/api/health', headers: { Host: 'evil.example:80' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
    });

    it('refuses a cross-site Origin', async () => {
      await expectError(await post(JSON.stringify({ message: 'Show server status' }), { Origin: 'http://evil.example' }), 403, 'forbidden');
    });

    it('accepts its own Origin', async () => {
      expect((await post(JSON.stringify({ message: 'disk usage' }), { Origin: server.url })).status).toBe(200);
    });
  });

  describe('operator token', () => {
    it('guards the conversation list', async () => {
      await expectError(await fetch(`${server.url}/api/conversations`), 401, 'unauthorized');
      const res = await fetch(`${server.url}/api/conversations`, { headers: { Authorization: `Bearer ${server.token}` } });
      expect(res.status).toBe(200);
      expect(ConversationListSchema.parse(await res.json()).conversations.length).toBeGreaterThan(0);
      await expectError(await fetch(`${server.url}/api/conversations`, { headers: { Authorization: 'Bearer wrong' } }), 401, 'unauthorized');
    });

    it('turns the printed single-use UI link into a separate HttpOnly session cookie', async () => {
      expect(server.uiUrl).toMatch(/\/auth\/[A-Za-z0-9_-]{43}$/);
      expect(server.uiUrl).not.toContain(server.token);
      const res = await fetch(server.uiUrl, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/');
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).not.toContain(server.token);
      const session = await fetch(`${server.url}/api/session`, { headers: { Cookie: cookie.split(';')[0]! } });
      expect(await session.json()).toEqual({ operator: true });
      // Used once, the link is dead; a made-up one never worked.
      await expectError(await fetch(server.uiUrl, { redirect: 'manual' }), 401, 'unauthorized');
      await expectError(await fetch(`${server.url}/auth/${'x'.repeat(43)}`), 401, 'unauthorized');
      // Without the cookie this (root, the server's own user) is a guest: it may chat but is no operator.
      expect(await (await fetch(`${server.url}/api/session`)).json()).toEqual({ operator: false });
    });

    it('guards the audit log and serves it with its verification', async () => {
      await expectError(await fetch(`${server.url}/api/audit`), 401, 'unauthorized');
      const page = AuditPageSchema.parse(await (await fetch(`${server.url}/api/audit?limit=5`, { headers: { Authorization: `Bearer ${server.token}` } })).json());
      expect(page.entries.length).toBe(5);
      expect(page.entries[0]!.seq).toBeGreaterThan(page.entries[4]!.seq);
      expect(page.verify.ok).toBe(true);
      const requests = AuditPageSchema.parse(await (await fetch(`${server.url}/api/audit?kind=request`, { headers: { Authorization: `Bearer ${server.token}` } })).json());
      expect(requests.entries.every((e) => e.kind === 'request' && e.actor === 'http')).toBe(true);
      await expectError(await fetch(`${server.url}/api/audit?kind=everything`, { headers: { Authorization: `Bearer ${server.token}` } }), 400, 'bad_request');
    });

    it('keeps the token file private', async () => {
      const { statSync } = await import('node:fs');
      const { join } = await import('node:path');
      expect(statSync(join(server.dataDir, 'api-token')).mode & 0o777).toBe(0o600);
    });
  });
});

describe('server start-up', () => {
  it('exits non-zero with a clear message when the port is taken', async () => {
    const { spawnSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const { repoRoot } = await import('./helpers/build');
    const port = new URL(server.url).port;
    const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'serve', '--port', port], {
      env: { ...process.env, FLEETMIND_HOME: server.dataDir },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
  });
});
