import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FLEETMIND_VERSION } from '../version';
import { isStdioEntry, KEYCHAIN_REF, type McpClientLimits, type McpServerEntry } from './config';

export type McpConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** A tool as the server declares it. */
export interface McpToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

export interface McpListed {
  tools: McpToolDefinition[];
  resources: { uri: string; name: string; description?: string }[];
  prompts: { name: string; description?: string }[];
}

/** A process by pid and start time (field 22 of /proc/PID/stat): a pid reused meanwhile is not the same process. */
interface ProcessId {
  pid: number;
  start: string;
}

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (Linux /proc; elsewhere none are known), bounded. */
function descendantsOf(root: number): ProcessId[] {
  const out: ProcessId[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length && out.length < 1000; i++) {
    const pid = queue[i] as number;
    let children: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      children = [];
    }
    for (const child of children) {
      const start = startTime(child);
      if (start !== null && !queue.includes(child)) {
        queue.push(child);
        out.push({ pid: child, start });
      }
    }
  }
  return out;
}

/** How often a running server's process tree is looked at (a /proc walk, bounded at 1,000 processes). */
const DESCENDANT_WATCH_MS = 5_000;

function stopProcesses(processes: ProcessId[]): void {
  for (const p of processes) {
    if (startTime(p.pid) !== p.start) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone already, or not ours.
    }
  }
}

/** Why a call failed, as a boundary error code. */
export class McpCallError extends Error {
  constructor(
    readonly code: 'timeout' | 'cancelled' | 'unavailable' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'McpCallError';
  }
}

/**
 * The environment a stdio server starts with: the SDK's minimal set (HOME, LOGNAME, PATH,
 * SHELL, TERM, USER) plus the locale, then the server's configured env. Nothing else of
 * ours: no API keys, no tokens (DESIGN: MCP servers never inherit the server's secrets).
 */
const LOCALE_VARS = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'];

export interface McpConnectionOptions {
  limits: McpClientLimits;
  /** Reads a keychain reference; null when the keychain has no such entry. */
  resolveSecret: (account: string) => Promise<string | null>;
  /** Called whenever state, error or the listed tools change. */
  onChange: () => void;
  /** Where the server's stderr lines go (bounded tail kept for errors either way). */
  onStderr?: (line: string) => void;
  /** Reconnect after an unexpected close (off for one-shot tests of a server). */
  reconnect?: boolean;
}

/**
 * The SDK, loaded when a server first connects: a CLI command that starts none never loads
 * it. Required (its CommonJS build) rather than imported, so it loads the same way from the
 * bundle, from vitest and from a benchmark's module runner.
 */
