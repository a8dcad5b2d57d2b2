import {
  ApiErrorSchema,
  type AddProviderRequest,
  type AddProviderResponse,
  type ApprovalDecisionRequest,
  type ApprovalDecisionResponse,
  type ApprovalList,
  type AuditPage,
  type AuditQuery,
  type ChatEvent,
  type ChatRequest,
  type ChatResponse,
  type ConversationDetail,
  type ConversationList,
  type FleetmindBridge,
  type Health,
  type HostList,
  type HostAdded,
  type HostAddRequest,
  type HostImportRequest,
  type HostImportResult,
  type HostKeyScanView,
  type HostTrusted,
  type CollectorStatusList,
  type MetricQueryResponse,
  type MetricSeriesList,
  type ProviderList,
  type ProviderTestResult,
  type RemoveProviderResponse,
  type RememberedRuleList,
  type RuleRevoked,
  type UsageQuery,
  type UsageReport,
  type PrivacyReport,
  type McpServerChange,
  type McpServerList,
  type McpServerTestResult,
} from '../../shared/protocol';
import type { AlertList, AlertQuery, AlertResponse, InterpretResponse, SilenceCreated, SilenceRequest } from '../../shared/protocol';
import { toApiError, TransportError, type MetricsQuery, type Session, type Transport } from './transport';

declare global {
  interface Window {
    /** Present only in the Electron window, exposed by the preload's contextBridge. */
    fleetmind?: FleetmindBridge;
  }
}

