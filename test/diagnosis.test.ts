// Diagnoses that are right (issue 17 item 4), end to end: fixture sshd hosts with a synthetic
// /proc each (one busy: CPU 97 %, load 7.9 on 2 cores; one quiet), one host that goes down
// and one that accepts TCP but never answers SSH. The BUILT server collects from them; a
// fleet question to the offline engine answers with the unreachable hosts in one line on
// top, then one row per host with the busy host first; "why is it slow" names a real
// process by current CPU, never Fleetmind's own probe. The same figures reach a model
// (the scripted OpenAI-compatible server) as the tool result. Outcomes only, never timing.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatResponse, CollectorStatusList, MetricQueryResponse } from '../src/shared/protocol';
import { procFiles, syntheticHost, type SyntheticHost } from '../src/main/core/metrics/testing/synthetic-proc';
import { Core } from '../src/main/core/compose';
import { MemorySecretStore } from '../src/main/core/secrets';
import { canMountPerHost, startSshdHosts, type HostMount, type SshdFleet } from './fixtures/sshd-hosts/index';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { silentServer, type HungHost } from './helpers/hung-host';
import { until as poll } from './helpers/poll';

const mountable = await canMountPerHost();
const BUSY = 'fm-diag-busy';
const QUIET = 'fm-diag-quiet';
const DEAD = 'fm-diag-dead';
const HUNG = 'fm-diag-hung';
/** Names of Fleetmind's own probe processes (the collector script's session, the live read's commands). */
const PROBE_NAMES = new Set(['ss', 'ps', 'sshd', 'sshd-session', 'find', 'cat', 'grep', 'df', 'timeout', 'systemctl']);

/** The diagnosis waits on collections of several hosts, one of them hung: a longer bound than the helper's default. */
const until = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => poll(what, probe, 90_000, 250);

const realUptime = () => Number.parseFloat(readFileSync('/proc/uptime', 'utf8').split(' ')[0]!);

/** A synthetic host whose CPU counters advance at `busy` (share of all CPUs) and PSI cpu at `psiCpu`. */
class LiveHost {
  private last = realUptime();
  readonly h: SyntheticHost;
  constructor(
    readonly dir: string,
    private readonly busy: number,
    private readonly psiCpu: number,
    over: Partial<SyntheticHost>,
  ) {
    this.h = syntheticHost({ uptimeSeconds: this.last, btime: Math.round(Date.now() / 1000 - this.last), psi: { cpu: { some: 0 }, io: { some: 0, full: 0 }, memory: { some: 0, full: 0 } }, ...over });
  }
  tick(): void {
    const now = realUptime();
    const dt = Math.max(0, now - this.last);
    this.last = now;
    const ticks = dt * 100 * this.h.cpus;
    const c = this.h.cpu;
    c.user = Number(c.user) + Math.round(ticks * this.busy);
    c.idle = Number(c.idle) + Math.round(ticks * (1 - this.busy));
    this.h.uptimeSeconds = now;
    const psi = this.h.psi!.cpu!;
    psi.some = Number(psi.some) + Math.round(dt * 1e6 * this.psiCpu);
    this.write(['uptime', 'stat', 'pressure/cpu']);
  }
  /**
   * Rewrites the bind-mounted files in place (a new inode would leave the mount on the old
   * one). Overwrite, then trim: never truncate first, so the collector never reads an empty
   * file (counters only grow, so the text never gets shorter anyway).
   */
  write(only?: string[]): void {
    for (const [rel, text] of Object.entries(procFiles(this.h))) {
      if (only && !only.includes(rel)) continue;
      const path = join(this.dir, rel);
      const fd = openSync(path, existsSync(path) ? 'r+' : 'w');
      try {
        const bytes = Buffer.from(text);
        writeSync(fd, bytes, 0, bytes.length, 0);
        ftruncateSync(fd, bytes.length);
      } finally {
        closeSync(fd);
      }
    }
  }
}

/** The section of a reply from the "Unreachable" line (or the table header) to the first blank line. */
function fleetBlock(reply: string): string[] {
  const lines = reply.split('\n');
  const start = lines.findIndex((l) => /^Unreachable \(|^Host\s+State\s+CPU/.test(l));
  expect(start, reply).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start, end === -1 ? undefined : end);
}

