import type { StoredMessage } from '../../../shared/protocol';
import { countMessageTokens, type ChatMessage } from '../llm';

export const PRUNED_TOOL_OUTPUT = '[tool output pruned to fit the context window; call the tool again if you need it]';

export interface PruneResult {
  messages: ChatMessage[];
  /** History messages removed from the front (to be summarised), oldest first. */
  dropped: ChatMessage[];
  prunedToolOutputs: number;
  tokens: number;
}

/**
 * Fits a conversation into `limit` tokens. The system message (with pinned facts and
 * the summary) and the current turn always stay. Old tool output goes first, then the
 * oldest turns (returned for summarising), and as a last resort the current turn's
 * largest tool outputs are cut in the middle.
 *
 * `currentTurnStart` is the index of the current user message.
 */
export function pruneToFit(messages: readonly ChatMessage[], currentTurnStart: number, limit: number): PruneResult {
  const out = messages.map((m) => ({ ...m })) as ChatMessage[];
  const counts = out.map((m) => countMessageTokens(m as never));
  let total = counts.reduce((a, b) => a + b, 3);
  let prunedToolOutputs = 0;
  const dropped: ChatMessage[] = [];
  if (total <= limit) return { messages: out, dropped, prunedToolOutputs, tokens: total };

  // 1. Old tool output, oldest first (before the current turn).
  for (let i = 1; i < currentTurnStart && total > limit; i++) {
    const m = out[i] as ChatMessage;
    if (m.role === 'tool' && m.content !== PRUNED_TOOL_OUTPUT) {
      const replaced = { ...m, content: PRUNED_TOOL_OUTPUT } as ChatMessage;
      const c = countMessageTokens(replaced as never);
      total += c - (counts[i] as number);
      counts[i] = c;
      out[i] = replaced;
      prunedToolOutputs++;
    }
  }
  // 2. Oldest turns. Never leave a tool message without the assistant message that called it.
  let first = 1;
  while (total > limit && first < currentTurnStart) {
    let end = first + 1;
    while (end < currentTurnStart && (out[end] as ChatMessage).role === 'tool') end++;
    for (let i = first; i < end; i++) {
      dropped.push(out[i] as ChatMessage);
      total -= counts[i] as number;
    }
    first = end;
  }
  const kept = [out[0] as ChatMessage, ...out.slice(first)];
  const keptCounts = [counts[0] as number, ...counts.slice(first)];
  // 3. The current turn alone is too large: cut its biggest tool outputs.
  while (total > limit) {
    let biggest = -1;
    for (let i = 1; i < kept.length; i++) {
      const m = kept[i] as ChatMessage;
      if (m.role === 'tool' && typeof m.content === 'string' && m.content.length > 200 && (biggest < 0 || (keptCounts[i] as number) > (keptCounts[biggest] as number))) biggest = i;
    }
    if (biggest < 0) break;
    const m = kept[biggest] as ChatMessage & { content: string };
    const keep = Math.max(100, Math.floor(m.content.length / 2) - 50);
    const cut = { ...m, content: `${m.content.slice(0, keep / 2)}\n[… ${m.content.length - keep} characters cut to fit the context window …]\n${m.content.slice(-keep / 2)}` } as ChatMessage;
    const c = countMessageTokens(cut as never);
    total += c - (keptCounts[biggest] as number);
    keptCounts[biggest] = c;
    kept[biggest] = cut;
  }
  return { messages: kept, dropped, prunedToolOutputs, tokens: total };
}

/** Stored conversation messages as model messages; tool calls appear as a compact note. */
export function historyToModelMessages(history: readonly StoredMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of history) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    // Approval outcomes are stored as tool messages; the model sees them as a note from Fleetmind, not the operator.
    else if (m.role === 'tool') out.push({ role: 'user', content: `[Fleetmind, not the operator: ${m.content}]` });
    else if (m.role === 'assistant') {
      const tools = m.toolCalls.length
        ? `\n\n(Tools used for this answer: ${m.toolCalls.map((c) => `${c.tool}${c.host ? ` on ${c.host}` : ''}: ${c.ok ? c.summary : `failed, ${c.error?.message ?? 'error'}`}`).join('; ')})`
        : '';
      out.push({ role: 'assistant', content: `${m.content}${tools}` });
    }
  }
  return out;
}

/** A capped tool result: head and tail survive, the middle is marked as cut. */
export function capToolResult(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const half = Math.floor((maxChars - 80) / 2);
  return `${text.slice(0, half)}\n[… ${text.length - 2 * half} characters of tool output cut …]\n${text.slice(-half)}`;
}

const CONSTRAINT = /\b(don'?t|do not|never|always|must|only|avoid|without)\b/i;

/** User constraints worth keeping across pruning ("never restart nginx during business hours"). */
export function extractPinnedFacts(message: string, existing: readonly string[], max = 10): string[] {
  const facts = [...existing];
  for (const sentence of message.split(/(?<=[.!?])\s+|\n+/)) {
    const s = sentence.trim();
    if (s.length < 8 || s.length > 300) continue;
    if ((CONSTRAINT.test(s) || /^(remember|note)\b/i.test(s)) && !facts.includes(s)) facts.push(s);
  }
  return facts.slice(-max);
}
