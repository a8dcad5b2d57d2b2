import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../src/main/core/compose';
import { TOOL_NAME } from '../src/main/core/mcp';
import { MemorySecretStore } from '../src/main/core/secrets';
import { repoRoot } from './helpers/build';
import { isAlive, tempDirIn } from './helpers/processes';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';
import { until as poll } from './helpers/poll';

/**
 * The MCP client with real third-party servers (@modelcontextprotocol/server-everything and
 * server-filesystem on a temp dir, over stdio) and a misbehaving fixture server: tools reach
 * the agent as <server>__<tool>; every call passes the safety policy (trust, hints, lists,
 * pinned definitions), asks with server, tool and arguments, runs exactly what was approved,
 * and is audited; faults end in clear errors, never a hang or a leaked process.
 */

const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'mcp-servers', 'fixture-server.mjs');
const CANARY_KEY = 'sk-canary-0123456789abcdefghijklmnopqrstuv';
const CANARY_TOKEN = 'fm-operator-canary-token-6f1d2a';

const dirs: string[] = [];
const cores: Core[] = [];
const seenPids = new Set<number>();
let llm: LlmServer;
const saved = { key: process.env.OPENAI_API_KEY, token: process.env.FLEETMIND_OPERATOR_TOKEN };

beforeAll(async () => {
  // Secrets of the Fleetmind process itself: no MCP child may see them.
  process.env.OPENAI_API_KEY = CANARY_KEY;
  process.env.FLEETMIND_OPERATOR_TOKEN = CANARY_TOKEN;
  llm = await startLlmServer({ apiKey: 'sk-fixture-key-1234567890' });
});
afterAll(async () => {
  await llm?.stop();
  if (saved.key === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = saved.key;
  if (saved.token === undefined) delete process.env.FLEETMIND_OPERATOR_TOKEN;
  else process.env.FLEETMIND_OPERATOR_TOKEN = saved.token;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  while (cores.length) {
    const core = cores.pop() as Core;
    for (const pid of core.mcp.pids()) seenPids.add(pid);
    await core.close();
  }
});

const alive = isAlive;
const tempDir = (prefix: string): string => tempDirIn(dirs, prefix);

interface MakeOptions {
  servers: Record<string, unknown>;
  mcp?: Record<string, unknown>;
  model?: boolean;
}

async function makeCore(options: MakeOptions): Promise<{ core: Core; home: string; secrets: MemorySecretStore }> {
  const home = tempDir('fm-mcp-');
  const config: Record<string, unknown> = { mcpServers: options.servers, mcpClient: { reconnectInitialMs: 200, reconnectMaxMs: 1000, ...(options.mcp ?? {}) } };
  let yaml = JSON.stringify(config);
  if (options.model) {
    yaml = JSON.stringify({ ...config, llm: { providers: [{ name: 'fixture', baseURL: llm.baseURL, local: false }], models: { chat: 'fixture/gpt-4o-mini', summarize: 'fixture/gpt-4o-mini' } } });
  }
  writeFileSync(join(home, 'config.yaml'), yaml); // JSON is YAML
  const secrets = new MemorySecretStore();
  await secrets.set('provider:fixture', 'sk-fixture-key-1234567890');
  await secrets.set('mcp-fixture-secret', 'resolved-from-keychain-42');
  const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets });
  cores.push(core);
  await core.ready();
  await core.startMcp();
  for (const pid of core.mcp.pids()) seenPids.add(pid);
  return { core, home, secrets };
}

const fixtureServer = (env: Record<string, string> = {}) => ({ command: process.execPath, args: [FIXTURE], env });
const status = (core: Core, name: string) => core.mcp.status().find((s) => s.name === name)!;

const until = <T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> => poll(what, probe, timeoutMs, 50);

