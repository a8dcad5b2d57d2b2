import { z } from 'zod';
import { ChatEventSchema, ChatRequestSchema, ChatResponseSchema } from './chat';
import { ConversationDetailSchema, ConversationListSchema } from './conversations';
import { HealthSchema } from './health';
import { ApprovalDecisionRequestSchema, ApprovalDecisionResponseSchema, ApprovalListSchema, RememberedRuleListSchema, RuleRevokedSchema } from './approvals';
import { AuditPageSchema, AuditQuerySchema } from './audit';
import { PrivacyReportSchema } from './privacy';
import { McpServerChangeSchema, McpServerListSchema, McpServerNameSchema, McpServerTestResultSchema } from './mcp-servers';
import { AlertListSchema, AlertQuerySchema, AlertResponseSchema, InterpretResponseSchema, SilenceCreatedSchema, SilenceRequestSchema } from './alerts';
import { HostAddedSchema, HostAddRequestSchema, HostImportRequestSchema, HostImportResultSchema, HostKeyScanSchema, HostListSchema, HostTrustedSchema } from './hosts';
import { CollectorStatusListSchema, MetricLabelsSchema, MetricQueryResponseSchema, MetricSeriesListSchema } from './metrics';
import {
  AddProviderRequestSchema,
  AddProviderResponseSchema,
  ProviderListSchema,
  ProviderNameSchema,
  ProviderTestResultSchema,
  RemoveProviderResponseSchema,
  UsageQuerySchema,
  UsageReportSchema,
} from './settings';

/**
 * The one list of request/response channels shared by Electron IPC (preload, main) and
 * the HTTP transport. Channel names are prefixed so the preload can refuse anything else.
 */
export const IPC_PREFIX = 'fleetmind:';

