import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Host } from '../../../shared/protocol';
import { isApprovedCommand, type ApprovedCommand } from '../safety';
import { COMMAND_PATH, localCommandEnvironment } from './command-environment';
import type { ExecOptions, ExecOutcome, Executor, FileRead, OpenedFile } from './types';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

export function truncationMarker(limit: number): string {
  return `\n[fleetmind: output truncated at ${limit} bytes]\n`;
}

/** Collects a stream up to a byte limit, remembering whether anything was dropped. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): Buffer | null {
    if (this.size >= this.limit) {
      this.truncated = true;
      return null;
    }
    const room = this.limit - this.size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
    return kept;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  text(): string {
    const text = this.bytes().toString('utf8');
    return this.truncated ? text + truncationMarker(this.limit) : text;
  }
}

/**
 * bash found in the system directories, or null. Shell text runs only under bash: the
 * policy parsed it with bash's grammar, and dash or busy-box ash read the same text
 * differently (`echo $'\\'` quoting, `&>` redirections).
 */
export function findBash(): string | null {
  for (const dir of COMMAND_PATH.split(':')) {
    try {
      accessSync(`${dir}/bash`, constants.X_OK);
      return `${dir}/bash`;
    } catch {
      // next directory
    }
  }
  return null;
}

/** The words that run shell text under the grammar that judged it: no profile, no rc file, no BASH_ENV (the environment is minimal). */
export function bashInvocation(bash: string, text: string): string[] {
  return [bash, '--noprofile', '--norc', '-c', text];
}

export interface LocalExecutorOptions {
  /** Server environment variables commands may see besides the minimal set (config: execution.passEnvironment). */
  passEnvironment?: readonly string[];
}

/**
 * Runs commands on this machine: argv without a shell when the policy gave words,
 * `bash --noprofile --norc -c` for commands the policy parsed as shell text. Every
 * command gets the minimal environment (command-environment.ts), never the server's.
 * Each command gets its own process group so a timeout or cancel kills everything it started.
 */
export class LocalExecutor implements Executor {
  private readonly env: Record<string, string>;
  private bash: string | null | undefined;

  constructor(
    readonly host: Host,
    options: LocalExecutorOptions = {},
  ) {
    this.env = localCommandEnvironment(options.passEnvironment);
  }

  run(command: ApprovedCommand, options: ExecOptions = {}): Promise<ExecOutcome> {
    if (!isApprovedCommand(command)) {
      return Promise.reject(new Error('refusing to run a command the safety gate did not approve'));
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (!command.argv) {
      if (this.bash === undefined) this.bash = findBash();
      if (this.bash === null) {
        return Promise.resolve(notStarted(this.host.name, command.command, 'bash is not installed on this machine; only commands that need no shell (plain words, no pipes or redirections) can run'));
      }
    }
    const [file, ...args] = command.argv ? [...command.argv] : bashInvocation(this.bash as string, command.command);
    const started = performance.now();
    const base = { host: this.host.name, command: command.command };

    return new Promise<ExecOutcome>((resolve) => {
      const stdout = new CappedBuffer(limit);
      const stderr = new CappedBuffer(limit);
      let error: ExecOutcome['error'] = null;
      let settled = false;
      const child = spawn(file as string, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: this.env,
      });
      const killGroup = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        error = { code: 'timeout', message: `command did not finish within ${timeoutMs} ms and was killed` };
        killGroup();
      }, timeoutMs);
      const onAbort = () => {
        error = { code: 'cancelled', message: 'command cancelled' };
        killGroup();
      };
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const finish = (outcome: Omit<ExecOutcome, 'host' | 'command'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ ...base, ...outcome });
      };
      child.stdout.on('data', (chunk: Buffer) => {
        const kept = stdout.push(chunk);
        if (kept && options.onOutput) options.onOutput({ stream: 'stdout', text: kept.toString('utf8') });
      });
      child.stderr.on('data', (chunk: Buffer) => {
        const kept = stderr.push(chunk);
        if (kept && options.onOutput) options.onOutput({ stream: 'stderr', text: kept.toString('utf8') });
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        const message =
          err.code === 'ENOENT' ? `program not found: ${file}` : `could not start ${file}: ${err.message}`;
        finish({
          exitCode: null,
          signal: null,
          stdout: '',
          stderr: '',
          stdoutTruncated: false,
          stderrTruncated: false,
          durationMs: performance.now() - started,
          error: { code: 'internal', message },
        });
      });
      child.on('close', (code, signal) => {
        finish({
          exitCode: code,
          signal,
          stdout: stdout.text(),
          stderr: stderr.text(),
          stdoutTruncated: stdout.truncated,
          stderrTruncated: stderr.truncated,
          durationMs: performance.now() - started,
          error,
        });
      });
    });
  }

  async readFiles(paths: readonly string[], options: { maxBytes?: number } = {}): Promise<Record<string, string | null>> {
    const opened = await this.openFiles(paths, options);
    return Object.fromEntries(Object.entries(opened).map(([path, f]) => [path, f.content]));
  }

  async openFiles(files: readonly (string | FileRead)[], options: { maxBytes?: number } = {}): Promise<Record<string, OpenedFile>> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    const entries = await Promise.all(
      files.map(async (file) => {
        const spec = typeof file === 'string' ? { path: file } : file;
        return [spec.path, await openAndRead(spec, maxBytes)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  async close(): Promise<void> {}
}

function notStarted(host: string, command: string, message: string): ExecOutcome {
  return { host, command, exitCode: null, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 0, error: { code: 'internal', message } };
}

/**
 * Opens the file, then asks the kernel what the descriptor points to (/proc/self/fd/N:
 * the target after every symlink and /proc magic link), then reads through that same
 * descriptor: at most maxBytes from the start, or with tailLines the last lines.
 * /proc files report size 0, so reads go until EOF rather than trusting stat.
 */
async function openAndRead(spec: FileRead, maxBytes: number): Promise<OpenedFile> {
  let handle;
  try {
    // Non-blocking, no controlling tty: opening a FIFO without a writer (any local user can
    // make one in /tmp) or a terminal would otherwise block one of libuv's four threads for
    // good; four such reads (one MCP batch) hung every file read and DNS lookup of the server.
    handle = await open(spec.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return { content: null, resolved: null };
  }
  try {
    let resolved: string | null = null;
    try {
      resolved = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      resolved = null;
    }
    // Regular files only (/proc's are regular): a FIFO, socket or device is not a file to show.
    if (!(await handle.stat()).isFile()) return { content: null, resolved };
    let start = 0;
    if (spec.tailLines) {
      // The last lines fit in the last maxBytes (they are capped to that anyway).
      const size = (await handle.stat()).size;
      start = Math.max(0, size - maxBytes);
    }
    const buffer = Buffer.alloc(Math.min(maxBytes, 1024 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, maxBytes - total), start + total);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
      if (total >= maxBytes) break;
    }
    let content = Buffer.concat(chunks).toString('utf8');
    if (spec.tailLines) {
      const lines = content.split('\n');
      const trailing = content.endsWith('\n') ? lines.pop() : undefined;
      content = lines.slice(-spec.tailLines).join('\n') + (trailing !== undefined ? '\n' : '');
    }
    return { content, resolved };
  } catch {
    return { content: null, resolved: null };
  } finally {
    await handle.close();
  }
}
