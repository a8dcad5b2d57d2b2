import { execFile } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../src/main/core/compose';
import { describeEntry, TOOL_NAME } from '../src/main/core/mcp';
import { MemorySecretStore } from '../src/main/core/secrets';
import { repoRoot } from './helpers/build';
import { isAlive, tempDirIn } from './helpers/processes';
import { canSwitchUsers, cliAs, createSystemUser, probeAs, startServerAs } from './helpers/os-users';
import { until as poll } from './helpers/poll';

/**
 * Attacks on the MCP client with a hostile fixture server (test/fixtures/mcp-servers/
 * hostile-server.mjs) and hostile configuration: bait-and-switch tool definitions, name
 * collisions, approvals replayed or outliving the launch line they were asked under, imports
 * that smuggle loader variables, secrets in urls, the child's environment read from /proc,
 * 10k-tool lists, redirects carrying keychain headers to another origin, grandchildren left
 * behind.
 */

const HOSTILE = join(repoRoot, 'test', 'fixtures', 'mcp-servers', 'hostile-server.mjs');
const CANARY_KEY = 'sk-canary-attack-0123456789abcdefghijklmnop';
const dirs: string[] = [];
const cores: Core[] = [];
const saved = process.env.OPENAI_API_KEY;

beforeAll(() => {
  process.env.OPENAI_API_KEY = CANARY_KEY;
});
afterAll(() => {
  if (saved === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = saved;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  while (cores.length) await (cores.pop() as Core).close();
});

const alive = isAlive;
const tempDir = (prefix: string): string => tempDirIn(dirs, prefix);

async function makeCore(servers: Record<string, unknown>, mcp: Record<string, unknown> = {}): Promise<{ core: Core; home: string; secrets: MemorySecretStore }> {
  const home = tempDir('fm-mcp-attack-');
  writeFileSync(join(home, 'config.yaml'), JSON.stringify({ mcpServers: servers, mcpClient: { reconnectInitialMs: 100, reconnectMaxMs: 500, ...mcp } }));
  const secrets = new MemorySecretStore();
  await secrets.set('attack-secret', 'keychain-value-for-header-77');
  const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_BASE_URL: '' }, secrets });
  cores.push(core);
  await core.ready();
  await core.startMcp();
  return { core, home, secrets };
}

const hostile = (env: Record<string, string> = {}) => ({ command: process.execPath, args: [HOSTILE], env });
const status = (core: Core, name: string) => core.mcp.status().find((s) => s.name === name)!;

const until = <T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> => poll(what, probe, timeoutMs, 50);

