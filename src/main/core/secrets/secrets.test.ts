/**
 * Unit tests of the secrets module without a keychain: masking, the in-memory store,
 * resolveApiKey's decisions, D-Bus address parsing and KeyringSecretStore's error
 * handling over an injected fake binding. The real keychain is in keyring.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import {
  classifyKeyringError,
  KeyringSecretStore,
  keyringBackendName,
  MemorySecretStore,
  parseDbusAddress,
  probeDbusSessionBus,
  redactSecret,
  resolveApiKey,
  scrubSecret,
  SecretStoreError,
  type KeyringSecretStoreOptions,
  type SecretStore,
} from './index';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789abcd';

// Some tests stop the timer clock; never leave it stopped for the next one.
afterEach(() => {
  vi.useRealTimers();
});

describe('redactSecret / scrubSecret', () => {
  it('shows a known prefix and the last four characters only', () => {
    expect(redactSecret(KEY)).toBe('sk-proj-…abcd');
    expect(redactSecret('sk-1234567890abcdefWXYZ')).toBe('sk-…WXYZ');
    expect(redactSecret('gsk_0123456789abcdefghij')).toBe('gsk_…ghij');
    expect(redactSecret('0123456789abcdefghij')).toBe('…ghij');
  });

  it('hides short secrets completely and handles empty input', () => {
    expect(redactSecret('sk-short')).toBe('****');
    expect(redactSecret('')).toBe('');
    expect(redactSecret(null)).toBe('');
    expect(redactSecret(undefined)).toBe('');
  });

  it('scrubs every occurrence of a secret from text', () => {
    const text = `failed to store ${KEY}; value was ${KEY}`;
    const scrubbed = scrubSecret(text, KEY, undefined);
    expect(scrubbed).not.toContain(KEY);
    expect(scrubbed).toBe('failed to store sk-proj-…abcd; value was sk-proj-…abcd');
    expect(scrubSecret('abc', 'b')).toBe('abc'); // too short to scrub meaningfully
  });
});

describe('MemorySecretStore', () => {
  it('implements the SecretStore contract', async () => {
    const store: SecretStore = new MemorySecretStore();
    expect(await store.status()).toEqual({ available: true, backend: 'memory' });
    expect(await store.get('a')).toBeNull();
    await store.set('a', 'one');
    await store.set('a', 'two');
    expect(await store.get('a')).toBe('two');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
  });

  it('simulates an unavailable keychain with typed errors', async () => {
    const store = new MemorySecretStore({ secrets: { a: 'x' }, unavailableReason: 'no keychain here' });
    expect(await store.status()).toEqual({ available: false, backend: 'memory', reason: 'no keychain here' });
    await expect(store.get('a')).rejects.toMatchObject({ name: 'SecretStoreError', code: 'unavailable', reason: 'no keychain here' });
    await expect(store.set('a', 'y')).rejects.toBeInstanceOf(SecretStoreError);
    store.setUnavailable(undefined);
    expect(await store.get('a')).toBe('x');
    expect(store.accounts()).toEqual(['a']);
  });

  it('validates accounts and secrets without echoing the secret', async () => {
    const store = new MemorySecretStore();
    await expect(store.set('', 'x')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(store.set('a\nb', 'x')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(store.set('a', '')).rejects.toMatchObject({ code: 'bad_request' });
    const err = (await store.set('a', `${KEY}\u0000`).catch((e: unknown) => e)) as SecretStoreError;
    expect(err.message).not.toContain(KEY);
    expect(JSON.stringify(err)).toBe(JSON.stringify({ code: 'bad_request', message: err.message }));
  });
});

describe('resolveApiKey', () => {
  it('prefers the keychain over the environment', async () => {
    const store = new MemorySecretStore({ secrets: { 'provider:openai': KEY } });
    const r = await resolveApiKey({ store, account: 'provider:openai', env: { OPENAI_API_KEY: 'sk-env-0123456789abcdef' } });
    expect(r).toMatchObject({ source: 'keychain', account: 'provider:openai', masked: 'sk-proj-…abcd' });
    expect(r.apiKey).toBe(KEY);
    expect(r.warning).toBeUndefined();
  });

  it('never exposes the key through JSON, inspect or object spread', async () => {
    const store = new MemorySecretStore({ secrets: { p: KEY } });
    const r = await resolveApiKey({ store, account: 'p', env: {} });
    expect(JSON.stringify(r)).not.toContain(KEY);
    expect(inspect(r, { depth: 5 })).not.toContain(KEY);
    expect(JSON.stringify({ ...r })).not.toContain(KEY);
    expect(Object.keys(r)).not.toContain('apiKey');
  });

  it('falls back to OPENAI_API_KEY quietly when the keychain works but has no key', async () => {
    const r = await resolveApiKey({ store: new MemorySecretStore(), account: 'p', env: { OPENAI_API_KEY: ' sk-env-0123456789abcdef ' } });
    expect(r.source).toBe('env');
    expect(r.apiKey).toBe('sk-env-0123456789abcdef');
    expect(r.warning).toBeUndefined();
  });

  it('says so when the keychain is unavailable, and falls back to the environment only', async () => {
    const store = new MemorySecretStore({ unavailableReason: 'no Secret Service on the session bus (is gnome-keyring or KeePassXC running?)' });
    const r = await resolveApiKey({ store, account: 'p', env: { OPENAI_API_KEY: 'sk-env-0123456789abcdef' } });
    expect(r.source).toBe('env');
    expect(r.warning).toBe(
      'OS keychain (memory) unavailable: no Secret Service on the session bus (is gnome-keyring or KeePassXC running?). ' +
        'Using OPENAI_API_KEY from the environment; Fleetmind never stores API keys in a file.',
    );
    expect(r.keychain).toMatchObject({ available: false });

    const none = await resolveApiKey({ store, account: 'p', env: {} });
    expect(none.source).toBe('none');
    expect(none.apiKey).toBeNull();
    expect(none.warning).toMatch(/unavailable: no Secret Service.*OPENAI_API_KEY is not set: no API key/);
  });

  it('turns a failing read into a warning, not a rejection', async () => {
    const store: SecretStore = {
      status: async () => ({ available: true, backend: 'fake' }),
      get: async () => {
        throw new SecretStoreError('timeout', 'OS keychain (fake): no answer', 'fake', { reason: 'no answer' });
      },
      set: async () => undefined,
      delete: async () => false,
    };
    const r = await resolveApiKey({ store, account: 'p', env: {} });
    expect(r.source).toBe('none');
    expect(r.warning).toMatch(/could not read the API key for "p" from the OS keychain \(fake\): no answer/);
  });

  it('honours a different environment variable', async () => {
    const r = await resolveApiKey({ store: new MemorySecretStore(), account: 'p', env: { GROQ_API_KEY: 'gsk_0123456789abcdefghij' }, envVar: 'GROQ_API_KEY' });
    expect(r).toMatchObject({ source: 'env', envVar: 'GROQ_API_KEY', masked: 'gsk_…ghij' });
  });
});

describe('parseDbusAddress', () => {
  it('understands unix path/abstract and tcp, with escapes and several entries', () => {
    const { targets, unsupported } = parseDbusAddress(
      'unix:path=/run/user/1000/bus,guid=abc;unix:abstract=/tmp/dbus-x%2Cy;tcp:host=127.0.0.1,port=5555;unixexec:path=/bin/x',
    );
    expect(targets.map((t) => t.display)).toEqual(['unix:path=/run/user/1000/bus', 'unix:abstract=/tmp/dbus-x,y', 'tcp:host=127.0.0.1,port=5555']);
    expect(targets[1]!.options).toEqual({ path: '\0/tmp/dbus-x,y' });
    expect(unsupported).toEqual(['unixexec:path=/bin/x']);
  });
});

describe('probeDbusSessionBus (JavaScript pre-flight, fake bus sockets)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fakeBus(onConnection: (socket: net.Socket) => void): Promise<string> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fm-fakebus-'));
    const sock = path.join(dir, 'bus');
    const open: net.Socket[] = [];
    const server = net.createServer((s) => {
      open.push(s);
      onConnection(s);
    });
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    cleanups.push(async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(dir, { recursive: true, force: true });
    });
    return sock;
  }

  it('accepts a socket that answers the SASL greeting like a D-Bus server', async () => {
    let greeting = '';
    const sock = await fakeBus((s) =>
      s.on('data', (d) => {
        greeting += d.toString('latin1');
        if (greeting.includes('\r\n')) s.write('OK 0123456789abcdef0123456789abcdef\r\n');
      }),
    );
    expect(await probeDbusSessionBus(`unix:path=${sock},guid=x`, 2_000)).toEqual({ ok: true, address: `unix:path=${sock}` });
    expect(greeting).toMatch(/^\0AUTH EXTERNAL [0-9a-f]*\r\n$/);
  });

  it('rejects a socket that closes, or answers in another protocol', async () => {
    const closing = await fakeBus((s) => s.end());
    expect(await probeDbusSessionBus(`unix:path=${closing}`, 2_000)).toMatchObject({ ok: false, reason: expect.stringMatching(/connection closed before the bus answered/) });
    const http = await fakeBus((s) => s.on('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    expect(await probeDbusSessionBus(`unix:path=${http}`, 2_000)).toMatchObject({ ok: false, reason: expect.stringMatching(/not as a D-Bus server/) });
  });

  it('gives up after timeoutMs on a socket that never answers, and hangs up', async () => {
    let greeted!: () => void;
    let hungUp!: () => void;
    const greeting = new Promise<void>((resolve) => (greeted = resolve));
    const closed = new Promise<void>((resolve) => (hungUp = resolve));
    const mute = await fakeBus((s) => {
      s.on('data', () => greeted());
      s.on('close', () => hungUp());
    });
    // Only the probe's own timer is faked; the socket is real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const probing = probeDbusSessionBus(`unix:path=${mute}`, 100).finally(() => (settled = true));
      await greeting; // connected and sent AUTH; the bus stays silent
      vi.advanceTimersByTime(99);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      vi.advanceTimersByTime(1);
      expect(await probing).toMatchObject({ ok: false, reason: expect.stringMatching(/no answer within 100 ms/) });
      await closed; // and the probe closed its connection
    } finally {
      vi.useRealTimers();
    }
  });

  it('explains an unset DBUS_SESSION_BUS_ADDRESS, pointing at $XDG_RUNTIME_DIR/bus when it exists', async () => {
    const sock = await fakeBus(() => {});
    const withBus = await probeDbusSessionBus(undefined, 100, path.dirname(sock));
    expect(withBus).toMatchObject({ ok: false });
    expect((withBus as { reason: string }).reason).toBe(
      `no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set; a session bus exists at ${sock}: export DBUS_SESSION_BUS_ADDRESS=unix:path=${sock}`,
    );
    const without = await probeDbusSessionBus('', 100, os.tmpdir());
    expect((without as { reason: string }).reason).toMatch(/DBUS_SESSION_BUS_ADDRESS is not set \(a desktop session/);
    expect(await probeDbusSessionBus('unixexec:path=/bin/true', 100)).toEqual({ ok: 'unknown', address: 'unixexec:path=/bin/true' });
  });
});

describe('classifyKeyringError', () => {
  it('maps native messages to actionable reasons', () => {
    expect(classifyKeyringError('Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files', 'secret-service').reason).toBe(
      'no Secret Service on the session bus (is gnome-keyring or KeePassXC running?)',
    );
    expect(classifyKeyringError('Platform failure: DBus error: Failed to connect to socket /x: Connection refused', 'secret-service')).toMatchObject({ code: 'unavailable' });
    expect(classifyKeyringError('Platform failure: DBus error: Did not receive a reply.', 'secret-service')).toMatchObject({ code: 'timeout' });
    expect(classifyKeyringError('Couldn\'t access platform storage: the collection is locked', 'secret-service').reason).toMatch(/locked/);
    expect(classifyKeyringError('something else', 'macos-keychain')).toEqual({ code: 'internal', reason: 'the macos-keychain keychain reported an error' });
  });

  it('names backends per platform', () => {
    expect(keyringBackendName('linux')).toBe('secret-service');
    expect(keyringBackendName('darwin')).toBe('macos-keychain');
    expect(keyringBackendName('win32')).toBe('windows-credential-manager');
    expect(keyringBackendName('aix')).toBe('unsupported (aix)');
  });
});

describe('KeyringSecretStore error handling (fake binding; no keychain touched)', () => {
  type Op = 'getPassword' | 'setPassword' | 'deletePassword';
  function fakeModule(behaviour: Partial<Record<Op, (...args: unknown[]) => Promise<unknown>>>): KeyringSecretStoreOptions['loadModule'] {
    class AsyncEntry {
      constructor(
        readonly service: string,
        readonly account: string,
      ) {}
      getPassword(...a: unknown[]) {
        return (behaviour.getPassword ?? (async () => null))(...a);
      }
      setPassword(...a: unknown[]) {
        return (behaviour.setPassword ?? (async () => undefined))(...a);
      }
      deletePassword(...a: unknown[]) {
        return (behaviour.deletePassword ?? (async () => false))(...a);
      }
    }
    return async () => ({ AsyncEntry }) as never;
  }

  it('scrubs the secret from native error text', async () => {
    const store = new KeyringSecretStore({
      platform: 'darwin',
      loadModule: fakeModule({
        setPassword: async (password) => {
          throw new Error(`could not write item with password ${String(password)}`);
        },
      }),
    });
    const err = (await store.set('p', KEY).catch((e: unknown) => e)) as SecretStoreError;
    expect(err).toBeInstanceOf(SecretStoreError);
    expect(err.code).toBe('internal');
    expect(`${err.message} ${err.detail} ${JSON.stringify(err)} ${err.stack}`).not.toContain(KEY);
    expect(err.detail).toContain('sk-proj-…abcd');
  });

  it('bounds every call with timeoutMs even if the native task never settles', async () => {
    let called!: () => void;
    const nativeCalled = new Promise<void>((resolve) => (called = resolve));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = new KeyringSecretStore({
        platform: 'darwin',
        timeoutMs: 50,
        loadModule: fakeModule({
          getPassword: () => {
            called();
            return new Promise(() => {});
          },
        }),
      });
      let settled = false;
      const reading = store.get('p').finally(() => (settled = true));
      reading.catch(() => undefined);
      await nativeCalled; // the timer is armed before the native call starts
      vi.advanceTimersByTime(49);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      vi.advanceTimersByTime(1);
      await expect(reading).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/did not answer within 50 ms/) });
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes an abort signal that fires on timeout', async () => {
    let seen: AbortSignal | undefined;
    const store = new KeyringSecretStore({
      platform: 'win32',
      timeoutMs: 30,
      loadModule: fakeModule({
        deletePassword: (signal) => {
          seen = signal as AbortSignal;
          return new Promise(() => {});
        },
      }),
    });
    await expect(store.delete('p')).rejects.toMatchObject({ code: 'timeout', backend: 'windows-credential-manager' });
    expect(seen?.aborted).toBe(true);
  });

  it('reports a binding that cannot load (no prebuilt binary) as unavailable', async () => {
    const store = new KeyringSecretStore({
      platform: 'darwin',
      loadModule: async () => {
        throw new Error('Cannot find native binding');
      },
    });
    const status = await store.status();
    expect(status).toMatchObject({ available: false, backend: 'macos-keychain' });
    expect(status.reason).toMatch(/@napi-rs\/keyring could not be loaded/);
    expect(status.detail).toBe('Cannot find native binding');
  });

  it('reports unsupported platforms as unavailable', async () => {
    const status = await new KeyringSecretStore({ platform: 'aix' }).status();
    expect(status).toEqual({ available: false, backend: 'unsupported (aix)', reason: 'no supported keychain on platform aix' });
  });

  it('uses service "fleetmind" and the account as given', async () => {
    let seen: { service: string; account: string } | undefined;
    const store = new KeyringSecretStore({
      platform: 'darwin',
      loadModule: async () =>
        ({
          AsyncEntry: class {
            constructor(service: string, account: string) {
              seen = { service, account };
            }
            getPassword = async () => 'v';
          },
        }) as never,
    });
    expect(await store.get('provider:openai')).toBe('v');
    expect(seen).toEqual({ service: 'fleetmind', account: 'provider:openai' });
  });
});
