import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, existsSync, readdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditAnchor } from './safety';

/**
 * Anchoring the audit log's head outside the data dir.
 *
 * The hash chain and the HMAC-signed checkpoints prove the log is what the holder of
 * `audit.key` wrote; but the key sits beside the database, so whoever can write the data
 * dir (the same OS user) can rewrite the log and sign it again. A head (seq and hash of
 * the newest row) kept where that user cannot change it closes the gap: every row's hash
 * covers all rows before it, so a log that still holds the anchored row with that hash
 * holds the same history up to it. With `audit.anchor: syslog` the composition root hands
 * every checkpoint to a SyslogAnchor, which writes it to the system journal/syslog
 * (`logger -t fleetmind-audit`); `fleetmind audit verify --journal` reads them back.
 * The user can add lines there but cannot change or remove those already written.
 * (Lives beside the composition root: `safety` does no process I/O.)
 */

export const ANCHOR_TAG = 'fleetmind-audit';

/** Child processes get a fixed, minimal environment: the system's logger, not one earlier on the user's PATH. */
const ANCHOR_ENV = { PATH: '/usr/bin:/bin', LANG: 'C' };

const HEAD_LINE = /\bhead seq=(\d+) hash=([0-9a-f]{64}) at=(\S+) log=([0-9a-f]{16})\b/;

export interface AnchoredHead extends AuditAnchor {
  at: string;
  log: string;
}

/**
 * Names one audit log in a shared system log: a digest of its data dir's real path, so
 * several data dirs of one user keep apart, and a log replaced wholesale in the same
 * place is still checked against what was anchored for that place.
 */
