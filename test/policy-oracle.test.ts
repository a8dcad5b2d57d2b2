import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DANGEROUS, READ_ONLY } from '../src/main/core/safety/adversarial-commands';
import { loadDefaultPolicy, type ShellPolicy } from '../src/main/core/safety';
import { repoRoot } from './helpers/build';
import { canIsolateNetwork, COMMAND_PATH, oracleUnavailable, parseStrace, pool, traceCommand, unjudged, type Execution, type TraceResult } from './helpers/exec-oracle';

/**
 * Differential oracle for the command policy: every command the policy ALLOWS (from the
 * shared corpora and the adversarial set) is run the way the executor runs it (DESIGN,
 * Execution) under an execve trace, and every program that actually started must be one
 * the policy judged (a simple command at some level: wrappers, `bash -c`, `xargs`,
 * `find -exec`...). A program that ran unjudged means the parser and bash disagree about
 * what a command does, or an allowed program starts others behind the policy's back.
 *
 * Runs as root only (the commands run as nobody, in a fresh directory, offline in their own
 * network namespace when the kernel allows it); elsewhere it is skipped with the reason.
 */

const corporaDir = process.env.FLEETMIND_CORPORA ?? join(repoRoot, '..', 'shared', 'corpora', 'commands');
const corporaPresent = existsSync(join(corporaDir, 'benign.jsonl'));
const JOBS = Number(process.env.FLEETMIND_ORACLE_JOBS ?? 4);
const TIMEOUT_SECONDS = 3;

