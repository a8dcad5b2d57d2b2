import { describe, expect, it, vi } from 'vitest';
import type { ChatEvent, ChatResponse, PendingApproval, ToolCallRecord } from '../../../shared/protocol';
import type { Transport } from '../../transport';
import { createChatStore } from './store';

const conversationId = 'c-1';
const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null };
const approval: PendingApproval = {
  id: 'ap-1',
  command: 'touch /tmp/x',
  hosts: ['localhost'],
  category: 'mutating',
  reasons: [],
  purpose: null,
  requestedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2099-01-01T00:00:00.000Z',
};
const ran: ToolCallRecord = { id: 't-2', tool: 'run_command', args: {}, host: 'localhost', ok: true, summary: 'approved', error: null, durationMs: 4, startedAt: '2026-01-01T00:00:01.000Z' };
const response = (messageId: string, reply: string, pendingApprovals: PendingApproval[] = []): ChatResponse => ({
  conversationId,
  messageId,
  reply,
  engine: 'model',
  toolCalls: [],
  pendingApprovals,
  usage,
});

/** A transport whose chat stream and conversation subscription the test drives by hand. */
function fakeTransport() {
  let live: ((event: ChatEvent) => void) | null = null;
  let finishTurn: (() => void) | null = null;
  const ownEvents: ChatEvent[] = [
    { type: 'approval_required', conversationId, approval },
    { type: 'token', conversationId, text: 'Queued.' },
    { type: 'done', conversationId, response: response('m-1', 'Queued.', [approval]) },
  ];
  const transport = {
    chat: vi.fn(async (_request: unknown, onEvent: (event: ChatEvent) => void) => {
      for (const event of ownEvents) onEvent(event);
      // Hold the turn open until the test has had the subscription echo part of it.
      await new Promise<void>((resolve) => {
        finishTurn = resolve;
      });
      return response('m-1', 'Queued.', [approval]);
    }),
    subscribeConversation: vi.fn((_id: string, onEvent: (event: ChatEvent) => void) => {
      live = onEvent;
      return () => {
        live = null;
      };
    }),
    listConversations: vi.fn(async () => ({ conversations: [] })),
  };
  return {
    transport: transport as unknown as Transport,
    ownEvents,
    live: (event: ChatEvent) => live?.(event),
    finishTurn: () => finishTurn?.(),
    subscribed: () => live !== null,
  };
}

describe('chat store with live conversation events', () => {
  it('shows its own turn once, then the agent’s continuation after an approval as a new reply', async () => {
    const fake = fakeTransport();
    const requested = vi.fn();
    const store = createChatStore(fake.transport, { onApprovalsRequested: requested });
    const sending = store.getState().send('create the marker');
    await vi.waitFor(() => expect(fake.subscribed()).toBe(true));
    // The subscription echoes the turn while it is in flight: ignored.
    for (const event of fake.ownEvents) fake.live(event);
    fake.finishTurn();
    await sending;

    expect(store.getState().messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(store.getState().messages[1]!.approvals.map((a) => a.id)).toEqual(['ap-1']);
    expect(requested).toHaveBeenCalledWith([approval]);

    // The operator approves elsewhere; the agent continues by itself.
    fake.live({ type: 'tool_result', conversationId, call: ran });
    expect(store.getState().continuing).toBe(true);
    fake.live({ type: 'token', conversationId, text: 'It ran.' });
    fake.live({ type: 'done', conversationId, response: response('m-2', 'It ran.') });

    const messages = store.getState().messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'assistant']);
    expect(messages[2]).toMatchObject({ continuation: true, status: 'complete', text: 'It ran.' });
    expect(messages[2]!.toolCalls.map((c) => [c.id, c.status])).toEqual([['t-2', 'ok']]);
    expect(store.getState().continuing).toBe(false);
  });

  it('drops its own turn’s echo when it arrives after the turn ended', async () => {
    const fake = fakeTransport();
    const store = createChatStore(fake.transport);
    const sending = store.getState().send('create the marker');
    await vi.waitFor(() => expect(fake.subscribed()).toBe(true));
    fake.finishTurn();
    await sending;
    for (const event of fake.ownEvents) fake.live(event);
    expect(store.getState().messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('marks approvals decided in the dialog', () => {
    const store = createChatStore(fakeTransport().transport);
    store.getState().markApproval('ap-1', 'denied', 'not now');
    expect(store.getState().approvalOutcomes['ap-1']).toEqual({ outcome: 'denied', reason: 'not now' });
  });
});
