import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApiError, ExecResultLine, PendingApproval } from '../../../shared/protocol';
import { findSecrets } from '../privacy';
import { judgeMcpCall, noAudit, type AuditSink, type McpToolHints, type McpVerdict } from '../safety';
import type { SecretStore } from '../secrets';
import type { McpServerRepository, McpServerState, NewApproval } from '../store';
import { CODE_LOADING_ENV, describeEntry, isStdioEntry, keychainRefs, sha256, specSha256, stableJson, type McpClientLimits, type McpServerEntry } from './config';
import { McpConfigError, type McpConfigFile } from './config-file';
import { McpCallError, McpConnection, type McpToolDefinition } from './connection';
import { parseMcpImport, type McpImportResult } from './import';
import { qualifyToolNames } from './names';

/** A tool of a connected server, as the registry and the model see it. */
export interface McpToolInfo {
  /** `<server>__<tool>`, unique and valid for the model. */
  name: string;
  server: string;
  tool: string;
  description: string;
  inputSchema: Record<string, unknown>;
  annotations: McpToolHints | undefined;
  definitionSha256: string;
  /** The definition is the one the operator accepted; only these reach the model. */
  pinned: boolean;
}

export interface McpServerStatus {
  name: string;
  transport: 'stdio' | 'http' | 'sse';
  /** What it runs: the command line or the url (secrets are keychain references, never shown resolved). */
  launch: string;
  specSha256: string;
  origin: string;
  enabled: boolean;
  /** The launch spec in config.yaml is the one the operator confirmed. */
  confirmed: boolean;
  trusted: boolean;
  allow: string[];
  deny: string[];
  state: 'disabled' | 'unconfirmed' | 'invalid' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed' | 'idle';
  error: string | null;
  pid: number | null;
  connectedAt: string | null;
  reconnectAttempts: number;
  tools: { name: string; tool: string; description: string; pinned: boolean; readOnly: boolean; destructive: boolean; annotated: boolean }[];
  /** Tools whose definition differs from the pinned one (or are new): hidden until the operator accepts them. */
  changedTools: string[];
  /** Digest of the tool definitions listed now: accepting them names it, so a list that changed after it was shown is not accepted. */
  definitionsSha256: string | null;
  /** Pinned tools the server no longer offers. */
  removedTools: string[];
  resources: { uri: string; name: string }[];
  prompts: { name: string }[];
}

/** What the caller gives a call: who asks, and where `ask` goes. */
export interface McpCallContext {
  requester: string;
  conversationId?: string | null;
  signal?: AbortSignal;
  requestApproval?: ((input: Omit<NewApproval, 'ttlMs'>) => PendingApproval) | null;
}

export interface McpCallOutcome {
  ok: boolean;
  text: string;
  summary: string;
  error: ApiError | null;
  verdict: McpVerdict | null;
  approval: PendingApproval | null;
  /** Characters of output cut to the cap. */
  truncated: number;
  durationMs: number;
}

