import type { SqliteDatabase } from './database';

/** Fleetmind's own state about a configured MCP server (config.yaml holds what it runs). */
export interface McpServerState {
  name: string;
  /** Off until the operator confirms the launch spec (imported servers start off). */
  enabled: boolean;
  /** sha256 of the launch spec the operator confirmed; a different spec in config.yaml needs confirming again. */
  confirmedSpecSha256: string | null;
  /** The operator marked it trusted: its read-only tools (readOnlyHint) may run without asking. */
  trusted: boolean;
  /** Tools that may run without asking (still judged: a trusted, pinned definition is required). */
  allow: string[];
  /** Tools that never run. */
  deny: string[];
  /** Tool name → sha256 of its definition, as the operator accepted them; null before the first connection. */
  pins: Record<string, string> | null;
  pinnedAt: string | null;
  /** How the server came in: `config` (written by the operator), `add`, `import`. */
  origin: string;
  updatedAt: string;
}

interface Row {
  name: string;
  enabled: number;
  confirmed_spec_sha256: string | null;
  trusted: number;
  allow_json: string;
  deny_json: string;
  pins_json: string | null;
  pinned_at: string | null;
  origin: string;
  updated_at: string;
}

const toState = (row: Row): McpServerState => ({
  name: row.name,
  enabled: row.enabled === 1,
  confirmedSpecSha256: row.confirmed_spec_sha256,
  trusted: row.trusted === 1,
  allow: JSON.parse(row.allow_json) as string[],
  deny: JSON.parse(row.deny_json) as string[],
  pins: row.pins_json === null ? null : (JSON.parse(row.pins_json) as Record<string, string>),
  pinnedAt: row.pinned_at,
  origin: row.origin,
  updatedAt: row.updated_at,
});

/** Per-server trust, confirmation and pinned tool definitions (migration 15). */
export class McpServerRepository {
  constructor(private readonly db: SqliteDatabase) {}

  get(name: string): McpServerState | null {
    const row = this.db.prepare('SELECT * FROM mcp_servers WHERE name = ?').get(name) as Row | undefined;
    return row ? toState(row) : null;
  }

  list(): McpServerState[] {
    return (this.db.prepare('SELECT * FROM mcp_servers ORDER BY name').all() as Row[]).map(toState);
  }

  /** Creates or replaces the row with the given fields (the rest keep their value or default). */
  upsert(name: string, patch: Partial<Omit<McpServerState, 'name' | 'updatedAt'>>, now: Date = new Date()): McpServerState {
    const current = this.get(name);
    const next: McpServerState = {
      name,
      enabled: false,
      confirmedSpecSha256: null,
      trusted: false,
      allow: [],
      deny: [],
      pins: null,
      pinnedAt: null,
      origin: 'config',
      ...(current ?? {}),
      ...patch,
      updatedAt: now.toISOString(),
    };
    this.db
      .prepare(
        `INSERT INTO mcp_servers (name, enabled, confirmed_spec_sha256, trusted, allow_json, deny_json, pins_json, pinned_at, origin, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET enabled = excluded.enabled, confirmed_spec_sha256 = excluded.confirmed_spec_sha256, trusted = excluded.trusted,
           allow_json = excluded.allow_json, deny_json = excluded.deny_json, pins_json = excluded.pins_json, pinned_at = excluded.pinned_at,
           origin = excluded.origin, updated_at = excluded.updated_at`,
      )
      .run(
        name,
        next.enabled ? 1 : 0,
        next.confirmedSpecSha256,
        next.trusted ? 1 : 0,
        JSON.stringify(next.allow),
        JSON.stringify(next.deny),
        next.pins === null ? null : JSON.stringify(next.pins),
        next.pinnedAt,
        next.origin,
        next.updatedAt,
      );
    return this.get(name) as McpServerState;
  }

  /** Changes whenever a row is added, changed or removed (another process, the CLI, changed something). */
  stamp(): string {
    const row = this.db.prepare('SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM mcp_servers').get() as { n: number; last: string | null };
    return `${row.n}:${row.last ?? ''}`;
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM mcp_servers WHERE name = ?').run(name).changes === 1;
  }
}
