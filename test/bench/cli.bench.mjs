// CLI cold-path benchmarks (issue "Fast like the tools it replaces"), every figure a ratio to
// the floor measured in the same run, interleaved round by round so load from other work
// on the machine hits all of them alike:
//   floor:  node -e "require('child_process').execFileSync('uptime')"
//   --help                                           (target ≤ 2× floor)
//   cold `exec --hosts localhost -- uptime`          (target ≤ 4×; no server running)
//   `policy check` of one command                    (target ≤ 4×; no server running)
//   `exec --hosts localhost -- uptime` with a server (target ≤ 3×; the thin-client path)
// Medians of RUNS rounds. The CLI is run as a user runs it: the bin, with its Node flags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBuild } from '../../scripts/ensure-build.mjs';
import { percentile, printTable, root, startBinServer, writeResults } from './lib.mjs';

const RUNS = Number(process.env.FLEETMIND_BENCH_RUNS ?? 5);
const bin = join(root, 'bin', 'fleetmind');

function timed(file, args, env, check = () => true) {
  const t = performance.now();
  const r = spawnSync(file, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0 || !check(r)) throw new Error(`${[file, ...args].join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stderr: r.stderr };
}

/** "Cold" means no server for this data dir: no record, no socket. */
function assertNoServer(dataDir) {
  for (const f of ['server.json', join('run', 'cli.sock')]) {
    if (existsSync(join(dataDir, f))) throw new Error(`a server is running for ${dataDir} (${f}) during a cold run`);
  }
}

export async function run() {
  ensureBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-bench-cli-'));
  const env = { ...process.env, FLEETMIND_HOME: dataDir };
  delete env.NODE_OPTIONS;
  const floorCmd = [process.execPath, ['-e', "require('child_process').execFileSync('uptime')"]];
  const cases = {
    floor: () => timed(...floorCmd, env),
    help: () => timed(bin, ['--help'], env),
    // --verbose says which path exec took: a cold run must have run here, not through a server.
    execCold: () => (assertNoServer(dataDir), timed(bin, ['exec', '--verbose', '--hosts', 'localhost', '--', 'uptime'], env, (r) => /exec locally/.test(r.stderr))),
    policyCheck: () => (assertNoServer(dataDir), timed(bin, ['policy', 'check', 'ls -la /var/log'], env)),
  };
  const samples = { floor: [], help: [], execCold: [], policyCheck: [], floorWarm: [], execServer: [] };
  try {
    // One unmeasured round: the first run makes the data dir and the policy snapshot (cache/, MAC key).
    for (const c of Object.values(cases)) c();
    for (let i = 0; i < RUNS; i++) {
      ensureBuild(); // other work in the checkout must not put a rebuild inside a measurement
      for (const [name, c] of Object.entries(cases)) samples[name].push(c().ms);
    }
    const started = performance.now();
    const server = await startBinServer({ FLEETMIND_HOME: dataDir });
    let healthyMs = NaN;
    let path = 'unknown';
    try {
      for (;;) {
        const res = await fetch(`${server.url}/api/health`).catch(() => null);
        if (res?.ok) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      healthyMs = performance.now() - started;
      // `--verbose` says which path exec took (a CLI without the flag exits 2: local only).
      const probe = spawnSync(bin, ['exec', '--verbose', '--hosts', 'localhost', '--', 'uptime'], { env, encoding: 'utf8' });
      path = probe.status === 0 && /via the server/.test(probe.stderr) ? 'server' : 'local';
      for (let i = 0; i < RUNS; i++) {
        samples.floorWarm.push(cases.floor().ms);
        samples.execServer.push(timed(bin, ['exec', '--hosts', 'localhost', '--', 'uptime'], env).ms);
      }
    } finally {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    const med = (k) => percentile(samples[k], 50);
    const floor = med('floor');
    const floorWarm = med('floorWarm');
    const rows = [
      { metric: `floor: node -e execFileSync('uptime') (median of ${RUNS})`, value: floor, unit: 'ms', target: null },
      { metric: '--help / floor', value: med('help') / floor, unit: '×', target: 2 },
      { metric: 'cold exec --hosts localhost -- uptime / floor', value: med('execCold') / floor, unit: '×', target: 4 },
      { metric: 'policy check (one command) / floor', value: med('policyCheck') / floor, unit: '×', target: 4 },
      { metric: `exec with a server / floor (path: ${path})`, value: med('execServer') / floorWarm, unit: '×', target: 3 },
      { metric: 'server spawn → healthy (policy loaded)', value: healthyMs, unit: 'ms', target: 1000 },
      { metric: '--help', value: med('help'), unit: 'ms', target: null },
      { metric: 'cold exec', value: med('execCold'), unit: 'ms', target: null },
      { metric: 'policy check', value: med('policyCheck'), unit: 'ms', target: null },
      { metric: 'exec with a server', value: med('execServer'), unit: 'ms', target: null },
    ];
    printTable('cli', rows);
    writeResults('cli', { rows, samples, path });
    return rows.every((r) => r.target === null || r.value <= r.target);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
