import type { UsageRow, UsageTotals } from './store';
import type { BudgetStatus, ProviderSettings } from './llm';
import type { MetricsService } from './metrics';
import type { AlertService } from './alerts';
import type { ToolRunner } from './tools';
import type { McpClientManager } from './mcp';
import type {
  AuditPage,
  AuditQuery,
  ApprovalDecisionRequest,
  ApprovalDecisionResponse,
  ApprovalList,
  ApprovalView,
  ChatEvent,
  ChatRequest,
  ChatResponse,
  ConversationDetail,
  ConversationList,
  Health,
  RememberedRuleList,
  RuleRevoked,
} from '../../shared/protocol';
import type { Host, PrivacyReport } from '../../shared/protocol';

/**
 * What every face (HTTP server, CLI, Electron IPC) gets from the composition root.
 * Faces hold no logic of their own: they validate input with the shared protocol,
 * call these, and render the result.
 */
export interface ChatOptions {
  /** Which face asked (`http`, `cli`, `desktop`), recorded in the audit log. */
  actor?: string;
  /** Receives typed events while the answer is produced (tokens, tool calls, results, done). */
  onEvent?: (event: ChatEvent) => void;
  signal?: AbortSignal;
}

export interface CoreFacade {
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatResponse>;
  listConversations(): ConversationList;
  getConversation(id: string): ConversationDetail | null;
  health(): Health;
  /** Stops the turn in progress in a conversation; false when nothing was running. */
  cancel(conversationId: string): boolean;
  /** Newest audit entries (operator only on every face) with the chain's verification. */
  auditPage(query: AuditQuery): AuditPage;
  /** Pending approvals (expired ones are dropped from the list). */
  listApprovals(): ApprovalList;
  /** Approve (runs the command, the agent continues) or deny (the agent is told why). */
  decideApproval(id: string, decision: ApprovalDecisionRequest, actor: string): Promise<ApprovalDecisionResponse>;
  /** An approval by id or unique prefix (of at least 6 characters), with its results once run. */
  showApproval?(idOrPrefix: string): ApprovalView;
  /** Remembered rules ("approve and remember"). */
  listRules?(): RememberedRuleList;
  /** Revokes a remembered rule by id or unique prefix (audited). */
  revokeRule?(idOrPrefix: string, actor: string): RuleRevoked;
  /** Queues a pending approval for an `ask` verdict (exec over HTTP). */
  requestApproval?(input: { conversationId: string | null; command: string; hosts: string[]; category: string; reasons: string[]; purpose: string | null; requester: string; policyVersion: string }): { id: string; expiresAt: string };
  /** Live events of one conversation, or of all with '*'; returns the unsubscribe function. */
  subscribe(conversationId: string, listener: (event: ChatEvent) => void): () => void;
  usageReport(by: 'day' | 'model' | 'conversation', sinceDay?: string): UsageReport;
  /** What was sent to which model provider, per conversation (counts, bytes, redactions, hosts). */
  privacyReport?(): PrivacyReport;
  readonly providers: ProviderSettings;
  /** Stored time series and collector status per host (the server starts collection). */
  readonly metrics?: MetricsService;
  /** Alerts (Alertmanager webhooks, thresholds, anomalies, forecasts), silences and interpretations. */
  readonly alerts?: AlertService;
  /** The agent's tool runner (gate, approvals, audit): what the MCP server face offers on /mcp. */
  readonly tools?: ToolRunner;
  /** The MCP client: servers of `mcpServers` in config.yaml, their status, trust and tools (/api/mcp-servers). */
  readonly mcp?: McpClientManager;
  /** The fleet inventory (the MCP server's hosts resource). */
  readonly inventory?: { list(): Host[] };
  testProvider(name: string): Promise<{ ok: true; models: string[]; latencyMs: number } | { ok: false; error: { code: 'not_found' | 'unavailable'; message: string } }>;
  close(): Promise<void>;
}

export interface UsageReport {
  by: 'day' | 'model' | 'conversation';
  rows: UsageRow[];
  totals: UsageTotals;
  budget: BudgetStatus;
}