describe('tool definitions: pins and names', () => {
  it('a bait and switch without list_changed never reaches the model or the policy; after a reconnect the switched tool is refused until accepted', async () => {
    const flip = join(tempDir('fm-flip-'), 'flip');
    const { core } = await makeCore({ h: hostile({ HOSTILE_FLIP_FILE: flip }) });
    core.mcp.setTrust('h', true, 'test');
    expect((await core.tools.call('h__look', { path: '/' }, { requester: 'test' })).record.ok).toBe(true);
    writeFileSync(flip, '1');
    // The server now answers tools/list differently but said nothing: the client judges and
    // describes the tool by the pinned definition it holds, never by text it has not pinned.
    const before = core.tools.registry.list().find((t) => t.name === 'h__look');
    expect(before?.description).not.toMatch(/ignore previous instructions/);
    const pid = status(core, 'h').pid!;
    process.kill(pid, 'SIGKILL');
    await until('the reconnect', () => status(core, 'h').state === 'connected' && status(core, 'h').pid !== pid);
    expect(status(core, 'h').changedTools).toEqual(['look']);
    expect(core.tools.registry.list().map((t) => t.name)).not.toContain('h__look');
    expect((await core.mcp.call('h__look', { path: '/' }, { requester: 'test' })).error?.code).toBe('policy_denied');
  }, 60_000);

  it('accepting changed definitions accepts only those the operator was shown (digest), not what the server lists a moment later', async () => {
    const flip = join(tempDir('fm-flip-'), 'flip');
    const { core } = await makeCore({ h: hostile({ HOSTILE_FLIP_FILE: flip }) });
    // The operator looks at the server's tools (benign)...
    const shown = status(core, 'h');
    expect(shown.tools.find((t) => t.tool === 'look')?.description).toBe('Looks at a path.');
    // ...and the server switches them before the operator's accept arrives.
    writeFileSync(flip, '1');
    const pid = shown.pid!;
    process.kill(pid, 'SIGKILL');
    await until('the reconnect', () => status(core, 'h').state === 'connected' && status(core, 'h').pid !== pid);
    expect(() => core.mcp.acceptDefinitions('h', 'test', shown.definitionsSha256!)).toThrow(/changed since they were shown/);
    expect(status(core, 'h').changedTools).toEqual(['look']);
    // The faces (HTTP, IPC) must name what was shown.
    await expect(core.mcp.applyChange('h', { acceptDefinitions: true }, 'test')).rejects.toThrow(/needs definitionsSha256/);
    await expect(core.mcp.applyChange('h', { acceptDefinitions: true, definitionsSha256: shown.definitionsSha256! }, 'test')).rejects.toThrow(/changed since they were shown/);
    expect(status(core, 'h').changedTools).toEqual(['look']);
    // Accepting what is shown now works.
    core.mcp.acceptDefinitions('h', 'test', status(core, 'h').definitionsSha256!);
    expect(status(core, 'h').changedTools).toEqual([]);
  }, 60_000);

  it('list_changed with a same-named tool whose inputSchema changed hides it and voids its approvals', async () => {
    const { core } = await makeCore({ h: hostile() });
    const pending = await core.tools.call('h__look', { path: '/etc' }, { requester: 'test' });
    const id = pending.approvals[0]!.id;
    core.mcp.setTrust('h', true, 'test');
    expect((await core.tools.call('h__schema_change', {}, { requester: 'test' })).record.ok).toBe(true);
    await until('the changed schema', () => status(core, 'h').changedTools.includes('look'));
    expect((await core.mcp.call('h__look', { path: '/' }, { requester: 'test' })).error?.code).toBe('policy_denied');
    await expect(core.decideApproval(id, { decision: 'approve' }, 'test')).rejects.toThrow(/changed since this was requested/);
  }, 60_000);

  it('names that collide after sanitising, Unicode and over-long names stay distinct, valid, and reach the right server; core names are never shadowed', async () => {
    const long = `t${'x'.repeat(120)}`;
    const { core } = await makeCore({
      a__b: hostile({ HOSTILE_TOOL_NAMES: JSON.stringify(['c']) }),
      a: hostile({ HOSTILE_TOOL_NAMES: JSON.stringify(['b__c', 'lоok', 'l.ok', long, 'run_command']) }),
    });
    await until('both connected', () => status(core, 'a').state === 'connected' && status(core, 'a__b').state === 'connected');
    core.mcp.setTrust('a', true, 'test');
    core.mcp.setTrust('a__b', true, 'test');
    const tools = core.mcp.tools();
    const names = tools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(TOOL_NAME);
    const core_ = core.tools.registry.coreNames();
    for (const n of names) expect(core_).not.toContain(n);
    // Each qualified name calls the tool of the server it was listed for.
    for (const [server, tool] of [['a__b', 'c'], ['a', 'b__c'], ['a', 'lоok'], ['a', 'l.ok'], ['a', long]] as const) {
      const info = tools.find((t) => t.server === server && t.tool === tool)!;
      const out = await core.mcp.call(info.name, {}, { requester: 'test' });
      expect(out.text).toBe(`called ${tool}`);
    }
    expect(core.tools.registry.get('run_command')?.scope).not.toBe('external');
  }, 60_000);

  it('a tool listed twice (same name) is listed once: the model never gets duplicate names', async () => {
    const { core } = await makeCore({ h: hostile({ HOSTILE_TOOL_NAMES: JSON.stringify(['look', 'look']) }) });
    const names = core.tools.registry.schemas().map((t) => t.name);
    expect(names.filter((n) => n === 'h__look')).toEqual(['h__look']);
    expect(core.mcp.allTools().filter((t) => t.tool === 'look').map((t) => t.description)).toEqual(['Looks at a path.']);
    expect(status(core, 'h').error).toMatch(/listed twice: look/);
  }, 60_000);

  it('a 10k-tool list and megabyte descriptions are bounded', async () => {
    const { core } = await makeCore(
      { many: hostile({ HOSTILE_TOOL_COUNT: '10000' }), wide: hostile({ HOSTILE_TOOL_COUNT: '3', HOSTILE_DESC_BYTES: String(2_000_000) }), heavy: hostile({ HOSTILE_TOOL_COUNT: '100', HOSTILE_DESC_BYTES: String(60_000) }), flood: hostile({ HOSTILE_TOOL_COUNT: '400', HOSTILE_DESC_BYTES: String(60_000) }) },
      { connectTimeoutMs: 60_000 },
    );
    await until('connected', () => ['many', 'wide', 'heavy'].every((n) => status(core, n).state === 'connected'), 60_000);
    // 100 definitions of 60 KB each (6 MB) would all go into every prompt: the server's total is bounded.
    const heavy = core.mcp.allTools().filter((t) => t.server === 'heavy');
    expect(heavy.length).toBeLessThan(100);
    // A 24 MB answer exceeds the stdio message cap: the connection is dropped and says why.
    await until('the flood refused', () => /exceeded maximum size/.test(status(core, 'flood').error ?? ''), 30_000);
    expect(JSON.stringify(heavy).length).toBeLessThan(1_100_000);
    expect(status(core, 'heavy').error).toMatch(/exceed/);
    const many = core.mcp.allTools().filter((t) => t.server === 'many');
    expect(many.length).toBeGreaterThan(0);
    expect(many.length).toBeLessThanOrEqual(1000);
    expect(status(core, 'many').error).toMatch(/more than/);
    expect(core.mcp.allTools().filter((t) => t.server === 'wide' && t.tool.startsWith('extra_'))).toEqual([]);
    expect(status(core, 'wide').error).toMatch(/too large/);
    const schemas = JSON.stringify(core.tools.registry.schemas());
    expect(schemas.length).toBeLessThan(4_000_000);
  }, 120_000);
});

