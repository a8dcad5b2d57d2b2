// Host keys for an imported fleet (issue "The operator's workflow without a model",
// item 3) with the BUILT CLI against real sshd hosts: `hosts import --ssh-config` takes
// keys from the config's UserKnownHostsFile (hosts work at once, no `hosts trust`),
// refuses world-writable and /dev/null files, and `hosts trust SELECTOR` confirms many
// hosts at once against a known_hosts file.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecResultLineSchema } from '../src/shared/protocol';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { ensureBuilt, repoRoot } from './helpers/build';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A Fleetmind data dir plus an empty HOME: no ~/.ssh/known_hosts to fall back on. */
function workspace(root: string, name: string) {
  const dataDir = join(root, name, 'data');
  const home = join(root, name, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETMIND_HOME: dataDir, HOME: home };
  delete env.SSH_AUTH_SOCK;
  const fleetmind = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(join(repoRoot, 'bin', 'fleetmind'), args, { env, cwd: repoRoot, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });
  return { fleetmind, home, dir: join(root, name) };
}

const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => ExecResultLineSchema.parse(JSON.parse(l)));

/** `HashKnownHosts yes` form of a known_hosts line's host field. */
function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('host keys of an imported fleet (built CLI, real sshd)', () => {
  let fx: SshdFleet;
  const root = mkdtempSync(join(tmpdir(), 'fm-host-keys-'));

  beforeAll(async () => {
    ensureBuilt();
    fx = await startSshdHosts({ count: 3 });
  });
  afterAll(async () => {
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('import takes keys from UserKnownHostsFile (several files, ~, hashed and [host]:port entries): exec works at once', async () => {
    const { fleetmind, home, dir } = workspace(root, 'import');
    const [a, b, c] = fx.hosts as [typeof fx.hosts[0], typeof fx.hosts[0], typeof fx.hosts[0]];
    // Two files: ~/kh/plain (plain [host]:port entry) and an absolute one with a hashed entry.
    mkdirSync(join(home, 'kh'));
    writeFileSync(join(home, 'kh', 'plain'), `${a.knownHostsLine}\n`);
    const hashedFile = join(dir, 'hashed_known_hosts');
    writeFileSync(hashedFile, `${hashed(`[${b.address}]:${b.port}`)} ${b.hostPublicKey}\n${hashed(`[${c.address}]:${c.port}`)} ${c.hostPublicKey}\n`);
    const config = fx.hosts
      .map((h) => `Host ${h.name}\n  HostName ${h.address}\n  Port ${h.port}\n  User ${h.user}\n  IdentityFile ${fx.clientKeyPath}\n`)
      .join('\n');
    writeFileSync(join(dir, 'ssh_config'), `${config}\nHost *\n  UserKnownHostsFile ~/kh/plain ${hashedFile}\n  GlobalKnownHostsFile /dev/null\n`);

    const imported = await fleetmind('hosts', 'import', '--ssh-config', join(dir, 'ssh_config'));
    expect(imported.code).toBe(0);
    for (const h of fx.hosts) expect(imported.stdout).toContain(`${h.name} ([${h.address}]:${h.port}): ${h.hostPublicKey.split(' ')[0]} ${h.hostKeyFingerprint} from`);
    expect(imported.stdout).toContain('from ~/kh/plain:1');
    expect(imported.stderr).not.toMatch(/\/dev\/null/); // every host got keys: nothing to say about the empty global list

    const ran = await fleetmind('exec', '--hosts', 'all,!localhost', '--json', '--', 'uptime');
    expect(ran.code).toBe(0);
    expect(parseLines(ran.stdout).map((l) => [l.host, l.ok]).sort()).toEqual(fx.hosts.map((h) => [h.name, true]));
  });

  it('refuses a world-writable known_hosts and /dev/null: the hosts are imported without keys and stay host_key_unknown', async () => {
    const { fleetmind, dir } = workspace(root, 'refuse');
    const writable = join(dir, 'known_hosts');
    writeFileSync(writable, readFileSync(fx.knownHostsPath));
    chmodSync(writable, 0o666);
    const [a, b] = fx.hosts as [typeof fx.hosts[0], typeof fx.hosts[0]];
    writeFileSync(
      join(dir, 'ssh_config'),
      `Host ${a.name}\n  HostName ${a.address}\n  Port ${a.port}\n  User ${a.user}\n  IdentityFile ${fx.clientKeyPath}\n  UserKnownHostsFile ${writable}\n\n` +
        `Host ${b.name}\n  HostName ${b.address}\n  Port ${b.port}\n  User ${b.user}\n  IdentityFile ${fx.clientKeyPath}\n  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n`,
    );
    const imported = await fleetmind('hosts', 'import', '--ssh-config', join(dir, 'ssh_config'));
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 2 hosts/);
    expect(imported.stderr).toContain(`UserKnownHostsFile ${writable} not used for ${a.name}: it is world-writable`);
    expect(imported.stderr).toMatch(new RegExp(`UserKnownHostsFile /dev/null not used for ${b.name}: it is /dev/null`));
    expect(imported.stdout).toContain(`${a.name} ([${a.address}]:${a.port}): none on record`);
    // The hint names a command that exists here: run it.
    const hint = /Check and confirm the missing keys with: (\S+) hosts trust (\S+)/.exec(imported.stderr);
    expect(hint?.[1]).toBe('bin/fleetmind');
    expect(hint?.[2]).toBe(`${a.name},${b.name}`);

    const refused = parseLines((await fleetmind('exec', '--hosts', `${a.name},${b.name}`, '--json', '--', 'uptime')).stdout);
    expect(refused.map((l) => l.error?.code)).toEqual(['host_key_unknown', 'host_key_unknown']);
    // The refusal's own hint is runnable as printed (bin/fleetmind from the checkout).
    expect(refused[0]?.error?.message).toContain('bin/fleetmind hosts trust');
    // trust --known-hosts refuses the world-writable file as well.
    const viaFile = await fleetmind('hosts', 'trust', a.name, '--known-hosts', writable, '--yes');
    expect(viaFile).toMatchObject({ code: 1, stderr: expect.stringMatching(/is not used: it is world-writable.*nothing was recorded/) });
  });

  it('hosts trust SELECTOR --known-hosts FILE --yes: scans in parallel, records keys that match the file, refuses the rest', async () => {
    const { fleetmind, dir } = workspace(root, 'trust');
    // Imported without keys (an Ansible inventory names no known_hosts file).
    expect((await fleetmind('hosts', 'import', '--ansible', fx.ansibleInventoryPath)).code).toBe(0);
    const [a, b, c] = fx.hosts as [typeof fx.hosts[0], typeof fx.hosts[0], typeof fx.hosts[0]];
    // The file lists a and b correctly and a wrong key for c.
    const file = join(dir, 'checked_known_hosts');
    writeFileSync(file, `${a.knownHostsLine}\n${hashed(`[${b.address}]:${b.port}`)} ${b.hostPublicKey}\n[${c.address}]:${c.port} ${a.hostPublicKey}\n`);

    // Usage: --yes alone, --fingerprint for several hosts, a selector that matches nothing.
    expect((await fleetmind('hosts', 'trust', 'tag:sshd_fixture', '--yes')).code).toBe(2);
    expect((await fleetmind('hosts', 'trust', 'tag:sshd_fixture', '--fingerprint', a.hostKeyFingerprint)).code).toBe(2);
    expect((await fleetmind('hosts', 'trust', 'tag:nope', '--known-hosts', file, '--yes')).code).toBe(2);
    // Without a terminal and without --yes nothing is recorded; the list is shown.
    const shown = await fleetmind('hosts', 'trust', 'tag:sshd_fixture,!fm-host-03');
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain(a.hostKeyFingerprint);
    expect(shown.stdout).toContain(b.hostKeyFingerprint);
    expect(shown.stderr).toMatch(/not recorded: without a terminal, give --yes with --known-hosts FILE/);

    const trusted = await fleetmind('hosts', 'trust', 'fm-host-*', '--known-hosts', file, '--yes');
    expect(trusted.code).toBe(1); // c did not match
    expect(trusted.stdout).toContain(`trusted ssh-ed25519 ${a.hostKeyFingerprint} for ${a.name}`);
    expect(trusted.stdout).toContain(`trusted ssh-ed25519 ${b.hostKeyFingerprint} for ${b.name}`);
    expect(trusted.stdout).toMatch(new RegExp(`${c.name} .*NOT the key`));
    expect(trusted.stdout).not.toContain(`for ${c.name}`);
    expect(trusted.stderr).toMatch(/1 of 3 hosts not trusted/);

    const after = parseLines((await fleetmind('exec', '--hosts', 'tag:sshd_fixture', '--json', '--', 'uptime')).stdout);
    expect(Object.fromEntries(after.map((l) => [l.host, l.ok ? 'ok' : l.error?.code]))).toEqual({ [a.name]: 'ok', [b.name]: 'ok', [c.name]: 'host_key_unknown' });

    // A second run: already trusted hosts need nothing; c still refused.
    const again = await fleetmind('hosts', 'trust', `${a.name},${b.name}`, '--known-hosts', file, '--yes');
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/already trusted/) });
    // One host, --fingerprint: still the single-host path.
    const one = await fleetmind('hosts', 'trust', c.name, '--fingerprint', c.hostKeyFingerprint);
    expect(one).toMatchObject({ code: 0, stdout: expect.stringContaining(`trusted ssh-ed25519 ${c.hostKeyFingerprint} for ${c.name}`) });
  });
});
