import { z } from 'zod';
import { McpServerListSchema, McpServerTestResultSchema, type McpServerChange, type McpServerList, type McpServerTestResult } from '../../shared/protocol';
import {
  AddProviderResponseSchema,
  ApprovalDecisionResponseSchema,
  ApprovalListSchema,
  AuditPageSchema,
  AuditQuerySchema,
  ChatEventSchema,
  ChatResponseSchema,
  ConversationDetailSchema,
  ConversationListSchema,
  ErrorResponseSchema,
  HealthSchema,
  HostListSchema,
  HostAddedSchema,
  HostImportResultSchema,
  HostKeyScanSchema,
  HostTrustedSchema,
  CollectorStatusListSchema,
  MetricQueryResponseSchema,
  MetricSeriesListSchema,
  ProviderListSchema,
  RememberedRuleListSchema,
  ProviderTestResultSchema,
  RemoveProviderResponseSchema,
  RuleRevokedSchema,
  SessionSchema,
  UsageReportSchema,
  PrivacyReportSchema,
  type AddProviderRequest,
  type AddProviderResponse,
  type ApiError,
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
  type ErrorCode,
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
} from '../../shared/protocol';
import { AlertListSchema, AlertResponseSchema, InterpretResponseSchema, SilenceCreatedSchema, type AlertList, type AlertQuery, type AlertResponse, type InterpretResponse, type SilenceCreated, type SilenceRequest } from '../../shared/protocol';
import { SseParser } from './sse';
import { TransportError, type MetricsQuery, type Session, type Transport } from './transport';

/** Reconnect delays for a conversation's event stream: quick at first, then patient. */
const RESUBSCRIBE_DELAYS_MS = [500, 1000, 2000, 5000, 10_000];

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Event names we know; a newer server may add others, which this UI skips rather than fails on. */
const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(ChatEventSchema.options.map((option) => option.shape.type.value));

function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'bad_request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 503) return 'unavailable';
  return 'internal';
}

/**
 * The browser face: JSON over fetch, and the chat stream as Server-Sent Events read from
 * the POST response body (EventSource can only GET). Same-origin only: the server's CSP
 * allows connect-src 'self'. Authentication is the server's business: the HttpOnly session
 * cookie (set when a single-use link from `fleetmind ui-link` was opened) rides along, and
 * without one the server serves only its own OS user, as a guest. This code never sees a
 * token or a session id.
 */
export class HttpTransport implements Transport {
  readonly kind = 'http' as const;

  constructor(private readonly baseUrl = '') {}

  async chat(request: Omit<ChatRequest, 'stream'>, onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<ChatResponse> {
    const response = await this.send('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ ...request, stream: true }),
      signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream')) {
      // A server (or proxy) that ignored the stream flag still answers with the JSON contract.
      return this.parse(response, ChatResponseSchema);
    }
    if (!response.body) throw new TransportError({ code: 'internal', message: 'the chat response has no body' });

    // Assigned in the callback, so typed wide here: control flow analysis cannot see into it.
    let final = null as ChatResponse | null;
    let failure = null as ApiError | null;
    await this.readEvents(response, (event) => {
      onEvent(event);
      if (event.type === 'done') final = event.response;
      if (event.type === 'error') failure = event.error;
    });
    if (failure) throw new TransportError(failure);
    if (final) return final;
    throw new TransportError({ code: 'unavailable', message: 'the server closed the stream before the answer was complete' });
  }

  async health(): Promise<Health> {
    return this.parse(await this.send('/api/health'), HealthSchema);
  }

  async session(): Promise<Session> {
    return this.parse(await this.send('/api/session'), SessionSchema);
  }

  async listConversations(): Promise<ConversationList> {
    return this.parse(await this.send('/api/conversations'), ConversationListSchema);
  }

  async getConversation(id: string): Promise<ConversationDetail> {
    return this.parse(await this.send(`/api/conversations/${encodeURIComponent(id)}`), ConversationDetailSchema);
  }

  async cancelTurn(conversationId: string): Promise<{ cancelled: boolean }> {
    const response = await this.send(`/api/conversations/${encodeURIComponent(conversationId)}/cancel`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    return this.parse(response, z.object({ cancelled: z.boolean() }));
  }

  subscribeConversation(conversationId: string, onEvent: (event: ChatEvent) => void): () => void {
    const controller = new AbortController();
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/events`;
    const follow = async () => {
      let failures = 0;
      while (!controller.signal.aborted) {
        try {
          const response = await this.send(path, { headers: { Accept: 'text/event-stream' }, signal: controller.signal });
          failures = 0;
          await this.readEvents(response, onEvent, { skipInvalid: true });
        } catch (err) {
          if (controller.signal.aborted) return;
          // The conversation does not exist (another data dir, deleted): nothing will ever arrive.
          if (err instanceof TransportError && err.code === 'not_found') return;
          console.warn(`conversation events for ${conversationId} interrupted; reconnecting`, err);
        }
        // The server restarting or a proxy timing out ends the stream: follow it again.
        await sleep(RESUBSCRIBE_DELAYS_MS[Math.min(failures, RESUBSCRIBE_DELAYS_MS.length - 1)]!, controller.signal);
        failures++;
      }
    };
    void follow();
    return () => controller.abort();
  }

  async listApprovals(): Promise<ApprovalList> {
    return this.parse(await this.send('/api/approvals'), ApprovalListSchema);
  }

  async decideApproval(id: string, decision: ApprovalDecisionRequest): Promise<ApprovalDecisionResponse> {
    const response = await this.send(`/api/approvals/${encodeURIComponent(id)}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(decision) });
    return this.parse(response, ApprovalDecisionResponseSchema);
  }