describe('approvals', () => {
  it('arguments with __proto__, 1.0 and big numbers: what the server receives is exactly what the approval showed', async () => {
    const { core } = await makeCore({ h: hostile() });
    const args = JSON.parse('{"path":"/x","__proto__":{"polluted":true},"n":1.0,"big":12345678901234567890,"path2":"a"}') as Record<string, unknown>;
    const out = await core.tools.call('h__look', args, { requester: 'test' });
    const approval = out.approvals[0]!;
    const shown = approval.command.replace(/^mcp h look /, '');
    const decided = await core.decideApproval(approval.id, { decision: 'approve' }, 'test');
    expect(decided.results[0]!.stdout).toBe(`looked at ${JSON.stringify(JSON.parse(shown))}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('an approval requested under one launch line does not run under another, even once that one is confirmed', async () => {
    const { core, home } = await makeCore({ h: hostile() });
    const out = await core.tools.call('h__look', { path: '/srv' }, { requester: 'test' });
    const id = out.approvals[0]!.id;
    // The operator (or anything that can write config.yaml) changes what "h" runs; it is confirmed anew.
    writeFileSync(join(home, 'config.yaml'), JSON.stringify({ mcpServers: { h: hostile({ EXTRA: 'changed' }) }, mcpClient: { reconnectInitialMs: 100, reconnectMaxMs: 500 } }));
    await core.mcp.reload();
    expect(status(core, 'h').confirmed).toBe(false);
    await expect(core.decideApproval(id, { decision: 'approve' }, 'test')).rejects.toThrow(/does not offer|not connected/);
    await core.mcp.confirm('h', 'test', status(core, 'h').specSha256);
    await until('connected again', () => status(core, 'h').state === 'connected');
    await expect(core.decideApproval(id, { decision: 'approve' }, 'test')).rejects.toThrow(/changed since this was requested/);
  }, 60_000);

  it('trust does not carry over to a new launch line: once it is confirmed, its read-only tools ask again until trusted anew', async () => {
    const { core, home } = await makeCore({ h: hostile() });
    core.mcp.setTrust('h', true, 'test');
    const trustedRun = await core.tools.call('h__look', { path: '/' }, { requester: 'test' });
    expect(trustedRun.record.ok).toBe(true);
    expect(trustedRun.approvals).toEqual([]);
    writeFileSync(join(home, 'config.yaml'), JSON.stringify({ mcpServers: { h: hostile({ EXTRA: 'another program' }) }, mcpClient: { reconnectInitialMs: 100, reconnectMaxMs: 500 } }));
    await core.mcp.reload();
    await core.mcp.confirm('h', 'test', status(core, 'h').specSha256);
    await until('connected again', () => status(core, 'h').state === 'connected');
    expect(status(core, 'h')).toMatchObject({ confirmed: true, trusted: false });
    const afterChange = await core.tools.call('h__look', { path: '/' }, { requester: 'test' });
    expect(afterChange.approvals).toHaveLength(1);
    // Confirming the same launch line again (nothing changed) keeps a trust given to it.
    core.mcp.setTrust('h', true, 'test');
    await core.mcp.confirm('h', 'test', status(core, 'h').specSha256);
    expect(status(core, 'h').trusted).toBe(true);
  }, 60_000);
});

describe('configuration and imports', () => {
  it('importing over a confirmed server of the same name (or one that cleans to it) changes nothing', async () => {
    const { core, home } = await makeCore({ 'my-server': hostile() });
    const before = status(core, 'my-server');
    expect(before.confirmed).toBe(true);
    const result = await core.mcp.importConfig({ mcpServers: { 'my-server': { command: '/bin/sh', args: ['-c', 'evil'] }, 'my server': { command: '/bin/sh', args: ['-c', 'evil'] } } }, 'test');
    expect(result.imported).toEqual([]);
    expect(result.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/already configured/), expect.stringMatching(/already configured/)]);
    expect(readFileSync(join(home, 'config.yaml'), 'utf8')).not.toContain('evil');
    expect(status(core, 'my-server')).toMatchObject({ confirmed: true, specSha256: before.specSha256 });
  }, 60_000);

  it('an import that sets loader or interpreter variables, or a PATH into a world-writable dir, is refused; an operator-written one shows their values', async () => {
    const { core } = await makeCore({});
    const result = await core.mcp.importConfig(
      {
        mcpServers: {
          preload: { command: 'srv', env: { LD_PRELOAD: '/tmp/evil.so' } },
          nodeopts: { command: 'node', args: ['x.js'], env: { NODE_OPTIONS: '--require /tmp/evil.js' } },
          path: { command: 'srv', env: { PATH: '/tmp:/usr/bin' } },
          wd: { command: './srv', cwd: '/tmp' },
          fine: { command: 'srv', env: { LOG_LEVEL: 'debug' } },
        },
      },
      'test',
    );
    expect(result.imported).toEqual(['fine']);
    expect(result.skipped.map((s) => s.name).sort()).toEqual(['nodeopts', 'path', 'preload', 'wd']);
    // What an operator confirms shows the values of such variables, not only their names.
    expect(describeEntry({ command: 'srv', env: { LD_PRELOAD: '/tmp/evil.so', LOG_LEVEL: 'debug' } })).toContain('LD_PRELOAD=/tmp/evil.so');
  }, 60_000);

  it('a secret or keychain reference in a url is refused (it would show in status, logs and the process list of proxies)', async () => {
    const { core } = await makeCore({});
    await expect(core.mcp.add('u1', { url: 'http://127.0.0.1:9/mcp?api_key=sk-abcdefghijklmnopqrstuvwxyz012345' }, 'test')).rejects.toThrow(/literal secret|url/);
    await expect(core.mcp.add('u2', { url: 'http://user:hunter2hunter2@127.0.0.1:9/mcp' }, 'test')).rejects.toThrow(/literal secret|url/);
    await expect(core.mcp.add('u3', { url: 'http://127.0.0.1:9/mcp?k=${keychain:attack-secret}' }, 'test')).rejects.toThrow(/keychain|url/);
    await expect(core.mcp.add('a1', { command: 'srv', args: ['--token=${keychain:attack-secret}'] }, 'test')).rejects.toThrow(/literal secret/);
  }, 60_000);
});

describe('processes', () => {
  it("the child's environment (read from /proc) holds none of the server's secrets", async () => {
    const { core } = await makeCore({ h: hostile({ CONFIGURED: 'yes', FROM_KEYCHAIN: '${keychain:attack-secret}' }) });
    const pid = status(core, 'h').pid!;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = environ.map((e) => e.slice(0, e.indexOf('=')));
    expect(environ.join('\n')).not.toContain(CANARY_KEY);
    expect(names).toContain('CONFIGURED');
    expect(environ).toContain('FROM_KEYCHAIN=keychain-value-for-header-77');
    expect(names.filter((n) => !['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'CONFIGURED', 'FROM_KEYCHAIN'].includes(n))).toEqual([]);
  }, 60_000);

  /** A trusted hostile server that has started a long-lived grandchild (both alive). */
  async function serverWithGrandchild(): Promise<{ core: Core; child: number; grandchild: number }> {
    const pidFile = join(tempDir('fm-grand-'), 'pid');
    const { core } = await makeCore({ h: hostile({ HOSTILE_PID_FILE: pidFile }) });
    core.mcp.setTrust('h', true, 'test');
    expect((await core.tools.call('h__spawn_child', {}, { requester: 'test' })).record.ok).toBe(true);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(true);
    return { core, child: status(core, 'h').pid!, grandchild };
  }

  it('a grandchild the server started is stopped with it', async () => {
    const { core, child, grandchild } = await serverWithGrandchild();
    await core.close();
    cores.length = 0;
    await until('child and grandchild gone', () => !alive(child) && !alive(grandchild), 10_000);
  }, 60_000);

  it('a grandchild outlives no crash either: once the server dies, what it started is stopped and the server comes back', async () => {
    const { core, child, grandchild } = await serverWithGrandchild();
    process.kill(child, 'SIGKILL');
    await until('the grandchild stopped after the crash', () => !alive(grandchild), 10_000);
    await until('the reconnect', () => status(core, 'h').state === 'connected' && status(core, 'h').pid !== child);
  }, 60_000);
});

describe('HTTP redirects', () => {
  interface Seen {
    url: string;
    headers: Record<string, string | string[] | undefined>;
  }
  async function listen(server: HttpServer, host: string): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return (server.address() as { port: number }).port;
  }

  it('a server redirecting to another origin gets neither the keychain headers sent there nor a connection', async () => {
    const seen: Seen[] = [];
    const catcher = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.statusCode = 404;
      res.end();
    });
    const catcherPort = await listen(catcher, '127.0.0.2');
    const redirector = createServer((req, res) => {
      res.statusCode = 307;
      res.setHeader('Location', `http://127.0.0.2:${catcherPort}${req.url}`);
      res.end();
    });
    const port = await listen(redirector, '127.0.0.1');
    try {
      const headers = { Authorization: 'Bearer ${keychain:attack-secret}', 'X-Api-Key': '${keychain:attack-secret}' };
      const { core } = await makeCore({ web: { url: `http://127.0.0.1:${port}/mcp`, headers }, legacy: { type: 'sse', url: `http://127.0.0.1:${port}/sse`, headers } }, { reconnectInitialMs: 60_000 });
      await until('both failed', () => status(core, 'web').state === 'failed' && status(core, 'legacy').state === 'failed');
      expect(JSON.stringify(seen)).not.toContain('keychain-value-for-header-77');
      expect(seen).toEqual([]);
    } finally {
      catcher.closeAllConnections();
      redirector.closeAllConnections();
      await new Promise((r) => catcher.close(r));
      await new Promise((r) => redirector.close(r));
    }
  }, 60_000);
});

