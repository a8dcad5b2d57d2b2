import type { ChatEvent } from '../../../shared/protocol';

type Listener = (event: ChatEvent) => void;

/**
 * Live events per conversation, for every open view of it (SSE subscribers, the
 * desktop window). Turns that start without a request, such as the agent continuing
 * after an approval, reach the operator this way.
 */
export class ConversationEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly everything = new Set<Listener>();

  /** Every conversation's events (the single-user desktop window). */
  subscribeAll(listener: Listener): () => void {
    this.everything.add(listener);
    return () => this.everything.delete(listener);
  }

  subscribe(conversationId: string, listener: Listener): () => void {
    const set = this.listeners.get(conversationId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(conversationId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(conversationId);
    };
  }

  publish(event: ChatEvent): void {
    for (const listener of [...(this.listeners.get(event.conversationId) ?? []), ...this.everything]) {
      try {
        listener(event);
      } catch {
        // one broken subscriber must not stop the others or the turn
      }
    }
  }

  subscriberCount(conversationId: string): number {
    return this.listeners.get(conversationId)?.size ?? 0;
  }
}
