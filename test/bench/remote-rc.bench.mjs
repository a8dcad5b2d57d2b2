// What a remote login's rc file costs each command (issue "Safety 1/3"): sshd runs every
// command through the login shell, and Debian's bash sources ~/.bashrc even for
// `ssh host cmd`. Two fixture hosts, one with an empty home and one whose ~/.bashrc does
// work before any interactivity check (as nvm/conda init lines often do), are driven
// side by side through one multiplexed OpenSSH connection each (as Fleetmind's pool
// holds one), running Fleetmind's constant exec string with a `true` script on stdin.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, printTable, root, writeResults } from './lib.mjs';

const ROUNDS = 30;
// The product's constant exec string (from the source module), with a script line that
// just exits: the full wrapper would see this benchmark's stdin close (spawnSync) as a
// cancellation. What is measured is the login shell's start, rc file included.
async function remoteInvocation() {
  const { runnerImport } = await import('vite');
  const { module } = await runnerImport(join(root, 'src', 'main', 'core', 'fleet', 'ssh', 'remote-script.ts'), { configFile: false, logLevel: 'silent' });
  return { exec: module.REMOTE_EXEC, stdin: `${Buffer.from('exec true\n').toString('base64')}\n` };
}
const HEAVY_RC = 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done\n';

async function startFixture() {
  const child = spawn(process.execPath, [join(root, 'test', 'fixtures', 'sshd-hosts', 'cli.mjs'), '--count', '2', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const info = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
    });
    child.on('exit', (code) => reject(new Error(`fixture exited ${code}: ${err}`)));
  });
  return { info, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

function timeRuns(cfg, host, { exec: REMOTE_EXEC, stdin: SCRIPT }) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const r = spawnSync('ssh', ['-F', cfg, '-o', 'BatchMode=yes', host, REMOTE_EXEC], { input: SCRIPT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh ${host} failed: ${r.stderr}`);
    times.push(performance.now() - t);
  }
  return times;
}

export async function run() {
  if (process.getuid?.() !== 0) {
    process.stdout.write('remote-rc: skipped (the sshd fixture needs root)\n');
    return true;
  }
  const fx = await startFixture();
  const dir = mkdtempSync(join(tmpdir(), 'fm-rcbench-'));
  try {
    const [light, heavy] = fx.info.hosts;
    if (!heavy.homeDir) throw new Error('the fixture could not give hosts private homes here');
    writeFileSync(join(heavy.homeDir, '.bashrc'), HEAVY_RC);
    const cfg = join(dir, 'ssh_config');
    writeFileSync(cfg, `Include ${fx.info.sshConfigPath}\nHost *\n  ControlMaster auto\n  ControlPath ${dir}/%C\n  ControlPersist 60\n`);
    // Warm the masters, then alternate hosts so machine noise hits both alike.
    const invocation = await remoteInvocation();
    timeRuns(cfg, light.name, invocation);
    timeRuns(cfg, heavy.name, invocation);
    const lightTimes = [];
    const heavyTimes = [];
    for (let i = 0; i < 3; i++) {
      lightTimes.push(...timeRuns(cfg, light.name, invocation));
      heavyTimes.push(...timeRuns(cfg, heavy.name, invocation));
    }
    const rcAlone = spawnSync('bash', ['-c', `s=$(date +%s%N); bash --norc -c '${HEAVY_RC.trim()}'; e=$(date +%s%N); echo $(( (e-s)/1000000 ))`], { encoding: 'utf8' }).stdout.trim();
    const light50 = percentile(lightTimes, 50);
    const heavy50 = percentile(heavyTimes, 50);
    printTable('remote rc file: one command through the login shell (multiplexed ssh)', [
      { metric: 'empty ~/.bashrc, p50', value: light50, unit: 'ms' },
      { metric: `heavy ~/.bashrc (${rcAlone} ms on its own), p50`, value: heavy50, unit: 'ms' },
      { metric: 'cost the rc file adds to every command, p50', value: heavy50 - light50, unit: 'ms' },
    ]);
    writeResults('remote-rc', { lightMs: lightTimes, heavyMs: heavyTimes, rcAloneMs: Number(rcAlone) });
    return true;
  } finally {
    spawnSync('sh', ['-c', `for s in ${dir}/*; do [ -S "$s" ] && ssh -S "$s" -O exit x 2>/dev/null; done`]);
    await fx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
