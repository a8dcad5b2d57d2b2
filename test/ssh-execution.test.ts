// What runs is what was judged, over real SSH (issue "Safety 1/3", items 1 and 3): the
// remote login shell never parses the command, shell text runs under bash whatever the
// login shell is, and commands see a minimal environment, not the login's rc files'.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../src/shared/protocol';
import { Fleet, Inventory } from '../src/main/core/fleet';
import { SafetyGate } from '../src/main/core/safety';
import { Store } from '../src/main/core/store';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';

// The executor is under test: a permissive gate stands in for an operator's approval.
const permissive = new SafetyGate({ version: 'test', evaluate: () => ({ decision: 'allow', category: 'read_only', reasons: ['test'] }) });
const shellText = (host: string, text: string) => {
  const r = permissive.check({ command: text, host, requester: 'test' });
  if (!r.ok) throw new Error('not approved');
  return r.command;
};
const words = (host: string, ...argv: string[]) => {
  const r = permissive.check({ command: argv.join(' '), argv, host, requester: 'test' });
  if (!r.ok) throw new Error('not approved');
  return r.command;
};

const isRoot = process.getuid?.() === 0;
const LOGIN_SHELLS = ['/bin/bash', '/bin/dash', '/bin/zsh', '/usr/bin/tcsh', '/usr/bin/fish', '/bin/mksh'].filter((s) => existsSync(s));

interface ShellUser {
  name: string;
  shell: string;
  home: string;
}

