import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
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
  Host,
  RememberedRuleList,
  RuleRevoked,
} from '../../shared/protocol';
import { ChatService, ModelEngine, OfflineEngine, type ChatEngine } from './agent';
import { BudgetGuard, llmConfig, LlmProvider, ModelCatalog, ModelRouter, ProviderSettings, PseudonymSessions } from './llm';
import { privacyConfig } from './privacy';
import { localAccountNames, passwdAccountNames } from './local-accounts';
import { findPackageRoot } from './config';
import { dirname, join } from 'node:path';
import { LocalExecutor, SshExecutor } from './fleet';
import { MetricsService, metricsConfig } from './metrics';
import { AlertInterpreter, AlertService, alertsConfig } from './alerts';
import { forecastConfig, ForecastWatcher, TlsExpiryWatcher } from './forecast';
import type { ChatOptions, CoreFacade, UsageReport } from './services';
import { coreTools, mcpToolDefinitions, ToolRegistry, ToolRunner, toolsConfig } from './tools';
import { McpClientManager, McpConfigFile, mcpClientConfig } from './mcp';
import { FLEETMIND_VERSION } from './version';
import { DataLifecycle, retentionConfig, type ForgetSummary } from './data-lifecycle';
import { FleetCore, type CoreOptions } from './fleet-core';

export type { CoreOptions } from './fleet-core';

/**
 * The composition root shared by every face: plain classes wired by constructor.
 * Faces (HTTP server, CLI, Electron) get a CoreFacade and never build services themselves.
 */
export class Core extends FleetCore implements CoreFacade {
  readonly tools: ToolRunner;
  readonly chatService: ChatService;
  readonly router: ModelRouter;
  readonly providers: ProviderSettings;
  readonly budget: BudgetGuard;
  /** The model-driven agent, when a provider is configured. */
  readonly modelEngine: ModelEngine | null;
  /** Forget a conversation or a host, retention, export, the privacy report. */
  readonly lifecycle: DataLifecycle;
  /** The MCP client: servers in `mcpServers` (config.yaml); their tools reach the agent as <server>__<tool>. Connected by startMcp(). */
  readonly mcp: McpClientManager;
  private retentionTimer: NodeJS.Timeout | null = null;
  private metricsService: MetricsService | null = null;
  /** Forecast watchers, started with collection. */
  private forecasts: { start(): void; stop(): void }[] | null = null;
  /** Alerts from Alertmanager, thresholds, anomalies and forecasts, explained by the interpreter (issue 19). */
  readonly alerts: AlertService;

