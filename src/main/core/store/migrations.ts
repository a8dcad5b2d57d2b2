/**
 * Versioned schema migrations. Append only: a released migration is never edited,
 * a change is a new entry. Each runs in its own transaction with its version row.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'conversations, messages, tool calls, hosts, settings',
    sql: `
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        host TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user','assistant','system','tool')),
        content TEXT NOT NULL,
        engine TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (conversation_id, seq)
      );
      CREATE TABLE tool_calls (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        tool TEXT NOT NULL,
        args_json TEXT NOT NULL,
        host TEXT,
        ok INTEGER NOT NULL,
        summary TEXT NOT NULL,
        error_json TEXT,
        duration_ms REAL NOT NULL,
        started_at TEXT NOT NULL
      );
      CREATE INDEX tool_calls_message ON tool_calls(message_id);
      CREATE TABLE hosts (
        name TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        port INTEGER NOT NULL DEFAULT 22,
        user TEXT,
        identity_file TEXT,
        tags_json TEXT NOT NULL DEFAULT '[]',
        jump TEXT,
        privacy TEXT NOT NULL DEFAULT 'default',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];
