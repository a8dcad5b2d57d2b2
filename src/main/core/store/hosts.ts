import type { Host } from '../../../shared/protocol';
import type { SqliteDatabase } from './database';
import { HostKeyRepository } from './host-keys';

interface HostRow {
  name: string;
  address: string;
  port: number;
  user: string | null;
  identity_file: string | null;
  tags_json: string;
  jump: string | null;
  privacy: Host['privacy'];
}

/** Inventory rows. Hosts stored here are reached over SSH; the local machine is built in (see fleet). */
export class HostRepository {
  /** Host keys the operator confirmed for these hosts (Fleetmind's known_hosts). */
  readonly keys: HostKeyRepository;

  constructor(private readonly db: SqliteDatabase) {
    this.keys = new HostKeyRepository(db);
  }

  list(): Host[] {
    const rows = this.db.prepare('SELECT * FROM hosts ORDER BY name').all() as HostRow[];
    return rows.map(toHost);
  }

  get(name: string): Host | null {
    const row = this.db.prepare('SELECT * FROM hosts WHERE name = ?').get(name) as HostRow | undefined;
    return row ? toHost(row) : null;
  }

  upsert(host: Omit<Host, 'transport'>): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO hosts (name, address, port, user, identity_file, tags_json, jump, privacy, created_at, updated_at)
         VALUES (@name, @address, @port, @user, @identityFile, @tags, @jump, @privacy, @now, @now)
         ON CONFLICT(name) DO UPDATE SET address = excluded.address, port = excluded.port, user = excluded.user,
           identity_file = excluded.identity_file, tags_json = excluded.tags_json, jump = excluded.jump,
           privacy = excluded.privacy, updated_at = excluded.updated_at`,
      )
      .run({ ...host, tags: JSON.stringify(host.tags), now });
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM hosts WHERE name = ?').run(name).changes > 0;
  }
}

function toHost(row: HostRow): Host {
  return {
    name: row.name,
    address: row.address,
    port: row.port,
    user: row.user,
    identityFile: row.identity_file,
    tags: JSON.parse(row.tags_json) as string[],
    jump: row.jump,
    privacy: row.privacy,
    transport: 'ssh',
  };
}
