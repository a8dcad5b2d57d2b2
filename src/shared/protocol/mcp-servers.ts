import { z } from 'zod';

/**
 * The MCP client's servers (core/mcp) over HTTP, IPC and CLI JSON: `/api/mcp-servers`.
 * (The MCP server face, `/mcp`, is another thing: Fleetmind's own tools for other agents.)
 */

export const McpServerNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,48}$/);

export const McpServerToolSchema = z.object({
  /** What the model calls it: `<server>__<tool>`. */
  name: z.string(),
  /** What the server calls it. */
  tool: z.string(),
  description: z.string(),
  /** The definition is the one the operator accepted (pinned); others are hidden from the model. */
  pinned: z.boolean(),
  readOnly: z.boolean(),
  destructive: z.boolean(),
  annotated: z.boolean(),
});

export const McpServerStatusSchema = z.object({
  name: z.string(),
  transport: z.enum(['stdio', 'http', 'sse']),
  launch: z.string(),
  /** Digest of what it runs; a confirmation names it, so a spec changed meanwhile is not confirmed. */
  specSha256: z.string(),
  origin: z.string(),
  enabled: z.boolean(),
  confirmed: z.boolean(),
  trusted: z.boolean(),
  allow: z.array(z.string()),
  deny: z.array(z.string()),
  state: z.enum(['disabled', 'unconfirmed', 'invalid', 'connecting', 'connected', 'reconnecting', 'failed', 'closed', 'idle']),
  error: z.string().nullable(),
  pid: z.number().int().nullable(),
  connectedAt: z.string().nullable(),
  reconnectAttempts: z.number().int(),
  tools: z.array(McpServerToolSchema),
  changedTools: z.array(z.string()),
  /** Digest of the tool definitions listed now (null when not connected): accepting them names it. */
  definitionsSha256: z.string().nullable().optional(),
  removedTools: z.array(z.string()),
  resources: z.array(z.object({ uri: z.string(), name: z.string() })),
  prompts: z.array(z.object({ name: z.string() })),
});
export type McpServerStatusView = z.infer<typeof McpServerStatusSchema>;

export const McpServerListSchema = z.object({
  servers: z.array(McpServerStatusSchema),
  /** Said wherever servers are configured: a server runs as the operator. */
  trustNotice: z.string(),
});
export type McpServerList = z.infer<typeof McpServerListSchema>;

const stringMap = z.record(z.string().min(1).max(256), z.string().max(8192));

/** POST /api/mcp-servers: add a stdio or Streamable HTTP server (secrets as ${keychain:NAME}). */
export const McpServerAddSchema = z.union([
  z.object({ name: McpServerNameSchema, command: z.string().min(1).max(4096), args: z.array(z.string().max(8192)).max(256).optional(), env: stringMap.optional(), cwd: z.string().min(1).max(4096).optional() }).strict(),
  z.object({ name: McpServerNameSchema, type: z.enum(['http', 'sse']).optional(), url: z.string().min(1).max(4096), headers: stringMap.optional() }).strict(),
]);
export type McpServerAdd = z.infer<typeof McpServerAddSchema>;

/** PATCH /api/mcp-servers/:name: trust, lists, confirm what it runs (with the digest that was shown), accept tool definitions, disable. */
export const McpServerChangeSchema = z
  .object({
    trusted: z.boolean().optional(),
    allow: z.array(z.string().min(1).max(256)).max(500).optional(),
    deny: z.array(z.string().min(1).max(256)).max(500).optional(),
    confirm: z.boolean().optional(),
    /** With confirm: the digest of the launch spec the operator was shown. */
    specSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    acceptDefinitions: z.boolean().optional(),
    /** With acceptDefinitions: the digest of the definitions the operator was shown (a list changed meanwhile is not accepted). */
    definitionsSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    enabled: z.literal(false).optional(),
  })
  .strict();
export type McpServerChange = z.infer<typeof McpServerChangeSchema>;

export const McpServerTestResultSchema = z.object({
  ok: z.boolean(),
  tools: z.array(z.string()),
  resources: z.number().int(),
  prompts: z.number().int(),
  serverInfo: z.object({ name: z.string(), version: z.string() }).nullable(),
  error: z.string().nullable(),
  latencyMs: z.number(),
});
export type McpServerTestResult = z.infer<typeof McpServerTestResultSchema>;

export const MCP_TRUST_NOTICE =
  'Configuring an MCP server grants it your trust: it runs as you, with your files and network, and what it runs is confirmed before it starts. ' +
  'Its tool calls still pass the safety policy: only read-only tools of servers you mark trusted run without asking.';
