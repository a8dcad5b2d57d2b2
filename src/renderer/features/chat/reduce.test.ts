import { describe, expect, it } from 'vitest';
import type { ChatEvent, ToolCallRecord } from '../../../shared/protocol';
import type { MessageView } from './model';
import { applyChatEvent } from './reduce';

const conversationId = 'c-1';
const empty: MessageView = { key: 'a-1', role: 'assistant', text: '', engine: null, model: null, toolCalls: [], approvals: [], status: 'streaming', error: null };
const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null };
const record: ToolCallRecord = {
  id: 't-1',
  tool: 'server_status',
  args: {},
  host: 'localhost',
  ok: true,
  summary: 'load 0.1/4 CPU',
  error: null,
  durationMs: 12,
  startedAt: '2026-01-01T00:00:00.000Z',
};

const fold = (events: ChatEvent[]) => events.reduce(applyChatEvent, empty);

describe('applyChatEvent', () => {
  it('appends tokens and turns a tool call into a card that finishes ok', () => {
    const message = fold([
      { type: 'tool_call', conversationId, id: 't-1', tool: 'server_status', args: {}, host: 'localhost' },
      { type: 'token', conversationId, text: 'Host: vm\n' },
      { type: 'tool_result', conversationId, call: record },
      { type: 'token', conversationId, text: 'Load: low' },
    ]);
    expect(message.text).toBe('Host: vm\nLoad: low');
    expect(message.toolCalls).toEqual([
      { id: 't-1', tool: 'server_status', host: 'localhost', args: {}, status: 'ok', durationMs: 12, summary: 'load 0.1/4 CPU', error: null },
    ]);
    expect(message.status).toBe('streaming');
  });

  it('marks a failed tool result as failed with its error', () => {
    const failed = { ...record, ok: false, error: { code: 'timeout' as const, message: 'took too long' } };
    const message = fold([{ type: 'tool_result', conversationId, call: failed }]);
    expect(message.toolCalls[0]?.status).toBe('failed');
    expect(message.toolCalls[0]?.error?.code).toBe('timeout');
  });

  it('lets the done response replace the streamed text and set the engine', () => {
    const message = fold([
      { type: 'token', conversationId, text: 'partial' },
      {
        type: 'done',
        conversationId,
        response: { conversationId, messageId: 'm-1', reply: 'full answer', engine: 'offline', toolCalls: [record], pendingApprovals: [], usage },
      },
    ]);
    expect(message).toMatchObject({ text: 'full answer', engine: 'offline', status: 'complete' });
    expect(message.toolCalls[0]?.status).toBe('ok');
  });

  it('fails the message on an error event and settles cards that were still running', () => {
    const message = fold([
      { type: 'tool_call', conversationId, id: 't-1', tool: 'server_status', args: {}, host: null },
      { type: 'error', conversationId, error: { code: 'internal', message: 'engine crashed' } },
    ]);
    expect(message.status).toBe('failed');
    expect(message.error).toEqual({ code: 'internal', message: 'engine crashed' });
    expect(message.toolCalls[0]?.status).toBe('failed');
  });

  it('keeps the model name from usage events', () => {
    const message = fold([{ type: 'usage', conversationId, usage: { ...usage, model: 'gpt-4.1-mini' } }]);
    expect(message.model).toBe('gpt-4.1-mini');
  });
});
