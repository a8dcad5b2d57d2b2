#!/usr/bin/env node
// Privacy benchmark: Fleetmind's redactor side by side with secretlint (devDependency, pinned,
// with @secretlint/secretlint-rule-preset-recommend) on the same text:
//
//   node test/bench/privacy.bench.mjs [--corpus DIR] [--commands DIR] [--mb N] [--runs N] [--cli FILE] [--src DIR]
//
// (--cli and --src measure another build and privacy source, e.g. a checkout of an older commit.)
//
// 1. The secrets corpus (secrets.jsonl, clean.jsonl), one line per record: share of secret lines
//    whose `secret` is gone from the output (removed), and whose every character was replaced
//    (fully masked), share of clean lines changed (altered).
// 2. A MIXED corpus of N MB (default 24; test/bench/privacy-mixed.mjs): ordinary server output
//    with a few per cent of the corpus' secret and look-alike lines and benign commands mixed in,
//    generated from a fixed seed. The same figures on it, and throughput on one core:
//    - in-process: the core redactor (src/main/core/privacy, transpiled) over every record;
//    - end to end: `fleetmind redact --jsonl` (out/main/cli.js with the bin's Node flags), one
//      process fed the records as {"text"} lines, minus an empty run (start-up);
//    - secretlint: its Node API (lintSource) on the same records, findings masked as its
//      `--format mask-result` does (each reported range); timed in one run, with its built-in
//      profiler's marks switched off (their bookkeeping is quadratic in the number of calls).
//    One core: MB/s per CPU second of the measured process (all its threads), so other load on
//    the machine does not count against it; wall-clock MB/s is printed beside it. Each figure is
//    the median of --runs runs (default 3).
// 3. The old measure: the corpus lines one per record through the CLI (per-record overhead).
//
// MB = 2^20 bytes of UTF-8 text (the "text" values, not the JSON around them). Writes
// bench-results/privacy.json; exits 1 when a target is missed: >= 99 % of secret lines removed,
// <= 2 % of clean and of ordinary lines altered, >= 20 MB/s in-process and end to end.
// PRIVACY_BENCH_TRACE=1 prints when each phase starts (on stderr).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createMixedCorpus } from './privacy-mixed.mjs';
import { root, writeResults } from './lib.mjs';

const TARGET_REMOVED = 0.99;
const TARGET_ALTERED = 0.02;
const TARGET_MBPS = 20;
const MB = 1024 * 1024;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const loadJsonl = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const utf8 = (texts) => texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
const benchStart = performance.now();
const phase = (what) => process.env.PRIVACY_BENCH_TRACE && process.stderr.write(`[${((performance.now() - benchStart) / 1000).toFixed(1)} s] ${what}\n`);

