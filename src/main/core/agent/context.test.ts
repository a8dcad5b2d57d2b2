import { describe, expect, it } from 'vitest';
import { countMessagesTokens, type ChatMessage } from '../llm';
import { capToolResult, extractPinnedFacts, PRUNED_TOOL_OUTPUT, pruneToFit } from './context';

function conversation(turns: number, toolChars = 4000): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: 'You are Fleetmind. Pinned: never restart nginx.' }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: `question ${i}: how is web-${i} doing?` });
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: `c${i}`, type: 'function', function: { name: 'server_status', arguments: `{"host":"web-${i}"}` } }] });
    messages.push({ role: 'tool', tool_call_id: `c${i}`, content: `load ${i} `.repeat(toolChars / 8) });
    messages.push({ role: 'assistant', content: `web-${i} is fine, load ${i}.` });
  }
  messages.push({ role: 'user', content: 'and now the database?' });
  return messages;
}

describe('pruneToFit', () => {
  it('leaves a conversation that fits untouched', () => {
    const messages = conversation(2, 100);
    const result = pruneToFit(messages, messages.length - 1, 100_000);
    expect(result.messages).toEqual(messages);
    expect(result.dropped).toEqual([]);
  });

  it('drops old tool output first, keeping every turn', () => {
    const messages = conversation(10);
    const limit = countMessagesTokens(messages as never) - 2000;
    const result = pruneToFit(messages, messages.length - 1, limit);
    expect(result.dropped).toEqual([]);
    expect(result.prunedToolOutputs).toBeGreaterThan(0);
    expect(result.messages.filter((m) => m.role === 'tool' && m.content === PRUNED_TOOL_OUTPUT).length).toBe(result.prunedToolOutputs);
    expect(result.tokens).toBeLessThanOrEqual(limit);
    expect(countMessagesTokens(result.messages as never)).toBe(result.tokens);
  });

  it('then drops the oldest turns whole, never orphaning a tool result, and keeps system and the question', () => {
    const messages = conversation(200);
    const limit = 3000;
    const result = pruneToFit(messages, messages.length - 1, limit);
    expect(result.tokens).toBeLessThanOrEqual(limit);
    expect(result.messages[0]).toEqual(messages[0]);
    expect(result.messages.at(-1)).toEqual(messages.at(-1));
    expect(result.dropped.length).toBeGreaterThan(0);
    const firstKept = result.messages[1]!;
    expect(firstKept.role).not.toBe('tool');
    // every kept tool message follows the assistant message that called it
    for (let i = 1; i < result.messages.length; i++) {
      const m = result.messages[i]!;
      if (m.role === 'tool') expect(['tool', 'assistant']).toContain(result.messages[i - 1]!.role);
    }
  });

  it('cuts the current turn\'s own huge tool output as a last resort', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'show the log' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'tail_logs', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'a', content: 'line of log text\n'.repeat(20_000) },
    ];
    const result = pruneToFit(messages, 1, 2000);
    expect(result.tokens).toBeLessThanOrEqual(2000);
    expect(String(result.messages[3]!.content)).toMatch(/characters cut to fit/);
  });
});

describe('capToolResult and pinned facts', () => {
  it('keeps head and tail of long output', () => {
    const capped = capToolResult(`HEAD${'x'.repeat(10_000)}TAIL`, 1000);
    expect(capped.length).toBeLessThanOrEqual(1100);
    expect(capped.startsWith('HEAD')).toBe(true);
    expect(capped.endsWith('TAIL')).toBe(true);
  });

  it('pins operator constraints, without duplicates, newest kept', () => {
    const pinned = extractPinnedFacts('Check web-1. Never restart nginx during business hours. Thanks', []);
    expect(pinned).toEqual(['Never restart nginx during business hours.']);
    expect(extractPinnedFacts('Never restart nginx during business hours.', pinned)).toEqual(pinned);
    expect(extractPinnedFacts('how is the disk?', pinned)).toEqual(pinned);
  });
});
