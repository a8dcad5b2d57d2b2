import { describe, expect, it } from 'vitest';
import type { ChatEvent, ChatResponse } from '../../../shared/protocol';
import { LiveEventRouter } from './live-events';

const conversationId = 'c-1';
const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null };
const response = (messageId: string): ChatResponse => ({ conversationId, messageId, reply: 'r', engine: 'model', toolCalls: [], pendingApprovals: [], usage });
const token = (text: string): ChatEvent => ({ type: 'token', conversationId, text });
const done = (messageId: string): ChatEvent => ({ type: 'done', conversationId, response: response(messageId) });

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (callback: () => void) => {
      pending.set(++next, callback);
      return next;
    },
    clearTimeout: (handle: unknown) => void pending.delete(handle as number),
    fireAll: () => {
      for (const [id, callback] of [...pending]) {
        pending.delete(id);
        callback();
      }
    },
    get count() {
      return pending.size;
    },
  };
}

function setup() {
  const delivered: ChatEvent[][] = [];
  const timers = manualTimers();
  const router = new LiveEventRouter((events) => delivered.push(events), 1500, timers);
  return { delivered, timers, router };
}

describe('LiveEventRouter', () => {
  it('delivers a turn nobody here started (the agent continuing after an approval) as it streams', () => {
    const { delivered, router } = setup();
    router.live(token('It '));
    router.live(token('ran.'));
    router.live(done('m-2'));
    expect(delivered).toEqual([[token('It ')], [token('ran.')], [done('m-2')]]);
  });

  it('drops the echo of our own turn while it is in flight', () => {
    const { delivered, router } = setup();
    router.ownTurnStarted();
    router.live(token('hello'));
    router.live(done('m-1'));
    router.ownTurnEnded('m-1');
    expect(delivered).toEqual([]);
    // Afterwards, new turns come through again.
    router.live(token('later'));
    expect(delivered).toEqual([[token('later')]]);
  });

  it('drops the tail of our echo that arrives after our own stream finished', () => {
    const { delivered, timers, router } = setup();
    router.ownTurnStarted();
    router.live(token('hel'));
    router.ownTurnEnded('m-1');
    router.live(token('lo'));
    router.live(done('m-1'));
    expect(delivered).toEqual([]);
    expect(timers.count).toBe(0);
  });

  it('delivers held events when the subscription missed our end and a new turn finishes', () => {
    const { delivered, router } = setup();
    router.ownTurnStarted();
    router.ownTurnEnded('m-1');
    router.live(token('It ran.'));
    router.live(done('m-2'));
    expect(delivered).toEqual([[token('It ran.'), done('m-2')]]);
  });

  it('releases held events when no end of our echo ever comes', () => {
    const { delivered, timers, router } = setup();
    router.ownTurnStarted();
    router.ownTurnEnded('m-1');
    router.live(token('It ran.'));
    expect(delivered).toEqual([]);
    timers.fireAll();
    expect(delivered).toEqual([[token('It ran.')]]);
    router.live(done('m-2'));
    expect(delivered.at(-1)).toEqual([done('m-2')]);
  });

  it('treats an error after our turn as the end of its echo', () => {
    const { delivered, router } = setup();
    router.ownTurnStarted();
    router.ownTurnEnded(null);
    router.live({ type: 'error', conversationId, error: { code: 'cancelled', message: 'stopped' } });
    router.live(token('next'));
    expect(delivered).toEqual([[token('next')]]);
  });

  it('forgets everything on reset (another conversation)', () => {
    const { delivered, timers, router } = setup();
    router.ownTurnStarted();
    router.reset();
    expect(timers.count).toBe(0);
    router.live(token('x'));
    expect(delivered).toEqual([[token('x')]]);
  });
});
