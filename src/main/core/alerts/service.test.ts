import { describe, expect, it } from 'vitest';
import type { AlertmanagerWebhook } from '../../../shared/protocol';
import { AlertmanagerWebhookSchema } from '../../../shared/protocol';
import { MetricsService, metricsConfig } from '../metrics';
import { Store } from '../store';
import { alertsConfig } from './config';
import { AlertInterpreter, type ContextToolName } from './interpret';
import { AlertService } from './service';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function webhook(status: 'firing' | 'resolved', alerts: Partial<AlertmanagerWebhook['alerts'][number]>[]): AlertmanagerWebhook {
  return AlertmanagerWebhookSchema.parse({
    version: '4',
    groupKey: '{}:{alertname="HighLoad"}',
    status,
    receiver: 'fleetmind',
    groupLabels: { alertname: 'HighLoad' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.local',
    alerts: alerts.map((a) => ({ status, labels: { alertname: 'HighLoad', instance: 'web-1:9100', severity: 'critical' }, annotations: { summary: 'load is high' }, startsAt: '2026-01-05T11:59:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'abc123', ...a })),
  });
}

function setup(overrides: Record<string, unknown> = {}) {
  const store = Store.inMemory();
  const clock = { now: T0 };
  const calls: { name: ContextToolName; args: Record<string, unknown> }[] = [];
  const interpreter = new AlertInterpreter({
    tools: {
      call: async (name, args) => {
        calls.push({ name, args });
        return { ok: true, summary: `${name} ok`, text: name === 'tail_logs' ? 'Jan 05 kernel: Out of memory: Killed process 123 (java)\nJan 05 systemd[1]: Started nginx.service.' : `${name} output` };
      },
    },
    similar: (a) => store.alerts.similar(a),
    isHost: (h) => h === 'web-1',
    timeoutMs: 5000,
    now: () => clock.now,
  });
  const metrics = new MetricsService({ db: store.db, config: metricsConfig.schema.parse({}), now: () => clock.now });
  const service = new AlertService({
    repository: store.alerts,
    config: alertsConfig.schema.parse(overrides),
    inventory: () => [{ name: 'web-1', address: '10.0.0.5' }],
    metrics: () => metrics,
    interpreter,
    now: () => clock.now,
  });
  return { store, clock, calls, service, metrics };
}

describe('AlertService', () => {
  it('stores a firing once per fingerprint and startsAt, counts retries, and closes it on resolved', async () => {
    const { service } = setup();
    expect(service.ingest(webhook('firing', [{}]), 'test')).toMatchObject({ received: 1, created: 1, duplicates: 0 });
    expect(service.ingest(webhook('firing', [{}]), 'test')).toMatchObject({ created: 0, duplicates: 1 });
    let [alert] = service.list().alerts;
    expect(alert).toMatchObject({ state: 'firing', host: 'web-1', severity: 'critical', notifications: 2, name: 'HighLoad', source: 'alertmanager' });
    // a new startsAt with the same fingerprint is a new firing
    service.ingest(webhook('firing', [{ startsAt: '2026-01-05T13:00:00Z' }]), 'test');
    expect(service.list().alerts).toHaveLength(2);
    expect(service.ingest(webhook('resolved', [{ endsAt: '2026-01-05T12:10:00Z' }]), 'test')).toMatchObject({ resolved: 1 });
    alert = service.list().alerts.find((a) => a.startsAt === '2026-01-05T11:59:00.000Z')!;
    expect(alert).toMatchObject({ state: 'resolved', endsAt: '2026-01-05T12:10:00.000Z' });
    // a retried resolved notification changes nothing
    expect(service.ingest(webhook('resolved', [{}]), 'test')).toMatchObject({ resolved: 0, duplicates: 1 });
    await service.idle();
  });

  it('interprets a new firing offline from read-only context, with the host named exactly', async () => {
    const { service, calls } = setup();
    service.ingest(webhook('firing', [{ labels: { alertname: 'MemoryPressure', instance: '10.0.0.5:9100' } }]), 'test');
    await service.idle();
    const [alert] = service.list().alerts;
    expect(alert!.host).toBe('web-1');
    expect(alert!.interpretation).toMatchObject({ status: 'done', engine: 'offline' });
    expect(alert!.interpretation!.text).toMatch(/Likely cause: the host is running short of memory on web-1/);
    expect(alert!.interpretation!.text).toMatch(/Out of memory: Killed process 123/);
    expect(alert!.interpretation!.text).toMatch(/Next steps/);
    expect(new Set(calls.map((c) => c.name))).toEqual(new Set(['server_status', 'top_processes', 'tail_logs', 'metrics_query']));
    expect(calls.every((c) => c.args.host === 'web-1')).toBe(true);
    expect(calls.find((c) => c.name === 'top_processes')!.args.sortBy).toBe('memory');
  });

  it('gathers no host context for a host outside the inventory (no selector from alert text)', async () => {
    const { service, calls } = setup();
    service.ingest(webhook('firing', [{ labels: { alertname: 'X', instance: 'all' } }]), 'test');
    await service.idle();
    expect(calls).toEqual([]);
    expect(service.list().alerts[0]!.interpretation!.text).toMatch(/No host context/);
  });

  it('defers interpretations in an alert storm and groups them', async () => {
    const { service, calls } = setup({ interpretation: { perMinute: 1, burst: 2, perHour: 10 } });
    service.ingest(webhook('firing', Array.from({ length: 20 }, (_, i) => ({ fingerprint: `fp${i}` }))), 'test');
    await service.idle();
    const list = service.list().alerts;
    expect(list).toHaveLength(20);
    expect(list.filter((a) => a.interpretation?.status === 'done')).toHaveLength(2);
    const deferred = list.filter((a) => a.interpretation?.status === 'deferred');
    expect(deferred).toHaveLength(18);
    expect(deferred[0]!.interpretation!.text).toMatch(/^deferred \(storm\)/);
    expect(deferred[0]!.interpretation!.text).toMatch(/alert\(s\) of group/);
    expect(calls.filter((c) => c.name === 'server_status')).toHaveLength(2);
  });

  it('silences matching alerts, applies the silence to new ones, and lifts it', async () => {
    const { service } = setup();
    service.ingest(webhook('firing', [{}]), 'test');
    const silence = service.createSilence({ matchers: [{ name: 'alertname', value: 'High.*', isRegex: true }], durationMinutes: 60 }, 'op');
    expect(service.list().alerts[0]!.state).toBe('silenced');
    expect(service.ingest(webhook('firing', [{ fingerprint: 'other' }]), 'test')).toMatchObject({ created: 1, silenced: 1 });
    expect(() => service.createSilence({ matchers: [{ name: 'a', value: '(', isRegex: true }], durationMinutes: 5 }, 'op')).toThrow(/regular expression/);
    expect(service.expireSilence(silence.id, 'op')).toBe(true);
    expect(service.list().alerts.every((a) => a.state === 'firing')).toBe(true);
    await service.idle();
  });

  it('refuses a webhook once maxStored alerts are kept and none resolved can make room', async () => {
    const { service } = setup({ maxStored: 100, interpretation: { enabled: false } });
    service.ingest(webhook('firing', Array.from({ length: 60 }, (_, i) => ({ fingerprint: `a${i}` }))), 'test');
    service.ingest(webhook('resolved', Array.from({ length: 30 }, (_, i) => ({ fingerprint: `a${i}` }))), 'test');
    // 60 stored, 30 resolved: 50 more fit once 10 resolved ones go
    expect(service.ingest(webhook('firing', Array.from({ length: 50 }, (_, i) => ({ fingerprint: `b${i}` }))), 'test').created).toBe(50);
    expect(service.list({ limit: 5000 }).alerts).toHaveLength(100);
    expect(() => service.ingest(webhook('firing', Array.from({ length: 30 }, (_, i) => ({ fingerprint: `c${i}` }))), 'test')).toThrow(/alerts.maxStored/);
    expect(service.list({ limit: 5000 }).alerts.filter((a) => a.fingerprint.startsWith('c'))).toEqual([]);
    await service.idle();
  });

  it('acknowledges, and raise/resolve work for internal sources with a stable fingerprint', async () => {
    const { service } = setup();
    const a = service.raise({ source: 'forecast', host: 'web-1', name: 'DiskWillFill', severity: 'warning', summary: '/ fills in 3 days', labels: { mount: '/' }, predictedAt: '2026-01-08T00:00:00Z', value: 0.8 });
    const again = service.raise({ source: 'forecast', host: 'web-1', name: 'DiskWillFill', severity: 'critical', summary: '/ fills in 20 hours', labels: { mount: '/' }, predictedAt: '2026-01-06T08:00:00Z', value: 0.9 });
    expect(again.id).toBe(a.id);
    expect(again).toMatchObject({ notifications: 2, severity: 'critical', summary: '/ fills in 20 hours', predictedAt: '2026-01-06T08:00:00Z', value: 0.9 });
    expect(a).toMatchObject({ predictedAt: '2026-01-08T00:00:00Z', value: 0.8, groupKey: 'forecast/DiskWillFill' });
    expect(service.acknowledge(a.id, 'op')).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'op' });
    expect(service.resolve(a.fingerprint)).toBe(true);
    expect(service.resolve(a.fingerprint)).toBe(false);
    expect(service.get(a.id)!.state).toBe('resolved');
    await service.idle();
  });

  it('raises anomaly alerts once per reported point and resolves them after a quiet spell', async () => {
    const store = Store.inMemory();
    const clock = { now: T0 };
    const events: { host: string; series: string; at: number; value: number | null; score: number }[] = [];
    const service = new AlertService({
      repository: store.alerts,
      config: alertsConfig.schema.parse({ anomaly: { minScore: 0.9, clearMinutes: 10 } }),
      inventory: () => [{ name: 'web-1', address: '10.0.0.5' }],
      anomalies: (since) => events.filter((e) => e.at >= since),
      now: () => clock.now,
    });
    clock.now += 30_000;
    events.push({ host: 'web-1', series: 'load1', at: clock.now - 10_000, value: 9, score: 0.95 }, { host: 'web-1', series: 'load5', at: clock.now - 10_000, value: 2, score: 0.5 });
    service.evaluate();
    service.evaluate(); // the same point read again is not a repeat
    let open = service.list({ state: 'firing' }).alerts;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ source: 'anomaly', name: 'AnomalousMetric', notifications: 1, value: 9 });
    expect(open[0]!.labels.series).toBe('load1');
    clock.now += 11 * 60_000;
    service.evaluate();
    expect(service.list({ state: 'firing' }).alerts).toHaveLength(0);
    // an anomaly from before the service started is history, not an alert
    events.push({ host: 'web-1', series: 'load15', at: T0 - 1000, value: 1, score: 0.99 });
    service.evaluate();
    open = service.list({ state: 'firing' }).alerts;
    expect(open).toHaveLength(0);
  });

  it('evaluates threshold rules on collected metrics with hysteresis', async () => {
    const { service, metrics, clock } = setup({ thresholds: [{ name: 'HighLoad', metric: 'load1', op: '>', value: 4, clearAt: 2, forSeconds: 30 }] });
    const feed = (value: number) => {
      clock.now += 15_000;
      metrics.store.append({ host: 'web-1', source: 'collector', at: clock.now, values: [{ name: 'load1', labels: {}, value }] });
      service.evaluate();
    };
    feed(5);
    feed(5);
    expect(service.list().alerts).toHaveLength(0);
    feed(6);
    expect(service.list().alerts).toHaveLength(1);
    expect(service.list().alerts[0]).toMatchObject({ source: 'threshold', name: 'HighLoad', state: 'firing', value: 6 });
    feed(3); // inside the band: still firing
    feed(4.5);
    expect(service.list({ state: 'firing' }).alerts).toHaveLength(1);
    feed(1.5);
    expect(service.list({ state: 'firing' }).alerts).toHaveLength(0);
    expect(service.list().alerts).toHaveLength(1);
    await service.idle();
  });
});
