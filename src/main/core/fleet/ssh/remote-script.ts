import { shJoin, shQuote } from './quote';

/**
 * What runs on the remote host around every command.
 *
 * sshd hands the exec string to the remote user's login shell (`$SHELL -c STRING`):
 * bash (which on Debian sources ~/.bashrc even then), dash, zsh, tcsh or fish, each with
 * its own quoting rules. So the exec string is a constant, REMOTE_EXEC, that every one of
 * them parses alike (single-quoted, no newline, no `!`, no backslash), and the command
 * travels as data: one base64 line on the channel's stdin, decoded and evaluated by
 * /bin/sh. Nothing the operator or the model wrote is ever parsed by the login shell.
 *
 * The decoded script (WRAPPER_SCRIPT after `set -- MODE WORDS…`):
 * - replaces the login's environment with the minimal one (env -i: PATH fixed to the
 *   system directories, LANG/LC_ALL=C, HOME, USER, TERM=dumb, TMPDIR, plus the names the
 *   operator allowed in execution.passEnvironment taken from the login's environment);
 *   BASH_ENV, ENV and everything else the login or ~/.ssh/environment set are gone;
 * - runs shell text only under `bash --noprofile --norc -c`, the grammar the policy
 *   parsed; a host without bash refuses shell text and still runs plain words (argv);
 * - runs argv words with no shell at all (`exec "$@"`, so a word with `=` is never an
 *   assignment);
 * - runs the command with stdin from /dev/null (no PTY is ever requested, so `sudo`
 *   cannot ask for a password either) in its own session and process group (`setsid`);
 * - keeps a watchdog reading the channel's stdin. Fleetmind writes nothing after the
 *   script line; when the channel is closed or sent EOF (timeout, cancellation, the
 *   client going away, the connection dropping) the watchdog sends SIGTERM to the whole
 *   process group, gives it up to ~1 s, then SIGKILL;
 * - exits with the command's exit status (128+N when a signal N ended it).
 *
 * Modes: `argv WORD...` runs the words; `bash TEXT` runs TEXT under bash; `script TEXT`
 * runs Fleetmind's own POSIX batch script (below) with /bin/sh.
 */
export const REMOTE_EXEC =
  `exec /bin/sh -c 'IFS= read -r s || exit 125; s=$(printf %s "$s" | base64 -d) || { echo "fleetmind: base64 -d failed on this host" >&2; exit 125; }; eval "$s"'`;

/** The system directories, in the order the policy assumes (the same PATH as local commands). */
const REMOTE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const WRAPPER_SCRIPT = [
  'm=$1; shift',
  'u=${USER:-${LOGNAME:-$(id -un 2>/dev/null)}}',
  'case $m in',
  `  bash) b=; for d in ${REMOTE_PATH.split(':').join(' ')}; do if [ -x "$d/bash" ]; then b=$d/bash; break; fi; done`,
  '    if [ -z "$b" ]; then echo "fleetmind: bash is not installed on this host; only commands that need no shell (plain words, no pipes or redirections) can run here" >&2; exit 127; fi',
  '    set -- "$b" --noprofile --norc -c "$1";;',
  '  script) set -- /bin/sh -c "$1";;',
  `  *) set -- /bin/sh -c 'exec "$@"' fleetmind "$@";;`,
  'esac',
  `set -- env -i PATH=${REMOTE_PATH} LANG=C LC_ALL=C HOME="$HOME" USER="$u" TERM=dumb TMPDIR="\${TMPDIR:-/tmp}" $FM_PASS "$@"`,
  'exec 3<&0 </dev/null',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" 3<&- & else "$@" 3<&- & fi',
  'p=$!',
  '(while read -r _ <&3; do :; done; trap "" TERM; kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null;' +
    ' n=0; while [ $n -lt 10 ] && { kill -0 -"$p" 2>/dev/null || kill -0 "$p" 2>/dev/null; }; do sleep 0.1 2>/dev/null || sleep 1; n=$((n+1)); done;' +
    ' kill -KILL -"$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null) >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$p"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');

/**
 * `sudo` without `-n` could wait for a password; with `-n` it fails at once instead
 * ("a password is required"). Adding `-n` only narrows what the approved command can do.
 */