  async listRules(): Promise<RememberedRuleList> {
    return this.parse(await this.send('/api/approvals/rules'), RememberedRuleListSchema);
  }

  async revokeRule(id: string): Promise<RuleRevoked> {
    return this.parse(await this.send(`/api/approvals/rules/${encodeURIComponent(id)}`, { method: 'DELETE' }), RuleRevokedSchema);
  }

  async listHosts(): Promise<HostList> {
    return this.parse(await this.send('/api/hosts'), HostListSchema);
  }

  async addHost(request: HostAddRequest): Promise<HostAdded> {
    return this.parse(await this.send('/api/hosts', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) }), HostAddedSchema);
  }

  async importHosts(request: HostImportRequest): Promise<HostImportResult> {
    return this.parse(await this.send('/api/hosts/import', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) }), HostImportResultSchema);
  }

  async scanHostKey(name: string): Promise<HostKeyScanView> {
    return this.parse(await this.send(`/api/hosts/${encodeURIComponent(name)}/hostkey`), HostKeyScanSchema);
  }

  async trustHost(name: string, fingerprint: string): Promise<HostTrusted> {
    const response = await this.send(`/api/hosts/${encodeURIComponent(name)}/trust`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ fingerprint }) });
    return this.parse(response, HostTrustedSchema);
  }

  async metricsHosts(): Promise<CollectorStatusList> {
    return this.parse(await this.send('/api/metrics/hosts'), CollectorStatusListSchema);
  }

  async metricsSeries(host: string): Promise<MetricSeriesList> {
    return this.parse(await this.send(`/api/metrics/series?${new URLSearchParams({ host })}`), MetricSeriesListSchema);
  }

  async metricsQuery(query: MetricsQuery): Promise<MetricQueryResponse> {
    const params = new URLSearchParams({ host: query.host, metric: query.metric, since: new Date(query.since).toISOString(), until: new Date(query.until).toISOString() });
    if (query.stepMs !== null) params.set('step', `${Math.round(query.stepMs / 1000)}s`);
    // Label values come from hosts (mount points, interface names): the metric carries none, each label is its own parameter.
    for (const [key, value] of Object.entries(query.labels)) params.append(key, value);
    return this.parse(await this.send(`/api/metrics/query?${params}`), MetricQueryResponseSchema);
  }

  async listProviders(): Promise<ProviderList> {
    return this.parse(await this.send('/api/providers'), ProviderListSchema);
  }

  async addProvider(request: AddProviderRequest): Promise<AddProviderResponse> {
    const response = await this.send('/api/providers', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) });
    return this.parse(response, AddProviderResponseSchema);
  }

  async removeProvider(name: string): Promise<RemoveProviderResponse> {
    return this.parse(await this.send(`/api/providers/${encodeURIComponent(name)}`, { method: 'DELETE' }), RemoveProviderResponseSchema);
  }

  async testProvider(name: string): Promise<ProviderTestResult> {
    const response = await this.send(`/api/providers/${encodeURIComponent(name)}/test`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    return this.parse(response, ProviderTestResultSchema);
  }

  async privacyReport(): Promise<PrivacyReport> {
    return this.parse(await this.send('/api/privacy'), PrivacyReportSchema);
  }

  async listAlerts(query: AlertQuery = {}): Promise<AlertList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.parse(await this.send(`/api/alerts${qs ? `?${qs}` : ''}`), AlertListSchema);
  }

  async acknowledgeAlert(id: string): Promise<AlertResponse> {
    return this.parse(await this.send(`/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: JSON_HEADERS, body: '{}' }), AlertResponseSchema);
  }

  async silenceAlerts(request: SilenceRequest): Promise<SilenceCreated> {
    return this.parse(await this.send('/api/alerts/silences', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(request) }), SilenceCreatedSchema);
  }

  async interpretAlert(id: string): Promise<InterpretResponse> {
    return this.parse(await this.send(`/api/alerts/${encodeURIComponent(id)}/interpret`, { method: 'POST', headers: JSON_HEADERS, body: '{}' }), InterpretResponseSchema);
  }

  async mcpServers(): Promise<McpServerList> {
    return this.parse(await this.send('/api/mcp-servers'), McpServerListSchema);
  }

  async changeMcpServer(name: string, change: McpServerChange): Promise<McpServerList> {
    const response = await this.send(`/api/mcp-servers/${encodeURIComponent(name)}`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify(change) });
    return this.parse(response, McpServerListSchema);
  }

  async testMcpServer(name: string): Promise<McpServerTestResult> {
    const response = await this.send(`/api/mcp-servers/${encodeURIComponent(name)}/test`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    return this.parse(response, McpServerTestResultSchema);
  }

  async usageReport(query: UsageQuery): Promise<UsageReport> {
    const params = new URLSearchParams();
    if (query.by) params.set('by', query.by);
    if (query.since) params.set('since', query.since);
    const search = params.toString();
    return this.parse(await this.send(`/api/usage${search ? `?${search}` : ''}`), UsageReportSchema);
  }

  async auditPage(query: AuditQuery): Promise<AuditPage> {
    // Checked here as the preload checks it on the desktop: a bad query is our bug, better caught before the round trip.
    const parsed = AuditQuerySchema.safeParse(query);
    if (!parsed.success) throw new TransportError({ code: 'bad_request', message: `invalid audit query: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}` });
    const params = new URLSearchParams();
    if (parsed.data.kind) params.set('kind', parsed.data.kind);
    if (parsed.data.limit !== undefined) params.set('limit', String(parsed.data.limit));
    if (parsed.data.beforeSeq !== undefined) params.set('beforeSeq', String(parsed.data.beforeSeq));
    const search = params.toString();
    return this.parse(await this.send(`/api/audit${search ? `?${search}` : ''}`), AuditPageSchema);
  }

  /**
   * Reads a Server-Sent Events body to its end, handing each known, valid event over.
   * The chat stream fails on an invalid event; a long-lived subscription skips it.
   */
  private async readEvents(response: Response, onEvent: (event: ChatEvent) => void, options: { skipInvalid?: boolean } = {}): Promise<void> {
    if (!response.body) throw new TransportError({ code: 'internal', message: 'the event stream has no body' });
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
        const messages = parser.push(text);
        if (done) messages.push(...parser.end());
        for (const message of messages) {
          if (!KNOWN_EVENT_TYPES.has(message.event)) continue;
          let event: ChatEvent;
          try {
            event = this.parseEvent(message.data);
          } catch (err) {
            if (!options.skipInvalid) throw err;
            console.warn('skipped an invalid conversation event', err);
            continue;
          }
          onEvent(event);
        }
        if (done) break;
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      throw this.wrapFetchError(err);
    }
  }

  private parseEvent(data: string): ChatEvent {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new TransportError({ code: 'internal', message: 'the server sent a stream event that is not JSON' });
    }
    const parsed = ChatEventSchema.safeParse(json);
    if (!parsed.success) {
      throw new TransportError({ code: 'internal', message: `the server sent an invalid stream event: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}` });
    }
    return parsed.data;
  }

  /** fetch, with HTTP errors turned into the server's typed {error} (or one made from the status). */
  private async send(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { credentials: 'same-origin', ...init });
    } catch (err) {
      throw this.wrapFetchError(err);
    }
    if (response.ok) return response;
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON (a proxy's error page, say): fall back to the status line below.
    }
    const typed = ErrorResponseSchema.safeParse(body);
    throw new TransportError(
      typed.success ? typed.data.error : { code: codeForStatus(response.status), message: `HTTP ${response.status} ${response.statusText}`.trim() },
    );
  }

  private async parse<T>(response: Response, schema: z.ZodType<T>): Promise<T> {
    let json: unknown;
    try {
      json = await response.json();
    } catch (err) {
      throw this.wrapFetchError(err, 'the server answered with something that is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new TransportError({ code: 'internal', message: `unexpected response from ${response.url}: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}` });
    return parsed.data;
  }

  private wrapFetchError(err: unknown, fallback = 'cannot reach the Fleetmind server'): TransportError {
    if (err instanceof TransportError) return err;
    if (err instanceof DOMException && err.name === 'AbortError') return new TransportError({ code: 'cancelled', message: 'stopped' });
    const detail = err instanceof Error ? err.message : String(err);
    return new TransportError({ code: 'unavailable', message: `${fallback} (${detail})` });
  }
}
