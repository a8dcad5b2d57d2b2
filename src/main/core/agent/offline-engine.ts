import type { Engine, PendingApproval, ToolCallRecord, Usage } from '../../../shared/protocol';
import type { Inventory } from '../fleet';
import type { ToolCallOutcome, ToolRunner } from '../tools';
import { ALL_HOSTS_PATTERN, mentionedHostTerms, NOT_HOSTS, recogniseIntents, type OfflineIntent } from './intents';
import { findingsFromStatus } from './findings';
import { attachStatusFindings } from './finding-blocks';
import { fleetStatus, fleetTableBlock } from './fleet-status';
import { publicCliName } from '../config';

export interface EngineRequest {
  message: string;
  /** A model the request asked for (model engine only). */
  model?: string;
  /** The turn continues after an approval decision: `message` is that outcome, not the operator's words. */
  resumed?: boolean;
  /** Selector from the request or the conversation; the message may name another. */
  host: string | null;
  conversationId: string;
  signal?: AbortSignal;
  onToolStart?: (call: { id: string; tool: string; args: Record<string, unknown>; host: string | null }) => void;
  onToolResult?: (record: ToolCallRecord) => void;
  /** Live text as the model produces it; engines that stream set `streamed` in the answer. */
  onToken?: (text: string) => void;
  onApproval?: (approval: PendingApproval) => void;
}

export interface EngineAnswer {
  reply: string;
  toolCalls: ToolCallRecord[];
  /** The host the conversation is now about, when the message chose one. */
  host: string | null;
  /** Which engine produced the answer (the model engine falls back to the offline one). */
  engine?: Engine;
  pendingApprovals?: PendingApproval[];
  usage?: Usage;
  /** True when the reply already went out as token events. */
  streamed?: boolean;
}

export const OFFLINE_LABEL = 'offline engine: answered from live system data, no AI model configured';

const CAPABILITIES = [
  'server status ("show server status", "how is web-1?")',
  'CPU and load ("why is it slow?", "cpu load")',
  'memory and swap ("memory usage")',
  'disk space ("disk usage", "is any disk full?")',
  'top processes ("top processes by memory")',
  'systemd services ("failed services", "nginx service")',
  'logs ("show recent logs", "logs for nginx", "logs in /var/log/dpkg.log")',
  'network ("network interfaces", "listening ports")',
  'recent logins ("who logged in recently?")',
  'the fleet inventory ("list hosts")',
];

export const ADD_MODEL_HINT =
  'For free-form questions, diagnosis and proposed fixes, connect a model: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL for an OpenAI-compatible local server (Ollama, vLLM, LM Studio, llama.cpp), then restart Fleetmind.';

/** Names operators give hosts: "web-2", "app-server-03", "db1.example.com". Not "x86-64" or "utf-8". */
export function looksLikeHostName(word: string): boolean {
  if (/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d+[a-z]?$/.test(word) && !/^(utf|iso|x86|ipv|sha|md|http|tls|ssl|ext|win|cp|rfc|ssh)-/.test(word)) return true;
  return /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+\.[a-z]{2,}$/.test(word) && !/\.(log|conf|service|socket|timer|txt|json|ya?ml|sh|py|js|ts|gz|tar|zip|d)$/.test(word);
}

interface PlannedCall {
  tool: string;
  args: Record<string, unknown>;
  title: string;
}

/**
 * The embedded default engine: recognises common requests and answers them from real
 * tool output, through the same ToolRunner (and so the same safety gate) the model
 * agent uses. It never invents data and says plainly what it cannot do.
 */
export class OfflineEngine {
  readonly kind = 'offline' as const;

  constructor(
    private readonly tools: ToolRunner,
    private readonly inventory: Inventory,
  ) {}

