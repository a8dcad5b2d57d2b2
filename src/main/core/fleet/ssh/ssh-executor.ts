import { performance } from 'node:perf_hooks';
import type { ClientChannel } from 'ssh2';
import type { ApiError, Host } from '../../../../shared/protocol';
import { isApprovedCommand, type ApprovedCommand } from '../../safety';
import { HostConnectionError } from '../errors';
import { CappedBuffer, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, truncationMarker } from '../local-executor';
import type { BatchRequest, BatchResult, ExecOptions, ExecOutcome, Executor, FileRead, OpenedFile } from '../types';
import type { ChannelLease, SshPool } from './pool';
import { batchScript, parseBatchOutput, remoteCommand, type RemoteInvocation } from './remote-script';

/** After EOF (timeout/cancel) the remote watchdog stops the command within ~1 s; past this the channel is closed from our side. */
const KILL_GRACE_MS = 3000;

interface RawExec {
  /** Set when no command ran at all (connection failure); nothing else is meaningful then. */
  connectError: HostConnectionError | null;
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  error: ApiError | null;
  durationMs: number;
}

interface ExecParams {
  timeoutMs: number;
  /** Per stream. */
  limit: number;
  signal?: AbortSignal;
  onOutput?: ExecOptions['onOutput'];
}

function isStaleConnection(err: Error): boolean {
  return /not connected|no response from server|connection lost|socket/i.test(err.message);
}

/**
 * Runs approved commands on one SSH host through the pool: each command is a channel on
 * the host's multiplexed connection. No PTY is ever requested (so nothing can prompt,
 * `sudo` gets `-n`); the remote wrapper (remote-script.ts) gives every command its own
 * process group and kills it when the channel gets EOF, which is how timeouts and
 * cancellation stop the remote process. Output is capped per stream with the same
 * marker as the local executor.
 */
export class SshExecutor implements Executor {
  constructor(
    readonly host: Host,
    private readonly pool: SshPool,
    /** Login environment variables commands may keep (config: execution.passEnvironment). */
    private readonly passEnvironment: readonly string[] = [],
  ) {}

  async run(command: ApprovedCommand, options: ExecOptions = {}): Promise<ExecOutcome> {
    if (!isApprovedCommand(command)) throw new Error('refusing to run a command the safety gate did not approve');
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const raw = await this.execRemote(remoteCommand(command.argv ? { argv: command.argv } : { bash: command.command }, this.passEnvironment), {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      limit,
      signal: options.signal,
      onOutput: options.onOutput,
    });
    const text = (bytes: Buffer, truncated: boolean) => bytes.toString('utf8') + (truncated ? truncationMarker(limit) : '');
    return {
      host: this.host.name,
      command: command.command,
      exitCode: raw.exitCode,
      signal: raw.signal,
      stdout: text(raw.stdout, raw.stdoutTruncated),
      stderr: text(raw.stderr, raw.stderrTruncated),
      stdoutTruncated: raw.stdoutTruncated,
      stderrTruncated: raw.stderrTruncated,
      durationMs: raw.durationMs,
      error: raw.connectError ? raw.connectError.toApiError() : raw.error,
    };
  }

