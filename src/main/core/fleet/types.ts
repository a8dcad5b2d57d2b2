import type { ApiError, Host } from '../../../shared/protocol';
import type { ApprovedCommand, PolicyVerdict } from '../safety';

export interface ExecOptions {
  timeoutMs?: number;
  /** Per stream; output past it is dropped and a truncation marker appended. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  onOutput?: (chunk: { stream: 'stdout' | 'stderr'; text: string }) => void;
}

export interface ExecOutcome {
  host: string;
  command: string;
  exitCode: number | null;
  /** Signal that ended the process (e.g. SIGKILL after a timeout), else null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  /** Set when the command did not complete normally: timeout, cancelled, unreachable... */
  error: ApiError | null;
}

/** File reads and approved commands for one host, answered together. */
export interface BatchRequest {
  files?: readonly string[];
  /** key → a command the safety gate approved for this host. */
  commands?: Readonly<Record<string, ApprovedCommand>>;
  /** Per file. */
  maxFileBytes?: number;
  /** For the whole batch. */
  timeoutMs?: number;
  /** Per command and stream, with the truncation marker. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

export interface BatchResult {
  files: Record<string, string | null>;
  commands: Record<string, ExecOutcome>;
}

/** Runs approved commands on one host: local processes, or channels of a pooled SSH connection. */
export interface Executor {
  readonly host: Host;
  run(command: ApprovedCommand, options?: ExecOptions): Promise<ExecOutcome>;
  /** Reads small text files (e.g. /proc). Missing or unreadable files give null. */
  readFiles(paths: readonly string[], options?: { maxBytes?: number }): Promise<Record<string, string | null>>;
  /**
   * Optional: reads the files and runs the commands in ONE round trip (a remote host).
   * Every command must already be approved; the executor refuses anything else. Throws
   * (e.g. HostConnectionError) when the host cannot be reached at all.
   */
  runBatch?(request: BatchRequest): Promise<BatchResult>;
  close(): Promise<void>;
}

/** What a tool asks of a host in one go, so a remote host can answer in one round trip. */
export interface GatherSpec {
  requester: string;
  files?: readonly string[];
  /** key → argv; each one passes the safety gate before it runs. */
  commands?: Readonly<Record<string, readonly string[]>>;
  timeoutMs?: number;
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

export type GatheredCommand =
  | { status: 'ran'; outcome: ExecOutcome }
  | { status: 'refused'; verdict: PolicyVerdict };

export interface GatherResult {
  host: Host;
  files: Record<string, string | null>;
  commands: Record<string, GatheredCommand>;
}
