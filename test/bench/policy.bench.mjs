#!/usr/bin/env node
// Policy benchmark: decisions per second on one core and per-decision latency over
// the command corpora, measured in the built CLI (`npm run build` first):
//
//   node test/bench/policy.bench.mjs [--passes N] [--corpora DIR]
//
// It streams every corpus command through `fleetmind policy check --jsonl --timing`
// (one process, one thread) and reads back the time each evaluate() took. The first
// pass warms the JIT and is not counted. Then it times the long adversarial commands of
// src/main/core/safety/adversarial.test.ts (which checks their verdicts, not their speed).
// Prints a table, writes bench-results/policy.json, and exits 1 when a target is missed
// (>= 5,000 decisions/s, p99 < 2 ms, the long commands < 5 s together).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET_RATE = 5000;
const TARGET_P99_MS = 2;
// Long adversarial input must not make the gate crawl (the bound the adversarial test once asserted).
const TARGET_LONG_TOTAL_MS = 5000;
const LONG_RUNS = 3; // after one unmeasured run
const LONG = [
  ['10,000 × "ls; " then rm -rf', `${'ls; '.repeat(10000)}rm -rf /srv`],
  ['cat of a 60,000-character path', `cat ${'/a'.repeat(30000)}`],
  ['cat with 30,000 words, then /etc/shadow', `cat ${'x '.repeat(30000)}/etc/shadow`],
];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const passes = Number(arg('--passes', '5'));
const corporaDir = resolve(arg('--corpora', process.env.FLEETMIND_CORPORA ?? join(repoRoot, '..', 'shared', 'corpora', 'commands')));
const cli = join(repoRoot, 'out', 'main', 'cli.js');

if (!existsSync(cli)) {
  console.error(`${cli} is missing: run \`npm run build\` first`);
  process.exit(2);
}
if (!existsSync(corporaDir)) {
  console.error(`corpora not found at ${corporaDir} (pass --corpora DIR or set FLEETMIND_CORPORA)`);
  process.exit(2);
}

const sources = [
  ['gtfobins.jsonl', 'code'],
  ['mutating.jsonl', 'command'],
  ['benign.jsonl', 'command'],
];
const commands = [];
for (const [file, field] of sources) {
  for (const line of readFileSync(join(corporaDir, file), 'utf8').split('\n')) {
    if (line.trim()) commands.push(JSON.parse(line)[field]);
  }
}

const home = mkdtempSync(join(tmpdir(), 'fleetmind-bench-'));
const child = spawn(process.execPath, [cli, 'policy', 'check', '--jsonl', '--timing'], {
  env: { ...process.env, FLEETMIND_HOME: home },
  stdio: ['pipe', 'pipe', 'inherit'],
});

// A CLI that dies early closes the pipe; report its exit code instead of EPIPE.
child.stdin.on('error', () => {});
const corpusTotal = commands.length * (passes + 1);
const total = corpusTotal + LONG.length * (LONG_RUNS + 1);
const elapsed = [];
const longElapsed = LONG.map(() => []);
let received = 0;
let firstAt = 0;
let lastAt = 0;
let buffered = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (!line) continue;
    const out = JSON.parse(line);
    if (received >= corpusTotal) {
      const i = received - corpusTotal;
      if (i >= LONG.length) longElapsed[i % LONG.length].push(out.elapsedMs); // the first run warms up
    } else if (received >= commands.length) {
      // The warm-up pass is not counted.
      if (!firstAt) firstAt = performance.now();
      lastAt = performance.now();
      elapsed.push(out.elapsedMs);
    }
    received++;
  }
});

for (let p = 0; p <= passes; p++) {
  for (const command of commands) {
    if (!child.stdin.write(`${JSON.stringify({ command })}\n`)) await new Promise((r) => child.stdin.once('drain', r));
  }
}
for (let run = 0; run <= LONG_RUNS; run++) {
  for (const [, command] of LONG) {
    if (!child.stdin.write(`${JSON.stringify({ command })}\n`)) await new Promise((r) => child.stdin.once('drain', r));
  }
}
child.stdin.end();
const code = await new Promise((r) => child.on('close', r));
rmSync(home, { recursive: true, force: true });
if (code !== 0 || received !== total) {
  console.error(`the CLI exited with ${code} after ${received}/${total} decisions`);
  process.exit(1);
}

elapsed.sort((a, b) => a - b);
const pct = (q) => elapsed[Math.min(elapsed.length - 1, Math.floor(q * elapsed.length))];
const sumMs = elapsed.reduce((a, b) => a + b, 0);
const result = {
  decisions: elapsed.length,
  corpusCommands: commands.length,
  passes,
  decisionsPerSecond: Math.round(elapsed.length / (sumMs / 1000)),
  endToEndPerSecond: Math.round(elapsed.length / ((lastAt - firstAt) / 1000)),
  meanMs: sumMs / elapsed.length,
  p50Ms: pct(0.5),
  p90Ms: pct(0.9),
  p99Ms: pct(0.99),
  maxMs: elapsed[elapsed.length - 1],
  long: LONG.map(([name], i) => ({ name, runsMs: longElapsed[i], maxMs: Math.max(...longElapsed[i]) })),
  longTotalMs: Math.max(...Array.from({ length: LONG_RUNS }, (_, run) => LONG.reduce((sum, _l, i) => sum + longElapsed[i][run], 0))),
  targets: { decisionsPerSecond: TARGET_RATE, p99Ms: TARGET_P99_MS, longTotalMs: TARGET_LONG_TOTAL_MS },
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  at: new Date().toISOString(),
};
result.pass = result.decisionsPerSecond >= TARGET_RATE && result.p99Ms < TARGET_P99_MS && result.longTotalMs < TARGET_LONG_TOTAL_MS;

const rows = [
  ['decisions measured', String(result.decisions), `${commands.length} corpus commands x ${passes} passes`],
  ['decisions/s (one core)', String(result.decisionsPerSecond), `target >= ${TARGET_RATE}`],
  ['decisions/s end to end', String(result.endToEndPerSecond), 'including JSON Lines I/O'],
  ['mean', `${result.meanMs.toFixed(3)} ms`, ''],
  ['p50', `${result.p50Ms.toFixed(3)} ms`, ''],
  ['p90', `${result.p90Ms.toFixed(3)} ms`, ''],
  ['p99', `${result.p99Ms.toFixed(3)} ms`, `target < ${TARGET_P99_MS} ms`],
  ['max', `${result.maxMs.toFixed(3)} ms`, ''],
  ...result.long.map((l) => [`long: ${l.name}`, `${l.maxMs.toFixed(1)} ms`, `worst of ${LONG_RUNS}`]),
  ['long: the three together', `${result.longTotalMs.toFixed(1)} ms`, `worst run; target < ${TARGET_LONG_TOTAL_MS} ms`],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`policy benchmark (${result.node}, ${result.cpu})`);
for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
console.log(result.pass ? 'PASS' : 'FAIL: a target was missed');

const outDir = join(repoRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'policy.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${join('bench-results', 'policy.json')}`);
process.exit(result.pass ? 0 : 1);