describe.skipIf(!isRoot)('commands over SSH run as judged, whatever the login shell', () => {
  const suffix = process.pid.toString(36);
  const users: ShellUser[] = [];
  const fleets: SshdFleet[] = [];
  const stores: Store[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'fm-sshexec-'));
  chmodSync(scratch, 0o777);
  let fleet: Fleet;
  const hostsByShell = new Map<string, Host>();

  beforeAll(async () => {
    // One login user per shell, each with a hostile ~/.bashrc-style rc in its own home.
    for (const shell of LOGIN_SHELLS) {
      const base = shell.split('/').pop() as string;
      const name = `fmsh-${base}-${suffix}`.slice(0, 31);
      const home = mkdtempSync(join(tmpdir(), `fm-home-${base}-`));
      // `*`, not useradd's locking `!`: sshd refuses even key logins to a locked account.
      execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', shell, '--password', '*', name]);
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      chownSync(home, uid, uid);
      users.push({ name, shell, home });
    }
    const store = Store.inMemory();
    stores.push(store);
    for (const user of users) {
      const fx = await startSshdHosts({ count: 1, names: [`sh-${user.shell.split('/').pop()}`], user: user.name, privateHome: false });
      fleets.push(fx);
      // sshd reads authorized_keys as the login user: let that user through the fixture's root-only directory.
      chmodSync(fx.dir, 0o711);
      chmodSync(fx.authorizedKeysPath, 0o644);
      const h = fx.hosts[0]!;
      store.hosts.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
      hostsByShell.set(user.shell, { ...store.hosts.get(h.name)!, transport: 'ssh' } as Host);
      // The rc files a login may read, each exporting credentials and a BASH_ENV that would run a file.
      const evil = join(user.home, 'evil.sh');
      writeFileSync(evil, `touch ${user.home}/bash-env-ran\n`);
      const rc = `export OPENAI_API_KEY=sk-login-secret BASH_ENV=${evil} ENV=${evil}\n`;
      for (const file of ['.bashrc', '.bash_profile', '.profile', '.zshenv', '.mkshrc']) writeFileSync(join(user.home, file), rc);
      writeFileSync(join(user.home, '.tcshrc'), `setenv OPENAI_API_KEY sk-login-secret\nsetenv BASH_ENV ${evil}\n`);
      execFileSync('mkdir', ['-p', join(user.home, '.config', 'fish')]);
      writeFileSync(join(user.home, '.config', 'fish', 'config.fish'), `set -gx OPENAI_API_KEY sk-login-secret\nset -gx BASH_ENV ${evil}\n`);
      execFileSync('chown', ['-R', `${user.name}:${user.name}`, user.home]);
    }
    const knownHosts = join(scratch, 'known_hosts');
    writeFileSync(knownHosts, fleets.map((f) => f.hosts[0]!.knownHostsLine).join('\n') + '\n');
    fleet = new Fleet(new Inventory(store.hosts), permissive, {
      ssh: { knownHostsFiles: [knownHosts], agentSocket: null, defaultIdentityFiles: [], connectTimeoutMs: 10_000 },
    });
  }, 120_000);

  afterAll(async () => {
    await fleet?.close();
    for (const fx of fleets) await fx.stopAll();
    for (const s of stores) s.close();
    for (const user of users) {
      spawnSync('userdel', [user.name]);
      rmSync(user.home, { recursive: true, force: true });
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('has more than one login shell to try', () => {
    expect(LOGIN_SHELLS.length).toBeGreaterThanOrEqual(2);
    expect(hostsByShell.size).toBe(LOGIN_SHELLS.length);
  });

  it.each(LOGIN_SHELLS)('login shell %s: text harmless to bash and a payload to dash runs no payload', async (shell) => {
    const host = hostsByShell.get(shell)!;
    const dir = mkdtempSync(join(scratch, 'payload-'));
    chmodSync(dir, 0o777);
    for (const text of [`true | echo $'\\' ; touch ${dir}/one ; echo \\' #'`, `echo &>/dev/null touch ${dir}/two`]) {
      const out = await fleet.executor(host).run(shellText(host.name, text));
      expect({ shell, error: out.error, exit: out.exitCode }).toEqual({ shell, error: null, exit: 0 });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(LOGIN_SHELLS)("login shell %s: quoting survives exactly and shell text runs under bash", async (shell) => {
    const host = hostsByShell.get(shell)!;
    const text = `printf '%s|' "it's" '$HOME' "!1" '\\n' "\${BASH_VERSION:+bash}"`;
    const out = await fleet.executor(host).run(shellText(host.name, text));
    expect({ shell, stdout: out.stdout, error: out.error }).toEqual({ shell, stdout: `it's|$HOME|!1|\\n|bash|`, error: null });
    const argv = await fleet.executor(host).run(words(host.name, 'printf', '%s|', `a'b`, '$(id)', '!!', '*'));
    expect(argv.stdout).toBe(`a'b|$(id)|!!|*|`);
  });

  it.each(LOGIN_SHELLS)("login shell %s: the command sees the minimal environment, not the login rc's secrets or BASH_ENV", async (shell) => {
    const host = hostsByShell.get(shell)!;
    const user = users.find((u) => u.shell === shell)!;
    for (const command of [shellText(host.name, 'env'), words(host.name, 'env')]) {
      const out = await fleet.executor(host).run(command);
      expect(out.error).toBeNull();
      expect(out.stdout).not.toContain('sk-login-secret');
      const names = out.stdout.split('\n').filter((l) => /^[A-Za-z_]\w*=/.test(l)).map((l) => l.split('=')[0] as string);
      expect(new Set(names.filter((n) => !['_', 'SHLVL', 'PWD', 'OLDPWD'].includes(n)))).toEqual(new Set(['PATH', 'LANG', 'LC_ALL', 'HOME', 'USER', 'TERM', 'TMPDIR']));
    }
    expect(existsSync(join(user.home, 'bash-env-ran'))).toBe(false);
  });

  it('the tools\' batched reads and commands work through every login shell', async () => {
    for (const [shell, host] of hostsByShell) {
      const result = await fleet.gather(host, { commands: { who: ['id', '-un'] }, files: ['/proc/loadavg'], requester: 'test' });
      const who = result.commands.who;
      expect({ shell, status: who?.status }).toEqual({ shell, status: 'ran' });
      if (who?.status === 'ran') expect(who.outcome.stdout.trim()).toBe(users.find((u) => u.shell === shell)!.name);
      expect(result.files['/proc/loadavg']).toMatch(/^\d/);
    }
  });
});
