import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store';
import { Credentials, LINK_TTL_MS, SESSION_TTL_MS } from './credentials';

let dir: string;
let store: Store;
let clock: Date;
let credentials: Credentials;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fm-cred-'));
  store = Store.inMemory();
  clock = new Date('2026-01-01T00:00:00Z');
  credentials = new Credentials(store.credentials, dir, () => clock);
  credentials.operator.ensure();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

describe('operator token', () => {
  it('lives only in a 0600 file and matches nothing else', () => {
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(43);
    expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o600);
    expect(credentials.verifyBearer(token)).toEqual({ kind: 'operator' });
    expect(credentials.verifyBearer(`${token}x`)).toBeNull();
    expect(credentials.verifyBearer('')).toBeNull();
  });

  it('keeps an existing token and tightens its mode', () => {
    const token = 'k'.repeat(43);
    writeFileSync(join(dir, 'api-token'), `${token}\n`, { mode: 0o644 });
    credentials.operator.ensure();
    expect(credentials.operator.read()).toBe(token);
    expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o600);
  });

  it('rotates: the old token stops working at once (the file is re-read), sessions and links end', () => {
    const old = credentials.operator.read()!;
    const session = credentials.createSession(1000);
    const link = credentials.createLink();
    expect(credentials.rotateOperatorToken()).toEqual({ sessions: 1, links: 1 });
    const fresh = credentials.operator.read()!;
    expect(fresh).not.toBe(old);
    expect(credentials.verifyBearer(old)).toBeNull();
    expect(credentials.verifyBearer(fresh)).toEqual({ kind: 'operator' });
    expect(credentials.session(session.id)).toBeNull();
    expect(credentials.redeemLink(link)).toBe(false);
    expect(statSync(join(dir, 'api-token')).mode & 0o777).toBe(0o600);
  });

  it('follows a rotation made by another process (another Credentials on the same files)', () => {
    const other = new Credentials(store.credentials, dir, () => clock);
    const old = credentials.operator.read()!;
    expect(credentials.verifyBearer(old)).toEqual({ kind: 'operator' });
    other.rotateOperatorToken();
    expect(credentials.verifyBearer(old)).toBeNull();
    expect(credentials.verifyBearer(other.operator.read()!)).toEqual({ kind: 'operator' });
  });

  it('refuses everything when the file is gone', () => {
    const token = credentials.operator.read()!;
    rmSync(join(dir, 'api-token'));
    expect(credentials.verifyBearer(token)).toBeNull();
  });
});

describe('scoped tokens', () => {
  it('are printed once, stored as a hash, checked by scope and revocable', () => {
    const created = credentials.createToken('metrics:read', 'prometheus');
    expect(created.token).toMatch(/^fm_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: 'prometheus', scope: 'metrics:read', revokedAt: null });
    const rows = store.db.prepare('SELECT * FROM api_tokens').all();
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(credentials.verifyBearer(created.token)).toEqual({ kind: 'scoped', id: created.id, name: 'prometheus', scope: 'metrics:read' });
    expect(credentials.listTokens()[0]!.lastUsedAt).toBe(clock.toISOString());
    expect(JSON.stringify(credentials.listTokens())).not.toContain(created.token);
    expect(credentials.revokeToken(created.id)).toBe(true);
    expect(credentials.revokeToken(created.id)).toBe(false);
    expect(credentials.verifyBearer(created.token)).toBeNull();
  });

  it('never takes a scoped token for the operator, nor a look-alike for a scoped one', () => {
    const created = credentials.createToken('mcp:operator');
    expect(credentials.verifyBearer(created.token)?.kind).toBe('scoped');
    expect(credentials.verifyBearer(created.token.slice(0, -1))).toBeNull();
    expect(credentials.createToken('alerts:write').name).toBe('alerts:write token');
  });
});

describe('sign-in links and sessions', () => {
  it('a link works once', () => {
    const code = credentials.createLink();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentials.redeemLink(code)).toBe(true);
    expect(credentials.redeemLink(code)).toBe(false);
    expect(credentials.redeemLink('made-up-code-made-up-code')).toBe(false);
    expect(credentials.redeemLink('../../etc')).toBe(false);
  });

  it('a link expires', () => {
    const code = credentials.createLink();
    later(LINK_TTL_MS + 1);
    expect(credentials.redeemLink(code)).toBe(false);
  });

  it('a session is random, bound to a uid, and expires', () => {
    const a = credentials.createSession(1000);
    const b = credentials.createSession(null);
    expect(a.id).not.toBe(b.id);
    expect(a.maxAgeSeconds).toBe(SESSION_TTL_MS / 1000);
    expect(credentials.session(a.id)).toMatchObject({ uid: 1000 });
    expect(credentials.session(b.id)).toMatchObject({ uid: null });
    expect(JSON.stringify(store.db.prepare('SELECT * FROM ui_sessions').all())).not.toContain(a.id);
    later(SESSION_TTL_MS + 1);
    expect(credentials.session(a.id)).toBeNull();
  });
});
