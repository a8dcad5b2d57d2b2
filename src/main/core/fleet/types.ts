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

/** A file to read: the first bytes, or with tailLines the last lines (capped to the same bytes). */
export interface FileRead {
  path: string;
  tailLines?: number;
}

/** A file read that was opened first: its bytes, and what the open descriptor pointed to. */
export interface OpenedFile {
  content: string | null;
  /** The path the kernel opened after every symlink and /proc magic link (null: not opened, or no path). */
  resolved: string | null;
}

/** File reads and approved commands for one host, answered together. */
export interface BatchRequest {
  files?: readonly (string | FileRead)[];
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
  /** Per file path: what its descriptor pointed to once opened. */
  resolved: Record<string, string | null>;
  commands: Record<string, ExecOutcome>;
}

/** Runs approved commands on one host: local processes, or channels of a pooled SSH connection. */
export interface Executor {
  readonly host: Host;
  run(command: ApprovedCommand, options?: ExecOptions): Promise<ExecOutcome>;
  /** Reads small text files (e.g. /proc). Missing or unreadable files give null. */
  readFiles(paths: readonly string[], options?: { maxBytes?: number }): Promise<Record<string, string | null>>;
  /**
   * Opens each file first, then reports what the descriptor points to alongside the bytes
   * read through it, so the caller judges the file that was actually opened.
   */
  openFiles(files: readonly (string | FileRead)[], options?: { maxBytes?: number }): Promise<Record<string, OpenedFile>>;
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
  /**
   * Files to read. Each is judged by the policy as a read of its path before it is
   * opened, and again as a read of what the opened descriptor points to (symlinks,
   * /proc magic links) before its bytes are used.
   */
  files?: readonly (string | FileRead)[];
  /** Per file (default 4 MiB). */
  maxFileBytes?: number;
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
  /** Files the policy refused (before opening, or after seeing what was opened); their content is null. */
  refusedFiles?: Record<string, PolicyVerdict>;
  commands: Record<string, GatheredCommand>;
}
