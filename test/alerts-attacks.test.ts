import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertList, AlertView, AuditPage, SilenceList } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { canSwitchUsers, probeAs } from './helpers/os-users';
import { webhookPayload } from './helpers/alertmanager';

const run = promisify(execFile);
const BIN = join(repoRoot, 'bin', 'fleetmind');

/**
 * Attacks on the alerts feature through the built server and CLI, by whoever can reach it:
 * an alerts:write token (a misconfigured or compromised Alertmanager), a web page in the
 * operator's browser, another local user, and the text of the alerts themselves.
 */
describe('attacks on alerts through the built server', { timeout: 300_000 }, () => {
  let server: RunningServer;
  let alertsToken: string;
  const work = mkdtempSync(join(tmpdir(), 'fm-alert-attacks-'));
  const dataDir = join(work, 'data');
  const env = () => ({ ...process.env, FLEETMIND_HOME: dataDir });
  // Fleetmind's own threshold alert on this machine, and the fingerprint it had before own fingerprints got a namespace (sha of its identity).
  const THRESHOLD_RAW_FP = createHash('sha256').update(JSON.stringify(['threshold', 'LoadPresent', 'localhost', 'load1'])).digest('hex').slice(0, 16);
  /** Interpretations that may ever start (perMinute 0: the bucket never refills). */
  const BUDGET = 6;

  const post = (body: unknown, token: string | null = alertsToken, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const asOperator = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), authorization: `Bearer ${server.token}`, ...(init.headers as Record<string, string> | undefined) } });
  const list = async (query = '?limit=5000'): Promise<AlertList> => {
    const res = await asOperator(`/api/alerts${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as AlertList;
  };
  const byFingerprint = async (fp: string) => (await list()).alerts.filter((a) => a.fingerprint === fp);
  const payload = (status: 'firing' | 'resolved', alerts: Record<string, unknown>[]) =>
    webhookPayload(
      status,
      alerts.map((a) => ({ labels: { alertname: 'Attack' }, fingerprint: 'attack0000000000', ...a })),
      { groupKey: '{}:{alertname="Attack"}' },
    );
  const waitFor = async <T>(what: () => Promise<T | undefined | null | false>, tries = 120): Promise<T | undefined> => {
    for (let i = 0; i < tries; i++) {
      const v = await what();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
    return undefined;
  };

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(dataDir, 'config.yaml'),
      [
        'metrics:',
        '  intervalSeconds: 1',
        'alerts:',
        '  evaluateSeconds: 1',
        '  maxStored: 1000',
        `  interpretation: { perMinute: 0, burst: ${BUDGET}, perHour: ${BUDGET}, concurrency: 2, timeoutSeconds: 20 }`,
        '  thresholds:',
        // holds on any machine, after 8 s: time for the webhook to plant a look-alike first
        '    - { name: LoadPresent, metric: load1, op: ">=", value: 0, forSeconds: 8, severity: info, summary: "load1 is reported" }',
        '',
      ].join('\n'),
    );
    server = await startBuiltServer({ dataDir, env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '' } });
    const { stdout } = await run(process.execPath, [BIN, 'token', 'create', '--scope', 'alerts:write', '--name', 'attacker', '--json'], { env: env(), timeout: 60_000 });
    alertsToken = (JSON.parse(stdout) as { token: string }).token;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a webhook cannot hide, take over or resolve Fleetmind\'s own alerts by sending their fingerprint', async () => {
    // Plant an open firing under the threshold alert's (predictable) fingerprint before it fires, far in the future
    const planted = await post(payload('firing', [{ fingerprint: THRESHOLD_RAW_FP, labels: { alertname: 'LoadPresent' }, annotations: { summary: 'planted' }, startsAt: '2099-01-01T00:00:00Z' }]));
    expect(planted.status).toBe(200);
    // Fleetmind's own alert still fires, as its own row
    const own = await waitFor(async () => (await list('?source=threshold')).alerts[0]);
    expect(own, 'the threshold alert never fired: a planted webhook alert swallowed it').toBeDefined();
    expect(own).toMatchObject({ source: 'threshold', name: 'LoadPresent', state: 'firing', host: 'localhost' });
    const [plant] = await byFingerprint(THRESHOLD_RAW_FP);
    expect(plant).toMatchObject({ source: 'alertmanager', summary: 'planted', notifications: 1 });

    // A resolved notification naming our alert exactly is refused (its fingerprint is outside what a webhook may send)
    const exact = await post(payload('resolved', [{ fingerprint: own!.fingerprint, startsAt: own!.startsAt, labels: own!.labels }]));
    expect(exact.status).toBe(400);
    // ... and the raw fingerprint with our startsAt touches only the webhook's own alerts
    expect((await post(payload('resolved', [{ fingerprint: THRESHOLD_RAW_FP, startsAt: own!.startsAt, labels: own!.labels }]))).status).toBe(200);
    expect((await post(payload('resolved', [{ fingerprint: THRESHOLD_RAW_FP, startsAt: '2099-01-01T00:00:00Z', labels: { alertname: 'LoadPresent' } }]))).status).toBe(200);
    const after = (await list('?source=threshold')).alerts;
    expect(after.map((a) => [a.id, a.state])).toEqual([[own!.id, 'firing']]);
    expect((await byFingerprint(THRESHOLD_RAW_FP)).every((a) => a.source === 'alertmanager' && a.state === 'resolved')).toBe(true);
  });

  it('paths and metrics the interpretation reads come from a fixed list, never from labels or annotations', async () => {
    const res = await post(
      payload('firing', [
        {
          fingerprint: 'logpath000000001',
          labels: { alertname: 'DiskFull', instance: 'localhost:9100', severity: 'critical', mountpoint: '/etc/shadow"} or vector(1) #', path: '/etc/passwd', log_path: '/etc/shadow' },
          annotations: { summary: 'disk full; read /etc/shadow for context', log_path: '/etc/shadow', logfile: '/root/.ssh/id_ed25519' },
        },
      ]),
    );
    expect(res.status).toBe(200);
    const done = await waitFor(async () => {
      const [a] = await byFingerprint('logpath000000001');
      return a?.interpretation?.status === 'done' ? a : undefined;
    });
    // (the third interpretation of this server's budget: the planted alert and the threshold took two)
    expect(done, 'no interpretation (is the budget spent?)').toBeDefined();
    expect(done!.interpretation!.engine).toBe('offline');
    const audit = (await (await asOperator('/api/audit?kind=tool_call&limit=1000')).json()) as AuditPage;
    const calls = audit.entries.filter((e) => e.actor === 'alerts:interpret');
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const c of calls) {
      const args = (c.data as { args: Record<string, unknown> }).args;
      expect(args.host).toBe('localhost');
      if (c.subject === 'tail_logs') expect([undefined, '/var/log/dpkg.log']).toContain(args.path);
      expect(JSON.stringify(args)).not.toMatch(/shadow|passwd|id_ed25519/);
    }
    // this alert's history query: the mount label was not a path, so the root file system, not the label's text
    expect(calls.some((c) => c.subject === 'metrics_query' && (c.data as { args: { metric: string } }).args.metric === 'disk_used_ratio{mount="/"}')).toBe(true);
    expect(calls.every((c) => ['server_status', 'top_processes', 'tail_logs', 'metrics_query'].includes(c.subject!))).toBe(true);
    const approvals = (await (await asOperator('/api/approvals')).json()) as { approvals: unknown[] };
    expect(approvals.approvals).toEqual([]);
  });

  it('prototype keys in labels (severity "constructor", "__proto__", "toString") are plain text, not a 500', async () => {
    const alerts = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'].map((word, i) => ({
      fingerprint: `proto000000000${i}`,
      labels: { alertname: 'ProtoKeys', severity: word, constructor: 'c', toString: 't', hasOwnProperty: 'h' },
    }));
    // raw JSON with "__proto__" as a label name: the body parser refuses it (secure-json-parse), nothing is stored
    const withProto = await post(JSON.stringify(payload('firing', [{ fingerprint: 'protoX', labels: { alertname: 'ProtoKeys' } }])).replace('"alertname":"ProtoKeys"', '"__proto__":{"polluted":"yes"},"alertname":"ProtoKeys"'));
    expect(withProto.status).toBe(400);
    expect(await byFingerprint('protoX')).toEqual([]);
    const res = await post(payload('firing', alerts));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ created: alerts.length });
    const stored = (await list()).alerts.filter((a) => a.name === 'ProtoKeys');
    expect(stored).toHaveLength(alerts.length);
    for (const a of stored) expect(a.severity).toBe('warning');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // An operator silence on a label these alerts do not have matches "" only, not Object.prototype's member
    const silence = await asOperator('/api/alerts/silences', { method: 'POST', body: JSON.stringify({ matchers: [{ name: 'valueOf', value: '.+', isRegex: true }], durationMinutes: 5 }) });
    expect(silence.status, await silence.clone().text()).toBe(200);
    const next = await post(payload('firing', [{ fingerprint: 'proto1000000000', labels: { alertname: 'ProtoKeys2' } }]));
    expect(await next.json()).toMatchObject({ created: 1, silenced: 0 });
    const { silence: created } = (await silence.json()) as { silence: { id: string } };
    expect((await asOperator(`/api/alerts/silences/${created.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('an alerts:write token reads nothing back and decides nothing', async () => {
    const [target] = (await list()).alerts;
    expect(target).toBeDefined();
    const asToken = (path: string, method = 'GET', body?: unknown) =>
      fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${alertsToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const attempts = await Promise.all([
      asToken('/api/alerts'),
      asToken(`/api/alerts/${target!.id}`),
      asToken('/api/alerts/silences'),
      asToken('/api/alerts/silences', 'POST', { matchers: [{ name: 'alertname', value: '.*', isRegex: true }], durationMinutes: 60 }),
      asToken(`/api/alerts/${target!.id}/ack`, 'POST', {}),
      asToken(`/api/alerts/${target!.id}/interpret`, 'POST', {}),
      asToken('/api/alerts/silences/00000000-0000-0000-0000-000000000000', 'DELETE'),
      asToken('/api/audit'),
    ]);
    expect(attempts.map((r) => r.status)).toEqual(attempts.map(() => 403));
    for (const r of attempts) expect(await r.text()).not.toContain(target!.fingerprint);
    const silences = (await (await asOperator('/api/alerts/silences')).json()) as SilenceList;
    expect(silences.silences.filter((s) => s.expiredAt === null)).toEqual([]);
  });

  it('a web page in the operator\'s browser cannot post, silence or read alerts (cross-site)', async () => {
    const evil = { origin: 'http://evil.example' };
    // a "simple" cross-site POST (text/plain, no credentials a page could add)
    const simple = await fetch(`${server.url}/api/alerts`, { method: 'POST', headers: { 'content-type': 'text/plain', ...evil }, body: JSON.stringify(payload('firing', [{ fingerprint: 'csrf000000000001' }])) });
    expect(simple.status).toBeGreaterThanOrEqual(400);
    // even with a credential, a foreign Origin is refused
    const withToken = await post(payload('firing', [{ fingerprint: 'csrf000000000002' }]), alertsToken, evil);
    expect(withToken.status).toBe(403);
    const silence = await asOperator('/api/alerts/silences', { method: 'POST', headers: evil, body: JSON.stringify({ matchers: [{ name: 'alertname', value: '.*', isRegex: true }], durationMinutes: 60 }) });
    expect(silence.status).toBe(403);
    const read = await fetch(`${server.url}/api/alerts`, { headers: evil });
    expect(read.status).toBe(403);
    expect(await byFingerprint('csrf000000000001')).toEqual([]);
    expect(await byFingerprint('csrf000000000002')).toEqual([]);
    const silences = (await (await asOperator('/api/alerts/silences')).json()) as SilenceList;
    expect(silences.silences.filter((s) => s.expiredAt === null)).toEqual([]);
  });

  it.skipIf(!canSwitchUsers)('another local user cannot acknowledge, silence or interpret', async () => {
    const [target] = (await list()).alerts;
    const results = probeAs('nobody', [
      { url: `${server.url}/api/alerts/${target!.id}/ack`, method: 'POST', body: {} },
      { url: `${server.url}/api/alerts/silences`, method: 'POST', body: { matchers: [{ name: 'alertname', value: '.*', isRegex: true }], durationMinutes: 60 } },
      { url: `${server.url}/api/alerts/${target!.id}/interpret`, method: 'POST', body: {} },
      { url: `${server.url}/api/alerts/${target!.id}` },
    ]);
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect((await asOperator(`/api/alerts/${target!.id}`).then((r) => r.json() as Promise<{ alert: AlertView }>)).alert.acknowledgedAt).toBeNull();
  });

  it('terminal escapes, bidi overrides and 8-bit CSI in alert text reach `fleetmind alerts list` only as visible escapes', async () => {
    const OSC52 = '\u001b]52;c;ZWNobyBwd25lZA==\u0007';
    const hostile = `ok\r${OSC52}\u202edesrever\u009b2J\u200b`;
    const res = await post(payload('firing', [{ fingerprint: 'term000000000001', labels: { alertname: `Term${hostile}`, note: hostile }, annotations: { summary: `sum ${hostile}`, description: hostile } }]));
    expect(res.status).toBe(200);
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;
    const text = await run(process.execPath, [BIN, 'alerts', 'list', '--limit', '50'], { env: env(), timeout: 60_000 });
    expect(text.stdout).toContain('Term');
    expect(text.stdout).not.toMatch(raw);
    expect(text.stdout).not.toContain('\r');
    const json = await run(process.execPath, [BIN, 'alerts', 'list', '--json', '--limit', '50'], { env: env(), timeout: 60_000 });
    expect(json.stdout).not.toMatch(raw);
    const parsed = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as AlertView);
    // escaped for the terminal, the same data for a program
    expect(parsed.find((a) => a.fingerprint === 'term000000000001')!.labels.note).toBe(hostile);
  });

  it('timestamps far in the future or past, and resolved notifications for alerts that never fired, are stored sanely', async () => {
    const res = await post(
      payload('firing', [
        { fingerprint: 'time000000000001', startsAt: '+275760-09-13T00:00:00.000Z' },
        { fingerprint: 'time000000000002', startsAt: '0001-01-01T00:00:00Z' },
        { fingerprint: 'time000000000003', startsAt: '9999-12-31T23:59:59Z', endsAt: '-271821-04-20T00:00:00.000Z' },
      ]),
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await post(payload('firing', [{ fingerprint: 'time000000000004', startsAt: '+275760-09-13T00:00:00.001Z' }]))).status).toBe(400);
    const firingBefore = (await list()).counts.firing;
    const never = await post(payload('resolved', [{ fingerprint: 'never00000000001', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T00:10:00Z' }]));
    expect(await never.json()).toMatchObject({ resolved: 1, created: 0 });
    const [closed] = await byFingerprint('never00000000001');
    expect(closed).toMatchObject({ state: 'resolved', interpretation: null });
    expect((await list()).counts.firing).toBe(firingBefore);
    // the list and the CLI still read every row
    expect((await byFingerprint('time000000000001'))[0]!.startsAt).toBe('+275760-09-13T00:00:00.000Z');
    await run(process.execPath, [BIN, 'alerts', 'list', '--limit', '5000'], { env: env(), timeout: 60_000 });
  });

  it('an operator\'s regex silence cannot be turned into a stall by crafted label values (linear-time matching)', async () => {
    // `(.*-)+web` backtracks exponentially on "----...": with a backtracking engine this request never returns
    const silence = await asOperator('/api/alerts/silences', { method: 'POST', body: JSON.stringify({ matchers: [{ name: 'instance', value: '(.*-)+web', isRegex: true }], durationMinutes: 5 }) });
    expect(silence.status).toBe(200);
    const polynomial = await asOperator('/api/alerts/silences', { method: 'POST', body: JSON.stringify({ matchers: [{ name: 'job', value: '.*a.*b.*c.*d', isRegex: true }], durationMinutes: 5 }) });
    expect(polynomial.status).toBe(200);
    // a backreference cannot run in linear time: refused as Alertmanager (RE2) refuses it
    const backref = await asOperator('/api/alerts/silences', { method: 'POST', body: JSON.stringify({ matchers: [{ name: 'job', value: '(a)\\1', isRegex: true }], durationMinutes: 5 }) });
    expect(backref.status).toBe(400);
    const res = await post(
      payload('firing', [
        ...Array.from({ length: 5 }, (_, i) => ({ fingerprint: `redos00000000${i}`, labels: { alertname: 'Redos', instance: '-'.repeat(1000 + i), job: 'abc'.repeat(340) } })),
        { fingerprint: 'redos1000000000', labels: { alertname: 'Redos', instance: `${'-'.repeat(100)}web` } },
      ]),
      alertsToken,
      {},
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: 6, silenced: 1 });
    expect((await byFingerprint('redos1000000000'))[0]!.state).toBe('silenced');
  });

  it('one request cannot make the store keep much more than it carried (common annotations, group key)', async () => {
    const commonAnnotations = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`c${i}`, 'A'.repeat(8000)]));
    const body = JSON.stringify({ ...payload('firing', Array.from({ length: 200 }, (_, i) => ({ fingerprint: `amp${i}`, labels: { alertname: 'Amplify', n: String(i) } }))), groupKey: `{}:{alertname="${'G'.repeat(8000)}"}`, commonAnnotations });
    const res = await post(body);
    expect(res.status, await res.clone().text()).toBe(200);
    const stored = (await list()).alerts.filter((a) => a.name === 'Amplify');
    expect(stored).toHaveLength(200);
    const kept = stored.reduce((n, a) => n + JSON.stringify(a.annotations).length + a.groupKey.length + (a.interpretation?.text.length ?? 0), 0);
    expect(kept).toBeLessThanOrEqual(body.length);
    // one alert's own annotations are bounded too (the row count bounds the store only if each row is bounded), and say so
    const big = await post(payload('firing', [{ fingerprint: 'bigannotations01', annotations: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`a${i}`, 'B'.repeat(8000)])) }]));
    expect(big.status).toBe(200);
    const [bigAlert] = await byFingerprint('bigannotations01');
    const annotationChars = Object.entries(bigAlert!.annotations).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(annotationChars).toBeLessThanOrEqual(16_384 + 200);
    expect(bigAlert!.annotations.fleetmind_truncated).toMatch(/characters of annotations were not kept/);
    // the group stays one group, recognisably
    expect(new Set(stored.map((a) => a.groupKey)).size).toBe(1);
    expect(stored[0]!.groupKey.startsWith('{}:{alertname="GGG')).toBe(true);
  });

  it('an alert storm stays bounded: stored rows, interpretations (budget), and the server keeps answering', async () => {
    const statuses: number[] = [];
    for (let p = 0; p < 6; p++) {
      const res = await post({ ...payload('firing', Array.from({ length: 250 }, (_, i) => ({ fingerprint: `storm${p}x${i}`, labels: { alertname: 'Storm', instance: 'localhost:9100', n: String(i) } }))), groupKey: '{}:{alertname="Storm"}' });
      statuses.push(res.status);
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const all = await list();
    const total = Object.values(all.counts).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(1000);
    // interpretations: never more than the budget in all, the storm's deferred with their group
    const started = all.alerts.filter((a) => a.interpretation && a.interpretation.status !== 'deferred');
    expect(started.length).toBeLessThanOrEqual(BUDGET);
    const storm = all.alerts.filter((a) => a.name === 'Storm');
    expect(storm.length).toBeGreaterThan(0);
    expect(storm.every((a) => a.interpretation?.status === 'deferred' && /^deferred \(storm\)/.test(a.interpretation.text))).toBe(true);
    expect(storm[0]!.interpretation!.text).toMatch(/\d+ alert\(s\) of group "\{\}:\{alertname="Storm"\}" are firing/);
  });
});