export function auditLogId(dataDir: string): string {
  let path = resolve(dataDir);
  try {
    path = realpathSync(path);
  } catch {
    // not created yet: the resolved path names it
  }
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

/** The line written to the system log: `head seq=N hash=H at=ISO log=ID` (tagged fleetmind-audit). */
export function anchorMessage(head: { seq: number; hash: string; at: string }, logId: string): string {
  return `head seq=${head.seq} hash=${head.hash} at=${head.at} log=${logId}`;
}

/** Finds an anchored head in a journal message or a syslog line (whatever prefix the daemon added). */
export function parseAnchorLine(line: string): AnchoredHead | null {
  const m = HEAD_LINE.exec(line);
  if (!m) return null;
  return { seq: Number(m[1]), hash: m[2] as string, at: m[3] as string, log: m[4] as string };
}

export interface SyslogAnchorOptions {
  logId: string;
  /** The logger program; found on /usr/bin:/bin unless a path is given (tests inject a fake). */
  logger?: string;
  /** Told when a head could not be written (no syslog socket, no logger). */
  onError?: (err: Error) => void;
}

/**
 * Writes checkpoint heads to the system log with util-linux `logger`. One logger runs at a
 * time; heads that arrive meanwhile collapse into the newest (it vouches for all before
 * it), so a busy server does not spawn a process per request. `drain()` waits for the
 * writes in progress (a closing core); `flushSync()` writes the pending head before the
 * process exits.
 */
export class SyslogAnchor {
  private readonly program: string;
  private running: ChildProcess | null = null;
  private pending: { seq: number; hash: string; at: string } | null = null;
  private waiters: Array<() => void> = [];

  constructor(private readonly options: SyslogAnchorOptions) {
    this.program = options.logger ?? 'logger';
  }

  private args(head: { seq: number; hash: string; at: string }): string[] {
    // --socket-errors=on: fail when there is no syslog socket instead of exiting 0 having written nothing.
    return ['--socket-errors=on', '-t', ANCHOR_TAG, '--', anchorMessage(head, this.options.logId)];
  }

  anchor(head: { seq: number; hash: string; at: string }): void {
    this.pending = head;
    if (!this.running) this.next();
  }

  private next(): void {
    const head = this.pending;
    this.pending = null;
    if (!head) {
      for (const wake of this.waiters.splice(0)) wake();
      return;
    }
    let stderr = '';
    let finished = false;
    // A program that cannot start emits 'error' and may or may not emit 'close' after it.
    const finish = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      if (err) this.options.onError?.(err);
      this.running = null;
      this.next();
    };
    const child = spawn(this.program, this.args(head), { env: ANCHOR_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    this.running = child;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.on('error', (err) => finish(new Error(`could not run ${this.program}: ${err.message}`)));
    child.on('close', (code, signal) => {
      finish(code === 0 ? null : new Error(`${this.program} failed (${signal ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  }

  /** Resolves once no write is in progress or pending (or after timeoutMs). */
  drain(timeoutMs = 5000): Promise<void> {
    if (!this.running && !this.pending) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        done();
      });
    });
  }

  /** Writes the pending head synchronously: for the process 'exit' handler, where nothing asynchronous runs any more. */
  flushSync(): void {
    const head = this.pending;
    this.pending = null;
    if (!head) return;
    const result = spawnSync(this.program, this.args(head), { env: ANCHOR_ENV, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 5000 });
    if (result.error) this.options.onError?.(new Error(`could not run ${this.program}: ${result.error.message}`));
    else if (result.status !== 0) this.options.onError?.(new Error(`${this.program} failed (exit ${result.status}): ${result.stderr.trim()}`));
  }
}

export interface AnchorSources {
  /** journalctl; null skips the journal. */
  journalctl?: string | null;
  /** Where journald keeps its files; the journal counts as present when one of them holds a journal. */
  journalDirs?: string[];
  /** Plain syslog files, read when readable. */
  syslogFiles?: string[];
  /** Only the journal entries this user wrote (journald records the sender's uid; syslog files do not). */
  uid?: number | null;
}

export interface AnchoredHeads {
  anchors: AnchoredHead[];
  /** What was read, for the report. */
  sources: string[];
}

export class AnchorSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnchorSourceError';
  }
}

const DEFAULT_SOURCES: Required<AnchorSources> = {
  journalctl: 'journalctl',
  journalDirs: ['/var/log/journal', '/run/log/journal'],
  syslogFiles: ['/var/log/syslog', '/var/log/messages'],
  uid: typeof process.getuid === 'function' ? process.getuid() : null,
};

function holdsJournal(dir: string, depth = 0): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => (e.isFile() && e.name.endsWith('.journal')) || (depth === 0 && e.isDirectory() && holdsJournal(join(dir, e.name), 1)));
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function collect(lines: AsyncIterable<string>, logId: string, into: Map<string, AnchoredHead>): Promise<void> {
  for await (const line of lines) {
    const head = parseAnchorLine(line);
    if (head && head.log === logId) into.set(`${head.seq}:${head.hash}`, head);
  }
}

/**
 * Every head anchored for this log in the system journal (`journalctl -t fleetmind-audit`,
 * this user's entries) and in readable syslog files. Throws AnchorSourceError when there
 * is neither a journal nor a readable syslog file to look in.
 */
export async function readAnchoredHeads(logId: string, options: AnchorSources = {}): Promise<AnchoredHeads> {
  const sources = { ...DEFAULT_SOURCES, ...options };
  const found = new Map<string, AnchoredHead>();
  const read: string[] = [];

  if (sources.journalctl && sources.journalDirs.some((d) => holdsJournal(d))) {
    const args = ['-t', ANCHOR_TAG, '-o', 'cat', '--no-pager', '-q', ...(sources.uid !== null ? [`_UID=${sources.uid}`] : [])];
    const child = spawn(sources.journalctl, args, { env: ANCHOR_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    const exited = new Promise<{ code: number | null; error: Error | null }>((done) => {
      child.on('error', (error) => done({ code: null, error }));
      child.on('close', (code) => done({ code, error: null }));
    });
    await collect(createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }), logId, found);
    const { code, error } = await exited;
    if (error) throw new AnchorSourceError(`could not run ${sources.journalctl}: ${error.message}`);
    if (code !== 0) throw new AnchorSourceError(`${sources.journalctl} failed (exit ${code})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    read.push(`the system journal (${ANCHOR_TAG}${sources.uid !== null ? `, uid ${sources.uid}` : ''})`);
  }
  for (const file of sources.syslogFiles) {
    if (!existsSync(file) || !readable(file)) continue;
    await collect(createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY }), logId, found);
    read.push(file);
  }
  if (read.length === 0) {
    throw new AnchorSourceError(
      `there is no system journal (${sources.journalDirs.join(', ')}) and no readable syslog file (${sources.syslogFiles.join(', ')}) to read anchored heads from`,
    );
  }
  return { anchors: [...found.values()].sort((a, b) => a.seq - b.seq), sources: read };
}
