import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from './database';
import { ConversationRepository } from './conversations';
import { HostRepository } from './hosts';
import { SettingsRepository } from './settings';

export { openDatabase, migrate, StoreError, type SqliteDatabase } from './database';
export { migrations, type Migration } from './migrations';
export { ConversationRepository, type NewMessage } from './conversations';
export { HostRepository } from './hosts';
export { SettingsRepository } from './settings';

export const STORE_FILE = 'fleetmind.db';

/** The SQLite store and its repositories; one per process, closed on shutdown. */
export class Store {
  readonly conversations: ConversationRepository;
  readonly hosts: HostRepository;
  readonly settings: SettingsRepository;

  constructor(readonly db: SqliteDatabase) {
    this.conversations = new ConversationRepository(db);
    this.hosts = new HostRepository(db);
    this.settings = new SettingsRepository(db);
  }

  static open(dataDir: string): Store {
    return new Store(openDatabase(join(dataDir, STORE_FILE)));
  }

  static inMemory(): Store {
    return new Store(openDatabase(':memory:'));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