  async answer(request: EngineRequest): Promise<EngineAnswer> {
    if (request.resumed) {
      // Offline there is no reasoning to continue: report the outcome plainly.
      return { reply: `[offline] ${request.message}`, toolCalls: [], host: request.host };
    }
    const intents = recogniseIntents(request.message);
    const hostChoice = this.chooseHost(request);
    if ('unknown' in hostChoice) {
      const known = this.inventory.list().map((h) => h.name).join(', ');
      return {
        reply: `[offline] I don't know a host named "${hostChoice.unknown}". Known hosts: ${known}. Add one with \`${publicCliName()} hosts add NAME --address ADDRESS\` (SSH fleet), or ask about one of these.`,
        toolCalls: [],
        host: request.host,
      };
    }
    const selector = hostChoice.selector;
    const plan = this.plan(intents, request.message, hostChoice.explicit);
    if (plan.length === 0) {
      return { reply: this.helpText(intents.includes('help')), toolCalls: [], host: selector };
    }

    const outcomes: { call: PlannedCall; outcome: ToolCallOutcome; fleet: ReturnType<typeof fleetStatus> | null }[] = [];
    for (const call of plan) {
      const outcome = await this.tools.call(call.tool, call.args, {
        defaultHost: selector,
        conversationId: request.conversationId,
        requester: `offline:${request.conversationId}`,
        signal: request.signal,
        onStart: request.onToolStart,
      });
      // Several hosts: one row per host, problems first, unreachable ones in one line on top (fleet-status).
      const hosts = call.tool === 'server_status' ? this.selectedHosts((call.args.host as string | undefined) ?? selector) : [];
      const fleet = hosts.length > 1 ? fleetStatus(outcome, hosts) : null;
      if (fleet) outcome.record.table = fleetTableBlock(fleet.diagnoses);
      // Structured findings for the chat (a producer that already set some keeps its own).
      attachStatusFindings(call.tool, outcome);
      request.onToolResult?.(outcome.record);
      outcomes.push({ call, outcome, fleet });
    }
    const label = outcomes[0]?.outcome.record.host ?? selector;
    const sections = outcomes.map(({ call, outcome, fleet }) => {
      // server_status's own text starts with its diagnosis (collected figures); older data gets the simple rules.
      const diagnosed = Object.values(outcome.data).some((d) => (d as { diagnosis?: unknown } | null)?.diagnosis);
      const findings = call.tool === 'server_status' && outcome.record.ok && !diagnosed ? findingsFromStatus(outcome.data) : [];
      const findingText = findings.length ? `Findings:\n${findings.map((f) => `- ${f}`).join('\n')}\n\n` : '';
      const body = fleet ? `${fleet.text}\n\nAsk about one host for its details.` : outcome.text;
      return outcomes.length > 1 ? `## ${call.title}\n${findingText}${body}` : `${findingText}${body}`;
    });
    const title = outcomes.length === 1 ? plan[0]!.title : 'Answer';
    const reply = `[offline] ${title} for ${label} (${OFFLINE_LABEL}).\n\n${sections.join('\n\n')}`;
    return { reply, toolCalls: outcomes.map((o) => o.outcome.record), host: selector };
  }

  /** The host names a selector names now (none when it names nothing known). */
  private selectedHosts(selector: string): string[] {
    try {
      return this.inventory.select(selector).map((h) => h.name);
    } catch {
      return [];
    }
  }

  private chooseHost(request: EngineRequest): { selector: string; explicit: boolean } | { unknown: string } {
    if (ALL_HOSTS_PATTERN.test(request.message)) return { selector: 'all', explicit: true };
    const known = this.inventory.list();
    const knownNames = new Set(known.map((h) => h.name.toLowerCase()));
    const named: string[] = [];
    for (const word of request.message.match(/[A-Za-z0-9][A-Za-z0-9._-]*/g) ?? []) {
      const w = word.toLowerCase().replace(/[.]+$/, '');
      if (knownNames.has(w) && w !== 'localhost') named.push(w);
    }
    // Host-shaped words ("web-2", "db.example.com") that the inventory does not know are a miss, not a default.
    for (const word of request.message.match(/[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]/g) ?? []) {
      const w = word.toLowerCase();
      if (!knownNames.has(w) && looksLikeHostName(w)) return { unknown: word };
    }
    for (const term of mentionedHostTerms(request.message)) {
      const t = term.toLowerCase().replace(/[.?!,]+$/, '');
      if (NOT_HOSTS.has(t) || named.includes(t)) continue;
      try {
        this.inventory.select(t);
        named.push(t);
      } catch {
        // Only words that look like host names count as a miss: "logs for nginx" is a unit, not a host.
        const looksLikeHost = /\d|[-.]/.test(t) && !t.startsWith('/') && !/\.(service|socket|timer|log)$/.test(t);
        if (looksLikeHost || t.startsWith('tag:')) return { unknown: term };
      }
    }
    if (/\blocalhost\b|\bthis (machine|server|host|box)\b|\blocal machine\b/i.test(request.message)) named.push('localhost');
    if (named.length > 0) return { selector: [...new Set(named)].join(','), explicit: true };
    return { selector: request.host ?? 'localhost', explicit: false };
  }