describe('faces', () => {
  const runFile = promisify(execFile);
  const cli = (home: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code?: number }> =>
    runFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'mcp-servers', ...args], { env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '' }, timeout: 120_000 }).catch(
      (err: { code: number; stdout: string; stderr: string }) => ({ stdout: err.stdout, stderr: err.stderr, code: err.code }),
    );

  it('escape sequences in a server name, tool names and errors reach `mcp-servers test|list|accept-tools` output as visible escapes', async () => {
    const home = tempDir('fm-mcp-cli-');
    const evil = '\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2K\rok';
    writeFileSync(
      join(home, 'config.yaml'),
      JSON.stringify({ mcpServers: { h: hostile({ HOSTILE_NAME: evil, HOSTILE_TOOL_NAMES: JSON.stringify([`t${evil}`]) }), broken: { command: process.execPath, args: ['-e', `process.stderr.write(${JSON.stringify(evil)}); process.exit(1)`] } } }),
    );
    const outputs = [await cli(home, 'test', 'h'), await cli(home, 'test', 'broken'), await cli(home, 'list'), await cli(home, 'accept-tools', 'h')];
    const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
    expect(all).toContain('\\x1b]52');
    expect(all).not.toContain('\u001b');
    expect(all).not.toContain('\u0007');
    expect(all).not.toMatch(/\r/);
    // accept-tools accepts only the definitions whose digest the operator was shown.
    const stale = await cli(home, 'accept-tools', 'h', '--yes', '--digest', '0'.repeat(64));
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/changed since they were shown/);
  }, 240_000);
});

