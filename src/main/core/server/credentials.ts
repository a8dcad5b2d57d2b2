import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenScopeSchema, type ApiTokenInfo, type CreatedApiToken, type TokenScope } from '../../../shared/protocol';
import type { ApiTokenRecord, CredentialRepository, UiSessionRecord } from '../store';

export const TOKEN_FILE = 'api-token';
/** A sign-in link works once, within this time. */
export const LINK_TTL_MS = 10 * 60_000;
/** A UI session ends this long after the link was used (open a new link then). */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
/** Scoped tokens start with this, so secret scanners and people can tell them apart. */
const SCOPED_PREFIX = 'fm_';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
const digestHex = (text: string): string => sha256(text).toString('hex');
const randomSecret = (): string => randomBytes(32).toString('base64url');

/**
 * The operator token: the one credential that can do everything. It lives only in
 * `<data dir>/api-token` (0600); it is never printed, logged, put in a URL or a cookie.
 * A running server re-reads the file when it changes, so `fleetmind token rotate`
 * takes effect at once.
 */
export class OperatorToken {
  readonly path: string;
  private cached: { key: string; digest: Buffer } | null = null;

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, TOKEN_FILE);
  }

  /** Makes sure the file exists (0600) with a usable token. */
  ensure(): void {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (existsSync(this.path)) {
      chmodSync(this.path, 0o600);
      if (this.read() !== null) return;
    }
    this.write(randomSecret());
  }

  /** The token, for `fleetmind token show` (the operator asked for it); null when there is none. */
  read(): string | null {
    try {
      const token = readFileSync(this.path, 'utf8').trim();
      return token.length >= 32 ? token : null;
    } catch {
      return null;
    }
  }

  /** True when `candidate` is the current operator token (constant time). */
  matches(candidate: string): boolean {
    const current = this.currentDigest();
    return current !== null && timingSafeEqual(current, sha256(candidate));
  }

  /** Replaces the token with a new random one (atomically: a reader sees the old or the new). */
  rotate(): void {
    this.write(randomSecret());
  }

  private currentDigest(): Buffer | null {
    let key: string;
    try {
      const stat = statSync(this.path);
      key = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      this.cached = null;
      return null;
    }
    if (this.cached?.key !== key) {
      const token = this.read();
      if (token === null) return null;
      this.cached = { key, digest: sha256(token) };
    }
    return this.cached.digest;
  }

  private write(token: string): void {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    } finally {
      rmSync(tmp, { force: true });
    }
    this.cached = null;
  }
}

export type BearerIdentity = { kind: 'operator' } | { kind: 'scoped'; id: string; name: string; scope: TokenScope };

const toInfo = (r: ApiTokenRecord): ApiTokenInfo => ({
  id: r.id,
  name: r.name,
  scope: TokenScopeSchema.parse(r.scope),
  createdAt: r.createdAt,
  lastUsedAt: r.lastUsedAt,
  revokedAt: r.revokedAt,
});

/**
 * Every credential of the HTTP API, for the server and for `fleetmind token`/`ui-link`
 * (which run in another process on the same data dir and store). Secrets are random
 * 256-bit strings; the store keeps their SHA-256 only.
 */
export class Credentials {
  readonly operator: OperatorToken;
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly repo: CredentialRepository,
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.operator = new OperatorToken(dataDir);
  }

  // --- scoped tokens -------------------------------------------------------------

  createToken(scope: TokenScope, name?: string): CreatedApiToken {
    const token = `${SCOPED_PREFIX}${randomSecret()}`;
    const record = this.repo.addToken({ id: randomBytes(4).toString('hex'), name: name?.trim() || `${scope} token`, scope, digest: digestHex(token) }, this.now());
    return { ...toInfo(record), token };
  }

  listTokens(): ApiTokenInfo[] {
    return this.repo.listTokens().map(toInfo);
  }

  revokeToken(id: string): boolean {
    return this.repo.revokeToken(id, this.now());
  }

  /** Who a bearer token is: the operator, a live scoped token, or nobody (null). */
  verifyBearer(token: string): BearerIdentity | null {
    if (this.operator.matches(token)) return { kind: 'operator' };
    if (!token.startsWith(SCOPED_PREFIX)) return null;
    const record = this.repo.tokenByDigest(digestHex(token));
    if (!record || record.revokedAt !== null) return null;
    const scope = TokenScopeSchema.safeParse(record.scope);
    if (!scope.success) return null;
    // Last use is for `token list`; once a minute is plenty and keeps scrapes from writing every time.
    const at = this.now();
    if (at.getTime() - (this.touched.get(record.id) ?? 0) > 60_000) {
      this.touched.set(record.id, at.getTime());
      this.repo.touchToken(record.id, at);
    }
    return { kind: 'scoped', id: record.id, name: record.name, scope: scope.data };
  }

  // --- UI sign-in links and sessions ----------------------------------------------

  /** A new single-use sign-in code (the path segment after /auth/). */
  createLink(): string {
    const code = randomSecret();
    const now = this.now();
    this.repo.purgeExpired(now);
    this.repo.addLink(digestHex(code), new Date(now.getTime() + LINK_TTL_MS), now);
    return code;
  }

  /** Uses the code up; true once for a live code. */
  redeemLink(code: string): boolean {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(code)) return false;
    return this.repo.consumeLink(digestHex(code), this.now());
  }

  /** A new UI session bound to the OS user that redeemed the link (null where unknown). */
  createSession(uid: number | null): { id: string; maxAgeSeconds: number } {
    const id = randomSecret();
    const now = this.now();
    this.repo.addSession({ digest: digestHex(id), uid, expiresAt: new Date(now.getTime() + SESSION_TTL_MS) }, now);
    return { id, maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000) };
  }

  session(id: string): UiSessionRecord | null {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(id)) return null;
    return this.repo.session(digestHex(id), this.now());
  }

  endSession(id: string): void {
    this.repo.endSession(digestHex(id));
  }

  /** New operator token; every UI session and unused link ends with the old one. */
  rotateOperatorToken(): { sessions: number; links: number } {
    this.operator.rotate();
    return this.repo.endAllSessions();
  }
}
