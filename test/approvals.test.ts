import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalDecisionResponseSchema, ApprovalListSchema, ChatResponseSchema, ConversationDetailSchema, ErrorResponseSchema, type ChatEvent } from '../src/shared/protocol';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';

let llm: LlmServer;
let server: RunningServer;
const scratch = mkdtempSync(join(tmpdir(), 'fm-approvals-'));

beforeAll(async () => {
  llm = await startLlmServer({
    scenario: [
      { match: { lastUser: 'The operator DENIED' }, respond: { text: 'Understood: I will not run it. {{lastUser|firstLine|maxChars=200}}' } },
      { match: { lastUser: 'The operator APPROVED' }, respond: { text: 'It ran. {{lastUser|firstLine|maxChars=200}}' } },
      { match: { toolResult: 'run_command' }, respond: { text: 'Queued: {{toolResult:run_command|firstLine|maxChars=300}}' } },
      { match: { lastUser: 'create the marker (\\S+)', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: 'touch {{lastUser.1}}', purpose: 'the operator asked for it' } }] } },
    ],
  });
  server = await startBuiltServer({ env: { OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' } });
});
afterAll(async () => {
  await server?.stop();
  await llm?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const auth = () => ({ Authorization: `Bearer ${server.token}` });
const json = { 'Content-Type': 'application/json' };

async function ask(message: string, conversationId?: string) {
  const res = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: json, body: JSON.stringify({ message, conversationId }) });
  return ChatResponseSchema.parse(await res.json());
}

/** Collects a conversation's live events until `done` (bounded). */
async function watch(conversationId: string): Promise<{ events: ChatEvent[]; untilDone: Promise<ChatEvent[]>; stop: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/api/conversations/${conversationId}/events`, { signal: controller.signal });
  const events: ChatEvent[] = [];
  const untilDone = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)) as ChatEvent);
      }
      if (events.some((e) => e.type === 'done')) break;
    }
    controller.abort();
    return events;
  })();
  return { events, untilDone, stop: () => controller.abort() };
}

describe('approvals end to end (built server, scripted model)', () => {
  it('a change waits for approval; approving runs it and the agent continues in the open conversation', async () => {
    const marker = join(scratch, 'approved-marker');
    const first = await ask(`please create the marker ${marker}`);
    expect(first.engine).toBe('model');
    expect(existsSync(marker)).toBe(false);
    const [pending] = first.pendingApprovals;
    expect(first.pendingApprovals, JSON.stringify(first)).toHaveLength(1);
    expect(pending).toMatchObject({ command: `touch ${marker}`, hosts: ['localhost'], purpose: 'the operator asked for it' });
    expect(first.reply).toMatch(/Queued: NOT RUN on localhost/);

    const listed = ApprovalListSchema.parse(await (await fetch(`${server.url}/api/approvals`, { headers: auth() })).json());
    const view = listed.approvals.find((a) => a.id === pending!.id)!;
    expect(view).toMatchObject({ status: 'pending', rememberable: true, conversationId: first.conversationId });
    expect(view.rootHosts).toEqual(process.getuid?.() === 0 ? ['localhost'] : []);

    // Deciding needs the operator token.
    const anonymous = await fetch(`${server.url}/api/approvals/${pending!.id}`, { method: 'POST', headers: json, body: JSON.stringify({ decision: 'approve' }) });
    expect(anonymous.status).toBe(401);
    expect(existsSync(marker)).toBe(false);

    const live = await watch(first.conversationId);
    const res = await fetch(`${server.url}/api/approvals/${pending!.id}`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'approve' }) });
    expect(res.status).toBe(200);
    const decided = ApprovalDecisionResponseSchema.parse(await res.json());
    expect(decided.results).toEqual([expect.objectContaining({ host: 'localhost', ok: true, exitCode: 0 })]);
    expect(existsSync(marker)).toBe(true);

    const events = await live.untilDone;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['tool_result', 'token', 'done']));
    const done = events.find((e) => e.type === 'done');
    expect(done?.type === 'done' && done.response.reply).toMatch(/^It ran\./);

    const detail = ConversationDetailSchema.parse(await (await fetch(`${server.url}/api/conversations/${first.conversationId}`)).json());
    expect(detail.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(detail.messages[2]!.content).toMatch(/APPROVED `touch .*` on localhost/);
    expect(detail.messages[2]!.toolCalls[0]).toMatchObject({ tool: 'run_command', ok: true });

    // Decided once only.
    const again = await fetch(`${server.url}/api/approvals/${pending!.id}`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'approve' }) });
    expect(again.status).toBe(409);
    expect(ErrorResponseSchema.parse(await again.json()).error.message).toMatch(/already approved/);
  });

  it('denying tells the agent why, and nothing runs', async () => {
    const marker = join(scratch, 'denied-marker');
    const first = await ask(`please create the marker ${marker}`);
    const id = first.pendingApprovals[0]!.id;
    const live = await watch(first.conversationId);
    const res = await fetch(`${server.url}/api/approvals/${id}`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'deny', reason: 'not during business hours' }) });
    expect(res.status).toBe(200);
    const events = await live.untilDone;
    const done = events.find((e) => e.type === 'done');
    expect(done?.type === 'done' && done.response.reply).toMatch(/Understood: I will not run it/);
    expect(existsSync(marker)).toBe(false);
    const sent = llm.chatRequests.at(-1)!.body as { messages: { content: string }[] };
    expect(sent.messages.at(-1)!.content).toMatch(/DENIED .* saying: "not during business hours"/);
  });

  it('an expired approval never runs', async () => {
    const marker = join(scratch, 'expired-marker');
    const first = await ask(`please create the marker ${marker}`);
    const id = first.pendingApprovals[0]!.id;
    const db = new Database(join(server.dataDir, 'fleetmind.db'));
    db.prepare("UPDATE approvals SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").run(id);
    db.close();
    const res = await fetch(`${server.url}/api/approvals/${id}`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'approve' }) });
    expect(res.status).toBe(409);
    expect(ErrorResponseSchema.parse(await res.json()).error.message).toMatch(/expired/);
    expect(existsSync(marker)).toBe(false);
  });

  it('"approve and remember" for the host lets that exact command run next time, and nothing else', async () => {
    const marker = join(scratch, 'remembered-marker');
    const first = await ask(`please create the marker ${marker}`);
    const id = first.pendingApprovals[0]!.id;
    const res = await fetch(`${server.url}/api/approvals/${id}`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'approve', remember: 'host' }) });
    const decided = ApprovalDecisionResponseSchema.parse(await res.json());
    expect(decided.remembered).toEqual([expect.objectContaining({ scope: 'host', target: 'localhost' })]);
    rmSync(marker);
    const second = await ask(`please create the marker ${marker}`);
    expect(second.pendingApprovals).toEqual([]);
    expect(existsSync(marker)).toBe(true);
    const other = await ask(`please create the marker ${marker}-other`);
    expect(other.pendingApprovals).toHaveLength(1);
    expect(existsSync(`${marker}-other`)).toBe(false);
  });

  it('rejects malformed decisions', async () => {
    const res = await fetch(`${server.url}/api/approvals/nope`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'maybe' }) });
    expect(res.status).toBe(400);
    const missing = await fetch(`${server.url}/api/approvals/nope`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ decision: 'deny' }) });
    expect(missing.status).toBe(404);
  });

  it('the CLI lists, denies and approves, with DESIGN exit codes', async () => {
    const { execFile } = await import('node:child_process');
    const { repoRoot } = await import('./helpers/build');
    // Asynchronous on purpose: the server the CLI talks to answers from this process's scripted model.
    const cli = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(repoRoot, 'bin', 'fleetmind'), ...args],
          { env: { ...process.env, FLEETMIND_HOME: server.dataDir, OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' }, timeout: 30_000 },
          (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
        );
      });
    const marker = join(scratch, 'cli-marker');
    const first = await ask(`please create the marker ${marker}`);
    const id = first.pendingApprovals[0]!.id;
    const list = await cli('approvals', 'list', '--json');
    expect(list.status).toBe(0);
    expect(ApprovalListSchema.parse(JSON.parse(list.stdout)).approvals.map((a) => a.id)).toContain(id);
    const deny = await cli('approvals', 'deny', id, '--reason', 'use the maintenance window');
    expect(deny.status, deny.stderr).toBe(0);
    expect(deny.stderr).toMatch(/denied/);
    expect(existsSync(marker)).toBe(false);
    const late = await cli('approvals', 'approve', id);
    expect(late.status).toBe(1);
    expect(late.stderr).toMatch(/already denied/);
    expect((await cli('approvals', 'approve', 'no-such-id')).status).toBe(2);
    expect((await cli('approvals', 'approve', id, '--remember', 'forever')).status).toBe(2);
    // The CLI decided through the server, which continues the conversation on its own: wait (bounded) for the follow-up.
    const deadline = Date.now() + 15_000;
    let detail = ConversationDetailSchema.parse(await (await fetch(`${server.url}/api/conversations/${first.conversationId}`)).json());
    while (!/Understood: I will not run it/.test(detail.messages.at(-1)!.content) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      detail = ConversationDetailSchema.parse(await (await fetch(`${server.url}/api/conversations/${first.conversationId}`)).json());
    }
    expect(detail.messages.at(-1)!.content).toMatch(/Understood: I will not run it/);

    // Server and CLI wrote to one audit log: requests, decisions and executions, intact.
    const approvalsLog = await cli('audit', 'list', '--kind', 'approval', '--limit', '100', '--json');
    const events = approvalsLog.stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: string; data: { event: string; approvalId: string } });
    expect(events.filter((e) => e.data.approvalId === id).map((e) => e.data.event).sort()).toEqual(['denied', 'requested']);
    expect(events.find((e) => e.data.event === 'denied' && e.data.approvalId === id)?.actor).toBe('cli');
    expect(events.some((e) => e.data.event === 'approved' && e.actor === 'api')).toBe(true);
    expect((await cli('audit', 'list', '--kind', 'policy', '--json')).stdout).toMatch(/remembered_rule/);
    const verify = await cli('audit', 'verify');
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });
});
