import { statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI ↔ server protocol over `<data dir>/run/cli.sock` (DESIGN: the CLI reaches a
 * running server over a Unix socket in a 0700 directory; the kernel checks who may
 * connect, as no peer uid is available to Node). JSON Lines both ways:
 *   server → {"type":"hello","version","policyStamp"} on connect
 *   client → {"type":"exec","version", hosts, command, argv?, concurrency, timeoutMs}
 *   server → {"type":"start","hostCount"}, {"type":"result","line"}…, {"type":"end","ran"}
 *            or {"type":"error","code":"usage"|"failure","message"}
 * Light on purpose: the thin client loads only this and node:net.
 */
export const CLI_RUN_DIR = 'run';
export const CLI_SOCKET_FILE = 'cli.sock';
/** A request line longer than this is refused (the command itself is far shorter). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export function cliSocketPath(dataDir: string): string {
  return join(dataDir, CLI_RUN_DIR, CLI_SOCKET_FILE);
}

export interface ExecWireRequest {
  type: 'exec';
  version: string;
  hosts: string;
  command: string;
  argv?: string[];
  concurrency: number;
  timeoutMs: number;
}

/**
 * The operator's policy file as the server loaded it (size and mtime; "none" when absent).
 * The server reads its policy at start: a client that finds the file changed since then
 * runs the command here under the current policy rather than the server's older one, so
 * tightening policy.yaml takes effect for `exec` at once. (Same name as the policy's
 * USER_POLICY_FILE; not imported, to keep the thin client light.)
 */
export function policyFileStamp(dataDir: string): string {
  try {
    const st = statSync(join(dataDir, 'policy.yaml'));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'none';
  }
}
