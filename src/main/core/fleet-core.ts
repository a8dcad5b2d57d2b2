import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ApprovalView } from '../../shared/protocol';
import { ApprovalService, rememberRefusal, type ConversationResumer } from './approvals';
import { auditLogId, SyslogAnchor } from './audit-anchor';
import { Config, type ConfigSources } from './config';
import { executionConfig, Fleet, Inventory, keychainPassphrases, sshConfig } from './fleet';
import { lazyLogger } from './lazy-logger';
import { RedactionSessions } from './llm/redaction';
import { terminalSafeLog } from './log-stream';
import { AuditLog, auditConfig, DeferredPolicy, loadDefaultPolicy, loadOrCreateAuditKey, policySnapshotLocation, SafetyGate, useBaselineWasmCompiler, USER_POLICY_FILE, type AuditCheckpointReason, type AuditSink } from './safety';
import { KeyringSecretStore, type SecretStore } from './secrets';
import { Store, type ApprovalRecord, type NewApproval } from './store';

/** How long an operator has to decide on a queued command before it expires unrun. */
const APPROVAL_TTL_MS = 30 * 60 * 1000;

export interface CoreOptions extends ConfigSources {
  logger?: Logger;
  /** The keychain; tests pass an in-memory one. */
  secrets?: SecretStore;
  /** The `logger` program for `audit.anchor: syslog` (tests inject a fake; default: the system's). */
  syslogLogger?: string;
}

/**
 * Cores whose audit log is still open. As the process exits (a CLI that returns, a
 * `process.exit`, an uncaught error), each signs a last checkpoint, so the rows this
 * process appended are vouched for even when nobody called close(). better-sqlite3 is
 * synchronous, which is what an 'exit' handler allows.
 */
const openCores = new Set<FleetCore>();
let exitHookInstalled = false;
function signOnExit(core: FleetCore): void {
  openCores.add(core);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const open of openCores) open.flushAudit('exit');
  });
}

/**
 * The part of the composition every command that touches hosts needs: configuration, the
 * store, the safety policy and gate, the audit log, the inventory, the fleet and the
 * approval queue. `fleetmind exec` and the host commands open only this (no agent, model
 * clients, tools or metrics to load), so a cold start stays short; Core adds the rest.
 */
export class FleetCore {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly gate: SafetyGate;
  readonly policy: DeferredPolicy;
  /** Append-only, hash-chained record of requests, decisions, approvals, executions and settings. */
  readonly auditLog: AuditLog;
  readonly audit: AuditSink;
  readonly inventory: Inventory;
  readonly fleet: Fleet;
  readonly secrets: SecretStore;
  readonly approvals: ApprovalService;
  /** Writes checkpoint heads to the system log when `audit.anchor: syslog` is set. */
  readonly auditAnchor: SyslogAnchor | null;
  /** Per-conversation redaction shared by the store (at rest) and, in Core, the model router. */
  protected readonly redaction = new RedactionSessions();
  /** Continues a conversation once its approval is decided (Core sets it; without an agent nothing continues). */
  protected conversations: ConversationResumer | null = null;
  protected readonly startedAt = performance.now();

  constructor(options: CoreOptions = {}) {
    this.config = new Config(options);
    this.logger =
      options.logger ??
      lazyLogger(() => {
        const pino = createRequire(import.meta.url)('pino') as typeof import('pino');
        return pino({ level: process.env.FLEETMIND_LOG_LEVEL ?? 'warn' }, terminalSafeLog(pino.destination(2)));
      });
    // Privacy at rest: the store redacts what it writes with the same per-conversation sessions
    // the router uses for remote models, so stored history and live requests share placeholders.
    this.store = Store.open(this.config.paths.dataDir, { redact: (text, conversationId) => this.redaction.for(conversationId).redactText(text) });
    // The grammar and rules load in the background; until then every command is refused (fail closed).
    useBaselineWasmCompiler();
    this.policy = new DeferredPolicy(
      loadDefaultPolicy({
        userPolicyFile: join(this.config.paths.dataDir, USER_POLICY_FILE),
        snapshot: policySnapshotLocation(this.config.paths.dataDir),
        // A snapshot that does not verify is never used; it means tampering, corruption or a lost key, so it is said.
        onSnapshot: (event) => {
          if (event.kind === 'rejected') this.logger.warn({ path: event.path, reason: event.reason }, 'policy snapshot rejected; compiled the policy from its YAML instead');
          else if (event.kind === 'write-failed') this.logger.debug({ path: event.path, reason: event.reason }, 'could not write the policy snapshot');
        },
        dataDir: this.config.paths.dataDir,
        resolveHostTags: (host) => this.store.hosts.get(host)?.tags ?? [],
      }),
    );
    let anchorWarned = false;
    this.auditAnchor =
      this.config.get(auditConfig).anchor === 'syslog'
        ? new SyslogAnchor({
            logId: auditLogId(this.config.paths.dataDir),
            logger: options.syslogLogger,
            // Once per process at warn level: a missing syslog fails every checkpoint alike.
            onError: (err) => {
              this.logger[anchorWarned ? 'debug' : 'warn']({ err: err.message }, 'could not anchor the audit head in the system log (audit.anchor: syslog)');
              anchorWarned = true;
            },
          })
        : null;
    // A checkpoint follows every batch of appends (one request, one CLI step) and ends every process.
    this.auditLog = new AuditLog(this.store.db, loadOrCreateAuditKey(this.config.paths.dataDir), {
      onCheckpoint: this.auditAnchor ? (c) => this.auditAnchor?.anchor(c) : undefined,
    });
    signOnExit(this);
    this.audit = {
      record: (entry) => {
        try {
          this.auditLog.append(entry);
        } catch (err) {
          this.logger.error({ err, kind: entry.kind }, 'could not append to the audit log');
        }
      },
    };
    this.gate = new SafetyGate(this.policy, this.store.rememberedRules, this.audit);
    this.inventory = new Inventory(this.store.hosts);
    this.secrets = options.secrets ?? new KeyringSecretStore();
    // Encrypted SSH keys unlock with a passphrase from the keychain only; none is ever stored elsewhere.
    this.fleet = new Fleet(this.inventory, this.gate, {
      ssh: { passphrase: keychainPassphrases(this.secrets), connectTimeoutMs: this.config.get(sshConfig).connectTimeoutSeconds * 1000 },
      audit: this.audit,
      passEnvironment: this.config.get(executionConfig).passEnvironment,
    });
    this.approvals = new ApprovalService(
      this.store.approvals,
      this.gate,
      this.fleet,
      this.inventory,
      { resume: (conversationId, message) => this.conversations?.resume(conversationId, message) ?? null },
      this.store.rememberedRules,
      this.audit,
    );
  }

