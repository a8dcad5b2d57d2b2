import type { IpcMainInvokeEvent } from 'electron';
import type { Logger } from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeChannels, type ChatEvent, type ChatRequest, type ChatResponse, type Health } from '../../shared/protocol';
import { ApprovalError, ChatError } from '../core/agent';
import { ProviderSettingsError } from '../core/llm';
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
const health: Health = { ok: true, policy: 'ready', version: '0.1.0', engine: 'offline', uptimeMs: 1, hostname: 'vm', dataDir: '/tmp/fm' };
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
let providers: { list: ReturnType<typeof vi.fn>; add: ReturnType<typeof vi.fn>; remove: ReturnType<typeof vi.fn> };
let testProvider: ReturnType<typeof vi.fn>;
let usageReport: ReturnType<typeof vi.fn>;
let auditPage: ReturnType<typeof vi.fn>;
let listRules: ReturnType<typeof vi.fn>;
let revokeRule: ReturnType<typeof vi.fn>;
let logger: { error: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn> };
let unregister: () => void;

beforeEach(() => {
  unregister?.();
  chat = async () => response;
  providers = {
    list: vi.fn(async () => [{ name: 'local', baseURL: 'http://127.0.0.1:11434/v1', local: true, origin: 'env', key: { source: 'none', masked: null, warning: null } }]),
    add: vi.fn(async () => undefined),
    remove: vi.fn(async () => undefined),
  };
  testProvider = vi.fn(async () => ({ ok: true, models: ['llama3'], latencyMs: 12 }));
  usageReport = vi.fn((by: string) => ({
    by,
    rows: [{ key: '2026-01-01', calls: 2, promptTokens: 10, completionTokens: 5, cachedTokens: 0, costUsd: 0.001 }],
    totals: { calls: 2, promptTokens: 10, completionTokens: 5, cachedTokens: 0, costUsd: 0.001 },
    budget: { state: 'ok', dailySpentUsd: 0, monthlySpentUsd: 0, dailyLimitUsd: null, monthlyLimitUsd: null, message: null },
  }));
  auditPage = vi.fn(() => ({
    entries: [{ seq: 3, at: '2026-01-01T00:00:00.000Z', kind: 'decision', actor: 'desktop', host: 'localhost', subject: 'uptime', data: { decision: 'allow' }, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) }],
    verify: { ok: true, rows: 3, checkpoints: 0, firstSeq: 1, lastSeq: 3, uncheckpointedRows: 3 },
  }));
  const remembered = {
    id: 'rule-0123456789',
    command: 'systemctl restart nginx',
    scope: 'host',
    target: 'web-1',
    approvalId: 'approval-1',
    createdBy: 'desktop',
    createdAt: '2026-01-01T00:00:00.000Z',
    policyVersion: 'v1',
    verdict: { decision: 'ask', category: 'mutating', ruleIds: null },
  };
  listRules = vi.fn(() => ({ rules: [remembered] }));
  revokeRule = vi.fn((id: string) => {
    if (!remembered.id.startsWith(id)) throw new ApprovalError({ code: 'not_found', message: `no remembered rule ${id}` });
    return { revoked: remembered };
  });
  logger = { error: vi.fn(), warn: vi.fn() };
  // Only what the IPC handlers use; the rest of the facade is not reachable over IPC.
  const core = {
    chat: (request, options) => chat(request, options),
    health: () => health,
    listConversations: () => ({ conversations: [] }),
    getConversation: () => null,
    cancel: () => false,
    close: async () => undefined,
    providers: providers as unknown as CoreFacade['providers'],
    testProvider: testProvider as unknown as CoreFacade['testProvider'],
    usageReport: usageReport as unknown as CoreFacade['usageReport'],
    auditPage: auditPage as unknown as CoreFacade['auditPage'],
    listRules: listRules as unknown as CoreFacade['listRules'],
    revokeRule: revokeRule as unknown as CoreFacade['revokeRule'],
    // Not in the facade: the composed Core's inventory, which the approval dialog reads tags from.
    inventory: { list: () => [{ name: 'web-1', address: '10.0.0.1', port: 22, user: null, identityFile: null, tags: ['web'], jump: null, privacy: 'default', transport: 'ssh' }] },
  } satisfies Partial<CoreFacade> & { inventory: unknown } as unknown as CoreFacade;
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

  it('list, add, test and remove providers; the API key goes to the core and never comes back', async () => {
    await expect(call('fleetmind:providers.list', {})).resolves.toMatchObject({ ok: true, value: { providers: [{ name: 'local', origin: 'env' }] } });
    const added = await call('fleetmind:providers.add', { name: 'vllm', baseURL: 'http://127.0.0.1:8001/v1', apiKey: 'sk-secret-123456' });
    expect(added).toEqual({ ok: true, value: { added: 'vllm', restartRequired: true } });
    expect(providers.add).toHaveBeenCalledWith({ name: 'vllm', baseURL: 'http://127.0.0.1:8001/v1' }, 'sk-secret-123456');
    expect(JSON.stringify(added)).not.toContain('sk-secret');
    await expect(call('fleetmind:providers.add', { name: 'Bad Name' })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });

    await expect(call('fleetmind:providers.test', { name: 'local' })).resolves.toEqual({ ok: true, value: { ok: true, models: ['llama3'], latencyMs: 12 } });
    testProvider.mockResolvedValueOnce({ ok: false, error: { code: 'unavailable', message: 'connection refused' } });
    await expect(call('fleetmind:providers.test', { name: 'local' })).resolves.toEqual({ ok: false, error: { code: 'unavailable', message: 'connection refused' } });

    providers.remove.mockRejectedValueOnce(new ProviderSettingsError('not_found', 'no provider "nope" was added here'));
    await expect(call('fleetmind:providers.remove', { name: 'nope' })).resolves.toEqual({ ok: false, error: { code: 'not_found', message: 'no provider "nope" was added here' } });
    await expect(call('fleetmind:providers.remove', { name: 'vllm' })).resolves.toEqual({ ok: true, value: { removed: 'vllm' } });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('report usage (by day unless asked) and list the inventory', async () => {
    await expect(call('fleetmind:usage.report', {})).resolves.toMatchObject({ ok: true, value: { by: 'day', totals: { calls: 2 } } });
    await call('fleetmind:usage.report', { by: 'model', since: '2026-01-01' });
    expect(usageReport).toHaveBeenLastCalledWith('model', '2026-01-01');
    await expect(call('fleetmind:usage.report', { since: 'yesterday' })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call('fleetmind:hosts.list', {})).resolves.toMatchObject({ ok: true, value: { hosts: [{ name: 'web-1', tags: ['web'] }] } });
  });

  it('page through the audit log with its verification; the query is validated in main', async () => {
    await expect(call('fleetmind:audit.page', {})).resolves.toMatchObject({ ok: true, value: { entries: [{ seq: 3, kind: 'decision' }], verify: { ok: true, rows: 3 } } });
    await call('fleetmind:audit.page', { kind: 'execution', limit: 50, beforeSeq: 120 });
    expect(auditPage).toHaveBeenLastCalledWith({ kind: 'execution', limit: 50, beforeSeq: 120 });
    await expect(call('fleetmind:audit.page', { kind: 'gossip' })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call('fleetmind:audit.page', { limit: 5000 })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call('fleetmind:audit.page', { beforeSeq: 0 })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(auditPage).toHaveBeenCalledTimes(2);
  });

  it('list remembered rules and revoke one as the desktop operator; unknown ids are typed errors', async () => {
    await expect(call('fleetmind:approvals.rules', {})).resolves.toMatchObject({
      ok: true,
      value: { rules: [{ id: 'rule-0123456789', command: 'systemctl restart nginx', scope: 'host', target: 'web-1', policyVersion: 'v1', approvalId: 'approval-1' }] },
    });
    await expect(call('fleetmind:approvals.revokeRule', { id: 'rule-0123456789' })).resolves.toMatchObject({ ok: true, value: { revoked: { id: 'rule-0123456789' } } });
    expect(revokeRule).toHaveBeenLastCalledWith('rule-0123456789', 'desktop');
    await expect(call('fleetmind:approvals.revokeRule', { id: 'other' })).resolves.toEqual({ ok: false, error: { code: 'not_found', message: 'no remembered rule other' } });
    // Validated in main: no id, an empty one, or extra fields never reach the core.
    await expect(call('fleetmind:approvals.revokeRule', {})).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call('fleetmind:approvals.revokeRule', { id: '' })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call('fleetmind:approvals.rules', { all: true })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(revokeRule).toHaveBeenCalledTimes(2);
    expect(logger.error).not.toHaveBeenCalled();
  });
});
