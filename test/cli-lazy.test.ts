import { describe, expect, it } from 'vitest';

process.env.FLEETMIND_CLI_NO_AUTORUN = '1';
const { buildProgram, COMMANDS, selectedCommand } = await import('../src/main/core/cli/main');

describe('lazy command loading', () => {
  it('the top-level help from stubs is exactly the help of the loaded commands', async () => {
    const lazy = await buildProgram(['node', 'fleetmind', '--help']);
    const full = await buildProgram(['node', 'fleetmind'], { all: true });
    expect(lazy.helpInformation()).toBe(full.helpInformation());
    expect(full.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
  });

  it('loads only the command argv names', async () => {
    const program = await buildProgram(['node', 'fleetmind', 'exec', '--hosts', 'x', '--', 'uptime']);
    const exec = program.commands.find((c) => c.name() === 'exec')!;
    expect(exec.options.some((o) => o.long === '--hosts')).toBe(true);
    expect(program.commands.find((c) => c.name() === 'serve')!.options).toEqual([]);
  });

  it('finds the command after top-level options and after help', () => {
    expect(selectedCommand(['--help'])).toBeNull();
    expect(selectedCommand(['exec', '--hosts', 'all'])).toBe('exec');
    expect(selectedCommand(['help', 'policy'])).toBe('policy');
    expect(selectedCommand(['frobnicate'])).toBeNull();
  });
});

describe('cold CLI paths (bench: cli)', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { afterAll, beforeAll } = await import('vitest');
  const { ensureBuilt, repoRoot } = await import('./helpers/build');

  const home = mkdtempSync(join(tmpdir(), 'fm-cli-cold-'));
  const loadedList = join(home, '..', `${home.split('/').pop()}-modules.json`);
  // Lists every CommonJS module the process loaded (the ESM bundle's externals load through it too).
  const preload = join(home, '..', `${home.split('/').pop()}-preload.cjs`);
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loadedList)}, JSON.stringify(Object.keys(require.cache))));\n`);
  beforeAll(() => ensureBuilt());
  afterAll(() => {
    for (const p of [home, loadedList, preload]) rmSync(p, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--require', preload, join(repoRoot, 'out', 'main', 'cli.js'), ...args], { env: { ...process.env, FLEETMIND_HOME: home, FLEETMIND_CLI_NO_AUTORUN: '' }, encoding: 'utf8', timeout: 60_000 });
    const modules = JSON.parse(readFileSync(loadedList, 'utf8')) as string[];
    const loaded = (pkg: string) => modules.some((m) => m.includes(`/node_modules/${pkg}/`));
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
  };

  it('a local exec loads no SSH, logging or YAML library, and is still judged and audited', () => {
    const first = cli('exec', '--hosts', 'localhost', '--', 'uptime'); // the first run writes the policy snapshot
    expect(first.code, first.stderr).toBe(0);
    const r = cli('exec', '--verbose', '--hosts', 'localhost', '--', 'uptime');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/exec locally/);
    for (const pkg of ['ssh2', 'pino', 'yaml']) expect(r.loaded(pkg), pkg).toBe(false);
    expect(r.loaded('better-sqlite3')).toBe(true);
    const denied = cli('exec', '--json', '--hosts', 'localhost', '--', 'cat /etc/shadow');
    expect(JSON.parse(denied.stdout)).toMatchObject({ ok: false, error: { code: 'policy_denied' } });
    const audit = cli('audit', 'list', '--json', '--limit', '50');
    const kinds = audit.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string; subject?: string }));
    expect(kinds.filter((e) => e.kind === 'execution').length).toBeGreaterThanOrEqual(2);
    expect(kinds.some((e) => e.kind === 'decision' && e.subject === 'cat /etc/shadow')).toBe(true);
  });

  it('a tampered policy snapshot is refused, said so, and the policy still judges from its YAML', () => {
    const first = cli('policy', 'check', 'ls');
    expect(first.code, first.stderr).toBe(0);
    const cache = join(home, 'cache');
    const names = readdirSync(cache).filter((n) => n.startsWith('policy-snapshot-'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const file = join(cache, name);
      const bytes = readFileSync(file);
      writeFileSync(file, Buffer.concat([bytes.subarray(0, bytes.indexOf(0x0a) + 1), Buffer.from(JSON.stringify({ defaults: [], overrides: [] }))]));
    }
    const r = cli('policy', 'check', 'cat /etc/shadow');
    expect(r.stdout).toMatch(/^DENY/);
    expect(r.stderr).toMatch(/policy snapshot was rejected/);
    // Compiled again, and written again: the next run uses it quietly.
    const again = cli('policy', 'check', 'cat /etc/shadow');
    expect(again.stdout).toMatch(/^DENY/);
    expect(again.stderr).toBe('');
  });
});
