import { describe, expect, it, vi } from 'vitest';
import type { RememberedRuleView } from '../../../shared/protocol';
import { TransportError, type Transport } from '../../transport';
import { createRulesStore } from './store';

const rule = (id: string, createdAt: string, overrides: Partial<RememberedRuleView> = {}): RememberedRuleView => ({
  id,
  command: `systemctl restart ${id}`,
  scope: 'host',
  target: 'localhost',
  approvalId: `approval-${id}`,
  createdBy: 'api',
  createdAt,
  policyVersion: 'v1',
  verdict: { decision: 'ask', category: 'mutating', ruleIds: ['systemctl-restart'] },
  ...overrides,
});

function fakeTransport(initial: RememberedRuleView[]) {
  let rules = initial;
  const mock = {
    listRules: vi.fn(async () => ({ rules })),
    revokeRule: vi.fn(async (id: string) => {
      const found = rules.find((r) => r.id === id);
      if (!found) throw new TransportError({ code: 'not_found', message: `no remembered rule ${id}` });
      rules = rules.filter((r) => r.id !== id);
      return { revoked: found };
    }),
  };
  return {
    transport: mock as unknown as Transport,
    mock,
    set: (next: RememberedRuleView[]) => {
      rules = next;
    },
  };
}

describe('rules store', () => {
  it('lists the remembered rules newest first', async () => {
    const fake = fakeTransport([rule('nginx', '2026-01-01T00:00:00.000Z'), rule('sshd', '2026-01-03T00:00:00.000Z', { scope: 'tag', target: 'web' })]);
    const store = createRulesStore(fake.transport);
    expect(store.getState().loaded).toBe(false);
    await store.getState().load();
    const s = store.getState();
    expect(s.loaded).toBe(true);
    expect(s.loading).toBe(false);
    expect(s.rules.map((r) => r.id)).toEqual(['sshd', 'nginx']);
    expect(s.rules[0]).toMatchObject({ scope: 'tag', target: 'web' });
  });

  it('revokes a rule: gone from the list at once, remembered for the status line, and the list is read again', async () => {
    const fake = fakeTransport([rule('nginx', '2026-01-01T00:00:00.000Z'), rule('sshd', '2026-01-02T00:00:00.000Z')]);
    const store = createRulesStore(fake.transport);
    await store.getState().load();
    await expect(store.getState().revoke('nginx')).resolves.toBe(true);
    expect(fake.mock.revokeRule).toHaveBeenCalledWith('nginx');
    expect(store.getState().rules.map((r) => r.id)).toEqual(['sshd']);
    expect(store.getState().revoked?.id).toBe('nginx');
    expect(store.getState().revoking).toBeNull();
    await vi.waitFor(() => expect(fake.mock.listRules).toHaveBeenCalledTimes(2));
    expect(store.getState().rules.map((r) => r.id)).toEqual(['sshd']);
  });

  it('a rule revoked elsewhere meanwhile: shows the typed error and what the server has now', async () => {
    const fake = fakeTransport([rule('nginx', '2026-01-01T00:00:00.000Z')]);
    const store = createRulesStore(fake.transport);
    await store.getState().load();
    fake.set([]);
    await expect(store.getState().revoke('nginx')).resolves.toBe(false);
    expect(store.getState().error).toEqual({ code: 'not_found', message: 'no remembered rule nginx' });
    expect(store.getState().rules).toEqual([]);
    expect(store.getState().revoking).toBeNull();
    store.getState().dismissError();
    expect(store.getState().error).toBeNull();
  });

  it('a list that arrives after a revoke does not bring the revoked rule back', async () => {
    const fake = fakeTransport([rule('nginx', '2026-01-01T00:00:00.000Z')]);
    const store = createRulesStore(fake.transport);
    await store.getState().load();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stale = { rules: [rule('nginx', '2026-01-01T00:00:00.000Z')] };
    fake.mock.listRules.mockImplementationOnce(async () => {
      await gate;
      return stale;
    });
    const slowLoad = store.getState().load();
    await store.getState().revoke('nginx');
    release();
    await slowLoad;
    await vi.waitFor(() => expect(fake.mock.listRules).toHaveBeenCalledTimes(3));
    expect(store.getState().rules).toEqual([]);
  });

  it('keeps the rules shown when a refresh fails, and one revoke at a time', async () => {
    const fake = fakeTransport([rule('nginx', '2026-01-01T00:00:00.000Z'), rule('sshd', '2026-01-02T00:00:00.000Z')]);
    const store = createRulesStore(fake.transport);
    await store.getState().load();
    fake.mock.listRules.mockRejectedValueOnce(new TransportError({ code: 'unauthorized', message: 'listing remembered approval rules needs the operator token' }));
    await store.getState().load();
    expect(store.getState().error?.code).toBe('unauthorized');
    expect(store.getState().rules).toHaveLength(2);

    const first = store.getState().revoke('nginx');
    await expect(store.getState().revoke('sshd')).resolves.toBe(false);
    await first;
    expect(fake.mock.revokeRule).toHaveBeenCalledTimes(1);
  });
});