export const invokeChannels = {
  'fleetmind:chat': { request: ChatRequestSchema, response: ChatResponseSchema },
  'fleetmind:chat.cancel': {
    request: z.object({ conversationId: z.string().min(1) }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  'fleetmind:approvals.list': { request: z.object({}).strict(), response: ApprovalListSchema },
  'fleetmind:approvals.decide': {
    request: z.object({ id: z.string().min(1) }).extend(ApprovalDecisionRequestSchema.shape).strict(),
    response: ApprovalDecisionResponseSchema,
  },
  /** Remembered rules ("approve and remember"), as GET /api/approvals/rules lists them. */
  'fleetmind:approvals.rules': { request: z.object({}).strict(), response: RememberedRuleListSchema },
  /** Revokes one (by id or unique prefix), as DELETE /api/approvals/rules/:id: the command asks again. */
  'fleetmind:approvals.revokeRule': { request: z.object({ id: z.string().min(1).max(200) }).strict(), response: RuleRevokedSchema },
  'fleetmind:health': { request: z.object({}).strict(), response: HealthSchema },
  'fleetmind:conversations.list': { request: z.object({}).strict(), response: ConversationListSchema },
  'fleetmind:conversations.get': {
    request: z.object({ id: z.string().min(1) }).strict(),
    response: ConversationDetailSchema,
  },
  /** The inventory: the approval dialog offers "remember for tag" only for a tag every host shares. */
  'fleetmind:hosts.list': { request: z.object({}).strict(), response: HostListSchema },
  /** The fleet view's inventory actions, as POST /api/hosts, /api/hosts/import, GET /api/hosts/:name/hostkey, POST /api/hosts/:name/trust. */
  'fleetmind:hosts.add': { request: HostAddRequestSchema, response: HostAddedSchema },
  'fleetmind:hosts.import': { request: HostImportRequestSchema, response: HostImportResultSchema },
  'fleetmind:hosts.hostKey': { request: z.object({ name: z.string().min(1).max(253) }).strict(), response: HostKeyScanSchema },
  'fleetmind:hosts.trust': {
    request: z.object({ name: z.string().min(1).max(253), fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) }).strict(),
    response: HostTrustedSchema,
  },
  /** Metrics, as GET /api/metrics/hosts, /api/metrics/series and /api/metrics/query (times in unix ms). */
  'fleetmind:metrics.hosts': { request: z.object({}).strict(), response: CollectorStatusListSchema },
  'fleetmind:metrics.series': { request: z.object({ host: z.string().min(1).max(253) }).strict(), response: MetricSeriesListSchema },
  'fleetmind:metrics.query': {
    request: z
      .object({
        host: z.string().min(1).max(253),
        metric: z.string().min(1).max(200),
        labels: MetricLabelsSchema,
        since: z.number().int().nonnegative(),
        until: z.number().int().nonnegative(),
        stepMs: z.number().int().min(1000).nullable(),
      })
      .strict(),
    response: MetricQueryResponseSchema,
  },
  'fleetmind:providers.list': { request: z.object({}).strict(), response: ProviderListSchema },
  'fleetmind:providers.add': { request: AddProviderRequestSchema, response: AddProviderResponseSchema },
  'fleetmind:providers.remove': { request: z.object({ name: ProviderNameSchema }).strict(), response: RemoveProviderResponseSchema },
  'fleetmind:providers.test': { request: z.object({ name: ProviderNameSchema }).strict(), response: ProviderTestResultSchema },
  'fleetmind:usage.report': { request: UsageQuerySchema, response: UsageReportSchema },
  /** A page of the audit log (newest first) with the whole chain's verification, as GET /api/audit answers. */
  'fleetmind:audit.page': { request: AuditQuerySchema, response: AuditPageSchema },
  /** What was sent to model providers per conversation (counts only), as GET /api/privacy answers. */
  'fleetmind:privacy.report': { request: z.object({}).strict(), response: PrivacyReportSchema },
  /** Alerts as GET /api/alerts lists them; acknowledging, silencing and explaining on request (the desktop user is the operator). */
  'fleetmind:alerts.list': { request: AlertQuerySchema, response: AlertListSchema },
  'fleetmind:alerts.ack': { request: z.object({ id: z.string().min(1).max(100) }).strict(), response: AlertResponseSchema },
  'fleetmind:alerts.silence': { request: SilenceRequestSchema, response: SilenceCreatedSchema },
  'fleetmind:alerts.interpret': { request: z.object({ id: z.string().min(1).max(100) }).strict(), response: InterpretResponseSchema },
  /** The MCP client's servers, as GET/PATCH /api/mcp-servers and POST /api/mcp-servers/:name/test answer (the desktop user is the operator). */
  'fleetmind:mcp-servers.list': { request: z.object({}).strict(), response: McpServerListSchema },
  'fleetmind:mcp-servers.change': { request: z.object({ name: McpServerNameSchema, change: McpServerChangeSchema }).strict(), response: McpServerListSchema },
  'fleetmind:mcp-servers.test': { request: z.object({ name: McpServerNameSchema }).strict(), response: McpServerTestResultSchema },
} as const;
export type InvokeChannel = keyof typeof invokeChannels;
export type InvokeRequest<C extends InvokeChannel> = z.infer<(typeof invokeChannels)[C]['request']>;
export type InvokeResponse<C extends InvokeChannel> = z.infer<(typeof invokeChannels)[C]['response']>;

export const eventChannels = {
  'fleetmind:chat.event': ChatEventSchema,
  /** Every conversation's events, including turns no request started (the agent continuing after an approval). */
  'fleetmind:conversation.event': ChatEventSchema,
} as const;
export type EventChannel = keyof typeof eventChannels;
export type EventPayload<C extends EventChannel> = z.infer<(typeof eventChannels)[C]>;

export function isInvokeChannel(name: string): name is InvokeChannel {
  return Object.prototype.hasOwnProperty.call(invokeChannels, name);
}
export function isEventChannel(name: string): name is EventChannel {
  return Object.prototype.hasOwnProperty.call(eventChannels, name);
}

/** What the preload exposes as `window.fleetmind`. */
export interface FleetmindBridge {
  invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<InvokeResponse<C>>;
  on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void;
}
