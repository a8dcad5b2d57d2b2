// Forecast benchmarks (issue 19, item 3), each figure beside its target:
//   one forecast as the watcher makes it (200 points, noisy fill)          target ≤ 5 ms
//     (a 15 s collection of 1,000 series then costs ≤ 1/3 of one core)
//   a sawtooth forecast (4 days of 15-min points, 3 rotations)             target ≤ 5 ms
//   `fleetmind forecast`'s work on a 200,000-row CSV (parse + forecast)    target ≤ 2 s
//   interval coverage on 300 noisy fills with lag-1 correlation 0.9        reported (nominal 80 %)
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { printTable, root, writeResults } from './lib.mjs';

async function load() {
  const { runnerImport } = await import('vite');
  return (await runnerImport(join(root, 'src', 'main', 'core', 'forecast', 'index.ts'), { configFile: false, logLevel: 'silent' })).module;
}

function lcg(seed) {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

function timePer(fn, runs) {
  for (let i = 0; i < Math.min(20, runs); i++) fn(i); // JIT warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) fn(i);
  return (performance.now() - t0) / runs;
}

export async function run() {
  const f = await load();
  const u = lcg(7);
  const T0 = Date.UTC(2026, 11, 1);
  const noisy = Array.from({ length: 200 }, (_, i) => ({ t: T0 + i * 216_000, v: 0.4 + i * 0.0005 + (u() - 0.5) * 0.01 }));
  const perWatcherForecast = timePer(() => f.forecastCrossing(noisy, 1, { direction: 'up' }), 500);
  const saw = Array.from({ length: 4 * 96 }, (_, i) => ({ t: T0 + i * 900_000, v: 0.4 + 0.05 * Math.floor(i / 96) + 0.3 * ((i % 96) / 96) }));
  const perSawtooth = timePer(() => f.forecastCrossing(saw, 1), 200);

  const rows = ['timestamp,value'];
  for (let i = 0; i < 200_000; i++) rows.push(`${1796000000 + i * 15},${(0.3 + i * 1e-6 + u() * 0.001).toFixed(6)}`);
  const csv = rows.join('\n');
  const c0 = performance.now();
  const points = f.parseSeriesCsv(csv);
  const big = f.forecastCrossing(points, 1);
  const csvSeconds = (performance.now() - c0) / 1000;

  // Coverage of the 80 % interval with strongly autocorrelated noise (metric samples are).
  let covered = 0;
  const g = lcg(11);
  const gauss = () => Math.sqrt(-2 * Math.log(g() + 1e-12)) * Math.cos(2 * Math.PI * g());
  for (let k = 0; k < 300; k++) {
    const slope = 0.01 + g() * 0.03;
    const sigma = 0.002 + g() * 0.01;
    let e = 0;
    const pts = Array.from({ length: 144 }, (_, i) => {
      e = 0.9 * e + Math.sqrt(1 - 0.81) * sigma * gauss();
      return { t: i * 300_000, v: 0.3 + (slope * i) / 12 + e };
    });
    const truth = (0.7 / slope) * 3_600_000;
    const r = f.forecastCrossing(pts, 1, { direction: 'up' });
    if (r.crossesAt !== null && r.low <= truth && (r.high === null || r.high >= truth)) covered++;
  }

  printTable('forecast', [
    { metric: 'one watcher forecast (200 points)', value: perWatcherForecast, unit: 'ms', target: 5 },
    { metric: 'sawtooth forecast (384 points, 3 rotations)', value: perSawtooth, unit: 'ms', target: 5 },
    { metric: 'CSV of 200,000 rows: parse + forecast', value: csvSeconds, unit: 's', target: 2 },
    { metric: '80 % interval coverage, lag-1 correlation 0.9', value: (covered / 300) * 100, unit: '%', target: null },
  ]);
  const met = perWatcherForecast <= 5 && perSawtooth <= 5 && csvSeconds <= 2 && big.crossesAt !== null;
  writeResults('forecast', { perWatcherForecastMs: perWatcherForecast, perSawtoothMs: perSawtooth, csv200kSeconds: csvSeconds, coverageAr09: covered / 300 });
  return met;
}
