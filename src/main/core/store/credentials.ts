import type { SqliteDatabase } from './database';

/**
 * API credentials besides the operator token (which lives in a 0600 file): scoped tokens,
 * single-use UI sign-in links and UI sessions. Only SHA-256 digests are stored, so a copy
 * of the database hands out nothing; the server layer makes and checks the secrets.
 */
export interface ApiTokenRecord {
  id: string;
  name: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface UiSessionRecord {
  /** The OS user whose connection redeemed the link (null where the kernel could not say). */
  uid: number | null;
  expiresAt: string;
}

interface TokenRow {
  id: string;
  name: string;
  scope: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const toRecord = (r: TokenRow): ApiTokenRecord => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

export class CredentialRepository {
  constructor(private readonly db: SqliteDatabase) {}

  addToken(token: { id: string; name: string; scope: string; digest: string }, now = new Date()): ApiTokenRecord {
    this.db
      .prepare('INSERT INTO api_tokens (id, name, scope, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(token.id, token.name, token.scope, token.digest, now.toISOString());
    return this.token(token.id)!;
  }

  token(id: string): ApiTokenRecord | null {
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** The token with this digest, revoked ones included (the caller refuses those). */
  tokenByDigest(digest: string): ApiTokenRecord | null {
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE token_sha256 = ?').get(digest) as TokenRow | undefined;
    return row ? toRecord(row) : null;
  }

  listTokens(): ApiTokenRecord[] {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id').all() as TokenRow[]).map(toRecord);
  }

  revokeToken(id: string, now = new Date()): boolean {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now.toISOString(), id).changes > 0;
  }

  touchToken(id: string, now = new Date()): void {
    this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now.toISOString(), id);
  }

  addLink(digest: string, expiresAt: Date, now = new Date()): void {
    this.db.prepare('INSERT INTO ui_links (link_sha256, created_at, expires_at) VALUES (?, ?, ?)').run(digest, now.toISOString(), expiresAt.toISOString());
  }

  /** Uses a sign-in link up: true once, for a link that exists and has not expired; never again. */
  consumeLink(digest: string, now = new Date()): boolean {
    const row = this.db.prepare('DELETE FROM ui_links WHERE link_sha256 = ? RETURNING expires_at').get(digest) as { expires_at: string } | undefined;
    return row !== undefined && row.expires_at > now.toISOString();
  }

  addSession(session: { digest: string; uid: number | null; expiresAt: Date }, now = new Date()): void {
    this.db
      .prepare('INSERT INTO ui_sessions (session_sha256, uid, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(session.digest, session.uid, now.toISOString(), session.expiresAt.toISOString());
  }

  /** A session that exists and has not expired. */
  session(digest: string, now = new Date()): UiSessionRecord | null {
    const row = this.db.prepare('SELECT uid, expires_at FROM ui_sessions WHERE session_sha256 = ? AND expires_at > ?').get(digest, now.toISOString()) as
      | { uid: number | null; expires_at: string }
      | undefined;
    return row ? { uid: row.uid, expiresAt: row.expires_at } : null;
  }

  endSession(digest: string): void {
    this.db.prepare('DELETE FROM ui_sessions WHERE session_sha256 = ?').run(digest);
  }

  /** Ends every UI session and voids every unused link (the operator token was rotated). */
  endAllSessions(): { sessions: number; links: number } {
    return this.db.transaction(() => ({
      sessions: this.db.prepare('DELETE FROM ui_sessions').run().changes,
      links: this.db.prepare('DELETE FROM ui_links').run().changes,
    }))();
  }

  purgeExpired(now = new Date()): void {
    const at = now.toISOString();
    this.db.prepare('DELETE FROM ui_sessions WHERE expires_at <= ?').run(at);
    this.db.prepare('DELETE FROM ui_links WHERE expires_at <= ?').run(at);
  }
}