interface Sdk {
  Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
  StdioClientTransport: typeof import('@modelcontextprotocol/sdk/client/stdio.js').StdioClientTransport;
  StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport;
  SSEClientTransport: typeof import('@modelcontextprotocol/sdk/client/sse.js').SSEClientTransport;
  types: typeof import('@modelcontextprotocol/sdk/types.js');
}
let sdk: Sdk | null = null;
async function loadSdk(): Promise<Sdk> {
  if (sdk) return sdk;
  const require = createRequire(import.meta.url);
  sdk = {
    Client: (require('@modelcontextprotocol/sdk/client/index.js') as typeof import('@modelcontextprotocol/sdk/client/index.js')).Client,
    StdioClientTransport: (require('@modelcontextprotocol/sdk/client/stdio.js') as typeof import('@modelcontextprotocol/sdk/client/stdio.js')).StdioClientTransport,
    StreamableHTTPClientTransport: (require('@modelcontextprotocol/sdk/client/streamableHttp.js') as typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js')).StreamableHTTPClientTransport,
    SSEClientTransport: (require('@modelcontextprotocol/sdk/client/sse.js') as typeof import('@modelcontextprotocol/sdk/client/sse.js')).SSEClientTransport,
    types: require('@modelcontextprotocol/sdk/types.js') as typeof import('@modelcontextprotocol/sdk/types.js'),
  };
  return sdk;
}

const MAX_PAGES = 50;
/**
 * A server's tool list is bounded: every listed tool reaches the model's prompt on every turn
 * (providers cap tools per request, and a 10k-tool or megabyte-description list would be a
 * cost and context bomb chosen by the server). Tools past the cap, and definitions larger than
 * MAX_DEFINITION_BYTES, are left out with a warning in the server's status.
 */
export const MAX_TOOLS_PER_SERVER = 500;
export const MAX_DEFINITION_BYTES = 64 * 1024;
/** And all of a server's definitions together (what its tools add to every prompt). */
export const MAX_LIST_BYTES = 1024 * 1024;
const STDERR_TAIL = 4096;

/**
 * One MCP server: connects, lists what it offers (refreshed on list_changed), calls tools
 * with a timeout and cancellation, and reconnects with backoff after an unexpected close.
 * A server that writes something that is not JSON-RPC is treated as broken: the connection
 * is closed (failing calls in flight with that reason) and opened again after the backoff.
 */
export class McpConnection {
  state: McpConnectionState = 'idle';
  lastError: string | null = null;
  connectedAt: string | null = null;
  listed: McpListed = { tools: [], resources: [], prompts: [] };
  serverInfo: { name: string; version: string } | null = null;
  /** What was left out of the last tool list (too many, too large); shown in status, not an error. */
  warning: string | null = null;
  private client: Client | null = null;
  private transport: Transport | null = null;
  private stdio: StdioClientTransport | null = null;
  private stderrTail = '';
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  /** Why this side closed the connection (invalid JSON-RPC): what calls in flight report. */
  private closeReason: string | null = null;
  private starting: Promise<void> | null = null;

  constructor(
    readonly name: string,
    readonly entry: McpServerEntry,
    private readonly options: McpConnectionOptions,
  ) {}

  /**
   * The server's descendants as last seen (after each call, and every few seconds while it
   * runs). A server that crashes leaves them reparented to init, where nothing would stop
   * them; they are stopped when its connection ends, each checked by its start time.
   */
  private knownDescendants: ProcessId[] = [];
  private descendantWatch: NodeJS.Timeout | null = null;

  private noteDescendants(): void {
    const pid = this.pid;
    if (pid !== null) this.knownDescendants = descendantsOf(pid);
  }

  /** The child's process id (stdio servers), for status and leak checks. */
  get pid(): number | null {
    return this.transport !== null && this.transport === this.stdio ? this.stdio.pid : null;
  }

  get reconnectAttempts(): number {
    return this.attempts;
  }

  /** Connects; on failure the error is kept and, with reconnect on, retried after the backoff. Never rejects. */
  start(): Promise<void> {
    this.closing = false;
    this.starting ??= this.connectOnce().finally(() => (this.starting = null));
    return this.starting;
  }

  private setState(state: McpConnectionState, error?: string | null): void {
    this.state = state;
    if (error !== undefined) this.lastError = error;
    this.options.onChange();
  }

  private async resolve(values: Record<string, string> | undefined): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values ?? {})) {
      let resolved = value;
      for (const match of [...value.matchAll(KEYCHAIN_REF)]) {
        const account = match[1] as string;
        const secret = await this.options.resolveSecret(account);
        if (secret === null) throw new Error(`keychain entry "${account}" (referenced by ${key}) does not exist; store it with your keychain tool first`);
        resolved = resolved.split(match[0]).join(secret);
      }
      out[key] = resolved;
    }
    return out;
  }

  private async makeTransport(): Promise<Transport> {
    const { StdioClientTransport, SSEClientTransport, StreamableHTTPClientTransport } = await loadSdk();
    const entry = this.entry;
    if (isStdioEntry(entry)) {
      const env: Record<string, string> = {};
      for (const key of LOCALE_VARS) if (process.env[key] !== undefined) env[key] = process.env[key] as string;
      const transport = new StdioClientTransport({
        command: entry.command,
        args: entry.args ?? [],
        env: { ...env, ...(await this.resolve(entry.env)) },
        cwd: entry.cwd,
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
        for (const line of text.split('\n')) if (line.trim()) this.options.onStderr?.(line);
      });
      this.stdio = transport;
      return transport;
    }
    const headers = await this.resolve(entry.headers);
    const url = new URL(entry.url);
    if (entry.type === 'sse') return new SSEClientTransport(url, { requestInit: { headers }, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) } });
    return new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  }

  private async connectOnce(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.setState(this.attempts > 0 ? 'reconnecting' : 'connecting');
    this.closeReason = null;
    this.stderrTail = '';
    let client: Client | null = null;
    let transport: Transport | null = null;
    try {
      const { Client, types } = await loadSdk();
      client = new Client({ name: 'fleetmind', version: FLEETMIND_VERSION }, { capabilities: {} });
      const { PromptListChangedNotificationSchema, ResourceListChangedNotificationSchema, ToolListChangedNotificationSchema } = types;
      transport = await this.makeTransport();
      const c = client;
      c.onerror = (err) => this.onProtocolError(c, err);
      c.onclose = () => this.onClosed(c);
      c.setNotificationHandler(ToolListChangedNotificationSchema, () => this.refresh(c, 'tools'));
      c.setNotificationHandler(ResourceListChangedNotificationSchema, () => this.refresh(c, 'resources'));
      c.setNotificationHandler(PromptListChangedNotificationSchema, () => this.refresh(c, 'prompts'));
      this.client = client;
      this.transport = transport;
      this.descendantWatch ??= setInterval(() => this.noteDescendants(), DESCENDANT_WATCH_MS).unref();
      await client.connect(transport, { timeout: this.options.limits.connectTimeoutMs });
      if (this.closing || this.client !== client) throw new Error('closed while connecting');
      this.serverInfo = client.getServerVersion() ?? null;
      const caps = client.getServerCapabilities() ?? {};
      this.listed = {
        tools: caps.tools ? await this.listTools(client) : [],
        resources: caps.resources ? await this.listResources(client).catch(() => []) : [],
        prompts: caps.prompts ? await this.listPrompts(client).catch(() => []) : [],
      };
      this.attempts = 0;
      this.connectedAt = new Date().toISOString();
      this.setState('connected', null);
    } catch (err) {
      const message = this.explain(err);
      if (client && this.client === client) {
        this.client = null;
        this.transport = null;
      }
      if (client) client.onclose = undefined;
      await client?.close().catch(() => undefined);
      await transport?.close().catch(() => undefined);
      if (this.closing) return;
      this.setState('failed', message);
      this.scheduleReconnect();
    }
  }

  private explain(err: unknown): string {
    let message = err instanceof Error ? err.message : String(err);
    // The SDK's HTTP transports carry the HTTP status as a numeric code; say it (401: check the headers' keychain entries).
    const status = (err as { code?: unknown } | null)?.code;
    if (typeof status === 'number' && status >= 100 && status < 600) message = `${message.replace(/:\s*$/, '')} (HTTP ${status}${status === 401 || status === 403 ? ': refused the credentials in headers' : ''})`;
    const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return tail ? `${message} (stderr: ${tail.slice(-500)})` : message;
  }

  private scheduleReconnect(): void {
    if (this.closing || this.options.reconnect === false || this.timer) return;
    const { reconnectInitialMs, reconnectMaxMs } = this.options.limits;
    const delay = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(this.attempts, 20));
    this.attempts++;
    // Jitter keeps servers that died together from coming back in lockstep.
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.start();
    }, Math.round(delay * (0.8 + Math.random() * 0.4)));
    this.timer.unref();
  }

  private onProtocolError(client: Client, err: Error): void {
    if (this.client !== client) return;
    // The stdio transport reports lines that are not JSON-RPC here (SyntaxError, or a zod error
    // for JSON of the wrong shape); the SDK would leave the calls waiting on them to time out.
    // A message over the SDK's stdio buffer cap (10 MB) is dropped by the SDK mid-line: the rest
    // of that line would then arrive as garbage, so it is the same fault, named for what it was.
    const invalid = err instanceof SyntaxError || err.name === 'ZodError' || /JSON|exceeded maximum size/.test(err.message);
    if (!invalid) {
      this.lastError = err.message;
      this.options.onChange();
      return;
    }
    this.closeReason = `MCP server ${this.name} sent invalid JSON-RPC (${err.message.slice(0, 200)}); the connection was closed`;
    this.lastError = this.closeReason;
    void client.close().catch(() => undefined);
  }

  private onClosed(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    const transport = this.transport;
    this.transport = null;
    void transport?.close().catch(() => undefined);
    this.connectedAt = null;
    stopProcesses(this.knownDescendants);
    this.knownDescendants = [];
    if (this.closing) return this.setState('closed');
    this.setState('failed', this.closeReason ?? this.explain(new Error(`MCP server ${this.name} closed the connection`)));
    this.scheduleReconnect();
  }

  private async refresh(client: Client, what: keyof McpListed): Promise<void> {
    try {
      if (what === 'tools') this.listed = { ...this.listed, tools: await this.listTools(client) };
      else if (what === 'resources') this.listed = { ...this.listed, resources: await this.listResources(client) };
      else this.listed = { ...this.listed, prompts: await this.listPrompts(client) };
      this.options.onChange();
    } catch (err) {
      this.lastError = `refreshing ${what} failed: ${(err as Error).message}`;
      this.options.onChange();
    }
  }

  private async listTools(client: Client): Promise<McpToolDefinition[]> {
    const tools: McpToolDefinition[] = [];
    let cursor: string | undefined;
    let offered = 0;
    const oversized: string[] = [];
    // A name listed twice would be two tools of one name: the model's API refuses duplicate
    // names (every chat would fail), and pins, names and calls are keyed by it. The first stays.
    const seen = new Set<string>();
    const duplicates: string[] = [];
    let listBytes = 0;
    let overBudget = false;
    for (let page = 0; page < MAX_PAGES && tools.length < MAX_TOOLS_PER_SERVER; page++) {
      const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.options.limits.connectTimeoutMs });
      offered += result.tools.length;
      for (const tool of result.tools as McpToolDefinition[]) {
        if (tools.length >= MAX_TOOLS_PER_SERVER) break;
        const bytes = JSON.stringify(tool).length;
        if (seen.has(tool.name)) duplicates.push(String(tool.name).slice(0, 64));
        else if (bytes > MAX_DEFINITION_BYTES) oversized.push(String(tool.name).slice(0, 64));
        else if (listBytes + bytes > MAX_LIST_BYTES) overBudget = true;
        else {
          listBytes += bytes;
          seen.add(tool.name);
          tools.push(tool);
        }
      }
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    const notes: string[] = [];
    if (!overBudget && (offered - oversized.length - duplicates.length > tools.length || cursor)) notes.push(`the server offers more than ${MAX_TOOLS_PER_SERVER} tools; only the first ${tools.length} are used`);
    if (oversized.length) notes.push(`left out ${oversized.length} tool definition(s) too large (over ${MAX_DEFINITION_BYTES} bytes): ${oversized.slice(0, 5).join(', ')}`);
    if (overBudget) notes.push(`the tool definitions exceed ${MAX_LIST_BYTES} bytes together; only the first ${tools.length} tools are used`);
    if (duplicates.length) notes.push(`left out tools listed twice: ${[...new Set(duplicates)].slice(0, 5).join(', ')}`);
    this.warning = notes.length ? notes.join('; ') : null;
    return tools;
  }

  private async listResources(client: Client): Promise<McpListed['resources']> {
    const result = await client.listResources(undefined, { timeout: this.options.limits.connectTimeoutMs });
    return result.resources.map((r) => ({ uri: r.uri, name: r.name, description: r.description }));
  }

  private async listPrompts(client: Client): Promise<McpListed['prompts']> {
    const result = await client.listPrompts(undefined, { timeout: this.options.limits.connectTimeoutMs });
    return result.prompts.map((p) => ({ name: p.name, description: p.description }));
  }

  /** Calls a tool: bounded by the call timeout, cancelled (notifications/cancelled) with `signal`. */
  async call(tool: string, args: Record<string, unknown>, signal?: AbortSignal, timeoutMs = this.options.limits.callTimeoutMs): Promise<CallToolResult> {
    const client = this.client;
    if (!client || this.state !== 'connected') {
      throw new McpCallError('unavailable', `MCP server ${this.name} is not connected (${this.state}${this.lastError ? `: ${this.lastError}` : ''})`);
    }
    try {
      const result = (await client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: timeoutMs, maxTotalTimeout: timeoutMs })) as CallToolResult;
      // What a call started is known at once, not only at the next periodic look.
      this.noteDescendants();
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (signal?.aborted) throw new McpCallError('cancelled', `the call to ${this.name}/${tool} was cancelled`);
      if (/timed out|timeout/i.test(message)) throw new McpCallError('timeout', `MCP server ${this.name} did not answer ${tool} within ${timeoutMs} ms; the call was cancelled`);
      if (this.closeReason) throw new McpCallError('unavailable', this.closeReason);
      if (/connection closed/i.test(message) || this.client !== client) {
        throw new McpCallError('unavailable', this.explain(new Error(`MCP server ${this.name} closed the connection during ${tool}`)));
      }
      throw new McpCallError('internal', `${this.name}/${tool} failed: ${message}`);
    }
  }

  /**
   * Closes the connection and stops the child process (SIGTERM, then SIGKILL); no reconnect
   * after. Processes the server started (npx's node, a helper it spawned) would outlive it,
   * reparented to init, so its descendants are noted first and stopped after it.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    const transport = this.transport;
    if (this.descendantWatch) clearInterval(this.descendantWatch);
    this.descendantWatch = null;
    const descendants = [...this.knownDescendants, ...(this.pid !== null ? descendantsOf(this.pid) : [])];
    this.knownDescendants = [];
    this.client = null;
    this.transport = null;
    await client?.close().catch(() => undefined);
    await transport?.close().catch(() => undefined);
    stopProcesses(descendants);
    await this.starting?.catch(() => undefined);
    this.connectedAt = null;
    this.setState('closed');
  }
}