export function withNonInteractiveSudo(argv: readonly string[]): string[] {
  const words = [...argv];
  const first = words[0] ?? '';
  if ((first === 'sudo' || first.endsWith('/sudo')) && words[1] !== '-n') words.splice(1, 0, '-n');
  return words;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What is sent for one command: the constant exec string and the script line for its stdin. */
export interface RemoteInvocation {
  exec: string;
  stdin: string;
}

export type RemoteSpec = { argv: readonly string[] } | { bash: string } | { script: string };

/**
 * The invocation for a command: `argv` words (no shell), `bash` text (shell text the
 * policy judged), or Fleetmind's own `script`. `pass` names environment variables the
 * command may keep from the login's environment (already validated by config; checked again).
 */
export function remoteCommand(spec: RemoteSpec, pass: readonly string[] = []): RemoteInvocation {
  const args = 'argv' in spec ? ['argv', ...withNonInteractiveSudo(spec.argv)] : 'bash' in spec ? ['bash', spec.bash] : ['script', spec.script];
  const names = pass.filter((n) => VARIABLE_NAME.test(n));
  // `${N+"N=$N"}` is the word N=value when the login has N set, and nothing otherwise.
  const passWords = names.map((n) => `\${${n}+"${n}=$${n}"}`).join(' ');
  const script = [`set -- ${shJoin(args)}`, WRAPPER_SCRIPT.replace('$FM_PASS', passWords)].join('\n');
  return { exec: REMOTE_EXEC, stdin: `${Buffer.from(script, 'utf8').toString('base64')}\n` };
}

// ---------------------------------------------------------------------------------
// Batches: a tool's file reads and commands in one round trip.

export interface BatchPlanCommand {
  key: string;
  /** Words (no shell) or shell text. */
  argv: readonly string[] | null;
  shell: string | null;
}

/** A file to read: its first bytes, or with tailLines its last lines (then capped to the same bytes). */
export interface FileReadSpec {
  path: string;
  tailLines?: number;
}

export interface BatchPlan {
  files: readonly (string | FileReadSpec)[];
  commands: readonly BatchPlanCommand[];
  maxFileBytes: number;
  maxOutputBytes: number;
}

const FRAME = 'FM1';

/**
 * One shell script that reads every file and runs every command in turn, writing
 * length-prefixed frames to stdout:
 *   `FM1 P <i> <n>\n` + n bytes: the path file i's open descriptor points to (what the kernel
 *     opened after every symlink and /proc magic link; the caller judges it before using the bytes)
 *   `FM1 F <i> <n>\n` + n bytes (file i, at most maxFileBytes; n = -1: unreadable/missing)
 *   `FM1 C <i> <exit> <stdoutBytes> <stderrBytes>\n` + min(stdoutBytes, cap) + min(stderrBytes, cap) bytes
 *   `FM1 END\n`
 * The byte counts are the full sizes, so the reader knows what was cut. Output goes
 * through a private temporary directory (mktemp -d), removed on exit.
 */
export function batchScript(plan: BatchPlan): string {
  const lines = [
    'd=$(mktemp -d "${TMPDIR:-/tmp}/fleetmind.XXXXXX") || { echo "fleetmind: cannot create a temporary directory" >&2; exit 125; }',
    `trap 'rm -rf "$d"' EXIT`,
    `trap 'rm -rf "$d"; exit 143' TERM HUP INT`,
    // Open first (fd 4), then say what the descriptor points to, then read through it:
    // the bytes come from the file that was resolved, whatever the path is swapped for meanwhile.
    `F() { if { command exec 4<"$2"; } 2>/dev/null; then readlink "/proc/$$/fd/4" >"$d/p" 2>/dev/null || : >"$d/p"; printf '${FRAME} P %s %s\\n' "$1" "$(($(wc -c <"$d/p")))"; cat "$d/p";` +
      ` if { if [ -n "$4" ]; then tail -n "$4" <&4 >"$d/t" && head -c "$3" "$d/t"; else head -c "$3" <&4; fi; } >"$d/o" 2>/dev/null; then printf '${FRAME} F %s %s\\n' "$1" "$(($(wc -c <"$d/o")))"; cat "$d/o"; else printf '${FRAME} F %s -1\\n' "$1"; fi; exec 4<&-;` +
      ` else printf '${FRAME} F %s -1\\n' "$1"; fi; }`,
    `C() { i=$1; c=$2; shift 2; "$@" >"$d/o" 2>"$d/e" </dev/null; r=$?; printf '${FRAME} C %s %s %s %s\\n' "$i" "$r" "$(($(wc -c <"$d/o")))" "$(($(wc -c <"$d/e")))"; head -c "$c" "$d/o"; head -c "$c" "$d/e"; }`,
  ];
  plan.files.forEach((file, i) => {
    const spec = typeof file === 'string' ? { path: file } : file;
    lines.push(`F ${i} ${shQuote(spec.path)} ${plan.maxFileBytes}${spec.tailLines ? ` ${Math.max(1, Math.floor(spec.tailLines))}` : ''}`);
  });
  plan.commands.forEach((cmd, i) => {
    // Shell text runs under bash (looked up in the minimal PATH); no bash: "not found", exit 127.
    const words = cmd.argv ? withNonInteractiveSudo(cmd.argv) : ['bash', '--noprofile', '--norc', '-c', cmd.shell ?? ''];
    lines.push(`C ${i} ${plan.maxOutputBytes} ${shJoin(words)}`);
  });
  lines.push(`printf '${FRAME} END\\n'`);
  return lines.join('\n');
}

export interface ParsedBatchCommand {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  stdoutBytes: number;
  stderrBytes: number;
}

export interface ParsedBatch {
  files: Map<number, Buffer | null>;
  /** What each opened file's descriptor pointed to (absent: not opened). */
  resolved: Map<number, string>;
  commands: Map<number, ParsedBatchCommand>;
  /** The END frame arrived: every part is present. */
  complete: boolean;
  /** Bytes that did not parse as frames (a broken remote shell); empty normally. */
  garbage: string;
}

/** Reads the frames back; a cut-off stream (timeout, dropped connection) yields the parts that completed. */
export function parseBatchOutput(out: Buffer, maxOutputBytes: number): ParsedBatch {
  const result: ParsedBatch = { files: new Map(), resolved: new Map(), commands: new Map(), complete: false, garbage: '' };
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) break;
    const header = out.subarray(pos, nl).toString('latin1').split(' ');
    if (header[0] !== FRAME) {
      result.garbage = out.subarray(pos, Math.min(out.length, pos + 500)).toString('utf8');
      break;
    }
    const body = nl + 1;
    if (header[1] === 'END') {
      result.complete = true;
      break;
    }
    if (header[1] === 'P' && header.length === 4) {
      const index = Number(header[2]);
      const size = Number(header[3]);
      if (!(size >= 0) || body + size > out.length) break;
      result.resolved.set(index, out.subarray(body, body + size).toString('utf8').replace(/\n$/, ''));
      pos = body + size;
      continue;
    }
    if (header[1] === 'F' && header.length === 4) {
      const index = Number(header[2]);
      const size = Number(header[3]);
      if (size < 0) {
        result.files.set(index, null);
        pos = body;
        continue;
      }
      if (body + size > out.length) break;
      result.files.set(index, out.subarray(body, body + size));
      pos = body + size;
      continue;
    }
    if (header[1] === 'C' && header.length === 6) {
      const [index, exitCode, stdoutBytes, stderrBytes] = header.slice(2).map(Number) as [number, number, number, number];
      const so = Math.min(stdoutBytes, maxOutputBytes);
      const se = Math.min(stderrBytes, maxOutputBytes);
      if (body + so + se > out.length) break;
      result.commands.set(index, {
        exitCode,
        stdout: out.subarray(body, body + so),
        stderr: out.subarray(body + so, body + so + se),
        stdoutBytes,
        stderrBytes,
      });
      pos = body + so + se;
      continue;
    }
    result.garbage = out.subarray(pos, Math.min(out.length, pos + 500)).toString('utf8');
    break;
  }
  return result;
}
