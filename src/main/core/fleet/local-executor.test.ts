import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy, SafetyGate } from '../safety';

// The real policy: tests see exactly what the product allows and refuses.
const policy = loadDefaultPolicy();
import { LocalExecutor, localHost, truncationMarker } from './index';

// Tests need commands outside the read-only list (sleep, sh); a permissive policy
// stands in for an operator's approval so the executor itself is what is tested.
const permissive = new SafetyGate({
  version: 'test',
  evaluate: () => ({ decision: 'allow', category: 'read_only', reasons: ['test'] }),
});
const approve = (argv: string[] | null, command = argv?.join(' ') ?? '') => {
  const result = permissive.check({ command, argv: argv ?? undefined, host: 'localhost', requester: 'test' });
  if (!result.ok) throw new Error('not approved');
  return result.command;
};

describe('LocalExecutor', () => {
  const executor = new LocalExecutor(localHost());

  it('runs argv without a shell and reports exit code and output', async () => {
    const out = await executor.run(approve(['echo', 'a;b', '$(x)']));
    expect(out.stdout).toBe('a;b $(x)\n');
    expect(out.exitCode).toBe(0);
    expect(out.error).toBeNull();
  });

  it('reports a non-zero exit without an error', async () => {
    const out = await executor.run(approve(['ls', '/definitely/not/here']));
    expect(out.exitCode).not.toBe(0);
    expect(out.stderr).toMatch(/No such file/);
    expect(out.error).toBeNull();
  });

  it('kills the whole process group on timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-local-'));
    try {
      const out = await executor.run(approve(null, `sleep 30 & echo $! > ${dir}/pid; sleep 30; echo never`), { timeoutMs: 300 });
      expect(out.error?.code).toBe('timeout');
      expect(out.signal).toBe('SIGKILL');
      expect(out.stdout).not.toContain('never');
      // The background child of the killed group is gone too (a zombie awaiting its reaper counts as gone).
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      const alive = () => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs shell text under bash: text harmless to bash and a payload to dash runs no payload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-local-'));
    try {
      for (const text of [`true | echo $'\\' ; touch ${dir}/one ; echo \\' #'`, `echo &>/dev/null touch ${dir}/two`]) {
        const out = await executor.run(approve(null, text));
        expect(out.exitCode).toBe(0);
      }
      expect(readdirSync(dir)).toEqual([]);
      const version = await executor.run(approve(null, 'echo "${BASH_VERSION:+bash}"; shopt -q login_shell || echo no-login'));
      expect(version.stdout).toBe('bash\nno-login\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives commands the minimal environment, never the server's: no keys, no BASH_ENV, a fixed PATH", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-local-'));
    const saved = { ...process.env };
    try {
      writeFileSync(join(dir, 'rc'), `touch ${dir}/bash-env-ran\n`);
      // A program named like a system one, first on the server's PATH (as node_modules/.bin is under npm start).
      writeFileSync(join(dir, 'uptime'), `#!/bin/sh\ntouch ${dir}/planted-ran\n`);
      chmodSync(join(dir, 'uptime'), 0o755);
      Object.assign(process.env, { OPENAI_API_KEY: 'sk-server-secret', FLEETMIND_TOKEN: 'tok', BASH_ENV: join(dir, 'rc'), ENV: join(dir, 'rc'), PATH: `${dir}:${process.env.PATH}`, KUBECONFIG: '/k/config' });
      const fresh = new LocalExecutor(localHost(), { passEnvironment: ['KUBECONFIG'] });
      for (const cmd of [approve(['env']), approve(null, 'env; set | grep -c sk-server-secret')]) {
        const out = await fresh.run(cmd);
        expect(out.stdout).not.toContain('sk-server-secret');
        const names = out.stdout.split('\n').filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l)).map((l) => l.split('=')[0]);
        expect(new Set(names.filter((n) => !['_', 'SHLVL', 'PWD', 'OLDPWD'].includes(n as string)))).toEqual(new Set(['PATH', 'LANG', 'LC_ALL', 'HOME', 'USER', 'TERM', 'KUBECONFIG']));
        expect(out.stdout).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
      }
      await fresh.run(approve(['uptime']));
      await fresh.run(approve(null, 'uptime'));
      expect(existsSync(join(dir, 'planted-ran'))).toBe(false);
      expect(existsSync(join(dir, 'bash-env-ran'))).toBe(false);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('caps output and marks the truncation', async () => {
    const out = await executor.run(approve(null, 'head -c 100000 /dev/zero | tr "\\0" x'), { maxOutputBytes: 1000 });
    expect(out.stdoutTruncated).toBe(true);
    expect(out.stdout.endsWith(truncationMarker(1000))).toBe(true);
    expect(out.stdout.length).toBe(1000 + truncationMarker(1000).length);
  });

  it('cancels on abort', async () => {
    const controller = new AbortController();
    const pending = executor.run(approve(['sleep', '30']), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const out = await pending;
    expect(out.error?.code).toBe('cancelled');
  });

  it('explains a missing program', async () => {
    const out = await executor.run(approve(['no-such-program-fm']));
    expect(out.error?.message).toMatch(/program not found/);
  });

  it('refuses anything the gate did not mint', async () => {
    const forged = { command: 'rm -rf /tmp/x', argv: ['rm', '-rf', '/tmp/x'] } as never;
    await expect(executor.run(forged)).rejects.toThrow(/did not approve/);
  });

  it('reads files and gives null for missing ones', async () => {
    const files = await executor.readFiles(['/proc/loadavg', '/nope']);
    expect(files['/proc/loadavg']).toMatch(/^\d+\.\d+ /);
    expect(files['/nope']).toBeNull();
  });

  it('the real gate refuses a mutating command', async () => {
    const gate = new SafetyGate(await policy);
    expect(gate.check({ command: 'rm -rf /', host: 'localhost', requester: 't' }).ok).toBe(false);
  });
});