  /**
   * The files and commands of one tool call in a single remote script (one channel, one
   * round trip). Throws HostConnectionError when the host cannot be reached.
   */
  async runBatch(request: BatchRequest): Promise<BatchResult> {
    const files = [...(request.files ?? [])];
    const entries = Object.entries(request.commands ?? {});
    for (const [, cmd] of entries) {
      if (!isApprovedCommand(cmd)) throw new Error('refusing to run a command the safety gate did not approve');
    }
    const maxFileBytes = request.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const maxOutputBytes = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const script = batchScript({
      files,
      commands: entries.map(([key, cmd]) => ({ key, argv: cmd.argv, shell: cmd.argv ? null : cmd.command })),
      maxFileBytes,
      maxOutputBytes,
    });
    const bound = files.length * (maxFileBytes + 64) + entries.length * (2 * maxOutputBytes + 96) + 64;
    const raw = await this.execRemote(remoteCommand({ script }, this.passEnvironment), {
      timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      limit: bound,
      signal: request.signal,
    });
    if (raw.connectError) throw raw.connectError;
    const parsed = parseBatchOutput(raw.stdout, maxOutputBytes);
    const problem: ApiError =
      raw.error ??
      (parsed.garbage
        ? { code: 'internal', message: `unexpected output from the remote batch: ${parsed.garbage.slice(0, 200)}` }
        : { code: 'internal', message: `the remote batch stopped early (exit ${raw.exitCode ?? raw.signal ?? '?'}): ${raw.stderr.toString('utf8').trim().slice(0, 300) || 'no message'}` });

    const result: BatchResult = { files: {}, resolved: {}, commands: {} };
    files.forEach((file, i) => {
      const path = typeof file === 'string' ? file : file.path;
      const content = parsed.files.get(i);
      result.files[path] = content ? content.toString('utf8') : null;
      result.resolved[path] = parsed.resolved.get(i) || null;
    });
    entries.forEach(([key, cmd], i) => {
      const part = parsed.commands.get(i);
      const base = { host: this.host.name, command: cmd.command, durationMs: raw.durationMs };
      if (!part) {
        result.commands[key] = { ...base, exitCode: null, signal: raw.signal, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, error: problem };
        return;
      }
      const stdoutTruncated = part.stdoutBytes > part.stdout.length;
      const stderrTruncated = part.stderrBytes > part.stderr.length;
      result.commands[key] = {
        ...base,
        exitCode: part.exitCode,
        signal: null,
        stdout: part.stdout.toString('utf8') + (stdoutTruncated ? truncationMarker(maxOutputBytes) : ''),
        stderr: part.stderr.toString('utf8') + (stderrTruncated ? truncationMarker(maxOutputBytes) : ''),
        stdoutTruncated,
        stderrTruncated,
        error: null,
      };
    });
    return result;
  }

  async readFiles(paths: readonly string[], options: { maxBytes?: number } = {}): Promise<Record<string, string | null>> {
    if (paths.length === 0) return {};
    return (await this.runBatch({ files: paths, maxFileBytes: options.maxBytes })).files;
  }

  async openFiles(files: readonly (string | FileRead)[], options: { maxBytes?: number } = {}): Promise<Record<string, OpenedFile>> {
    if (files.length === 0) return {};
    const batch = await this.runBatch({ files, maxFileBytes: options.maxBytes });
    return Object.fromEntries(Object.keys(batch.files).map((path) => [path, { content: batch.files[path] ?? null, resolved: batch.resolved[path] ?? null }]));
  }

  /** The pool owns the connection; closing one host's executor closes nothing shared. */
  async close(): Promise<void> {}

  // ---------------------------------------------------------------------------------

  private async execRemote(remote: RemoteInvocation, params: ExecParams): Promise<RawExec> {
    const started = performance.now();
    const failed = (err: unknown): RawExec => ({
      connectError:
        err instanceof HostConnectionError ? err : new HostConnectionError(this.host.name, 'unreachable', (err as Error).message),
      exitCode: null,
      signal: null,
      stdout: Buffer.alloc(0),
      stderr: Buffer.alloc(0),
      stdoutTruncated: false,
      stderrTruncated: false,
      error: null,
      durationMs: performance.now() - started,
    });
    // A pooled connection can die between uses (server restarted); the command has not
    // started then, so one retry on a fresh connection is safe.
    for (let attempt = 1; ; attempt++) {
      let lease: ChannelLease;
      try {
        lease = await this.pool.lease(this.host, params.signal);
      } catch (err) {
        return failed(err);
      }
      // drive() attaches its listeners inside the exec callback, synchronously: the reply
      // to the exec request can arrive in the same packet batch as the output, the exit
      // status and the close, and 'exit' is a plain event that would otherwise be missed.
      const outcome = await new Promise<Promise<RawExec> | Error>((resolve) => {
        try {
          lease.client.exec(remote.exec, (err, channel: ClientChannel) => resolve(err ? err : this.drive(lease, channel, remote.stdin, params, started)));
        } catch (err) {
          resolve(err as Error);
        }
      });
      if (!(outcome instanceof Error)) return outcome;
      const stale = isStaleConnection(outcome);
      if (stale) lease.markBroken();
      lease.release();
      if (stale && attempt === 1) continue;
      return failed(new HostConnectionError(this.host.name, 'unreachable', `could not open a channel: ${outcome.message}`));
    }
  }