/** The preload rejects with the main process's typed {code, message}; anything else is unexpected. */
function fromBridgeError(err: unknown): TransportError {
  const typed = ApiErrorSchema.safeParse(err);
  return new TransportError(typed.success ? typed.data : toApiError(err));
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new TransportError({ code: 'cancelled', message: 'stopped' }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new TransportError({ code: 'cancelled', message: 'stopped' }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The desktop face: typed invoke/on through the preload bridge, which validates both
 * ways. The main process runs the core in-process, so the desktop user is the operator.
 */
export class IpcTransport implements Transport {
  readonly kind = 'ipc' as const;

  constructor(private readonly bridge: FleetmindBridge) {}

  async chat(request: Omit<ChatRequest, 'stream'>, onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<ChatResponse> {
    // Events carry no request id, so a window runs one chat at a time (the chat store
    // enforces that) and every event seen while it runs belongs to it. Stopping asks
    // main to cancel the turn of the conversation the events name.
    let conversationId = request.conversationId;
    const unsubscribe = this.bridge.on('fleetmind:chat.event', (event) => {
      conversationId ??= event.conversationId || undefined;
      onEvent(event);
    });
    const onAbort = () => {
      if (conversationId) void this.bridge.invoke('fleetmind:chat.cancel', { conversationId }).catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await abortable(this.call(() => this.bridge.invoke('fleetmind:chat', request)), signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      unsubscribe();
    }
  }

  health(): Promise<Health> {
    return this.call(() => this.bridge.invoke('fleetmind:health', {}));
  }

  async session(): Promise<Session> {
    return { operator: true };
  }

  listConversations(): Promise<ConversationList> {
    return this.call(() => this.bridge.invoke('fleetmind:conversations.list', {}));
  }

  getConversation(id: string): Promise<ConversationDetail> {
    return this.call(() => this.bridge.invoke('fleetmind:conversations.get', { id }));
  }

  cancelTurn(conversationId: string): Promise<{ cancelled: boolean }> {
    return this.call(() => this.bridge.invoke('fleetmind:chat.cancel', { conversationId }));
  }

  subscribeConversation(conversationId: string, onEvent: (event: ChatEvent) => void): () => void {
    // Main forwards every conversation's events to the window (validated by the preload); keep this one's.
    return this.bridge.on('fleetmind:conversation.event', (event) => {
      if (event.conversationId === conversationId) onEvent(event);
    });
  }

  listApprovals(): Promise<ApprovalList> {
    return this.call(() => this.bridge.invoke('fleetmind:approvals.list', {}));
  }

  decideApproval(id: string, decision: ApprovalDecisionRequest): Promise<ApprovalDecisionResponse> {
    return this.call(() => this.bridge.invoke('fleetmind:approvals.decide', { id, ...decision }));
  }

  listRules(): Promise<RememberedRuleList> {
    return this.call(() => this.bridge.invoke('fleetmind:approvals.rules', {}));
  }

  revokeRule(id: string): Promise<RuleRevoked> {
    return this.call(() => this.bridge.invoke('fleetmind:approvals.revokeRule', { id }));
  }

  listHosts(): Promise<HostList> {
    return this.call(() => this.bridge.invoke('fleetmind:hosts.list', {}));
  }

  addHost(request: HostAddRequest): Promise<HostAdded> {
    return this.call(() => this.bridge.invoke('fleetmind:hosts.add', request));
  }

  importHosts(request: HostImportRequest): Promise<HostImportResult> {
    return this.call(() => this.bridge.invoke('fleetmind:hosts.import', request));
  }

  scanHostKey(name: string): Promise<HostKeyScanView> {
    return this.call(() => this.bridge.invoke('fleetmind:hosts.hostKey', { name }));
  }

  trustHost(name: string, fingerprint: string): Promise<HostTrusted> {
    return this.call(() => this.bridge.invoke('fleetmind:hosts.trust', { name, fingerprint }));
  }

  metricsHosts(): Promise<CollectorStatusList> {
    return this.call(() => this.bridge.invoke('fleetmind:metrics.hosts', {}));
  }

  metricsSeries(host: string): Promise<MetricSeriesList> {
    return this.call(() => this.bridge.invoke('fleetmind:metrics.series', { host }));
  }

  metricsQuery(query: MetricsQuery): Promise<MetricQueryResponse> {
    return this.call(() => this.bridge.invoke('fleetmind:metrics.query', query));
  }

  listProviders(): Promise<ProviderList> {
    return this.call(() => this.bridge.invoke('fleetmind:providers.list', {}));
  }

  addProvider(request: AddProviderRequest): Promise<AddProviderResponse> {
    return this.call(() => this.bridge.invoke('fleetmind:providers.add', request));
  }

  removeProvider(name: string): Promise<RemoveProviderResponse> {
    return this.call(() => this.bridge.invoke('fleetmind:providers.remove', { name }));
  }

  testProvider(name: string): Promise<ProviderTestResult> {
    return this.call(() => this.bridge.invoke('fleetmind:providers.test', { name }));
  }

  privacyReport(): Promise<PrivacyReport> {
    return this.call(() => this.bridge.invoke('fleetmind:privacy.report', {}));
  }

  mcpServers(): Promise<McpServerList> {
    return this.call(() => this.bridge.invoke('fleetmind:mcp-servers.list', {}));
  }

  changeMcpServer(name: string, change: McpServerChange): Promise<McpServerList> {
    return this.call(() => this.bridge.invoke('fleetmind:mcp-servers.change', { name, change }));
  }

  testMcpServer(name: string): Promise<McpServerTestResult> {
    return this.call(() => this.bridge.invoke('fleetmind:mcp-servers.test', { name }));
  }

  listAlerts(query: AlertQuery = {}): Promise<AlertList> {
    return this.call(() => this.bridge.invoke('fleetmind:alerts.list', query));
  }

  acknowledgeAlert(id: string): Promise<AlertResponse> {
    return this.call(() => this.bridge.invoke('fleetmind:alerts.ack', { id }));
  }

  silenceAlerts(request: SilenceRequest): Promise<SilenceCreated> {
    const normalised = { ...request, matchers: request.matchers.map((m) => ({ ...m, isRegex: m.isRegex ?? false })), comment: request.comment ?? '' };
    return this.call(() => this.bridge.invoke('fleetmind:alerts.silence', normalised));
  }

  interpretAlert(id: string): Promise<InterpretResponse> {
    return this.call(() => this.bridge.invoke('fleetmind:alerts.interpret', { id }));
  }

  usageReport(query: UsageQuery): Promise<UsageReport> {
    return this.call(() => this.bridge.invoke('fleetmind:usage.report', query));
  }

  auditPage(query: AuditQuery): Promise<AuditPage> {
    // The preload checks the query and the page against the channel's zod schemas (AuditQuerySchema, AuditPageSchema).
    return this.call(() => this.bridge.invoke('fleetmind:audit.page', query));
  }

  private async call<T>(invoke: () => Promise<T>): Promise<T> {
    try {
      return await invoke();
    } catch (err) {
      throw fromBridgeError(err);
    }
  }
}
