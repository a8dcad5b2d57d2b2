import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineConfigSlice } from '../config';

/** Server names: what prefixes their tools (`<server>__<tool>`), so kept to the model's tool-name alphabet. */
export const MCP_SERVER_NAME = /^[A-Za-z0-9_-]{1,48}$/;

/** `${keychain:NAME}`: a value read from the OS keychain when the server starts. */
export const KEYCHAIN_REF = /\$\{keychain:([^}\s]{1,256})\}/g;

const stringMap = z.record(z.string().min(1).max(256), z.string().max(8192));

export const McpStdioEntrySchema = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1).max(4096),
    args: z.array(z.string().max(8192)).max(256).optional(),
    env: stringMap.optional(),
    cwd: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const McpHttpEntrySchema = z
  .object({
    /** `http` (Streamable HTTP, the default) or `sse` (the legacy transport, where the SDK still supports it). */
    type: z.enum(['http', 'streamable-http', 'sse']).optional(),
    url: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'url must be http:// or https://'),
    headers: stringMap.optional(),
  })
  .strict();

export const McpServerEntrySchema = z.union([McpStdioEntrySchema, McpHttpEntrySchema]);
export type McpStdioEntry = z.infer<typeof McpStdioEntrySchema>;
export type McpHttpEntry = z.infer<typeof McpHttpEntrySchema>;
export type McpServerEntry = z.infer<typeof McpServerEntrySchema>;

export const isStdioEntry = (entry: McpServerEntry): entry is McpStdioEntry => 'command' in entry;

/*
 * `mcpServers` in config.yaml (the map every MCP client in the ecosystem uses) is read by
 * McpConfigFile, fresh on every reload and entry by entry: one invalid entry is reported
 * in its status and does not stop the others, which a config slice could not do.
 */

/** Limits of the MCP client (`mcpClient` in config.yaml; `mcp` is left to the MCP server face). */
export const mcpClientConfig = defineConfigSlice({
  name: 'mcpClient',
  schema: z
    .object({
      /** A tool call that has not answered by then is cancelled (notifications/cancelled) and reported as a timeout. */
      callTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
      /** Connecting and listing tools at start. */
      connectTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      /** What a tool result may bring back to the model and the store; the rest is cut with a note. */
      maxOutputBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(100_000),
      /** Reconnect backoff: first delay and cap. */
      reconnectInitialMs: z.number().int().min(10).max(600_000).default(1000),
      reconnectMaxMs: z.number().int().min(10).max(3_600_000).default(60_000),
    })
    .strict()
    .default({ callTimeoutMs: 60_000, connectTimeoutMs: 30_000, maxOutputBytes: 100_000, reconnectInitialMs: 1000, reconnectMaxMs: 60_000 }),
});
export type McpClientLimits = z.infer<typeof mcpClientConfig.schema>;

/** JSON with sorted keys, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The digest of what a server runs (command, args, cwd, env and headers as written, with
 * keychain references unresolved; or its url). The operator confirms this; a change asks again.
 */
export function specSha256(entry: McpServerEntry): string {
  return sha256(stableJson(entry));
}

/**
 * Variables that make a program load or run other code (dynamic loader, interpreters, shells)
 * or choose which program a bare command name is: what the operator confirms shows their
 * values, and an imported entry that sets them is refused (a file from elsewhere could run
 * its own code inside any server through them).
 */
export const CODE_LOADING_ENV = /^(LD_[A-Z_]+|DYLD_[A-Z_]+|NODE_OPTIONS|NODE_PATH|BASH_ENV|ENV|PYTHONSTARTUP|PYTHONPATH|PYTHONHOME|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|GIT_SSH_COMMAND|PATH)$/;

/**
 * Env or header names, with the keychain entries they read: which secret a server gets is part
 * of what the operator confirms. Plain values are not shown (they may be long), except those of
 * code-loading variables (LD_PRELOAD=/tmp/x.so must be seen to be confirmed).
 */
function named(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) =>
      keychainRefs(value).length
        ? `${key}=${keychainRefs(value).map((r) => `\${keychain:${r}}`).join('+')}`
        : CODE_LOADING_ENV.test(key)
          ? `${key}=${/^[A-Za-z0-9_./:=@%+,-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`}`
          : key,
    )
    .join(', ');
}

/** What the operator is asked to confirm: the command line or url, in one line. */
export function describeEntry(entry: McpServerEntry): string {
  if (isStdioEntry(entry)) {
    const quote = (w: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
    const env = Object.keys(entry.env ?? {}).length ? ` (env: ${named(entry.env ?? {})})` : '';
    return `${[entry.command, ...(entry.args ?? [])].map(quote).join(' ')}${entry.cwd ? ` in ${entry.cwd}` : ''}${env}`;
  }
  return `${entry.type === 'sse' ? 'SSE' : 'Streamable HTTP'} ${entry.url}${Object.keys(entry.headers ?? {}).length ? ` (headers: ${named(entry.headers ?? {})})` : ''}`;
}

/** Keychain accounts a value refers to. */
export function keychainRefs(value: string): string[] {
  return [...value.matchAll(KEYCHAIN_REF)].map((m) => m[1] as string);
}
