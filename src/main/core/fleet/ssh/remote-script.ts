import { shJoin, shQuote } from './quote';

/**
 * What runs on the remote host around every command (POSIX sh; dash, bash, busybox ash).
 *
 * SSH gives a command no process group of its own and no reliable way to kill it: the
 * protocol's "signal" request reaches only the session's first process, and closing the
 * channel leaves a `sleep 600` or a pipeline running. So the wrapper:
 * - runs the command with stdin from /dev/null (nothing can prompt: no PTY is ever
 *   requested, so `sudo` cannot ask for a password either) in its own session and
 *   process group (`setsid`, util-linux/busybox; without it only the command's own
 *   process can be signalled);
 * - keeps a watchdog reading the channel's stdin. Fleetmind never writes to it; when
 *   the channel is closed or sent EOF (timeout, cancellation, the client going away,
 *   the connection dropping) the watchdog sends SIGTERM to the whole process group,
 *   gives it up to ~1 s, then SIGKILL;
 * - fixes the locale (LC_ALL=C keeps df/ps/ss output parseable, as the local executor
 *   does) and adds the sbin directories to PATH for non-root logins;
 * - exits with the command's exit status (128+N when a signal N ended it).
 *
 * Positional parameters: `argv WORD...` runs the words without a shell; `sh TEXT` runs
 * TEXT with /bin/sh -c.
 */
export const WRAPPER_SCRIPT = [
  'LC_ALL=C; LANG=C; export LC_ALL LANG',
  'case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH;; esac',
  'm=$1; shift',
  'if [ "$m" = sh ]; then set -- /bin/sh -c "$1"; fi',
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

/** The string sent in the SSH "exec" request: the wrapper run by /bin/sh whatever the login shell is. */
export function remoteCommand(spec: { argv: readonly string[] } | { shell: string }): string {
  const args = 'argv' in spec ? ['argv', ...withNonInteractiveSudo(spec.argv)] : ['sh', spec.shell];
  return `exec /bin/sh -c ${shQuote(WRAPPER_SCRIPT)} fleetmind ${shJoin(args)}`;
}

// ---------------------------------------------------------------------------------
// Batches: a tool's file reads and commands in one round trip.

export interface BatchPlanCommand {
  key: string;
  /** Words (no shell) or shell text. */
  argv: readonly string[] | null;
  shell: string | null;
}

export interface BatchPlan {
  files: readonly string[];
  commands: readonly BatchPlanCommand[];
  maxFileBytes: number;
  maxOutputBytes: number;
}

const FRAME = 'FM1';

/**
 * One shell script that reads every file and runs every command in turn, writing
 * length-prefixed frames to stdout:
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
    `F() { if head -c "$3" -- "$2" >"$d/o" 2>/dev/null; then printf '${FRAME} F %s %s\\n' "$1" "$(($(wc -c <"$d/o")))"; cat "$d/o"; else printf '${FRAME} F %s -1\\n' "$1"; fi; }`,
    `C() { i=$1; c=$2; shift 2; "$@" >"$d/o" 2>"$d/e" </dev/null; r=$?; printf '${FRAME} C %s %s %s %s\\n' "$i" "$r" "$(($(wc -c <"$d/o")))" "$(($(wc -c <"$d/e")))"; head -c "$c" "$d/o"; head -c "$c" "$d/e"; }`,
  ];
  plan.files.forEach((path, i) => lines.push(`F ${i} ${shQuote(path)} ${plan.maxFileBytes}`));
  plan.commands.forEach((cmd, i) => {
    const words = cmd.argv ? withNonInteractiveSudo(cmd.argv) : ['/bin/sh', '-c', cmd.shell ?? ''];
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
  commands: Map<number, ParsedBatchCommand>;
  /** The END frame arrived: every part is present. */
  complete: boolean;
  /** Bytes that did not parse as frames (a broken remote shell); empty normally. */
  garbage: string;
}

/** Reads the frames back; a cut-off stream (timeout, dropped connection) yields the parts that completed. */
export function parseBatchOutput(out: Buffer, maxOutputBytes: number): ParsedBatch {
  const result: ParsedBatch = { files: new Map(), commands: new Map(), complete: false, garbage: '' };
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
