import { existsSync, lstatSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ExecResultLine } from '../../../shared/protocol';
import { escapeControls } from '../../../shared/text/escape-controls';
import { FLEETMIND_VERSION } from '../version';
import { cliSocketPath, policyFileStamp, readOperatorToken, type ExecWireRequest, type WireRequest } from './cli-protocol';
import { CliFailure } from './exit';

/** How long a connected server may take to say hello before the CLI runs the command itself. */
const HELLO_TIMEOUT_MS = 3000;

export type ServerProbe =
  | { kind: 'server'; path: string; dataDir: string; socket: Socket; lines: AsyncIterator<Record<string, unknown>> }
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
  return { kind: 'server', path, dataDir, socket, lines };
}

/** A connection to the server running for this data dir (hello received, version checked). */
export type ServerConnection = Extract<ServerProbe, { kind: 'server' }>;

/**
 * The running server for this data dir, or null when the command works on the data dir
 * itself (no server, a stale socket, a policy file changed since the server loaded it).
 * With `verbose`, says on stderr which and why.
 */
export async function serverFor(dataDir: string, what: string, verbose: boolean): Promise<ServerConnection | null> {
  const probe = await probeServer(dataDir);
  if (verbose) process.stderr.write(`fleetmind: ${escapeControls(probe.kind === 'server' ? `${what} via the server (socket ${probe.path})` : `${what} locally: ${probe.why}`)}\n`);
  return probe.kind === 'server' ? probe : null;
}

/** The server's refusal or failure, as the CLI reports it (bad usage exits 2); `detail` is the whole error message. */
export class ServerError extends CliFailure {
  constructor(readonly detail: Record<string, unknown>) {
    super(String(detail.message), detail.code === 'usage' ? 2 : 1);
    this.name = 'ServerError';
  }
}

/** A request as a command builds it; version and token are added here. */
type OutgoingRequest = WireRequest extends infer R ? (R extends WireRequest ? Omit<R, 'version' | 'token'> : never) : never;

/**
 * Sends one request to the server and reads its answer: messages before the last go to
 * `onMessage`; resolves with the one `isLast` accepts. An `error` message becomes the
 * CLI's own error (bad usage exits 2, the rest 1; a refused token says how to fix it).
 * The operator token is read from the data dir here, as `curl -H "Authorization: Bearer
 * $(fleetmind token show)"` would send it.
 */
export async function requestViaServer(
  probe: ServerConnection,
  req: OutgoingRequest,
  isLast: (msg: Record<string, unknown>) => boolean,
  onMessage: (msg: Record<string, unknown>) => void = () => undefined,
): Promise<Record<string, unknown>> {
  const request = { ...req, version: FLEETMIND_VERSION, token: readOperatorToken(probe.dataDir) } as WireRequest;
  probe.socket.write(`${JSON.stringify(request)}\n`);
  try {
    for (;;) {
      const next = await probe.lines.next();
      if (next.done) throw new CliFailure('the server closed the connection before it answered');
      const msg = next.value;
      if (msg.type === 'error') throw new ServerError(msg);
      if (isLast(msg)) return msg;
      onMessage(msg);
    }
  } finally {
    probe.socket.destroy();
  }
}

/** Runs exec in the server; results stream to `on` as the hosts finish. Resolves with every host's line. */
export async function execViaServer(
  probe: ServerConnection,
  req: Omit<ExecWireRequest, 'type' | 'version' | 'token'>,
  on: { start: (hostCount: number) => void; result: (line: ExecResultLine) => void },
): Promise<ExecResultLine[]> {
  const end = await requestViaServer(
    probe,
    { type: 'exec', ...req },
    (msg) => msg.type === 'end',
    (msg) => {
      if (msg.type === 'start') on.start(Number(msg.hostCount));
      else if (msg.type === 'result') on.result(msg.line as ExecResultLine);
    },
  );
  return end.ran as ExecResultLine[];
}
