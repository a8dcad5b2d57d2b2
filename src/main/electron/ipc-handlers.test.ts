import type { IpcMainInvokeEvent } from 'electron';
import type { Logger } from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeChannels, type ChatEvent, type ChatRequest, type ChatResponse, type Health } from '../../shared/protocol';
import { ChatError } from '../core/agent';
import type { ChatOptions, CoreFacade } from '../core/services';
import { registerIpcHandlers } from './ipc-handlers';
import type { IpcResult } from './ipc-result';
import { RendererOrigin } from './security';

type Handler = (event: IpcMainInvokeEvent, request: unknown) => Promise<IpcResult<unknown>>;

const { handlers } = vi.hoisted(() => {
  // Belt and braces: should the real 'electron' package ever load, it must not try to download its binary.
  process.env.ELECTRON_OVERRIDE_DIST_PATH = '/nonexistent';
  return { handlers: new Map<string, Handler>() };
});

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const RENDERER_INDEX = '/opt/fleetmind/out/renderer/index.html';
const health: Health = { ok: true, version: '0.1.0', engine: 'offline', uptimeMs: 1, hostname: 'vm', dataDir: '/tmp/fm' };
const response: ChatResponse = {
  conversationId: 'c-1',
  messageId: 'm-1',
  reply: 'all good',
  engine: 'offline',
  toolCalls: [],
  pendingApprovals: [],
  usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0, model: null },
};

function fakeSender() {
  const lifecycle = new Map<string, () => void>();
  return {
    id: 7,
    sent: [] as { channel: string; payload: unknown }[],
    destroyed: false,
    isDestroyed() {
      return this.destroyed;
    },
    send(channel: string, payload: unknown) {
      this.sent.push({ channel, payload });
    },
    once(name: string, listener: () => void) {
      lifecycle.set(name, listener);
    },
    fire(name: string) {
      lifecycle.get(name)?.();
    },
  };
}

function invokeEvent(sender: ReturnType<typeof fakeSender>, frame: { url: string; parent: unknown } | null = { url: `file://${RENDERER_INDEX}`, parent: null }) {
  return { sender, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

function call(channel: string, request: unknown, sender = fakeSender(), frame?: { url: string; parent: unknown } | null) {
  const handler = handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler(frame === undefined ? invokeEvent(sender) : invokeEvent(sender, frame), request);
}

let chat: (request: ChatRequest, options?: ChatOptions) => Promise<ChatResponse>;
let logger: { error: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn> };
let unregister: () => void;

beforeEach(() => {
  unregister?.();
  chat = async () => response;
  logger = { error: vi.fn(), warn: vi.fn() };
  // Only what the IPC handlers use; the rest of the facade is not reachable over IPC.
  const core = {
    chat: (request, options) => chat(request, options),
    health: () => health,
    listConversations: () => ({ conversations: [] }),
    getConversation: () => null,
    cancel: () => false,
    close: async () => undefined,
  } satisfies Partial<CoreFacade> as unknown as CoreFacade;
  unregister = registerIpcHandlers(core, new RendererOrigin(RENDERER_INDEX, null), logger as unknown as Logger);
});

describe('Electron IPC handlers', () => {
  it('bind exactly the protocol’s invoke channels', () => {
    expect([...handlers.keys()].sort()).toEqual(Object.keys(invokeChannels).sort());
  });

  it('answer with a typed result', async () => {
    await expect(call('fleetmind:health', {})).resolves.toEqual({ ok: true, value: health });
    await expect(call('fleetmind:conversations.list', {})).resolves.toEqual({ ok: true, value: { conversations: [] } });
  });

  it('refuse frames that are not our page: other URLs and iframes', async () => {
    chat = vi.fn(async () => response);
    await expect(call('fleetmind:chat', { message: 'hi' }, fakeSender(), { url: 'https://evil.example/', parent: null })).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    await expect(call('fleetmind:chat', { message: 'hi' }, fakeSender(), { url: `file://${RENDERER_INDEX}`, parent: {} })).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    await expect(call('fleetmind:chat', { message: 'hi' }, fakeSender(), null)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(chat).not.toHaveBeenCalled();
  });

  it('validate requests again in main', async () => {
    await expect(call('fleetmind:chat', { message: '' })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call('fleetmind:conversations.get', { id: 42 })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('forward chat events to the sender and return the response', async () => {
    const events: ChatEvent[] = [
      { type: 'token', conversationId: 'c-1', text: 'all good' },
      { type: 'done', conversationId: 'c-1', response },
    ];
    chat = async (_request, options) => {
      for (const event of events) options?.onEvent?.(event);
      return response;
    };
    const sender = fakeSender();
    await expect(call('fleetmind:chat', { message: 'status' }, sender)).resolves.toEqual({ ok: true, value: response });
    expect(sender.sent).toEqual(events.map((payload) => ({ channel: 'fleetmind:chat.event', payload })));
  });

  it('turn core failures into typed errors', async () => {
    chat = async () => {
      throw new ChatError({ code: 'unknown_host', message: 'no host named web-99' });
    };
    await expect(call('fleetmind:chat', { message: 'hi', host: 'web-99' })).resolves.toEqual({
      ok: false,
      error: { code: 'unknown_host', message: 'no host named web-99' },
    });
    chat = async () => {
      throw new Error('disk I/O error');
    };
    await expect(call('fleetmind:chat', { message: 'hi' })).resolves.toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(logger.error).toHaveBeenCalledOnce();
    await expect(call('fleetmind:conversations.get', { id: 'missing' })).resolves.toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('abort the turns of a window that is closed', async () => {
    let seen: AbortSignal | undefined;
    chat = (_request, options) =>
      new Promise((_resolve, reject) => {
        seen = options?.signal;
        options?.signal?.addEventListener('abort', () => reject(new ChatError({ code: 'cancelled', message: 'window closed' })));
      });
    const sender = fakeSender();
    const pending = call('fleetmind:chat', { message: 'hi' }, sender);
    await vi.waitFor(() => expect(seen).toBeDefined());
    sender.destroyed = true;
    sender.fire('destroyed');
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(seen?.aborted).toBe(true);
  });
});
