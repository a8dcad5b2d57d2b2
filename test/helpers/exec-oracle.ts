import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * The execve oracle behind test/policy-oracle.test.ts: runs a command the way the
 * product's executor does (DESIGN, Execution: `bash --noprofile --norc -c`, a minimal
 * environment, stdin /dev/null, its own process group), as `nobody`, under
 * `strace -f`, and lists every program that actually started. The test compares that
 * list with the programs the policy judged.
 */

/** The environment DESIGN gives every command (HOME is the run's own directory). */
export const COMMAND_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const UNPRIVILEGED_USER = 'nobody';
const NOBODY_UID = 65534;
const NOBODY_GID = 65534;

/** One successful execve/execveat of the traced command. */
export interface Execution {
  pid: number;
  /** The file the kernel ran, as the caller named it. */
  path: string;
  /** argv[0] and a few more words as strace printed them (for reports). */
  argv: string;
  /** What the process was before it called execve: `bash` for the shell and its subshells, else the program that started this one. */
  by: string;
}

export interface TraceResult {
  command: string;
  executions: Execution[];
  exitCode: number | null;
  /** `timeout` stopped the command (exit 124, or its SIGKILL to the whole group one second later) or the hard limit did. */
  timedOut: boolean;
  durationMs: number;
}

/**
 * Why the oracle cannot run here, or null when it can: it needs root (to run the command
 * as `nobody` and to trace it) and strace, runuser, timeout and bash.
 */
