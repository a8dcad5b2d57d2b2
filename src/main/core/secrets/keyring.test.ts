/**
 * KeyringSecretStore against a REAL Secret Service: a private D-Bus session bus and a
 * gnome-keyring-daemon with a fresh keyring (test/fixtures/keyring), plus the cases
 * without one.
 *
 * Process model. @napi-rs/keyring's bundled libdbus reads DBUS_SESSION_BUS_ADDRESS once
 * per process, at the first keychain call, and keeps that connection. So:
 * - this test process points DBUS_SESSION_BUS_ADDRESS at the private bus in beforeAll,
 *   before anything here touches the keychain, and every in-process test uses that bus
 *   (vitest runs each test file in its own process);
 * - every "no Secret Service" case runs in a fresh child process
 *   (keyring-unavailable.child.ts, bundled once with vite so plain `node` can run it)
 *   with its own environment: a dead socket, a bus without a keyring, no bus at all,
 *   a bus that never answers.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findFilesContaining,
  KEYRING_DEBIAN_PACKAGES,
  KeyringNotInstalledError,
  startTestKeyring,
  type TestKeyring,
} from '../../../../test/fixtures/keyring/index';
import { KeyringSecretStore, redactSecret, resolveApiKey, SecretStoreError } from './index';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** A fake but realistic-looking key; unique per run so a hit on disk cannot be a leftover. */
function fakeKey(tag: string): string {
  return `sk-proj-${tag}-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}XyZ9`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('KeyringSecretStore with a real Secret Service (private dbus-daemon + gnome-keyring)', () => {
  let keyring: TestKeyring | undefined;
  let savedAddress: string | undefined;
  let store: KeyringSecretStore;

  beforeAll(async () => {
    keyring = await startTestKeyring();
    savedAddress = process.env.DBUS_SESSION_BUS_ADDRESS;
    // Before the first keychain call in this process (see the header comment).
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.env.DBUS_SESSION_BUS_ADDRESS;
    store = new KeyringSecretStore();
  });

  afterAll(async () => {
    if (savedAddress === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = savedAddress;
    await keyring?.stop();
  });

  it('reports the Secret Service as available', async () => {
    expect(await store.status()).toEqual({ available: true, backend: 'secret-service' });
  });

  it('set/get/delete go through the keychain: secret-tool sees the item, no file holds the secret', async () => {
    const k = keyring!;
    const account = 'provider:openai';
    const secret = fakeKey('roundtrip');

    expect(await store.get(account)).toBeNull();
    await store.set(account, secret);
    expect(await store.get(account)).toBe(secret);

    // Really in the Secret Service, under service=fleetmind username=<account>.
    const lookup = await k.secretTool(['lookup', 'service', 'fleetmind', 'username', account]);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(lookup.stdout).toBe(secret);

    // gnome-keyring persisted the login keyring (encrypted) in the data dir; nothing there,
    // nor anywhere else under the fixture's HOME/XDG dirs, holds the secret in plain text.
    expect(fs.readdirSync(path.join(k.dataDir, 'keyrings'))).toContain('login.keyring');
    expect(await k.filesContaining(secret)).toEqual([]);
    expect(await findFilesContaining(k.dataDir, secret)).toEqual([]);

    expect(await store.delete(account)).toBe(true);
    expect(await store.get(account)).toBeNull();
    expect(await store.delete(account)).toBe(false);
    const gone = await k.secretTool(['lookup', 'service', 'fleetmind', 'username', account]);
    expect(gone.stdout).toBe('');
    expect(gone.code).not.toBe(0);
  });

  it('set replaces the secret in place (one item per account) and keeps accounts apart', async () => {
    const k = keyring!;
    const first = fakeKey('first');
    const second = fakeKey('second');
    const other = fakeKey('other');
    await store.set('provider:a', first);
    await store.set('provider:b', other);
    await store.set('provider:a', second);
    expect(await store.get('provider:a')).toBe(second);
    expect(await store.get('provider:b')).toBe(other);

    const search = await k.secretTool(['search', '--all', 'service', 'fleetmind', 'username', 'provider:a']);
    expect(search.code, search.stderr).toBe(0);
    // secret-tool prints each item's secret line on stdout (attributes go to stderr).
    expect(`${search.stdout}${search.stderr}`.match(/^secret = /gm)).toHaveLength(1);
    expect(search.stdout).not.toContain(first);

    await store.delete('provider:a');
    await store.delete('provider:b');
  });

  it('round-trips non-ASCII secrets', async () => {
    const secret = `pässwörd-🔑-${fakeKey('utf8')}`;
    await store.set('provider:utf8', secret);
    expect(await store.get('provider:utf8')).toBe(secret);
    const lookup = await keyring!.secretTool(['lookup', 'service', 'fleetmind', 'username', 'provider:utf8']);
    expect(lookup.stdout).toBe(secret);
    expect(await store.delete('provider:utf8')).toBe(true);
  });

  it('reads a key that was stored with secret-tool (the headless setup path)', async () => {
    const secret = fakeKey('secret-tool');
    const stored = await keyring!.secretTool(
      ['store', '--label=Fleetmind OpenAI key', 'service', 'fleetmind', 'username', 'provider:cli'],
      secret,
    );
    expect(stored.code, stored.stderr).toBe(0);
    expect(await store.get('provider:cli')).toBe(secret);
    expect(await store.delete('provider:cli')).toBe(true);
  });

  it('resolveApiKey: keychain first, then OPENAI_API_KEY without a warning; the key never serialises', async () => {
    const secret = fakeKey('resolve');
    const envKey = fakeKey('env');
    await store.set('provider:openai', secret);

    const fromKeychain = await resolveApiKey({ store, account: 'provider:openai', env: { OPENAI_API_KEY: envKey } });
    expect(fromKeychain.source).toBe('keychain');
    expect(fromKeychain.apiKey).toBe(secret);
    expect(fromKeychain.masked).toBe(redactSecret(secret));
    expect(fromKeychain.masked).toMatch(/^sk-proj-…XyZ9$/);
    expect(fromKeychain.warning).toBeUndefined();
    expect(JSON.stringify(fromKeychain)).not.toContain(secret);
    expect(JSON.stringify(fromKeychain)).toContain('"source":"keychain"');

    await store.delete('provider:openai');
    const fromEnv = await resolveApiKey({ store, account: 'provider:openai', env: { OPENAI_API_KEY: envKey } });
    expect(fromEnv.source).toBe('env');
    expect(fromEnv.apiKey).toBe(envKey);
    expect(fromEnv.warning).toBeUndefined();
    expect(JSON.stringify(fromEnv)).not.toContain(envKey);

    const none = await resolveApiKey({ store, account: 'provider:openai', env: {} });
    expect(none).toMatchObject({ source: 'none', apiKey: null, keychain: { available: true } });
    expect(none.warning).toBeUndefined();
  });

  it('rejects bad input with a typed error that does not echo the secret', async () => {
    const secret = `${fakeKey('nul')}\u0000tail`;
    const err = await store.set('provider:bad', secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStoreError);
    expect((err as SecretStoreError).code).toBe('bad_request');
    expect(String((err as Error).message)).not.toContain(secret.slice(0, 20));
    await expect(store.get('')).rejects.toMatchObject({ code: 'bad_request' });
    expect(await keyring!.filesContaining(secret.slice(0, 20))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------
// Without a Secret Service: each case in a fresh process.

interface ChildOp {
  ok: boolean;
  value?: unknown;
  isSecretStoreError?: boolean;
  code?: string;
  message?: string;
  reason?: string;
  detail?: string;
  json?: string;
  stack?: string;
  ms: number;
}
interface ChildResolution {
  source: string;
  warning: string | null;
  masked: string;
  apiKeyMatchesEnv: boolean;
  apiKeyIsNull: boolean;
  keychain: { available: boolean; backend: string; reason?: string };
  json: string;
}
interface ChildReport {
  status: { available: boolean; backend: string; reason?: string; detail?: string };
  /** status() settled before a timer of the default probe timeout (5 s), armed just before it was called, fired. */
  statusSettledFirst: boolean;
  set: ChildOp;
  get: ChildOp;
  delete: ChildOp;
  withEnv: ChildResolution;
  withoutEnv: ChildResolution;
}

describe('without a usable Secret Service (fresh child process per case)', () => {
  let buildDir: string;
  let childScript: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // Bundle the child (TypeScript + ./index) into one ESM file plain `node` can run;
    // @napi-rs/keyring stays external, imported from this checkout by file URL.
    buildDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fm-secrets-child-'));
    const { build } = await import('vite');
    await build({
      configFile: false,
      logLevel: 'silent',
      root: here,
      build: {
        ssr: path.join(here, 'keyring-unavailable.child.ts'),
        outDir: buildDir,
        emptyOutDir: true,
        minify: false,
        rollupOptions: {
          external: ['@napi-rs/keyring'],
          output: {
            format: 'es',
            entryFileNames: 'child.mjs',
            paths: { '@napi-rs/keyring': pathToFileURL(require.resolve('@napi-rs/keyring')).href },
          },
        },
      },
    });
    childScript = path.join(buildDir, 'child.mjs');
    expect(fs.existsSync(childScript)).toBe(true);
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    if (buildDir) await fsp.rm(buildDir, { recursive: true, force: true });
  });

  /**
   * Run the child with HOME, XDG_*, FLEETMIND_HOME, TMPDIR and cwd all inside one empty
   * temp root, so "nothing was written to disk" is checkable: the root must stay empty.
   */
  async function runChild(busAddress: string | undefined, opts: { probeTimeoutMs?: number } = {}) {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'fm-secrets-nokeyring-'));
    cleanups.push(() => fsp.rm(root, { recursive: true, force: true }));
    const dirs = ['home', 'data', 'config', 'cache', 'state', 'run', 'fleetmind', 'tmp', 'cwd'];
    for (const d of dirs) await fsp.mkdir(path.join(root, d), { mode: 0o700 });
    const secret = fakeKey('nokeychain');
    const envKey = fakeKey('envfallback');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: path.join(root, 'home'),
      XDG_DATA_HOME: path.join(root, 'data'),
      XDG_CONFIG_HOME: path.join(root, 'config'),
      XDG_CACHE_HOME: path.join(root, 'cache'),
      XDG_STATE_HOME: path.join(root, 'state'),
      XDG_RUNTIME_DIR: path.join(root, 'run'),
      FLEETMIND_HOME: path.join(root, 'fleetmind'),
      TMPDIR: path.join(root, 'tmp'),
      OPENAI_API_KEY: envKey,
      ...(busAddress !== undefined ? { DBUS_SESSION_BUS_ADDRESS: busAddress } : {}),
    };
    const input = JSON.stringify({ account: 'provider:openai', secret, ...opts });
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [childScript, input], { cwd: path.join(root, 'cwd'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stdout: out, stderr: err });
      });
    });
    expect(code, `child exited ${code}\n${stderr}\n${stdout}`).toBe(0);
    const report = JSON.parse(stdout.trim()) as ChildReport;

    // Nothing on disk: every directory of the root is still empty, and the secret is nowhere.
    const leftovers = (await Promise.all(dirs.map(async (d) => (await fsp.readdir(path.join(root, d))).map((f) => `${d}/${f}`)))).flat();
    expect(leftovers).toEqual([]);
    expect(await findFilesContaining(root, secret)).toEqual([]);
    // No secret in anything the child printed (errors, warnings, JSON of results).
    expect(stdout + stderr).not.toContain(secret);
    expect(stdout + stderr).not.toContain(envKey);
    return { report, secret, envKey };
  }

  function expectUnavailable(report: ChildReport, reason: RegExp): void {
    expect(report.status.available).toBe(false);
    expect(report.status.backend).toBe('secret-service');
    expect(report.status.reason).toMatch(reason);
    for (const op of [report.set, report.get, report.delete]) {
      expect(op.ok).toBe(false);
      expect(op.isSecretStoreError).toBe(true);
      expect(op.code).toBe('unavailable');
      expect(op.message).toMatch(/^OS keychain \(secret-service\) unavailable: /);
      expect(op.message).toMatch(reason);
    }
    // Falls back to OPENAI_API_KEY and says why.
    expect(report.withEnv.source).toBe('env');
    expect(report.withEnv.apiKeyMatchesEnv).toBe(true);
    expect(report.withEnv.masked).toMatch(/^sk-proj-…XyZ9$/);
    expect(report.withEnv.warning).toMatch(/OS keychain \(secret-service\) unavailable/);
    expect(report.withEnv.warning).toMatch(reason);
    expect(report.withEnv.warning).toMatch(/Using OPENAI_API_KEY from the environment; Fleetmind never stores API keys in a file/);
    // Nothing at all: says so too.
    expect(report.withoutEnv.source).toBe('none');
    expect(report.withoutEnv.apiKeyIsNull).toBe(true);
    expect(report.withoutEnv.warning).toMatch(/OPENAI_API_KEY is not set: no API key/);
  }

  it('dead bus socket: unavailable with a clear reason, falls back to OPENAI_API_KEY, writes nothing', async () => {
    const dead = path.join(os.tmpdir(), `fm-dead-bus-${process.pid}-${Date.now()}`);
    const { report } = await runChild(`unix:path=${dead}`);
    expectUnavailable(report, /cannot reach the D-Bus session bus \(unix:path=.*fm-dead-bus.*: ENOENT\)/);
  });

  it('a session bus where nobody owns org.freedesktop.secrets: "is gnome-keyring or KeePassXC running?"', async () => {
    const bus = await startTestKeyring({ secretService: false });
    cleanups.push(() => bus.stop());
    const { report } = await runChild(bus.env.DBUS_SESSION_BUS_ADDRESS);
    expectUnavailable(report, /no Secret Service on the session bus \(is gnome-keyring or KeePassXC running\?\)/);
    expect(report.status.detail).toMatch(/org\.freedesktop\.secrets/);
  });

  it('DBUS_SESSION_BUS_ADDRESS not set', async () => {
    const { report } = await runChild(undefined);
    expectUnavailable(report, /DBUS_SESSION_BUS_ADDRESS is not set/);
  });

  it('a bus socket that accepts but never answers: status is bounded by probeTimeoutMs', async () => {
    const sockDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fm-mute-bus-'));
    const sock = path.join(sockDir, 'bus');
    const held: net.Socket[] = [];
    const server = net.createServer((s) => held.push(s)); // never writes a byte
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    cleanups.push(async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(sockDir, { recursive: true, force: true });
    });
    const { report } = await runChild(`unix:path=${sock}`, { probeTimeoutMs: 300 });
    expectUnavailable(report, /cannot reach the D-Bus session bus \(.*no answer within 300 ms\)/);
    // Order, not a stopwatch: status() settled before the default 5 s probe timeout could have fired.
    expect(report.statusSettledFirst).toBe(true);
  });
});

describe('test/fixtures/keyring', () => {
  it('fails with a message naming the Debian packages when the programs are missing', async () => {
    const empty = await fsp.mkdtemp(path.join(os.tmpdir(), 'fm-empty-path-'));
    try {
      const err = await startTestKeyring({ path: empty }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyringNotInstalledError);
      const message = (err as Error).message;
      for (const pkg of KEYRING_DEBIAN_PACKAGES) expect(message).toContain(pkg);
      expect(message).toMatch(/gnome-keyring-daemon/);
      expect(message).toMatch(/apt-get install/);
    } finally {
      await fsp.rm(empty, { recursive: true, force: true });
    }
  });

  it('stop() ends both daemons and removes the directory (idempotently)', async () => {
    const k = await startTestKeyring();
    expect(k.pids).toHaveLength(2);
    for (const pid of k.pids) expect(isAlive(pid)).toBe(true);
    await k.stop();
    await k.stop();
    for (const pid of k.pids) expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(k.dir)).toBe(false);
  });
});
