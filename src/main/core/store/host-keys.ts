import type { SqliteDatabase } from './database';

/** A host key the operator confirmed; the fleet module trusts exactly these. */
export interface HostKeyRecord {
  /** `[address]:port`, or the plain address on port 22 (OpenSSH known_hosts naming). */
  endpoint: string;
  hostName: string;
  keyType: string;
  keyBase64: string;
  fingerprint: string;
  addedAt: string;
  addedBy: string;
}

interface HostKeyRow {
  endpoint: string;
  key_type: string;
  key_base64: string;
  fingerprint: string;
  host_name: string;
  added_at: string;
  added_by: string;
}

const toRecord = (r: HostKeyRow): HostKeyRecord => ({
  endpoint: r.endpoint,
  hostName: r.host_name,
  keyType: r.key_type,
  keyBase64: r.key_base64,
  fingerprint: r.fingerprint,
  addedAt: r.added_at,
  addedBy: r.added_by,
});

/** Fleetmind's own known_hosts: keys confirmed with `fleetmind hosts trust` or the API. */
export class HostKeyRepository {
  constructor(private readonly db: SqliteDatabase) {}

  list(): HostKeyRecord[] {
    return (this.db.prepare('SELECT * FROM host_keys ORDER BY endpoint, key_type').all() as HostKeyRow[]).map(toRecord);
  }

  forEndpoint(endpoint: string): HostKeyRecord[] {
    return (this.db.prepare('SELECT * FROM host_keys WHERE endpoint = ? ORDER BY key_type').all(endpoint) as HostKeyRow[]).map(toRecord);
  }

  /** The confirmed key becomes the endpoint's only key: a replaced (changed) key is dropped in the same transaction. */
  trust(key: Omit<HostKeyRecord, 'addedAt'>): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM host_keys WHERE endpoint = ?').run(key.endpoint);
      this.db
        .prepare(
          `INSERT INTO host_keys (endpoint, key_type, key_base64, fingerprint, host_name, added_at, added_by)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(key.endpoint, key.keyType, key.keyBase64, key.fingerprint, key.hostName, now, key.addedBy);
    })();
  }

  /**
   * The endpoint's keys become exactly these (`hosts import` from the config's known_hosts
   * files: a host may list several key types); returns the fingerprints that were dropped.
   */
  replaceAll(endpoint: string, keys: readonly Omit<HostKeyRecord, 'addedAt' | 'endpoint'>[]): string[] {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const before = this.forEndpoint(endpoint).map((k) => k.fingerprint);
      this.db.prepare('DELETE FROM host_keys WHERE endpoint = ?').run(endpoint);
      const insert = this.db.prepare(
        `INSERT OR REPLACE INTO host_keys (endpoint, key_type, key_base64, fingerprint, host_name, added_at, added_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const k of keys) insert.run(endpoint, k.keyType, k.keyBase64, k.fingerprint, k.hostName, now, k.addedBy);
      const kept = new Set(keys.map((k) => k.fingerprint));
      return before.filter((f) => !kept.has(f));
    })();
  }

  forget(endpoint: string): number {
    return this.db.prepare('DELETE FROM host_keys WHERE endpoint = ?').run(endpoint).changes;
  }
}
