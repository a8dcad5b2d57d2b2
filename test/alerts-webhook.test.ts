import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_BODY_LIMIT_BYTES, MAX_ALERTS_PER_PAYLOAD, type AlertList, type AlertView } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { canSwitchUsers, probeAs } from './helpers/os-users';
import { webhookPayload } from './helpers/alertmanager';

const run = promisify(execFile);
const BIN = join(repoRoot, 'bin', 'fleetmind');

/** Alertmanager's webhook payload (version 4), as it posts it. */
function amPayload(status: 'firing' | 'resolved', alerts: Record<string, unknown>[], groupKey = '{}:{alertname="HighLoad"}') {
  return webhookPayload(
    status,
    alerts.map((a) => ({
      labels: { alertname: 'HighLoad', instance: 'localhost:9100', severity: 'critical', job: 'node' },
      annotations: { summary: 'load average above 8 for 5 minutes' },
      startsAt: '2026-03-01T10:00:00.000Z',
      endsAt: status === 'resolved' ? '2026-03-01T10:20:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=node_load1+%3E+8',
      fingerprint: 'f00dfeedcafe0001',
      ...a,
    })),
    { groupKey, commonLabels: { alertname: 'HighLoad' } },
  );
}

async function createToken(dataDir: string, scope: string): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, 'token', 'create', '--scope', scope, '--name', `test ${scope}`, '--json'], { env: { ...process.env, FLEETMIND_HOME: dataDir }, timeout: 60_000 });
  return (JSON.parse(stdout) as { token: string }).token;
}

