// Paths judged by what the kernel opens (issue "Safety 2/3", item 3). An account that can
// write under /var/log (Debian's `postgres` in /var/log/postgresql) plants a symlink to a
// credential; `read_file`, `tail_logs` and the offline "logs in …" must not read it
// through the server, locally or over SSH. /proc/PID/fd links are judged by their target.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineEngine } from '../src/main/core/agent';
import { Fleet, Inventory } from '../src/main/core/fleet';
import { loadDefaultPolicy, SafetyGate } from '../src/main/core/safety';
import { Store } from '../src/main/core/store';
import { coreTools, ToolRegistry, ToolRunner } from '../src/main/core/tools';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';

const isRoot = process.getuid?.() === 0;
const SECRET = 'PRIVATE-KEY-MATERIAL-7f3a';

describe.skipIf(!isRoot)('files Fleetmind reads are judged by what was opened', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fm-opened-'));
  // A credential by its name (the policy's SSH private key rule), and an ordinary file.
  const keyFile = join(scratch, 'keys', 'id_ed25519');
  const plainFile = join(scratch, 'plain.txt');
  const logDir = `/var/log/fm-opened-${process.pid}`;
  let fx: SshdFleet;
  let runner: ToolRunner;
  let engine: OfflineEngine;
  const store = Store.inMemory();

  beforeAll(async () => {
    mkdirSync(join(scratch, 'keys'));
    writeFileSync(keyFile, `${SECRET}\n`);
    writeFileSync(plainFile, 'just a line\n');
    mkdirSync(logDir, { recursive: true });
    symlinkSync(keyFile, join(logDir, 'app.log'));
    symlinkSync(plainFile, join(logDir, 'plain.log'));
    fx = await startSshdHosts({ count: 1, names: ['opened-1'] });
    const h = fx.hosts[0]!;
    store.hosts.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
    const gate = new SafetyGate(await loadDefaultPolicy());
    const fleet = new Fleet(new Inventory(store.hosts), gate, { ssh: { knownHostsFiles: [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [] } });
    runner = new ToolRunner(new ToolRegistry(coreTools), fleet, gate);
    engine = new OfflineEngine(runner, fleet.inventory);
  }, 120_000);

  afterAll(async () => {
    await fx?.stopAll();
    store.close();
    rmSync(logDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const hosts = () => ['localhost', 'opened-1'];

  it('read_file of a planted symlink to a credential returns no bytes of it, on this machine and over SSH', async () => {
    for (const host of hosts()) {
      const out = await runner.call('read_file', { path: join(logDir, 'app.log'), host }, { requester: 'test' });
      expect({ host, leaked: out.text.includes(SECRET) || JSON.stringify(out.data).includes(SECRET) }).toEqual({ host, leaked: false });
      expect(out.text).toMatch(/resolves to .*id_ed25519/);
      // An ordinary file through a link still reads.
      const plain = await runner.call('read_file', { path: join(logDir, 'plain.log'), host }, { requester: 'test' });
      expect(plain.text).toContain('just a line');
    }
  });

  it('tail_logs and the offline "logs in …" refuse the planted link and still read the ordinary one', async () => {
    for (const host of hosts()) {
      const out = await runner.call('tail_logs', { path: join(logDir, 'app.log'), host }, { requester: 'test' });
      expect({ host, leaked: out.text.includes(SECRET) }).toEqual({ host, leaked: false });
      expect(out.text).toMatch(/refused by the safety policy/);
      const plain = await runner.call('tail_logs', { path: join(logDir, 'plain.log'), host }, { requester: 'test' });
      expect(plain.text).toContain('just a line');
    }
    const answer = await engine.answer({ message: `show logs in ${logDir}/app.log`, host: null, conversationId: 'opened' });
    expect(answer.reply).not.toContain(SECRET);
  });

  it('a /proc/PID/fd link is judged by the file it points to', async () => {
    const { open } = await import('node:fs/promises');
    const handle = await open(keyFile, 'r');
    try {
      const link = `/proc/${process.pid}/fd/${handle.fd}`;
      const out = await runner.call('read_file', { path: link, host: 'localhost' }, { requester: 'test' });
      expect(out.text).not.toContain(SECRET);
      expect(out.text).toMatch(/refused by the safety policy/);
    } finally {
      await handle.close();
    }
  });
});
