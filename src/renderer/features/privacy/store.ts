import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, PrivacyReport } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

export interface PrivacyState {
  report: PrivacyReport | null;
  loading: boolean;
  error: ApiError | null;
  load(): Promise<void>;
}

export type PrivacyStore = StoreApi<PrivacyState>;

/** The privacy report: per conversation and provider, what was sent to models (counts only). */
export function createPrivacyStore(transport: Transport): PrivacyStore {
  let requests = 0;
  return createStore<PrivacyState>()((set) => ({
    report: null,
    loading: false,
    error: null,
    async load() {
      const seq = ++requests;
      if (!transport.privacyReport) {
        set({ loading: false, error: { code: 'unavailable', message: 'the privacy report is not available here' } });
        return;
      }
      set({ loading: true });
      try {
        const report = await transport.privacyReport();
        if (seq === requests) set({ report, loading: false, error: null });
      } catch (err) {
        if (seq === requests) set({ loading: false, error: toApiError(err) });
      }
    },
  }));
}

/** `aws-key×2 github×1`, sorted by type; `–` for none. */
export function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type}×${n}`);
  return parts.length > 0 ? parts.join(' ') : '–';
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