  constructor(options: CoreOptions = {}) {
    super(options);
    this.tools = new ToolRunner(
      new ToolRegistry(coreTools),
      this.fleet,
      this.gate,
      {
        request: (input) => this.requestApproval(input),
      },
      this.config.get(toolsConfig).readCacheTtlMs,
      this.audit,
    );
    // metrics_query reads the store through whichever metrics service exists (created on first use).
    this.tools.metrics = {
      query: (q) => this.metrics.query(q),
      listSeries: (h) => this.metrics.listSeries(h),
      hostStatus: (h) => this.metrics.hostStatus(h),
      // server_status diagnoses from collected figures; a host without them gets a one-shot run of the collector's script.
      figures: (h) => this.metrics.figures(h),
      sampleNow: (h) => this.metrics.sampleNow(h),
    };
    const offline = new OfflineEngine(this.tools, this.inventory);

    const env = options.env ?? process.env;
    const llm = this.config.get(llmConfig);
    const root = findPackageRoot(import.meta.url);
    const catalog = new ModelCatalog([
      ...(root ? [join(root, 'resources', 'models.yaml')] : []),
      join(dirname(this.config.paths.configFile), 'models.yaml'),
    ]);
    this.providers = new ProviderSettings(llm, this.store.settings, this.secrets, env, this.audit);
    const providers = this.providers.effective().map(
      (p) =>
        new LlmProvider(p, this.providers.apiKeySource(p), {
          timeoutMs: llm.timeoutMs,
          maxRetries: llm.maxRetries,
          streamIdleTimeoutMs: llm.streamIdleTimeoutMs,
        }),
    );
    this.budget = new BudgetGuard(this.store.usage, llm.budget);
    // Pseudonyms for remote models (on by default): what counts as a host, an address or a user
    // is read from the inventory on every request, plus this machine's name and the accounts
    // of its /etc/passwd (read once, here: the privacy module does no I/O).
    const privacy = this.config.get(privacyConfig);
    let accounts: string[] | null = null;
    // Accounts of SSH hosts, read from their /etc/passwd (through the safety gate, audited) the
    // first time a host's data is about to go to a remote model; kept while the process runs.
    const hostAccounts = new Map<string, string[]>();
    const reading = new Map<string, Promise<void>>();
    const learnHostAccounts = async (hosts: readonly Host[], signal?: AbortSignal): Promise<void> => {
      if (!privacy.pseudonymise || signal?.aborted) return;
      await Promise.all(
        hosts.map((host) => {
          if (hostAccounts.has(host.name)) return undefined;
          let pending = reading.get(host.name);
          if (!pending) {
            pending = this.fleet
              .gather(host, { requester: 'privacy:accounts', files: ['/etc/passwd'], maxFileBytes: 1 << 20, timeoutMs: 5_000, signal })
              .then(
                (r) => void hostAccounts.set(host.name, passwdAccountNames(r.files['/etc/passwd'] ?? '')),
                () => undefined, // unreachable now: tried again next time
              )
              .finally(() => reading.delete(host.name));
            reading.set(host.name, pending);
          }
          return pending;
        }),
      );
    };
    const pseudonyms = new PseudonymSessions(() => {
      if (!privacy.pseudonymise) return null;
      accounts ??= localAccountNames();
      const hosts = this.inventory.list();
      return {
        hosts: [...hosts.map((h) => h.name), hostname()],
        addresses: hosts.filter((h) => h.transport !== 'local').map((h) => h.address),
        users: [...new Set([...hosts.map((h) => h.user).filter((u): u is string => !!u), ...accounts, ...[...hostAccounts.values()].flat()])],
        internalDomains: privacy.internalDomains,
      };
    });
    this.router = new ModelRouter(providers, llm, catalog, this.store.usage, this.budget, this.redaction, pseudonyms);
    const localOnlyTags = Object.entries(privacy.tags)
      .filter(([, mode]) => mode === 'local_only')
      .map(([tag]) => tag);
    this.modelEngine = this.router.available
      ? new ModelEngine(this.router, this.tools, this.inventory, this.store.conversations, offline, catalog, llm, { localOnlyTags: () => localOnlyTags, learnHostAccounts })
      : null;
    const engine: ChatEngine = this.modelEngine ?? offline;
    this.chatService = new ChatService(this.store.conversations, this.inventory, engine, undefined, this.audit);
    this.conversations = this.chatService;
    this.mcp = new McpClientManager({
      file: new McpConfigFile(this.config.paths.configFile),
      state: this.store.mcpServers,
      secrets: this.secrets,
      limits: this.config.get(mcpClientConfig),
      audit: this.audit,
      reservedNames: () => this.tools.registry.coreNames(),
      logger: this.logger,
    });
    this.tools.registry.addSource(() => mcpToolDefinitions(this.mcp));
    this.approvals.mcpCalls = this.mcp;
    this.lifecycle = new DataLifecycle(this.store, this.auditLog, this.config.get(retentionConfig));
    // The privacy report's ledger: what each request to a model carried (counts, bytes), per conversation and provider.
    this.router.onSent = (sent) => this.store.privacyLedger.record(sent);
    this.alerts = this.createAlerts(localOnlyTags);
  }

