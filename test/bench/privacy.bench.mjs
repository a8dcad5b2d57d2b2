#!/usr/bin/env node
// Privacy benchmark: the redactor over the secrets corpus, through the built CLI
// (`fleetmind redact --jsonl`, one process), side by side with secretlint when it is installed
// (devDependency, with @secretlint/secretlint-rule-preset-recommend) on the same lines:
//
//   node test/bench/privacy.bench.mjs [--corpus DIR] [--mb N]
//
// Recall: share of secrets.jsonl lines whose `secret` is gone from the output. Clean altered:
// share of clean.jsonl lines changed. MB/s: corpus lines repeated to N MB (default 8), timed
// end to end minus the time of an empty run (process start-up). Writes bench-results/privacy.json;
// exits 1 below 99 % recall, above 2 % clean lines altered or under 1 MB/s (a floor against pathological regexes).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { printTable, root, writeResults } from './lib.mjs';

const TARGET_RECALL = 0.99;
const TARGET_CLEAN_ALTERED = 0.02;
const TARGET_MBPS = 1; // a floor against regressions (pathological regexes), not a goal

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const load = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

function redactCli(texts) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'redact', '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`redact exited ${code}`));
      else resolvePromise(Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text));
    });
    child.stdin.end(texts.map((text) => JSON.stringify({ text })).join('\n') + (texts.length ? '\n' : ''));
  });
}

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

/** secretlint's core API with the recommended preset, masking findings; null when not installed. */
async function loadSecretlint() {
  try {
    const require = createRequire(join(root, 'package.json'));
    const core = await import(require.resolve('@secretlint/core'));
    const preset = await import(require.resolve('@secretlint/secretlint-rule-preset-recommend'));
    const version = JSON.parse(readFileSync(require.resolve('secretlint/package.json'), 'utf8')).version;
    const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: preset.creator ?? preset.default?.creator ?? preset.default }] };
    return {
      version,
      async redact(text) {
        const result = await core.lintSource({ source: { filePath: '/input.txt', content: text, contentType: 'text' }, options: { config, maskSecrets: true } });
        // Replace every reported range with a mask (what a redactor built on secretlint would send).
        const ranges = result.messages.map((m) => m.range).sort((a, b) => b[0] - a[0]);
        let out = text;
        for (const [s, e] of ranges) out = out.slice(0, s) + '***' + out.slice(e);
        return out;
      },
    };
  } catch {
    return null;
  }
}

export async function run() {
  const corpus = resolve(arg('--corpus', process.env.FLEETMIND_SECRETS_CORPUS ?? join(root, '..', 'shared', 'corpora', 'secrets')));
  if (!existsSync(join(corpus, 'secrets.jsonl'))) {
    process.stderr.write(`privacy bench: corpus not found at ${corpus} (--corpus DIR or FLEETMIND_SECRETS_CORPUS)\n`);
    return false;
  }
  const secrets = load(join(corpus, 'secrets.jsonl'));
  const clean = load(join(corpus, 'clean.jsonl'));
  const mb = Number(arg('--mb', '8'));

  const out = await redactCli([...secrets.map((s) => s.line), ...clean.map((c) => c.line)]);
  const recall = secrets.filter((s, i) => !out[i].includes(s.secret)).length / secrets.length;
  const altered = clean.filter((c, i) => out[secrets.length + i] !== c.line).length / clean.length;

  const unit = [...secrets.map((s) => s.line), ...clean.map((c) => c.line)];
  const unitBytes = unit.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const big = [];
  for (let bytes = 0; bytes < mb * 1024 * 1024; bytes += unitBytes) big.push(...unit);
  const bigBytes = Math.ceil((mb * 1024 * 1024) / unitBytes) * unitBytes;
  const empty = await timed(() => redactCli([]));
  const full = await timed(() => redactCli(big));
  const mbps = bigBytes / 1024 / 1024 / Math.max(1, full.ms - empty.ms) * 1000;

  const rows = [
    { metric: 'fleetmind recall', value: recall * 100, unit: '%', target: null },
    { metric: 'fleetmind clean lines altered', value: altered * 100, unit: '%', target: TARGET_CLEAN_ALTERED * 100 },
    { metric: 'fleetmind throughput', value: mbps, unit: 'MB/s', target: null },
  ];
  const data = { corpus, fleetmind: { recall, cleanAltered: altered, mbps, mb } };

  const secretlint = await loadSecretlint();
  if (secretlint) {
    const sOut = [];
    for (const s of secrets) sOut.push(await secretlint.redact(s.line));
    const cOut = [];
    for (const c of clean) cOut.push(await secretlint.redact(c.line));
    const sRecall = secrets.filter((s, i) => !sOut[i].includes(s.secret)).length / secrets.length;
    const sAltered = clean.filter((c, i) => cOut[i] !== c.line).length / clean.length;
    const text = big.slice(0, Math.ceil(big.length / 8)).join('\n'); // an eighth: secretlint is slower
    const t = await timed(() => secretlint.redact(text));
    const sMbps = Buffer.byteLength(text) / 1024 / 1024 / Math.max(1, t.ms) * 1000;
    rows.push(
      { metric: `secretlint ${secretlint.version} recall`, value: sRecall * 100, unit: '%', target: null },
      { metric: `secretlint ${secretlint.version} clean altered`, value: sAltered * 100, unit: '%', target: null },
      { metric: `secretlint ${secretlint.version} throughput`, value: sMbps, unit: 'MB/s', target: null },
    );
    data.secretlint = { version: secretlint.version, recall: sRecall, cleanAltered: sAltered, mbps: sMbps };
  } else {
    process.stdout.write('secretlint is not installed: comparison skipped\n');
  }
  printTable('privacy', rows);
  const met = recall >= TARGET_RECALL && altered <= TARGET_CLEAN_ALTERED && mbps >= TARGET_MBPS;
  if (!met) process.stdout.write(`MISS: targets are recall >= ${TARGET_RECALL * 100} %, clean altered <= ${TARGET_CLEAN_ALTERED * 100} %, >= ${TARGET_MBPS} MB/s\n`);
  writeResults('privacy', { ...data, met });
  return met;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((met) => process.exit(met ? 0 : 1));
}
