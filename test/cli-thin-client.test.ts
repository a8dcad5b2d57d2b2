import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ApprovalListSchema, ApprovalViewSchema, ChatResponseSchema, ExecResultLineSchema, type ChatEvent } from '../src/shared/protocol';
import { FLEETMIND_VERSION } from '../src/main/core/version';
import { ensureBuilt, repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { startLlmServer } from './fixtures/llm-server/index';

// Each test starts a server and several CLI processes (the local ones load the policy): on a busy machine that takes a while.
vi.setConfig({ testTimeout: 120_000 });

const homes: string[] = [];
afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
const freshHome = () => {
  const h = mkdtempSync(join(tmpdir(), 'fm-thin-'));
  homes.push(h);
  return h;
};

/** The environment without any model configuration: a CLI that could only answer offline. */
function modelless(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'FLEETMIND_MODEL']) delete env[name];
  return env;
}

/** Async, so a server started by the same test process can answer meanwhile. */
function fleetmind(home: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...modelless(), FLEETMIND_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The JSON lines without what differs from run to run (timings, approval ids). */
function normalized(stdout: string) {
  return stdout
    .trim()
    .split('\n')
    .map((l) => ExecResultLineSchema.strict().parse(JSON.parse(l)))
    .map((l) => ({ ...l, durationMs: 0, error: l.error ? { ...l.error, approvalId: l.error.approvalId ? 'ID' : undefined, message: l.error.message.replace(/[0-9a-f-]{36}/g, 'ID').replace(/pending until \S+/, 'pending until T') } : null }));
}

describe('thin client: exec through the running server', () => {
  it('takes the server path when a server runs, with the same JSON lines and approvals as locally', async () => {
    const server = await startBuiltServer();
    try {
      expect(existsSync(join(server.dataDir, 'run', 'cli.sock'))).toBe(true);
      for (const words of [['uname', '-n'], ['ls /definitely-missing'], ['touch /tmp/fleetmind-thin-should-not-exist'], ['cat /etc/shadow']]) {
        const viaServer = await fleetmind(server.dataDir, 'exec', '--verbose', '--json', '--hosts', 'localhost', '--', ...words);
        expect(viaServer.stderr).toMatch(/exec via the server/);
        const local = await fleetmind(freshHome(), 'exec', '--verbose', '--json', '--hosts', 'localhost', '--', ...words);
        expect(local.stderr).toMatch(/exec locally/);
        expect(viaServer.code).toBe(local.code);
        expect(normalized(viaServer.stdout)).toEqual(normalized(local.stdout));
      }
      // The approval the server queued is in the shared store.
      const pending = await fleetmind(server.dataDir, 'approvals', 'list', '--json');
      expect(pending.stdout).toMatch(/fleetmind-thin-should-not-exist/);
      // Bad usage is still bad usage.
      expect(await fleetmind(server.dataDir, 'exec', '--hosts', 'web-9', '--', 'uptime')).toMatchObject({ code: 2, stderr: expect.stringMatching(/no host matches "web-9"/) });
    } finally {
      await server.stop();
    }
  });

  it('runs locally under the current policy once policy.yaml changed after the server loaded its own', async () => {
    const server = await startBuiltServer();
    try {
      const before = await fleetmind(server.dataDir, 'exec', '--verbose', '--json', '--hosts', 'localhost', '--', 'uname', '-n');
      expect(before.stderr).toMatch(/exec via the server/);
      // The operator tightens the policy: uname now asks. The server still holds the old policy.
      writeFileSync(
        join(server.dataDir, 'policy.yaml'),
        ['rules:', '  - id: user-uname-asks', '    program: uname', '    decision: ask', '    category: mutating', '    reason: test tightening', '    match: [uname -n]', ''].join('\n'),
      );
      const after = await fleetmind(server.dataDir, 'exec', '--verbose', '--json', '--hosts', 'localhost', '--', 'uname', '-n');
      expect(after.stderr).toMatch(/exec locally: the policy file changed/);
      expect(ExecResultLineSchema.parse(JSON.parse(after.stdout.trim())).error?.code).toBe('approval_required');
    } finally {
      await server.stop();
    }
  });

  it('removes a stale socket and runs locally', async () => {
    ensureBuilt();
    const home = freshHome();
    const sock = join(home, 'run', 'cli.sock');
    mkdirSync(join(home, 'run'), { mode: 0o700 });
    // A server that died without cleaning up: the socket file stays, nobody listens.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.exit(0))`]);
    expect(existsSync(sock)).toBe(true);
    const r = await fleetmind(home, 'exec', '--verbose', '--json', '--hosts', 'localhost', '--', 'uname', '-n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/removed a stale socket/);
    expect(existsSync(sock)).toBe(false);
  });

  it('refuses a server of another version with a clear message', async () => {
    ensureBuilt();
    const home = freshHome();
    mkdirSync(join(home, 'run'), { mode: 0o700 });
    const other = createServer((s) => s.end(`${JSON.stringify({ type: 'hello', version: '0.0.0-other' })}\n`));
    await new Promise<void>((r) => other.listen(join(home, 'run', 'cli.sock'), r));
    try {
      const r = await fleetmind(home, 'exec', '--json', '--hosts', 'localhost', '--', 'uname', '-n');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/server of version 0\.0\.0-other is running .* this CLI is version/);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});

/** One request on the server's CLI socket, as any process that reached the socket could send it; every line the server answers. */
function rawRequest(server: RunningServer, request: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const socket = createConnection(join(server.dataDir, 'run', 'cli.sock'));
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: socket }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  socket.once('connect', () => socket.write(`${JSON.stringify({ version: FLEETMIND_VERSION, ...request })}\n`));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => setImmediate(() => resolve(lines)));
  });
}

