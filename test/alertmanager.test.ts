import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertList, AlertView } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

/**
 * Debian's prometheus-alertmanager (scripts/install-system-deps.sh installs it), started by
 * the test on loopback with clustering off, its webhook pointed at the built Fleetmind server
 * with an alerts:write token as `http_config.authorization` sends it: a real alert posted to
 * Alertmanager's API arrives, then its resolution closes it.
 */
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | null>, tries = 240, everyMs = 250): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!existsSync(ALERTMANAGER))('Alertmanager delivers a real alert to POST /api/alerts', { timeout: 300_000 }, () => {
  let server: RunningServer;
  let am: ChildProcess | null = null;
  let amLog = '';
  let amUrl = '';
  const work = mkdtempSync(join(tmpdir(), 'fm-alertmanager-'));

  beforeAll(async () => {
    server = await startBuiltServer({ env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '' } });
    const { stdout } = await run(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'token', 'create', '--scope', 'alerts:write', '--name', 'alertmanager', '--json'], { env: { ...process.env, FLEETMIND_HOME: server.dataDir }, timeout: 60_000 });
    const token = (JSON.parse(stdout) as { token: string }).token;
    const config = join(work, 'alertmanager.yml');
    writeFileSync(
      config,
      [
        'route:',
        '  receiver: fleetmind',
        '  group_by: [alertname]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: fleetmind',
        '    webhook_configs:',
        `      - url: ${server.url}/api/alerts`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${JSON.stringify(token)}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    am = spawn(ALERTMANAGER, [`--config.file=${config}`, `--storage.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
    am.stdout!.on('data', (c: Buffer) => (amLog += c.toString()));
    am.stderr!.on('data', (c: Buffer) => (amLog += c.toString()));
    await until('Alertmanager to be ready', async () => {
      if (am?.exitCode !== null) throw new Error(`alertmanager exited: ${amLog}`);
      const res = await fetch(`${amUrl}/-/ready`);
      return res.ok ? true : null;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${amLog}`);
    });
  });

  afterAll(async () => {
    if (am && am.exitCode === null) {
      const exited = new Promise((r) => am!.once('exit', r));
      am.kill('SIGTERM');
      const timer = setTimeout(() => am?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const alertsNamed = async (name: string): Promise<AlertView[]> => {
    const res = await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${server.token}` } });
    return ((await res.json()) as AlertList).alerts.filter((a) => a.name === name);
  };

  it('fires, is explained, and resolves', async () => {
    const startsAt = new Date().toISOString();
    const alert = { labels: { alertname: 'FleetmindE2E', instance: 'localhost:9100', severity: 'warning', mountpoint: '/' }, annotations: { summary: 'root file system is 95 % full' }, startsAt, generatorURL: 'http://prometheus.example/graph' };
    const posted = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([alert]) });
    expect(posted.status).toBe(200);

    const [arrived] = await until('the alert to reach Fleetmind', async () => {
      const found = await alertsNamed('FleetmindE2E');
      return found.length > 0 ? found : null;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nalertmanager log:\n${amLog}\nserver log:\n${server.stderr()}`);
    });
    expect(arrived).toMatchObject({ source: 'alertmanager', host: 'localhost', severity: 'warning', summary: 'root file system is 95 % full' });
    expect(arrived!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(arrived!.groupKey).toContain('FleetmindE2E');
    expect(Date.parse(arrived!.startsAt)).toBe(Date.parse(startsAt));

    const explained = await until('the interpretation', async () => {
      const [a] = await alertsNamed('FleetmindE2E');
      return a?.interpretation?.status === 'done' ? a : null;
    });
    expect(explained.interpretation!.text).toMatch(/^Likely cause: a file system is filling up on localhost/);
    expect(explained.interpretation!.context.some((c) => c.source === 'history of disk_used_ratio{mount="/"}')).toBe(true);

    // Resolve it in Alertmanager: the resolved notification closes the alert here.
    const resolved = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ ...alert, endsAt: new Date().toISOString() }]) });
    expect(resolved.status).toBe(200);
    const closed = await until('the resolved notification', async () => {
      const [a] = await alertsNamed('FleetmindE2E');
      return a?.state === 'resolved' ? a : null;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nalertmanager log:\n${amLog}`);
    });
    expect(closed.id).toBe(arrived!.id);
    expect(closed.notifications).toBeGreaterThanOrEqual(1);
    expect(await alertsNamed('FleetmindE2E')).toHaveLength(1);
  });
});
