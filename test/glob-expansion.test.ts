// Reads over a directory glob (issue 12): the fleet expands the glob on the host the way
// bash does, the gate judges the command with the names it matched (a planted link to a
// key or to Fleetmind's data dir is refused, harmless files are allowed), and the command
// runs as that judged list of words, quoted, never expanded again: a file created after
// judging is not read, a name holding `$(...)`, blanks or a newline is one literal word.
// Against the real executors: local bash and an sshd host. The names are planted by
// another account (nobody), as on a server where an application writes its own logs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecResultLine, Host } from '../src/shared/protocol';
import { ApprovalService, type ChatService } from '../src/main/core/agent';
import { Fleet, Inventory } from '../src/main/core/fleet';
import { loadDefaultPolicy, SafetyGate, type AuditSink } from '../src/main/core/safety';
import { Store, type NewApproval } from '../src/main/core/store';
import { coreTools, ToolRegistry, ToolRunner } from '../src/main/core/tools';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { ensureBuilt, repoRoot } from './helpers/build';
import { canSwitchUsers } from './helpers/os-users';

const SECRET = 'PRIVATE-KEY-BYTES-5e07';
const TOKEN = 'OPERATOR-TOKEN-BYTES-77aa';

describe.skipIf(!canSwitchUsers)('a glob is judged by what it matches on the host and runs as that list', () => {
  const root = mkdtempSync(join(tmpdir(), 'fm-globs-'));
  const dataDir = join(root, 'data');
  const keyFile = join(root, 'keys', 'id_rsa');
  // Under /var/log: the same directory on this machine and on the sshd host (which has its own home).
  const base = `/var/log/fm-globs-${process.pid}`;
  const sites = join(base, 'sites-enabled');
  const planted = join(base, 'planted');
  const own = join(base, 'own');
  const logs = join(base, 'logs');
  const scratch = join(base, 'scratch');
  const many = join(base, 'many');
  const binary = join(base, 'binary');
  const audit: { subject?: string; kind: string; actor?: string; host?: string; data?: Record<string, unknown> }[] = [];
  const sink: AuditSink = { record: (entry) => audit.push(entry as (typeof audit)[number]) };
  let fx: SshdFleet;
  const store = Store.inMemory();
  let gate: SafetyGate;
  let fleet: Fleet;
  let runner: ToolRunner;
  let approvals: ApprovalService;
  let hosts: Host[];

  /** As the other account: it owns the directories and plants the names. */
  const asNobody = (script: string) => execFileSync('runuser', ['-u', 'nobody', '--', 'bash', '--noprofile', '--norc', '-c', script], { stdio: 'pipe' });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const hostLines = (data: Record<string, unknown>) => Object.values(data) as ExecResultLine[];

  beforeAll(async () => {
    mkdirSync(join(root, 'keys'));
    mkdirSync(dataDir);
    writeFileSync(keyFile, `${SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(dataDir, 'operator-token'), `${TOKEN}\n`, { mode: 0o600 });
    mkdirSync(base, { recursive: true });
    for (const dir of [sites, planted, own, logs, scratch, many, binary]) {
      mkdirSync(dir);
      execFileSync('chown', ['nobody', dir]);
    }
    asNobody(
      [
        `cd ${q(sites)}`,
        `printf 'alpha\\n' > default.conf`,
        `printf 'with blank\\n' > ${q('b b.conf')}`,
        `printf 'dollar\\n' > ${q('$(touch PWNED).conf')}`,
        `printf 'newline\\n' > $'x\\ny.conf'`,
        `printf 'quote\\n' > ${q("it's.conf")}`,
        `printf 'HIDDEN\\n' > .hidden.conf`,
        `cd ${q(planted)}`,
        `printf 'an ordinary line\\n' > ok.log`,
        `ln -s ${q(keyFile)} app.log`,
        `cd ${q(own)}`,
        `printf 'ordinary\\n' > ok.log`,
        `ln -s ${q(join(dataDir, 'operator-token'))} fm.log`,
        `cd ${q(logs)}`,
        `printf 'one\ntwo\n' > a.log`,
        `printf 'three\n' > ${q('b b.log')}`,
        `cd ${q(scratch)}`,
        `touch x.tmp y.tmp`,
        `cd ${q(binary)}`,
        `printf 'fine\\n' > ok.log`,
        `printf 'bytes\\n' > $'\\xff.log'`,
        `cd ${q(many)}`,
        `for i in $(seq 1 1001); do : > f$i; done`,
      ].join(' && '),
    );
    fx = await startSshdHosts({ count: 1, names: ['globs-1'] });
    const h = fx.hosts[0]!;
    store.hosts.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [], jump: null, privacy: 'default' });
    gate = new SafetyGate(await loadDefaultPolicy({ dataDir }), null, sink);
    const inventory = new Inventory(store.hosts);
    fleet = new Fleet(inventory, gate, { audit: sink, ssh: { knownHostsFiles: [fx.knownHostsPath], agentSocket: null, defaultIdentityFiles: [] } });
    const requests = { request: (input: Omit<NewApproval, 'ttlMs'>) => store.approvals.create({ ...input, ttlMs: 600_000 }) };
    runner = new ToolRunner(new ToolRegistry(coreTools), fleet, gate, requests);
    const chat = { resume: () => null } as unknown as ChatService;
    approvals = new ApprovalService(store.approvals, gate, fleet, inventory, chat, store.rememberedRules, sink);
    hosts = inventory.select('localhost,globs-1');
  }, 120_000);

  afterAll(async () => {
    await fleet?.close();
    await fx?.stopAll();
    store.close();
    rmSync(base, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('harmless files run, each name one literal word: blanks, quotes, `$(...)` and a newline read correctly, dot files left out, nothing injected', async () => {
    const out = await runner.call('run_command', { command: `cat ${sites}/*`, host: 'localhost,globs-1' }, { requester: 'test' });
    const lines = hostLines(out.data);
    expect(lines.map((l) => [l.host, l.ok, l.error])).toEqual(expect.arrayContaining([['localhost', true, null], ['globs-1', true, null]]));
    for (const line of lines) {
      // bash's order (C locale on both): `$(touch PWNED).conf`, `b b.conf`, default.conf, `it's.conf`, `x\ny.conf`.
      expect(line.stdout).toBe('dollar\nwith blank\nalpha\nquote\nnewline\n');
      expect(line.stdout).not.toContain('HIDDEN');
    }
    expect(out.text).toContain('ran as: cat ');
    expect(existsSync('PWNED')).toBe(false);
    expect(readdirSync(sites)).not.toContain('PWNED');
    // The audit names what ran, and what was asked for beside it.
    const decision = audit.find((e) => e.kind === 'decision' && e.data?.requested === `cat ${sites}/*`);
    expect(decision?.subject).toMatch(/^cat '.*\$\(touch PWNED\)\.conf' /);
    expect(audit.some((e) => e.kind === 'execution' && e.subject === decision?.subject)).toBe(true);
    // One round trip per host gathered the facts (expansion and resolution together), none again to run it.
    const gathered = (actor: string) => audit.filter((e) => e.kind === 'decision' && e.actor === actor && e.host === 'globs-1' && e.subject?.includes(sites)).length;
    expect([gathered('fleet:expand-globs'), gathered('fleet:resolve-paths')]).toEqual([1, 0]);
  });

  it('a for loop over a glob is the same case: judged name by name, run over the judged list', async () => {
    const out = await runner.call('run_command', { command: `for f in ${logs}/*.log; do tail -n 1 "$f"; done`, host: 'localhost,globs-1' }, { requester: 'test' });
    for (const line of hostLines(out.data)) expect([line.host, line.stdout]).toEqual([line.host, 'two\nthree\n']);
    const refused = await runner.call('run_command', { command: `for f in ${planted}/*; do tail -n 1 "$f"; done`, host: 'localhost,globs-1' }, { requester: 'test' });
    expect(refused.record.error?.code).toBe('policy_denied');
    expect(JSON.stringify(refused)).not.toContain(SECRET);
    // A name holding `$(...)` bound to a loop variable is code that arithmetic could run: the policy asks.
    const embedded = await runner.call('run_command', { command: `for f in ${sites}/*; do tail -n 1 "$f"; done`, host: 'localhost' }, { requester: 'test' });
    expect(embedded.record.error?.code).toBe('approval_required');
  });

  it('a planted link to a private key is refused on every host, nothing of it printed', async () => {
    const out = await runner.call('run_command', { command: `tail -n 5 ${planted}/*`, host: 'localhost,globs-1' }, { requester: 'test' });
    expect(out.text).not.toContain(SECRET);
    expect(JSON.stringify(out.data)).not.toContain(SECRET);
    expect(out.record.error?.code).toBe('policy_denied');
    expect(out.text).toMatch(/REFUSED on localhost/);
    expect(out.text).toMatch(/REFUSED on globs-1/);
    expect(out.text).toMatch(/app\.log resolves to .*id_rsa/);
  });

  it("a link to Fleetmind's own data dir is a credential like ~/.ssh", async () => {
    const out = await runner.call('run_command', { command: `grep -i error ${own}/*.log`, host: 'localhost,globs-1' }, { requester: 'test' });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(out.record.error?.code).toBe('policy_denied');
    expect(out.text).toMatch(/fm\.log resolves to .*operator-token/);
  });

  it('a file created after judging is not read: the approved command holds the judged names', async () => {
    for (const host of hosts) {
      for (const [command, dir, expected] of [
        [`cat ${sites}/*.conf`, sites, 'dollar\nwith blank\nalpha\nquote\nnewline\n'],
        [`for f in ${logs}/*.log; do tail -n 1 "$f"; done`, logs, 'two\nthree\n'],
      ] as const) {
        const facts = await fleet.pathFacts(host, command);
        const check = gate.check({ command, host: host.name, requester: 'test', tags: host.tags, ...facts });
        expect(check.ok, JSON.stringify(check.verdict)).toBe(true);
        if (!check.ok) continue;
        const late = join(dir, dir === sites ? 'late.conf' : 'late.log');
        asNobody(`printf 'LATE\\n' > ${q(late)}`);
        try {
          const ran = await fleet.executor(host).run(check.command);
          expect(ran.stdout).toBe(expected);
          expect(check.command.command).not.toContain('*');
        } finally {
          rmSync(late, { force: true });
        }
      }
    }
  });

  it('a glob that matches nothing runs as the literal word, as bash passes it', async () => {
    const out = await runner.call('run_command', { command: `ls -d ${sites}/*.nomatch`, host: 'localhost,globs-1' }, { requester: 'test' });
    for (const line of hostLines(out.data)) {
      expect(line.exitCode).not.toBe(0);
      expect(line.stderr).toContain(`${sites}/*.nomatch`);
    }
  });

  it('more names than are judged one by one: asks, saying so', async () => {
    const facts = await fleet.pathFacts(hosts[1]!, `cat ${many}/*`);
    const verdict = gate.evaluate({ command: `cat ${many}/*`, host: 'globs-1', requester: 'test', ...facts });
    expect(verdict.decision).toBe('ask');
    expect(verdict.reasons.join(' ')).toMatch(/matches 1001 names, more than the 1000 judged one by one/);
    expect(verdict.expandedCommand).toBeUndefined();
  });

  it('a name that is not valid UTF-8 cannot be written back as it is: asks, saying so', async () => {
    for (const host of hosts) {
      const command = `cat ${binary}/*`;
      const verdict = gate.evaluate({ command, host: host.name, requester: 'test', ...(await fleet.pathFacts(host, command)) });
      expect(verdict.decision).toBe('ask');
      expect(verdict.reasons.join(' ')).toMatch(/a name it matches is not valid UTF-8/);
    }
  });

  it('an approval names the list it runs: a file created while it waits is not touched', async () => {
    const command = `rm -f ${scratch}/*.tmp`;
    const out = await runner.call('run_command', { command, host: 'localhost,globs-1' }, { requester: 'test' });
    expect(out.record.error?.code).toBe('approval_required');
    // The same directory on both hosts: the same list, one approval.
    expect(out.approvals).toHaveLength(1);
    const pending = out.approvals[0]!;
    expect(pending.command).toBe(`rm -f ${scratch}/x.tmp ${scratch}/y.tmp`);
    expect(pending.hosts.sort()).toEqual(['globs-1', 'localhost']);
    // Its reasons name the glob it came from.
    expect(pending.reasons.join(' ')).toContain(`${scratch}/*.tmp matched 2 names on`);
    asNobody(`touch ${q(join(scratch, 'z.tmp'))}`);
    const decided = await approvals.decide(pending.id, { decision: 'approve', actor: 'test:operator' });
    expect(decided.results.map((r) => r.ok)).toEqual([true, true]);
    expect(readdirSync(scratch)).toEqual(['z.tmp']);
    expect(audit.some((e) => e.kind === 'execution' && e.subject === pending.command)).toBe(true);
  });

  it('relative globs are expanded in the directory the command starts in', async () => {
    const local = hosts[0]!;
    const facts = await fleet.pathFacts(local, 'ls -d *.json');
    const verdict = gate.evaluate({ command: 'ls -d *.json', host: 'localhost', requester: 'test', ...facts });
    expect(verdict.decision).toBe('allow');
    expect(verdict.expandedCommand?.split(' ')).toContain('package.json');
  });
});

describe('policy check reaches no host', () => {
  it('judges a glob by its text and says it is expanded and judged on the host', () => {
    ensureBuilt();
    const home = mkdtempSync(join(tmpdir(), 'fm-globs-cli-'));
    try {
      const out = execFileSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'policy', 'check', '--jsonl'], {
        input: `${JSON.stringify({ command: 'cat /etc/nginx/sites-enabled/*' })}\n${JSON.stringify({ command: 'uptime' })}\n`,
        env: { ...process.env, FLEETMIND_HOME: home },
        encoding: 'utf8',
      });
      const [glob, plain] = out.trim().split('\n').map((l) => JSON.parse(l) as { decision: string; reasons: string[] });
      expect(glob?.decision).toBe('ask');
      expect(glob?.reasons.at(-1)).toBe('judged by the text alone: on a host, /etc/nginx/sites-enabled/* is first expanded there and each name judged, and the command runs as that list');
      expect(plain?.reasons.join(' ')).not.toMatch(/text alone/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
