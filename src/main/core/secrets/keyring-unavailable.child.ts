/**
 * Child-process half of keyring.test.ts ("no Secret Service"). Runs in a fresh Node
 * process because @napi-rs/keyring's libdbus reads DBUS_SESSION_BUS_ADDRESS once per
 * process: the parent test process is already connected to its private keyring bus.
 *
 * Input: argv[2] = JSON { account, secret, probeTimeoutMs? }; the environment says which
 * bus (if any) to use and OPENAI_API_KEY may be set. Output: one JSON line on stdout
 * describing what the store and resolveApiKey did; it never contains a secret, only
 * whether values matched.
 */
import { KeyringSecretStore, resolveApiKey, SecretStoreError } from './index';

/** KeyringSecretStore's default probeTimeoutMs. */
const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

interface Input {
  account: string;
  secret: string;
  probeTimeoutMs?: number;
}

async function capture(fn: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const started = Date.now();
  try {
    const value = await fn();
    return { ok: true, value: value === null || typeof value === 'boolean' || value === undefined ? value ?? null : typeof value, ms: Date.now() - started };
  } catch (err) {
    const e = err as SecretStoreError;
    return {
      ok: false,
      isSecretStoreError: err instanceof SecretStoreError,
      code: e.code,
      message: e.message,
      reason: e.reason,
      detail: e.detail,
      json: JSON.stringify(e),
      stack: String(e.stack),
      ms: Date.now() - started,
    };
  }
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as Input;
  const envKey = process.env.OPENAI_API_KEY;
  const store = new KeyringSecretStore(input.probeTimeoutMs ? { probeTimeoutMs: input.probeTimeoutMs } : {});

  // Which settles first: status(), or a timer of the default probe timeout armed just
  // BEFORE status() is called (so before the probe arms its own). Timers fire in deadline
  // order however loaded the machine is, so status() wins exactly when the probe was
  // bounded by a shorter probeTimeoutMs and nothing else held status() up.
  let sentinel: NodeJS.Timeout | undefined;
  const defaultTimeout = new Promise<'default probe timeout'>(
    (resolve) => (sentinel = setTimeout(() => resolve('default probe timeout'), DEFAULT_PROBE_TIMEOUT_MS)),
  );
  const statusPromise = store.status();
  const first = await Promise.race([statusPromise.then(() => 'status' as const), defaultTimeout]);
  clearTimeout(sentinel);
  const status = await statusPromise;
  const set = await capture(() => store.set(input.account, input.secret));
  const get = await capture(() => store.get(input.account));
  const del = await capture(() => store.delete(input.account));

  const withEnv = await resolveApiKey({ store, account: input.account, env: process.env });
  const withoutEnv = await resolveApiKey({ store, account: input.account, env: {} });

  const describe = (r: typeof withEnv): Record<string, unknown> => ({
    source: r.source,
    warning: r.warning ?? null,
    masked: r.masked,
    apiKeyMatchesEnv: envKey !== undefined && r.apiKey === envKey,
    apiKeyIsNull: r.apiKey === null,
    keychain: r.keychain,
    json: JSON.stringify(r),
  });

  process.stdout.write(
    JSON.stringify({ status, statusSettledFirst: first === 'status', set, get, delete: del, withEnv: describe(withEnv), withoutEnv: describe(withoutEnv) }) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`child failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
