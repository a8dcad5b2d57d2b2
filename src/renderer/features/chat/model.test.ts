import { describe, expect, it } from 'vitest';
import type { StoredMessage, ToolCallRecord } from '../../../shared/protocol';
import { messagesFromHistory, toolCallFromRecord } from './model';

const call = (id: string, ok: boolean, code: 'approval_required' | 'internal' | null = null): ToolCallRecord => ({
  id,
  tool: 'run_command',
  args: { command: 'touch /tmp/x' },
  host: 'localhost',
  ok,
  summary: '',
  error: code ? { code, message: code } : null,
  durationMs: 3,
  startedAt: '2026-01-01T00:00:00.000Z',
});

const message = (id: string, role: StoredMessage['role'], toolCalls: ToolCallRecord[] = []): StoredMessage => ({
  id,
  conversationId: 'c-1',
  role,
  content: `${role} ${id}`,
  engine: role === 'assistant' ? 'model' : null,
  createdAt: '2026-01-01T00:00:00.000Z',
  toolCalls,
});

describe('messagesFromHistory', () => {
  it('puts an approved run (a tool row) at the head of the reply the agent continued with', () => {
    const views = messagesFromHistory([
      message('u1', 'user'),
      message('a1', 'assistant', [call('t1', false, 'approval_required')]),
      message('tool', 'tool', [call('t2', true)]),
      message('a2', 'assistant'),
    ]);
    expect(views.map((v) => [v.key, v.role, v.continuation ?? false])).toEqual([
      ['u1', 'user', false],
      ['a1', 'assistant', false],
      ['a2', 'assistant', true],
    ]);
    expect(views[2]!.toolCalls.map((c) => [c.id, c.status])).toEqual([['t2', 'ok']]);
  });

  it('skips system rows', () => {
    expect(messagesFromHistory([message('s', 'system'), message('u', 'user')]).map((v) => v.key)).toEqual(['u']);
  });
});

describe('toolCallFromRecord', () => {
  it('shows a call held for approval as held, not failed', () => {
    expect(toolCallFromRecord(call('t', false, 'approval_required')).status).toBe('held');
    expect(toolCallFromRecord(call('t', false, 'internal')).status).toBe('failed');
  });
});
