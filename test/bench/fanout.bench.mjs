// Fan-out benchmark (issue 4), against the BUILT code and real OpenSSH hosts on loopback
// (test/fixtures/sshd-hosts), side by side in one run:
//   `uptime` on 10, 20 and 50 hosts with
//   - Fleetmind cold: a new `fleetmind exec --hosts ... --json --concurrency 50 -- uptime`
//     process each time (process start + new SSH connections), inventory imported from the
//     fixture's ssh_config, host keys from ~/.ssh/known_hosts (a temp HOME);
//   - Fleetmind warm: a running `fleetmind serve` whose pool already holds the connections,
//     driven through POST /api/exec;
//   - `ansible <hosts> -m command -a uptime -f 50` and `parallel-ssh -p 50` (Debian packages
//     ansible and pssh, installed here with apt-get when missing and running as root).
// Targets: cold ≥ 5× faster than ansible and ≥ 1.5× faster than parallel-ssh at 50 hosts;
// warm p50 per-host round trip < 15 ms; RSS with 50 pooled connections < 150 MB.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { percentile, printTable, root, writeResults } from './lib.mjs';

const SIZES = [10, 20, 50];
const COLD_RUNS = 3; // per tool and size, after one unmeasured warm-up run of each tool
const WARM_ROUNDS = 20; // fan-out requests per size on the warm server
const SEQUENTIAL_ROUNDS = 4; // one-host requests per host (×50) for the per-host round trip

const median = (xs) => percentile(xs, 50);
// The built CLI bundle itself: bin/fleetmind would also rebuild first if sources changed
// mid-run (other work in the checkout), which must not land inside a measurement.
// scripts/bench.mjs has already built.
const bin = join(root, 'out', 'main', 'cli.js');

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** ansible and parallel-ssh from Debian, installed when missing (root only). */
function ensureTools() {
  const missing = [];
  if (!have('ansible')) missing.push('ansible');
  if (!have('parallel-ssh')) missing.push('pssh');
  if (missing.length === 0) return null;
  if (process.getuid?.() !== 0) return `not root, cannot install ${missing.join(', ')} (sudo apt-get install ${missing.join(' ')})`;
  process.stderr.write(`fanout: installing ${missing.join(', ')} with apt-get…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (update.status !== 0 || install.status !== 0 || !have('ansible') || !have('parallel-ssh')) return `apt-get could not install ${missing.join(', ')}`;
  return null;
}

/** Starts N fixture sshd hosts in a child process (its --json line describes them); stop() cleans up. */
async function startFixture(count) {
  const child = spawn(process.execPath, [join(root, 'test', 'fixtures', 'sshd-hosts', 'cli.mjs'), '--count', String(count), '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture did not start in 60 s:\n${stderr}`)), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited with ${code}:\n${stderr}`));
    });
  });
  return {
    ...info,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function timed(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000, ...opts }, (err, stdout, stderr) => {
      resolve({ ms: performance.now() - started, code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function check(name, n, ok, result) {
  if (ok !== n) throw new Error(`${name}: ${ok}/${n} hosts answered\n${result.stdout.slice(0, 2000)}\n${result.stderr.slice(0, 2000)}`);
}

function rssMb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

/** Established TCP connections a process holds to the given ports. */
function connectionsTo(pid, ports) {
  const out = spawnSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`) && ports.some((p) => l.includes(`:${p} `))).length;
}

