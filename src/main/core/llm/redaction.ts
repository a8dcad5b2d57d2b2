import { CompiledVocabulary, Pseudonymiser, Redactor, type Vocabulary } from '../privacy';
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

/**
 * Pseudonym sessions per conversation for requests to remote models (privacy: host names and
 * addresses, IPs, internal domains, usernames, e-mail addresses → host-1, ip-3, user-2).
 *
 * Where the mapping lives: in this process's memory only, like the redaction sessions, and
 * never in the store, a log or a request. Nothing needs persisting: the store keeps the real
 * names (it is local; secrets in it are already redacted), every request maps the whole
 * history again with the conversation's session, and the model's answers are mapped back
 * before they are stored. After a restart a conversation simply gets fresh numbering, applied
 * to all of its history alike.
 */
export class PseudonymSessions {
  private readonly sessions = new Map<string, Pseudonymiser>();
  private compiled: { key: string; value: CompiledVocabulary } | null = null;

  /** `vocabulary` is read on every request (inventory edits apply at once); null turns pseudonyms off. */
  constructor(private readonly vocabulary: () => Vocabulary | null) {}

  /** The current vocabulary, compiled (cached while it does not change); null when pseudonyms are off. */
  current(): CompiledVocabulary | null {
    const vocabulary = this.vocabulary();
    if (!vocabulary) return null;
    const key = JSON.stringify(vocabulary);
    if (this.compiled?.key !== key) this.compiled = { key, value: new CompiledVocabulary(vocabulary) };
    return this.compiled.value;
  }

  /** A conversation's session; a fresh one for calls outside a conversation. */
  for(conversationId: string | null): Pseudonymiser {
    if (!conversationId) return new Pseudonymiser();
    let session = this.sessions.get(conversationId);
    if (session) {
      this.sessions.delete(conversationId);
    } else {
      session = new Pseudonymiser();
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    }
    this.sessions.set(conversationId, session);
    return session;
  }
}

/** Every text a remote model would see (already redacted), with pseudonyms; new message objects. */
export function pseudonymiseMessages(messages: readonly ChatMessage[], session: Pseudonymiser, vocabulary: CompiledVocabulary): ChatMessage[] {
  return mapMessageTexts(messages, (text) => session.pseudonymise(text, vocabulary));
}

function mapMessageTexts(messages: readonly ChatMessage[], map: (text: string) => string): ChatMessage[] {
  return messages.map((message) => {
    const copy: Record<string, unknown> = { ...message };
    if (typeof copy.content === 'string') {
      copy.content = map(copy.content);
    } else if (Array.isArray(copy.content)) {
      copy.content = copy.content.map((part: unknown) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? { ...part, text: map((part as { text: string }).text) } : part,
      );
    }
    if (Array.isArray(copy.tool_calls)) {
      copy.tool_calls = copy.tool_calls.map((call: unknown) => {
        const fn = (call as { function?: { name: string; arguments: string } }).function;
        return fn ? { ...(call as object), function: { ...fn, arguments: map(fn.arguments) } } : call;
      });
    }
    return copy as unknown as ChatMessage;
  });
}
