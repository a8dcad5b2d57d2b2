// The SSH fleet against real OpenSSH hosts (issue 4, items 2-6 and 8): pooled ssh2
// connections, host keys, execution limits, faults, fan-out, and the agent tools.
// Every test closes what it opened and checks that no session or process is left on
// the hosts (fixture sessionPids) and no connection is left in the pool.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Host } from '../src/shared/protocol';
import { OfflineEngine } from '../src/main/core/agent';
import { fanOut, Fleet, HostConnectionError, HostKeyConfirmationError, Inventory, truncationMarker, type ExecOutcome, type SshPoolOptions } from '../src/main/core/fleet';
import { loadDefaultPolicy, SafetyGate } from '../src/main/core/safety';

// The real policy: tests see exactly what the product allows and refuses.
const policy = loadDefaultPolicy();
import { Store } from '../src/main/core/store';
import { coreTools, ToolRegistry, ToolRunner } from '../src/main/core/tools';
import { startSshdHosts, type SshdFleet, type SshdHost } from './fixtures/sshd-hosts/index';

// Commands outside the read-only list (sleep, sh -c) stand in for approved ones: the
// executor is under test here, the policy has its own tests.
const permissive = new SafetyGate({ version: 'test', evaluate: () => ({ decision: 'allow', category: 'read_only', reasons: ['test'] }) });
const approve = (host: string, command: string, argv?: string[]) => {
  const r = permissive.check({ command, argv, host, requester: 'test' });
  if (!r.ok) throw new Error('not approved');
  return r.command;
};
const sh = (host: string, text: string) => approve(host, text);
const argv = (host: string, ...words: string[]) => approve(host, words.join(' '), words);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** Process names on a host other than its sshd listener (sessions, shells, commands). */
function processesOn(fx: SshdFleet, name: string): string[] {
  if (!fx.isRunning(name)) return [];
  return fx.sessionPids(name).flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/comm`, 'utf8').trim()];
    } catch {
      return [];
    }
  });
}

function toHost(h: SshdHost, fx: SshdFleet, extra: Partial<Host> = {}): Omit<Host, 'transport'> {
  return { name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default', ...extra };
}

interface TestFleet {
  fleet: Fleet;
  store: Store;
  host: (name: string) => Host;
}

const opened: TestFleet[] = [];

function makeFleet(fx: SshdFleet, opts: { hosts?: Omit<Host, 'transport'>[]; ssh?: Partial<SshPoolOptions>; gate?: SafetyGate; knownHosts?: string[] } = {}): TestFleet {
  const store = Store.inMemory();
  for (const h of opts.hosts ?? fx.hosts.map((x) => toHost(x, fx))) store.hosts.upsert(h);
  const fleet = new Fleet(new Inventory(store.hosts), opts.gate ?? permissive, {
    ssh: { knownHostsFiles: opts.knownHosts ?? [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [], connectTimeoutMs: 5000, ...opts.ssh },
  });
  const tf = {
    fleet,
    store,
    host: (name: string) => {
      const h = fleet.inventory.get(name);
      if (!h) throw new Error(`no host ${name}`);
      return h;
    },
  };
  opened.push(tf);
  return tf;
}

async function closeAll(fx: SshdFleet): Promise<void> {
  for (const tf of opened.splice(0)) {
    await tf.fleet.close();
    expect(tf.fleet.sshPool.size()).toBe(0);
    tf.store.close();
  }
  // No connection, shell or command may outlive the pool.
  for (const h of fx.hosts) await waitFor(`no sessions on ${h.name} (left: ${processesOn(fx, h.name).join(', ')})`, () => processesOn(fx, h.name).length === 0);
}

describe('SSH fleet against real sshd hosts', () => {
  let fx: SshdFleet;
  const scratch = mkdtempSync(join(tmpdir(), 'fm-ssh-test-'));

  beforeAll(async () => {
    fx = await startSshdHosts({ count: 5 });
  });
  afterEach(async () => {
    vi.useRealTimers(); // in case a test that stops the clock failed midway
    for (const h of fx.hosts) if (!fx.isRunning(h.name)) await fx.start(h.name);
    await closeAll(fx);
  });
  afterAll(async () => {
    await fx?.stopAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs commands over one multiplexed connection per host, each host answering with its own hostname', async () => {
    const { fleet, host } = makeFleet(fx);
    const names = fx.hosts.slice(0, 3).map((h) => h.name);
    const outs = await Promise.all(names.map((n) => fleet.executor(host(n)).run(argv(n, 'hostname'))));
    expect(outs.map((o) => [o.exitCode, o.error])).toEqual(names.map(() => [0, null]));
    if (fx.isolation !== 'none') expect(outs.map((o) => o.stdout.trim())).toEqual(names);

    // 12 commands at once on one host: 8 channels at a time on ONE connection, the rest queue.
    const n = names[0]!;
    const logBefore = fx.readLog(n).split('Accepted publickey').length;
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => fleet.executor(host(n)).run(sh(n, `sleep 0.2; echo ${i}`))));
    expect(many.map((o) => o.stdout.trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(fx.readLog(n).split('Accepted publickey').length).toBe(logBefore);
    expect(fleet.sshPool.size()).toBe(3);
  });

  it('reports exit codes, stderr and streamed output, and quotes argv safely for the remote shell', async () => {
    const { fleet, host } = makeFleet(fx);
    const n = fx.hosts[0]!.name;
    const ex = fleet.executor(host(n));
    const words = ['printf', '%s|', `it's`, '$(id)', '`id`', '; echo pwned', '*', '$HOME'];
    const quoted = await ex.run(argv(n, ...words));
    expect(quoted.stdout).toBe(`it's|$(id)|\`id\`|; echo pwned|*|$HOME|`);

    const chunks: string[] = [];
    const failed = await ex.run(sh(n, 'echo out; echo err >&2; exit 3'), { onOutput: (c) => chunks.push(`${c.stream}:${c.text}`) });
    expect(failed).toMatchObject({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', error: null });
    expect(chunks.sort()).toEqual(['stderr:err\n', 'stdout:out\n']);

    const missing = await ex.run(argv(n, 'no-such-program-fm'));
    expect(missing.exitCode).toBe(127);
    expect(missing.error).toBeNull();
    expect(missing.stderr).toMatch(/not found|No such file/);

    // No PTY and stdin from /dev/null: nothing can wait for input.
    const tty = await ex.run(sh(n, 'tty; cat; echo end'));
    expect(tty.stdout).toMatch(/not a tty\nend\n$/);
  });

  it('answers a whole tool (files + commands) in ONE round trip, and the real tools work over SSH', async () => {
    const gate = new SafetyGate(await policy);
    const { fleet, host } = makeFleet(fx, { gate });
    const n = fx.hosts[1]!.name;
    await fleet.executor(host(n)).readFiles(['/proc/uptime']); // connect first
    const sessions = () => fx.readLog(n).split('Starting session').length;
    const before = sessions();
    const g = await fleet.gather(host(n), {
      requester: 'test',
      files: ['/proc/loadavg', '/proc/sys/kernel/hostname', '/no/such/file'],
      commands: { df: ['df', '-P'], ps: ['ps', '-eo', 'pid,comm'], rm: ['rm', '-rf', '/tmp/x'] },
    });
    expect(sessions() - before).toBe(1);
    expect(g.files['/proc/loadavg']).toMatch(/^\d+\.\d+ /);
    expect(g.files['/no/such/file']).toBeNull();
    if (fx.isolation !== 'none') expect(g.files['/proc/sys/kernel/hostname']?.trim()).toBe(n);
    expect(g.commands.df).toMatchObject({ status: 'ran', outcome: { exitCode: 0, error: null } });
    expect(g.commands.ps?.status).toBe('ran');
    // The gate still judges every command of the batch.
    expect(g.commands.rm).toMatchObject({ status: 'refused' });

    const tools = new ToolRunner(new ToolRegistry(coreTools), fleet, gate);
    const status = await tools.call('server_status', { host: n }, { requester: 'test' });
    expect(status.record.ok).toBe(true);
    if (fx.isolation !== 'none') expect(status.text).toContain(`Host: ${n}`);
    const file = await tools.call('tail_logs', { host: n, path: '/var/log/nonexistent.log' }, { requester: 'test' });
    expect(file.record.ok).toBe(true);
  });

  it('kills a hanging command at its timeout, remote processes included', async () => {
    const { fleet, host } = makeFleet(fx);
    const n = fx.hosts[2]!.name;
    const out = await fleet.executor(host(n)).run(sh(n, 'sleep 30 & sleep 30; echo never'), { timeoutMs: 500 });
    expect(out.error?.code).toBe('timeout');
    expect(out.exitCode).toBeNull();
    // SIGTERM: the remote watchdog ended it as soon as the channel got EOF (the wrapper
    // exits 143). The executor's fallback, 3 s later, would have reported SIGKILL.
    expect(out.signal).toBe('SIGTERM');
    expect(out.stdout).toBe('');
    // Both sleeps are gone while the connection stays up for the next command.
    await waitFor('no sleep left', () => !processesOn(fx, n).includes('sleep'));
    expect(fleet.sshPool.size()).toBe(1);
    expect((await fleet.executor(host(n)).run(argv(n, 'true'))).exitCode).toBe(0);
  });

  it('cancels on abort: the channel closes and the remote process group is killed', async () => {
    const { fleet, host } = makeFleet(fx);
    const n = fx.hosts[2]!.name;
    const controller = new AbortController();
    const pending = fleet.executor(host(n)).run(sh(n, 'trap "" TERM; sleep 30'), { signal: controller.signal });
    // Cancel once the command really runs on the host.
    await waitFor('the remote sleep', () => processesOn(fx, n).includes('sleep'));
    controller.abort();
    const out = await pending;
    expect(out.error?.code).toBe('cancelled');
    // It ignores SIGTERM, so only the SIGKILL that follows ends it.
    expect(out.signal).toBe('SIGKILL');
    await waitFor('no sleep left', () => !processesOn(fx, n).includes('sleep'));

    const early = new AbortController();
    early.abort();
    expect((await fleet.executor(host(n)).run(argv(n, 'true'), { signal: early.signal })).error?.code).toBe('cancelled');
  });

  it('caps 10 MB of output with the truncation marker', async () => {
    const { fleet, host } = makeFleet(fx);
    const n = fx.hosts[0]!.name;
    const limit = 1024 * 1024;
    const out = await fleet.executor(host(n)).run(sh(n, 'head -c 10485760 /dev/zero | tr "\\0" x; echo done >&2'), { maxOutputBytes: limit });
    expect(out.exitCode).toBe(0);
    expect(out.stdoutTruncated).toBe(true);
    expect(out.stdout.length).toBe(limit + truncationMarker(limit).length);
    expect(out.stdout.endsWith(truncationMarker(limit))).toBe(true);
    expect(out.stderr).toBe('done\n');
    // The same cap applies to each command of a batch.
    const g = await fleet.gather(host(n), { requester: 'test', commands: { big: ['head', '-c', '3000000', '/dev/zero'] }, maxOutputBytes: 1000 });
    const big = g.commands.big;
    expect(big?.status === 'ran' && big.outcome.stdoutTruncated && big.outcome.stdout.endsWith(truncationMarker(1000))).toBe(true);
  });

  it('host down: unreachable at once, fail-fast backoff, then reconnects when it is back', async () => {
    const { fleet, host } = makeFleet(fx, { ssh: { backoffInitialMs: 400 } });
    const n = fx.hosts[4]!.name;
    await fx.stop(n);
    // "At once": the refusal itself ends the attempt. With the timer clock stopped, the
    // connect timeout (and any retry delay) can never fire, so waiting for one would hang.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let down: ExecOutcome;
    let again: ExecOutcome;
    try {
      down = await fleet.executor(host(n)).run(argv(n, 'true'));
      again = await fleet.executor(host(n)).run(argv(n, 'true'));
    } finally {
      vi.useRealTimers();
    }
    expect(down.error?.code).toBe('unreachable');
    expect(down.error?.message).toMatch(/ECONNREFUSED/);
    expect(again.error?.message).toMatch(/next attempt in/);
    await fx.start(n);
    await sleep(450);
    const back = await fleet.executor(host(n)).run(argv(n, 'true'));
    expect(back.error).toBeNull();
    expect(back.exitCode).toBe(0);
  });

  it('sshd killed mid-command: a clear per-host error, then a fresh connection', async () => {
    const { fleet, host } = makeFleet(fx);
    const n = fx.hosts[3]!.name;
    expect((await fleet.executor(host(n)).run(argv(n, 'true'))).exitCode).toBe(0);
    const pending = fleet.executor(host(n)).run(sh(n, 'sleep 10; echo never'));
    await waitFor('the remote sleep', () => processesOn(fx, n).includes('sleep'));
    await fx.kill(n);
    const out = await pending;
    expect(out.error?.code).toBe('unreachable');
    expect(out.error?.message).toMatch(/lost while the command was running/);
    await waitFor('pool noticed', () => fleet.sshPool.size() === 0);
    await fx.start(n);
    const back = await fleet.executor(host(n)).run(argv(n, 'true'));
    expect(back.exitCode).toBe(0);
  });

  it('wrong or missing key: auth_failed naming what was tried', async () => {
    const wrongKey = join(scratch, 'wrong_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const base = fx.hosts[0]!;
    const { fleet, host } = makeFleet(fx, {
      hosts: [toHost(base, fx, { identityFile: wrongKey }), toHost(fx.hosts[1]!, fx, { identityFile: join(scratch, 'missing_key') })],
    });
    const wrong = await fleet.executor(host(base.name)).run(argv(base.name, 'true'));
    expect(wrong.error?.code).toBe('auth_failed');
    expect(wrong.error?.message).toContain(wrongKey);
    const missing = await fleet.executor(host(fx.hosts[1]!.name)).run(argv(fx.hosts[1]!.name, 'true'));
    expect(missing.error?.code).toBe('auth_failed');
    expect(missing.error?.message).toMatch(/no such file/);
  });

  it('closes idle connections and reconnects on the next command', async () => {
    const { fleet, host } = makeFleet(fx, { ssh: { idleTimeoutMs: 200 } });
    const n = fx.hosts[0]!.name;
    expect((await fleet.executor(host(n)).run(argv(n, 'true'))).exitCode).toBe(0);
    expect(fleet.sshPool.size()).toBe(1);
    await waitFor('idle close', () => fleet.sshPool.size() === 0, 3000);
    await waitFor('sessions gone', () => processesOn(fx, n).length === 0);
    expect((await fleet.executor(host(n)).run(argv(n, 'true'))).exitCode).toBe(0);
  });

  it('authenticates with ssh-agent, and with an encrypted key whose passphrase comes from the provider (never stored)', async () => {
    const agentSock = join(scratch, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    try {
      await waitFor('ssh-agent socket', () => existsSync(agentSock), 5000);
      execFileSync('ssh-add', [fx.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
      const viaAgent = makeFleet(fx, { hosts: [toHost(fx.hosts[0]!, fx, { identityFile: null })], ssh: { agentSocket: agentSock } });
      const n = fx.hosts[0]!.name;
      expect((await viaAgent.fleet.executor(viaAgent.host(n)).run(argv(n, 'true'))).error).toBeNull();
    } finally {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }

    const encrypted = join(scratch, 'encrypted_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', encrypted]);
    appendFileSync(fx.authorizedKeysPath, readFileSync(`${encrypted}.pub`, 'utf8'));
    const hosts = fx.hosts.slice(0, 2).map((h) => toHost(h, fx, { identityFile: encrypted }));
    const noSource = makeFleet(fx, { hosts });
    const refused = await noSource.fleet.executor(noSource.host(hosts[0]!.name)).run(argv(hosts[0]!.name, 'true'));
    expect(refused.error?.code).toBe('auth_failed');
    expect(refused.error?.message).toMatch(/encrypted and no passphrase source/);

    const asked: string[] = [];
    const withPrompt = makeFleet(fx, {
      hosts,
      ssh: { passphrase: async ({ keyPath }) => (asked.push(keyPath), 'correct horse') },
    });
    const outs = await Promise.all(hosts.map((h) => withPrompt.fleet.executor(withPrompt.host(h.name)).run(argv(h.name, 'true'))));
    expect(outs.map((o) => o.error)).toEqual([null, null]);
    expect(asked).toEqual([encrypted]); // asked once, the unlocked key is reused in memory

    const wrong = makeFleet(fx, { hosts, ssh: { passphrase: async () => 'wrong' } });
    const bad = await wrong.fleet.executor(wrong.host(hosts[0]!.name)).run(argv(hosts[0]!.name, 'true'));
    expect(bad.error?.code).toBe('auth_failed');
    expect(bad.error?.message).toMatch(/wrong passphrase/);
  });

  it('unknown host key: refused with its fingerprint until the operator confirms exactly that key', async () => {
    const { fleet, host, store } = makeFleet(fx, { knownHosts: [] });
    const h = fx.hosts[0]!;
    const refused = await fleet.executor(host(h.name)).run(argv(h.name, 'true'));
    expect(refused.error?.code).toBe('host_key_unknown');
    expect(refused.error).toMatchObject({ fingerprint: h.hostKeyFingerprint });
    expect(refused.error?.message).toContain(h.hostKeyFingerprint);
    expect(refused.exitCode).toBeNull();
    // Tools see it too (as a transport failure carrying the code).
    await expect(fleet.gather(host(h.name), { requester: 't', files: ['/proc/uptime'] })).rejects.toBeInstanceOf(HostConnectionError);

    const scan = await fleet.scanHostKey(host(h.name));
    expect(scan).toMatchObject({ status: 'unknown', fingerprint: h.hostKeyFingerprint, keyType: 'ssh-ed25519' });
    await expect(fleet.trustHostKey(host(h.name), 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'test')).rejects.toBeInstanceOf(HostKeyConfirmationError);
    expect(store.hosts.keys.list()).toEqual([]);
    const trusted = await fleet.trustHostKey(host(h.name), h.hostKeyFingerprint, 'test');
    expect(trusted.recorded).toBe(true);
    expect(store.hosts.keys.list()).toMatchObject([{ endpoint: `[${h.address}]:${h.port}`, fingerprint: h.hostKeyFingerprint, addedBy: 'test' }]);
    expect((await fleet.executor(host(h.name)).run(argv(h.name, 'true'))).exitCode).toBe(0);
  });

  it('reads hashed known_hosts entries', async () => {
    const hashed = join(scratch, 'known_hosts_hashed');
    execFileSync('cp', [fx.knownHostsPath, hashed]);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/m);
    const { fleet, host } = makeFleet(fx, { knownHosts: [hashed] });
    const n = fx.hosts[1]!.name;
    expect((await fleet.executor(host(n)).run(argv(n, 'true'))).error).toBeNull();
  });

  it('ProxyJump: reaches a host through a bastion on the bastion’s pooled connection', async () => {
    const [bastion, target] = [fx.hosts[0]!, fx.hosts[2]!];
    const { fleet, host } = makeFleet(fx, { hosts: [toHost(bastion, fx), toHost(target, fx, { name: 'behind', jump: bastion.name })] });
    const out = await fleet.executor(host('behind')).run(argv('behind', 'hostname'));
    expect(out.error).toBeNull();
    if (fx.isolation !== 'none') expect(out.stdout.trim()).toBe(target.name);
    expect(fleet.sshPool.size()).toBe(2);
    const loop = makeFleet(fx, { hosts: [toHost(bastion, fx, { jump: 'behind' }), toHost(target, fx, { name: 'behind', jump: bastion.name })] });
    const looped = await loop.fleet.executor(loop.host('behind')).run(argv('behind', 'true'));
    expect(looped.error?.message).toMatch(/loop/);
  });

  it('changed host key: refused loudly with both fingerprints; a confirmed replacement works', async () => {
    const n = fx.hosts[1]!.name;
    const rotated = await fx.rotateHostKey(n);
    try {
      const { fleet, host, store } = makeFleet(fx);
      const out = await fleet.executor(host(n)).run(argv(n, 'true'));
      expect(out.error?.code).toBe('host_key_mismatch');
      expect(out.error?.message).toContain('HAS CHANGED');
      expect(out.error?.message).toContain(rotated.previousFingerprint);
      expect(out.error?.message).toContain(rotated.fingerprint);
      expect(out.error).toMatchObject({ fingerprint: rotated.fingerprint, expectedFingerprints: [rotated.previousFingerprint] });
      const result = await fleet.trustHostKey(host(n), rotated.fingerprint, 'test');
      expect(result.replaced).toEqual([rotated.previousFingerprint]);
      expect(store.hosts.keys.list()[0]?.fingerprint).toBe(rotated.fingerprint);
      expect((await fleet.executor(host(n)).run(argv(n, 'true'))).exitCode).toBe(0);
    } finally {
      await fx.refreshKnownHosts();
    }
  });

  it('the offline engine answers "show status of tag:web" from each SSH host', async () => {
    const gate = new SafetyGate(await policy);
    // Inventory names differ from the hosts' own hostnames, so the hostnames in the answer come from the hosts.
    const hosts = fx.hosts.slice(0, 3).map((h, i) => toHost(h, fx, { name: `srv-${i + 1}`, tags: i < 2 ? ['web'] : ['db'] }));
    const { fleet, store } = makeFleet(fx, { hosts, gate });
    const engine = new OfflineEngine(new ToolRunner(new ToolRegistry(coreTools), fleet, gate), fleet.inventory);
    const answer = await engine.answer({ message: 'show status of tag:web', host: null, conversationId: 'ssh-test' });
    expect(answer.toolCalls[0]).toMatchObject({ tool: 'server_status', ok: true });
    expect(answer.reply).toContain('srv-1');
    expect(answer.reply).toContain('srv-2');
    expect(answer.reply).not.toContain('srv-3');
    if (fx.isolation !== 'none') {
      expect(answer.reply).toContain(`Host: ${fx.hosts[0]!.name}`);
      expect(answer.reply).toContain(`Host: ${fx.hosts[1]!.name}`);
    }
    store.close();
  });
});

describe('fan-out over 50 SSH hosts with 5 down and one that never answers', () => {
  let fx: SshdFleet;
  let blackhole: Server;
  const held: Socket[] = [];

  beforeAll(async () => {
    fx = await startSshdHosts({ count: 50 });
    // Accepts TCP and never speaks SSH: only the connect timeout ends it.
    blackhole = createServer((s) => held.push(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  });
  afterEach(() => {
    vi.useRealTimers(); // in case the test failed with the clock stopped
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => blackhole?.close(r));
    await fx?.stopAll();
  });

  it('classifies every host, never waits on a dead one, and leaves nothing behind', async () => {
    const down = fx.hosts.slice(10, 15).map((h) => h.name);
    for (const n of down) await fx.stop(n);
    const port = (blackhole.address() as { port: number }).port;
    const hosts = [
      ...fx.hosts.map((h) => toHost(h, fx, { tags: ['fleet'] })),
      { name: 'blackhole', address: '127.0.0.1', port, user: 'root', identityFile: fx.clientKeyPath, tags: ['fleet'], jump: null, privacy: 'default' as const },
    ];
    const { fleet } = makeFleet(fx, { hosts, ssh: { connectTimeoutMs: 2000 } });
    const streamed: string[] = [];
    let othersReported!: () => void;
    const fiftyReported = new Promise<void>((resolve) => (othersReported = resolve));
    const selected = fleet.inventory.select('tag:fleet');
    // The unresponsive host is dispatched first ...
    expect(selected[0]?.name).toBe('blackhole');
    // ... with the timer clock stopped: its connect timeout cannot fire until the test
    // moves the clock, and no live host races that timeout however slow its handshake.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let results: Awaited<ReturnType<typeof fanOut>>;
    try {
      let settled = false;
      const fanning = fanOut(fleet, permissive, selected, {
        command: 'uptime',
        argv: ['uptime'],
        requester: 'test',
        concurrency: 51,
        onResult: (line) => {
          if (streamed.push(line.host) === 50) othersReported();
        },
      }).finally(() => (settled = true));
      // Every other host reports while the blackhole is still connecting: it blocks nobody.
      // (Were they waiting on it, this would never resolve.)
      await fiftyReported;
      expect(streamed).not.toContain('blackhole');
      expect(settled).toBe(false);
      expect(held).toHaveLength(1); // its TCP connection is open, no SSH spoken
      // Now its connect timeout fires, and that ends the fan-out.
      vi.advanceTimersByTime(2000);
      results = await fanning;
    } finally {
      vi.useRealTimers();
    }
    expect(results).toHaveLength(51);
    expect(streamed).toHaveLength(51);
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(45);
    for (const r of ok) expect(r).toMatchObject({ exitCode: 0, error: null, stdout: expect.stringMatching(/load average/) });
    expect(streamed.indexOf('blackhole')).toBe(50);
    for (const n of down) {
      const r = results.find((x) => x.host === n);
      expect(r).toMatchObject({ ok: false, exitCode: null, error: { code: 'unreachable' } });
      expect(r?.error?.message).toMatch(/ECONNREFUSED/);
    }
    const bh = results.find((r) => r.host === 'blackhole');
    // TCP accepted, no SSH spoken: a timeout, not "unreachable".
    expect(bh).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(bh?.error?.message).toMatch(/no SSH handshake/);
    // One attempt, ended by that timeout: no retry.
    expect(held).toHaveLength(1);
    expect(fleet.sshPool.size()).toBe(45);

    await closeAll(fx);
    for (const n of down) await fx.start(n);
  });
});
