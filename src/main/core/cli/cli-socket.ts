import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Core } from '../compose';
import { FLEETMIND_VERSION } from '../version';
import { cliSocketPath, MAX_REQUEST_BYTES, type ExecWireRequest } from './cli-protocol';
import { execOnCore } from './exec-local';
import { CliFailure } from './exit';

function send(socket: Socket, message: unknown): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

/** True when something accepts connections on the socket (a live server owns it). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * The run directory must be ours and closed to everyone else: that 0700 directory is the
 * access check (only this OS user can reach the socket inside it), so anything else is refused.
 */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new CliFailure(`${dir} is not a directory owned by this user; refusing to put the CLI socket there`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

async function handle(core: Core, socket: Socket, policyStamp: string): Promise<void> {
  send(socket, { type: 'hello', version: FLEETMIND_VERSION, policyStamp });
  // A client that connects and never asks is dropped; a running exec may take as long as it takes.
  socket.setTimeout(10_000, () => socket.destroy());
  let buffer = '';
  const request = await new Promise<string | null>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl >= 0) resolve(buffer.slice(0, nl));
      else if (buffer.length > MAX_REQUEST_BYTES) resolve(null);
    });
    socket.once('end', () => resolve(null));
    socket.once('error', () => resolve(null));
  });
  if (request === null) return void socket.destroy();
  socket.setTimeout(0);
  let req: ExecWireRequest;
  try {
    req = JSON.parse(request) as ExecWireRequest;
  } catch {
    send(socket, { type: 'error', code: 'usage', message: 'the request is not JSON' });
    return void socket.end();
  }
  if (req.version !== FLEETMIND_VERSION) {
    send(socket, { type: 'error', code: 'failure', message: `this server is version ${FLEETMIND_VERSION}, the CLI ${String(req.version)}` });
    return void socket.end();
  }
  const validExec =
    req.type === 'exec' &&
    typeof req.hosts === 'string' &&
    typeof req.command === 'string' &&
    (req.argv === undefined || (Array.isArray(req.argv) && req.argv.every((w) => typeof w === 'string'))) &&
    Number.isInteger(req.concurrency) &&
    req.concurrency > 0 &&
    Number.isInteger(req.timeoutMs) &&
    req.timeoutMs > 0;
  if (!validExec) {
    send(socket, { type: 'error', code: 'usage', message: 'unknown or malformed request' });
    return void socket.end();
  }
  try {
    await core.ready();
    const ran = await execOnCore(
      core,
      { hosts: req.hosts, command: req.command, argv: req.argv, concurrency: req.concurrency, timeoutMs: req.timeoutMs },
      { start: (hostCount) => send(socket, { type: 'start', hostCount }), result: (line) => send(socket, { type: 'result', line }) },
    );
    send(socket, { type: 'end', ran });
  } catch (err) {
    const usage = err instanceof CliFailure && err.exitCode === 2;
    send(socket, { type: 'error', code: usage ? 'usage' : 'failure', message: (err as Error).message });
  }
  socket.end();
}

/**
 * Listens on `<data dir>/run/cli.sock` for the thin client, sharing this server's loaded
 * policy and SSH pool. A stale socket (nobody answers) is removed; one a live server
 * answers on is left alone (returns null: that server keeps serving the CLI).
 */
export async function listenCliSocket(core: Core, dataDir: string, policyStamp: string): Promise<{ path: string; close: () => Promise<void> } | null> {
  const path = cliSocketPath(dataDir);
  ensurePrivateDir(dirname(path));
  if (existsSync(path)) {
    if (await answers(path)) return null;
    rmSync(path, { force: true });
  }
  const server: Server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    handle(core, socket, policyStamp).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients mid-exec keep their connection until their results are sent; the listener is gone now.
      }),
  };
}
