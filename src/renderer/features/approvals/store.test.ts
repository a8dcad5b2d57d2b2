import { describe, expect, it, vi } from 'vitest';
import type { ApprovalDecisionResponse, ApprovalView } from '../../../shared/protocol';
import { TransportError, type Transport } from '../../transport';
import { createApprovalsStore } from './store';

const view = (id: string, requestedAt = `2026-01-01T00:00:0${id.slice(-1)}.000Z`): ApprovalView => ({
  id,
  command: `touch /tmp/${id}`,
  hosts: ['localhost'],
  category: 'mutating',
  reasons: [],
  purpose: null,
  requestedAt,
  expiresAt: '2099-01-01T00:00:00.000Z',
  conversationId: 'c-1',
  requester: 'agent:c-1',
  policyVersion: 'v1',
  status: 'pending',
  decidedAt: null,
  decisionReason: null,
  rememberable: true,
  rootHosts: [],
});

function fakeTransport(initial: ApprovalView[]) {
  let approvals = initial;
  const transport = {
    listApprovals: vi.fn(async () => ({ approvals })),
    listHosts: vi.fn(async () => ({ hosts: [] })),
    decideApproval: vi.fn(async (id: string, request: { decision: 'approve' | 'deny'; reason?: string }): Promise<ApprovalDecisionResponse> => {
      const found = approvals.find((a) => a.id === id)!;
      approvals = approvals.filter((a) => a.id !== id);
      return { approval: { ...found, status: request.decision === 'approve' ? 'approved' : 'denied', decisionReason: request.reason ?? null }, results: [], remembered: [] };
    }),
  };
  return {
    transport: transport as unknown as Transport,
    mock: transport,
    set: (next: ApprovalView[]) => {
      approvals = next;
    },
  };
}

describe('approvals store', () => {
  it('opens by itself for a request it has not shown, and respects Esc until a new one arrives', async () => {
    const fake = fakeTransport([view('a1')]);
    const store = createApprovalsStore(fake.transport);
    store.getState().setEnabled(true);
    await vi.waitFor(() => expect(store.getState().open).toBe(true));
    expect(store.getState().currentId).toBe('a1');

    store.getState().close();
    await store.getState().refresh();
    expect(store.getState().open).toBe(false);
    expect(store.getState().pending.map((a) => a.id)).toEqual(['a1']);

    fake.set([view('a1'), view('a2')]);
    store.getState().requested([view('a2')]);
    await vi.waitFor(() => expect(store.getState().open).toBe(true));
    expect(store.getState().currentId).toBe('a2');
  });

  it('decides, reports the settlement, and moves on to what is left', async () => {
    const fake = fakeTransport([view('a1'), view('a2')]);
    const onSettled = vi.fn();
    const store = createApprovalsStore(fake.transport, { onSettled });
    store.getState().setEnabled(true);
    await vi.waitFor(() => expect(store.getState().currentId).toBe('a1'));

    expect(await store.getState().decide('a1', { decision: 'deny', reason: 'not now' })).toBe(true);
    expect(onSettled).toHaveBeenCalledWith('a1', 'denied', 'not now');
    expect(store.getState().outcome?.approval.status).toBe('denied');
    expect(store.getState().pending.map((a) => a.id)).toEqual(['a2']);

    store.getState().dismissOutcome();
    expect(store.getState()).toMatchObject({ open: true, currentId: 'a2', outcome: null });
    await store.getState().decide('a2', { decision: 'approve', remember: 'once' });
    store.getState().dismissOutcome();
    expect(store.getState().open).toBe(false);
  });

  it('shows a conflict (decided elsewhere, expired) and fetches the list again', async () => {
    const fake = fakeTransport([view('a1')]);
    const store = createApprovalsStore(fake.transport);
    store.getState().setEnabled(true);
    await vi.waitFor(() => expect(store.getState().open).toBe(true));
    fake.mock.decideApproval.mockRejectedValueOnce(new TransportError({ code: 'conflict', message: 'approval a1 is already expired' }));
    fake.set([]);
    expect(await store.getState().decide('a1', { decision: 'approve' })).toBe(false);
    expect(store.getState().error?.code).toBe('conflict');
    await vi.waitFor(() => expect(store.getState().pending).toEqual([]));
  });

  it('goes quiet when the session is not the operator’s', async () => {
    const fake = fakeTransport([view('a1')]);
    fake.mock.listApprovals.mockRejectedValue(new TransportError({ code: 'unauthorized', message: 'approvals need the operator token' }));
    const store = createApprovalsStore(fake.transport);
    store.getState().setEnabled(true);
    await vi.waitFor(() => expect(store.getState().enabled).toBe(false));
    expect(store.getState().open).toBe(false);
  });
});
