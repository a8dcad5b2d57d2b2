import type { z } from 'zod';
import type { ApiError, Finding, Host, PendingApproval, TableBlock } from '../../../shared/protocol';
import type { NewApproval } from '../store';
import type { GatherResult, GatherSpec } from '../fleet';
import type { CollectorStatus, HostFigures, QueryOutcome, SeriesInfo, SeriesQuery } from '../metrics';

/** read: inspects only; mutate: changes state through a dedicated API; execute: runs arbitrary commands. */
export type ToolKind = 'read' | 'mutate' | 'execute';

export interface ToolOutput<T = unknown> {
  /** Structured result (UI cards, tests, later the model's JSON). */
  data: T;
  /** Full text for the model and for offline answers. */
  text: string;
  /** One line for tool-call cards and logs. */
  summary: string;
  /** The result as a table for the chat (one host's rows; the runner joins hosts with the same columns). */
  table?: TableBlock;
  /** Findings with a severity for the chat. */
  findings?: Finding[];
}

/** Stored time series (metrics_query); they are read, never collected, by a tool call. */
export interface MetricsPort {
  query(q: SeriesQuery): QueryOutcome;
  listSeries(host: string): SeriesInfo[];
  hostStatus(host: string): CollectorStatus | null;
  /** The host's newest collected figures and those of an hour ago (server_status's diagnosis); null: none recent. */
  figures?(host: string): HostFigures | null;
  /** A one-shot collection with the collector's script through the gate, for a host without recent data; null: not collected here. */
  sampleNow?(host: string): Promise<HostFigures | null>;
}

export interface HostToolContext {
  host: Host;
  /** Reads files and runs argv commands on the host; every command passes the safety gate. */
  gather(spec: Omit<GatherSpec, 'requester'>): Promise<GatherResult>;
  /** The metrics store, when the composition root provides one. */
  metrics?: MetricsPort;
  signal?: AbortSignal;
}

export interface FleetToolContext {
  /** The inventory, narrowed by a selector when one is given. */
  listHosts(selector?: string): Host[];
  signal?: AbortSignal;
}

interface ToolBase<I extends z.ZodObject> {
  name: string;
  description: string;
  kind: ToolKind;
  input: I;
}

/** A tool that runs once per selected host (`host` argument: a selector). */
export interface HostTool<I extends z.ZodObject = z.ZodObject, T = unknown> extends ToolBase<I> {
  scope: 'host';
  run(args: z.infer<I>, ctx: HostToolContext): Promise<ToolOutput<T>>;
}

/** A tool about the fleet as a whole (inventory). */
export interface FleetTool<I extends z.ZodObject = z.ZodObject, T = unknown> extends ToolBase<I> {
  scope: 'fleet';
  run(args: z.infer<I>, ctx: FleetToolContext): Promise<ToolOutput<T>>;
}

/** A tool the runner executes itself through the safety gate and approvals (run_command). */
export interface CommandTool<I extends z.ZodObject = z.ZodObject> extends ToolBase<I> {
  scope: 'command';
}

/** What an external tool (an MCP server's) is given: who asks, and where an `ask` verdict goes. */
export interface ExternalToolContext {
  requester: string;
  conversationId?: string;
  signal?: AbortSignal;
  requestApproval: ((input: Omit<NewApproval, 'ttlMs'>) => PendingApproval) | null;
}

export interface ExternalToolResult {
  ok: boolean;
  text: string;
  summary: string;
  error: ApiError | null;
  data: unknown;
  approvals: PendingApproval[];
}

/**
 * A tool another program provides (an MCP server's): its JSON Schema is the server's own, and
 * it judges, asks and audits its calls itself (core/mcp) before anything runs.
 */
export interface ExternalTool extends ToolBase<z.ZodObject> {
  scope: 'external';
  /** The JSON Schema the model is given (the server's inputSchema). */
  parameters: Record<string, unknown>;
  run(args: Record<string, unknown>, ctx: ExternalToolContext): Promise<ExternalToolResult>;
}

export type ToolDefinition = HostTool<z.ZodObject, unknown> | FleetTool<z.ZodObject, unknown> | CommandTool<z.ZodObject> | ExternalTool;

export function defineHostTool<I extends z.ZodObject, T>(tool: Omit<HostTool<I, T>, 'scope'>): HostTool<I, T> {
  return { ...tool, scope: 'host' };
}

export function defineFleetTool<I extends z.ZodObject, T>(tool: Omit<FleetTool<I, T>, 'scope'>): FleetTool<I, T> {
  return { ...tool, scope: 'fleet' };
}
