import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { ApiError, CommandRun, ExecResultLine, Finding, Host, PendingApproval, TableBlock, ToolCallRecord } from '../../../shared/protocol';
import { fanOut, HostConnectionError, mapBounded, SelectorError, TransportUnavailableError, type Fleet } from '../fleet';
import { noAudit, type AuditSink, type PolicyVerdict, type SafetyGate } from '../safety';
import type { NewApproval } from '../store';
import { capRuns, commandRunFromGathered, commandRunFromLine } from '../fleet';
import type { HostTool, MetricsPort, ToolDefinition, ToolKind, ToolOutput } from './tool';

export interface ToolSchema {
  name: string;
  description: string;
  kind: ToolKind;
  /** JSON Schema of the arguments, generated from the zod input (what a model is given). */
  parameters: Record<string, unknown>;
}

export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();
  /** Tools that come and go (MCP servers connect, reconnect, change their lists); asked on every lookup. */
  private readonly sources: (() => readonly ToolDefinition[])[] = [];

  constructor(tools: readonly ToolDefinition[]) {
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`duplicate tool name ${tool.name}`);
      this.tools.set(tool.name, tool);
    }
  }

  /** Adds a source of dynamic tools (core/mcp); a name the fixed tools already use is never shadowed. */
  addSource(source: () => readonly ToolDefinition[]): void {
    this.sources.push(source);
  }

  /** The names of the fixed (core) tools. */
  coreNames(): string[] {
    return [...this.tools.keys()];
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name) ?? this.dynamic().find((t) => t.name === name);
  }

  private dynamic(): ToolDefinition[] {
    return this.sources.flatMap((source) => source().filter((t) => !this.tools.has(t.name)));
  }

  list(): ToolDefinition[] {
    return [...this.tools.values(), ...this.dynamic()];
  }

  schemas(): ToolSchema[] {
    return this.list().map((t) => ({
      name: t.name,
      description: t.description,
      kind: t.kind,
      parameters: t.scope === 'external' ? t.parameters : (z.toJSONSchema(t.input, { io: 'input' }) as Record<string, unknown>),
    }));
  }
}

/** Where `ask` decisions go: the approval queue (store) creates a pending approval. */
export interface ApprovalRequester {
  request(input: Omit<NewApproval, 'ttlMs'>): PendingApproval;
}

export interface ToolCallOptions {
  conversationId?: string;
  /** Host used when the call names none: the conversation's host, else localhost. */
  defaultHost?: string;
  requester: string;
  signal?: AbortSignal;
  /** Called before the tool runs, with the id the result will carry. */
  onStart?: (call: { id: string; tool: string; args: Record<string, unknown>; host: string | null }) => void;
  /** Bound on hosts handled at once for a fan-out call. */
  concurrency?: number;
}

export interface ToolCallOutcome {
  record: ToolCallRecord;
  /** Full text for the model or the offline answer. */
  text: string;
  /** Structured data per host (or the fleet tool's data under "fleet"). */
  data: Record<string, unknown>;
  /** Approvals this call queued (run_command asking for a change). */
  approvals: PendingApproval[];
}

/** `commands`: what the tool ran on the host (gathered argv commands), for the tool-call card. */
type HostRunResult = ({ host: Host; ok: true; out: ToolOutput } | { host: Host; ok: false; error: ApiError }) & { commands: CommandRun[] };

/** The structured extras a record may carry (chat-blocks); absent fields stay absent. */
type RecordExtras = { commands?: CommandRun[]; findings?: Finding[]; table?: TableBlock };

/** Tables of several hosts with the same columns become one; otherwise the first is kept. */
function joinTables(tables: TableBlock[]): TableBlock | undefined {
  const first = tables[0];
  if (!first) return undefined;
  const same = tables.filter((t) => t.columns.length === first.columns.length && t.columns.every((c, i) => c === first.columns[i]));
  return { ...first, rows: same.flatMap((t) => t.rows) };
}

const STRICTNESS: Record<PolicyVerdict['decision'], number> = { allow: 0, ask: 1, deny: 2 };

