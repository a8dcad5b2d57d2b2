// The HTTP API over an SSH fleet with the BUILT server (issue 4 items 1, 3, 5, 6):
// /api/hosts (inventory; changes need the operator token), host key confirmation,
// /api/exec, and /api/chat answering "show status of tag:web" from real sshd hosts.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

describe('fleet HTTP API over real sshd hosts (built server)', () => {
  let fx: SshdFleet;
  let server: RunningServer;
  const home = mkdtempSync(join(tmpdir(), 'fm-ssh-api-'));

  beforeAll(async () => {
    fx = await startSshdHosts({ count: 3 });
    // An empty ~/.ssh: every host key must be confirmed through the API.
    mkdirSync(join(home, '.ssh'), { recursive: true });
    server = await startBuiltServer({ env: { HOME: home, SSH_AUTH_SOCK: '' } });
  });
  afterAll(async () => {
    await server?.stop();
    await fx?.stopAll();
    rmSync(home, { recursive: true, force: true });
  });

  const api = (path: string, init: { method?: string; body?: unknown; operator?: boolean } = {}) =>
    fetch(`${server.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(init.operator ? { Authorization: `Bearer ${server.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

  it('manages the inventory, confirms host keys, runs exec and answers chat about tag:web', async () => {
    // Inventory names differ from the hosts' own hostnames: hostnames in answers come from the hosts.
    const entries = fx.hosts.map((h, i) => ({
      name: `node-${i + 1}`,
      address: h.address,
      port: h.port,
      user: h.user,
      identityFile: fx.clientKeyPath,
      tags: i < 2 ? ['web'] : ['db'],
    }));
    expect((await api('/api/hosts', { body: entries[0] })).status).toBe(401);
    for (const e of entries) {
      const res = await api('/api/hosts', { body: e, operator: true });
      expect(res.status).toBe(201);
      expect((await json(res)).host).toMatchObject({ name: e.name, transport: 'ssh', tags: e.tags });
    }
    const bad = await api('/api/hosts', { body: { name: 'x y', address: 'a' }, operator: true });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('bad_request');
    const listed = (await json(api('/api/hosts'))) as { hosts: { name: string }[] };
    expect(listed.hosts.map((h) => h.name)).toEqual(['localhost', 'node-1', 'node-2', 'node-3']);

    // Unknown host keys: chat says so with the fingerprint, nothing runs.
    const before = await json(api('/api/chat', { body: { message: 'show status of tag:web' } }));
    expect(before.reply).toContain(fx.hosts[0]!.hostKeyFingerprint);
    expect(before.reply).toMatch(/not known/);

    // The operator looks at the key, then confirms exactly that fingerprint.
    expect((await api('/api/hosts/node-1/hostkey')).status).toBe(401);
    const scan = await json(api('/api/hosts/node-1/hostkey', { operator: true }));
    expect(scan).toMatchObject({ host: 'node-1', status: 'unknown', fingerprint: fx.hosts[0]!.hostKeyFingerprint, keyType: 'ssh-ed25519' });
    const wrong = await api('/api/hosts/node-1/trust', { body: { fingerprint: fx.hosts[1]!.hostKeyFingerprint }, operator: true });
    expect(wrong.status).toBe(409);
    expect((await api('/api/hosts/node-1/trust', { body: { fingerprint: fx.hosts[0]!.hostKeyFingerprint } })).status).toBe(401);
    for (const [i, h] of fx.hosts.entries()) {
      const res = await api(`/api/hosts/node-${i + 1}/trust`, { body: { fingerprint: h.hostKeyFingerprint }, operator: true });
      expect(res.status).toBe(200);
      expect((await json(res)).trusted).toMatchObject({ status: 'trusted', fingerprint: h.hostKeyFingerprint });
    }

    const chat = await json(api('/api/chat', { body: { message: 'show status of tag:web' } }));
    expect(chat.toolCalls[0]).toMatchObject({ tool: 'server_status', ok: true });
    expect(chat.reply).toContain('node-1');
    expect(chat.reply).toContain('node-2');
    expect(chat.reply).not.toContain('node-3');
    if (fx.isolation !== 'none') {
      expect(chat.reply).toContain(`Host: ${fx.hosts[0]!.name}`);
      expect(chat.reply).toContain(`Host: ${fx.hosts[1]!.name}`);
    }
    const viaHost = await json(api('/api/chat', { body: { message: 'memory usage', host: 'node-3' } }));
    expect(viaHost.toolCalls[0]).toMatchObject({ tool: 'memory', host: 'node-3', ok: true });

    // exec: operator only, per-host lines, policy applied.
    expect((await api('/api/exec', { body: { hosts: 'tag:web', command: 'hostname' } })).status).toBe(401);
    const exec = await json(api('/api/exec', { body: { hosts: 'tag:web', command: 'hostname' }, operator: true }));
    expect(exec.summary).toEqual({ hosts: 2, ok: 2, failed: 0, byCode: {} });
    if (fx.isolation !== 'none') expect(exec.results.map((r: { stdout: string }) => r.stdout.trim()).sort()).toEqual([fx.hosts[0]!.name, fx.hosts[1]!.name]);
    const refused = await json(api('/api/exec', { body: { hosts: 'node-1', command: 'rm -rf /tmp/x' }, operator: true }));
    expect(refused.results[0].error.code).toMatch(/policy_denied|approval_required/);
    expect((await api('/api/exec', { body: { hosts: 'tag:nope', command: 'uptime' }, operator: true })).status).toBe(400);

    // Remove.
    expect((await api('/api/hosts/node-3', { method: 'DELETE' })).status).toBe(401);
    expect((await api('/api/hosts/node-3', { method: 'DELETE', operator: true })).status).toBe(200);
    expect((await api('/api/hosts/node-3', { method: 'DELETE', operator: true })).status).toBe(404);
    const after = (await json(api('/api/hosts'))) as { hosts: { name: string }[] };
    expect(after.hosts.map((h) => h.name)).toEqual(['localhost', 'node-1', 'node-2']);
  });
});
