// API security (DESIGN: Contracts, "API security") against the real built server, with
// the server, its operator and an attacker as different OS users. Loopback is not a trust
// boundary: without credentials only the server's own OS user is served.
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatResponseSchema, ErrorResponseSchema, HealthSchema } from '../src/shared/protocol';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { canSwitchUsers, cliAs, createSystemUser, probeAs, probeOne, startServerAs, type OsUser, type ProbeResult, type UserServer } from './helpers/os-users';

const ATTACKER = 'nobody';
const chat = (url: string, message = 'Show server status', headers: Record<string, string> = {}) => ({
  url: `${url}/api/chat`,
  method: 'POST',
  body: { message },
  headers,
});
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function expectApiError(result: ProbeResult, status: number, code: string): string {
  expect(result.status, result.body).toBe(status);
  const parsed = ErrorResponseSchema.parse(JSON.parse(result.body ?? ''));
  expect(parsed.error.code).toBe(code);
  return parsed.error.message;
}

function sessionCookieOf(result: ProbeResult): string {
  const header = result.headers?.['set-cookie'];
  const line = Array.isArray(header) ? header[0]! : (header ?? '');
  return line;
}

describe.skipIf(!canSwitchUsers)('API security: who the server serves (real servers, different OS users)', () => {
  let owner: OsUser;
  let server: UserServer;
  /** Secrets handed out during the tests; none may ever reach the server's log. */
  const secrets: string[] = [];

  beforeAll(async () => {
    owner = createSystemUser();
    server = await startServerAs(owner, { env: { FLEETMIND_LOG_LEVEL: 'debug' } });
    secrets.push(server.token());
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    owner?.remove();
  });

  it('gives another local user nothing without credentials: 401 on chat and hosts, a bare health answer', () => {
    const [chatResult, hosts, conversations, metrics, health, page] = probeAs(ATTACKER, [
      chat(server.url),
      { url: `${server.url}/api/hosts` },
      { url: `${server.url}/api/conversations/anything` },
      { url: `${server.url}/metrics` },
      { url: `${server.url}/api/health` },
      { url: `${server.url}/`, headers: { Accept: 'text/html,application/xhtml+xml' } },
    ]);
    const message = expectApiError(chatResult!, 401, 'unauthorized');
    expect(message).toContain('Authorization: Bearer');
    expect(message).toContain('api-token');
    expectApiError(hosts!, 401, 'unauthorized');
    expectApiError(conversations!, 401, 'unauthorized');
    expectApiError(metrics!, 401, 'unauthorized');
    expect(health!.status).toBe(200);
    expect(JSON.parse(health!.body!)).toEqual({ status: 'ok' });
    // A browser gets a sign-in page that says how to get in, not the app and not raw JSON.
    expect(page!.status).toBe(401);
    expect(page!.headers!['content-type']).toMatch(/text\/html/);
    expect(page!.body).toContain('fleetmind ui-link');
    expect(page!.body).not.toContain(server.dataDir);
  });

  it('does not exempt root: a token-less request from root is refused too', () => {
    expectApiError(probeOne(null, chat(server.url)), 401, 'unauthorized');
    expectApiError(probeOne(null, { url: `${server.url}/api/hosts` }), 401, 'unauthorized');
  });

  it("serves the server's own OS user without a token: the README curl, the inventory, full health, metrics", () => {
    const [chatResult, hosts, health, metrics, approvals] = probeAs(owner.name, [
      chat(server.url),
      { url: `${server.url}/api/hosts` },
      { url: `${server.url}/api/health` },
      { url: `${server.url}/metrics` },
      { url: `${server.url}/api/approvals` },
    ]);
    expect(chatResult!.status, chatResult!.body).toBe(200);
    expect(ChatResponseSchema.parse(JSON.parse(chatResult!.body!)).reply).toContain(hostname());
    expect(hosts!.status).toBe(200);
    expect(HealthSchema.parse(JSON.parse(health!.body!)).dataDir).toBe(server.dataDir);
    expect(metrics!.status).toBe(200);
    expect(metrics!.body).toMatch(/^fleetmind_approvals_pending 0$/m);
    // Approving, running commands, settings and the audit log still need the operator token.
    expectApiError(approvals!, 401, 'unauthorized');
  });

  it('serves the operator token from any user, and refuses a wrong token even from the own user', () => {
    const [approvals, hosts] = probeAs(ATTACKER, [
      { url: `${server.url}/api/approvals`, headers: bearer(server.token()) },
      { url: `${server.url}/api/hosts`, headers: bearer(server.token()) },
    ]);
    expect(approvals!.status, approvals!.body).toBe(200);
    expect(hosts!.status).toBe(200);
    expectApiError(probeOne(owner.name, chat(server.url, 'hi', bearer('not-the-token'))), 401, 'unauthorized');
  });

  describe('over IPv6', () => {
    let v6: UserServer;
    let mapped: UserServer;
    beforeAll(async () => {
      v6 = await startServerAs(owner, { args: ['--host', '::1'] });
      // An IPv6 socket bound to the IPv4-mapped loopback: IPv4 clients arrive as ::ffff:127.0.0.1.
      mapped = await startServerAs(owner, { args: ['--host', '::ffff:127.0.0.1'] });
    }, 60_000);
    afterAll(async () => {
      await v6?.stop();
      await mapped?.stop();
    });

    it('tells the own user from another on ::1', () => {
      expect(v6.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect(probeOne(owner.name, chat(v6.url)).status).toBe(200);
      expectApiError(probeOne(ATTACKER, chat(v6.url)), 401, 'unauthorized');
      expect(JSON.parse(probeOne(ATTACKER, { url: `${v6.url}/api/health` }).body!)).toEqual({ status: 'ok' });
    });

    it('tells them apart for IPv4 clients of an IPv6 socket (IPv4-mapped addresses)', () => {
      const port = new URL(mapped.url).port;
      const url = `http://127.0.0.1:${port}`;
      expect(probeOne(owner.name, chat(url)).status).toBe(200);
      expectApiError(probeOne(ATTACKER, chat(url)), 401, 'unauthorized');
    });
  });

  describe('scoped tokens', () => {
    const tokens: Record<string, string> = {};
    const ids: Record<string, string> = {};
    beforeAll(() => {
      for (const scope of ['alerts:write', 'metrics:read', 'mcp:read', 'mcp:operator']) {
        const created = cliAs(owner.name, server.dataDir, ['token', 'create', '--scope', scope, '--name', `test ${scope}`, '--json']);
        expect(created.status, created.stderr).toBe(0);
        const parsed = JSON.parse(created.stdout) as { id: string; token: string; scope: string };
        expect(parsed.scope).toBe(scope);
        tokens[scope] = parsed.token;
        ids[scope] = parsed.id;
        secrets.push(parsed.token);
      }
    });

    it('never lets an alerts, metrics or MCP token approve, chat, run commands or read the inventory', () => {
      for (const [scope, token] of Object.entries(tokens)) {
        const [approve, list, chatResult, exec, hosts, audit] = probeAs(ATTACKER, [
          { url: `${server.url}/api/approvals/nonexistent`, method: 'POST', body: { decision: 'approve' }, headers: bearer(token) },
          { url: `${server.url}/api/approvals`, headers: bearer(token) },
          chat(server.url, 'Show server status', bearer(token)),
          { url: `${server.url}/api/exec`, method: 'POST', body: { hosts: 'localhost', command: 'id' }, headers: bearer(token) },
          { url: `${server.url}/api/hosts`, headers: bearer(token) },
          { url: `${server.url}/api/audit`, headers: bearer(token) },
        ]);
        for (const result of [approve, list, chatResult, exec, hosts, audit]) {
          const message = expectApiError(result!, 403, 'forbidden');
          expect(message, scope).toContain(scope);
        }
      }
      // The same holds when the server's own user presents a scoped token: the token says who is asking.
      expectApiError(probeOne(owner.name, { url: `${server.url}/api/approvals/x`, method: 'POST', body: { decision: 'approve' }, headers: bearer(tokens['mcp:operator']!) }), 403, 'forbidden');
    });

    it('lets a metrics:read token scrape /metrics and nothing else', () => {
      const [metrics, health] = probeAs(ATTACKER, [
        { url: `${server.url}/metrics`, headers: bearer(tokens['metrics:read']!) },
        { url: `${server.url}/api/health`, headers: bearer(tokens['metrics:read']!) },
      ]);
      expect(metrics!.status).toBe(200);
      expect(metrics!.body).toMatch(/^fleetmind_llm_budget_state 0$/m);
      expect(JSON.parse(health!.body!)).toEqual({ status: 'ok' });
      expectApiError(probeOne(ATTACKER, { url: `${server.url}/metrics`, headers: bearer(tokens['alerts:write']!) }), 403, 'forbidden');
    });

    it('lists tokens without their secrets, stores only hashes, and revokes', () => {
      const list = cliAs(owner.name, server.dataDir, ['token', 'list', '--json']);
      expect(list.status, list.stderr).toBe(0);
      for (const token of Object.values(tokens)) expect(list.stdout).not.toContain(token);
      const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; name: string; scope: string });
      expect(rows.map((r) => r.scope).sort()).toEqual(['alerts:write', 'mcp:operator', 'mcp:read', 'metrics:read']);
      const stored = ['fleetmind.db', 'fleetmind.db-wal']
        .map((f) => {
          try {
            return readFileSync(join(server.dataDir, f)).toString('latin1');
          } catch {
            return '';
          }
        })
        .join('');
      for (const token of Object.values(tokens)) expect(stored).not.toContain(token);

      const revoked = cliAs(owner.name, server.dataDir, ['token', 'revoke', ids['metrics:read']!]);
      expect(revoked.status, revoked.stderr).toBe(0);
      expectApiError(probeOne(ATTACKER, { url: `${server.url}/metrics`, headers: bearer(tokens['metrics:read']!) }), 401, 'unauthorized');
    });
  });

  describe('the UI bootstrap', () => {
    let cookie = '';

    it('turns the single-use link into a separate session id cookie, and the link is dead afterwards', () => {
      expect(server.uiUrl).not.toContain(server.token());
      const [first, replay] = probeAs(owner.name, [{ url: server.uiUrl }, { url: server.uiUrl, headers: { Accept: 'text/html' } }]);
      expect(first!.status).toBe(303);
      expect(first!.headers!.location).toBe('/');
      const setCookie = sessionCookieOf(first!);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).toMatch(/Max-Age=\d+/);
      cookie = setCookie.split(';')[0]!;
      const value = cookie.slice(cookie.indexOf('=') + 1);
      expect(value.length).toBeGreaterThanOrEqual(32);
      expect(value).not.toContain(server.token());
      expect(decodeURIComponent(value)).not.toBe(server.token());
      secrets.push(value, new URL(server.uiUrl).pathname.split('/').pop()!);
      // Replaying the link (browser history, a log, a shoulder) gets the sign-in page.
      expect(replay!.status).toBe(401);
      expect(replay!.body).toContain('fleetmind ui-link');
    });

    it('gives the session operator rights for the user whose browser opened the link, and no one else', () => {
      const [session, approvals] = probeAs(owner.name, [
        { url: `${server.url}/api/session`, headers: { Cookie: cookie } },
        { url: `${server.url}/api/approvals`, headers: { Cookie: cookie } },
      ]);
      expect(JSON.parse(session!.body!)).toEqual({ operator: true });
      expect(approvals!.status).toBe(200);
      // The cookie leaks to every service on 127.0.0.1 (cookies ignore ports); another user holding it gets nothing.
      expectApiError(probeOne(ATTACKER, { url: `${server.url}/api/approvals`, headers: { Cookie: cookie } }), 401, 'unauthorized');
    });

    it('makes a fresh link on demand with `fleetmind ui-link`', () => {
      const made = cliAs(owner.name, server.dataDir, ['ui-link']);
      expect(made.status, made.stderr).toBe(0);
      const link = made.stdout.trim();
      expect(link).toMatch(new RegExp(`^${server.url.replace(/[.[\]]/g, '\\$&')}/auth/[A-Za-z0-9_-]{32,}$`));
      secrets.push(link.split('/').pop()!);
      const [used, again] = probeAs(owner.name, [{ url: link }, { url: link }]);
      expect(used!.status).toBe(303);
      expect(again!.status).toBe(401);
    });

    it('`fleetmind token rotate` replaces the operator token and ends UI sessions', () => {
      const old = server.token();
      expect(probeOne(ATTACKER, { url: `${server.url}/api/approvals`, headers: bearer(old) }).status).toBe(200);
      const rotated = cliAs(owner.name, server.dataDir, ['token', 'rotate']);
      expect(rotated.status, rotated.stderr).toBe(0);
      const fresh = server.token();
      expect(fresh).not.toBe(old);
      expect(rotated.stdout + rotated.stderr).not.toContain(fresh);
      secrets.push(fresh);
      expectApiError(probeOne(ATTACKER, { url: `${server.url}/api/approvals`, headers: bearer(old) }), 401, 'unauthorized');
      expect(probeOne(ATTACKER, { url: `${server.url}/api/approvals`, headers: bearer(fresh) }).status).toBe(200);
      // The old session is gone; the own user is back to token-less rights.
      expect(JSON.parse(probeOne(owner.name, { url: `${server.url}/api/session`, headers: { Cookie: cookie } }).body!)).toEqual({ operator: false });
      // The operator can ask for the token when they need it.
      const shown = cliAs(owner.name, server.dataDir, ['token', 'show']);
      expect(shown.stdout.trim()).toBe(fresh);
    });
  });

  it('keeps the data dir 0700 and every file in it 0600', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return lstatSync(path).isDirectory() ? [path, ...walk(path)] : [path];
      });
    expect(lstatSync(server.dataDir).mode & 0o777).toBe(0o700);
    const entries = walk(server.dataDir);
    expect(entries.map((p) => p.slice(server.dataDir.length + 1))).toEqual(expect.arrayContaining(['fleetmind.db', 'fleetmind.db-wal', 'fleetmind.db-shm', 'api-token', 'audit.key']));
    for (const path of entries) {
      const stat = lstatSync(path);
      expect({ path, mode: (stat.mode & 0o777).toString(8) }).toEqual({ path, mode: stat.isDirectory() ? '700' : '600' });
    }
  });

  it('writes no credential into its log, even at debug level', () => {
    const log = server.stderr();
    const logLines = log.split('\n').filter((l) => l.startsWith('{'));
    // The log is really there (request lines at debug/info), so the check below means something.
    expect(logLines.filter((l) => l.includes('"incoming request"')).length, log.slice(-2000)).toBeGreaterThan(10);
    expect(logLines.filter((l) => l.includes('"url":"/auth/<redacted>"')).length, `${logLines.length} lines; ${log.length} chars; last: ${log.slice(-600)}`).toBeGreaterThan(2);
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) expect(logLines.join('\n')).not.toContain(secret);
    // The start banner names the single-use link, never the token.
    expect(log).not.toContain(secrets[0]!);
    expect(server.stdout()).not.toContain(secrets[0]!);
  });
});

describe.skipIf(!canSwitchUsers)('API security: a request whose socket is already closed (server running as root)', () => {
  let rootServer: RunningServer;
  beforeAll(async () => {
    rootServer = await startBuiltServer();
  }, 60_000);
  afterAll(async () => {
    await rootServer?.stop();
  });

  it('never serves it as the orphaned socket row (uid 0) says', async () => {
    const marker = `orphan-probe-${Date.now()}`;
    const requests = Array.from({ length: 24 }, (_, i) => ({ ...chat(rootServer.url, `${marker} ${i} show server status`), sendAndClose: i % 2 === 0 ? true : ('destroy' as const) }));
    const sent = probeAs(ATTACKER, requests);
    expect(sent.every((r) => r.sent)).toBe(true);
    // The server's own user (root here) is still served, and by now every probe has been handled.
    await new Promise((r) => setTimeout(r, 1500));
    expect(probeOne(null, chat(rootServer.url)).status).toBe(200);
    const list = await (await fetch(`${rootServer.url}/api/conversations`, { headers: bearer(rootServer.token) })).json();
    const titles = (list as { conversations: { title: string }[] }).conversations.map((c) => c.title);
    expect(titles.filter((t) => t.includes(marker))).toEqual([]);
  });
});
