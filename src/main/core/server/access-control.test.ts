import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store';
import { installAccessControl, sessionCookieName } from './access-control';
import { Credentials } from './credentials';
import type { PeerIdentity } from './peer-credentials';
import { sessionRoutes } from './routes/session';

const OWN_UID = 1000;
let dir: string;
let store: Store;
let credentials: Credentials;
let app: FastifyInstance;
let url: string;
/** The uid the fake kernel reports for the next connections. */
let peer: PeerIdentity;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fm-ac-'));
  store = Store.inMemory();
  credentials = new Credentials(store.credentials, dir);
  credentials.operator.ensure();
  peer = { uid: OWN_UID };
  app = Fastify();
  installAccessControl(app, { credentials, ownUid: OWN_UID, identifyPeer: async () => peer });
  app.post('/api/chat', { config: { access: 'local', what: 'chatting' } }, async () => ({ ok: true }));
  app.post('/api/approvals/:id', { config: { access: 'operator', what: 'deciding an approval' } }, async () => ({ decided: true }));
  app.get('/metrics', { config: { access: 'metrics:read', what: 'reading metrics' } }, async () => 'm 1\n');
  app.get('/', async () => 'the app');
  await app.register(sessionRoutes, { credentials });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

// A fresh connection per request, so each sees the current fake peer.
const call = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { Connection: 'close', ...(init.headers ?? {}) }, redirect: 'manual' });
const post = (path: string, headers: Record<string, string> = {}) => call(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' });

describe('access control', () => {
  it('serves the own uid without credentials, and nobody else (root included)', async () => {
    expect((await post('/api/chat')).status).toBe(200);
    for (const other of [{ uid: 0 }, { uid: 1001 }, { uid: null, reason: 'orphaned' as const }, { uid: null, reason: 'unsupported' as const }]) {
      peer = other;
      const res = await post('/api/chat');
      expect(res.status, JSON.stringify(other)).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('Authorization: Bearer <token from DATA_DIR/api-token>');
    }
  });

  it('gives browsers the sign-in page instead of JSON', async () => {
    peer = { uid: 1001 };
    const res = await call('/', { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('fleetmind ui-link');
  });

  it('lets credentials decide when present: a wrong token is refused even for the own uid', async () => {
    expect((await post('/api/chat', { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/api/chat', { Authorization: 'Basic abc' })).status).toBe(401);
    const metrics = credentials.createToken('metrics:read');
    expect((await post('/api/chat', { Authorization: `Bearer ${metrics.token}` })).status).toBe(403);
    expect((await call('/metrics', { headers: { Authorization: `Bearer ${metrics.token}` } })).status).toBe(200);
    peer = { uid: 1001 };
    expect((await post('/api/approvals/x', { Authorization: `Bearer ${credentials.operator.read()}` })).status).toBe(200);
  });

  it('binds a UI session to the uid that used the link', async () => {
    const code = credentials.createLink();
    const res = await call(`/auth/${code}`);
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie.startsWith(`${sessionCookieName(Number(new URL(url).port))}=`)).toBe(true);
    expect((await post('/api/approvals/x', { Cookie: cookie })).status).toBe(200);
    peer = { uid: 1001 };
    expect((await post('/api/approvals/x', { Cookie: cookie })).status).toBe(401);
    // A session cookie under another port's name is not ours.
    peer = { uid: OWN_UID };
    expect((await post('/api/approvals/x', { Cookie: cookie.replace(/_\d+=/, '_1=') })).status).toBe(401);
  });

  it('does not use a link up for a loopback connection the kernel cannot vouch for', async () => {
    const code = credentials.createLink();
    peer = { uid: null, reason: 'orphaned' };
    expect((await call(`/auth/${code}`)).status).toBe(401);
    peer = { uid: OWN_UID };
    expect((await call(`/auth/${code}`)).status).toBe(303);
  });

  it('refuses to start with a guarded route that declares no access level', async () => {
    const bare = Fastify();
    installAccessControl(bare, { credentials, ownUid: OWN_UID });
    expect(() => bare.get('/api/forgotten', async () => 'oops')).toThrow(/declares no access level/);
    await bare.close();
  });
});

describe('loggableUrl', () => {
  it('keeps the path, drops query strings and cuts sign-in codes out, however spelled', async () => {
    const { loggableUrl } = await import('./http-server');
    expect(loggableUrl('/api/chat')).toBe('/api/chat');
    expect(loggableUrl('/api/audit?kind=request&token=abc')).toBe('/api/audit');
    expect(loggableUrl('/auth/SECRETCODE')).toBe('/auth/<redacted>');
    expect(loggableUrl('//auth/SECRETCODE')).toBe('/auth/<redacted>');
    expect(loggableUrl('/%61uth/SECRETCODE')).toBe('/auth/<redacted>');
    expect(loggableUrl('/AUTH/SECRETCODE?x=1')).toBe('/auth/<redacted>');
    expect(loggableUrl('/auth?token=SECRET')).toBe('/auth');
  });
});
