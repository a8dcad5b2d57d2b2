// Issue 16 items 3-5 with the BUILT CLI: a conversation touching a host is forgotten and the
// data dir no longer holds its text (read raw) while `audit verify` (with the head anchored
// before) still passes; `export` round-trips a conversation; the privacy report counts what a
// chat sent to a remote provider (the scripted model server) with a secret in it.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './helpers/build';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';
import { startBuiltServer } from './helpers/built-server';

const work = mkdtempSync(join(tmpdir(), 'fm-forget-'));
const home = join(work, 'home');
mkdirSync(home, { recursive: true });

function cli(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], {
    env: { ...process.env, HOME: home, FLEETMIND_HOME: dataDir, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '', SSH_AUTH_SOCK: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}
/**
 * The CLI run without blocking this process: the scripted model server lives in this process,
 * and a spawnSync would leave it unable to answer (the chat would fall back to the offline
 * engine after the idle timeout and the test would prove nothing about what was sent).
 */
async function okAsync(dataDir: string, ...args: string[]): Promise<{ stdout: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], {
    env: { ...process.env, HOME: home, FLEETMIND_HOME: dataDir, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '', SSH_AUTH_SOCK: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { stdout };
}
function ok(dataDir: string, ...args: string[]) {
  const r = cli(dataDir, ...args);
  expect(r.status, `fleetmind ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

/** Every byte of the data dir (the SQLite .db and any -wal/-shm), as an attacker reading the files would. */
function dataDirBytes(dir: string): Buffer {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

beforeAll(() => {
  ensureBuilt();
}, 300_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('fleetmind forget / export (offline engine)', { timeout: 240_000 }, () => {
  const dataDir = join(work, 'offline');
  const MARKER = 'ticket 77319921';

  it('exports a conversation, forgets it, and the audit chain still verifies against the head anchored before', () => {
    const kept = JSON.parse(ok(dataDir, 'chat', '--json', '--host', 'localhost', 'how is the memory for ticket 44120098?').stdout) as { conversationId: string };
    const gone = JSON.parse(ok(dataDir, 'chat', '--json', '--host', 'localhost', `show disk usage for ${MARKER}`).stdout) as { conversationId: string; reply: string };
    expect(gone.conversationId).toMatch(/[0-9a-f-]{36}/);

    // Export: the conversation with its messages and the audit rows about it, as JSON on stdout.
    const exported = JSON.parse(ok(dataDir, 'export', '--conversation', gone.conversationId).stdout) as {
      format: string;
      conversation: { id: string; messages: { role: string; content: string; toolCalls: { tool: string; host: string | null }[] }[] };
      audit: { kind: string; subject: string | null }[];
    };
    expect(exported.format).toBe('fleetmind-conversation-export');
    expect(exported.conversation.id).toBe(gone.conversationId);
    expect(exported.conversation.messages[0]).toMatchObject({ role: 'user', content: `show disk usage for ${MARKER}` });
    expect(exported.conversation.messages.flatMap((m) => m.toolCalls).some((c) => c.tool === 'disk_usage' && c.host === 'localhost')).toBe(true);
    expect(exported.audit.some((e) => e.kind === 'request' && e.subject === gone.conversationId)).toBe(true);
    expect(exported.audit.some((e) => e.kind === 'tool_call')).toBe(true);
    expect(cli(dataDir, 'export', '--conversation', 'no-such-conversation').status).toBe(1);

    const head = ok(dataDir, 'audit', 'head').stdout.trim().split(/\s+/)[0] as string;
    expect(head).toMatch(/^\d+:[0-9a-f]{64}$/);
    expect(dataDirBytes(dataDir).includes(MARKER)).toBe(true);

    const forgot = JSON.parse(ok(dataDir, 'forget', '--conversation', gone.conversationId, '--json').stdout) as { conversations: number; auditTombstones: number; auditSeq: number };
    expect(forgot.conversations).toBe(1);
    expect(forgot.auditTombstones).toBeGreaterThanOrEqual(2);

    const verify = JSON.parse(ok(dataDir, 'audit', 'verify', '--json', '--head', head).stdout) as { ok: boolean; anchors?: { checked: number } };
    expect(verify).toMatchObject({ ok: true, anchors: { checked: 1 } });
    const bytes = dataDirBytes(dataDir);
    expect(bytes.includes(MARKER), 'the forgotten text is still somewhere in the data dir').toBe(false);
    expect(bytes.includes(gone.conversationId), 'the forgotten conversation id is still in the data dir').toBe(false);
    expect(bytes.includes('ticket 44120098')).toBe(true);
    expect(cli(dataDir, 'export', '--conversation', gone.conversationId).status).toBe(1);
    expect(JSON.parse(ok(dataDir, 'export', '--conversation', kept.conversationId).stdout)).toMatchObject({ conversation: { id: kept.conversationId } });

    // The forget itself is in the log; the tombstones show as forgotten rows.
    const rows = ok(dataDir, 'audit', 'list', '--json', '--limit', '1000')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; kind: string; actor: string; data: Record<string, unknown> });
    expect(rows.find((r) => r.seq === forgot.auditSeq)).toMatchObject({ kind: 'retention', data: { action: 'forget', reason: 'conversation' } });
    expect(rows.filter((r) => r.actor === '[forgotten]')).toHaveLength(forgot.auditTombstones);
  });

  it('forgets a host and refuses bad usage', () => {
    ok(dataDir, 'chat', '--json', '--host', 'localhost', 'what services are running for ticket 55190017?');
    expect(dataDirBytes(dataDir).includes('ticket 55190017')).toBe(true);
    const forgot = JSON.parse(ok(dataDir, 'forget', '--host', 'localhost', '--json').stdout) as { reason: string; conversations: number };
    expect(forgot).toMatchObject({ reason: 'host' });
    expect(forgot.conversations).toBeGreaterThanOrEqual(2);
    expect(ok(dataDir, 'audit', 'verify').stdout).toMatch(/audit log intact/);
    expect(dataDirBytes(dataDir).includes('ticket 55190017')).toBe(false);
    expect(cli(dataDir, 'forget').status).toBe(2);
    expect(cli(dataDir, 'forget', '--host', 'a', '--conversation', 'b').status).toBe(2);
    expect(ok(dataDir, 'forget', '--expired', '--json').stdout).toMatch(/"reason":"expired"/);
  });
});

describe('fleetmind privacy report (scripted remote model)', { timeout: 300_000 }, () => {
  let llm: LlmServer;
  const dataDir = join(work, 'remote');
  const SECRET = 'ghp_R8x2Lq9ZtW4vN7mK3pB6yH1cJ5fD0sA2gE4u';

  beforeAll(async () => {
    llm = await startLlmServer({ scenario: () => ({ text: 'Rotate that token.' }) });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'config.yaml'), `llm:\n  providers:\n    - name: remote\n      baseURL: ${llm.baseURL}\n      local: false\n  models:\n    chat: remote/gpt-4o-mini\n    summarize: remote/gpt-4o-mini\n`);
  });
  afterAll(async () => {
    await llm?.stop();
  });

  it('lists per conversation and provider the requests, bytes and redactions by type, never the secret', async () => {
    const chat = JSON.parse((await okAsync(dataDir, 'chat', '--json', '--host', 'localhost', `is this token still valid? ${SECRET} (used from 10.20.30.40)`)).stdout) as { conversationId: string; reply: string };
    // The remote model answered (not the offline fallback), so the requests below are what was sent.
    expect(llm.requests.length).toBeGreaterThanOrEqual(1);
    expect(chat.reply).toContain('Rotate that token.');
    expect(llm.requests.map((r) => JSON.stringify(r.body)).join('\n')).toContain('ip-1');
    expect(llm.requests.map((r) => JSON.stringify(r.body)).join('\n')).not.toContain(SECRET);
    const report = JSON.parse(ok(dataDir, 'privacy', 'report', '--json').stdout) as { rows: { conversationId: string; provider: string; local: boolean; requests: number; bytesSent: number; redactions: Record<string, number>; pseudonyms: Record<string, number>; hosts: string[] }[]; totals: { remoteRequests: number } };
    const row = report.rows.find((r) => r.conversationId === chat.conversationId && r.provider === 'remote');
    expect(row).toBeDefined();
    expect(row?.local).toBe(false);
    expect(row?.requests).toBeGreaterThanOrEqual(1);
    expect(row?.bytesSent).toBeGreaterThan(50);
    expect(Object.values(row?.redactions ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(row?.hosts).toContain('localhost');
    // The address went out as a pseudonym, and the report counts it by kind.
    expect(llm.requests.map((r) => JSON.stringify(r.body)).join('\n')).not.toContain('10.20.30.40');
    expect(row?.pseudonyms.ip ?? 0).toBeGreaterThanOrEqual(1);
    expect(report.totals.remoteRequests).toBeGreaterThanOrEqual(1);
    const table = ok(dataDir, 'privacy', 'report').stdout;
    expect(table).toContain(chat.conversationId);
    expect(table).toContain('remote');
    expect(table).not.toContain(SECRET);
    expect(dataDirBytes(dataDir).includes(SECRET)).toBe(false);

    // The same report over HTTP, for the operator only.
    const server = await startBuiltServer({ dataDir, env: { HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', SSH_AUTH_SOCK: '' } });
    try {
      const res = await fetch(`${server.url}/api/privacy`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { rows: { conversationId: string; provider: string }[] };
      expect(body.rows.some((r) => r.conversationId === chat.conversationId && r.provider === 'remote')).toBe(true);
      expect((await fetch(`${server.url}/api/privacy`)).status).toBe(401);
    } finally {
      await server.stop();
    }
    // Forgetting the conversation removes its report rows too.
    ok(dataDir, 'forget', '--conversation', chat.conversationId);
    expect((JSON.parse(ok(dataDir, 'privacy', 'report', '--json').stdout) as { rows: unknown[] }).rows).toHaveLength(0);
  });
});
