import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AlertList, AlertState, AlertView, ApiError } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

export interface AlertsState {
  list: AlertList | null;
  /** Which alerts are shown: every state, or one. */
  filter: AlertState | 'all';
  loading: boolean;
  /** Alert ids with an action in flight (ack, silence, explain). */
  busy: ReadonlySet<string>;
  error: ApiError | null;
  load(): Promise<void>;
  setFilter(filter: AlertState | 'all'): void;
  acknowledge(id: string): Promise<void>;
  /** Silences this alert's name on its host (or instance) for `minutes`. */
  silence(alert: AlertView, minutes: number): Promise<void>;
  interpret(id: string): Promise<void>;
}

export type AlertsStore = StoreApi<AlertsState>;

/**
 * The matchers that silence "this alert on this host": its name, plus host or instance when it
 * has one. An alert with neither (anyone with an alerts:write token can send one named like
 * Fleetmind's own DiskAlmostFull) is silenced with host="" and instance="", which match only
 * alerts without them (a missing label matches ""), not that name on every host.
 */
export function silenceMatchersFor(alert: Pick<AlertView, 'name' | 'labels'>): { name: string; value: string; isRegex: false }[] {
  // The label as it is (a missing alertname matches ""), not the display name, so the silence matches this very alert.
  const matchers: { name: string; value: string; isRegex: false }[] = [{ name: 'alertname', value: alert.labels.alertname ?? '', isRegex: false }];
  for (const key of ['host', 'instance']) {
    const value = alert.labels[key];
    if (value !== undefined) {
      matchers.push({ name: key, value, isRegex: false });
      return matchers;
    }
  }
  matchers.push({ name: 'host', value: '', isRegex: false }, { name: 'instance', value: '', isRegex: false });
  return matchers;
}

/** Alerts grouped by group key, groups with firing alerts first, newest first within. */
export function groupAlerts(alerts: readonly AlertView[]): { key: string; alerts: AlertView[]; firing: number }[] {
  const groups = new Map<string, AlertView[]>();
  for (const a of alerts) {
    const list = groups.get(a.groupKey);
    if (list) list.push(a);
    else groups.set(a.groupKey, [a]);
  }
  return [...groups.entries()]
    .map(([key, list]) => ({ key, alerts: list, firing: list.filter((a) => a.state === 'firing').length }))
    .sort((a, b) => (b.firing > 0 ? 1 : 0) - (a.firing > 0 ? 1 : 0) || (b.alerts[0]?.updatedAt ?? '').localeCompare(a.alerts[0]?.updatedAt ?? ''));
}

/** Alerts from Alertmanager, thresholds, anomalies and forecasts: the list, its badge count, and the operator's actions. */
export function createAlertsStore(transport: Transport): AlertsStore {
  let requests = 0;
  const unavailable: ApiError = { code: 'unavailable', message: 'alerts are not available here' };
  return createStore<AlertsState>()((set, get) => {
    const act = async (id: string, run: () => Promise<unknown>) => {
      set({ busy: new Set([...get().busy, id]) });
      try {
        await run();
        set({ error: null });
      } catch (err) {
        set({ error: toApiError(err) });
      } finally {
        const busy = new Set(get().busy);
        busy.delete(id);
        set({ busy });
        await get().load();
      }
    };
    return {
      list: null,
      filter: 'all',
      loading: false,
      busy: new Set(),
      error: null,
      async load() {
        const seq = ++requests;
        if (!transport.listAlerts) {
          set({ loading: false, error: unavailable });
          return;
        }
        set({ loading: true });
        const filter = get().filter;
        try {
          const list = await transport.listAlerts(filter === 'all' ? {} : { state: filter });
          if (seq === requests) set({ list, loading: false });
        } catch (err) {
          if (seq === requests) set({ loading: false, error: toApiError(err) });
        }
      },
      setFilter(filter) {
        set({ filter });
        void get().load();
      },
      acknowledge: (id) => act(id, () => (transport.acknowledgeAlert ? transport.acknowledgeAlert(id) : Promise.reject(unavailable))),
      silence: (alert, minutes) =>
        act(alert.id, () => (transport.silenceAlerts ? transport.silenceAlerts({ matchers: silenceMatchersFor(alert), durationMinutes: minutes, comment: `silenced from the alerts page: ${alert.name}` }) : Promise.reject(unavailable))),
      interpret: (id) => act(id, () => (transport.interpretAlert ? transport.interpretAlert(id) : Promise.reject(unavailable))),
    };
  });
}