  /** Resolves when the safety policy is loaded; rejects with the reason when it cannot be (a broken rule). */
  async ready(): Promise<void> {
    await this.gate.ready();
  }

  /**
   * Queues a pending approval (audited): what the agent's run_command, `fleetmind exec`
   * and `POST /api/exec` do with an `ask` verdict. Nothing runs until the operator decides.
   */
  requestApproval(input: Omit<NewApproval, 'ttlMs'>): ApprovalRecord {
    const approval = this.store.approvals.create({ ...input, ttlMs: APPROVAL_TTL_MS });
    this.audit.record({ kind: 'approval', actor: input.requester, subject: input.command, data: { approvalId: approval.id, event: 'requested', hosts: input.hosts, category: input.category, reasons: input.reasons, purpose: input.purpose, policyVersion: input.policyVersion, expiresAt: approval.expiresAt } });
    return approval;
  }

  approvalView(record: ApprovalRecord): ApprovalView {
    let hosts: ReturnType<Inventory['list']> = [];
    try {
      hosts = this.inventory.select(record.hosts.join(','));
    } catch {
      hosts = [];
    }
    // Judged as it would run: the exact text when this process holds it (the stored one may be redacted).
    const command = this.store.approvals.exactCommand(record.id) ?? record.command;
    const verdicts = hosts.map((h) => this.gate.evaluate({ command, host: h.name, requester: 'view', tags: h.tags }));
    // An MCP tool call is approved once; the server's allow list is its standing form.
    const refusal = record.category === 'mcp' ? "an MCP tool call is approved once only; to always allow a tool, put it on its server's allow list" : rememberRefusal(command, verdicts);
    const rememberable = refusal === null;
    const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const rootHosts = hosts.filter((h) => (h.transport === 'local' ? runningAsRoot : h.user === 'root')).map((h) => h.name);
    // Production hosts the command would change: approving needs their names typed (the approval service checks).
    const typed = record.status === 'pending' ? hosts.flatMap((h, i) => (verdicts[i]?.decision === 'ask' && verdicts[i]?.confirmation === 'typed-host' ? [{ host: h.name, tag: verdicts[i]?.confirmationTag ?? 'production' }] : [])) : [];
    const confirmation = typed.length > 0 ? { kind: 'typed-host' as const, hosts: typed.map((t) => t.host), reasons: typed.map((t) => `${t.host} is tagged ${t.tag}: type its name to approve`) } : null;
    // The digest stays in the store and the audit log; the protocol's view has no field for it.
    const { conversationId, requester, policyVersion, status, decidedAt, decisionReason, commandSha256: _digest, ...pending } = record;
    return { ...pending, conversationId, requester, policyVersion, status, decidedAt, decisionReason, rememberable, notRememberable: refusal, rootHosts, confirmation };
  }

  /**
   * Signs a checkpoint for the rows this process appended since the last one (if any),
   * and, on 'exit', writes the pending anchor synchronously. Never throws.
   */
  flushAudit(reason: Extract<AuditCheckpointReason, 'close' | 'exit'>): void {
    if (this.store.db.open) {
      try {
        this.auditLog.flush(reason);
      } catch (err) {
        this.logger.error({ err }, 'could not write the closing audit checkpoint');
      }
    }
    if (reason === 'exit') this.auditAnchor?.flushSync();
  }

  async close(): Promise<void> {
    // Signed before anything asynchronous, so a caller that does not await close() still gets it.
    this.flushAudit('close');
    await this.fleet.close();
    // Closing the fleet may have recorded cancelled executions.
    this.flushAudit('close');
    openCores.delete(this);
    this.store.close();
    await this.auditAnchor?.drain();
  }
}
