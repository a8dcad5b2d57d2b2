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
    const out = await executor.run(approve(null, 'sleep 30 & sleep 30; echo never'), { timeoutMs: 200 });
    expect(out.error?.code).toBe('timeout');
    expect(out.signal).toBe('SIGKILL');
    expect(out.durationMs).toBeLessThan(5000);
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