function assertFleetAnswer(reply: string): void {
  const block = fleetBlock(reply);
  // Unreachable hosts in one line, on top.
  expect(block[0], reply).toMatch(/^Unreachable \(2\): /);
  expect(block[0]).toContain(DEAD);
  expect(block[0]).toMatch(new RegExp(`${HUNG} timed out`));
  expect(block[1]).toMatch(/^Host\s+State\s+CPU\s+Mem\s+Load\/cores\s+Disk max\s+Top finding/);
  const rows = block.slice(2);
  // One row per reachable host, the busy one first.
  expect(rows.map((r) => r.split(/\s+/)[0])).toEqual([BUSY, QUIET]);
  expect(rows[0]).toMatch(/^fm-diag-busy\s+critical\s+9\d %/);
  expect(rows[0]).toMatch(/7\.9\/2/);
  for (const h of [DEAD, HUNG]) expect(block.filter((l) => l.includes(h))).toHaveLength(1);
  // A process named as the load is never one of Fleetmind's probes.
  for (const m of reply.matchAll(/busiest: (\S+)/g)) expect(PROBE_NAMES.has(m[1]!), reply).toBe(false);
}

describe.skipIf(!mountable)('diagnosis over fixture hosts through the built server', () => {
  let fx: SshdFleet;
  let server: RunningServer;
  let hung: HungHost;
  let hog: ChildProcess | null = null;
  let ticker: NodeJS.Timeout | null = null;
  const live: Record<string, LiveHost> = {};
  const root = mkdtempSync(join(tmpdir(), 'fm-diag-e2e-'));
  const home = join(root, 'home');
  const dataDir = join(root, 'data');
  const config = ['metrics:', '  intervalSeconds: 2', 'ssh:', '  connectTimeoutSeconds: 60', ''].join('\n');

  beforeAll(async () => {
    const hostMounts: Record<string, HostMount[]> = {};
    const specs: [string, number, number, Partial<SyntheticHost>][] = [
      [BUSY, 0.97, 0.6, { cpus: 2, load: [7.9, 6, 4] }],
      [QUIET, 0.05, 0, { cpus: 4, load: [0.2, 0.2, 0.2] }],
      [DEAD, 0.05, 0, { cpus: 4, load: [0.1, 0.1, 0.1] }],
    ];
    for (const [name, busy, psi, over] of specs) {
      const dir = join(root, name);
      mkdirSync(join(dir, 'pressure'), { recursive: true });
      const host = new LiveHost(dir, busy, psi, over);
      host.write();
      live[name] = host;
      hostMounts[name] = Object.keys(procFiles(host.h)).map((rel): HostMount => ({ kind: 'bind', source: join(dir, rel), target: `/proc/${rel}` }));
    }
    ticker = setInterval(() => {
      for (const h of Object.values(live)) h.tick();
    }, 500);
    fx = await startSshdHosts({ count: 3, names: [BUSY, QUIET, DEAD], hostMounts });
    hung = await silentServer();
    // A real CPU hog on the busy host (its own PID namespace): what "why slow" should name.
    hog = spawn(fx.sshArgs(BUSY)[0]!, [...fx.sshArgs(BUSY, 'exec yes > /dev/null').slice(1)], { stdio: 'ignore' });
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(fx.knownHostsPath, join(home, '.ssh', 'known_hosts'));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'config.yaml'), config);
    server = await startBuiltServer({ dataDir, env: { HOME: home, SSH_AUTH_SOCK: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
    const add = async (body: object) => {
      const res = await fetch(`${server.url}/api/hosts`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBe(201);
    };
    for (const h of fx.hosts) await add({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: ['diag'] });
    await add({ name: HUNG, address: '127.0.0.1', port: hung.port, user: 'root', tags: ['diag'] });
  }, 180_000);

  afterAll(async () => {
    if (ticker) clearInterval(ticker);
    hog?.kill();
    await server?.stop();
    hung?.close();
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${server.token}` } })).json()) as T;
  const statusOf = async (host: string) => (await get<CollectorStatusList>('/api/metrics/hosts')).hosts.find((h) => h.host === host);
  const chat = async (message: string): Promise<ChatResponse> => {
    const res = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify({ message }) });
    expect(res.status).toBe(200);
    return (await res.json()) as ChatResponse;
  };

  it('a fleet question: unreachable hosts in one line on top, one row per host, the busy host first, no probe named', async () => {
    for (const name of [BUSY, QUIET]) {
      await until(`${name} CPU busy collected`, async () => {
        const q = await get<MetricQueryResponse>(`/api/metrics/query?host=${name}&metric=cpu_busy_ratio&since=-5m`);
        return (q.points?.length ?? 0) >= 2;
      });
    }
    await until('the soon-dead host seen', async () => (await statusOf(DEAD))?.state === 'ok');
    await fx.stop(DEAD);
    await until('the hung host in flight', async () => (await statusOf(HUNG))?.inFlight === true);

    const answer = await chat('show status of tag:diag');
    expect(answer.engine).toBe('offline');
    assertFleetAnswer(answer.reply);
    const call = answer.toolCalls.find((c) => c.tool === 'server_status')!;
    // The chat card gets the same table: unreachable hosts first, then problems first.
    const cardHosts = call.table?.rows.map((r) => r[0]) ?? [];
    expect(new Set(cardHosts.slice(0, 2))).toEqual(new Set([DEAD, HUNG]));
    expect(cardHosts.slice(2)).toEqual([BUSY, QUIET]);
  }, 240_000);

  it('"why is it slow" on the busy host: current CPU, load vs cores, pressure, a real process, probes apart', async () => {
    const answer = await chat(`why is ${BUSY} slow?`);
    const reply = answer.reply;
    expect(reply).toMatch(/\[critical\] CPU busy 9\d %/);
    expect(reply).toMatch(/\[critical\] load 7\.9 on 2 cores/);
    expect(reply).toMatch(/\[critical\] PSI cpu some (5|6|7)\d %/);
    expect(reply).toMatch(/Top processes by CPU \(current/);
    expect(reply).not.toMatch(/average since start/);
    const table = reply.split(/Top processes by CPU \(current[^\n]*\n/)[1]!.split('\n\n')[0]!.split('\n').slice(1);
    const commands = table.filter((l) => !l.startsWith("Fleetmind's")).map((l) => l.trim().split(/\s+/).at(-1)!);
    expect(commands.length, reply).toBeGreaterThan(0);
    // The real hog leads; no probe is named among the busiest.
    expect(commands[0], reply).toBe('yes');
    for (const c of commands) expect(PROBE_NAMES.has(c), reply).toBe(false);
    expect(reply).toMatch(/Fleetmind's own probes \(not counted above\)/);
    // Nor do the shells Fleetmind's executor wraps the live read in show up in ps's tables.
    expect(reply).not.toMatch(/fleetmind\.XXXXXX|IFS= read -r s/);
  }, 120_000);

  describe('through a model (scripted OpenAI-compatible server)', () => {
    let llm: LlmServer;
    let core: Core;
    const coreHome = mkdtempSync(join(tmpdir(), 'fm-diag-core-'));
    let savedHome: string | undefined;

    beforeAll(async () => {
      llm = await startLlmServer({ apiKey: 'sk-fixture-key-1234567890' });
      writeFileSync(
        join(coreHome, 'config.yaml'),
        `llm:\n  providers:\n    - name: fixture\n      baseURL: ${llm.baseURL}\n      local: true\n  models:\n    chat: fixture/gpt-4o-mini\n    summarize: fixture/gpt-4o-mini\n${config}`,
      );
      // Host keys are checked against ~/.ssh/known_hosts of this process's HOME (the fixture's, restored after).
      savedHome = process.env.HOME;
      process.env.HOME = home;
      const secrets = new MemorySecretStore();
      await secrets.set('provider:fixture', 'sk-fixture-key-1234567890');
      core = new Core({ env: { ...process.env, HOME: home, SSH_AUTH_SOCK: '', FLEETMIND_HOME: coreHome, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets });
      for (const h of fx.hosts) core.inventory.upsert({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: ['diag'], jump: null, privacy: 'default' });
      core.inventory.upsert({ name: HUNG, address: '127.0.0.1', port: hung.port, user: 'root', identityFile: null, tags: ['diag'], jump: null, privacy: 'default' });
      core.startMetrics();
    }, 60_000);

    afterAll(async () => {
      await core?.close();
      await llm?.stop();
      if (savedHome === undefined) delete process.env.HOME;
      else process.env.HOME = savedHome;
      rmSync(coreHome, { recursive: true, force: true });
    });

    it('the model gets the fleet table as the tool result and answers from it', async () => {
      await until('the busy host collected in-process', async () => {
        const q = core.metrics.query({ host: BUSY, metric: 'cpu_busy_ratio', since: Date.now() - 300_000, until: Date.now() });
        return q.ok && q.result.points.length >= 2;
      });
      llm.setScenario([
        { match: { toolResult: 'server_status' }, respond: { text: 'Fleet:\n{{toolResult:server_status|maxChars=4000}}' } },
        { respond: { tool_calls: [{ name: 'server_status', arguments: { host: 'tag:diag' } }] } },
      ]);
      const response = await core.chat({ message: 'show status of all diag servers' }, { onEvent: () => undefined });
      expect(response.engine).toBe('model');
      expect(llm.unmatched).toEqual([]);
      const toolMessage = llm.requests.flatMap((r) => (r.body as { messages: { role: string; content: string }[] }).messages).find((m) => m.role === 'tool');
      expect(toolMessage?.content).toMatch(/^Fleet status \(one row per host, problems first\):\nUnreachable \(2\)/);
      assertFleetAnswer(response.reply);
    }, 180_000);
  });
});
