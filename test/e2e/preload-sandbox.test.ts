import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/build';

/**
 * The built preload as a sandboxed renderer would load it, without the Electron binary:
 * a CommonJS script whose `require` offers only 'electron' (here a recording fake). It
 * proves zod is bundled in, nothing else is required, and the bridge validates both ways.
 */
const PRELOAD = join(repoRoot, 'out', 'preload', 'index.cjs');

type Listener = (event: unknown, payload: unknown) => void;
interface Bridge {
  invoke(channel: string, request: unknown): Promise<unknown>;
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

let exposed: Record<string, unknown>;
let sent: { channel: string; request: unknown }[];
let answers: Record<string, unknown>;
let listeners: Map<string, Set<Listener>>;
let required: string[];
let consoleErrors: string[];

function loadPreload(): Bridge {
  const fakeElectron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        exposed[key] = api;
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, request: unknown) => {
        sent.push({ channel, request });
        return answers[channel];
      },
      on: (channel: string, listener: Listener) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(listener);
      },
      removeListener: (channel: string, listener: Listener) => {
        listeners.get(channel)?.delete(listener);
      },
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return fakeElectron;
    throw new Error(`a sandboxed preload cannot require "${name}"`);
  };
  const module = { exports: {} };
  runInNewContext(readFileSync(PRELOAD, 'utf8'), {
    require: sandboxRequire,
    module,
    exports: module.exports,
    console: { ...console, error: (...args: unknown[]) => consoleErrors.push(args.join(' ')) },
  });
  return exposed.fleetmind as Bridge;
}

const emit = (channel: string, payload: unknown) => {
  for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc-internals' }, payload);
};

const health = { ok: true, policy: 'ready', version: '0.1.0', engine: 'offline', uptimeMs: 5, hostname: 'vm', dataDir: '/tmp/x' };

describe('built preload (out/preload/index.cjs) under sandbox rules', () => {
  let bridge: Bridge;
  beforeEach(() => {
    exposed = {};
    sent = [];
    answers = {};
    listeners = new Map();
    required = [];
    consoleErrors = [];
    bridge = loadPreload();
  });

  it('requires only electron and exposes exactly window.fleetmind = {invoke, on}', () => {
    expect([...new Set(required)]).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['fleetmind']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);
  });

  it('invokes a protocol channel and returns the validated response', async () => {
    answers['fleetmind:health'] = { ok: true, value: health };
    await expect(bridge.invoke('fleetmind:health', {})).resolves.toEqual(health);
    expect(sent).toEqual([{ channel: 'fleetmind:health', request: {} }]);
  });

  it('refuses unknown channels and invalid requests without sending anything', async () => {
    await expect(bridge.invoke('fleetmind:shell.exec', { command: 'rm -rf /' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bridge.invoke('some-electron-internal', {})).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bridge.invoke('fleetmind:chat', { message: '   ' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(bridge.invoke('fleetmind:chat', { message: 'hi', extra: true })).rejects.toMatchObject({ code: 'bad_request' });
    expect(sent).toEqual([]);
  });

  it('passes main’s typed errors through and rejects malformed answers', async () => {
    answers['fleetmind:conversations.get'] = { ok: false, error: { code: 'not_found', message: 'no conversation with id x' } };
    await expect(bridge.invoke('fleetmind:conversations.get', { id: 'x' })).rejects.toEqual({ code: 'not_found', message: 'no conversation with id x' });
    answers['fleetmind:health'] = { ok: true, value: { ok: 'yes' } };
    await expect(bridge.invoke('fleetmind:health', {})).rejects.toMatchObject({ code: 'internal' });
    answers['fleetmind:health'] = 'not an envelope';
    await expect(bridge.invoke('fleetmind:health', {})).rejects.toMatchObject({ code: 'internal' });
  });

  it('delivers only valid event payloads (never the IPC event) and unsubscribes', () => {
    const received: unknown[] = [];
    const unsubscribe = bridge.on('fleetmind:chat.event', (payload) => received.push(payload));
    const token = { type: 'token', conversationId: 'c', text: 'hello' };
    emit('fleetmind:chat.event', token);
    emit('fleetmind:chat.event', { type: 'token', conversationId: 'c' });
    expect(received).toEqual([token]);
    expect(consoleErrors.join('\n')).toMatch(/dropped an invalid fleetmind:chat\.event payload/);
    unsubscribe();
    emit('fleetmind:chat.event', token);
    expect(received).toHaveLength(1);
    expect(() => bridge.on('fleetmind:something-else', () => undefined)).toThrow(/not a Fleetmind event channel/);
  });
});
