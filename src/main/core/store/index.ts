import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from './database';
import { ConversationRepository } from './conversations';
import { HostRepository } from './hosts';
import { SettingsRepository } from './settings';
import { UsageRepository } from './usage';
import { ApprovalRepository } from './approvals';
import { RememberedRuleRepository } from './remembered-rules';
import { CredentialRepository } from './credentials';
import { secureDataDir } from './data-dir';

export { secureDataDir } from './data-dir';
export { openDatabase, migrate, StoreError, type SqliteDatabase } from './database';
export { migrations, type Migration } from './migrations';
export { ConversationRepository, type NewMessage } from './conversations';
export { HostRepository } from './hosts';
export { HostKeyRepository, type HostKeyRecord } from './host-keys';
export { SettingsRepository } from './settings';
export { UsageRepository, type LlmCallRecord, type UsageTotals, type UsageRow } from './usage';
export { RememberedRuleRepository, type RememberedRule } from './remembered-rules';
export { CredentialRepository, type ApiTokenRecord, type UiSessionRecord } from './credentials';
export { ApprovalRepository, type ApprovalRecord, type ApprovalStatus, type NewApproval } from './approvals';

export const STORE_FILE = 'fleetmind.db';

/** The SQLite store and its repositories; one per process, closed on shutdown. */
export class Store {
  readonly conversations: ConversationRepository;
  readonly hosts: HostRepository;
  readonly settings: SettingsRepository;
  readonly usage: UsageRepository;
  readonly approvals: ApprovalRepository;
  readonly rememberedRules: RememberedRuleRepository;
  readonly credentials: CredentialRepository;

  constructor(readonly db: SqliteDatabase) {
    this.conversations = new ConversationRepository(db);
    this.hosts = new HostRepository(db);
    this.settings = new SettingsRepository(db);
    this.usage = new UsageRepository(db);
    this.approvals = new ApprovalRepository(db);
    this.rememberedRules = new RememberedRuleRepository(db);
    this.credentials = new CredentialRepository(db);
  }

  static open(dataDir: string): Store {
    secureDataDir(dataDir);
    return new Store(openDatabase(join(dataDir, STORE_FILE)));
  }

  static inMemory(): Store {
    return new Store(openDatabase(':memory:'));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