function auditRows(home: string, subject: string): { kind: string; data: Record<string, unknown> }[] {
  const db = new Database(join(home, 'fleetmind.db'), { readonly: true });
  try {
    return (db.prepare('SELECT kind, data_json FROM audit_log WHERE subject = ? ORDER BY seq').all(subject) as { kind: string; data_json: string }[]).map((r) => ({ kind: r.kind, data: JSON.parse(r.data_json) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

describe('MCP client with server-everything and server-filesystem', () => {
  it('lists their tools as <server>__<tool>, valid for the model, beside the core tools', async () => {
    const root = tempDir('fm-mcp-fs-');
    const { core } = await makeCore({ servers: { everything: { command: bin('mcp-server-everything'), args: ['stdio'] }, filesystem: { command: bin('mcp-server-filesystem'), args: [root] } } });
    expect(status(core, 'everything').state).toBe('connected');
    expect(status(core, 'filesystem').state).toBe('connected');
    const names = core.tools.registry.schemas().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['server_status', 'run_command', 'everything__echo', 'everything__get-env', 'filesystem__write_file', 'filesystem__read_text_file']));
    for (const n of names) expect(n).toMatch(TOOL_NAME);
    const write = core.tools.registry.schemas().find((s) => s.name === 'filesystem__write_file')!;
    expect(write.parameters).toMatchObject({ type: 'object', properties: { path: expect.any(Object), content: expect.any(Object) } });
    expect(write.description).toMatch(/^\[MCP server "filesystem"/);
    // Resources and prompts are listed too (status, UI).
    expect(status(core, 'everything').prompts.length).toBeGreaterThan(0);
    expect(status(core, 'everything').resources.length).toBeGreaterThan(0);
  }, 60_000);

  it('runs a read-only tool of a trusted server without asking, audited; asks for it when the server is not trusted', async () => {
    const root = tempDir('fm-mcp-fs-');
    writeFileSync(join(root, 'hello.txt'), 'hello from the temp dir\n');
    const { core, home } = await makeCore({ servers: { filesystem: { command: bin('mcp-server-filesystem'), args: [root] } } });
    const untrusted = await core.tools.call('filesystem__read_text_file', { path: join(root, 'hello.txt') }, { requester: 'test' });
    expect(untrusted.record.ok).toBe(false);
    expect(untrusted.record.error?.code).toBe('approval_required');
    expect(untrusted.approvals[0]?.reasons.join(' ')).toMatch(/not marked trusted/);

    core.mcp.setTrust('filesystem', true, 'test');
    const out = await core.tools.call('filesystem__read_text_file', { path: join(root, 'hello.txt') }, { requester: 'test' });
    expect(out.record.ok).toBe(true);
    expect(out.text).toContain('hello from the temp dir');
    expect(out.approvals).toEqual([]);
    const rows = auditRows(home, 'mcp:filesystem/read_text_file');
    expect(rows.map((r) => [r.kind, r.data.decision ?? r.data.ok])).toEqual([
      ['decision', 'ask'],
      ['decision', 'allow'],
      ['execution', true],
    ]);
  }, 60_000);

  it('asks before write_file even on a trusted server; nothing is written until approved, then exactly the approved arguments run', async () => {
    const root = tempDir('fm-mcp-fs-');
    const { core, home } = await makeCore({ servers: { filesystem: { command: bin('mcp-server-filesystem'), args: [root] } } });
    core.mcp.setTrust('filesystem', true, 'test');
    const target = join(root, 'note.txt');
    const out = await core.tools.call('filesystem__write_file', { path: target, content: 'approved content' }, { requester: 'test' });
    expect(out.record.error?.code).toBe('approval_required');
    const [approval] = out.approvals;
    expect(approval).toBeDefined();
    // The pending approval shows server, tool and arguments.
    expect(approval!.command).toBe(`mcp filesystem write_file ${JSON.stringify({ content: 'approved content', path: target })}`);
    expect(approval!.hosts).toEqual(['mcp:filesystem']);
    expect(approval!.reasons.join(' ')).toMatch(/destructiveHint/);
    expect(core.listApprovals().approvals.map((a) => a.id)).toContain(approval!.id);
    expect(existsSync(target)).toBe(false);

    // Remembering is refused (an MCP call is approved once); the request stays pending and nothing ran.
    await expect(core.decideApproval(approval!.id, { decision: 'approve', remember: 'host' }, 'test')).rejects.toThrow(/approved once only/);
    expect(existsSync(target)).toBe(false);

    const decided = await core.decideApproval(approval!.id, { decision: 'approve' }, 'test');
    expect(decided.results[0]).toMatchObject({ host: 'mcp:filesystem', ok: true });
    expect(readFileSync(target, 'utf8')).toBe('approved content');
    expect(auditRows(home, 'mcp:filesystem/write_file').map((r) => r.kind)).toEqual(['decision', 'execution']);
  }, 60_000);

  it('a changed argument cannot ride an approval: the stored request no longer matches its digest and approving is refused', async () => {
    const root = tempDir('fm-mcp-fs-');
    const { core, home } = await makeCore({ servers: { filesystem: { command: bin('mcp-server-filesystem'), args: [root] } } });
    const out = await core.tools.call('filesystem__write_file', { path: join(root, 'a.txt'), content: 'a' }, { requester: 'test' });
    const id = out.approvals[0]!.id;
    const db = new Database(join(home, 'fleetmind.db'));
    db.prepare('UPDATE approvals SET command = ? WHERE id = ?').run(`mcp filesystem write_file ${JSON.stringify({ content: 'evil', path: join(root, 'b.txt') })}`, id);
    db.close();
    await expect(core.decideApproval(id, { decision: 'approve' }, 'test')).rejects.toThrow();
    expect(existsSync(join(root, 'a.txt'))).toBe(false);
    expect(existsSync(join(root, 'b.txt'))).toBe(false);
  }, 60_000);

  it('server-everything (a real third-party server) sees a minimal environment plus its configured env, keychain references resolved', async () => {
    const { core } = await makeCore({ servers: { everything: { command: bin('mcp-server-everything'), args: ['stdio'], env: { FIXTURE_VALUE: '${keychain:mcp-fixture-secret}', PLAIN: 'plain' } } } });
    core.mcp.setTrust('everything', true, 'test');
    const out = await core.tools.call('everything__get-env', {}, { requester: 'test' });
    expect(out.record.ok, out.text).toBe(true);
    expect(out.text).toContain('resolved-from-keychain-42');
    expect(out.text).toContain('PLAIN');
    expect(out.text).not.toContain(CANARY_KEY);
    expect(out.text).not.toContain(CANARY_TOKEN);
    expect(out.text).not.toContain('OPENAI_API_KEY');
    expect(out.text).not.toContain('FLEETMIND_HOME');
  }, 60_000);
});

describe('MCP client policy and faults (fixture server)', () => {
  it('deny list refuses, allow list allows, an unannotated tool asks', async () => {
    const notes = join(tempDir('fm-mcp-notes-'), 'notes.jsonl');
    const { core } = await makeCore({ servers: { fixture: fixtureServer({ NOTES_FILE: notes }) } });
    core.mcp.setLists('fixture', { deny: ['echo'], allow: ['write_note'] }, 'test');
    expect(core.tools.registry.list().map((t) => t.name)).not.toContain('fixture__echo');
    const denied = await core.mcp.call('fixture__echo', { text: 'x' }, { requester: 'test' });
    expect(denied.error?.code).toBe('policy_denied');
    const allowed = await core.tools.call('fixture__write_note', { text: 'listed' }, { requester: 'test' });
    expect(allowed.record.ok, allowed.text).toBe(true);
    expect(readFileSync(notes, 'utf8')).toContain('listed');
    core.mcp.setLists('fixture', { allow: [] }, 'test');
    core.mcp.setTrust('fixture', true, 'test');
    const asked = await core.tools.call('fixture__write_note', { text: 'second' }, { requester: 'test' });
    expect(asked.record.error?.code).toBe('approval_required');
    expect(asked.approvals[0]!.reasons.join(' ')).toMatch(/declares no annotations/);
    expect(readFileSync(notes, 'utf8')).not.toContain('second');
  }, 60_000);

  it('a changed tool definition (list_changed) hides the tool, voids approvals bound to the old one, and needs re-confirmation', async () => {
    const { core } = await makeCore({ servers: { fixture: fixtureServer() } });
    const pending = await core.tools.call('fixture__echo', { text: 'bound to the old definition' }, { requester: 'test' });
    const id = pending.approvals[0]!.id;
    core.mcp.setLists('fixture', { allow: ['change_tools'] }, 'test');
    const changed = await core.tools.call('fixture__change_tools', {}, { requester: 'test' });
    expect(changed.record.ok, changed.text).toBe(true);
    await until('the new definition', () => status(core, 'fixture').changedTools.includes('echo'));
    expect(core.tools.registry.list().map((t) => t.name)).not.toContain('fixture__echo');
    expect((await core.mcp.call('fixture__echo', {}, { requester: 'test' })).error?.code).toBe('policy_denied');
    await expect(core.decideApproval(id, { decision: 'approve' }, 'test')).rejects.toThrow(/changed since this was requested/);
    core.mcp.acceptDefinitions('fixture', 'test');
    expect(status(core, 'fixture').changedTools).toEqual([]);
    expect(core.tools.registry.list().find((t) => t.name === 'fixture__echo')?.description).toMatch(/~\/\.ssh/);
    // Still refused: it was bound to the definition the operator had not seen.
    await expect(core.decideApproval(id, { decision: 'approve' }, 'test')).rejects.toThrow(/changed since this was requested/);
  }, 60_000);

  it('a server that crashes mid-call: a clear error, then it reconnects; no process is left', async () => {
    const { core } = await makeCore({ servers: { fixture: fixtureServer() } });
    core.mcp.setTrust('fixture', true, 'test');
    const firstPid = status(core, 'fixture').pid!;
    const out = await core.tools.call('fixture__crash', {}, { requester: 'test' });
    expect(out.record.ok).toBe(false);
    expect(out.record.error?.code).toBe('unavailable');
    expect(out.text).toMatch(/closed the connection during crash/);
    await until('the reconnect', () => status(core, 'fixture').state === 'connected' && status(core, 'fixture').pid !== firstPid);
    seenPids.add(status(core, 'fixture').pid!);
    expect(alive(firstPid)).toBe(false);
    const again = await core.tools.call('fixture__echo', { text: 'back' }, { requester: 'test' });
    expect(again.text).toContain('back');
  }, 60_000);

  it('a hung call times out and is cancelled; a caller abort cancels', async () => {
    const { core } = await makeCore({ servers: { fixture: fixtureServer() }, mcp: { callTimeoutMs: 1500 } });
    core.mcp.setTrust('fixture', true, 'test');
    const hung = await core.tools.call('fixture__hang', {}, { requester: 'test' });
    expect(hung.record.error?.code).toBe('timeout');
    expect(hung.text).toMatch(/did not answer hang within 1500 ms/);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const aborted = await core.tools.call('fixture__hang', {}, { requester: 'test', signal: controller.signal });
    expect(aborted.record.error?.code).toBe('cancelled');
    // The server is still usable after both.
    expect((await core.tools.call('fixture__echo', { text: 'still here' }, { requester: 'test' })).text).toContain('still here');
  }, 60_000);

  it('a huge result is capped; invalid JSON-RPC fails the call with that reason (not a timeout) and the server is reconnected', async () => {
    const { core } = await makeCore({ servers: { fixture: fixtureServer() }, mcp: { maxOutputBytes: 65_536 } });
    core.mcp.setTrust('fixture', true, 'test');

    const huge = await core.tools.call('fixture__huge', { bytes: 5_000_000 }, { requester: 'test' });
    expect(huge.record.ok, huge.text.slice(0, 300)).toBe(true);
    expect(Buffer.byteLength(huge.text)).toBeLessThan(65_536 + 200);
    expect(huge.text).toMatch(/output cut at 65536 bytes/);

    const garbage = await core.tools.call('fixture__garbage', {}, { requester: 'test' });
    expect(garbage.record.error?.code).toBe('unavailable');
    expect(garbage.text).toMatch(/invalid JSON-RPC/);
    await until('the reconnect', () => status(core, 'fixture').state === 'connected');
  }, 60_000);

  it('imports Claude Desktop, Cursor, VS Code and Gemini CLI configurations: every server off until confirmed, secrets moved to the keychain', async () => {
    const { core, home, secrets } = await makeCore({ servers: {} });
    const files = {
      claude: { mcpServers: { 'claude-fs': { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'], env: { GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' } } } },
      cursor: { mcpServers: { 'cursor-remote': { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer abcdefghijklmnop0123456789' } } } },
      vscode: { servers: { 'vs-stdio': { type: 'stdio', command: process.execPath, args: [FIXTURE] }, 'vs-sse': { type: 'sse', url: 'http://127.0.0.1:9/sse' } } },
      gemini: { mcpServers: { 'gem-http': { httpUrl: 'http://127.0.0.1:9/mcp', timeout: 5000 }, 'gem-sse': { url: 'http://127.0.0.1:9/sse' }, 'gem-argv': { command: 'srv', args: ['--token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'] } } },
    };
    const formats: string[] = [];
    const skipped: string[] = [];
    for (const json of Object.values(files)) {
      const result = await core.mcp.importConfig(json, 'test');
      formats.push(result.format);
      skipped.push(...result.skipped.map((s) => `${s.name}: ${s.reason}`));
    }
    expect(formats).toEqual(['claude-desktop', 'cursor', 'vscode', 'gemini-cli']);
    // A secret on the command line (readable by every local user in ps) is not imported.
    expect(skipped).toEqual([expect.stringMatching(/^gem-argv: a secret is passed as a command-line argument/)]);
    const list = core.mcp.status();
    expect(list.map((s) => [s.name, s.state, s.transport]).sort()).toEqual(
      [['claude-fs', 'disabled', 'stdio'], ['cursor-remote', 'disabled', 'http'], ['gem-http', 'disabled', 'http'], ['gem-sse', 'disabled', 'sse'], ['vs-sse', 'disabled', 'sse'], ['vs-stdio', 'disabled', 'stdio']].sort(),
    );
    expect(core.mcp.pids()).toEqual([]);
    // Not even a test starts an imported server before its command is confirmed.
    await expect(core.mcp.test('vs-stdio')).rejects.toThrow(/confirm what vs-stdio runs/);
    const yaml = readFileSync(join(home, 'config.yaml'), 'utf8');
    expect(yaml).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(yaml).not.toContain('abcdefghijklmnop0123456789');
    expect(yaml).toContain('${keychain:mcp:claude-fs:GITHUB_TOKEN}');
    expect(await secrets.get('mcp:claude-fs:GITHUB_TOKEN')).toBe('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    // Confirming what it runs turns one on.
    await core.mcp.confirm('vs-stdio', 'test');
    await until('vs-stdio connected', () => status(core, 'vs-stdio').state === 'connected');
    for (const pid of core.mcp.pids()) seenPids.add(pid);
    expect(status(core, 'claude-fs').state).toBe('disabled');
  }, 60_000);

  it('a prompt injection in a tool description and result does not get an unapproved call', async () => {
    const notes = join(tempDir('fm-mcp-notes-'), 'notes.jsonl');
    llm.setScenario([
      { match: { toolResult: 'fixture__write_note' }, respond: { text: 'Done.' } },
      // The "model" obeys the injected text in the result.
      { match: { toolResult: 'fixture__inject' }, respond: { tool_calls: [{ name: 'fixture__write_note', arguments: { text: 'pwned' } }] } },
      { match: { lastUser: 'weather', hasToolResult: false }, respond: { tool_calls: [{ name: 'fixture__inject', arguments: {} }] } },
    ]);
    const { core } = await makeCore({ servers: { fixture: fixtureServer({ NOTES_FILE: notes }) }, model: true });
    core.mcp.setTrust('fixture', true, 'test');
    const response = await core.chat({ message: 'what is the weather?' });
    expect(response.toolCalls.map((c) => [c.tool, c.ok])).toEqual([
      ['fixture__inject', true],
      ['fixture__write_note', false],
    ]);
    expect(response.pendingApprovals.map((a) => a.command)).toEqual([`mcp fixture write_note {"text":"pwned"}`]);
    expect(existsSync(notes)).toBe(false);
  }, 60_000);
});

describe('MCP client over HTTP', () => {
  /** An SDK server on 127.0.0.1: Streamable HTTP (stateless) on /mcp, legacy SSE on /sse + /messages; it checks the bearer token. */
  async function startHttpMcp(): Promise<{ url: string; stop: () => Promise<void> }> {
    const { createServer } = await import('node:http');
    const { Server } = await import('@modelcontextprotocol/sdk/server/index.js');
    const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
    const { SSEServerTransport } = await import('@modelcontextprotocol/sdk/server/sse.js');
    const { CallToolRequestSchema, ListToolsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const mcpServer = (transport: string) => {
      const server = new Server({ name: 'http-fixture', version: '1' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'which', description: 'Says which transport answered.', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true } }] }));
      server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: `answered over ${transport}` }] }));
      return server;
    };
    const sse = new Map<string, InstanceType<typeof SSEServerTransport>>();
    const http = createServer(async (req, res) => {
      if (req.headers.authorization !== 'Bearer http-fixture-token-1') {
        res.writeHead(401).end();
        return;
      }
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (path === '/mcp') {
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        await mcpServer('streamable http').connect(transport);
        await transport.handleRequest(req, res);
      } else if (path === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        sse.set(transport.sessionId, transport);
        await mcpServer('sse').connect(transport);
      } else if (path === '/messages') {
        const id = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('sessionId') ?? '';
        await sse.get(id)?.handlePostMessage(req, res);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((resolve) => { http.closeAllConnections(); http.close(() => resolve()); }) };
  }

  it('connects over Streamable HTTP and legacy SSE with a header from the keychain; a wrong token is a clear error', async () => {
    const http = await startHttpMcp();
    try {
      const headers = { Authorization: 'Bearer ${keychain:http-token}' };
      const home = tempDir('fm-mcp-http-');
      writeFileSync(join(home, 'config.yaml'), JSON.stringify({ mcpServers: { web: { url: `${http.url}/mcp`, headers }, legacy: { type: 'sse', url: `${http.url}/sse`, headers }, wrong: { url: `${http.url}/mcp` } }, mcpClient: { reconnectInitialMs: 60_000 } }));
      const secrets = new MemorySecretStore();
      await secrets.set('http-token', 'http-fixture-token-1');
      const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets });
      cores.push(core);
      await core.ready();
      await core.startMcp();
      core.mcp.setTrust('web', true, 'test');
      core.mcp.setTrust('legacy', true, 'test');
      expect((await core.tools.call('web__which', {}, { requester: 'test' })).text).toContain('answered over streamable http');
      expect((await core.tools.call('legacy__which', {}, { requester: 'test' })).text).toContain('answered over sse');
      expect(status(core, 'wrong')).toMatchObject({ state: 'failed', transport: 'http' });
      expect(status(core, 'wrong').error).toMatch(/401|Unauthorized/i);
    } finally {
      while (cores.length) await cores.pop()!.close();
      await http.stop();
    }
  }, 60_000);
});

describe('no leaked MCP processes', () => {
  it('every child started above is gone once its core closed', async () => {
    expect(seenPids.size).toBeGreaterThan(5);
    await until('children to exit', () => [...seenPids].every((pid) => !alive(pid)), 10_000);
  });
});