  /**
   * The alert service and its interpreter. Interpretation gathers context only with tools
   * whose kind is `read` (checked here, whatever the interpreter asks for) through the normal
   * runner and safety gate, queues no approval, and asks the model for text only (no tools
   * offered); hosts tagged local_only get local models only, like chat.
   */
  private createAlerts(localOnlyTags: readonly string[]): AlertService {
    const config = this.config.get(alertsConfig);
    const interpreter = new AlertInterpreter({
      tools: {
        call: async (name, args, signal) => {
          const tool = this.tools.registry.get(name);
          if (!tool || tool.kind !== 'read') throw new Error(`${name} is not a read-only tool; alert interpretation uses read-only tools only`);
          const out = await this.tools.call(name, args, { requester: 'alerts:interpret', signal });
          if (out.approvals.length > 0) throw new Error(`${name} queued an approval; refused`);
          return { ok: out.record.ok, summary: out.record.summary, text: out.text };
        },
      },
      model: () =>
        this.router.available
          ? {
              complete: async ({ system, user, alert, signal }) => {
                const tags = alert.host ? (this.inventory.get(alert.host)?.tags ?? []) : [];
                const localOnly = tags.some((t) => localOnlyTags.includes(t));
                const answer = await this.router.complete(
                  { task: 'diagnosis', conversationId: `alert:${alert.fingerprint}`, localOnly },
                  { messages: [{ role: 'system', content: system }, { role: 'user', content: user }], maxTokens: 800, signal },
                );
                return { text: answer.content, engine: `${answer.provider}/${answer.model}` };
              },
            }
          : null,
      similar: (alert) => this.store.alerts.similar(alert),
      isHost: (name) => this.inventory.get(name) !== null,
      timeoutMs: config.interpretation.timeoutSeconds * 1000,
    });
    return new AlertService({
      repository: this.store.alerts,
      config,
      inventory: () => this.inventory.list(),
      metrics: () => this.metrics,
      // The anomaly scores the metrics service stores beside each series (issue 18), per host.
      anomalies: (since) => {
        const metrics = this.metrics;
        const until = Date.now();
        return metrics.hosts().flatMap((host) => metrics.storedAnomalies({ host, since, until, limit: 100 }).map((a) => ({ host, series: a.series, at: a.at, value: a.value, score: a.score })));
      },
      interpreter,
      logger: this.logger,
      audit: this.audit,
    });
  }

  privacyReport(): ReturnType<DataLifecycle['privacyReport']> {
    return this.lifecycle.privacyReport();
  }

