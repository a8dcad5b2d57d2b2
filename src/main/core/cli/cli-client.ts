import { existsSync, lstatSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ExecResultLine } from '../../../shared/protocol';
import { FLEETMIND_VERSION } from '../version';
import { cliSocketPath, policyFileStamp, type ExecWireRequest } from './cli-protocol';
import { CliFailure, UsageError } from './exit';

/** How long a connected server may take to say hello before the CLI runs the command itself. */
const HELLO_TIMEOUT_MS = 3000;

export type ServerProbe =
  | { kind: 'server'; path: string; socket: Socket; lines: AsyncIterator<Record<string, unknown>> }
  | { kind: 'local'; why: string };

function jsonLines(socket: Socket): AsyncIterator<Record<string, unknown>> {
  const queue: Record<string, unknown>[] = [];
  let waiting: ((r: IteratorResult<Record<string, unknown>>) => void) | null = null;
  let ended = false;
  let buffer = '';
  const push = (v: Record<string, unknown> | null) => {
    if (v === null) ended = true;
    else queue.push(v);
    if (waiting) {
      const w = waiting;
      waiting = null;
      if (queue.length) w({ value: queue.shift()!, done: false });
      else w({ value: undefined, done: true });
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        push({ type: 'error', code: 'failure', message: 'the server sent a line that is not JSON' });
      }
    }
  });
  socket.once('close', () => push(null));
  return {
    next: () =>
      new Promise((resolve) => {
        if (queue.length) resolve({ value: queue.shift()!, done: false });
        else if (ended) resolve({ value: undefined, done: true });
        else waiting = resolve;
      }),
  };
}

/**
 * Finds the server running for this data dir. No socket: run locally. A socket nobody
 * answers on is a stale one (a server that crashed): removed, run locally. A run dir that
 * is not ours and 0700 is not trusted. A server of another version is refused.
 */
export async function probeServer(dataDir: string): Promise<ServerProbe> {
  const path = cliSocketPath(dataDir);
  if (!existsSync(path)) return { kind: 'local', why: `no server for ${dataDir}` };
  try {
    const dir = lstatSync(dirname(path));
    const uid = process.getuid?.();
    if (!dir.isDirectory() || (uid !== undefined && dir.uid !== uid) || (dir.mode & 0o077) !== 0) {
      return { kind: 'local', why: `${dirname(path)} is not a 0700 directory of this user; not using its socket` };
    }
  } catch {
    return { kind: 'local', why: `no server for ${dataDir}` };
  }
  const socket = createConnection(path);
  const lines = jsonLines(socket);
  const connected = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    socket.once('connect', () => resolve(null));
    socket.once('error', (err) => resolve(err));
  });
  if (connected) {
    socket.destroy();
    if (connected.code === 'ECONNREFUSED') {
      rmSync(path, { force: true });
      return { kind: 'local', why: `removed a stale socket ${path} (no server answered)` };
    }
    return { kind: 'local', why: `could not reach the server at ${path}: ${connected.message}` };
  }
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const hello = await Promise.race([
    lines.next(),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), HELLO_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (hello === null || hello.done || hello.value.type !== 'hello') {
    socket.destroy();
    return { kind: 'local', why: `the server at ${path} did not answer` };
  }
  const version = String(hello.value.version);
  if (version !== FLEETMIND_VERSION) {
    socket.destroy();
    throw new CliFailure(
      `a Fleetmind server of version ${version} is running for ${dataDir}, and this CLI is version ${FLEETMIND_VERSION}; ` +
        'stop that server (or restart it with this version) to run commands through it',
    );
  }
  if (String(hello.value.policyStamp) !== policyFileStamp(dataDir)) {
    socket.destroy();
    return { kind: 'local', why: `the policy file changed since the server at ${path} loaded it; running here under the current policy (restart the server to share it again)` };
  }
  return { kind: 'server', path, socket, lines };
}

/** Runs exec in the server; results stream to `on` as the hosts finish. Resolves with every host's line. */
export async function execViaServer(
  probe: Extract<ServerProbe, { kind: 'server' }>,
  req: Omit<ExecWireRequest, 'type' | 'version'>,
  on: { start: (hostCount: number) => void; result: (line: ExecResultLine) => void },
): Promise<ExecResultLine[]> {
  const request: ExecWireRequest = { type: 'exec', version: FLEETMIND_VERSION, ...req };
  probe.socket.write(`${JSON.stringify(request)}\n`);
  try {
    for (;;) {
      const next = await probe.lines.next();
      if (next.done) throw new CliFailure('the server closed the connection before the command finished');
      const msg = next.value;
      if (msg.type === 'start') on.start(Number(msg.hostCount));
      else if (msg.type === 'result') on.result(msg.line as ExecResultLine);
      else if (msg.type === 'end') return msg.ran as ExecResultLine[];
      else if (msg.type === 'error') {
        const message = String(msg.message);
        throw msg.code === 'usage' ? new UsageError(message) : new CliFailure(message);
      }
    }
  } finally {
    probe.socket.destroy();
  }
}
