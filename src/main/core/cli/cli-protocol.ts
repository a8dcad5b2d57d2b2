import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI ↔ server protocol over `<data dir>/run/cli.sock` (DESIGN: the CLI reaches a
 * running server over a Unix socket in a 0700 directory; the kernel checks who may
 * connect). Every request also carries the operator token read from the data dir, as an
 * HTTP client sends it: the server refuses a request without the current token, so a
 * socket reached some other way (a directory mode gone wrong, a process of another user
 * handed the descriptor) still cannot approve or run anything. JSON Lines both ways, one
 * request per connection:
 *   server → {"type":"hello","version","policyStamp"} on connect
 *   client → {"type":"exec"|"approvals.decide"|…,"version","token",…} (WireRequest)
 *   server → exec: {"type":"start","hostCount"}, {"type":"result","line"}…, {"type":"end","ran"}
 *            approvals.decide: {"type":"deciding","id","command","hosts"}, then the reply
 *            others: {"type":"reply","body"}
 *            any: {"type":"error","code":"usage"|"failure"|"unauthorized","message"}
 * Light on purpose: the thin client loads only this and node:net.
 */
export const CLI_RUN_DIR = 'run';
export const CLI_SOCKET_FILE = 'cli.sock';
/** A request line longer than this is refused (the command itself is far shorter). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export function cliSocketPath(dataDir: string): string {
  return join(dataDir, CLI_RUN_DIR, CLI_SOCKET_FILE);
}

/** The operator token's file in the data dir (the server's TOKEN_FILE; not imported, to keep the thin client light). */
export const OPERATOR_TOKEN_FILE = 'api-token';

interface WireBase {
  version: string;
  /** The operator token from `<data dir>/api-token` ('' when the CLI could not read it: refused). */
  token: string;
}

export interface ExecWireRequest extends WireBase {
  type: 'exec';
  hosts: string;
  command: string;
  argv?: string[];
  concurrency: number;
  timeoutMs: number;
}

/** What `approvals approve|deny` and exec's y/N prompt send: the server that owns the approval queue decides and runs it. */
export interface DecideWireRequest extends WireBase {
  type: 'approvals.decide';
  /** An id or a unique prefix of 6+ characters. */
  id: string;
  decision: 'approve' | 'deny';
  remember?: 'once' | 'host' | 'tag';
  tag?: string;
  reason?: string;
  /** Host names typed to approve a request that changes production hosts (checked by the approval service). */
  confirmHosts?: string[];
}

export type WireRequest =
  | ExecWireRequest
  | DecideWireRequest
  | (WireBase & { type: 'approvals.list' | 'approvals.rules' })
  | (WireBase & { type: 'approvals.show' | 'approvals.revoke'; id: string })
  | (WireBase & { type: 'providers.add'; name: string; baseURL?: string; local?: boolean; apiKey: string | null })
  | (WireBase & { type: 'providers.remove'; name: string });

/** The operator token as the CLI presents it: the file's content, '' when unreadable (the server then refuses). */
export function readOperatorToken(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, OPERATOR_TOKEN_FILE), 'utf8').trim();
  } catch {
    return '';
  }
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
