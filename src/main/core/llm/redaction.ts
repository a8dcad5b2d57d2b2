import { Redactor } from '../privacy';
import type { ChatMessage } from './provider';

/** Conversations whose redaction sessions are kept (least recently used dropped first). */
const MAX_SESSIONS = 512;

/**
 * Redaction sessions per conversation for requests to remote models. The same secret keeps
 * the same placeholder for the whole conversation while the server runs (the mapping is in
 * memory only; after a restart numbering starts again).
 */
export class RedactionSessions {
  private readonly sessions = new Map<string, Redactor>();

  /** A conversation's session; a fresh one for calls outside a conversation. */
  for(conversationId: string | null): Redactor {
    if (!conversationId) return new Redactor();
    let session = this.sessions.get(conversationId);
    if (session) {
      this.sessions.delete(conversationId);
    } else {
      session = new Redactor();
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    }
    this.sessions.set(conversationId, session);
    return session;
  }
}

/**
 * Every text a remote model would see, redacted: system prompt (pinned facts, summary), user
 * messages, assistant text and tool-call arguments from history, tool results and error texts.
 * Returns new message objects; the caller's list (and the store) are untouched.
 */
export function redactMessages(messages: readonly ChatMessage[], redactor: Redactor): ChatMessage[] {
  return messages.map((message) => {
    const copy: Record<string, unknown> = { ...message };
    if (typeof copy.content === 'string') {
      copy.content = redactor.redactText(copy.content);
    } else if (Array.isArray(copy.content)) {
      copy.content = copy.content.map((part: unknown) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? { ...part, text: redactor.redactText((part as { text: string }).text) } : part,
      );
    }
    if (Array.isArray(copy.tool_calls)) {
      copy.tool_calls = copy.tool_calls.map((call: unknown) => {
        const fn = (call as { function?: { name: string; arguments: string } }).function;
        return fn ? { ...(call as object), function: { ...fn, arguments: redactor.redactText(fn.arguments) } } : call;
      });
    }
    return copy as unknown as ChatMessage;
  });
}
