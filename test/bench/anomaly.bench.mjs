// Anomaly detection benchmarks (issue 18), each figure beside its target:
//   throughput of the streaming detector, one series, one core          target ≥ 200k points/s
//   throughput over all 41 NAB dev series (one detector per series)     target ≥ 200k points/s
//   memory per series (heap growth per live detector after 20k points of a random walk,
//     the worst case for its pattern memory)                            reported
//   NAB dev-set scores (standard, low FP, low FN) beside the published detectors
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { printTable, root, writeResults } from './lib.mjs';

async function load() {
  const { runnerImport } = await import('vite');
  return (await runnerImport(join(root, 'test', 'anomaly', 'nab-harness.ts'), { configFile: false, logLevel: 'silent' })).module;
}

function walk(n, seed) {
  let a = seed >>> 0;
  let v = 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    v += a / 4294967296 - 0.5;
    out[i] = 50 + 10 * Math.sin(i / 45) + v;
  }
  return out;
}

export async function run() {
  const h = await load();
  const { AnomalyDetector } = h;
  // one series, 1M points (after a warm-up run for the JIT)
  const values = walk(1_000_000, 7);
  for (let k = 0; k < 2; k++) {
    const d = new AnomalyDetector();
    for (let i = 0; i < 100_000; i++) d.update(values[i]);
  }
  const d = new AnomalyDetector();
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < values.length; i++) sink += d.update(values[i]);
  const single = values.length / ((performance.now() - t0) / 1000);

  // memory per series: 200 live detectors fed 20k points each
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const live = [];
  const short = walk(20_000, 11);
  for (let s = 0; s < 200; s++) {
    const det = new AnomalyDetector();
    for (let i = 0; i < short.length; i++) det.update(short[i] + s);
    live.push(det);
  }
  globalThis.gc?.();
  const perSeries = (process.memoryUsage().heapUsed - before) / live.length;

  const dir = mkdtempSync(join(tmpdir(), 'fleetmind-nab-bench-'));
  let report;
  try {
    report = h.evaluate(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = [
    { metric: 'throughput, one series (1M points)', value: single / 1000, unit: 'k points/s', target: null },
    { metric: 'throughput, 41 NAB series', value: report.pointsPerSecond / 1000, unit: 'k points/s', target: null },
    { metric: `memory per series (${globalThis.gc ? 'after gc' : 'no --expose-gc, approximate'})`, value: perSeries / 1024, unit: 'KiB', target: null },
  ];
  printTable('anomaly detector', rows);
  process.stdout.write(`${h.formatReport(report)}\n`);
  const met = single >= 200_000 && report.pointsPerSecond >= 200_000;
  process.stdout.write(`throughput target ≥ 200k points/s per core: ${met ? 'PASS' : 'MISS'}\n`);
  if (sink < 0) process.stdout.write('');
  writeResults('anomaly', { singleSeriesPointsPerSecond: Math.round(single), nabPointsPerSecond: report.pointsPerSecond, bytesPerSeries: Math.round(perSeries), nab: report.scores, nabAtAlertThreshold: report.atAlertThreshold, alertThreshold: report.alertThreshold, detectorLive: live.length });
  return met;
}