export interface McpManagerOptions {
  file: McpConfigFile;
  state: McpServerRepository;
  secrets: SecretStore;
  limits: McpClientLimits;
  audit?: AuditSink;
  /** Tool names already taken (the core tools): MCP names never shadow them. */
  reservedNames?: () => Iterable<string>;
  logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

/** The approval text of an MCP call: what the operator reads, and what runs once approved (parsed back). */
export function mcpCommandText(server: string, tool: string, args: Record<string, unknown>): string {
  return `mcp ${server} ${tool} ${stableJson(args)}`;
}

export function parseMcpCommandText(text: string): { server: string; tool: string; args: Record<string, unknown> } | null {
  const match = /^mcp ([A-Za-z0-9_-]{1,48}) (\S{1,256}) (\{[\s\S]*\})$/.exec(text);
  if (!match) return null;
  try {
    const args = JSON.parse(match[3] as string) as unknown;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return null;
    return { server: match[1] as string, tool: match[2] as string, args: args as Record<string, unknown> };
  } catch {
    return null;
  }
}

/**
 * The policy version an MCP approval is bound to: the pinned definition of the tool it calls
 * and the launch spec of the server it was asked under. The operator approved a call to the
 * program that ran then; after config.yaml changes what the server runs (even once the new
 * line is confirmed), a different program with identical tool definitions must ask again.
 */
export const mcpPolicyVersion = (definitionSha256: string, specSha256: string) => `mcp:${definitionSha256}:${specSha256}`;

/** Digests per listed definition object: a list is replaced, never mutated, so an object's digest never changes. */
const digests = new WeakMap<McpToolDefinition, string>();

export function definitionSha256(tool: McpToolDefinition): string {
  const known = digests.get(tool);
  if (known) return known;
  const digest = definitionDigest(tool);
  digests.set(tool, digest);
  return digest;
}

/** Digest of a whole tool list (names and definitions), what the operator is shown before accepting it. */
export function definitionsDigest(tools: readonly McpToolDefinition[]): string {
  return sha256(stableJson(Object.fromEntries(tools.map((t) => [t.name, definitionSha256(t)]))));
}

function definitionDigest(tool: McpToolDefinition): string {
  return sha256(stableJson({ name: tool.name, title: tool.title, description: tool.description, inputSchema: tool.inputSchema, outputSchema: tool.outputSchema, annotations: tool.annotations }));
}

/** Arguments as the audit log keeps them: whole when small, else their digest, size and a preview (a file's content can be megabytes). */
function auditedArgs(args: Record<string, unknown>): { args: unknown } | { argsSha256: string; argsBytes: number; argsPreview: string } {
  const text = stableJson(args);
  return text.length <= 4096 ? { args } : { argsSha256: sha256(text), argsBytes: Buffer.byteLength(text), argsPreview: text.slice(0, 1000) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function urlPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL|COOKIE|SESSION)/i;

/**
 * Where an entry holds a secret written literally: env/header values (not a keychain
 * reference), and any argument that looks like a secret or names the keychain (arguments are
 * visible to every local user in the process list, so a secret goes through env instead).
 */
export function literalSecrets(entry: McpServerEntry): string[] {
  const values = isStdioEntry(entry) ? (entry.env ?? {}) : (entry.headers ?? {});
  const named = Object.entries(values)
    .filter(([key, value]) => keychainRefs(value).length === 0 && (findSecrets(value).length > 0 || (SECRET_NAME.test(key) && value.length >= 8)))
    .map(([key]) => key);
  const args = isStdioEntry(entry) ? (entry.args ?? []).flatMap((arg, i) => (findSecrets(arg).length > 0 || keychainRefs(arg).length > 0 ? [`args[${i}]`] : [])) : [];
  // A url is shown in status, logs and audit rows and is never resolved from the keychain: a
  // secret (query token, user:password) or a keychain reference there would leak or be sent
  // literally. Credentials go in headers.
  const url = !isStdioEntry(entry) && (findSecrets(entry.url).length > 0 || keychainRefs(safeDecode(entry.url)).length > 0 || urlPassword(entry.url)) ? ['url'] : [];
  return [...named, ...args, ...url];
}

/** A directory any local user may write into (or one that does not exist yet, which one may create). */
function worldWritable(dir: string): boolean {
  if (!isAbsolute(dir)) return true;
  try {
    const st = statSync(dir);
    return (st.mode & 0o002) !== 0;
  } catch {
    return true;
  }
}

/**
 * What makes an imported entry run code its file chose rather than the command it shows: a
 * loader or interpreter variable (LD_PRELOAD, NODE_OPTIONS, ...), a PATH or working directory
 * that is relative or that other local users can write into (a bare command name, or `./srv`,
 * would then be theirs). An operator writing these into config.yaml by hand is their call.
 */
export function importRisks(entry: McpServerEntry): string[] {
  if (!isStdioEntry(entry)) return [];
  const risks: string[] = [];
  for (const [key, value] of Object.entries(entry.env ?? {})) {
    if (key === 'PATH') {
      const bad = value.split(':').filter((d) => worldWritable(d));
      if (bad.length) risks.push(`PATH has directories that are relative or writable by other users (${bad.map((d) => JSON.stringify(d)).join(', ')})`);
    } else if (CODE_LOADING_ENV.test(key)) risks.push(`env sets ${key}`);
  }
  if (entry.cwd !== undefined && worldWritable(entry.cwd)) risks.push(`its working directory ${JSON.stringify(entry.cwd)} is relative or writable by other users`);
  return risks;
}

function annotationsOf(tool: McpToolDefinition): McpToolHints | undefined {
  const a = tool.annotations;
  if (!a) return undefined;
  const hints: McpToolHints = {};
  for (const key of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) if (typeof a[key] === 'boolean') hints[key] = a[key] as boolean;
  return hints;
}

/** Text of a tool result for the model: text parts as they are, others described; bounded by the caller. */
function resultText(result: CallToolResult): string {
  const parts: string[] = [];
  for (const item of result.content ?? []) {
    if (item.type === 'text') parts.push(item.text);
    else if (item.type === 'image' || item.type === 'audio') parts.push(`[${item.type} ${item.mimeType}, ${Math.round((item.data.length * 3) / 4)} bytes]`);
    else if (item.type === 'resource') parts.push('text' in item.resource && typeof item.resource.text === 'string' ? item.resource.text : `[resource ${item.resource.uri}]`);
    else if (item.type === 'resource_link') parts.push(`[resource ${item.uri}]`);
  }
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  return parts.join('\n');
}

function cap(text: string, maxBytes: number): { text: string; truncated: number } {
  if (Buffer.byteLength(text) <= maxBytes) return { text, truncated: 0 };
  const kept = Buffer.from(text).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  return { text: `${kept}\n[... output cut at ${maxBytes} bytes: ${Buffer.byteLength(text) - Buffer.byteLength(kept)} more bytes not shown]`, truncated: Buffer.byteLength(text) - Buffer.byteLength(kept) };
}

/**
 * The MCP client: every server in `mcpServers`, their connections, and the one path an MCP
 * tool call takes. Configuring a server grants it the operator's trust to run (it runs as the
 * operator, with a minimal environment plus its own env); calling its tools is a separate
 * question the safety policy answers per call (judgeMcpCall): trust, hints, allow/deny lists
 * and the pinned definition. Every decision, approval request and call is audited.
 */
export class McpClientManager {
  private readonly connections = new Map<string, McpConnection>();
  private entries: Record<string, McpServerEntry> = {};
  private invalid: Record<string, string> = {};
  private names = new Map<string, string>();
  private readonly audit: AuditSink;
  private readonly listeners = new Set<() => void>();
  private closed = false;
  private watchTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: McpManagerOptions) {
    this.audit = options.audit ?? noAudit;
  }

  /** Called when a server's state or tools change (UI refresh, tests). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.recomputeNames();
    for (const l of this.listeners) l();
  }

  /** Reads config.yaml and connects every enabled, confirmed server (the server and desktop app call this at start). */
  async start(): Promise<void> {
    this.closed = false;
    await this.reload();
  }

  /**
   * Applies changes made elsewhere (config.yaml edited, `fleetmind mcp-servers` run beside a
   * running server): checks the file's stamp and the state table's every `intervalMs` and
   * reloads when either moved. Both are the operator's own (config.yaml 0600, the 0700 data
   * dir), so no socket or token is involved.
   */
  watch(intervalMs = 3000): void {
    if (this.watchTimer) return;
    let last = `${this.options.file.stamp()}|${this.options.state.stamp()}`;
    this.watchTimer = setInterval(() => {
      if (this.closed) return;
      const now = `${this.options.file.stamp()}|${this.options.state.stamp()}`;
      if (now === last) return;
      last = now;
      this.reload().catch((err: unknown) => this.options.logger?.warn({ err: (err as Error).message }, 'reloading MCP servers failed'));
    }, intervalMs);
    this.watchTimer.unref();
  }

  /** Reads config.yaml without connecting anything (the CLI's list); returns the servers that may run. */
  inspect(): Set<string> {
    const read = this.options.file.read();
    this.entries = read.entries;
    this.invalid = read.invalid;
    const wanted = new Set<string>();
    for (const [name, entry] of Object.entries(this.entries)) {
      const state = this.reconcile(name, entry);
      if (this.runnable(name, entry, state) === null) wanted.add(name);
    }
    return wanted;
  }

  /** Reads config.yaml again: new or changed servers (re)connect, removed or disabled ones stop. */
  async reload(): Promise<void> {
    const wanted = this.inspect();
    const stops: Promise<void>[] = [];
    for (const [name, conn] of this.connections) {
      const entry = this.entries[name];
      if (!wanted.has(name) || !entry || specSha256(entry) !== specSha256(conn.entry)) {
        this.connections.delete(name);
        stops.push(conn.close());
      }
    }
    await Promise.all(stops);
    if (this.closed) return;
    const starts: Promise<void>[] = [];
    for (const name of wanted) {
      if (this.connections.has(name)) continue;
      const conn = this.connection(name, this.entries[name] as McpServerEntry, true);
      this.connections.set(name, conn);
      starts.push(conn.start());
    }
    await Promise.all(starts);
    this.changed();
  }

  private connection(name: string, entry: McpServerEntry, reconnect: boolean): McpConnection {
    let reported: string | null = null;
    const conn = new McpConnection(name, entry, {
      limits: this.options.limits,
      reconnect,
      resolveSecret: (account) => this.options.secrets.get(account),
      onChange: () => {
        // Failures are logged once per distinct error (a server that keeps crashing does not flood the log).
        if (conn.state === 'failed' && conn.lastError && conn.lastError !== reported) {
          reported = conn.lastError;
          this.options.logger?.warn({ server: name, error: conn.lastError.slice(0, 500), attempts: conn.reconnectAttempts }, 'MCP server failed; reconnecting with backoff');
        } else if (conn.state === 'connected') reported = null;
        if (reconnect && this.connections.get(name) === conn) {
          this.pinFirstDefinitions(name, conn);
          this.changed();
        }
      },
      onStderr: (line) => this.options.logger?.debug({ server: name, line: line.slice(0, 500) }, 'MCP server stderr'),
    });
    return conn;
  }

  /**
   * The state row for a configured server. A server with no row was written into config.yaml
   * by the operator: confirmed as it stands (audited). Imported servers have a row that is
   * off and unconfirmed.
   */
  private reconcile(name: string, entry: McpServerEntry): McpServerState {
    const state = this.options.state.get(name);
    if (state) return state;
    const created = this.options.state.upsert(name, { enabled: true, confirmedSpecSha256: specSha256(entry), origin: 'config' });
    this.audit.record({ kind: 'settings', actor: 'config', subject: `mcp:${name}`, data: { event: 'mcp_server_confirmed', launch: describeEntry(entry), specSha256: specSha256(entry), origin: 'config' } });
    return created;
  }

  /** Why a server does not run (null: it may). */
  private runnable(name: string, entry: McpServerEntry, state: McpServerState | null): string | null {
    if (!state || !state.enabled) {
      return state?.origin === 'import'
        ? `imported and off until the operator confirms what it runs: ${describeEntry(entry)}`
        : 'disabled';
    }
    if (state.confirmedSpecSha256 !== specSha256(entry)) return `what it runs changed in config.yaml since it was confirmed; confirm it again: ${describeEntry(entry)}`;
    const literal = literalSecrets(entry);
    if (literal.length) return `${literal.join(', ')} hold${literal.length === 1 ? 's' : ''} a literal secret; put it in the keychain and write \${keychain:NAME} instead`;
    return null;
  }

  /** Trust on first use: the first tool list of a confirmed server is pinned (audited); later changes wait for the operator. */
  private pinFirstDefinitions(name: string, conn: McpConnection): void {
    if (conn.state !== 'connected') return;
    const state = this.options.state.get(name);
    if (!state || state.pins !== null) return;
    const pins = Object.fromEntries(conn.listed.tools.map((t) => [t.name, definitionSha256(t)]));
    this.options.state.upsert(name, { pins, pinnedAt: new Date().toISOString() });
    this.audit.record({ kind: 'settings', actor: 'mcp', subject: `mcp:${name}`, data: { event: 'mcp_tools_pinned', tools: Object.keys(pins), definitionsSha256: sha256(stableJson(pins)) } });
  }

  private recomputeNames(): void {
    const all: { server: string; tool: string }[] = [];
    for (const [server, conn] of this.connections) for (const t of conn.listed.tools) all.push({ server, tool: t.name });
    this.names = qualifyToolNames(all, new Set(this.options.reservedNames?.() ?? []));
  }

  /** Every tool of every connected server, with whether its definition is the pinned one. */
  allTools(): McpToolInfo[] {
    const out: McpToolInfo[] = [];
    for (const [server, conn] of this.connections) {
      if (conn.state !== 'connected') continue;
      const pins = this.options.state.get(server)?.pins ?? {};
      for (const t of conn.listed.tools) {
        const name = this.names.get(`${server}\0${t.name}`);
        if (!name) continue;
        const hash = definitionSha256(t);
        out.push({ name, server, tool: t.name, description: t.description ?? '', inputSchema: t.inputSchema, annotations: annotationsOf(t), definitionSha256: hash, pinned: pins[t.name] === hash });
      }
    }
    return out;
  }

  /** The tools the model may see: pinned definitions of connected, enabled servers, minus deny-listed ones. */
  tools(): McpToolInfo[] {
    const deny = new Map<string, string[]>();
    const denied = (server: string) => {
      let list = deny.get(server);
      if (!list) deny.set(server, (list = this.options.state.get(server)?.deny ?? []));
      return list;
    };
    return this.allTools().filter((t) => t.pinned && !denied(t.server).includes(t.tool));
  }

  status(): McpServerStatus[] {
    const out: McpServerStatus[] = [];
    const all = this.allTools();
    for (const [name, entry] of Object.entries(this.entries)) {
      const state = this.options.state.get(name);
      const conn = this.connections.get(name);
      const blocked = this.runnable(name, entry, state);
      const tools = all.filter((t) => t.server === name);
      const pins = state?.pins ?? {};
      out.push({
        name,
        transport: isStdioEntry(entry) ? 'stdio' : entry.type === 'sse' ? 'sse' : 'http',
        launch: describeEntry(entry),
        specSha256: specSha256(entry),
        origin: state?.origin ?? 'config',
        enabled: state?.enabled ?? false,
        confirmed: state?.confirmedSpecSha256 === specSha256(entry),
        trusted: state?.trusted ?? false,
        allow: state?.allow ?? [],
        deny: state?.deny ?? [],
        state: conn ? conn.state : blocked === null ? 'idle' : !state?.enabled ? 'disabled' : 'unconfirmed',
        error: conn ? (conn.lastError ?? conn.warning) : blocked,
        pid: conn?.pid ?? null,
        connectedAt: conn?.connectedAt ?? null,
        reconnectAttempts: conn?.reconnectAttempts ?? 0,
        tools: tools.map((t) => ({
          name: t.name,
          tool: t.tool,
          description: t.description.slice(0, 2000),
          pinned: t.pinned,
          readOnly: t.annotations?.readOnlyHint === true,
          destructive: t.annotations?.destructiveHint === true,
          annotated: t.annotations !== undefined && Object.keys(t.annotations).length > 0,
        })),
        changedTools: tools.filter((t) => !t.pinned).map((t) => t.tool),
        definitionsSha256: conn?.state === 'connected' ? definitionsDigest(conn.listed.tools) : null,
        removedTools: conn?.state === 'connected' ? Object.keys(pins).filter((p) => !tools.some((t) => t.tool === p)) : [],
        resources: (conn?.listed.resources ?? []).slice(0, 200).map((r) => ({ uri: r.uri, name: r.name })),
        prompts: (conn?.listed.prompts ?? []).slice(0, 200).map((p) => ({ name: p.name })),
      });
    }
    for (const [name, why] of Object.entries(this.invalid)) {
      out.push({ name, transport: 'stdio', launch: '', specSha256: '', origin: 'config', enabled: false, confirmed: false, trusted: false, allow: [], deny: [], state: 'invalid', error: why, pid: null, connectedAt: null, reconnectAttempts: 0, tools: [], changedTools: [], definitionsSha256: null, removedTools: [], resources: [], prompts: [] });
    }
    return out;
  }

  private judge(info: McpToolInfo): McpVerdict {
    const state = this.options.state.get(info.server);
    return judgeMcpCall({
      server: info.server,
      tool: info.tool,
      trusted: state?.trusted ?? false,
      annotations: info.annotations,
      allowListed: (state?.allow ?? []).includes(info.tool),
      denyListed: (state?.deny ?? []).includes(info.tool),
      pinned: info.pinned,
    });
  }

  /**
   * The one path of an MCP tool call, whoever asks: judged by the safety policy (audited);
   * `deny` is final, `ask` queues a pending approval bound to the server, tool, exact
   * arguments and pinned definition (nothing runs until the operator decides), `allow` runs
   * with the call timeout, the caller's cancellation and the output cap.
   */
  async call(qualifiedName: string, args: Record<string, unknown>, ctx: McpCallContext): Promise<McpCallOutcome> {
    const started = performance.now();
    const outcome = (o: Partial<McpCallOutcome> & Pick<McpCallOutcome, 'ok' | 'text' | 'summary'>): McpCallOutcome => ({ error: null, verdict: null, approval: null, truncated: 0, durationMs: performance.now() - started, ...o });
    const info = this.allTools().find((t) => t.name === qualifiedName);
    if (!info) {
      const message = `no MCP tool "${qualifiedName}" is connected`;
      return outcome({ ok: false, text: message, summary: message, error: { code: 'not_found', message } });
    }
    const verdict = this.judge(info);
    this.audit.record({ kind: 'decision', actor: ctx.requester, subject: `mcp:${info.server}/${info.tool}`, data: { decision: verdict.decision, category: 'mcp', reasons: verdict.reasons, ...auditedArgs(args), definitionSha256: info.definitionSha256 } });
    if (verdict.decision === 'deny') {
      const message = `REFUSED by the safety policy: ${verdict.reasons.join('; ')}. Do not retry it in another form.`;
      return outcome({ ok: false, text: message, summary: 'refused by policy', error: { code: 'policy_denied', message: verdict.reasons.join('; ') }, verdict });
    }
    if (verdict.decision === 'ask') {
      if (!ctx.requestApproval) {
        const message = `NOT RUN: ${info.server}/${info.tool} needs the operator's approval (${verdict.reasons.join('; ')}), and approvals are not available here.`;
        return outcome({ ok: false, text: message, summary: 'approval required', error: { code: 'approval_required', message }, verdict });
      }
      const approval = ctx.requestApproval({
        conversationId: ctx.conversationId ?? null,
        command: mcpCommandText(info.server, info.tool, args),
        hosts: [`mcp:${info.server}`],
        category: 'mcp',
        reasons: [`MCP server ${info.server}, tool ${info.tool}`, ...verdict.reasons],
        purpose: null,
        requester: ctx.requester,
        policyVersion: mcpPolicyVersion(info.definitionSha256, this.specOf(info.server)),
      });
      const message = `NOT RUN: calling ${info.tool} on MCP server ${info.server} needs the operator's approval (${verdict.reasons.join('; ')}). Approval request ${approval.id} is pending; it runs with exactly these arguments only if the operator approves it. Do not try to do it another way.`;
      return outcome({ ok: false, text: message, summary: 'approval pending', error: { code: 'approval_required', message: `approval required (${approval.id})` }, verdict, approval });
    }
    return this.execute(info, args, ctx.requester, ctx.signal, verdict, started);
  }

  private async execute(info: McpToolInfo, args: Record<string, unknown>, actor: string, signal: AbortSignal | undefined, verdict: McpVerdict | null, started = performance.now()): Promise<McpCallOutcome> {
    const conn = this.connections.get(info.server);
    let result: McpCallOutcome;
    try {
      if (!conn) throw new McpCallError('unavailable', `MCP server ${info.server} is not running`);
      const raw = await conn.call(info.tool, args, signal);
      const capped = cap(resultText(raw), this.options.limits.maxOutputBytes);
      const failed = raw.isError === true;
      result = {
        ok: !failed,
        text: failed ? `${info.server}/${info.tool} reported an error:\n${capped.text}` : capped.text,
        summary: `${info.server}/${info.tool}: ${failed ? 'error' : 'ok'}${capped.truncated ? ', output cut' : ''}`,
        error: failed ? { code: 'internal', message: capped.text.slice(0, 500) || 'the tool reported an error' } : null,
        verdict,
        approval: null,
        truncated: capped.truncated,
        durationMs: performance.now() - started,
      };
    } catch (err) {
      const error: ApiError = err instanceof McpCallError ? { code: err.code, message: err.message } : { code: 'internal', message: (err as Error).message };
      result = { ok: false, text: `${info.server}/${info.tool} failed: ${error.message}`, summary: error.code, error, verdict, approval: null, truncated: 0, durationMs: performance.now() - started };
    }
    this.audit.record({
      kind: 'execution',
      actor,
      subject: `mcp:${info.server}/${info.tool}`,
      data: { ...auditedArgs(args), ok: result.ok, error: result.error?.code ?? null, durationMs: Math.round(result.durationMs), outputSha256: sha256(result.text), truncated: result.truncated, definitionSha256: info.definitionSha256 },
    });
    return result;
  }

  /**
   * Checks an approved MCP request before it is marked approved: the tool is connected, its
   * definition is still the pinned one the request was bound to, and the policy does not
   * refuse it now (deny list). Returns the run to start, or throws McpConfigError (conflict).
   */
  prepareApproved(exactCommand: string, policyVersion: string): { server: string; tool: string; args: Record<string, unknown>; run: (actor: string) => Promise<ExecResultLine> } {
    const parsed = parseMcpCommandText(exactCommand);
    if (!parsed) throw new McpConfigError('conflict', 'this approval is not a well-formed MCP call');
    const info = this.allTools().find((t) => t.server === parsed.server && t.tool === parsed.tool);
    if (!info) throw new McpConfigError('conflict', `MCP server ${parsed.server} does not offer ${parsed.tool} now (not connected, or the tool is gone); nothing ran`);
    if (mcpPolicyVersion(info.definitionSha256, this.specOf(info.server)) !== policyVersion || !info.pinned) {
      throw new McpConfigError('conflict', `the definition of ${parsed.tool} on MCP server ${parsed.server} changed since this was requested; nothing ran. Accept the new definitions, then ask again`);
    }
    const verdict = this.judge(info);
    if (verdict.decision === 'deny') throw new McpConfigError('conflict', `refused by the safety policy now: ${verdict.reasons.join('; ')}`);
    return {
      ...parsed,
      run: async (actor) => {
        const out = await this.execute(info, parsed.args, `approval:${actor}`, undefined, verdict);
        return { host: `mcp:${info.server}`, ok: out.ok, exitCode: null, stdout: out.text, stderr: '', durationMs: Math.round(out.durationMs), error: out.error };
      },
    };
  }

  /** The launch spec digest of the running connection (what actually runs, not what config.yaml says now). */
  private specOf(server: string): string {
    const conn = this.connections.get(server);
    return conn ? specSha256(conn.entry) : 'not-running';
  }

  private requireEntry(name: string): McpServerEntry {
    const entry = this.entries[name] ?? this.options.file.read().entries[name];
    if (!entry) throw new McpConfigError('not_found', `no MCP server "${name}" in ${this.options.file.path}`);
    return entry;
  }

  /** Adds a server the operator typed: written to config.yaml and confirmed as written (audited). */
  async add(name: string, entry: McpServerEntry, actor: string): Promise<void> {
    const literal = literalSecrets(entry);
    if (literal.length) throw new McpConfigError('bad_request', `${literal.join(', ')} hold${literal.length === 1 ? 's' : ''} a literal secret; store it in the keychain and write \${keychain:NAME} instead`);
    if (this.options.file.read().entries[name]) throw new McpConfigError('conflict', `MCP server "${name}" already exists; remove it first`);
    this.options.file.write({ [name]: entry });
    this.options.state.upsert(name, { enabled: true, confirmedSpecSha256: specSha256(entry), origin: 'add', pins: null, pinnedAt: null });
    this.audit.record({ kind: 'settings', actor, subject: `mcp:${name}`, data: { event: 'mcp_server_added', launch: describeEntry(entry), specSha256: specSha256(entry) } });
    await this.reload();
  }

  async remove(name: string, actor: string): Promise<void> {
    const read = this.options.file.read();
    if (!read.entries[name] && !read.invalid[name] && !this.options.state.get(name)) throw new McpConfigError('not_found', `no MCP server "${name}"`);
    this.options.file.write({ [name]: null });
    this.options.state.remove(name);
    this.audit.record({ kind: 'settings', actor, subject: `mcp:${name}`, data: { event: 'mcp_server_removed' } });
    await this.reload();
  }

  /** The operator confirms what a server runs (its launch spec as it is now) and turns it on. */
  async confirm(name: string, actor: string, expectedSpecSha256?: string): Promise<void> {
    const entry = this.requireEntry(name);
    const spec = specSha256(entry);
    // The confirmation is for what the operator was shown: a spec that changed meanwhile is not confirmed.
    if (expectedSpecSha256 !== undefined && expectedSpecSha256 !== spec) throw new McpConfigError('conflict', `what ${name} runs changed since it was shown; look again: ${describeEntry(entry)}`);
    const literal = literalSecrets(entry);
    if (literal.length) throw new McpConfigError('bad_request', `${literal.join(', ')} hold a literal secret; store it in the keychain and write \${keychain:NAME} instead`);
    // Trust was given to the program it ran before: a different launch line (another binary,
    // other arguments, other environment) starts untrusted, so its readOnlyHint ask again until
    // the operator trusts it anew.
    const previous = this.options.state.get(name);
    const trustReset = previous !== null && previous.trusted && previous.confirmedSpecSha256 !== null && previous.confirmedSpecSha256 !== spec;
    this.options.state.upsert(name, { enabled: true, confirmedSpecSha256: spec, ...(trustReset ? { trusted: false } : {}) });
    this.audit.record({ kind: 'settings', actor, subject: `mcp:${name}`, data: { event: 'mcp_server_confirmed', launch: describeEntry(entry), specSha256: spec, ...(trustReset ? { trustReset: true } : {}) } });
    await this.reload();
  }

  async disable(name: string, actor: string): Promise<void> {
    this.requireEntry(name);
    this.options.state.upsert(name, { enabled: false });
    this.audit.record({ kind: 'settings', actor, subject: `mcp:${name}`, data: { event: 'mcp_server_disabled' } });
    await this.reload();
  }

  /** Marks a server trusted or not (trusted: its readOnlyHint tools run without asking). Audited. */
  setTrust(name: string, trusted: boolean, actor: string): void {
    this.requireEntry(name);
    this.options.state.upsert(name, { trusted });
    this.audit.record({ kind: 'settings', actor, subject: `mcp:${name}`, data: { event: trusted ? 'mcp_server_trusted' : 'mcp_server_untrusted' } });
    this.changed();
  }

  /** Sets the allow and deny lists (tool names as the server calls them). Audited. */
  setLists(name: string, lists: { allow?: string[]; deny?: string[] }, actor: string): void {
    this.requireEntry(name);
    const state = this.options.state.upsert(name, { ...(lists.allow ? { allow: [...new Set(lists.allow)] } : {}), ...(lists.deny ? { deny: [...new Set(lists.deny)] } : {}) });
    this.audit.record({ kind: 'settings', actor, subject: `mcp:${name}`, data: { event: 'mcp_server_lists', allow: state.allow, deny: state.deny } });
    this.changed();
  }

  /**
   * The operator accepts the server's current tool definitions (after reading them): they are
   * pinned again. Audited. With `expectedDefinitionsSha256` (status().definitionsSha256 of what
   * was shown), a server that switched its definitions after they were shown (a reconnect, a
   * list_changed) is refused: otherwise "accept" would pin text nobody read.
   */
  acceptDefinitions(name: string, actor: string, expectedDefinitionsSha256?: string): Record<string, string> {
    const conn = this.connections.get(name);
    if (!conn || conn.state !== 'connected') throw new McpConfigError('conflict', `MCP server ${name} is not connected; its tools cannot be read now`);
    const listed = conn.listed.tools;
    if (expectedDefinitionsSha256 !== undefined && definitionsDigest(listed) !== expectedDefinitionsSha256) {
      throw new McpConfigError('conflict', `the tool definitions of ${name} changed since they were shown; nothing was accepted. Look at them again`);
    }
    const pins = Object.fromEntries(listed.map((t) => [t.name, definitionSha256(t)]));
    const before = this.options.state.get(name)?.pins ?? {};
    this.options.state.upsert(name, { pins, pinnedAt: new Date().toISOString() });
    this.audit.record({
      kind: 'settings',
      actor,
      subject: `mcp:${name}`,
      data: { event: 'mcp_tools_pinned', tools: Object.keys(pins), changed: Object.keys(pins).filter((t) => before[t] !== pins[t]), definitionsSha256: sha256(stableJson(pins)) },
    });
    this.changed();
    return pins;
  }

  /** Connects to a server once (without keeping it), lists its tools and closes: `mcp-servers test`. */
  async test(name: string): Promise<{ ok: boolean; tools: string[]; resources: number; prompts: number; serverInfo: { name: string; version: string } | null; error: string | null; latencyMs: number }> {
    const entry = this.requireEntry(name);
    // A test runs the command: an imported server is not started before the operator confirmed it.
    const state = this.options.state.get(name);
    if (state?.confirmedSpecSha256 !== specSha256(entry)) throw new McpConfigError('conflict', `confirm what ${name} runs before testing it: ${describeEntry(entry)}`);
    const literal = literalSecrets(entry);
    if (literal.length) throw new McpConfigError('bad_request', `${literal.join(', ')} hold a literal secret; store it in the keychain and write \${keychain:NAME} instead`);
    const started = performance.now();
    const conn = this.connection(name, entry, false);
    try {
      await conn.start();
      const ok = conn.state === 'connected';
      return { ok, tools: conn.listed.tools.map((t) => t.name), resources: conn.listed.resources.length, prompts: conn.listed.prompts.length, serverInfo: conn.serverInfo, error: ok ? null : conn.lastError, latencyMs: Math.round(performance.now() - started) };
    } finally {
      await conn.close();
    }
  }

  /**
   * Imports another client's servers into config.yaml, each off until the operator confirms
   * its command. Values that look like secrets move to the keychain (as mcp:<server>:<VAR>)
   * and config.yaml gets a reference, never the literal. Names already configured are skipped.
   */
  async importConfig(json: unknown, actor: string): Promise<McpImportResult & { imported: string[] }> {
    const parsed = parseMcpImport(json);
    const existing = this.options.file.read();
    const changes: Record<string, McpServerEntry> = {};
    const imported: string[] = [];
    for (const server of parsed.servers) {
      if (existing.entries[server.name] || existing.invalid[server.name] || changes[server.name]) {
        parsed.skipped.push({ name: server.name, reason: 'a server of that name is already configured' });
        continue;
      }
      const entry = structuredClone(server.entry);
      const values = isStdioEntry(entry) ? entry.env : entry.headers;
      const inArgs = literalSecrets(entry).filter((k) => k.startsWith('args['));
      if (inArgs.length) {
        parsed.skipped.push({ name: server.name, reason: `a secret is passed as a command-line argument (${inArgs.join(', ')}), where every local user can read it; pass it in env as \${keychain:NAME} and add the server by hand` });
        continue;
      }
      const risky = importRisks(entry);
      if (risky.length) {
        parsed.skipped.push({ name: server.name, reason: `${risky.join('; ')}: that runs code the file chose inside the server; add it by hand if you mean it` });
        continue;
      }
      for (const key of literalSecrets(entry)) {
        const account = `mcp:${server.name}:${key}`;
        await this.options.secrets.set(account, (values as Record<string, string>)[key] as string);
        (values as Record<string, string>)[key] = `\${keychain:${account}}`;
      }
      changes[server.name] = entry;
      imported.push(server.name);
    }
    // State first: a server must never be in config.yaml without its "off until confirmed" row.
    for (const name of imported) this.options.state.upsert(name, { enabled: false, confirmedSpecSha256: null, trusted: false, origin: 'import', pins: null, pinnedAt: null });
    if (imported.length) this.options.file.write(changes);
    this.audit.record({ kind: 'settings', actor, subject: 'mcp:import', data: { event: 'mcp_servers_imported', format: parsed.format, imported, skipped: parsed.skipped } });
    await this.reload();
    return { ...parsed, imported };
  }

  /**
   * One change from a face (UI over HTTP or IPC): turn off, confirm what it runs (only with the
   * digest of the launch line that was shown), trust, lists, accept changed tool definitions.
   */
  async applyChange(
    name: string,
    change: { enabled?: false; confirm?: boolean; specSha256?: string; trusted?: boolean; allow?: string[]; deny?: string[]; acceptDefinitions?: boolean; definitionsSha256?: string },
    actor: string,
  ): Promise<void> {
    if (change.enabled === false) await this.disable(name, actor);
    if (change.confirm) {
      if (!change.specSha256) throw new McpConfigError('bad_request', 'confirm needs specSha256: the digest of the launch line you were shown');
      await this.confirm(name, actor, change.specSha256);
    }
    if (change.trusted !== undefined) this.setTrust(name, change.trusted, actor);
    if (change.allow || change.deny) this.setLists(name, { allow: change.allow, deny: change.deny }, actor);
    if (change.acceptDefinitions) {
      // As with confirm: the faces accept only the definitions the operator was shown (their digest).
      if (!change.definitionsSha256) throw new McpConfigError('bad_request', 'acceptDefinitions needs definitionsSha256: the digest of the tool definitions you were shown');
      this.acceptDefinitions(name, actor, change.definitionsSha256);
    }
  }

  /** Child process ids of running stdio servers (status, leak checks). */
  pids(): number[] {
    return [...this.connections.values()].map((c) => c.pid).filter((p): p is number => p !== null);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
