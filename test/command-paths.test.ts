// Paths in arbitrary commands are judged by what they resolve to on the host (issue
// "Safety 2/3", item 3): `cat /var/log/app.log`, where app.log is a link an account with
// write access to /var/log planted to a private key, is judged as reading the key,
// through the built CLI (exec) and the agent's run_command, locally and over SSH.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecResultLineSchema } from '../src/shared/protocol';
import { Fleet, Inventory } from '../src/main/core/fleet';
import { loadDefaultPolicy, SafetyGate } from '../src/main/core/safety';
import { Store } from '../src/main/core/store';
import { coreTools, ToolRegistry, ToolRunner } from '../src/main/core/tools';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { ensureBuilt, repoRoot } from './helpers/build';

const isRoot = process.getuid?.() === 0;
const SECRET = 'PRIVATE-KEY-BYTES-91c2';

describe.skipIf(!isRoot)('command path words are judged by what they resolve to on the host', () => {
  const root = mkdtempSync(join(tmpdir(), 'fm-cmdpaths-'));
  const keyFile = join(root, 'keys', 'id_rsa');
  const logDir = `/var/log/fm-cmdpaths-${process.pid}`;
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETMIND_HOME: join(root, 'data'), HOME: join(root, 'home') };
  delete env.SSH_AUTH_SOCK;
  let fx: SshdFleet;
  const store = Store.inMemory();
  let runner: ToolRunner;
  const fleetmind = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(join(root, 'keys'));
    mkdirSync(join(root, 'home', '.ssh'), { recursive: true });
    writeFileSync(keyFile, `${SECRET}\n`);
    writeFileSync(join(root, 'plain.txt'), 'an ordinary line\n');
    mkdirSync(logDir, { recursive: true });
    symlinkSync(keyFile, join(logDir, 'app.log'));
    symlinkSync(join(root, 'plain.txt'), join(logDir, 'plain.log'));
    fx = await startSshdHosts({ count: 1, names: ['paths-1'] });
    copyFileSync(fx.knownHostsPath, join(root, 'home', '.ssh', 'known_hosts'));
    expect((await fleetmind('hosts', 'import', '--ssh-config', fx.sshConfigPath)).code).toBe(0);
    const h = fx.hosts[0]!;
    store.hosts.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
    const gate = new SafetyGate(await loadDefaultPolicy());
    const fleet = new Fleet(new Inventory(store.hosts), gate, { ssh: { knownHostsFiles: [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [] } });
    runner = new ToolRunner(new ToolRegistry(coreTools), fleet, gate);
  }, 120_000);

  afterAll(async () => {
    await fx?.stopAll();
    store.close();
    rmSync(logDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('exec of a planted link to a key is refused and prints nothing of it; an ordinary link still runs', async () => {
    const out = await fleetmind('exec', '--hosts', 'localhost,paths-1', '--json', '--', 'cat', join(logDir, 'app.log'));
    const lines = out.stdout.trim().split('\n').map((l) => ExecResultLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.host, l.error?.code]).sort()).toEqual([['localhost', 'policy_denied'], ['paths-1', 'policy_denied']]);
    expect(out.stdout).not.toContain(SECRET);
    expect(out.stdout).toMatch(/resolves to .*id_rsa/);
    const shell = await fleetmind('exec', '--hosts', 'localhost,paths-1', '--json', '--', `head -n 1 ${logDir}/app.log | tr a-z A-Z`);
    expect(shell.stdout).not.toContain(SECRET);
    // A relative name after cd: judged as the path the policy knows it to be, and resolved there.
    const afterCd = await fleetmind('exec', '--hosts', 'localhost,paths-1', '--json', '--', `cd ${logDir} && cat app.log`);
    expect(afterCd.stdout).not.toContain(SECRET);
    const afterCdLines = afterCd.stdout.trim().split('\n').map((l) => ExecResultLineSchema.parse(JSON.parse(l)));
    expect(afterCdLines.map((l) => [l.host, l.error?.code]).sort()).toEqual([['localhost', 'policy_denied'], ['paths-1', 'policy_denied']]);
    const plain = await fleetmind('exec', '--hosts', 'localhost,paths-1', '--json', '--', 'cat', join(logDir, 'plain.log'));
    const plainLines = plain.stdout.trim().split('\n').map((l) => ExecResultLineSchema.parse(JSON.parse(l)));
    expect(plainLines.every((l) => l.ok && l.stdout === 'an ordinary line\n')).toBe(true);
  });

  it("the agent's run_command is refused on every host for the planted link", async () => {
    const out = await runner.call('run_command', { command: `cat ${logDir}/app.log`, host: 'localhost,paths-1' }, { requester: 'test' });
    expect(out.text).not.toContain(SECRET);
    expect(JSON.stringify(out.data)).not.toContain(SECRET);
    expect(out.text).toMatch(/id_rsa/);
  });
});