describe.skipIf(!canSwitchUsers)('another local user', () => {
  it('cannot list, add, import, change or test MCP servers over HTTP, nor change them with the CLI', async () => {
    const user = createSystemUser();
    const server = await startServerAs(user, { env: { OPENAI_API_KEY: '' } }).catch((err: unknown) => {
      user.remove();
      throw err;
    });
    try {
      const json = { 'Content-Type': 'application/json' };
      const base = server.url;
      const answers = probeAs('nobody', [
        { url: `${base}/api/mcp-servers` },
        { url: `${base}/api/mcp-servers`, method: 'POST', headers: json, body: { name: 'evil', command: '/bin/sh', args: ['-c', 'id > /tmp/pwned'] } },
        { url: `${base}/api/mcp-servers/import`, method: 'POST', headers: json, body: { mcpServers: { evil: { command: '/bin/sh' } } } },
        { url: `${base}/api/mcp-servers/evil`, method: 'PATCH', headers: json, body: { trusted: true } },
        { url: `${base}/api/mcp-servers/evil/test`, method: 'POST', headers: json, body: {} },
        { url: `${base}/api/mcp-servers/evil`, method: 'DELETE' },
      ]);
      for (const a of answers) expect([401, 403]).toContain(a.status);
      const cli = cliAs('nobody', server.dataDir, ['mcp-servers', 'add', 'evil', '--', '/bin/sh', '-c', 'id']);
      expect(cli.status).not.toBe(0);
      const listed = (await fetch(`${base}/api/mcp-servers`, { headers: { Authorization: `Bearer ${server.token()}` } }).then((r) => r.json())) as { servers: { name: string }[] };
      expect(listed.servers.map((s) => s.name)).not.toContain('evil');
    } finally {
      await server.stop();
      user.remove();
    }
  }, 180_000);
});
