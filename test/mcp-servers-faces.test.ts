import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServerListSchema, McpServerTestResultSchema } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

/**
 * The MCP client's faces: /api/mcp-servers on the built server (operator only; trust,
 * confirmation bound to the launch line shown, test) and `fleetmind mcp-servers`
 * (list, import leaving servers off, confirm in two steps, trust).
 */

const run = promisify(execFile);
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'mcp-servers', 'fixture-server.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'fm-mcp-faces-'));
const cliHome = mkdtempSync(join(tmpdir(), 'fm-mcp-cli-'));
let server: RunningServer;

beforeAll(async () => {
  writeFileSync(join(dataDir, 'config.yaml'), `mcpServers:\n  fixture:\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(FIXTURE)}]\n`);
  server = await startBuiltServer({ dataDir, env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(cliHome, { recursive: true, force: true });
});

const auth = () => ({ Authorization: `Bearer ${server.token}` });
const json = { 'Content-Type': 'application/json' };

async function list() {
  const res = await fetch(`${server.url}/api/mcp-servers`, { headers: auth() });
  expect(res.status).toBe(200);
  return McpServerListSchema.parse(await res.json());
}

describe('/api/mcp-servers', () => {
  it('is the operator\'s: without the token nothing is listed or changed', async () => {
    expect((await fetch(`${server.url}/api/mcp-servers`)).status).toBeGreaterThanOrEqual(401);
    const patch = await fetch(`${server.url}/api/mcp-servers/fixture`, { method: 'PATCH', headers: json, body: JSON.stringify({ trusted: true }) });
    expect(patch.status).toBeGreaterThanOrEqual(401);
    expect((await list()).servers[0]?.trusted).toBe(false);
  });

  it('shows the server connected with its tools and the trust notice; trust and lists change; bad input is refused', async () => {
    const deadline = Date.now() + 20_000;
    let fixture = (await list()).servers.find((s) => s.name === 'fixture');
    while (fixture?.state !== 'connected' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      fixture = (await list()).servers.find((s) => s.name === 'fixture');
    }
    expect(fixture?.state).toBe('connected');
    expect(fixture?.tools.map((t) => t.name)).toContain('fixture__echo');
    expect((await list()).trustNotice).toMatch(/runs as you/);

    const trusted = await fetch(`${server.url}/api/mcp-servers/fixture`, { method: 'PATCH', headers: { ...auth(), ...json }, body: JSON.stringify({ trusted: true, deny: ['crash'] }) });
    expect(trusted.status).toBe(200);
    const after = McpServerListSchema.parse(await trusted.json()).servers.find((s) => s.name === 'fixture')!;
    expect(after.trusted).toBe(true);
    expect(after.deny).toEqual(['crash']);

    const noDigest = await fetch(`${server.url}/api/mcp-servers/fixture`, { method: 'PATCH', headers: { ...auth(), ...json }, body: JSON.stringify({ confirm: true }) });
    expect(noDigest.status).toBe(400);
    const wrongDigest = await fetch(`${server.url}/api/mcp-servers/fixture`, { method: 'PATCH', headers: { ...auth(), ...json }, body: JSON.stringify({ confirm: true, specSha256: '0'.repeat(64) }) });
    expect(wrongDigest.status).toBe(409);
    const unknownField = await fetch(`${server.url}/api/mcp-servers/fixture`, { method: 'PATCH', headers: { ...auth(), ...json }, body: JSON.stringify({ command: 'sh' }) });
    expect(unknownField.status).toBe(400);
    const missing = await fetch(`${server.url}/api/mcp-servers/nope`, { method: 'PATCH', headers: { ...auth(), ...json }, body: JSON.stringify({ trusted: true }) });
    expect(missing.status).toBe(404);
  });

  it('tests a server: started once, tools listed, stopped', async () => {
    const res = await fetch(`${server.url}/api/mcp-servers/fixture/test`, { method: 'POST', headers: { ...auth(), ...json }, body: '{}' });
    const result = McpServerTestResultSchema.parse(await res.json());
    expect(result.ok).toBe(true);
    expect(result.tools).toContain('echo');
  });
});

describe('fleetmind mcp-servers', () => {
  const cli = (...args: string[]): Promise<{ stdout: string; stderr: string; code?: number }> =>
    run(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'mcp-servers', ...args], { env: { ...process.env, FLEETMIND_HOME: cliHome, OPENAI_API_KEY: '' }, timeout: 60_000 }).catch(
      (err: { code: number; stdout: string; stderr: string }) => ({ stdout: err.stdout, stderr: err.stderr, code: err.code }),
    );

  it('imports a Claude Desktop file with every server off, confirms in two steps, and trusts', async () => {
    const file = join(cliHome, 'claude_desktop_config.json');
    writeFileSync(file, JSON.stringify({ mcpServers: { notes: { command: process.execPath, args: [FIXTURE] } } }));
    const imported = await cli('import', file, '--json');
    expect(JSON.parse(imported.stdout)).toMatchObject({ format: 'claude-desktop', imported: ['notes'] });
    const listed = JSON.parse((await cli('list', '--json')).stdout) as { servers: { name: string; state: string; launch: string; specSha256: string }[] };
    expect(listed.servers).toEqual([expect.objectContaining({ name: 'notes', state: 'disabled' })]);
    const shown = await cli('confirm', 'notes');
    expect(shown.stdout).toContain(FIXTURE);
    const spec = /spec: ([0-9a-f]{64})/.exec(shown.stdout)?.[1];
    expect(spec).toBe(listed.servers[0]!.specSha256);
    expect((await cli('confirm', 'notes', '--spec', '1'.repeat(64))).code).toBe(1);
    await cli('confirm', 'notes', '--spec', spec!);
    await cli('trust', 'notes');
    const after = JSON.parse((await cli('list', '--json')).stdout) as { servers: { name: string; state: string; trusted: boolean }[] };
    expect(after.servers[0]).toMatchObject({ name: 'notes', state: 'idle', trusted: true });
    expect(readFileSync(join(cliHome, 'config.yaml'), 'utf8')).toContain('notes');
    const bad = await cli('add', 'bad', '--env', 'OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789', '--', 'node');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/literal secret/);
  }, 120_000);

  it('beside a running server: a server added from the CLI is picked up and connects, removing it stops it', async () => {
    const beside = (...args: string[]) =>
      run(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'mcp-servers', ...args], { env: { ...process.env, FLEETMIND_HOME: dataDir, OPENAI_API_KEY: '' }, timeout: 60_000 });
    await beside('add', 'second', '--env', 'FIXTURE_NAME_PREFIX=s_', '--', process.execPath, FIXTURE);
    const deadline = Date.now() + 30_000;
    let second = (await list()).servers.find((s) => s.name === 'second');
    while (second?.state !== 'connected' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      second = (await list()).servers.find((s) => s.name === 'second');
    }
    expect(second?.tools.map((t) => t.name)).toContain('second__s_echo');
    await beside('remove', 'second');
    while ((await list()).servers.some((s) => s.name === 'second') && Date.now() < deadline + 30_000) await new Promise((r) => setTimeout(r, 250));
    expect((await list()).servers.map((s) => s.name)).not.toContain('second');
  }, 120_000);
});
