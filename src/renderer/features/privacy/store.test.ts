import { describe, expect, it } from 'vitest';
import type { Transport } from '../../transport';
import { createPrivacyStore, formatBytes, formatCounts } from './store';

describe('privacy feature', () => {
  it('formats counts and sizes', () => {
    expect(formatCounts({ 'github-token': 1, 'aws-key': 2, none: 0 })).toBe('aws-key×2 github-token×1');
    expect(formatCounts({})).toBe('–');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
  });

  it('loads the report, and says so when the transport has none', async () => {
    const report = { rows: [], totals: { requests: 0, bytesSent: 0, remoteRequests: 0, remoteBytesSent: 0, redactions: {} } };
    const store = createPrivacyStore({ privacyReport: async () => report } as unknown as Transport);
    await store.getState().load();
    expect(store.getState()).toMatchObject({ report, error: null, loading: false });
    const none = createPrivacyStore({} as unknown as Transport);
    await none.getState().load();
    expect(none.getState().error?.code).toBe('unavailable');
  });
});