  /**
   * Connects the MCP servers of config.yaml (the server and the desktop app, at start): each
   * enabled, confirmed server starts with a minimal environment plus its own env. Failures
   * are kept in each server's status and retried with backoff; this never rejects.
   */
  async startMcp(): Promise<void> {
    try {
      await this.mcp.start();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'MCP servers could not be started');
    }
    // `fleetmind mcp-servers` beside a running server, or an edit of config.yaml, applies within seconds.
    this.mcp.watch();
  }

  /** Applies the retention settings now and then every `retention.sweepMinutes` (the server). */
  startRetentionSweep(): void {
    if (this.retentionTimer) return;
    const sweep = (): void => {
      if (!this.store.db.open) return;
      try {
        const summary: ForgetSummary = this.lifecycle.forgetExpired('retention:sweep');
        if (summary.auditSeq !== null) this.logger.info({ summary }, 'retention removed expired data');
      } catch (err) {
        this.logger.error({ err }, 'the retention sweep failed');
      }
    };
    sweep();
    this.retentionTimer = setInterval(sweep, this.config.get(retentionConfig).sweepMinutes * 60_000);
    this.retentionTimer.unref();
  }

  /** An approval (pending or decided, with its results once run) by id or unique prefix; throws ApprovalError. */
  showApproval(idOrPrefix: string): ApprovalView {
    return this.approvalView(this.approvals.resolve(idOrPrefix));
  }

  listRules(): RememberedRuleList {
    return { rules: this.approvals.rules() };
  }

  /** Revokes a remembered rule by id or unique prefix (audited); throws ApprovalError. */
  revokeRule(idOrPrefix: string, actor: string): RuleRevoked {
    return { revoked: this.approvals.revokeRule(idOrPrefix, actor) };
  }

  /**
   * Stored time series and, once startMetrics() ran, the collector's status. Until then a
   * read-only view: a CLI command or chat beside a running server reads what it stored
   * (its open window from the journal) and never writes.
   */
  get metrics(): MetricsService {
    this.metricsService ??= new MetricsService({ db: this.store.db, config: this.config.get(metricsConfig), readOnly: true });
    return this.metricsService;
  }

  /**
   * Starts collecting from every host of the inventory (the server and the desktop app):
   * the fixed read-only collector script through the safety gate, on per-host schedules.
   */
  startMetrics(): MetricsService {
    if (this.metricsService && !this.metricsService.store.readOnly) return this.metricsService;
    void this.metricsService?.stop();
    const service = new MetricsService({
      db: this.store.db,
      config: this.config.get(metricsConfig),
      settings: this.store.settings,
      collection: {
        hosts: () => this.inventory.list(),
        // Not the fleet's auditing executors: the collector writes one summary per host and hour instead of a row per run.
        executor: (host) => (host.transport === 'local' ? new LocalExecutor(host) : new SshExecutor(host, this.fleet.sshPool)),
        gate: this.gate,
        audit: this.audit,
        logger: this.logger,
        // Prometheus / node_exporter credentials (keychain accounts named in metrics.sources).
        secrets: this.secrets,
      },
    });
    this.metricsService = service;
    service.start();
    // Thresholds and anomalies are evaluated on what is collected, so they start with collection.
    this.alerts.start();
    // Forecasts (disk, inodes, memory growth; TLS expiry of configured endpoints) raise through the alert service.
    const forecast = this.config.get(forecastConfig);
    this.forecasts?.forEach((w) => w.stop());
    this.forecasts = [new ForecastWatcher({ reader: service, sink: this.alerts, config: forecast, logger: this.logger }), new TlsExpiryWatcher({ config: forecast, sink: this.alerts, logger: this.logger, hostOf: (h) => this.inventory.list().find((x) => x.name === h || x.address === h)?.name ?? null })];
    this.forecasts.forEach((w) => w.start());
    return service;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): Promise<ChatResponse> {
    return this.chatService.chat(request, options);
  }

  usageReport(by: 'day' | 'model' | 'conversation', sinceDay?: string): UsageReport {
    return { by, rows: this.store.usage.by(by, sinceDay), totals: this.store.usage.totals(sinceDay), budget: this.budget.status() };
  }

  /** Lists a provider's models: proves the endpoint answers and takes the key. */
  async testProvider(name: string): Promise<{ ok: true; models: string[]; latencyMs: number } | { ok: false; error: { code: 'not_found' | 'unavailable'; message: string } }> {
    const provider = this.router.providerList().find((p) => p.name === name);
    if (!provider) return { ok: false, error: { code: 'not_found', message: `no provider "${name}" (restart after adding one)` } };
    const started = performance.now();
    try {
      const models = await provider.listModels(AbortSignal.timeout(15_000));
      return { ok: true, models, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      return { ok: false, error: { code: 'unavailable', message: (err as Error).message } };
    }
  }

  listApprovals(): ApprovalList {
    return { approvals: this.approvals.pending().map((a) => this.approvalView(a)) };
  }

  async decideApproval(id: string, decision: ApprovalDecisionRequest, actor: string): Promise<ApprovalDecisionResponse> {
    const outcome = await this.approvals.decide(id, { ...decision, actor });
    // The continuation runs on; its events reach subscribers of the conversation.
    void outcome.continued?.catch((err: unknown) => this.logger.error({ err }, 'agent continuation after an approval failed'));
    return {
      approval: this.approvalView(outcome.approval),
      results: outcome.results,
      remembered: outcome.remembered.map((r) => ({ id: r.id, scope: r.scope, target: r.target })),
    };
  }

  subscribe(conversationId: string, listener: (event: ChatEvent) => void): () => void {
    return conversationId === '*' ? this.chatService.events.subscribeAll(listener) : this.chatService.events.subscribe(conversationId, listener);
  }

  auditPage(query: AuditQuery): AuditPage {
    const entries = this.auditLog.list({ kind: query.kind, limit: query.limit ?? 100, newestFirst: true, beforeSeq: query.beforeSeq });
    return { entries, verify: this.auditLog.verify() };
  }

  cancel(conversationId: string): boolean {
    return this.chatService.cancel(conversationId);
  }

  listConversations(): ConversationList {
    return { conversations: this.store.conversations.list() };
  }

  getConversation(id: string): ConversationDetail | null {
    return this.store.conversations.detail(id);
  }

  health(): Health {
    return {
      ok: this.store.db.open && this.policy.current !== null,
      policy: this.policy.current ? 'ready' : 'loading',
      version: FLEETMIND_VERSION,
      engine: this.chatService.engineKind,
      uptimeMs: performance.now() - this.startedAt,
      hostname: hostname(),
      dataDir: this.config.paths.dataDir,
    };
  }

  override async close(): Promise<void> {
    // Signed before anything asynchronous, so a caller that does not await close() still gets it.
    this.flushAudit('close');
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
    // Collection stops (runs in flight are cancelled) and the open metric window is journaled before the pool and the store close.
    this.forecasts?.forEach((w) => w.stop());
    await this.alerts.stop();
    await this.metricsService?.stop();
    await this.mcp.close();
    await super.close();
  }
}