describe('POST /api/alerts (Alertmanager webhook) and GET /api/alerts through the built server', { timeout: 300_000 }, () => {
  let server: RunningServer;
  let alertsToken: string;
  let metricsToken: string;

  const post = (body: unknown, token: string | null, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const list = async (query = ''): Promise<AlertList> => {
    const res = await fetch(`${server.url}/api/alerts${query}`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as AlertList;
  };
  const alertOf = async (fingerprint: string): Promise<AlertView[]> => (await list()).alerts.filter((a) => a.fingerprint === fingerprint);

  beforeAll(async () => {
    server = await startBuiltServer({ env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '' } });
    alertsToken = await createToken(server.dataDir, 'alerts:write');
    metricsToken = await createToken(server.dataDir, 'metrics:read');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('round-trips firing, a retried duplicate and resolved, and explains the alert offline from its host', async () => {
    const firing = await post(amPayload('firing', [{}]), alertsToken);
    expect(firing.status).toBe(200);
    expect(await firing.json()).toEqual({ received: 1, created: 1, duplicates: 0, resolved: 0, silenced: 0 });
    // Alertmanager retries with the same fingerprint and startsAt: one alert, two notifications
    const retry = await post(amPayload('firing', [{}]), alertsToken);
    expect(await retry.json()).toMatchObject({ created: 0, duplicates: 1 });
    let [alert] = await alertOf('f00dfeedcafe0001');
    expect(alert).toMatchObject({ state: 'firing', source: 'alertmanager', name: 'HighLoad', host: 'localhost', severity: 'critical', notifications: 2, summary: 'load average above 8 for 5 minutes', incident: null });
    expect(alert!.labels).toMatchObject({ instance: 'localhost:9100', job: 'node' });
    expect((await list('?state=firing')).counts.firing).toBeGreaterThanOrEqual(1);

    // The offline engine explains it from read-only context of the host (bounded wait)
    for (let i = 0; i < 120 && alert!.interpretation?.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      [alert] = await alertOf('f00dfeedcafe0001');
    }
    const interpretation = alert!.interpretation!;
    expect(interpretation).toMatchObject({ status: 'done', engine: 'offline' });
    expect(interpretation.text).toMatch(/^Likely cause: CPU or load is high on localhost/);
    expect(interpretation.text).toMatch(/Next steps/);
    expect(interpretation.context.map((c) => c.source)).toEqual(expect.arrayContaining(['server_status', 'top_processes', 'system log', 'similar past alerts']));
    expect(interpretation.context.find((c) => c.source === 'server_status')!.ok).toBe(true);
    // nothing was queued for approval
    const approvals = (await (await fetch(`${server.url}/api/approvals`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as { approvals: unknown[] };
    expect(approvals.approvals).toEqual([]);

    const resolved = await post(amPayload('resolved', [{}]), alertsToken);
    expect(await resolved.json()).toMatchObject({ resolved: 1 });
    [alert] = await alertOf('f00dfeedcafe0001');
    expect(alert).toMatchObject({ state: 'resolved', endsAt: '2026-03-01T10:20:00.000Z' });
    expect(alert!.resolvedAt).not.toBeNull();
    // a retried resolved notification changes nothing
    expect(await (await post(amPayload('resolved', [{}]), alertsToken)).json()).toMatchObject({ resolved: 0 });

    // `fleetmind alerts list` reads the same store beside the running server
    const cli = await run(process.execPath, [BIN, 'alerts', 'list', '--json', '--state', 'resolved'], { env: { ...process.env, FLEETMIND_HOME: server.dataDir }, timeout: 60_000 });
    const lines = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as AlertView);
    expect(lines.find((a) => a.fingerprint === 'f00dfeedcafe0001')).toMatchObject({ state: 'resolved', name: 'HighLoad' });
    await expect(run(process.execPath, [BIN, 'alerts', 'list', '--state', 'bogus'], { env: { ...process.env, FLEETMIND_HOME: server.dataDir }, timeout: 60_000 })).rejects.toMatchObject({ code: 2 });
  });

  it('the operator token may post too; acknowledging and silencing are the operator\'s', async () => {
    const res = await post(amPayload('firing', [{ fingerprint: 'op0000000001', labels: { alertname: 'DiskFull', instance: 'nowhere:9100' } }]), server.token);
    expect(res.status).toBe(200);
    const [alert] = await alertOf('op0000000001');
    expect(alert!.host).toBeNull();
    const ackAsAlerts = await fetch(`${server.url}/api/alerts/${alert!.id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alertsToken}` }, body: '{}' });
    expect(ackAsAlerts.status).toBe(403);
    const ack = await fetch(`${server.url}/api/alerts/${alert!.id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: '{}' });
    expect(ack.status).toBe(200);
    expect(((await ack.json()) as { alert: AlertView }).alert).toMatchObject({ state: 'acknowledged' });
    const silence = await fetch(`${server.url}/api/alerts/silences`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'DiskFull' }], durationMinutes: 30, comment: 'maintenance' }) });
    expect(silence.status).toBe(200);
    expect((await alertOf('op0000000001'))[0]!.state).toBe('silenced');
    // a new firing of a silenced alert arrives silenced
    expect(await (await post(amPayload('firing', [{ fingerprint: 'op0000000002', labels: { alertname: 'DiskFull' } }]), alertsToken)).json()).toMatchObject({ created: 1, silenced: 1 });
    expect((await fetch(`${server.url}/api/alerts/nope/ack`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: '{}' })).status).toBe(404);
  });

  it('refuses malformed and oversized payloads with clear 4xx errors', async () => {
    const expectError = async (res: Response, status: number, code: string, message?: RegExp) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      if (message) expect(body.error.message).toMatch(message);
    };
    await expectError(await post('{"version": "4", "alerts": [', alertsToken), 400, 'invalid_json');
    await expectError(await post({ ...amPayload('firing', [{}]), version: '3' }, alertsToken), 400, 'bad_request', /version/);
    await expectError(await post({ hello: 'world' }, alertsToken), 400, 'bad_request', /Alertmanager webhook/);
    await expectError(await post(amPayload('firing', [{ fingerprint: 'has spaces; rm -rf' }]), alertsToken), 400, 'bad_request', /fingerprint/);
    await expectError(await post(amPayload('firing', [{ startsAt: 'yesterday' }]), alertsToken), 400, 'bad_request', /startsAt/);
    await expectError(await post(amPayload('firing', [{ labels: { alertname: 'x'.repeat(2000) } }]), alertsToken), 400, 'bad_request', /labels/);
    await expectError(await post(amPayload('firing', [{ annotations: { description: 'y'.repeat(9000) } }]), alertsToken), 400, 'bad_request', /annotations/);
    const many = amPayload('firing', Array.from({ length: MAX_ALERTS_PER_PAYLOAD + 1 }, (_, i) => ({ fingerprint: `m${i}` })));
    await expectError(await post(many, alertsToken), 400, 'bad_request', /alerts/);
    await expectError(await post({ ...amPayload('firing', [{}]), alerts: [] }, alertsToken), 400, 'bad_request');
    const huge = amPayload('firing', Array.from({ length: 200 }, (_, i) => ({ fingerprint: `h${i}`, annotations: { description: 'z'.repeat(8000) } })));
    expect(JSON.stringify(huge).length).toBeGreaterThan(ALERT_BODY_LIMIT_BYTES);
    await expectError(await post(huge, alertsToken), 413, 'payload_too_large', new RegExp(String(ALERT_BODY_LIMIT_BYTES)));
    await expectError(await post(JSON.stringify(amPayload('firing', [{}])), alertsToken, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    // none of them stored anything
    expect((await list()).alerts.some((a) => /^[mh]\d+$/.test(a.fingerprint))).toBe(false);
  });

  it('needs an alerts:write (or operator) token to post; such a token reads nothing back', async () => {
    const body = amPayload('firing', [{ fingerprint: 'auth00000001' }]);
    expect((await post(body, null)).status).toBe(401); // the server's own user without a token
    expect((await post(body, 'not-a-real-token')).status).toBe(401);
    const asMetrics = await post(body, metricsToken);
    expect(asMetrics.status).toBe(403);
    expect(((await asMetrics.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${alertsToken}` } })).status).toBe(403);
    expect((await fetch(`${server.url}/api/alerts/silences`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alertsToken}` }, body: JSON.stringify({ matchers: [{ name: 'a', value: 'b' }], durationMinutes: 5 }) })).status).toBe(403);
    // the server's own user reads without a token
    expect((await fetch(`${server.url}/api/alerts`)).status).toBe(200);
    expect(await alertOf('auth00000001')).toEqual([]);
  });

  it.skipIf(!canSwitchUsers)('refuses another local user without a token (reading and posting)', async () => {
    const [read, write] = probeAs('nobody', [
      { url: `${server.url}/api/alerts` },
      { url: `${server.url}/api/alerts`, method: 'POST', body: amPayload('firing', [{ fingerprint: 'nobody000001' }]) },
    ]);
    expect(read!.status).toBe(401);
    expect(read!.body ?? '').not.toContain('HighLoad');
    expect(write!.status).toBe(401);
    expect(await alertOf('nobody000001')).toEqual([]);
  });
});

describe('threshold alerts on metrics collected by the running server', { timeout: 300_000 }, () => {
  let server: RunningServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-alert-threshold-'));

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // A rule that holds on any machine (load1 >= 0) and one that never does; collection every second.
    writeFileSync(
      join(dataDir, 'config.yaml'),
      [
        'metrics:',
        '  intervalSeconds: 1',
        'alerts:',
        '  evaluateSeconds: 1',
        '  interpretation: { enabled: false }',
        '  thresholds:',
        '    - { name: LoadPresent, metric: load1, op: ">=", value: 0, forSeconds: 2, severity: info, summary: "load1 is reported" }',
        '    - { name: LoadAbsurd, metric: load1, op: ">", value: 100000, forSeconds: 0 }',
        '',
      ].join('\n'),
    );
    server = await startBuiltServer({ dataDir, env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '' } });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fires a rule that held for its duration, once, and not the one that never held', async () => {
    let fired: AlertView[] = [];
    for (let i = 0; i < 120 && fired.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await fetch(`${server.url}/api/alerts?source=threshold`, { headers: { authorization: `Bearer ${server.token}` } });
      fired = ((await res.json()) as AlertList).alerts;
    }
    expect(fired.map((a) => a.name)).toEqual(['LoadPresent']);
    expect(fired[0]).toMatchObject({ source: 'threshold', host: 'localhost', severity: 'info', state: 'firing', interpretation: null });
    expect(fired[0]!.summary).toMatch(/^load1 is reported \(now /);
    expect(fired[0]!.labels).toMatchObject({ metric: 'load1', alertname: 'LoadPresent', host: 'localhost' });
    // later evaluations keep the same firing open (no new alert per sample)
    await new Promise((r) => setTimeout(r, 3000));
    const again = ((await (await fetch(`${server.url}/api/alerts?source=threshold`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as AlertList).alerts;
    expect(again).toHaveLength(1);
    expect(again[0]!.id).toBe(fired[0]!.id);
  });
});
