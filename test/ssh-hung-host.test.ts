// A host that accepts TCP and never speaks SSH (issue "The operator's workflow without a
// model", item 5): classed `timeout`, named once in messages, and Ctrl-C of a
// `fleetmind chat` waiting on it ends the process at once, keeping the conversation.
// No wall-clock bounds: the connect timeout is set far beyond the test's own timeout,
// so an exit observed at all happened before it could fire (bench: hung-host).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, Inventory } from '../src/main/core/fleet';
import { SafetyGate } from '../src/main/core/safety';
import { Store } from '../src/main/core/store';
import { ensureBuilt, repoRoot } from './helpers/build';

/** Accepts connections and never writes a byte (no SSH banner). */
function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    // Read (and drop) what the client sends, so its FIN is seen: a paused socket never ends.
    s.resume();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, sockets })));
}

describe('a host that accepts TCP but never answers the SSH handshake', () => {
  let hung: Awaited<ReturnType<typeof silentServer>>;
  const root = mkdtempSync(join(tmpdir(), 'fm-hung-'));

  beforeAll(async () => {
    hung = await silentServer();
  });
  afterAll(() => {
    for (const s of hung.sockets) s.destroy();
    hung.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is classed timeout (not unreachable), and the message names the host once', async () => {
    const store = Store.inMemory();
    const inventory = new Inventory(store.hosts);
    inventory.upsert({ name: 'hung-1', address: '127.0.0.1', port: hung.port, user: 'root', identityFile: null, tags: [], jump: null, privacy: 'default' });
    const gate = new SafetyGate({ version: 'test', evaluate: () => ({ decision: 'allow', category: 'read_only', reasons: ['test'] }) });
    const fleet = new Fleet(inventory, gate, { ssh: { connectTimeoutMs: 1500, knownHostsFiles: [], agentSocket: null, defaultIdentityFiles: [] } });
    try {
      const check = gate.check({ command: 'uptime', argv: ['uptime'], host: 'hung-1', requester: 'test' });
      if (!check.ok) throw new Error('uptime should be allowed');
      const out = await fleet.executor(inventory.get('hung-1')!).run(check.command, { timeoutMs: 30_000 });
      expect(out.error?.code).toBe('timeout');
      expect(out.error?.message).toMatch(/no SSH handshake with root@127\.0\.0\.1:\d+ within 1\.5 s \(the TCP connection was accepted\)/);
      expect(out.error?.message).not.toContain('hung-1');
      // The scan behind `hosts trust` says the same.
      await expect(fleet.scanHostKey(inventory.get('hung-1')!)).rejects.toMatchObject({ code: 'timeout', hostName: 'hung-1' });
    } finally {
      await fleet.close();
      store.close();
    }
  });

  it('exec names it once; Ctrl-C of a chat waiting on it exits 130 before the (long) connect timeout, keeping what was said', async () => {
    ensureBuilt();
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true });
    // A connect timeout far beyond this test's own: only a prompt cancel can end the chat.
    writeFileSync(join(dataDir, 'config.yaml'), 'ssh:\n  connectTimeoutSeconds: 3600\n');
    const env: NodeJS.ProcessEnv = { ...process.env, FLEETMIND_HOME: dataDir, HOME: root };
    delete env.SSH_AUTH_SOCK;
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const run = (args: string[]) => spawn(join(repoRoot, 'bin', 'fleetmind'), args, { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const finished = (p: ReturnType<typeof run>) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
        let stdout = '';
        let stderr = '';
        p.stdout!.on('data', (d: Buffer) => (stdout += d));
        p.stderr!.on('data', (d: Buffer) => (stderr += d));
        p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    const add = await finished(run(['hosts', 'add', 'hung-1', '--address', '127.0.0.1', '--port', String(hung.port), '--user', 'root']));
    expect(add.code).toBe(0);

    // exec (another data dir, a 1 s connect timeout): classed timeout, the failure line names the host once.
    const quick = { ...env, FLEETMIND_HOME: join(root, 'quick') };
    mkdirSync(quick.FLEETMIND_HOME!, { recursive: true });
    writeFileSync(join(quick.FLEETMIND_HOME!, 'config.yaml'), 'ssh:\n  connectTimeoutSeconds: 1\n');
    const runQuick = (args: string[]) => spawn(join(repoRoot, 'bin', 'fleetmind'), args, { env: quick, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    expect((await finished(runQuick(['hosts', 'add', 'hung-1', '--address', '127.0.0.1', '--port', String(hung.port), '--user', 'root']))).code).toBe(0);
    const human = await finished(runQuick(['exec', '--hosts', 'hung-1', '--', 'uptime']));
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/── hung-1: timeout/);
    expect(human.stderr).toMatch(/^hung-1: no SSH handshake with root@127\.0\.0\.1:\d+ within 1 s/m);
    expect(human.stderr).not.toMatch(/hung-1: hung-1/);
    expect(human.stderr).toMatch(/0\/1 hosts succeeded \(1 timeout\)/);
    const json = await finished(runQuick(['exec', '--hosts', 'hung-1', '--json', '--', 'uptime']));
    expect(json.stdout, json.stderr).toMatch(/"host":"hung-1","ok":false.*"error":{"code":"timeout"/);

    // chat: wait until it is connected to the hung host (and so waiting on the handshake), then Ctrl-C.
    const before = hung.sockets.length;
    const chat = run(['chat', '--host', 'hung-1', 'show server status']);
    const chatDone = finished(chat);
    while (hung.sockets.length === before) await new Promise((r) => setTimeout(r, 20));
    const socket = hung.sockets[hung.sockets.length - 1]!;
    chat.kill('SIGINT');
    const out = await chatDone;
    expect(out).toMatchObject({ code: 130, signal: null });
    expect(out.stderr).toMatch(/… server_status on hung-1/);
    expect(out.stderr).toMatch(/fleetmind: cancelled/);
    // Our end of the handshake was closed (by the cancel, not by a timeout that cannot have fired).
    while (!socket.readableEnded && !socket.destroyed) await new Promise((r) => setTimeout(r, 20));
  }, 120_000); // bin/fleetmind rebuilds first when the sources changed meanwhile
});