function corpus(file: string, field: string): string[] {
  if (!corporaPresent) return [];
  return readFileSync(join(corporaDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => String((JSON.parse(l) as Record<string, unknown>)[field]));
}

const SOURCES: Record<string, () => string[]> = {
  'benign.jsonl': () => corpus('benign.jsonl', 'command'),
  'gtfobins.jsonl': () => corpus('gtfobins.jsonl', 'code'),
  'mutating.jsonl': () => corpus('mutating.jsonl', 'command'),
  'adversarial (dangerous)': () => Object.values(DANGEROUS).flat(),
  'adversarial (read-only)': () => [...READ_ONLY],
  // Not from the corpora: strings that `sh -c`, `watch` and `find -exec sh -c` hand to /bin/sh
  // (dash on Debian and Ubuntu) while the policy reads them as bash. In `echo $'\'; id #'`
  // bash sees one ANSI-C string; dash sees `$`, a quoted backslash, then runs `id`. Harmless payload.
  'oracle probes (strings run by /bin/sh)': () => [
    `sh -c "echo \\$'\\\\'; id #'"`,
    `watch -n 60 "echo \\$'\\\\'; id #'"`,
    `find . -maxdepth 0 -exec sh -c "echo \\$'\\\\'; id #'" \\;`,
  ],
};

interface Checked {
  source: string;
  command: string;
  judged: string[];
  trace: TraceResult;
  unjudged: Execution[];
}

const show = (e: Execution) => `${e.path} (started by ${e.by})`;

/** Started by the shell (or a subshell, or one whose starter the trace lost, to stay strict) rather than by another program. */
const SHELLS = new Set(['bash', 'sh', 'dash', '?']);
const startedByShell = (e: Execution) => SHELLS.has(e.by);

/**
 * Programs that an allowed program runs as part of its own implementation, not as a
 * command the operator or model wrote: apt asks dpkg for the installed state, dpkg -l/-L/-S
 * hand over to dpkg-query, zcat is a script around gzip, npm is a node script and the
 * gcloud launcher a shell script around its bundled python. Each pair is exactly that
 * program's helper; anything else one of them starts is still a mismatch.
 */
const OWN_HELPERS: Readonly<Record<string, readonly string[]>> = {
  apt: ['dpkg'],
  'apt-cache': ['dpkg'],
  dpkg: ['dpkg-query'],
  zcat: ['gzip'],
  npm: ['node'],
  gcloud: ['readlink', 'dirname', 'uname', 'python3', 'tput'],
  // gcloud's bundled interpreter asks the terminal's width.
  python3: ['tput'],
};
const name = (path: string) => path.slice(path.lastIndexOf('/') + 1).replace(/^python3\.\d+$/, 'python3');
const ownHelper = (e: Execution) => (OWN_HELPERS[name(e.by)] ?? []).includes(name(e.path));

function describeMismatch(c: Checked): string {
  return [
    `${JSON.stringify(c.command)}`,
    `    judged:   ${c.judged.join(', ') || '(none)'}`,
    `    executed: ${c.trace.executions.map((e) => e.path).join(', ') || '(none)'}`,
    `    unjudged: ${[...new Set(c.unjudged.map(show))].join(', ')}`,
  ].join('\n');
}

const unavailable = oracleUnavailable();
if (unavailable) console.log(`policy oracle skipped: ${unavailable}`);

describe('execve oracle: strace parsing (no root needed)', () => {
  const trace = [
    '100  execve("/usr/sbin/runuser", ["runuser", "-u", "nobody"], 0x7ffd /* 35 vars */) = 0',
    '100  clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 101',
    '101  execve("/usr/local/bin/env", ["env", "-i"], 0x5 /* 37 vars */) = -1 ENOENT (No such file or directory)',
    '101  execve("/usr/bin/env", ["env", "-i"], 0x5 /* 37 vars */) = 0',
    '101  execve("/usr/bin/bash", ["bash", "--noprofile", "--norc", "-c", "ls | wc -l; zcat x"...], 0x5 /* 6 vars */) = 0',
    '101  clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x7f) = 102',
    '101  clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>',
    '103  execve("/usr/bin/wc", ["wc", "-l"], 0x55 /* 9 vars */ <unfinished ...>',
    '102  execve("/usr/bin/ls", ["ls"], 0x55 /* 9 vars */) = 0',
    '101  <... clone resumed>, child_tidptr=0x7f) = 103',
    '103  <... execve resumed>)             = 0',
    '101  clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x7f) = 104',
    '104  execve("/usr/bin/zcat", ["zcat", "x"], 0x55 /* 9 vars */) = 0',
    '104  execve("/usr/sbin/gzip", ["gzip", "-cd", "x"], 0x55 /* 9 vars */) = -1 ENOENT (No such file or directory)',
    '104  execve("/usr/bin/gzip", ["gzip", "-cd", "x"], 0x55 /* 9 vars */) = 0',
    '104  clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88) = 105',
    '105  execveat(AT_FDCWD, "/usr/bin/cat", ["cat"], 0x55 /* 9 vars */, 0) = 0',
    // A thread of a multi-threaded program (Go, Python) calls execve: strace reports it under the leader's pid.
    '101  clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x7f) = 106',
    '106  execve("/usr/bin/python3", ["python3", "t.py"], 0x55 /* 9 vars */) = 0',
    '106  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x7f, exit_signal=0}, 88) = 107',
    '107  execve("/usr/bin/true", ["true"], 0x7ffd /* 38 vars */ <pid changed to 106 ...>',
    '106  +++ superseded by execve in pid 107 +++',
    '106  <... execve resumed>)             = ?',
  ].join('\n');

  it('keeps successful execs after the shell, joins split calls and knows who started each', () => {
    const execs = parseStrace(trace);
    // In the order the calls started: wc's execve began before ls's.
    expect(execs.map((e) => [e.path, e.by])).toEqual([
      ['/usr/bin/wc', 'bash'],
      ['/usr/bin/ls', 'bash'],
      ['/usr/bin/zcat', 'bash'],
      ['/usr/bin/gzip', 'zcat'],
      ['/usr/bin/cat', 'gzip'],
      ['/usr/bin/python3', 'bash'],
      ['/usr/bin/true', 'python3'],
    ]);
  });

  it('flags what no judged program accounts for, resolving names through PATH and symlinks', () => {
    const execs = parseStrace(trace);
    expect(unjudged(['ls', 'wc', 'zcat', 'gzip', 'cat', 'python3', 'true'], execs)).toEqual([]);
    expect(unjudged(['ls', 'zcat', 'cat', 'python3'], execs).map((e) => e.path)).toEqual(['/usr/bin/wc', '/usr/bin/gzip', '/usr/bin/true']);
    expect(unjudged([], execs)).toHaveLength(7);
    // Judged `sh` and `awk` are the dash and mawk (or gawk) the kernel runs.
    const viaLinks = parseStrace('1 execve("/usr/bin/bash", ["bash"], 0x1) = 0\n1 clone(flags=SIGCHLD) = 2\n2 execve("/bin/sh", ["sh"], 0x1) = 0\n2 execve("/usr/bin/awk", ["awk"], 0x1) = 0');
    expect(unjudged(['sh', 'awk'], viaLinks)).toEqual([]);
    expect(unjudged(['sh'], viaLinks).map((e) => e.path)).toEqual(['/usr/bin/awk']);
  });

  it('sees nothing when the shell never started', () => {
    expect(parseStrace('')).toEqual([]);
    expect(parseStrace('7  execve("/usr/bin/bash", ["bash"], 0x1) = -1 EACCES (Permission denied)')).toEqual([]);
  });
});

describe.skipIf(unavailable !== null)(`execve oracle: allowed commands run only judged programs${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let policy: ShellPolicy;
  const isolateNetwork = unavailable === null && canIsolateNetwork();
  const checked: Checked[] = [];
  let wallMs = 0;

  beforeAll(async () => {
    policy = await loadDefaultPolicy();
    const allowed: { source: string; command: string; judged: string[] }[] = [];
    for (const [source, load] of Object.entries(SOURCES)) {
      for (const command of load()) {
        if (policy.evaluate({ command, host: 'oracle', requester: 'test:oracle' }).decision !== 'allow') continue;
        allowed.push({ source, command, judged: policy.judgedPrograms(command) });
      }
    }
    const started = performance.now();
    const traces = await pool(allowed, JOBS, (a) => traceCommand(a.command, { timeoutSeconds: TIMEOUT_SECONDS, isolateNetwork }));
    wallMs = performance.now() - started;
    allowed.forEach((a, i) => {
      const trace = traces[i] as TraceResult;
      checked.push({ ...a, trace, unjudged: unjudged(a.judged, trace.executions) });
    });
    const timedOut = checked.filter((c) => c.trace.timedOut).length;
    // A command cut off by the limit may not have started everything it would have: say which.
    for (const c of checked.filter((x) => x.trace.timedOut)) console.log(`  stopped at the ${TIMEOUT_SECONDS} s limit: ${c.command}`);
    const bySource = Object.keys(SOURCES).map((s) => `${s} ${checked.filter((c) => c.source === s).length}`).join(', ');
    console.log(
      `policy oracle: traced ${checked.length} allowed commands (${bySource}) in ${(wallMs / 1000).toFixed(1)} s with ${JOBS} at once; ` +
        `exit 0: ${checked.filter((c) => c.trace.exitCode === 0).length}, program not installed (127): ${checked.filter((c) => c.trace.exitCode === 127).length}, other failures: ${checked.filter((c) => ![0, 127].includes(c.trace.exitCode ?? -1)).length}; ` +
        `${timedOut} hit the ${TIMEOUT_SECONDS} s limit; network ${isolateNetwork ? 'isolated' : 'NOT isolated (unshare --net unavailable)'}; ` +
        `${checked.filter((c) => c.unjudged.length > 0).length} ran a program the policy never judged`,
    );
  }, 300_000);

  it('self-check: a fake judged list that misses a program is caught, wherever bash starts it', async () => {
    const pipeline = await traceCommand('ls | wc -l', { isolateNetwork });
    expect(unjudged(['ls', 'wc'], pipeline.executions)).toEqual([]);
    expect(unjudged(['ls'], pipeline.executions).map((e) => [e.path, e.by])).toEqual([['/usr/bin/wc', 'bash']]);
    const substitution = await traceCommand('echo "$(date)"', { isolateNetwork });
    expect(unjudged(['echo'], substitution.executions).map((e) => e.path)).toEqual(['/usr/bin/date']);
    const wrapped = await traceCommand('env uname -r', { isolateNetwork });
    expect(unjudged(['uname'], wrapped.executions).map((e) => e.path)).toEqual(['/usr/bin/env']);
    expect(unjudged(['env'], wrapped.executions).map((e) => [e.path, e.by])).toEqual([['/usr/bin/uname', 'env']]);
    // A program started by a thread other than the main one (as Go programs do) is seen too.
    if (!existsSync('/usr/bin/python3')) return;
    const threaded = await traceCommand(`python3 -c "import os, threading; threading.Thread(target=lambda: os.execv('/usr/bin/true', ['true'])).start()"`, { isolateNetwork });
    expect(unjudged(['python3'], threaded.executions).map((e) => [e.path, e.by])).toEqual([['/usr/bin/true', 'python3']]);
  });

  it('self-check: builtins start nothing, aliases resolve, and the scaffolding is not counted', async () => {
    const builtin = await traceCommand('echo hi; true; test -d .', { isolateNetwork });
    expect(builtin.executions).toEqual([]);
    const awk = await traceCommand("awk 'BEGIN{}'; sh -c 'id -u'", { isolateNetwork });
    expect(awk.executions.length).toBeGreaterThanOrEqual(3);
    expect(unjudged(['awk', 'sh', 'id'], awk.executions)).toEqual([]);
    expect(unjudged(policy.judgedPrograms("awk 'BEGIN{}'; sh -c 'id -u'"), awk.executions)).toEqual([]);
  });

  it('self-check: the command runs as nobody with the executor environment and no stdin', async () => {
    // Built-ins only (no program starts); the exit status says whether every expectation held.
    const probe = await traceCommand(
      `v=$(compgen -e); [ "\${v//$'\\n'/ }" = 'HOME LANG LC_ALL PATH PWD SHLVL TERM USER' ] && [ "$EUID" = 65534 ] && [ "$HOME" = "$PWD" ] && [ "$TERM" = dumb ] && [ "$PATH" = ${COMMAND_PATH} ] && ! read -r x && [ -O . ]`,
      { isolateNetwork },
    );
    expect(probe.executions).toEqual([]);
    expect(probe.exitCode).toBe(0);
  });

  // Two kinds of mismatch, both failures: a program the shell itself started unjudged (the
  // parser and bash disagree about the command), and one an allowed program started in turn
  // (the policy allowed a program that runs others it never judged).
  for (const source of Object.keys(SOURCES)) {
    it(`${source}: the shell starts only programs the policy judged`, () => {
      const mine = checked.filter((c) => c.source === source);
      const mismatches = mine.flatMap((c) => {
        const byShell = c.unjudged.filter(startedByShell);
        return byShell.length > 0 ? [describeMismatch({ ...c, unjudged: byShell })] : [];
      });
      expect(mismatches, `${mismatches.length} of ${mine.length} allowed commands made the shell (bash, or a nested sh) run a program the policy never judged:\n${mismatches.join('\n')}`).toEqual([]);
    });

    it(`${source}: allowed programs start only programs the policy judged`, () => {
      const mine = checked.filter((c) => c.source === source);
      const mismatches = mine.flatMap((c) => {
        const byProgram = c.unjudged.filter((e) => !startedByShell(e) && !ownHelper(e));
        return byProgram.length > 0 ? [describeMismatch({ ...c, unjudged: byProgram })] : [];
      });
      expect(mismatches, `${mismatches.length} of ${mine.length} allowed commands ran a program that started another the policy never judged:\n${mismatches.join('\n')}`).toEqual([]);
    });
  }
});