function errorOf(err: unknown): ApiError {
  if (err instanceof SelectorError) return { code: 'unknown_host', message: err.message };
  if (err instanceof HostConnectionError) return err.toApiError();
  if (err instanceof TransportUnavailableError) return { code: 'unavailable', message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}


/**
 * The single path every tool call takes, whoever asks (offline engine, model agent,
 * MCP later): validate arguments, resolve the host selector, run per host through the
 * fleet (whose commands pass the safety gate), and record the call.
 */
export class ToolRunner {
  /** Recent read-only results per host and tool call, and identical calls still running. */
  private readonly cache = new Map<string, { at: number; promise: Promise<HostRunResult> }>();

  constructor(
    readonly registry: ToolRegistry,
    private readonly fleet: Fleet,
    private readonly gate: SafetyGate,
    private readonly approvals: ApprovalRequester | null = null,
    /** How long a read-only result is reused (ms); 0 turns caching off. Concurrent identical calls always share one run. */
    private readonly readCacheTtlMs = 2000,
    private readonly audit: AuditSink = noAudit,
  ) {}

  /** Stored metrics for metrics_query; set by the composition root (null: the tool reports that none are kept). */
  metrics: MetricsPort | null = null;

  /** Runs a host tool once per key: identical concurrent calls share the run; read results are reused for a short TTL. */
  private runOnHost(tool: HostTool, args: Record<string, unknown>, host: Host, options: ToolCallOptions): Promise<HostRunResult> {
    const run = async (): Promise<HostRunResult> => {
      const commands: CommandRun[] = [];
      try {
        const out = await tool.run(args, {
          host,
          signal: options.signal,
          gather: async (spec) => {
            const result = await this.fleet.gather(host, { ...spec, requester: options.requester, signal: spec.signal ?? options.signal });
            for (const [key, gathered] of Object.entries(result.commands)) {
              const argv = spec.commands?.[key];
              if (argv) commands.push(commandRunFromGathered(host.name, argv, gathered));
            }
            return result;
          },
          metrics: this.metrics ?? undefined,
        });
        return { host, ok: true as const, out, commands };
      } catch (err) {
        return { host, ok: false as const, error: errorOf(err), commands };
      }
    };
    if (tool.kind !== 'read') return run();
    const { host: _ignored, ...rest } = args;
    const key = `${tool.name}|${host.name}|${JSON.stringify(rest, Object.keys(rest).sort())}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    // A running entry's `at` is +Infinity, so `now - at` is -Infinity and it always counts as fresh.
    if (hit && now - hit.at < this.readCacheTtlMs) return hit.promise;
    const entry = { at: Number.POSITIVE_INFINITY, promise: run() };
    this.cache.set(key, entry);
    void entry.promise.then((result) => {
      // Failures are not reused; successes live for the TTL.
      if (!result.ok || this.readCacheTtlMs === 0) this.cache.delete(key);
      else entry.at = Date.now();
      if (this.cache.size > 500) {
        for (const [k, v] of this.cache) if (Date.now() - v.at >= this.readCacheTtlMs) this.cache.delete(k);
      }
    });
    return entry.promise;
  }

  async call(name: string, rawArgs: unknown, options: ToolCallOptions): Promise<ToolCallOutcome> {
    const id = randomUUID();
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const args = (typeof rawArgs === 'object' && rawArgs !== null ? rawArgs : {}) as Record<string, unknown>;
    const finish = (ok: boolean, text: string, summary: string, error: ApiError | null, host: string | null, data: Record<string, unknown>, approvals: PendingApproval[] = [], extras: RecordExtras = {}): ToolCallOutcome => {
      const record: ToolCallRecord = { id, tool: name, args, host, ok, summary, error, durationMs: performance.now() - started, startedAt };
      if (extras.commands?.length) record.commands = capRuns(extras.commands);
      if (extras.findings?.length) record.findings = extras.findings;
      if (extras.table) record.table = extras.table;
      this.audit.record({ kind: 'tool_call', actor: options.requester, host: host ?? undefined, subject: name, data: { id, args, ok, error: error?.code ?? null, durationMs: Math.round(record.durationMs), approvals: approvals.map((a) => a.id) } });
      return { record, text, data, approvals };
    };

    const tool = this.registry.get(name);
    if (!tool) {
      const known = this.registry.list().map((t) => t.name).join(', ');
      const message = `unknown tool "${name}" (tools: ${known})`;
      return finish(false, message, message, { code: 'bad_request', message }, null, {});
    }
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const message = `invalid arguments for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      return finish(false, message, message, { code: 'bad_request', message }, null, {});
    }
    const validArgs = parsed.data as Record<string, unknown>;

    if (tool.scope === 'external') {
      // An MCP server's tool: core/mcp judges the call (safety policy), queues an approval or runs it, and audits it.
      options.onStart?.({ id, tool: name, args, host: null });
      try {
        const out = await tool.run(validArgs, {
          requester: options.requester,
          conversationId: options.conversationId,
          signal: options.signal,
          requestApproval: this.approvals ? (input) => (this.approvals as ApprovalRequester).request(input) : null,
        });
        return finish(out.ok, out.text, out.summary, out.error, null, { external: out.data }, out.approvals);
      } catch (err) {
        const error = errorOf(err);
        return finish(false, `${name} failed: ${error.message}`, error.message, error, null, {});
      }
    }
    const selector = (validArgs.host as string | undefined) ?? options.defaultHost ?? 'localhost';

    if (tool.scope === 'fleet') {
      options.onStart?.({ id, tool: name, args, host: null });
      try {
        const out = await tool.run(validArgs, {
          listHosts: (sel) => (sel ? this.fleet.inventory.select(sel) : this.fleet.inventory.list()),
          signal: options.signal,
        });
        return finish(true, out.text, out.summary, null, null, { fleet: out.data }, [], { findings: out.findings, table: out.table });
      } catch (err) {
        const error = errorOf(err);
        return finish(false, `${name} failed: ${error.message}`, error.message, error, null, {});
      }
    }

    let hosts: Host[];
    try {
      hosts = this.fleet.inventory.select(selector);
    } catch (err) {
      const error = errorOf(err);
      options.onStart?.({ id, tool: name, args, host: selector });
      return finish(false, error.message, error.message, error, selector, {});
    }
    const hostLabel = hosts.length === 1 ? (hosts[0] as Host).name : selector;
    options.onStart?.({ id, tool: name, args, host: hostLabel });

    if (tool.scope === 'command') {
      const out = await this.runCommand(validArgs as { command: string; purpose?: string }, hosts, options);
      return finish(out.ok, out.text, out.summary, out.error, hostLabel, out.data, out.approvals, { commands: out.commands });
    }

    const perHost = await mapBounded(hosts, options.concurrency ?? 16, (host) => this.runOnHost(tool, validArgs, host, options));

    const data: Record<string, unknown> = {};
    const texts: string[] = [];
    const summaries: string[] = [];
    const failures: ApiError[] = [];
    const commands: CommandRun[] = [];
    const tables: TableBlock[] = [];
    const findings: Finding[] = [];
    for (const r of perHost) {
      commands.push(...r.commands);
      if (r.ok && r.out.table) tables.push(r.out.table);
      if (r.ok && r.out.findings) findings.push(...r.out.findings);
      const prefix = hosts.length > 1 ? `== ${r.host.name} ==\n` : '';
      if (r.ok) {
        data[r.host.name] = r.out.data;
        texts.push(prefix + r.out.text);
        summaries.push(hosts.length > 1 ? `${r.host.name}: ${r.out.summary}` : r.out.summary);
      } else {
        failures.push(r.error);
        texts.push(`${prefix}${name} failed on ${r.host.name}: ${r.error.message}`);
        summaries.push(`${r.host.name}: ${r.error.code}`);
      }
    }
    const error = failures.length === 0 ? null : failures.length === 1 ? (failures[0] as ApiError) : { code: failures[0]!.code, message: `${failures.length} of ${hosts.length} hosts failed` };
    return finish(failures.length === 0, texts.join('\n\n'), summaries.join('; '), error, hostLabel, data, [], { commands, findings, table: joinTables(tables) });
  }

  /**
   * run_command: the policy judges the command for every host. Allowed hosts run it now;
   * `ask` hosts share one pending approval (nothing runs without a decision); `deny` is final.
   */
  private async runCommand(
    args: { command: string; purpose?: string },
    hosts: Host[],
    options: ToolCallOptions,
  ): Promise<{ ok: boolean; text: string; summary: string; error: ApiError | null; data: Record<string, unknown>; approvals: PendingApproval[]; commands: CommandRun[] }> {
    await this.gate.ready();
    // Judged with what the command's paths resolve to on each host (a planted link asks or is
    // refused), and its globs as the names they match there, the list that then runs.
    const judged = await Promise.all(
      hosts.map(async (host) => {
        const facts = await this.fleet.pathFacts(host, args.command, undefined, options.signal);
        return { host, facts, verdict: this.gate.evaluate({ command: args.command, host: host.name, requester: options.requester, tags: host.tags, ...facts }) };
      }),
    );
    const allowed = judged.filter((j) => j.verdict.decision === 'allow').map((j) => j.host);
    const asking = judged.filter((j) => j.verdict.decision === 'ask');
    const denied = judged.filter((j) => j.verdict.decision === 'deny');
    const lines: ExecResultLine[] = allowed.length
      ? await fanOut(this.fleet, this.gate, allowed, {
          command: args.command,
          requester: options.requester,
          exec: { signal: options.signal },
          // The facts these hosts were just judged with: one round trip per host, not two.
          facts: new Map(judged.map((j) => [j.host.name, j.facts])),
        })
      : [];
    const texts: string[] = [];
    const data: Record<string, unknown> = {};
    const commands: CommandRun[] = [];
    const expandedOn = new Map(judged.map((j) => [j.host.name, j.verdict.expandedCommand]));
    for (const line of lines) {
      data[line.host] = line;
      commands.push(commandRunFromLine(expandedOn.get(line.host) ?? args.command, line));
      // A glob expanded on the host ran as the list of names judged there: say which.
      const expanded = expandedOn.get(line.host);
      const ran = expanded && expanded !== args.command ? `\n(ran as: ${expanded.length > 2000 ? `${expanded.slice(0, 2000)}...` : expanded})` : '';
      const head = `$ ${args.command}  [${line.host}: ${line.error ? line.error.code : `exit ${line.exitCode}`}, ${Math.round(line.durationMs)} ms]${ran}`;
      texts.push([head, line.stdout.trimEnd(), line.stderr.trim() ? `stderr:\n${line.stderr.trimEnd()}` : '', line.error ? line.error.message : ''].filter(Boolean).join('\n'));
    }
    const approvals: PendingApproval[] = [];
    // The hosts that asked share one approval per text that would run: a glob expanded on a
    // host is approved as the list of names it matched there, which is what runs.
    const askingByText = new Map<string, typeof asking>();
    for (const a of asking) {
      const text = a.verdict.expandedCommand ?? args.command;
      askingByText.set(text, [...(askingByText.get(text) ?? []), a]);
    }
    for (const [text, group] of askingByText) {
      const strictest = group.reduce((a, b) => (STRICTNESS[b.verdict.decision] > STRICTNESS[a.verdict.decision] ? b : a));
      const reasons = [...new Set(group.flatMap((a) => a.verdict.reasons))];
      const hostsAsking = group.map((a) => a.host.name);
      if (this.approvals) {
        const approval = this.approvals.request({
          conversationId: options.conversationId ?? null,
          command: text,
          hosts: hostsAsking,
          category: strictest.verdict.category,
          reasons,
          purpose: args.purpose ?? null,
          requester: options.requester,
          policyVersion: this.gate.policyVersion,
        });
        approvals.push(approval);
        const asQueued = text !== args.command ? ` It is queued as it would run there, with the names its globs matched: ${text.length > 2000 ? `${text.slice(0, 2000)}...` : text}.` : '';
        texts.push(`NOT RUN on ${hostsAsking.join(', ')}: this command needs the operator's approval (${strictest.verdict.category}: ${reasons.join('; ')}). Approval request ${approval.id} is pending; the command runs only if the operator approves it, and its result will then be reported. Do not try to run it another way.${asQueued}`);
      } else {
        texts.push(`NOT RUN on ${hostsAsking.join(', ')}: needs approval (${reasons.join('; ')}), and approvals are not available here.`);
      }
    }
    for (const d of denied) {
      texts.push(`REFUSED on ${d.host.name} by the safety policy (${d.verdict.category}): ${d.verdict.reasons.join('; ')}. Do not retry it in another form.`);
    }
    const failedRuns = lines.filter((l) => !l.ok);
    const ok = failedRuns.length === 0 && asking.length === 0 && denied.length === 0;
    const error: ApiError | null = denied.length
      ? { code: 'policy_denied', message: `refused by policy on ${denied.map((d) => d.host.name).join(', ')}` }
      : asking.length
        ? { code: 'approval_required', message: `approval required on ${asking.map((a) => a.host.name).join(', ')}` }
        : failedRuns.length
          ? failedRuns[0]!.error ?? { code: 'internal', message: `exit code ${failedRuns[0]!.exitCode} on ${failedRuns[0]!.host}` }
          : null;
    const summary = [
      lines.length ? `ran on ${lines.length} host(s), ${lines.length - failedRuns.length} ok` : null,
      asking.length ? `approval pending for ${asking.length} host(s)` : null,
      denied.length ? `refused on ${denied.length} host(s)` : null,
    ].filter(Boolean).join('; ');
    return { ok, text: texts.join('\n\n'), summary, error, data, approvals, commands };
  }
}
