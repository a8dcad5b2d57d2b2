import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote } from './quote';
import { batchScript, parseBatchOutput, remoteCommand, withNonInteractiveSudo, WRAPPER_SCRIPT } from './remote-script';

/** Runs a remote command string the way sshd does: `$SHELL -c STRING`, stdin a pipe we control. */
function runRemote(command: string, opts: { closeStdinAfterMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn('/bin/bash', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    if (opts.closeStdinAfterMs !== undefined) setTimeout(() => child.stdin.end(), opts.closeStdinAfterMs);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err, ms: Date.now() - started }));
  });
}

/** Running (a zombie waiting for its reaper counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('shQuote', () => {
  const roundTrip = (words: string[]) => {
    // printf '%s\0' prints every word exactly as the shell received it.
    const r = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${shJoin(words)}`], { encoding: 'utf8' });
    return r.stdout.split('\0').slice(0, -1);
  };

  it('leaves plain words readable and quotes everything else', () => {
    expect(shQuote('df')).toBe('df');
    expect(shQuote('/var/log/syslog')).toBe('/var/log/syslog');
    expect(shQuote('--state=failed')).toBe(`'--state=failed'`);
    expect(shQuote('')).toBe(`''`);
    expect(shQuote(`it's`)).toBe(`'it'\\''s'`);
  });

  it('round-trips hostile words through a real POSIX shell', () => {
    const words = ['echo', `a'b`, '$(id)', '`id`', '; rm -rf /', '$HOME', '*', '~', 'a\nb', '"q"', '\\', "''", 'A=1', '{a,b}', '-n', ' lead', 'tab\there', 'ünï'];
    expect(roundTrip(words)).toEqual(words);
  });

  it('refuses NUL and empty argv', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
    expect(() => shJoin([])).toThrow(/empty/);
  });
});

describe('withNonInteractiveSudo', () => {
  it('adds -n to sudo and leaves other commands alone', () => {
    expect(withNonInteractiveSudo(['sudo', 'systemctl', 'restart', 'x'])).toEqual(['sudo', '-n', 'systemctl', 'restart', 'x']);
    expect(withNonInteractiveSudo(['/usr/bin/sudo', '-u', 'app', 'id'])).toEqual(['/usr/bin/sudo', '-n', '-u', 'app', 'id']);
    expect(withNonInteractiveSudo(['sudo', '-n', 'id'])).toEqual(['sudo', '-n', 'id']);
    expect(withNonInteractiveSudo(['echo', 'sudo'])).toEqual(['echo', 'sudo']);
  });
});

describe('remote wrapper (run by a local /bin/sh as sshd would)', () => {
  it('passes argv through without a shell and keeps the exit code', async () => {
    const r = await runRemote(remoteCommand({ argv: ['sh', '-c', 'printf "%s|" "$@"; exit 3', 'x', 'a b', '$(id)'] }));
    expect(r.stdout.toString()).toBe('a b|$(id)|');
    expect(r.code).toBe(3);
  });

  it('runs shell text, with LC_ALL=C and stdin from /dev/null', async () => {
    const r = await runRemote(remoteCommand({ shell: 'echo "$LC_ALL"; cat; echo done | tr a-z A-Z' }));
    expect(r.stdout.toString()).toBe('C\nDONE\n');
    expect(r.code).toBe(0);
  });

  it('kills the whole process group when the channel stdin closes (cancel/timeout)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-wrap-'));
    try {
      const pidFile = join(dir, 'pids');
      const r = await runRemote(remoteCommand({ shell: `sleep 30 & echo $! > ${pidFile}; sleep 30` }), { closeStdinAfterMs: 200 });
      expect(r.ms).toBeLessThan(5000);
      expect([143, 137]).toContain(r.code);
      const bg = Number(spawnSync('cat', [pidFile], { encoding: 'utf8' }).stdout.trim());
      expect(bg).toBeGreaterThan(0);
      for (let i = 0; i < 50 && alive(bg); i++) await new Promise((res) => setTimeout(res, 50));
      expect(alive(bg)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGKILLs a command that ignores SIGTERM', async () => {
    const r = await runRemote(remoteCommand({ shell: `trap '' TERM; sleep 30` }), { closeStdinAfterMs: 100 });
    expect(r.ms).toBeLessThan(5000);
    expect(r.code).toBe(137);
  });

  it('the wrapper is plain POSIX sh', () => {
    const r = spawnSync('/bin/sh', ['-n', '-c', WRAPPER_SCRIPT]);
    expect(r.status).toBe(0);
  });
});

describe('batch script', () => {
  it('reads files and runs commands in one go, with caps and exact framing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-batch-'));
    try {
      const binary = Buffer.from([0, 1, 2, 0x0a, 0x46, 0x4d, 0x31, 0x20, 0x43, 0xff]);
      writeFileSync(join(dir, 'bin'), binary);
      writeFileSync(join(dir, 'big'), 'x'.repeat(5000));
      const plan = {
        files: [join(dir, 'bin'), join(dir, 'missing'), join(dir, 'big'), dir],
        commands: [
          { key: 'ok', argv: ['printf', '%s\n', 'FM1 END', 'two words'], shell: null },
          { key: 'fail', argv: ['ls', join(dir, 'nope')], shell: null },
          { key: 'big', argv: null, shell: 'head -c 3000 /dev/zero | tr "\\0" y; echo err >&2' },
          { key: 'missing', argv: ['no-such-program-fm'], shell: null },
        ],
        maxFileBytes: 1000,
        maxOutputBytes: 100,
      };
      const env = { ...process.env, TMPDIR: dir };
      const r = await runRemote(remoteCommand({ shell: batchScript(plan) }), { env });
      expect(r.code).toBe(0);
      const parsed = parseBatchOutput(r.stdout, 100);
      expect(parsed.complete).toBe(true);
      expect(parsed.garbage).toBe('');
      expect(parsed.files.get(0)).toEqual(binary);
      expect(parsed.files.get(1)).toBeNull();
      expect(parsed.files.get(2)?.length).toBe(1000);
      expect(parsed.files.get(3)).toBeNull();
      expect(parsed.commands.get(0)?.stdout.toString()).toBe('FM1 END\ntwo words\n');
      expect(parsed.commands.get(0)?.exitCode).toBe(0);
      expect(parsed.commands.get(1)?.exitCode).not.toBe(0);
      expect(parsed.commands.get(1)?.stderr.toString()).toMatch(/No such file/);
      expect(parsed.commands.get(2)?.stdoutBytes).toBe(3000);
      expect(parsed.commands.get(2)?.stdout.length).toBe(100);
      expect(parsed.commands.get(2)?.stderr.toString()).toBe('err\n');
      expect(parsed.commands.get(3)?.exitCode).toBe(127);
      // the private temporary directory is gone
      expect(readdirSync(dir).filter((f) => f.startsWith('fleetmind.'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cut-off stream gives the parts that completed', () => {
    const full = Buffer.concat([Buffer.from('FM1 F 0 3\nabcFM1 C 0 0 5 0\nhel')]);
    const parsed = parseBatchOutput(full, 100);
    expect(parsed.complete).toBe(false);
    expect(parsed.files.get(0)?.toString()).toBe('abc');
    expect(parsed.commands.has(0)).toBe(false);
    expect(existsSync('/bin/sh')).toBe(true);
  });
});
