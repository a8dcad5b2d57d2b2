import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, UsageDimension, UsageReport } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

/** How far back the report looks by default. */
const DEFAULT_DAYS = 30;

export function daysAgo(days: number, now = new Date()): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

export interface UsageState {
  by: UsageDimension;
  /** First day included (UTC, YYYY-MM-DD), as the core records days. */
  since: string;
  report: UsageReport | null;
  loading: boolean;
  error: ApiError | null;

  setBy(by: UsageDimension): void;
  setSince(since: string): void;
  load(): Promise<void>;
}

export type UsageStore = StoreApi<UsageState>;

/** Model usage and spend: per day, model or conversation, with the budget's state. */
export function createUsageStore(transport: Transport): UsageStore {
  let requests = 0;
  return createStore<UsageState>()((set, get) => ({
    by: 'day',
    since: daysAgo(DEFAULT_DAYS),
    report: null,
    loading: false,
    error: null,

    setBy(by) {
      set({ by });
      void get().load();
    },

    setSince(since) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(since)) return;
      set({ since });
      void get().load();
    },

    async load() {
      const seq = ++requests;
      const { by, since } = get();
      set({ loading: true });
      try {
        const report = await transport.usageReport({ by, since });
        if (seq === requests) set({ report, loading: false, error: null });
      } catch (err) {
        if (seq === requests) set({ loading: false, error: toApiError(err) });
      }
    },
  }));
}
