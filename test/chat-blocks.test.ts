// Issue 17 item 5 (chat): tool-call records carry the commands they ran per host with bounded
// output, exit code and duration, plus structured findings and tables (shared/protocol/
// chat-blocks). The live answer may show raw output; what the store keeps is redacted: a
// secret printed by a command never reaches the database files.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChatEventSchema,
  clipOutput,
  COMMAND_OUTPUT_HEAD_CHARS,
  COMMAND_OUTPUT_TAIL_CHARS,
  CommandRunSchema,
  ConversationDetailSchema,
  FindingSchema,
  TableBlockSchema,
  ToolCallRecordSchema,
} from '../src/shared/protocol';
import { Core } from '../src/main/core/compose';
import { MemorySecretStore } from '../src/main/core/secrets';
import { Store, STORE_FILE } from '../src/main/core/store';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';

const BASE_RECORD = { id: 'c1', tool: 'run_command', args: { command: 'uptime' }, host: 'web-1', ok: true, summary: 'ran', error: null, durationMs: 12, startedAt: '2026-01-01T00:00:00.000Z' };

describe('chat blocks: protocol', () => {
  it('a tool call record without the new fields still parses (older records, older servers)', () => {
    const parsed = ToolCallRecordSchema.parse(BASE_RECORD);
    expect(parsed.commands).toBeUndefined();
    expect(parsed.findings).toBeUndefined();
    expect(parsed.table).toBeUndefined();
  });

  it('carries commands per host, findings and a table, and keeps them through a stream event', () => {
    const record = {
      ...BASE_RECORD,
      commands: [
        { host: 'web-1', command: 'uptime', exitCode: 0, durationMs: 5, stdout: ' 10:00 up 3 days\n', stderr: '', error: null },
        { host: 'web-2', command: 'uptime', exitCode: null, durationMs: 0, stdout: '', stderr: '', truncated: true, error: { code: 'unreachable', message: 'no route' } },
      ],
      findings: [{ host: 'web-1', severity: 'warning', title: 'Disk almost full', detail: '/ at 95%' }, { host: null, severity: 'ok', title: 'Nothing stands out' }],
      table: { title: 'Server status', columns: ['Host', 'Load'], rows: [['web-1', 0.5], ['web-2', null]] },
    };
    expect(ToolCallRecordSchema.parse(record)).toEqual(record);
    const event = ChatEventSchema.parse({ type: 'tool_result', conversationId: 'x', call: record });
    expect(event.type === 'tool_result' && event.call.commands?.[1]?.error?.code).toBe('unreachable');
    expect(event.type === 'tool_result' && event.call.table?.rows).toEqual([['web-1', 0.5], ['web-2', null]]);
  });

  it('rejects malformed blocks', () => {
    expect(FindingSchema.safeParse({ host: null, severity: 'fatal', title: 'x' }).success).toBe(false);
    expect(TableBlockSchema.safeParse({ columns: ['a'], rows: [[{ html: '<b>' }]] }).success).toBe(false);
    expect(CommandRunSchema.safeParse({ host: 'h', command: 'c', exitCode: 1.5, durationMs: 1, stdout: '', stderr: '', error: null }).success).toBe(false);
    expect(CommandRunSchema.safeParse({ host: 'h', command: 'c', exitCode: 0, durationMs: 1, stdout: '', stderr: '', error: { code: 'nope', message: '' } }).success).toBe(false);
  });

  it('bounds output to its first and last KB with a marker, cutting at line breaks', () => {
    expect(clipOutput('short\n')).toEqual({ text: 'short\n', clipped: false });
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${String(i).padStart(5, '0')} ghp_notreallyasecretbutlongenough`);
    const big = lines.join('\n');
    const { text, clipped } = clipOutput(big);
    expect(clipped).toBe(true);
    expect(text.length).toBeLessThan(COMMAND_OUTPUT_HEAD_CHARS + COMMAND_OUTPUT_TAIL_CHARS + 100);
    expect(text.startsWith('line 00000 ')).toBe(true);
    expect(text.endsWith('line 04999 ghp_notreallyasecretbutlongenough')).toBe(true);
    expect(text).toMatch(/\n\[… \d+ characters omitted …\]\n/);
    // Every kept line is whole: no line was cut in the middle.
    for (const line of text.split('\n')) expect(line === '' || /^line \d{5} ghp_notreallyasecretbutlongenough$/.test(line) || /^\[… \d+ characters omitted …\]$/.test(line)).toBe(true);
  });
});

describe('chat blocks: the store', () => {
  it('round-trips commands, findings and a table, every string in them redacted before it is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-chat-blocks-store-'));
    try {
      const redact = (text: string) => text.replace(/SECRET-[A-Za-z0-9]+/g, '[REDACTED:test#1]');
      const store = Store.open(dir, { redact });
      const { conversation } = store.conversations.createWithMessage({ title: 'blocks' }, { role: 'user', content: 'status' });
      const call = {
        ...BASE_RECORD,
        commands: [{ host: 'web-1', command: 'cat .env', exitCode: 0, durationMs: 3, stdout: 'TOKEN=SECRET-stdout1\n', stderr: 'SECRET-stderr1', truncated: true, error: null }],
        findings: [{ host: 'web-1', severity: 'critical' as const, title: 'Leak SECRET-title1', detail: 'SECRET-detail1' }],
        table: { title: 'T', columns: ['Host', 'Value'], rows: [['web-1', 'SECRET-cell1'], ['web-2', 42], ['web-3', null]] },
      };
      store.conversations.appendMessage(conversation.id, { role: 'assistant', content: 'ok', toolCalls: [call] });
      const older = { ...BASE_RECORD, id: 'c0' };
      store.conversations.appendMessage(conversation.id, { role: 'assistant', content: 'older', toolCalls: [older] });
      const calls = store.conversations.messages(conversation.id).flatMap((m) => m.toolCalls);
      expect(calls[0]).toEqual({
        ...call,
        commands: [{ ...call.commands[0], stdout: 'TOKEN=[REDACTED:test#1]\n', stderr: '[REDACTED:test#1]' }],
        findings: [{ host: 'web-1', severity: 'critical', title: 'Leak [REDACTED:test#1]', detail: '[REDACTED:test#1]' }],
        table: { title: 'T', columns: ['Host', 'Value'], rows: [['web-1', '[REDACTED:test#1]'], ['web-2', 42], ['web-3', null]] },
      });
      // A call without blocks reads back without them.
      expect(calls[1]).toEqual(older);
      store.close();
      expect(rawStore(dir)).not.toMatch(/SECRET-/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Made-up secrets in real shapes, caught by the redactor (src/main/core/privacy).
const SECRET = { github: 'ghp_Cm4Q8vX2nB7kL1pR9wZ3yC6hF5jD0sOut7uX', aws: 'AKIAQ3CMDOUTZ7K4M2P9' };
const PRINT = `printf 'GITHUB_TOKEN=${SECRET.github}\\nAWS_ACCESS_KEY_ID=${SECRET.aws}\\n'; printf 'warn ${SECRET.github}\\n' >&2`;

function rawStore(home: string): string {
  return ['', '-wal', '-shm']
    .map((s) => join(home, STORE_FILE + s))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');
}

describe('chat blocks: commands and their output, stored redacted', () => {
  let llm: LlmServer;
  const work = mkdtempSync(join(tmpdir(), 'fm-chat-blocks-'));
  const cores: Core[] = [];
  beforeAll(async () => {
    llm = await startLlmServer({
      scenario: [
        { match: { toolResult: 'run_command' }, respond: { text: 'It printed the configuration.' } },
        { match: { lastUser: 'run the config printout', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: PRINT, purpose: 'show the config' } }] } },
      ],
    });
  });
  afterAll(async () => {
    while (cores.length) await cores.pop()!.close();
    await llm.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function core(name: string, model: boolean): { core: Core; home: string } {
    const home = join(work, name);
    mkdirSync(home, { mode: 0o700 });
    if (model) writeFileSync(join(home, 'config.yaml'), `llm:\n  providers:\n    - name: lan\n      baseURL: ${llm.baseURL}\n      local: true\n  models:\n    chat: lan/gpt-4o-mini\n`);
    const c = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
    cores.push(c);
    return { core: c, home };
  }

  it('run_command: the live record has the raw output; the stored one and the database bytes do not', async () => {
    const { core: c, home } = core('model', true);
    const response = await c.chat({ message: 'please run the config printout (create it)' });
    const call = response.toolCalls.find((t) => t.tool === "run_command");
    expect(call?.ok).toBe(true);
    const run = call!.commands?.[0];
    expect(run).toMatchObject({ host: 'localhost', command: PRINT, exitCode: 0, error: null });
    expect(run!.durationMs).toBeGreaterThanOrEqual(0);
    // The operator's live view: what the host printed.
    expect(run!.stdout).toContain(`GITHUB_TOKEN=${SECRET.github}`);
    expect(run!.stderr).toContain(SECRET.github);

    const stored = ConversationDetailSchema.parse(c.getConversation(response.conversationId));
    const storedCall = stored.messages.flatMap((m) => m.toolCalls).find((t) => t.tool === 'run_command');
    const storedRun = storedCall!.commands![0]!;
    expect(storedRun.host).toBe('localhost');
    expect(storedRun.exitCode).toBe(0);
    expect(storedRun.stdout).toMatch(/GITHUB_TOKEN=\[REDACTED:[^\]]+\]/);
    expect(storedRun.stdout).toMatch(/AWS_ACCESS_KEY_ID=\[REDACTED:[^\]]+\]/);
    expect(JSON.stringify(storedCall)).not.toContain(SECRET.github);
    expect(JSON.stringify(storedCall)).not.toContain(SECRET.aws);

    // The attacker's view: the database files, read raw while the core runs and after it closed.
    expect(rawStore(home)).toContain('REDACTED');
    for (const s of Object.values(SECRET)) expect(rawStore(home)).not.toContain(s);
    await cores.splice(cores.indexOf(c), 1)[0]!.close();
    for (const s of Object.values(SECRET)) expect(rawStore(home)).not.toContain(s);
  });

  it('offline server_status: the commands the host ran and findings with a severity, kept when stored', async () => {
    const { core: c } = core('offline', false);
    const response = await c.chat({ message: 'show server status' });
    expect(response.engine).toBe('offline');
    const call = response.toolCalls.find((t) => t.tool === 'server_status')!;
    expect(call.ok).toBe(true);
    const commands = call.commands ?? [];
    expect(commands.length).toBeGreaterThan(0);
    for (const run of commands) expect(run.host).toBe('localhost');
    const ps = commands.find((r) => r.command.startsWith('ps '));
    expect(ps?.exitCode).toBe(0);
    expect(ps?.stdout.length).toBeGreaterThan(0);
    expect(call.findings?.length).toBeGreaterThan(0);
    for (const f of call.findings!) expect(f.host).toBe('localhost');
    for (const f of call.findings!) expect(['ok', 'info', 'warning', 'critical']).toContain(f.severity);

    const stored = c.getConversation(response.conversationId)!;
    const storedCall = stored.messages.flatMap((m) => m.toolCalls).find((t) => t.id === call.id)!;
    expect(storedCall.findings?.map((f) => f.title)).toEqual(call.findings?.map((f) => f.title));
    expect(storedCall.commands?.map((r) => r.command)).toEqual(commands.map((r) => r.command));
  });
});
