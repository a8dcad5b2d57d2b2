import type { Decision } from './types';

/** The tool annotations an MCP server declares (hints: only a trusted server's are believed). */
export interface McpToolHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** What the MCP client knows about a call before it is made; safety judges it without I/O. */
export interface McpCallFacts {
  server: string;
  tool: string;
  /** The operator marked the server trusted. */
  trusted: boolean;
  /** The tool's annotations as the server declared them; undefined when it declared none. */
  annotations: McpToolHints | undefined;
  /** The tool is on the server's allow list / deny list. */
  allowListed: boolean;
  denyListed: boolean;
  /** The tool's definition is the one the operator accepted (its pinned hash). */
  pinned: boolean;
}

export interface McpVerdict {
  decision: Decision;
  category: 'mcp';
  reasons: string[];
}

/**
 * The safety policy for MCP tool calls. A server runs as the operator and its hints are its
 * own claims, so they count only when the operator trusts it: a readOnlyHint from a trusted
 * server may run without asking; a destructive hint, no annotations or an untrusted server
 * asks; the deny list and a definition that changed since it was pinned refuse (tool
 * descriptions reach the model and can carry prompt injection, so a change is re-confirmed).
 */
export function judgeMcpCall(facts: McpCallFacts): McpVerdict {
  const verdict = (decision: Decision, ...reasons: string[]): McpVerdict => ({ decision, category: 'mcp', reasons });
  if (facts.denyListed) return verdict('deny', `${facts.tool} is on the deny list of MCP server ${facts.server}`);
  if (!facts.pinned) {
    return verdict('deny', `the definition of ${facts.tool} on MCP server ${facts.server} changed since the operator accepted it (or is new); the operator must re-confirm the server's tools first`);
  }
  if (facts.allowListed) return verdict('allow', `${facts.tool} is on the allow list of MCP server ${facts.server}`);
  const hints = facts.annotations;
  const reasons: string[] = [];
  if (!facts.trusted) reasons.push(`MCP server ${facts.server} is not marked trusted, so its tools' hints are not believed`);
  if (!hints || Object.keys(hints).length === 0) reasons.push(`${facts.tool} declares no annotations`);
  else {
    if (hints.destructiveHint === true) reasons.push(`${facts.tool} declares itself destructive (destructiveHint)`);
    if (hints.readOnlyHint !== true) reasons.push(`${facts.tool} does not declare itself read-only (readOnlyHint)`);
  }
  if (reasons.length === 0) return verdict('allow', `${facts.tool} is read-only (readOnlyHint) on trusted MCP server ${facts.server}`);
  return verdict('ask', ...reasons);
}
