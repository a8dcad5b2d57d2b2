import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * A bounded check that the D-Bus session bus answers, done in JavaScript before the
 * native keyring library is touched (Linux/BSD only).
 *
 * Why: @napi-rs/keyring connects to the session bus synchronously on the JS thread
 * when an entry is created, and its bundled libdbus reads DBUS_SESSION_BUS_ADDRESS
 * once per process. A bus socket that accepts connections but never answers would
 * freeze the event loop, and a first attempt against a dead address is remembered
 * for the life of the process. Probing here (connect + SASL greeting, with a
 * timeout) keeps both out of the app: when the bus is not there we report the
 * keychain as unavailable without ever calling into native code.
 */

export type BusProbeResult =
  | { ok: true; address: string }
  | { ok: false; reason: string; detail?: string }
  /** The address uses a transport we do not probe (e.g. `unixexec:`); let the native library try. */
  | { ok: 'unknown'; address: string };

interface ConnectTarget {
  display: string;
  options: net.NetConnectOpts;
}

function unescapeDbusValue(value: string): string {
  return value.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Parse a D-Bus server address list (`unix:path=/run/user/1000/bus;tcp:host=…,port=…`)
 * into connectable targets. Transports other than unix (path/abstract) and tcp are skipped.
 */
export function parseDbusAddress(address: string): { targets: ConnectTarget[]; unsupported: string[] } {
  const targets: ConnectTarget[] = [];
  const unsupported: string[] = [];
  for (const entry of address.split(';').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      unsupported.push(entry);
      continue;
    }
    const transport = entry.slice(0, colon);
    const params = new Map<string, string>();
    for (const kv of entry.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) params.set(kv.slice(0, eq), unescapeDbusValue(kv.slice(eq + 1)));
    }
    const path = params.get('path');
    const abstract = params.get('abstract');
    const host = params.get('host');
    const port = Number(params.get('port'));
    if (transport === 'unix' && path) {
      targets.push({ display: `unix:path=${path}`, options: { path } });
    } else if (transport === 'unix' && abstract) {
      targets.push({ display: `unix:abstract=${abstract}`, options: { path: `\0${abstract}` } });
    } else if (transport === 'tcp' && host && Number.isInteger(port) && port > 0 && port < 65536) {
      targets.push({ display: `tcp:host=${host},port=${port}`, options: { host, port } });
    } else {
      unsupported.push(entry);
    }
  }
  return { targets, unsupported };
}

/** Connect and exchange the SASL greeting; resolves with the first line the bus sends or an error. */
function greet(target: ConnectTarget, timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    let settled = false;
    let received = '';
    const socket = net.connect(target.options);
    const finish = (result: { ok: true } | { ok: false; error: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.on('connect', () => {
      const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '';
      // A NUL byte, then SASL EXTERNAL with the uid as hex-encoded ASCII (D-Bus spec, "Authentication Protocol").
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid, 'ascii').toString('hex')}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // Any complete reply line (OK <guid>, REJECTED <mechanisms>, ERROR) means a live D-Bus server.
      if (received.includes('\r\n')) {
        if (/^(OK|REJECTED|ERROR|DATA)\b/.test(received)) finish({ ok: true });
        else finish({ ok: false, error: 'the socket answered, but not as a D-Bus server' });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
    socket.on('close', () => finish({ ok: false, error: 'connection closed before the bus answered' }));
  });
}

function isSocket(file: string): boolean {
  try {
    return fs.statSync(file).isSocket();
  } catch {
    return false;
  }
}

/**
 * Check the session bus named by `address` (normally process.env.DBUS_SESSION_BUS_ADDRESS).
 * `runtimeDir` (XDG_RUNTIME_DIR) is only used for a hint when the variable is unset:
 * the keyring library does not look for `$XDG_RUNTIME_DIR/bus` by itself.
 */
export async function probeDbusSessionBus(
  address: string | undefined,
  timeoutMs: number,
  runtimeDir?: string,
): Promise<BusProbeResult> {
  if (address === undefined || address.trim() === '') {
    const candidate = runtimeDir ? path.join(runtimeDir, 'bus') : undefined;
    const hint =
      candidate && isSocket(candidate)
        ? `; a session bus exists at ${candidate}: export DBUS_SESSION_BUS_ADDRESS=unix:path=${candidate}`
        : ' (a desktop session, `dbus-run-session` or systemd --user provides it)';
    return { ok: false, reason: `no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set${hint}` };
  }
  const { targets } = parseDbusAddress(address);
  if (targets.length === 0) return { ok: 'unknown', address };
  const failures: string[] = [];
  for (const target of targets) {
    const res = await greet(target, timeoutMs);
    if (res.ok) return { ok: true, address: target.display };
    failures.push(`${target.display}: ${res.error}`);
  }
  return {
    ok: false,
    reason: `cannot reach the D-Bus session bus (${failures.join('; ')})`,
    detail: `DBUS_SESSION_BUS_ADDRESS=${address}`,
  };
}