export function oracleUnavailable(): string | null {
  if (process.platform !== 'linux') return `the execve oracle needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the execve oracle runs commands as nobody with runuser, which needs root (CI runs the suite as root)';
  for (const tool of ['strace', 'runuser', 'timeout', 'bash', 'env']) {
    if (!findInPath(tool)) return `${tool} is not installed (scripts/install-system-deps.sh installs strace)`;
  }
  const probe = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore', env: { PATH: COMMAND_PATH } });
  if (probe.status !== 0) return 'strace cannot trace here (ptrace not permitted in this container?)';
  return null;
}

/** Whether commands can be cut off from the network (a fresh network namespace), so no test run reaches outside hosts. */
export function canIsolateNetwork(): boolean {
  return spawnSync('unshare', ['--net', '--', 'true'], { stdio: 'ignore', env: { PATH: COMMAND_PATH } }).status === 0;
}

function findInPath(name: string): string | null {
  for (const dir of COMMAND_PATH.split(':')) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Parses `strace -f -o FILE` output (one `PID syscall(...) = result` a line, calls split
 * into `<unfinished ...>` / `<... resumed>` halves). Returns every successful execve after
 * the scaffolding: everything up to and including the first successful exec of `bash`
 * (runuser, env and the shell that runs the command) is left out.
 */
export function parseStrace(text: string): Execution[] {
  interface Event {
    pid: number;
    kind: 'exec' | 'fork';
    path: string;
    argv: string;
    /** Index of the line where the call started (the order the process did things in). */
    at: number;
    child?: number;
  }
  const pending = new Map<number, { call: string; head: string; at: number }>();
  const events: Event[] = [];
  const lines = text.split('\n');
  const finish = (pid: number, call: string, head: string, result: string, at: number) => {
    const ok = /^\s*=\s*(\d+)/.exec(result);
    if (!ok) return;
    if (call === 'execve' || call === 'execveat') {
      if (ok[1] !== '0') return;
      // execve("/path", [...]) or execveat(fd, "path", [...])
      const m = /^[^"]*"((?:[^"\\]|\\.)*)"(?:,\s*(\[[^\]]*\]?))?/.exec(head);
      if (!m) return;
      events.push({ pid, kind: 'exec', path: unescape(m[1] as string), argv: m[2] ?? '', at });
    } else {
      events.push({ pid, kind: 'fork', path: '', argv: '', at, child: Number(ok[1]) });
    }
  };
  lines.forEach((line, at) => {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) return;
    const pid = Number(m[1]);
    const rest = m[2] as string;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (!p || p.call !== resumed[1]) return;
      const [head, result] = splitResult(p.head.replace(/\s*<unfinished \.\.\.>$/, '') + (resumed[2] as string));
      finish(pid, p.call, head, result, p.at);
      return;
    }
    const call = /^(execve|execveat|clone3?|v?fork)\((.*)$/.exec(rest);
    if (!call) return;
    const body = call[2] as string;
    // A thread other than the leader called execve: it succeeded and the process goes on under the leader's pid.
    const changed = /\s*<pid changed to (\d+) \.\.\.>$/.exec(body);
    if (changed && (call[1] === 'execve' || call[1] === 'execveat')) {
      finish(Number(changed[1]), call[1], body.slice(0, changed.index), '= 0', at);
      return;
    }
    if (body.endsWith('<unfinished ...>')) {
      pending.set(pid, { call: call[1] as string, head: body, at });
      return;
    }
    const [head, result] = splitResult(body);
    finish(pid, call[1] as string, head, result, at);
  });
  events.sort((a, b) => a.at - b.at);
  // The parent of each process and when it was forked, to know what a process was before its first execve.
  const parent = new Map<number, { pid: number; at: number }>();
  for (const e of events) if (e.kind === 'fork' && e.child !== undefined) parent.set(e.child, { pid: e.pid, at: e.at });
  const execsOf = new Map<number, Event[]>();
  for (const e of events) if (e.kind === 'exec') execsOf.set(e.pid, [...(execsOf.get(e.pid) ?? []), e]);
  const imageAt = (pid: number, at: number, hops = 0): string => {
    const before = (execsOf.get(pid) ?? []).filter((e) => e.at < at);
    const last = before[before.length - 1];
    if (last) return basename(last.path);
    const p = parent.get(pid);
    return p && hops < 64 ? imageAt(p.pid, p.at, hops + 1) : '?';
  };
  const execs = events.filter((e) => e.kind === 'exec');
  const root = execs.findIndex((e) => basename(e.path) === 'bash');
  if (root < 0) return [];
  return execs.slice(root + 1).map((e) => ({ pid: e.pid, path: e.path, argv: e.argv, by: imageAt(e.pid, e.at) }));
}

/** `args) = result`, where strace pads short calls with blanks before the `=`. */
function splitResult(call: string): [string, string] {
  const m = /^(.*)\)\s+(=\s+.*)$/.exec(call);
  return m ? [m[1] as string, m[2] as string] : [call, ''];
}

function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-f]{2}|[0-7]{1,3}|.)/gi, (_, c: string) => {
    if (c[0] === 'x' || c[0] === 'X') return String.fromCharCode(parseInt(c.slice(1), 16));
    if (/^[0-7]+$/.test(c)) return String.fromCharCode(parseInt(c, 8));
    return ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

/** Names the kernel may run a file under (the file's basename and its realpath's); multi-call binaries keep only their own name. */
const MULTI_CALL = new Set(['busybox', 'toybox', 'coreutils']);

function realBase(path: string): string | null {
  try {
    return basename(realpathSync(path));
  } catch {
    return null;
  }
}

/** The names a judged program matches: as written, and what `type -P` + realpath gives in the command PATH. */
export function judgedNames(judged: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const j of judged) {
    names.add(j);
    const file = findInPath(j);
    const real = file ? realBase(file) : null;
    if (real && !MULTI_CALL.has(real)) names.add(real);
  }
  return names;
}

/** The executions that no judged program accounts for (compared on basenames and realpath basenames). */
export function unjudged(judged: readonly string[], executions: readonly Execution[]): Execution[] {
  const names = judgedNames(judged);
  return executions.filter((e) => {
    if (names.has(basename(e.path))) return false;
    const real = realBase(e.path);
    return !(real && !MULTI_CALL.has(real) && names.has(real));
  });
}

export interface TraceOptions {
  /** Seconds before `timeout` sends TERM (KILL one second later). */
  timeoutSeconds?: number;
  /** Run in a fresh network namespace (no outside network, loopback down). */
  isolateNetwork?: boolean;
}

/**
 * Runs `command` as the product would, as nobody, in a fresh directory it owns, under strace.
 * Never rejects for the command's own failure; the trace is what matters.
 */
export function traceCommand(command: string, options: TraceOptions = {}): Promise<TraceResult> {
  const seconds = options.timeoutSeconds ?? 3;
  // The command's directory (cwd and HOME) is fresh and belongs to nobody; the trace file stays in a root-only directory.
  const home = mkdtempSync(join(tmpdir(), 'fm-oracle-home-'));
  chownSync(home, NOBODY_UID, NOBODY_GID);
  const work = mkdtempSync(join(tmpdir(), 'fm-oracle-trace-'));
  const traceFile = join(work, 'trace');
  const inner = [
    'strace', '-f', '-qq', '-e', 'trace=execve,execveat,clone,clone3,fork,vfork', '-e', 'signal=none', '--seccomp-bpf', '-o', traceFile, '--',
    'runuser', '-u', UNPRIVILEGED_USER, '--',
    '/usr/bin/env', '-i', `PATH=${COMMAND_PATH}`, 'LANG=C', 'LC_ALL=C', `HOME=${home}`, `USER=${UNPRIVILEGED_USER}`, 'TERM=dumb',
    'bash', '--noprofile', '--norc', '-c', command,
  ];
  const argv = ['-k', '1', String(seconds), ...(options.isolateNetwork ? ['unshare', '--net', '--'] : []), ...inner];
  const started = performance.now();
  return new Promise<TraceResult>((resolve) => {
    // detached: a new session and process group, as the local executor does, so no terminal is reachable and one kill ends everything.
    const child = spawn('timeout', argv, { cwd: home, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: COMMAND_PATH } });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    // Output is read and dropped (a pipe, as the executor gives), so a chatty command never blocks on a full pipe.
    child.stdout.resume();
    child.stderr.resume();
    let hardKilled = false;
    const hard = setTimeout(() => {
      hardKilled = true;
      killGroup();
    }, (seconds + 3) * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(hard);
      // Whatever the command left behind in its group goes too.
      killGroup();
      child.stdout.destroy();
      child.stderr.destroy();
      let text = '';
      try {
        text = readFileSync(traceFile, 'utf8');
      } catch {
        // no trace: nothing ran
      }
      rmSync(work, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
      resolve({ command, executions: parseStrace(text), exitCode: code, timedOut: hardKilled || signal !== null || code === 124 || code === 137, durationMs: performance.now() - started });
    });
  });
}

/** Runs jobs with at most `limit` at once, keeping input order in the results. */
export async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
