import { MCP_SERVER_NAME, McpServerEntrySchema, type McpServerEntry } from './config';

export type McpImportFormat = 'claude-desktop' | 'cursor' | 'vscode' | 'gemini-cli';

export interface ImportedServer {
  name: string;
  entry: McpServerEntry;
}

export interface McpImportResult {
  format: McpImportFormat;
  servers: ImportedServer[];
  /** Entries that could not be imported, with why. */
  skipped: { name: string; reason: string }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A server name the way we accept it: other characters become `-`. */
const cleanName = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 48) || 'server';

/**
 * Reads the MCP server configuration other clients keep: Claude Desktop's and Cursor's
 * `mcpServers` ({command,args,env} or {url,headers}), VS Code's `servers` (or `mcp.servers`
 * in settings.json) with `type`, Gemini CLI's `mcpServers` with `httpUrl` (Streamable HTTP),
 * `url` (SSE) or `command`. Only the fields Fleetmind runs are kept; the caller stores the
 * result disabled until the operator confirms each command.
 */
export function parseMcpImport(json: unknown): McpImportResult {
  if (!isObject(json)) throw new Error('the file is not a JSON object');
  let format: McpImportFormat;
  let servers: Record<string, unknown>;
  const vscode = isObject(json.servers) ? json.servers : isObject(json.mcp) && isObject(json.mcp.servers) ? json.mcp.servers : null;
  if (vscode) {
    format = 'vscode';
    servers = vscode;
  } else if (isObject(json.mcpServers)) {
    servers = json.mcpServers;
    const values = Object.values(servers).filter(isObject);
    format = values.some((v) => 'httpUrl' in v || 'trust' in v || 'includeTools' in v || 'excludeTools' in v || 'timeout' in v)
      ? 'gemini-cli'
      : values.some((v) => 'url' in v)
        ? 'cursor'
        : 'claude-desktop';
  } else throw new Error('no mcpServers (Claude Desktop, Cursor, Gemini CLI) or servers (VS Code) in the file');

  const result: McpImportResult = { format, servers: [], skipped: [] };
  for (const [rawName, value] of Object.entries(servers)) {
    const name = MCP_SERVER_NAME.test(rawName) ? rawName : cleanName(rawName);
    if (!isObject(value)) {
      result.skipped.push({ name: rawName, reason: 'not an object' });
      continue;
    }
    const strings = (v: unknown): Record<string, string> | undefined =>
      isObject(v) ? Object.fromEntries(Object.entries(v).filter(([, s]) => typeof s === 'string') as [string, string][]) : undefined;
    let candidate: Record<string, unknown>;
    const type = typeof value.type === 'string' ? value.type : undefined;
    if (typeof value.command === 'string') {
      candidate = { command: value.command, args: Array.isArray(value.args) ? value.args.map(String) : undefined, env: strings(value.env), cwd: typeof value.cwd === 'string' ? value.cwd : undefined };
    } else if (typeof value.httpUrl === 'string') {
      candidate = { type: 'http', url: value.httpUrl, headers: strings(value.headers) };
    } else if (typeof value.url === 'string') {
      // Gemini CLI's `url` is its SSE transport; VS Code says which in `type`; Cursor's is Streamable HTTP.
      const sse = type === 'sse' || (format === 'gemini-cli' && type === undefined);
      candidate = { type: sse ? 'sse' : 'http', url: value.url, headers: strings(value.headers) };
    } else {
      result.skipped.push({ name: rawName, reason: 'neither a command nor a url' });
      continue;
    }
    // A file from elsewhere must not name keychain entries: it could hand a server the keys of
    // model providers. Fleetmind makes its own references for the secrets it moves (below).
    const values = [...Object.values(strings(value.env) ?? {}), ...Object.values(strings(value.headers) ?? {})];
    if (values.some((v) => v.includes('${keychain:'))) {
      result.skipped.push({ name: rawName, reason: 'it refers to keychain entries; add it by hand if you mean it' });
      continue;
    }
    const clean = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined && !(isObject(v) && Object.keys(v).length === 0)));
    const parsed = McpServerEntrySchema.safeParse(clean);
    if (!parsed.success) {
      result.skipped.push({ name: rawName, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ') });
      continue;
    }
    result.servers.push({ name, entry: parsed.data });
  }
  return result;
}
