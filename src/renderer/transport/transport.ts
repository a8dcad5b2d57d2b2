import type {
  AddProviderRequest,
  AddProviderResponse,
  ApiError,
  ApprovalDecisionRequest,
  ApprovalDecisionResponse,
  ApprovalList,
  AuditPage,
  AuditQuery,
  ChatEvent,
  ChatRequest,
  ChatResponse,
  ConversationDetail,
  ConversationList,
  ErrorCode,
  Health,
  HostList,
  HostAdded,
  HostAddRequest,
  HostImportRequest,
  HostImportResult,
  HostKeyScanView,
  HostTrusted,
  CollectorStatusList,
  MetricQueryResponse,
  MetricSeriesList,
  RememberedRuleList,
  RuleRevoked,
  ProviderList,
  ProviderTestResult,
  RemoveProviderResponse,
  UsageQuery,
  UsageReport,
  PrivacyReport,
  McpServerChange,
  McpServerList,
  McpServerTestResult,
} from '../../shared/protocol';
import type { AlertList, AlertQuery, AlertResponse, InterpretResponse, SilenceCreated, SilenceRequest } from '../../shared/protocol';

/** A metrics query as the renderer asks it; both faces turn it into their own request. */
export interface MetricsQuery {
  host: string;
  metric: string;
  labels: Record<string, string>;
  since: number;
  until: number;
  stepMs: number | null;
}

/** What this window may do beyond chatting: the browser learns it from /api/session. */
export interface Session {
  /** Operators can list past conversations, decide approvals, change settings and read usage. */
  operator: boolean;
}

/**
 * The renderer's only way out of the window. Features talk to this interface and never
 * know whether they run in Electron (IPC through the preload) or a browser (HTTP + SSE).
 */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  /**
   * Sends one user turn and reports typed events while the answer is produced. Resolves
   * with the final response; rejects with a TransportError (after an `error` event, if
   * the server sent one).
   */
  chat(request: Omit<ChatRequest, 'stream'>, onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<ChatResponse>;
  health(): Promise<Health>;
  session(): Promise<Session>;
  listConversations(): Promise<ConversationList>;
  getConversation(id: string): Promise<ConversationDetail>;
  /** Stops whatever turn is running in a conversation, including one the agent started by itself. */
  cancelTurn(conversationId: string): Promise<{ cancelled: boolean }>;
  /**
   * Live events of one conversation, including turns nobody's request started (the agent
   * continuing after an approval). Events of this window's own turns arrive here too.
   * Reconnects by itself; returns the unsubscribe function.
   */
  subscribeConversation(conversationId: string, onEvent: (event: ChatEvent) => void): () => void;

  listApprovals(): Promise<ApprovalList>;
  decideApproval(id: string, decision: ApprovalDecisionRequest): Promise<ApprovalDecisionResponse>;
  listHosts(): Promise<HostList>;
  /** Inventory changes and host keys (operator only): the fleet view's add, import and trust. */
  addHost(request: HostAddRequest): Promise<HostAdded>;
  importHosts(request: HostImportRequest): Promise<HostImportResult>;
  /** The key the host presents now, compared with what is known; nothing is recorded. */
  scanHostKey(name: string): Promise<HostKeyScanView>;
  /** Records the host's key if it still presents the fingerprint the operator confirmed. */
  trustHost(name: string, fingerprint: string): Promise<HostTrusted>;
  /** Every host's metrics collector: state, last seen, last error, lag. */
  metricsHosts(): Promise<CollectorStatusList>;
  /** One host's stored series and its collector. */
  metricsSeries(host: string): Promise<MetricSeriesList>;
  /** One series' points in [since, until] (unix ms); stepMs null: as stored. */
  metricsQuery(query: MetricsQuery): Promise<MetricQueryResponse>;
  /** Remembered approval rules ("approve and remember"), operator only. */
  listRules(): Promise<RememberedRuleList>;
  /** Revokes a remembered rule: its command asks for approval again (audited). */
  revokeRule(id: string): Promise<RuleRevoked>;

  listProviders(): Promise<ProviderList>;
  addProvider(request: AddProviderRequest): Promise<AddProviderResponse>;
  removeProvider(name: string): Promise<RemoveProviderResponse>;
  /** Resolves with the models the endpoint lists; rejects with the typed error when it cannot be reached. */
  testProvider(name: string): Promise<ProviderTestResult>;
  usageReport(query: UsageQuery): Promise<UsageReport>;
  /** A page of audit entries, newest first, and the verification of the whole chain (operator only). */
  auditPage(query: AuditQuery): Promise<AuditPage>;
  /** What was sent to model providers per conversation and provider (operator only); optional for test doubles. */
  privacyReport?(): Promise<PrivacyReport>;
  /** Alerts, newest first, with counts for the badge; optional for test doubles. */
  listAlerts?(query?: AlertQuery): Promise<AlertList>;
  /** Someone is on it (operator only). */
  acknowledgeAlert?(id: string): Promise<AlertResponse>;
  /** Silences alerts whose labels match (operator only). */
  silenceAlerts?(request: SilenceRequest): Promise<SilenceCreated>;
  /** Explains an alert now (one deferred during a storm, or again). */
  interpretAlert?(id: string): Promise<InterpretResponse>;
  /** MCP servers (the MCP client's): status, tools, trust; operator only. Optional: a face may not offer them yet. */
  mcpServers?(): Promise<McpServerList>;
  /** Trust, allow/deny lists, confirm what it runs (with the digest shown), accept changed tool definitions, disable. */
  changeMcpServer?(name: string, change: McpServerChange): Promise<McpServerList>;
  /** Starts the server once, lists its tools and stops it. */
  testMcpServer?(name: string): Promise<McpServerTestResult>;
}

/** Every failure a Transport reports carries the protocol's typed error. */
export class TransportError extends Error {
  readonly code: ErrorCode;

  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'TransportError';
    this.code = error.code;
  }
}

/** Turns anything thrown into the protocol's error shape, so the UI renders one kind of error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof TransportError) return err.error;
  if (err instanceof DOMException && err.name === 'AbortError') return { code: 'cancelled', message: 'stopped' };
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}
