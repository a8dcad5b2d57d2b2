import Database from 'better-sqlite3';
import { privateFile, privateSideFiles } from './data-dir';
import { migrations as defaultMigrations, type Migration } from './migrations';

export type SqliteDatabase = Database.Database;

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * Opens the SQLite file in WAL mode and brings its schema up to date.
 * WAL with synchronous=NORMAL keeps every committed transaction across a process
 * crash (kill -9): only the transaction in flight is lost, and the file stays valid.
 */
export function openDatabase(file: string, migrations: Migration[] = defaultMigrations): SqliteDatabase {
  // 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
  if (file !== ':memory:') privateFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    if (file !== ':memory:') privateSideFiles(file);
    db.pragma('synchronous = NORMAL');
    // Privacy at rest, for text written before redaction existed or by anything that slips
    // through: deleted and overwritten content is zeroed, not left in free pages and cells,
    // and the WAL is cut back to nothing when a checkpoint lets it restart, instead of keeping
    // old frames (page images with the old text) past the point it is rewritten to.
    db.pragma('secure_delete = ON');
    db.pragma('journal_size_limit = 0');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function migrate(db: SqliteDatabase, migrations: Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new StoreError(
      `the store was written by a newer Fleetmind (schema ${newest}, this build knows ${known}); upgrade Fleetmind`,
    );
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}
