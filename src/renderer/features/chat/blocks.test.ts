import { describe, expect, it } from 'vitest';
import type { ToolCallRecord } from '../../../shared/protocol';
import { toolCallFromRecord, type MessageView } from './model';
import { applyChatEvent } from './reduce';

const record: ToolCallRecord = { id: 't1', tool: 'run_command', args: { command: 'uptime' }, host: 'web-1', ok: true, summary: 'ran', error: null, durationMs: 4, startedAt: '2026-01-01T00:00:00.000Z' };
const blocks = {
  commands: [{ host: 'web-1', command: 'uptime', exitCode: 0, durationMs: 3, stdout: 'up 3 days\n', stderr: '', error: null }],
  findings: [{ host: 'web-1', severity: 'warning' as const, title: 'Load high' }],
  table: { columns: ['Host', 'Load'], rows: [['web-1', 2.5]] },
};

describe('chat blocks in the chat model', () => {
  it('a card carries the commands, findings and table of its record; a record without them gives a card without them', () => {
    const view = toolCallFromRecord({ ...record, ...blocks });
    expect(view.commands).toEqual(blocks.commands);
    expect(view.findings).toEqual(blocks.findings);
    expect(view.table).toEqual(blocks.table);
    const plain = toolCallFromRecord(record);
    expect('commands' in plain || 'findings' in plain || 'table' in plain).toBe(false);
  });

  it('a tool_result event fills the running card with them', () => {
    const message: MessageView = { key: 'm', role: 'assistant', text: '', engine: null, model: null, toolCalls: [], approvals: [], status: 'streaming', error: null };
    const running = applyChatEvent(message, { type: 'tool_call', conversationId: 'c', id: 't1', tool: 'run_command', args: { command: 'uptime' }, host: 'web-1' });
    expect(running.toolCalls[0]?.commands).toBeUndefined();
    const done = applyChatEvent(running, { type: 'tool_result', conversationId: 'c', call: { ...record, ...blocks } });
    expect(done.toolCalls).toHaveLength(1);
    expect(done.toolCalls[0]?.status).toBe('ok');
    expect(done.toolCalls[0]?.commands?.[0]?.stdout).toBe('up 3 days\n');
    expect(done.toolCalls[0]?.table?.rows).toEqual([['web-1', 2.5]]);
  });
});
