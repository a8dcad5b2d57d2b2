import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from './database';
import { ConversationRepository } from './conversations';
import { HostRepository } from './hosts';
import { SettingsRepository } from './settings';
import { UsageRepository } from './usage';
import { ApprovalRepository } from './approvals';
import { RememberedRuleRepository } from './remembered-rules';
import { CredentialRepository } from './credentials';
import { PrivacyLedgerRepository } from './privacy-ledger';
import { AlertRepository } from './alerts';
import { McpServerRepository } from './mcp-servers';
import { secureDataDir } from './data-dir';
import { keepText, type AtRestRedactor } from './at-rest';

export { secureDataDir } from './data-dir';
export { openDatabase, migrate, StoreError, type SqliteDatabase } from './database';
export { migrations, type Migration } from './migrations';
export { mapStrings, type AtRestRedactor } from './at-rest';
export { ConversationRepository, type NewMessage } from './conversations';
export { HostRepository } from './hosts';
export { HostKeyRepository, type HostKeyRecord } from './host-keys';
export { SettingsRepository } from './settings';
export { UsageRepository, type LlmCallRecord, type UsageTotals, type UsageRow } from './usage';
export { RememberedRuleRepository, type RememberedRule } from './remembered-rules';
export { CredentialRepository, type ApiTokenRecord, type UiSessionRecord } from './credentials';
export { PrivacyLedgerRepository, type PrivacyLedgerRow, type SentRecord } from './privacy-ledger';
export { AlertRepository, type NewAlert, type SilenceMatcher } from './alerts';
export { McpServerRepository, type McpServerState } from './mcp-servers';
export { ApprovalRepository, type ApprovalRecord, type ApprovalStatus, type NewApproval } from './approvals';

export const STORE_FILE = 'fleetmind.db';

export interface StoreOptions {
  /**
   * Redacts free text before it is written (privacy at rest). The composition root passes
   * the privacy module's; without one text is stored as given, which only tests and
   * commands that write no such text (audit, policy) rely on.
   */
  redact?: AtRestRedactor;
}

/** The SQLite store and its repositories; one per process, closed on shutdown. */
export class Store {
  readonly conversations: ConversationRepository;
  readonly hosts: HostRepository;
  readonly settings: SettingsRepository;
  readonly usage: UsageRepository;
  readonly approvals: ApprovalRepository;
  readonly rememberedRules: RememberedRuleRepository;
  readonly credentials: CredentialRepository;
  /** What was sent to models, per conversation and provider (counts only): the privacy report. */
  readonly privacyLedger: PrivacyLedgerRepository;
  /** Alerts (webhooks, thresholds, anomalies, forecasts) and silences; free text redacted at rest. */
  readonly alerts: AlertRepository;
  /** MCP servers: confirmation, trust, allow/deny lists, pinned tool definitions. */
  readonly mcpServers: McpServerRepository;

  constructor(
    readonly db: SqliteDatabase,
    options: StoreOptions = {},
  ) {
    const redact = options.redact ?? keepText;
    this.conversations = new ConversationRepository(db, redact);
    this.hosts = new HostRepository(db);
    this.settings = new SettingsRepository(db);
    this.usage = new UsageRepository(db, redact);
    this.approvals = new ApprovalRepository(db, redact);
    this.rememberedRules = new RememberedRuleRepository(db);
    this.credentials = new CredentialRepository(db);
    this.privacyLedger = new PrivacyLedgerRepository(db);
    this.alerts = new AlertRepository(db, redact);
    this.mcpServers = new McpServerRepository(db);
  }

  static open(dataDir: string, options: StoreOptions = {}): Store {
    secureDataDir(dataDir);
    return new Store(openDatabase(join(dataDir, STORE_FILE)), options);
  }

  static inMemory(options: StoreOptions = {}): Store {
    return new Store(openDatabase(':memory:'), options);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
