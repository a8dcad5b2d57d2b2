import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecResultLineSchema } from '../src/shared/protocol';
import { ensureBuilt, repoRoot } from './helpers/build';
import { startBuiltServer } from './helpers/built-server';

const homes: string[] = [];
afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
const freshHome = () => {
  const h = mkdtempSync(join(tmpdir(), 'fm-thin-'));
  homes.push(h);
  return h;
};

/** Async, so a server started by the same test process can answer meanwhile. */
function fleetmind(home: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...process.env, FLEETMIND_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
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
