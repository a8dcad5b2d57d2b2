// `fleetmind hosts ...` and `fleetmind exec` over SSH with the BUILT CLI against real
// sshd hosts (issue 4 items 1, 3, 5): inventory import, strict host keys confirmed with
// `hosts trust`, the exec --json contract with per-host error classes, exit codes.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecResultLineSchema, HostSchema } from '../src/shared/protocol';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { ensureBuilt, repoRoot } from './helpers/build';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A Fleetmind data dir plus a HOME whose ~/.ssh/known_hosts the test controls. */
function workspace(root: string, name: string, knownHosts: string | null) {
  const dataDir = join(root, name, 'data');
  const home = join(root, name, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  if (knownHosts) copyFileSync(knownHosts, join(home, '.ssh', 'known_hosts'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETMIND_HOME: dataDir, HOME: home };
  delete env.SSH_AUTH_SOCK;
  const fleetmind = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return { fleetmind, home };
}

const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => ExecResultLineSchema.strict().parse(JSON.parse(l)));

describe('fleetmind hosts / exec over SSH (built CLI, real sshd)', () => {
  let fx: SshdFleet;
  const root = mkdtempSync(join(tmpdir(), 'fm-ssh-cli-'));

  beforeAll(async () => {
    ensureBuilt();
    fx = await startSshdHosts({ count: 3 });
  });
  afterAll(async () => {
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('imports an ssh_config, lists it, and runs exec --json with per-host classes and a summary', async () => {
    const { fleetmind } = workspace(root, 'a', fx.knownHostsPath);
    const imported = await fleetmind('hosts', 'import', '--ssh-config', fx.sshConfigPath);
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringMatching(/imported 3 hosts .*3 added/) });

    const list = await fleetmind('hosts', 'list', '--json');
    expect(list.code).toBe(0);
    const all = JSON.parse(list.stdout) as { name: string; transport: string }[];
    expect(all[0]).toMatchObject({ name: 'localhost', transport: 'local' });
    const hosts = HostSchema.array().parse(all.slice(1));
    expect(hosts.map((h) => h.name)).toEqual(fx.hosts.map((h) => h.name));
    expect(hosts[0]).toMatchObject({ address: fx.hosts[0]!.address, port: fx.hosts[0]!.port, user: fx.hosts[0]!.user, identityFile: fx.clientKeyPath, transport: 'ssh' });

    const ok = await fleetmind('exec', '--hosts', 'fm-host-*', '--json', '--', 'uptime');
    expect(ok.code).toBe(0);
    const lines = parseLines(ok.stdout);
    expect(lines.map((l) => l.host).sort()).toEqual(fx.hosts.map((h) => h.name));
    for (const l of lines) expect(l).toMatchObject({ ok: true, exitCode: 0, error: null, stdout: expect.stringMatching(/load average/) });
    expect(ok.stderr).toMatch(/3\/3 hosts succeeded/);

    // A command that ran and failed: ok false, its exit code, error null.
    const failed = await fleetmind('exec', '--hosts', 'fm-host-01', '--json', '--', 'ls', '/definitely-missing');
    expect(failed.code).toBe(1);
    expect(parseLines(failed.stdout)[0]).toMatchObject({ ok: false, exitCode: 2, error: null });

    // One host down: classified, the others unaffected, exit 1, summary on stderr.
    await fx.stop('fm-host-02');
    try {
      const partial = await fleetmind('exec', '--hosts', 'fm-host-*', '--json', '--', 'uptime');
      expect(partial.code).toBe(1);
      const byHost = Object.fromEntries(parseLines(partial.stdout).map((l) => [l.host, l]));
      expect(byHost['fm-host-02']).toMatchObject({ ok: false, exitCode: null, error: { code: 'unreachable' } });
      expect(byHost['fm-host-01']).toMatchObject({ ok: true });
      expect(byHost['fm-host-03']).toMatchObject({ ok: true });
      expect(partial.stderr).toMatch(/2\/3 hosts succeeded \(1 unreachable\)/);
    } finally {
      await fx.start('fm-host-02');
    }

    // The policy still applies over SSH.
    const refused = parseLines((await fleetmind('exec', '--hosts', 'fm-host-01', '--json', '--', 'touch /tmp/x')).stdout)[0];
    expect(refused?.error?.code).toBe('approval_required');
  });

  it('refuses an unknown host key with its fingerprint; `hosts trust` records exactly the confirmed key', async () => {
    const { fleetmind } = workspace(root, 'b', null);
    expect((await fleetmind('hosts', 'import', '--ansible', fx.ansibleInventoryPath)).code).toBe(0);
    const h = fx.hosts[0]!;
    const refused = await fleetmind('exec', '--hosts', 'tag:sshd_fixture', '--json', '--', 'uptime');
    expect(refused.code).toBe(1);
    for (const line of parseLines(refused.stdout)) {
      expect(line.error?.code).toBe('host_key_unknown');
      expect(line.error?.message).toContain(fx.host(line.host).hostKeyFingerprint);
    }
    expect(JSON.parse(refused.stdout.split('\n')[0]!).error.fingerprint).toMatch(/^SHA256:/);

    // Without a terminal and without --fingerprint nothing is recorded; the fingerprint is shown.
    const shown = await fleetmind('hosts', 'trust', h.name);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain(h.hostKeyFingerprint);
    expect(shown.stdout).toMatch(/not known yet/);
    const wrong = await fleetmind('hosts', 'trust', h.name, '--fingerprint', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/nothing was recorded/);
    const trusted = await fleetmind('hosts', 'trust', h.name, '--fingerprint', h.hostKeyFingerprint);
    expect(trusted).toMatchObject({ code: 0, stdout: expect.stringContaining(`trusted ssh-ed25519 ${h.hostKeyFingerprint}`) });

    const after = parseLines((await fleetmind('exec', '--hosts', 'tag:sshd_fixture', '--json', '--', 'uptime')).stdout);
    expect(after.find((l) => l.host === h.name)).toMatchObject({ ok: true });
    expect(after.filter((l) => l.host !== h.name).every((l) => l.error?.code === 'host_key_unknown')).toBe(true);
  });

  it('refuses a changed host key loudly, naming both fingerprints', async () => {
    const { fleetmind } = workspace(root, 'c', fx.knownHostsPath);
    expect((await fleetmind('hosts', 'import', '--ssh-config', fx.sshConfigPath)).code).toBe(0);
    const rotated = await fx.rotateHostKey('fm-host-03');
    try {
      const r = await fleetmind('exec', '--hosts', 'fm-host-03', '--json', '--', 'uptime');
      expect(r.code).toBe(1);
      const line = parseLines(r.stdout)[0]!;
      expect(line.error?.code).toBe('host_key_mismatch');
      expect(line.error?.message).toMatch(/HAS CHANGED/);
      expect(line.error?.message).toContain(rotated.previousFingerprint);
      expect(line.error?.message).toContain(rotated.fingerprint);
      const shown = await fleetmind('hosts', 'trust', 'fm-host-03');
      expect(shown.stderr).toMatch(/HAS CHANGED/);
    } finally {
      await fx.refreshKnownHosts();
    }
  });

  it('hosts add / remove and their usage errors', async () => {
    const { fleetmind, home } = workspace(root, 'd', fx.knownHostsPath);
    const h = fx.hosts[1]!;
    const added = await fleetmind('hosts', 'add', 'web-a', '--address', h.address, '--port', String(h.port), '--user', h.user, '--identity', fx.clientKeyPath, '--tag', 'web', '--tag', 'blue');
    expect(added).toMatchObject({ code: 0, stdout: expect.stringMatching(/added web-a: root@127\.0\.0\.1:\d+ \[web, blue\]/) });
    const viaTag = parseLines((await fleetmind('exec', '--hosts', 'tag:blue', '--json', '--', 'hostname')).stdout);
    expect(viaTag).toMatchObject([{ host: 'web-a', ok: true }]);
    if (fx.isolation !== 'none') expect(viaTag[0]?.stdout.trim()).toBe(h.name);

    expect((await fleetmind('hosts', 'add', 'x', '--address', 'a', '--port', '0')).code).toBe(2);
    expect((await fleetmind('hosts', 'add', 'x')).code).toBe(2);
    expect((await fleetmind('hosts', 'add', 'bad name', '--address', 'a')).code).toBe(2);
    expect((await fleetmind('hosts', 'add', 'localhost', '--address', 'a')).code).toBe(2);
    expect((await fleetmind('hosts', 'import')).code).toBe(2);
    writeFileSync(join(home, 'inv.yml'), 'all:\n  children:\n    db:\n      hosts:\n        db-1:\n          ansible_host: 127.0.0.1\n          ansible_port: 1\n');
    expect(await fleetmind('hosts', 'import', '--ansible', join(home, 'inv.yml'))).toMatchObject({ code: 0, stdout: expect.stringMatching(/1 added \(db-1\)/) });
    const empty = await fleetmind('exec', '--hosts', 'tag:nope', '--', 'uptime');
    expect(empty).toMatchObject({ code: 2, stderr: expect.stringMatching(/no host matches "tag:nope"/) });

    expect(await fleetmind('hosts', 'remove', 'web-a')).toMatchObject({ code: 0, stdout: 'removed web-a\n' });
    expect((await fleetmind('hosts', 'remove', 'web-a')).code).toBe(2);
    const list = JSON.parse((await fleetmind('hosts', 'list', '--json')).stdout) as { name: string }[];
    expect(list.map((x) => x.name)).toEqual(['localhost', 'db-1']);
    expect((await fleetmind('hosts', '--help')).stdout).toMatch(/import/);
  });
});