/** The privacy module from source, transpiled by TypeScript (a devDependency) into a temp dir. */
async function loadRedactor(src) {
  const require = createRequire(join(root, 'package.json'));
  const ts = require('typescript');
  const dir = mkdtempSync(join(tmpdir(), 'fm-privacy-bench-'));
  try {
    for (const file of readdirSync(src)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const { outputText } = ts.transpileModule(readFileSync(join(src, file), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
      writeFileSync(join(dir, file.replace(/\.ts$/, '.mjs')), outputText.replace(/(from\s+['"]\.\/[^'"]+)(['"])/g, '$1.mjs$2'));
    }
    return await import(pathToFileURL(join(dir, 'index.mjs')).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Node flags bin/fleetmind starts with (its `#!/usr/bin/env -S node …` line). */
function binNodeFlags() {
  const first = readFileSync(join(root, 'bin', 'fleetmind'), 'utf8').split('\n')[0] ?? '';
  const words = first.split(/\s+/);
  const node = words.indexOf('node');
  return node >= 0 ? words.slice(node + 1).filter((w) => w.startsWith('--')) : [];
}

const CLI = resolve(arg('--cli', join(root, 'out', 'main', 'cli.js')));
const PRIVACY_SRC = resolve(arg('--src', join(root, 'src', 'main', 'core', 'privacy')));

// The child reports its own CPU time (user + system, all threads) on fd 3 as it exits.
const CPU_REPORT = `data:text/javascript,${encodeURIComponent('import { writeSync } from "node:fs"; process.on("exit", () => { try { writeSync(3, JSON.stringify(process.cpuUsage())); } catch {} });')}`;

/** One `fleetmind redact --jsonl` process over `input` (JSON Lines): its output, wall and CPU ms. */
function redactCli(input, { keep = true } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...binNodeFlags(), '--import', CPU_REPORT, CLI, 'redact', '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
    const chunks = [];
    let cpu = '';
    child.stdout.on('data', (c) => keep && chunks.push(c));
    child.stdio[3].on('data', (c) => (cpu += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`fleetmind redact exited ${code}`));
      const usage = cpu ? JSON.parse(cpu) : { user: NaN, system: NaN };
      resolvePromise({ out: keep ? Buffer.concat(chunks).toString('utf8') : '', wallMs, cpuMs: (usage.user + usage.system) / 1000 });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

const toJsonl = (texts) => Buffer.from(texts.map((text) => `${JSON.stringify({ text })}\n`).join(''));
const parseJsonl = (out) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** CLI throughput over `input`: medians of `runs` full runs and empty runs. */
async function cliThroughput(input, bytes, runs) {
  const full = [];
  const empty = [];
  for (let i = 0; i < runs; i++) {
    empty.push(await redactCli(Buffer.alloc(0), { keep: false }));
    full.push(await redactCli(input, { keep: false }));
  }
  const wallMs = median(full.map((r) => r.wallMs)) - median(empty.map((r) => r.wallMs));
  const cpuMs = median(full.map((r) => r.cpuMs)) - median(empty.map((r) => r.cpuMs));
  return {
    mbpsCpu: bytes / MB / (cpuMs / 1000),
    mbpsWall: bytes / MB / (wallMs / 1000),
    runsMbpsCpu: full.map((r, i) => bytes / MB / ((r.cpuMs - empty[i].cpuMs) / 1000)),
    runsMbpsWall: full.map((r, i) => bytes / MB / ((r.wallMs - empty[i].wallMs) / 1000)),
    startupMs: median(empty.map((r) => r.wallMs)),
  };
}

/** Times fn over the texts `runs` times (after one warm-up pass over a slice): medians. */
async function timeInProcess(texts, bytes, runs, fn) {
  for (const t of texts.slice(0, 200)) await fn(t);
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const w = performance.now();
    for (const t of texts) await fn(t);
    wall.push(performance.now() - w);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return {
    mbpsCpu: bytes / MB / (median(cpu) / 1000),
    mbpsWall: bytes / MB / (median(wall) / 1000),
    runsMbpsCpu: cpu.map((ms) => bytes / MB / (ms / 1000)),
    runsMbpsWall: wall.map((ms) => bytes / MB / (ms / 1000)),
  };
}

/** secretlint's core API with the recommended preset; null when it is not installed. */
async function loadSecretlint() {
  try {
    const require = createRequire(join(root, 'package.json'));
    const cliPackage = require.resolve('secretlint/package.json');
    const version = JSON.parse(readFileSync(cliPackage, 'utf8')).version;
    // @secretlint/core is secretlint's own dependency: resolve it from there, and its profiler from core.
    const corePath = createRequire(cliPackage).resolve('@secretlint/core');
    const core = await import(corePath);
    const { secretLintProfiler } = await import(createRequire(corePath).resolve('@secretlint/profiler'));
    const preset = await import(require.resolve('@secretlint/secretlint-rule-preset-recommend'));
    const options = { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: preset.creator }] } };
    // secretlint's profiler records a performance mark at every step of every lint and, in an
    // asynchronous observer, searches all marks recorded so far for each new one: quadratic in
    // the number of lint calls (1,000 records leave 7 s of work after the last one). Its marks
    // cannot be switched off by an option, so they are made no-ops here.
    secretLintProfiler.mark = () => {};
    const lint = async (text) => (await core.lintSource({ source: { filePath: '/input.txt', content: text, contentType: 'text' }, options })).messages.map((m) => m.range);
    return { version, lint };
  } catch (err) {
    process.stdout.write(`secretlint is not installed (${err.message.split('\n')[0]}): comparison skipped\n`);
    return null;
  }
}

/** Applies ranges as secretlint's mask-result formatter does: each character becomes `*`. */
function maskRanges(text, ranges) {
  let out = text;
  for (const [s, e] of ranges) out = out.slice(0, s) + '*'.repeat(e - s) + out.slice(e);
  return out;
}

/** Is every occurrence of `secret` in `text` inside the ranges? */
function fullyCovered(text, secret, ranges) {
  let any = false;
  for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + 1)) {
    any = true;
    for (let j = i; j < i + secret.length; j++) if (!ranges.some(([s, e]) => s <= j && j < e)) return false;
  }
  return any;
}

/**
 * Scores one tool over the corpus lines and the mixed records, from its output texts and the
 * ranges of the input it replaced.
 */
function scoreCorpus(secrets, clean, outputs, ranges) {
  const n = secrets.length;
  return {
    removed: secrets.filter((s, i) => !outputs[i].includes(s.secret)).length / n,
    fullyMasked: secrets.filter((s, i) => fullyCovered(s.line, s.secret, ranges[i])).length / n,
    cleanAltered: clean.filter((c, i) => outputs[n + i] !== c.line).length / clean.length,
  };
}

function scoreMixed(records, outputs, ranges) {
  const tally = { secret: [0, 0], o: [0, 0], b: [0, 0], c: [0, 0] };
  records.forEach((record, r) => {
    let at = 0;
    let k = 0;
    record.lines.forEach((line, i) => {
      const kind = record.kinds[i];
      const end = at + line.length;
      if (typeof kind === 'number') {
        tally.secret[1]++;
        if (!outputs[r].includes(record.secrets[k++])) tally.secret[0]++;
      } else {
        tally[kind][1]++;
        if (ranges[r].some(([s, e]) => s < end && at < e)) tally[kind][0]++;
      }
      at = end + 1;
    });
  });
  const share = ([a, n]) => (n ? a / n : 0);
  return {
    secretLines: tally.secret[1],
    removed: share(tally.secret),
    ordinaryLines: tally.o[1],
    ordinaryAltered: share(tally.o),
    baitLines: tally.b[1],
    baitAltered: share(tally.b),
    commandLines: tally.c[1],
    commandAltered: share(tally.c),
  };
}

// ---- table -------------------------------------------------------------------------------

const pct = (v) => (v === undefined || Number.isNaN(v) ? '' : `${(v * 100).toFixed(v === 0 || v === 1 ? 0 : 1)} %`);
const mbps = (v) => (v === undefined || Number.isNaN(v) ? '' : `${v.toFixed(1)} MB/s`);

function printRows(title, peerName, rows) {
  const head = ['', 'fleetmind', 'target', peerName ?? 'peer', ''];
  const lines = rows.map((r) => [r.metric, r.ours, r.target ?? '', r.peer ?? '', r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS']);
  const widths = head.map((_, i) => Math.max(...[head, ...lines].map((l) => l[i].length)));
  const fmt = (l) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  process.stdout.write(`\n== ${title} ==\n${fmt(head)}\n${lines.map(fmt).join('\n')}\n`);
}

// ---- run ---------------------------------------------------------------------------------

export async function run() {
  const corpus = resolve(arg('--corpus', process.env.FLEETMIND_SECRETS_CORPUS ?? join(root, '..', 'shared', 'corpora', 'secrets')));
  const commandsDir = resolve(arg('--commands', process.env.FLEETMIND_CORPORA ?? join(root, '..', 'shared', 'corpora', 'commands')));
  if (!existsSync(join(corpus, 'secrets.jsonl'))) {
    process.stderr.write(`privacy bench: corpus not found at ${corpus} (--corpus DIR or FLEETMIND_SECRETS_CORPUS)\n`);
    return false;
  }
  const mb = Number(arg('--mb', '24'));
  const runs = Math.max(1, Number(arg('--runs', '3')));
  const secrets = loadJsonl(join(corpus, 'secrets.jsonl'));
  const clean = loadJsonl(join(corpus, 'clean.jsonl'));
  const commands = existsSync(join(commandsDir, 'benign.jsonl')) ? loadJsonl(join(commandsDir, 'benign.jsonl')).map((c) => c.command) : [];
  const lines = [...secrets.map((s) => s.line), ...clean.map((c) => c.line)];

  // 1. The corpus, one line per record, through the CLI (one session for the run, as a user would).
  const corpusRun = await redactCli(toJsonl(lines));
  const corpusOut = parseJsonl(corpusRun.out);
  const ours = { corpus: scoreCorpus(secrets, clean, corpusOut.map((o) => o.text), corpusOut.map((o) => o.findings.map((f) => [f.start, f.end]))) };

  phase('mixed corpus');
  // 2. The mixed corpus.
  const { records, meta } = createMixedCorpus({ secrets, clean, commands, bytes: mb * MB });
  const texts = records.map((r) => r.text);
  const bytes = utf8(texts);
  const input = toJsonl(texts);
  phase('cli accuracy run');
  const mixedRun = await redactCli(input);
  const mixedOut = parseJsonl(mixedRun.out);
  ours.mixed = scoreMixed(records, mixedOut.map((o) => o.text), mixedOut.map((o) => o.findings.map((f) => [f.start, f.end])));
  phase('in-process');
  const { Redactor } = await loadRedactor(PRIVACY_SRC);
  let session = new Redactor();
  ours.inProcess = await timeInProcess(texts, bytes, runs, (t) => {
    if (t === texts[0]) session = new Redactor(); // a fresh session per pass
    session.redact(t);
  });
  phase('end to end');
  ours.endToEnd = await cliThroughput(input, bytes, runs);

  phase('per-line');
  // 3. The old measure: corpus lines one per record, repeated to 8 MB.
  const unitBytes = utf8(lines);
  const repeated = [];
  for (let n = 0; n < 8 * MB; n += unitBytes) repeated.push(...lines);
  ours.perLine = await cliThroughput(toJsonl(repeated), utf8(repeated), runs);

  phase('secretlint');
  // secretlint on the same lines and records.
  const secretlint = await loadSecretlint();
  let peer = null;
  if (secretlint) {
    const corpusRanges = [];
    for (const line of lines) corpusRanges.push(await secretlint.lint(line));
    const mixedRanges = [];
    for (const t of texts) mixedRanges.push(await secretlint.lint(t));
    peer = {
      version: secretlint.version,
      corpus: scoreCorpus(secrets, clean, lines.map((l, i) => maskRanges(l, corpusRanges[i])), corpusRanges),
      mixed: scoreMixed(records, texts.map((t, i) => maskRanges(t, mixedRanges[i])), mixedRanges),
      inProcess: await timeInProcess(texts, bytes, 1, (t) => secretlint.lint(t)),
    };
  }

  phase('report');
  const peerName = peer ? `secretlint ${peer.version}` : null;
  const p = (f) => (peer ? f(peer) : '');
  const rows = [
    { metric: `corpus: secret lines removed (${secrets.length})`, ours: pct(ours.corpus.removed), target: `>= ${pct(TARGET_REMOVED)}`, peer: p((x) => pct(x.corpus.removed)), pass: ours.corpus.removed >= TARGET_REMOVED },
    { metric: '  of them every character replaced', ours: pct(ours.corpus.fullyMasked), peer: p((x) => pct(x.corpus.fullyMasked)) },
    { metric: `corpus: clean lines altered (${clean.length})`, ours: pct(ours.corpus.cleanAltered), target: `<= ${pct(TARGET_ALTERED)}`, peer: p((x) => pct(x.corpus.cleanAltered)), pass: ours.corpus.cleanAltered <= TARGET_ALTERED },
    { metric: `mixed ${(bytes / MB).toFixed(1)} MB: secret lines removed (${ours.mixed.secretLines})`, ours: pct(ours.mixed.removed), target: `>= ${pct(TARGET_REMOVED)}`, peer: p((x) => pct(x.mixed.removed)), pass: ours.mixed.removed >= TARGET_REMOVED },
    { metric: `mixed: ordinary lines altered (${ours.mixed.ordinaryLines})`, ours: pct(ours.mixed.ordinaryAltered), target: `<= ${pct(TARGET_ALTERED)}`, peer: p((x) => pct(x.mixed.ordinaryAltered)), pass: ours.mixed.ordinaryAltered <= TARGET_ALTERED },
    { metric: `mixed: look-alike lines altered (${ours.mixed.baitLines})`, ours: pct(ours.mixed.baitAltered), peer: p((x) => pct(x.mixed.baitAltered)) },
    { metric: `mixed: command lines altered (${ours.mixed.commandLines})`, ours: pct(ours.mixed.commandAltered), peer: p((x) => pct(x.mixed.commandAltered)) },
    { metric: 'mixed: in-process, one core', ours: mbps(ours.inProcess.mbpsCpu), target: `>= ${TARGET_MBPS} MB/s`, peer: p((x) => mbps(x.inProcess.mbpsCpu)), pass: ours.inProcess.mbpsCpu >= TARGET_MBPS },
    { metric: '  wall clock', ours: mbps(ours.inProcess.mbpsWall), peer: p((x) => mbps(x.inProcess.mbpsWall)) },
    { metric: 'mixed: end to end (redact --jsonl), one core', ours: mbps(ours.endToEnd.mbpsCpu), target: `>= ${TARGET_MBPS} MB/s`, pass: ours.endToEnd.mbpsCpu >= TARGET_MBPS },
    { metric: '  wall clock', ours: mbps(ours.endToEnd.mbpsWall) },
    { metric: 'corpus lines one per record, end to end, one core', ours: mbps(ours.perLine.mbpsCpu) },
    { metric: '  wall clock', ours: mbps(ours.perLine.mbpsWall) },
  ];
  printRows('privacy', peerName, rows);
  const spread = (xs) => xs.map((x) => x.toFixed(1)).join(', ');
  process.stdout.write(
    [
      `runs (MB/s, CPU time | wall): in-process ${spread(ours.inProcess.runsMbpsCpu)} | ${spread(ours.inProcess.runsMbpsWall)}; end to end ${spread(ours.endToEnd.runsMbpsCpu)} | ${spread(ours.endToEnd.runsMbpsWall)} (start-up ${ours.endToEnd.startupMs.toFixed(0)} ms, subtracted)`,
      `mixed corpus: ${records.length} records, ${meta.ordinaryLines} ordinary lines, ${meta.secretLines} secret, ${meta.baitLines} look-alike, ${meta.commandLines} command lines`,
      peer ? `${peerName}: recommended preset, its Node API (lintSource) per record, reported ranges masked as --format mask-result does; its profiler's marks switched off (quadratic bookkeeping)` : '',
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  const met = rows.every((r) => r.pass !== false);
  if (!met) process.stdout.write('MISS: see the rows marked MISS\n');
  writeResults('privacy', {
    corpus,
    cli: CLI,
    src: PRIVACY_SRC,
    mb: bytes / MB,
    runs,
    node: process.version,
    nodeFlags: binNodeFlags(),
    targets: { removed: TARGET_REMOVED, altered: TARGET_ALTERED, mbps: TARGET_MBPS },
    fleetmind: ours,
    secretlint: peer,
    mixed: meta,
    met,
  });
  return met;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((met) => process.exit(met ? 0 : 1));
}