  private drive(lease: ChannelLease, channel: ClientChannel, input: string, params: ExecParams, started: number): Promise<RawExec> {
    const { signal, onOutput } = params;
    return new Promise<RawExec>((resolve) => {
      const stdout = new CappedBuffer(params.limit);
      const stderr = new CappedBuffer(params.limit);
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let gotExit = false;
      let error: ApiError | null = null;
      let stopping = false;
      let settled = false;
      let graceTimer: NodeJS.Timeout | null = null;
      let hardTimer: NodeJS.Timeout | null = null;

      const stop = (why: ApiError) => {
        if (stopping || settled) return;
        stopping = true;
        error = why;
        // EOF on the channel: the remote watchdog TERMs, then KILLs, the command's process group.
        try {
          channel.end();
        } catch {
          // channel already gone
        }
        graceTimer = setTimeout(() => {
          try {
            channel.signal('KILL');
            channel.close();
          } catch {
            // ignore
          }
          hardTimer = setTimeout(() => {
            lease.markBroken();
            finish();
          }, 2000);
        }, KILL_GRACE_MS);
      };
      const timer = setTimeout(
        () => stop({ code: 'timeout', message: `command did not finish within ${params.timeoutMs} ms and was killed` }),
        params.timeoutMs,
      );
      const onAbort = () => stop({ code: 'cancelled', message: 'command cancelled' });
      const onClientClose = () => finish();

      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        if (hardTimer) clearTimeout(hardTimer);
        signal?.removeEventListener('abort', onAbort);
        lease.client.removeListener('close', onClientClose);
        lease.release();
        let code = exitCode;
        let sig = exitSignal;
        if (!gotExit && !error) {
          error = { code: 'unreachable', message: `the connection to ${this.host.name} was lost while the command was running` };
        }
        if (error && (error.code === 'timeout' || error.code === 'cancelled')) {
          // The wrapper reports the signal that ended the command as 128+N.
          sig = sig ?? (code === 143 ? 'SIGTERM' : 'SIGKILL');
          code = null;
        }
        resolve({
          connectError: null,
          exitCode: code,
          signal: sig,
          stdout: stdout.bytes(),
          stderr: stderr.bytes(),
          stdoutTruncated: stdout.truncated,
          stderrTruncated: stderr.truncated,
          error,
          durationMs: performance.now() - started,
        });
      };

      channel.on('data', (chunk: Buffer) => {
        const kept = stdout.push(chunk);
        if (kept && onOutput) onOutput({ stream: 'stdout', text: kept.toString('utf8') });
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        const kept = stderr.push(chunk);
        if (kept && onOutput) onOutput({ stream: 'stderr', text: kept.toString('utf8') });
      });
      channel.on('exit', (code: number | null, sigName?: string) => {
        gotExit = true;
        if (typeof code === 'number') exitCode = code;
        else if (sigName) exitSignal = sigName.startsWith('SIG') ? sigName : `SIG${sigName}`;
      });
      channel.on('close', finish);
      channel.on('error', () => {
        // followed by 'close'
      });
      lease.client.once('close', onClientClose);
      // The command itself: one line the constant exec string reads. Nothing follows it;
      // EOF on this stream later is the watchdog's signal to stop the command.
      try {
        channel.write(input);
      } catch {
        // the channel closed at once; 'close' reports it
      }
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
