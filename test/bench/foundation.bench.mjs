// Foundation benchmarks (issue 3), run against the built CLI with real processes:
//   cold start: spawn `fleetmind serve` → first 200 from /api/health   (target < 1 s)
//   offline "Show server status" latency over HTTP, p50                (target < 150 ms)
//   RSS of the idle server after start and after the chat load         (target < 120 MB)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, printTable, startBinServer, writeResults } from './lib.mjs';

const COLD_RUNS = 5;
const CHAT_RUNS = 40;

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function startServer(dataDir) {
  const started = performance.now();
  const { child, url } = await startBinServer({ FLEETMIND_HOME: dataDir });
  // Cold start ends at the first successful health check (store open, safety policy loaded), as a client would see it.
  for (;;) {
    const res = await fetch(`${url}/api/health`).catch(() => null);
    if (res?.ok) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, url, coldMs: performance.now() - started };
}

async function stop(child) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function run() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-bench-'));
  // Measure real work: no reuse of a previous answer's tool results.
  writeFileSync(join(dataDir, 'config.yaml'), 'tools:\n  readCacheTtlMs: 0\n');
  try {
    const cold = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const s = await startServer(dataDir);
      cold.push(s.coldMs);
      await stop(s.child);
    }
    const s = await startServer(dataDir);
    await new Promise((r) => setTimeout(r, 500));
    const rssIdle = rssMb(s.child.pid);
    const latencies = [];
    for (let i = 0; i < CHAT_RUNS + 3; i++) {
      const t = performance.now();
      const res = await fetch(`${s.url}/api/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: 'Show server status' }),
      });
      await res.json();
      if (i >= 3) latencies.push(performance.now() - t); // first requests warm the JIT
    }
    await new Promise((r) => setTimeout(r, 500));
    const rssAfter = rssMb(s.child.pid);
    await stop(s.child);

    const rows = [
      { metric: 'cold start → /api/health OK (median of 5)', value: percentile(cold, 50), unit: 'ms', target: 1000 },
      { metric: 'offline "Show server status" p50', value: percentile(latencies, 50), unit: 'ms', target: 150 },
      { metric: 'offline "Show server status" p95', value: percentile(latencies, 95), unit: 'ms', target: null },
      { metric: 'RSS idle after start', value: rssIdle, unit: 'MB', target: 120 },
      { metric: `RSS idle after ${CHAT_RUNS} chats`, value: rssAfter, unit: 'MB', target: 120 },
    ];
    printTable('foundation', rows);
    writeResults('foundation', { rows, cold, latencies });
    return rows.every((r) => r.target === null || r.value <= r.target);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
