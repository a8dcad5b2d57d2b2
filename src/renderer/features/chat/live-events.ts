import type { ChatEvent } from '../../../shared/protocol';

/** How long after this window's own turn ends its echo may still arrive on the subscription. */
export const ECHO_GRACE_MS = 1500;

interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Sorts a conversation's live events (the subscription) into echoes of this window's own
 * turns, which its chat stream already shows, and turns nobody here asked for (the agent
 * continuing after an approval), which are handed to `deliver`.
 *
 * Both streams carry the same events, but they travel separately, so the subscription's
 * copy of an own turn can end after the chat stream did. Events arriving then are held
 * until the subscription's `done`: when its messageId is one of ours they are dropped,
 * otherwise (the subscription missed our turn's end and this is a new turn) they are
 * delivered. A grace timer settles the case where no `done` comes.
 */
export class LiveEventRouter {
  private ownTurnActive = false;
  /** The subscription has not yet shown the end of our latest turn. */
  private echoOpen = false;
  private held: ChatEvent[] = [];
  private timer: unknown = null;
  private readonly ownMessageIds = new Set<string>();

  constructor(
    private readonly deliver: (events: ChatEvent[]) => void,
    private readonly graceMs = ECHO_GRACE_MS,
    private readonly timers: Timers = defaultTimers,
  ) {}

  ownTurnStarted(): void {
    this.flushHeld();
    this.ownTurnActive = true;
    this.echoOpen = true;
  }

  ownTurnEnded(messageId: string | null): void {
    this.ownTurnActive = false;
    if (messageId) this.ownMessageIds.add(messageId);
    if (!this.echoOpen) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.echoOpen = false;
      this.flushHeld();
    }, this.graceMs);
  }

  live(event: ChatEvent): void {
    if (this.ownTurnActive) {
      if (event.type === 'done') this.ownMessageIds.add(event.response.messageId);
      if (event.type === 'done' || event.type === 'error') this.echoOpen = false;
      return;
    }
    if (!this.echoOpen) {
      this.deliver([event]);
      return;
    }
    if (event.type === 'done') {
      this.closeEcho();
      const held = this.held.splice(0);
      if (!this.ownMessageIds.has(event.response.messageId)) this.deliver([...held, event]);
    } else if (event.type === 'error') {
      this.closeEcho();
      this.held = [];
    } else {
      this.held.push(event);
    }
  }

  /** A different conversation is shown: forget everything about the previous one. */
  reset(): void {
    this.cancelTimer();
    this.ownTurnActive = false;
    this.echoOpen = false;
    this.held = [];
    this.ownMessageIds.clear();
  }

  private closeEcho(): void {
    this.echoOpen = false;
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private flushHeld(): void {
    this.cancelTimer();
    if (this.held.length > 0) this.deliver(this.held.splice(0));
  }
}
