import type { z } from 'zod';
import type { Finding, Host, TableBlock } from '../../../shared/protocol';
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

export type ToolDefinition = HostTool<z.ZodObject, unknown> | FleetTool<z.ZodObject, unknown> | CommandTool<z.ZodObject>;

export function defineHostTool<I extends z.ZodObject, T>(tool: Omit<HostTool<I, T>, 'scope'>): HostTool<I, T> {
  return { ...tool, scope: 'host' };
}

export function defineFleetTool<I extends z.ZodObject, T>(tool: Omit<FleetTool<I, T>, 'scope'>): FleetTool<I, T> {
  return { ...tool, scope: 'fleet' };
}
