// Fan-out benchmark (issue 4), against the BUILT code and real OpenSSH hosts on loopback
// (test/fixtures/sshd-hosts), side by side in one run:
//   `uptime` on 10, 20 and 50 hosts with
//   - Fleetmind cold: a new `fleetmind exec --hosts ... --json --concurrency 50 -- uptime`
//     process each time (process start + policy + new SSH connections), inventory imported
//     from the fixture's ssh_config, host keys from ~/.ssh/known_hosts (a temp HOME);
//   - `ansible <hosts> -m command -a uptime -f 50` and `parallel-ssh -p 50` (Debian packages
//     ansible and pssh, installed here with apt-get when missing and running as root);
//   - Fleetmind warm: a running `fleetmind serve` whose pool already holds the connections,
//     driven through POST /api/exec, and `fleetmind exec` going through that server's socket;
//   - OpenSSH multiplexing: a ControlMaster per host opened beforehand (`ssh -M -N -f -S
//     SOCKET host`), then `ssh -S SOCKET host uptime` for every host in parallel: the
//     warm fan-out OpenSSH itself offers, on the same hosts in the same run.
// Targets, at every size: cold ≥ 1.5× faster than parallel-ssh (goal 2.5×) and ≥ 5× faster
// than ansible; warm fan-out no slower than ControlMaster multiplexing; warm p50 per-host
// round trip < 15 ms; RSS of the server with 50 pooled connections < 150 MB.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { percentile, printTable, root, writeResults } from './lib.mjs';

const SIZES = [10, 20, 50];
const COLD_RUNS = 3; // per tool and size, after one unmeasured warm-up run of each tool
const WARM_ROUNDS = 20; // fan-out requests per size on the warm server (and ControlMaster fan-outs)
const THIN_CLI_ROUNDS = 5; // `fleetmind exec` through the server's socket, per size
const SEQUENTIAL_ROUNDS = 4; // one-host requests per host (×50) for the per-host round trip