async function startServer(env) {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const listening = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.event === 'listening') {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {}
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
  });
  // The operator token is only in the data dir (the server never prints it).
  const token = readFileSync(join(env.FLEETMIND_HOME, 'api-token'), 'utf8').trim();
  return {
    child,
    exec: async (hosts, concurrency = 50) => {
      const started = performance.now();
      const res = await fetch(`${listening.url}/api/exec`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ hosts, command: 'uptime', concurrency }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(`/api/exec ${res.status}: ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, body };
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function run() {
  const toolProblem = ensureTools();
  const work = mkdtempSync(join(tmpdir(), 'fm-bench-fanout-'));
  let fx = null;
  let server = null;
  try {
    fx = await startFixture(Math.max(...SIZES));
    const names = fx.hosts.map((h) => h.name);
    const ports = fx.hosts.map((h) => h.port);

    // Fleetmind's data dir, imported from the fixture's ssh_config; host keys via ~/.ssh/known_hosts.
    const home = join(work, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(fx.knownHostsPath, join(home, '.ssh', 'known_hosts'));
    const env = { ...process.env, HOME: home, FLEETMIND_HOME: join(work, 'data') };
    delete env.SSH_AUTH_SOCK;
    execFileSync(process.execPath, [bin, 'hosts', 'import', '--ssh-config', fx.sshConfigPath], { env, stdio: 'ignore' });

    // Subsets for 10/20/50 hosts, in each tool's syntax.
    for (const n of SIZES) {
      writeFileSync(join(work, `pssh-${n}`), `${readFileSync(fx.psshHostsPath, 'utf8').trim().split('\n').slice(0, n).join('\n')}\n`);
    }
    const fleetmindCold = async (n) => {
      const r = await timed(process.execPath, [bin, 'exec', '--hosts', names.slice(0, n).join(','), '--json', '--concurrency', '50', '--', 'uptime'], { env });
      check('fleetmind', n, r.stdout.split('\n').filter((l) => l.includes('"ok":true')).length, r);
      return r.ms;
    };
    const ansible = async (n) => {
      const r = await timed('ansible', [names.slice(0, n).join(':'), '-i', fx.ansibleInventoryPath, '-m', 'command', '-a', 'uptime', '-f', '50'], {
        env: { ...env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp') },
        cwd: work,
      });
      check('ansible', n, (r.stdout.match(/\| CHANGED \|/g) ?? []).length, r);
      return r.ms;
    };
    const pssh = async (n) => {
      const r = await timed('parallel-ssh', ['-h', join(work, `pssh-${n}`), '-p', '50', '-t', '60', '-x', `-F ${fx.sshConfigPath} -i ${fx.clientKeyPath} -o BatchMode=yes`, 'uptime'], { env });
      check('parallel-ssh', n, (r.stdout.match(/\[SUCCESS\]/g) ?? []).length, r);
      return r.ms;
    };
    const tools = [['fleetmind cold', fleetmindCold]];
    if (!toolProblem) tools.push(['ansible -f 50', ansible], ['parallel-ssh -p 50', pssh]);

    // Cold: every tool starts a new process with new connections. Interleaved so drift hits all alike.
    const cold = Object.fromEntries(tools.map(([name]) => [name, Object.fromEntries(SIZES.map((n) => [n, []]))]));
    for (const [, fn] of tools) await fn(10); // warm-up: page cache, Python bytecode, JIT-less first start
    for (const n of SIZES) {
      for (let i = 0; i < COLD_RUNS; i++) {
        for (const [name, fn] of tools) cold[name][n].push(await fn(n));
      }
    }

    // Warm: one server; the first request opens the pool, then requests reuse it.
    server = await startServer(env);
    await server.exec(names.join(','));
    const warm = {};
    for (const n of SIZES) {
      const wall = [];
      const perHost = [];
      for (let i = 0; i < WARM_ROUNDS; i++) {
        const { ms, body } = await server.exec(names.slice(0, n).join(','));
        if (body.summary.ok !== n) throw new Error(`warm fan-out: ${JSON.stringify(body.summary)}`);
        wall.push(ms);
        perHost.push(...body.results.map((r) => r.durationMs));
      }
      warm[n] = { wall, perHost };
    }
    // Per-host round trip on the pool, one host at a time (channel open → exec → exit status).
    const sequential = { executor: [], http: [] };
    for (let round = 0; round < SEQUENTIAL_ROUNDS; round++) {
      for (const name of names) {
        const { ms, body } = await server.exec(name, 1);
        if (!body.results[0]?.ok) throw new Error(`warm ${name}: ${JSON.stringify(body.results[0])}`);
        sequential.executor.push(body.results[0].durationMs);
        sequential.http.push(ms);
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    const pooled = connectionsTo(server.child.pid, ports);
    const rss = rssMb(server.child.pid);

    const c50 = median(cold['fleetmind cold'][50]);
    const rows = [];
    for (const n of SIZES) {
      for (const [name] of tools) rows.push({ metric: `${name}: uptime on ${n} hosts (median of ${COLD_RUNS})`, value: median(cold[name][n]), unit: 'ms', target: null });
      rows.push({ metric: `fleetmind warm: uptime on ${n} hosts, request p50 (${WARM_ROUNDS} runs)`, value: median(warm[n].wall), unit: 'ms', target: null });
      rows.push({ metric: `fleetmind warm: per-host duration p50 within ${n}-host fan-out`, value: median(warm[n].perHost), unit: 'ms', target: null });
    }
    if (!toolProblem) {
      const a50 = median(cold['ansible -f 50'][50]);
      const p50 = median(cold['parallel-ssh -p 50'][50]);
      rows.push({ metric: `cold at 50 hosts vs ansible (${(a50 / c50).toFixed(1)}× faster; target ≥ 5×: ≤ ansible/5)`, value: c50, unit: 'ms', target: a50 / 5 });
      rows.push({ metric: `cold at 50 hosts vs parallel-ssh (${(p50 / c50).toFixed(1)}× faster; target ≥ 1.5×: ≤ pssh/1.5)`, value: c50, unit: 'ms', target: p50 / 1.5 });
    }
    rows.push({ metric: `warm per-host round trip p50 (pooled channel, one host at a time, ${sequential.executor.length} runs)`, value: median(sequential.executor), unit: 'ms', target: 15 });
    rows.push({ metric: 'warm per-host round trip p95', value: percentile(sequential.executor, 95), unit: 'ms', target: null });
    rows.push({ metric: 'warm one-host POST /api/exec p50 (HTTP + policy + SSH)', value: median(sequential.http), unit: 'ms', target: null });
    rows.push({ metric: `server RSS with ${pooled} pooled SSH connections`, value: rss, unit: 'MB', target: 150 });
    printTable('fanout', rows);
    if (toolProblem) process.stdout.write(`ansible/parallel-ssh rows skipped: ${toolProblem}\n`);
    if (pooled !== names.length) process.stdout.write(`note: expected ${names.length} pooled connections, saw ${pooled}\n`);
    writeResults('fanout', { rows, cold, warm, sequential, pooledConnections: pooled, rssMb: rss, isolation: fx.isolation, toolProblem });
    return !toolProblem && pooled === names.length && rows.every((r) => r.target === null || r.value <= r.target);
  } finally {
    await server?.stop().catch(() => undefined);
    await fx?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}
