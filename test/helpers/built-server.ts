import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureBuilt, repoRoot } from './build';

export interface RunningServer {
  url: string;
  /** The single-use UI link printed at start (its first use sets the session cookie). */
  uiUrl: string;
  /** The operator token, read from the data dir (the server never prints it). */
  token: string;
  dataDir: string;
  process: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the real built CLI (`bin/fleetmind serve --port 0`) with a fresh data dir
 * and waits for its "listening" line. Stop kills it and removes the data dir.
 */
export async function startBuiltServer(opts: { env?: Record<string, string>; dataDir?: string; args?: string[] } = {}): Promise<RunningServer> {
  ensureBuilt();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fm-server-'));
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'serve', '--port', '0', ...(opts.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, FLEETMIND_HOME: dataDir, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const listening = await untilListening(child, () => stderr);
  const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  // "listening" comes before the safety policy has loaded (health 503, every command
  // refused); on a loaded machine that window is long enough for a test to fall into.
  await untilHealthy(listening.url, () => stderr, token);
  return {
    ...listening,
    token,
    dataDir,
    process: child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits (bounded) for the server's `{"event":"listening"}` line on its stdout; `onLine`
 * sees every line. Rejects with the server's log when it exits or never listens.
 */
export function untilListening(child: ChildProcess, log: () => string, onLine?: (line: string) => void): Promise<{ url: string; uiUrl: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s:\n${log()}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      onLine?.(line);
      try {
        const msg = JSON.parse(line) as { event?: string; url: string; uiUrl: string };
        if (msg.event === 'listening') {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // not our JSON line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${log()}`));
    });
  });
}

/**
 * Polls /api/health (bounded) until the server answers 200: the policy is loaded. With
 * the token the full answer, without it the bare one another user gets; both say ready.
 */
export async function untilHealthy(url: string, log: () => string, token?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/api/health`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      if (res.status === 200) return;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) throw new Error(`server never became healthy within 60 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