const median = (xs) => percentile(xs, 50);
// The built CLI bundle itself: bin/fleetmind would also rebuild first if sources changed
// mid-run (other work in the checkout), which must not land inside a measurement.
// scripts/bench.mjs has already built; run() copies that build aside (snapshotBuild), so a
// rebuild in the checkout during the run neither lands in a measurement nor removes it.
let bin = join(root, 'out', 'main', 'cli.js');
// The Node flags bin/fleetmind runs with (its `#!/usr/bin/env -S node ...` line): what an
// installed `fleetmind` runs with, so the figures (memory above all) are the product's.
const shebang = readFileSync(join(root, 'bin', 'fleetmind'), 'utf8').split('\n')[0];
const nodeFlags = (/\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s*$/.exec(shebang)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
// And the environment it sets (`env -S NAME=value node …`): the same malloc arenas as an installed fleetmind.
const shebangEnv = Object.fromEntries([...shebang.matchAll(/\s([A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
const fleetmindArgs = (...args) => [...nodeFlags, bin, ...args];

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
  const child = spawn(process.execPath, fleetmindArgs('serve', '--port', '0'), { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * A private copy of the built main bundle under `dir`, resolving packages and resources
 * from the checkout (node_modules and resources are symlinked, package.json copied, so the
 * bundle finds its root as it does in place). Returns the copy's cli.js.
 */
function snapshotBuild(dir) {
  const app = join(dir, 'app');
  cpSync(join(root, 'out', 'main'), join(app, 'out', 'main'), { recursive: true });
  copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
  symlinkSync(join(root, 'resources'), join(app, 'resources'));
  return join(app, 'out', 'main', 'cli.js');
}

/** One `ssh -M -N -f` master per host (its socket in `dir`), opened in parallel; resolves once every one is up. */
async function openControlMasters(fx, names, dir) {
  const common = ['-F', fx.sshConfigPath, '-i', fx.clientKeyPath, '-o', 'BatchMode=yes'];
  const opened = await Promise.all(
    names.map((name) => timed('ssh', [...common, '-M', '-N', '-f', '-S', join(dir, name), name], { timeout: 60_000 })),
  );
  const failed = opened.findIndex((r) => r.code !== 0);
  if (failed >= 0) throw new Error(`ssh -M for ${names[failed]} failed: ${opened[failed].stderr}`);
  const socket = (name) => join(dir, name);
  return {
    /** `uptime` on the first n hosts at once, each through its master; resolves with the wall time. */
    fanOut: async (n) => {
      const started = performance.now();
      const runs = await Promise.all(names.slice(0, n).map((name) => timed('ssh', [...common, '-S', socket(name), name, 'uptime'])));
      const ms = performance.now() - started;
      const ok = runs.filter((r) => r.code === 0 && / up /.test(r.stdout)).length;
      if (ok !== n) throw new Error(`ControlMaster fan-out: ${ok}/${n} hosts answered: ${runs.find((r) => r.code !== 0)?.stderr ?? ''}`);
      return ms;
    },
    close: () => Promise.all(names.map((name) => timed('ssh', [...common, '-S', socket(name), '-O', 'exit', name]))),
  };
}

export async function run() {
  const toolProblem = ensureTools();
  const work = mkdtempSync(join(tmpdir(), 'fm-bench-fanout-'));
  bin = snapshotBuild(work);
  let fx = null;
  let server = null;
  let masters = null;
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
    // Fleetmind's processes also get what its shebang sets; the peers run in the plain environment.
    const fmEnv = { ...env, ...shebangEnv };
    execFileSync(process.execPath, fleetmindArgs('hosts', 'import', '--ssh-config', fx.sshConfigPath), { env: fmEnv, stdio: 'ignore' });

    // Subsets for 10/20/50 hosts, in each tool's syntax.
    for (const n of SIZES) {
      writeFileSync(join(work, `pssh-${n}`), `${readFileSync(fx.psshHostsPath, 'utf8').trim().split('\n').slice(0, n).join('\n')}\n`);
    }
    const fleetmindCold = async (n) => {
      const r = await timed(process.execPath, fleetmindArgs('exec', '--hosts', names.slice(0, n).join(','), '--json', '--concurrency', '50', '--', 'uptime'), { env: fmEnv });
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

    // Warm: one server; the first request opens the pool, then requests reuse it. Beside it,
    // OpenSSH's own warm fan-out: a ControlMaster per host, opened before measuring.
    server = await startServer(fmEnv);
    await server.exec(names.join(','));
    mkdirSync(join(work, 'cm'), { mode: 0o700 });
    masters = await openControlMasters(fx, names, join(work, 'cm'));
    await masters.fanOut(names.length); // first use of each master
    const thinCli = async (n) => {
      const r = await timed(process.execPath, fleetmindArgs('exec', '--verbose', '--hosts', names.slice(0, n).join(','), '--json', '--concurrency', '50', '--', 'uptime'), { env: fmEnv });
      if (!/exec via the server/.test(r.stderr)) throw new Error(`fleetmind exec did not go through the server: ${r.stderr.slice(0, 500)}`);
      check('fleetmind exec via the server', n, r.stdout.split('\n').filter((l) => l.includes('"ok":true')).length, r);
      return r.ms;
    };
    const warm = {};
    for (const n of SIZES) {
      const wall = [];
      const perHost = [];
      const controlMaster = [];
      const viaSocket = [];
      // Interleaved, so drift on this shared machine hits both alike.
      for (let i = 0; i < WARM_ROUNDS; i++) {
        const { ms, body } = await server.exec(names.slice(0, n).join(','));
        if (body.summary.ok !== n) throw new Error(`warm fan-out: ${JSON.stringify(body.summary)}`);
        wall.push(ms);
        perHost.push(...body.results.map((r) => r.durationMs));
        controlMaster.push(await masters.fanOut(n));
        if (i < THIN_CLI_ROUNDS) viaSocket.push(await thinCli(n));
      }
      warm[n] = { wall, perHost, controlMaster, viaSocket };
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

    const rows = [];
    const times = (a, b) => `${(a / b).toFixed(1)}×`;
    for (const n of SIZES) {
      for (const [name] of tools) rows.push({ metric: `${name}: uptime on ${n} hosts (median of ${COLD_RUNS})`, value: median(cold[name][n]), unit: 'ms', target: null });
      const c = median(cold['fleetmind cold'][n]);
      if (!toolProblem) {
        const p = median(cold['parallel-ssh -p 50'][n]);
        const a = median(cold['ansible -f 50'][n]);
        rows.push({ metric: `cold at ${n} hosts vs parallel-ssh: ${times(p, c)} faster (target ≥ 1.5×, goal 2.5×)`, value: c, unit: 'ms', target: p / 1.5 });
        rows.push({ metric: `cold at ${n} hosts vs ansible: ${times(a, c)} faster (target ≥ 5×)`, value: c, unit: 'ms', target: a / 5 });
      }
      const w = median(warm[n].wall);
      const m = median(warm[n].controlMaster);
      rows.push({ metric: `warm: uptime on ${n} hosts over pooled connections, POST /api/exec p50 (${WARM_ROUNDS} runs)`, value: w, unit: 'ms', target: null });
      rows.push({ metric: `warm: same ${n} hosts, ssh -S ControlMaster socket × ${n} in parallel, p50 (${WARM_ROUNDS} runs)`, value: m, unit: 'ms', target: null });
      rows.push({ metric: `warm at ${n} hosts vs ControlMaster: ${times(m, w)} faster (target: no slower)`, value: w, unit: 'ms', target: m });
      rows.push({ metric: `warm: fleetmind exec through the server's socket on ${n} hosts (process start included), p50 (${THIN_CLI_ROUNDS} runs)`, value: median(warm[n].viaSocket), unit: 'ms', target: null });
      rows.push({ metric: `warm: per-host duration p50 within the ${n}-host fan-out`, value: median(warm[n].perHost), unit: 'ms', target: null });
    }
    rows.push({ metric: `warm per-host round trip p50 (pooled channel, one host at a time, ${sequential.executor.length} runs)`, value: median(sequential.executor), unit: 'ms', target: 15 });
    rows.push({ metric: 'warm per-host round trip p95', value: percentile(sequential.executor, 95), unit: 'ms', target: null });
    rows.push({ metric: 'warm one-host POST /api/exec p50 (HTTP + policy + SSH)', value: median(sequential.http), unit: 'ms', target: null });
    rows.push({ metric: `server RSS with ${pooled} pooled SSH connections (node ${nodeFlags.join(' ') || 'without flags'}, as bin/fleetmind)`, value: rss, unit: 'MB', target: 150 });
    printTable('fanout', rows);
    if (toolProblem) process.stdout.write(`ansible/parallel-ssh rows skipped: ${toolProblem}\n`);
    if (pooled !== names.length) process.stdout.write(`note: expected ${names.length} pooled connections, saw ${pooled}\n`);
    process.stdout.write(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${availableParallelism()} CPUs (figures on a busy machine are noisy)\n`);
    writeResults('fanout', { rows, cold, warm, sequential, pooledConnections: pooled, rssMb: rss, nodeFlags, isolation: fx.isolation, toolProblem });
    return !toolProblem && pooled === names.length && rows.every((r) => r.target === null || r.value <= r.target);
  } finally {
    await masters?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await fx?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}
