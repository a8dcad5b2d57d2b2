import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureBuilt, repoRoot } from './build';
import { untilHealthy, untilListening } from './built-server';

/**
 * Real servers and clients under different OS users, for the API security tests. They
 * need root (CI runs as root): `useradd` makes a throwaway system user for the server,
 * `runuser` switches users, and `nobody` plays the other local user.
 */
export const canSwitchUsers =
  typeof process.getuid === 'function' &&
  process.getuid() === 0 &&
  existsSync('/usr/sbin/runuser') &&
  existsSync('/usr/sbin/useradd') &&
  existsSync('/proc/net/tcp');

const CLI = join(repoRoot, 'out', 'main', 'cli.js');
const PROBE = join(repoRoot, 'test', 'helpers', 'http-probe.mjs');

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  remove(): void;
}

/** A fresh system user (no home, no login shell); remove() deletes it. */
export function createSystemUser(): OsUser {
  const name = `fmtest-${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    remove: () => {
      spawnSync('userdel', [name], { stdio: 'ignore' });
    },
  };
}

export interface ProbeResult {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  sent?: boolean;
  error?: string;
}

export interface ProbeRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Write the request and close the socket at once (true: half-close; 'destroy': close both ways). */
  sendAndClose?: boolean | 'destroy';
}

/** Sends the requests in order as `user` (null: this process's user, root) and returns the answers. */
export function probeAs(user: string | null, requests: ProbeRequest[]): ProbeResult[] {
  const argv = [PROBE, JSON.stringify(requests)];
  const result = user
    ? spawnSync('runuser', ['-u', user, '--', process.execPath, ...argv], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`probe as ${user ?? 'root'} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as ProbeResult[];
}

export function probeOne(user: string | null, request: ProbeRequest): ProbeResult {
  return probeAs(user, [request])[0]!;
}

/** Runs the built CLI as `user` against a data dir; returns its exit status and output. */
export function cliAs(user: string, dataDir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('runuser', ['-u', user, '--', 'env', `FLEETMIND_HOME=${dataDir}`, `HOME=${dataDir}`, process.execPath, CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface UserServer {
  url: string;
  uiUrl: string;
  dataDir: string;
  user: OsUser;
  process: ChildProcess;
  /** Everything the server wrote to stderr (its log lines included). */
  stderr(): string;
  stdout(): string;
  /** The operator token, read as root from the data dir. */
  token(): string;
  stop(): Promise<void>;
}

/** Starts the built server (`node out/main/cli.js serve --port 0 …`) as `user`, with a data dir it owns. */
export async function startServerAs(user: OsUser, opts: { args?: string[]; env?: Record<string, string> } = {}): Promise<UserServer> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-sec-'));
  chownSync(dataDir, user.uid, user.gid);
  const env = Object.entries({ FLEETMIND_HOME: dataDir, HOME: dataDir, ...opts.env }).map(([k, v]) => `${k}=${v}`);
  // stderr goes to a file, not a pipe: the tests block in spawnSync while probing, and a full pipe
  // would stall (or drop) the server's log. detached: its own process group, so stop() reaches
  // the server behind runuser.
  const logDir = mkdtempSync(join(tmpdir(), 'fm-sec-log-'));
  const logFile = join(logDir, 'stderr.log');
  const logFd = openSync(logFile, 'w');
  const child = spawn('runuser', ['-u', user.name, '--', 'env', ...env, process.execPath, CLI, 'serve', '--port', '0', ...(opts.args ?? [])], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', logFd],
    detached: true,
  });
  closeSync(logFd);
  const readLog = () => readFileSync(logFile, 'utf8');
  let stdout = '';
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
  };
  let listening: { url: string; uiUrl: string };
  try {
    listening = await untilListening(child, readLog, (line) => {
      stdout += `${line}\n`;
    });
    // Ready once the safety policy has loaded: the bare health answer (all root gets here) says so.
    await untilHealthy(listening.url, readLog);
  } catch (err) {
    // A server that never became ready must not outlive the test (its user could not be removed).
    await stop();
    throw err;
  }
  return {
    ...listening,
    dataDir,
    user,
    process: child,
    stderr: readLog,
    stdout: () => stdout,
    token: () => readFileSync(join(dataDir, 'api-token'), 'utf8').trim(),
    stop,
  };
}