  private plan(intents: OfflineIntent[], message: string, explicitHost: boolean): PlannedCall[] {
    const calls: PlannedCall[] = [];
    const has = (i: OfflineIntent) => intents.includes(i);
    const broad = has('status') || has('diagnose');
    if (has('hosts') && !broad) calls.push({ tool: 'list_hosts', args: {}, title: 'Fleet inventory' });
    if (broad) calls.push({ tool: 'server_status', args: {}, title: has('diagnose') ? 'Diagnosis' : 'Server status' });
    if (!broad) {
      // "top processes by memory" is one question, not a memory report plus a CPU list.
      const processesByMemory = has('processes') && has('memory') && !has('cpu');
      if (has('memory') && !processesByMemory) calls.push({ tool: 'memory', args: {}, title: 'Memory' });
      if (has('disk')) calls.push({ tool: 'disk_usage', args: {}, title: 'Disk usage' });
      if (processesByMemory) calls.push({ tool: 'top_processes', args: { sortBy: 'memory' }, title: 'Top processes by memory' });
      else if (has('cpu') || has('processes')) calls.push({ tool: 'top_processes', args: { sortBy: 'cpu' }, title: has('cpu') ? 'CPU and load' : 'Top processes' });
    }
    if (has('services')) {
      const filter = this.serviceName(message);
      calls.push({ tool: 'services', args: filter ? { filter } : {}, title: 'Services' });
    }
    if (has('logs')) {
      const path = /(\/var\/log\/[\w./@-]+)/.exec(message)?.[1];
      const unit = path ? undefined : this.serviceName(message);
      calls.push({ tool: 'tail_logs', args: path ? { path } : unit ? { unit } : {}, title: 'Logs' });
    }
    if (has('network')) calls.push({ tool: 'network_info', args: {}, title: 'Network' });
    if (has('logins')) calls.push({ tool: 'recent_logins', args: {}, title: 'Recent logins' });
    // A bare host name ("web-1?") means its status.
    if (calls.length === 0 && explicitHost && !has('help')) calls.push({ tool: 'server_status', args: {}, title: 'Server status' });
    return calls;
  }

  /** "logs for nginx", "nginx logs", "nginx.service status" → nginx; host names are not units. */
  private serviceName(message: string): string | undefined {
    const skip = new Set([...NOT_HOSTS].filter((w) => !['nginx', 'ssh', 'sshd', 'docker', 'mysql', 'postgres', 'postgresql', 'redis', 'apache', 'apache2', 'cron'].includes(w)));
    ['show', 'recent', 'latest', 'failed', 'running', 'system', 'kernel', 'me', 'get', 'tail', 'the', 'any', 'list', 'all', 'error', 'journal'].forEach((w) => skip.add(w));
    const hostNames = new Set(this.inventory.list().map((h) => h.name.toLowerCase()));
    const candidates = [
      /\b(?:logs?|journal|service|unit|status)\s+(?:for|of|from)\s+([A-Za-z0-9@._:-]+)/i.exec(message)?.[1],
      /\b([A-Za-z0-9@._:-]+)\s+(?:logs?|journal|service|unit)\b/i.exec(message)?.[1],
      /\b([A-Za-z0-9@_:-]+\.service)\b/i.exec(message)?.[1],
    ];
    for (const c of candidates) {
      const name = c?.toLowerCase().replace(/[.?!,]+$/, '');
      if (name && !skip.has(name) && !hostNames.has(name) && !/^\d+$/.test(name)) return name;
    }
    return undefined;
  }

  helpText(asked: boolean): string {
    const intro = asked
      ? '[offline] I am running with the offline engine: no AI model is configured, so I answer common requests directly from live data on your hosts.'
      : "[offline] I couldn't match that request. With no AI model configured, I answer common requests directly from live data on your hosts.";
    return `${intro}\n\nI can show:\n${CAPABILITIES.map((c) => `- ${c}`).join('\n')}\n\nName a host with "on NAME" or "tag:NAME", or "all servers" for the whole fleet.\n\n${ADD_MODEL_HINT}`;
  }
}
