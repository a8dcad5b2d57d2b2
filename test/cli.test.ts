import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecResultLineSchema } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';

const home = mkdtempSync(join(tmpdir(), 'fm-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function fleetmind(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], {
    env: { ...process.env, FLEETMIND_HOME: home },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('fleetmind CLI', () => {
  it('exec --json prints one contract line per host and exits 0', () => {
    const r = fleetmind('exec', '--hosts', 'localhost', '--json', '--', 'uname', '-n');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => ExecResultLineSchema.strict().parse(JSON.parse(l)));
    expect(lines).toEqual([expect.objectContaining({ host: 'localhost', ok: true, exitCode: 0, stdout: `${hostname()}\n`, error: null })]);
    expect(r.stderr).toMatch(/1\/1 hosts succeeded/);
  });

  it('a command that exits non-zero is ok:false with its exit code and no error', () => {
    const r = fleetmind('exec', '--hosts', 'localhost', '--json', '--', 'ls /definitely-missing');
    expect(r.code).toBe(1);
    const line = ExecResultLineSchema.parse(JSON.parse(r.stdout));
    expect(line).toMatchObject({ ok: false, error: null });
    expect(line.exitCode).toBeGreaterThan(0);
  });

  it('refuses anything outside the read-only list, with the reason', () => {
    const r = fleetmind('exec', '--hosts', 'localhost', '--json', '--', 'touch /tmp/fleetmind-should-not-exist');
    expect(r.code).toBe(1);
    const line = ExecResultLineSchema.parse(JSON.parse(r.stdout));
    expect(line.error?.code).toBe('approval_required');
    expect(line.error?.message).toMatch(/touch/);
    const denied = ExecResultLineSchema.parse(JSON.parse(fleetmind('exec', '--hosts', 'localhost', '--json', '--', 'cat /etc/shadow').stdout));
    expect(denied.error?.code).toBe('policy_denied');
    const shell = ExecResultLineSchema.parse(JSON.parse(fleetmind('exec', '--hosts', 'localhost', '--json', '--', 'uptime && reboot').stdout));
    expect(shell.ok).toBe(false);
  });

  it('bad usage exits 2 with a message', () => {
    expect(fleetmind('exec', '--hosts', 'web-9', '--', 'uptime')).toMatchObject({ code: 2, stderr: expect.stringMatching(/no host matches "web-9"/) });
    expect(fleetmind('exec', '--', 'uptime').code).toBe(2);
    expect(fleetmind('exec', '--hosts', 'localhost', '--timeout', 'soon', '--', 'uptime').code).toBe(2);
    expect(fleetmind('frobnicate').code).toBe(2);
    expect(fleetmind('serve', '--port', 'eighty').code).toBe(2);
  });

  it('has --help for each command', () => {
    for (const cmd of [[], ['serve'], ['chat'], ['exec']]) {
      const r = fleetmind(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: fleetmind/);
    }
  });

  it('chat streams the answer and can continue the conversation', () => {
    const first = fleetmind('chat', 'Show server status');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Host: ${hostname()}`);
    expect(first.stderr).toMatch(/server_status/);
    const id = /--conversation (\S+)\)/.exec(first.stdout)?.[1];
    expect(id).toBeTruthy();
    const json = fleetmind('chat', '--json', '--conversation', id!, 'memory');
    expect(JSON.parse(json.stdout)).toMatchObject({ conversationId: id, engine: 'offline' });
    expect(fleetmind('chat', '--conversation', 'nope', 'memory').code).toBe(2);
  });
});
