import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote } from './quote';
import { batchScript, parseBatchOutput, remoteCommand, REMOTE_EXEC, withNonInteractiveSudo, WRAPPER_SCRIPT, type RemoteInvocation } from './remote-script';

/**
 * Runs an invocation the way sshd does: `LOGIN_SHELL -c EXEC`, then the script line on a
 * stdin pipe we keep open (EOF is the watchdog's stop signal).
 */
function runRemote(invocation: RemoteInvocation, opts: { closeStdinAfterMs?: number; env?: NodeJS.ProcessEnv; shell?: string } = {}) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) => {
    const child = spawn(opts.shell ?? '/bin/bash', ['-c', invocation.exec], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.write(invocation.stdin);
    if (opts.closeStdinAfterMs !== undefined) setTimeout(() => child.stdin.end(), opts.closeStdinAfterMs);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
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

describe('remote wrapper (run through a login shell as sshd would)', () => {
  it('passes argv through without a shell and keeps the exit code', async () => {
    const r = await runRemote(remoteCommand({ argv: ['sh', '-c', 'printf "%s|" "$@"; exit 3', 'x', 'a b', '$(id)'] }));
    expect(r.stdout.toString()).toBe('a b|$(id)|');
    expect(r.code).toBe(3);
  });

  it('an argv word with = is a program name, never an assignment', async () => {
    const r = await runRemote(remoteCommand({ argv: ['X=1', 'id'] }));
    expect(r.stdout.toString()).toBe('');
    expect(r.code).toBe(127);
  });

  it('runs shell text under bash, with LC_ALL=C and stdin from /dev/null', async () => {
    const r = await runRemote(remoteCommand({ bash: 'echo "$LC_ALL"; cat; echo done | tr a-z A-Z; echo "${BASH_VERSION:+bash}"' }));
    expect(r.stdout.toString()).toBe('C\nDONE\nbash\n');
    expect(r.code).toBe(0);
  });

  it('text that is harmless to bash and a payload to dash does not run the payload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-dash-'));
    try {
      for (const text of [`true | echo $'\\' ; touch ${dir}/one ; echo \\' #'`, `echo &>/dev/null touch ${dir}/two`]) {
        const r = await runRemote(remoteCommand({ bash: text }));
        expect(r.code).toBe(0);
      }
      // The same texts under dash do create the files: the test would notice a dash wrapper.
      expect(readdirSync(dir)).toEqual([]);
      spawnSync('dash', ['-c', `echo &>/dev/null touch ${dir}/two`]);
      expect(readdirSync(dir)).toEqual(['two']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commands get the minimal environment, not the login\'s: no secrets, no BASH_ENV, a fixed PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-env-'));
    try {
      writeFileSync(join(dir, 'rc'), `touch ${dir}/bash-env-ran\n`);
      const env = { ...process.env, OPENAI_API_KEY: 'sk-secret-login', SOME_TOKEN: 't0k', BASH_ENV: join(dir, 'rc'), ENV: join(dir, 'rc'), PATH: `${dir}:${process.env.PATH}`, https_proxy: 'http://proxy:3128' };
      // dash as the login shell: it ignores BASH_ENV itself, so only a leak into the command's bash would run rc.
      const r = await runRemote(remoteCommand({ bash: 'env | sort' }, ['https_proxy']), { env, shell: '/bin/dash' });
      const names = r.stdout.toString().trim().split('\n').map((l) => l.split('=')[0]).filter((n) => n !== '_' && n !== 'SHLVL' && n !== 'PWD' && n !== 'OLDPWD');
      expect(names.sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH', 'TERM', 'TMPDIR', 'USER', 'https_proxy'].sort());
      expect(r.stdout.toString()).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
      expect(r.stdout.toString()).toContain('TERM=dumb\n');
      expect(r.stdout.toString()).not.toContain('sk-secret-login');
      expect(existsSync(join(dir, 'bash-env-ran'))).toBe(false);
      const argv = await runRemote(remoteCommand({ argv: ['env'] }), { env });
      expect(argv.stdout.toString()).not.toMatch(/OPENAI_API_KEY|SOME_TOKEN|BASH_ENV|https_proxy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the exec string is one constant every login shell parses alike; the command is only data', async () => {
    expect(remoteCommand({ bash: 'rm -rf /tmp/x; $(id)' }).exec).toBe(REMOTE_EXEC);
    expect(remoteCommand({ argv: ['id'] }).exec).toBe(REMOTE_EXEC);
    // No character any of bash, dash, zsh, ksh, tcsh or fish reads differently inside single quotes.
    expect(REMOTE_EXEC).not.toMatch(/[!\\\n]/);
    const shells = ['/bin/bash', '/bin/dash', '/bin/zsh', '/bin/tcsh', '/usr/bin/fish', '/bin/mksh'].filter((s) => existsSync(s));
    expect(shells.length).toBeGreaterThanOrEqual(2);
    for (const shell of shells) {
      const r = await runRemote(remoteCommand({ bash: `printf '%s\\n' "it's" '$HOME' "!1" ; echo $'a\\tb'` }), { shell });
      expect({ shell, out: r.stdout.toString(), code: r.code }).toEqual({ shell, out: `it's\n$HOME\n!1\na\tb\n`, code: 0 });
    }
  });

  it('refuses shell text where bash is missing, and still runs plain words', async () => {
    // The bash lookup is over the fixed system directories: prove it against a script where none has bash.
    const script = WRAPPER_SCRIPT.replace(/for d in [^;]+;/, 'for d in /nonexistent;').replace('$FM_PASS', '');
    const invocation = (words: string) => ({ exec: REMOTE_EXEC, stdin: `${Buffer.from(`set -- ${words}\n${script}`).toString('base64')}\n` });
    const r = await runRemote(invocation(`bash 'echo hi'`));
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/bash is not installed on this host/);
    expect(r.stdout.toString()).toBe('');
    const argv = await runRemote(invocation('argv echo hi'));
    expect(argv.stdout.toString()).toBe('hi\n');
  });

  it('kills the whole process group when the channel stdin closes (cancel/timeout)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-wrap-'));
    try {
      const pidFile = join(dir, 'pids');
      const r = await runRemote(remoteCommand({ bash: `sleep 30 & echo $! > ${pidFile}; sleep 30` }), { closeStdinAfterMs: 200 });
      expect([143, 137]).toContain(r.code);
      const bg = Number(spawnSync('cat', [pidFile], { encoding: 'utf8' }).stdout.trim());
      expect(bg).toBeGreaterThan(0);
      for (let i = 0; i < 100 && alive(bg); i++) await new Promise((res) => setTimeout(res, 50));
      expect(alive(bg)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGKILLs a command that ignores SIGTERM', async () => {
    const r = await runRemote(remoteCommand({ bash: `trap '' TERM; sleep 30` }), { closeStdinAfterMs: 100 });
    expect(r.code).toBe(137);
  });

  it('the wrapper is plain POSIX sh', () => {
    const r = spawnSync('/bin/sh', ['-n', '-c', WRAPPER_SCRIPT.replace('$FM_PASS', '')]);
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
      const r = await runRemote(remoteCommand({ script: batchScript(plan) }), { env });
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
