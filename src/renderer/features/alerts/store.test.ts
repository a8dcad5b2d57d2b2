import { describe, expect, it } from 'vitest';
import type { AlertList, AlertView } from '../../../shared/protocol';
import type { Transport } from '../../transport';
import { createAlertsStore, groupAlerts, silenceMatchersFor } from './store';

const alert = (over: Partial<AlertView>): AlertView => ({
  id: 'a1',
  fingerprint: 'f1',
  startsAt: '2026-01-01T00:00:00.000Z',
  endsAt: null,
  source: 'alertmanager',
  name: 'HighLoad',
  host: 'web-1',
  severity: 'warning',
  state: 'firing',
  summary: 'load',
  labels: { alertname: 'HighLoad', instance: 'web-1:9100' },
  annotations: {},
  groupKey: 'g1',
  value: null,
  predictedAt: null,
  generatorURL: null,
  notifications: 1,
  interpretation: null,
  incident: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  silencedBy: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  resolvedAt: null,
  ...over,
});

describe('alerts store', () => {
  it('groups by group key with firing groups first', () => {
    const groups = groupAlerts([alert({ id: '1', groupKey: 'quiet', state: 'resolved', updatedAt: '2026-01-02T00:00:00Z' }), alert({ id: '2', groupKey: 'loud' }), alert({ id: '3', groupKey: 'loud', state: 'acknowledged' })]);
    expect(groups.map((g) => [g.key, g.alerts.length, g.firing])).toEqual([
      ['loud', 2, 1],
      ['quiet', 1, 0],
    ]);
  });

  it('silences an alert by its name and host or instance', () => {
    expect(silenceMatchersFor(alert({}))).toEqual([
      { name: 'alertname', value: 'HighLoad', isRegex: false },
      { name: 'instance', value: 'web-1:9100', isRegex: false },
    ]);
    expect(silenceMatchersFor(alert({ labels: { alertname: 'X', host: 'db-1', instance: 'db-1:9100' } }))[1]).toEqual({ name: 'host', value: 'db-1', isRegex: false });
  });

  it('silences a host-less alert only where there is no host, not its name on every host (attack: a webhook named like our own alerts)', () => {
    expect(silenceMatchersFor(alert({ labels: { alertname: 'DiskAlmostFull' } }))).toEqual([
      { name: 'alertname', value: 'DiskAlmostFull', isRegex: false },
      { name: 'host', value: '', isRegex: false },
      { name: 'instance', value: '', isRegex: false },
    ]);
    // no alertname label: the silence names what the alert has (""), not the display name
    expect(silenceMatchersFor(alert({ name: 'UnnamedAlert', labels: { instance: 'x:1' } }))[0]).toEqual({ name: 'alertname', value: '', isRegex: false });
  });

  it('loads with the filter, acts, and reloads; a transport without alerts says so', async () => {
    const queries: unknown[] = [];
    const acked: string[] = [];
    const list: AlertList = { alerts: [alert({})], counts: { firing: 1, acknowledged: 0, silenced: 0, resolved: 0 } };
    const transport = {
      listAlerts: async (q: unknown) => {
        queries.push(q);
        return list;
      },
      acknowledgeAlert: async (id: string) => {
        acked.push(id);
        return { alert: alert({ state: 'acknowledged' }) };
      },
    } as unknown as Transport;
    const store = createAlertsStore(transport);
    await store.getState().load();
    expect(store.getState().list?.counts.firing).toBe(1);
    store.getState().setFilter('firing');
    await store.getState().acknowledge('a1');
    expect(acked).toEqual(['a1']);
    expect(queries).toContainEqual({ state: 'firing' });
    expect(store.getState().busy.size).toBe(0);
    const bare = createAlertsStore({} as Transport);
    await bare.getState().load();
    expect(bare.getState().error?.code).toBe('unavailable');
  });
});
