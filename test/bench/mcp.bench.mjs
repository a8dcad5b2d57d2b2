// MCP server face (issue 20): `list_hosts` through our MCP server over stdio, as an MCP
// client (Claude Desktop, an IDE) calls it: the SDK's client spawning `bin/fleetmind mcp`
// with a fresh data dir. Start-up is measured apart; the target is the per-call latency
// once connected (p50 < 5 ms). Each call goes through the tool runner and is audited.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ensureBuild } from '../../scripts/ensure-build.mjs';
import { percentile, printTable, root, writeResults } from './lib.mjs';

const WARMUP = 30;
const CALLS = Number(process.env.FLEETMIND_BENCH_MCP_CALLS ?? 300);
const TARGET_P50_MS = 5;

export async function run() {
  ensureBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-bench-mcp-'));
  const env = { ...process.env, FLEETMIND_HOME: dataDir };
  delete env.NODE_OPTIONS;
  const transport = new StdioClientTransport({ command: join(root, 'bin', 'fleetmind'), args: ['mcp'], env, stderr: 'ignore' });
  const client = new Client({ name: 'fleetmind-bench', version: '1' });
  try {
    const started = performance.now();
    await client.connect(transport);
    const connectMs = performance.now() - started;
    const call = async () => {
      const result = await client.callTool({ name: 'list_hosts', arguments: {} });
      if (result.isError || !Array.isArray(result.structuredContent?.hosts)) throw new Error(`list_hosts failed: ${JSON.stringify(result)}`);
    };
    for (let i = 0; i < WARMUP; i++) await call();
    const times = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await call();
      times.push(performance.now() - t);
    }
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    const rows = [
      { metric: 'list_hosts over stdio p50', value: p50, unit: 'ms', target: TARGET_P50_MS },
      { metric: 'list_hosts over stdio p99', value: p99, unit: 'ms', target: null },
      { metric: 'connect (spawn + initialize)', value: connectMs, unit: 'ms', target: null },
    ];
    printTable(`mcp (${CALLS} calls after ${WARMUP} warm-up)`, rows);
    writeResults('mcp', { calls: CALLS, rows });
    return p50 <= TARGET_P50_MS;
  } finally {
    await client.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