/** Subscribes to a conversation's live events on the server; `untilDone` collects them until `done` (bounded). */
async function watch(server: RunningServer, conversationId: string): Promise<{ untilDone: Promise<ChatEvent[]> }> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/api/conversations/${conversationId}/events`, { signal: controller.signal });
  const untilDone = (async () => {
    const events: ChatEvent[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const timer = setTimeout(() => controller.abort(), 20_000);
    try {
      while (!events.some((e) => e.type === 'done')) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const data = buffer.slice(0, cut).split('\n').find((l) => l.startsWith('data: '));
          buffer = buffer.slice(cut + 2);
          if (data) events.push(JSON.parse(data.slice(6)) as ChatEvent);
        }
      }
    } catch {
      // aborted: the events so far
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return events;
  })();
  // Wrapped: an async function returning the bare promise would wait for it.
  return { untilDone };
}

describe('thin client: privileged operations through the running server', () => {
  it('approving from the CLI runs the command in the server, whose agent continues the conversation live', async () => {
    const scratch = freshHome();
    const llm = await startLlmServer({
      scenario: [
        { match: { lastUser: 'The operator APPROVED' }, respond: { text: 'It ran. {{lastUser|firstLine|maxChars=200}}' } },
        { match: { toolResult: 'run_command' }, respond: { text: 'Queued: {{toolResult:run_command|firstLine|maxChars=300}}' } },
        { match: { lastUser: 'create the marker (\\S+)', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: 'touch {{lastUser.1}}' } }] } },
      ],
    });
    // Only the server knows the model; the CLI that approves has none.
    const server = await startBuiltServer({ env: { OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' } });
    try {
      const marker = join(scratch, 'approved-from-cli');
      const chat = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: `please create the marker ${marker}` }) });
      const first = ChatResponseSchema.parse(await chat.json());
      const id = first.pendingApprovals[0]?.id as string;
      expect(id, JSON.stringify(first)).toBeTruthy();

      const listed = await fleetmind(server.dataDir, 'approvals', 'list', '--json', '--verbose');
      expect(listed.stderr).toMatch(/approvals list via the server \(socket .*cli\.sock\)/);
      expect(ApprovalListSchema.parse(JSON.parse(listed.stdout)).approvals.map((a) => a.id)).toContain(id);

      const live = await watch(server, first.conversationId);
      const approved = await fleetmind(server.dataDir, 'approvals', 'approve', '--verbose', id.slice(0, 8));
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stderr).toMatch(/approvals approve via the server \(socket .*cli\.sock\)/);
      expect(approved.stderr).toContain(`approving ${id}: touch ${marker} on localhost`);
      expect(approved.stderr).toMatch(/the agent is continuing the conversation in the server/);
      expect(existsSync(marker)).toBe(true);

      // The follow-up came from the server's agent and model (this CLI has no model), to the server's open view.
      const events = await live.untilDone;
      expect(events.map((e) => e.type), server.stderr()).toEqual(expect.arrayContaining(['tool_result', 'done']));
      const done = events.find((e) => e.type === 'done');
      expect(done?.type === 'done' && done.response.reply).toMatch(/^It ran\. .*The operator APPROVED `touch /);

      const shown = await fleetmind(server.dataDir, 'approvals', 'show', id, '--json');
      expect(ApprovalViewSchema.parse(JSON.parse(shown.stdout).approval)).toMatchObject({ status: 'approved', results: [expect.objectContaining({ host: 'localhost', ok: true })] });
    } finally {
      await server.stop();
      await llm.stop();
    }
  });

  it('an exec queued in the server is approved in the server; without a server the CLI decides here', async () => {
    const scratch = freshHome();
    const server = await startBuiltServer();
    try {
      const marker = join(scratch, 'exec-approved');
      const queued = await fleetmind(server.dataDir, 'exec', '--json', '--verbose', '--hosts', 'localhost', '--', `touch ${marker}`);
      expect(queued.stderr).toMatch(/exec via the server/);
      const id = ExecResultLineSchema.parse(JSON.parse(queued.stdout.trim())).error?.approvalId as string;
      expect(id).toBeTruthy();
      const approved = await fleetmind(server.dataDir, 'approvals', 'approve', id, '--json', '--verbose');
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stderr).toMatch(/approvals approve via the server/);
      expect(ExecResultLineSchema.parse(JSON.parse(approved.stdout.trim()))).toMatchObject({ host: 'localhost', ok: true, exitCode: 0 });
      expect(existsSync(marker)).toBe(true);
      // Errors keep their exit codes over the socket: an unknown id is bad usage, a decided one a failure.
      expect(await fleetmind(server.dataDir, 'approvals', 'approve', 'no-such-id')).toMatchObject({ code: 2, stderr: expect.stringMatching(/no approval with id no-such-id/) });
      expect(await fleetmind(server.dataDir, 'approvals', 'deny', id)).toMatchObject({ code: 1, stderr: expect.stringMatching(/already approved/) });
    } finally {
      await server.stop();
    }
    const home = freshHome();
    const local = await fleetmind(home, 'approvals', 'list', '--verbose');
    expect(local.code).toBe(0);
    expect(local.stderr).toMatch(/approvals list locally: no server for/);
  });

  it('refuses socket requests without the operator token or with a wrong one', async () => {
    const scratch = freshHome();
    const server = await startBuiltServer();
    try {
      const marker = join(scratch, 'never-approved');
      const queued = await fleetmind(server.dataDir, 'exec', '--json', '--hosts', 'localhost', '--', `touch ${marker}`);
      const id = ExecResultLineSchema.parse(JSON.parse(queued.stdout.trim())).error?.approvalId as string;
      const decide = { type: 'approvals.decide', id, decision: 'approve' };
      for (const token of [undefined, '', 'not-the-token', `${server.token}x`]) {
        const answer = await rawRequest(server, token === undefined ? decide : { ...decide, token });
        expect(answer.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized', message: expect.stringMatching(/refused the request/) });
        expect(answer.some((m) => m.type === 'deciding' || m.type === 'reply')).toBe(false);
        const exec = await rawRequest(server, { type: 'exec', token, hosts: 'localhost', command: `touch ${marker}`, concurrency: 1, timeoutMs: 5000 });
        expect(exec.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
      }
      expect(existsSync(marker)).toBe(false);
      const still = await rawRequest(server, { type: 'approvals.list', token: server.token });
      expect(ApprovalListSchema.parse(still.at(-1)?.body).approvals.map((a) => a.id)).toContain(id);
      // The operator token of this data dir works; the refusal was the token's.
      const withToken = await rawRequest(server, { ...decide, token: server.token });
      expect(withToken.at(-1)).toMatchObject({ type: 'reply' });
      expect(existsSync(marker)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('refuses a server of another version for approvals too, and cleans a stale socket', async () => {
    ensureBuilt();
    const home = freshHome();
    mkdirSync(join(home, 'run'), { mode: 0o700 });
    const other = createServer((s) => s.end(`${JSON.stringify({ type: 'hello', version: '0.0.0-other' })}\n`));
    await new Promise<void>((r) => other.listen(join(home, 'run', 'cli.sock'), r));
    try {
      const r = await fleetmind(home, 'approvals', 'approve', 'abcdef12');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/server of version 0\.0\.0-other is running .* this CLI is version/);
    } finally {
      await new Promise((r) => other.close(r));
    }
    // The listener is gone, its socket file stays: the next command removes it and works here.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(join(home, 'run', 'cli.sock'))}, () => process.exit(0))`]);
    const stale = await fleetmind(home, 'approvals', 'list', '--verbose');
    expect(stale.code).toBe(0);
    expect(stale.stderr).toMatch(/approvals list locally: removed a stale socket/);
  });
});
