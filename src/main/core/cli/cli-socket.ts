import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Core } from '../compose';
import { FLEETMIND_VERSION } from '../version';
import { cliSocketPath, MAX_REQUEST_BYTES, type WireRequest } from './cli-protocol';
import { answer, isWellFormed } from './cli-socket-requests';
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

/** Checks the operator token a request presents (the server's Credentials, re-read when rotated). */
export type TokenCheck = (token: string) => boolean;

async function handle(core: Core, socket: Socket, policyStamp: string, tokenIsValid: TokenCheck): Promise<void> {
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
  let req: WireRequest;
  try {
    req = JSON.parse(request) as WireRequest;
    if (typeof req !== 'object' || req === null) throw new Error('not an object');
  } catch {
    send(socket, { type: 'error', code: 'usage', message: 'the request is not a JSON object' });
    return void socket.end();
  }
  if (req.version !== FLEETMIND_VERSION) {
    send(socket, { type: 'error', code: 'failure', message: `this server is version ${FLEETMIND_VERSION}, the CLI ${String(req.version)}` });
    return void socket.end();
  }
  // Every request is an operator's (running commands, deciding approvals, settings): the
  // 0700 directory is the kernel's check, the token the second one, as over HTTP. (The HTTP
  // server's peer check reads /proc/net/tcp; a Unix socket's peer uid needs SO_PEERCRED,
  // which Node does not expose, so here the token stands in for it.)
  if (typeof req.token !== 'string' || req.token === '' || !tokenIsValid(req.token)) {
    core.logger.warn({ request: String(req.type).slice(0, 40), token: typeof req.token === 'string' && req.token !== '' ? 'wrong' : 'missing' }, 'refused a CLI socket request without the operator token');
    send(socket, {
      type: 'error',
      code: 'unauthorized',
      message:
        typeof req.token === 'string' && req.token !== ''
          ? 'the server refused the request: the operator token presented is not its current one (was it rotated meanwhile? run the command again)'
          : 'the server refused the request: no operator token was presented (the CLI reads it from the data dir\'s api-token file; run as the user who owns the data dir)',
    });
    return void socket.end();
  }
  if (!isWellFormed(req)) {
    send(socket, { type: 'error', code: 'usage', message: 'unknown or malformed request' });
    return void socket.end();
  }
  await answer(core, req, (message) => send(socket, message));
  socket.end();
}

/**
 * Listens on `<data dir>/run/cli.sock` for the thin client, sharing this server's loaded
 * policy, SSH pool, approval queue and conversations; only requests that present the
 * operator token (`tokenIsValid`) are answered. A stale socket (nobody answers) is removed; one a live server
 * answers on is left alone (returns null: that server keeps serving the CLI).
 */
export async function listenCliSocket(core: Core, dataDir: string, policyStamp: string, tokenIsValid: TokenCheck): Promise<{ path: string; close: () => Promise<void> } | null> {
  const path = cliSocketPath(dataDir);
  ensurePrivateDir(dirname(path));
  if (existsSync(path)) {
    if (await answers(path)) return null;
    rmSync(path, { force: true });
  }
  const server: Server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    handle(core, socket, policyStamp, tokenIsValid).catch(() => socket.destroy());
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
