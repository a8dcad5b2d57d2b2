// MCP client benchmark (issue 20): the client's overhead over a direct SDK call.
//   the same echo tool of the fixture server (stdio), called N times:
//   directly with the SDK's Client, and through Fleetmind (ToolRunner → McpClientManager:
//   safety policy, pinned definition, audit rows, output cap)                   target < 2 ms (p50 difference)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, printTable, root, writeResults } from './lib.mjs';

async function load(path) {
  const { runnerImport } = await import('vite');
  return (await runnerImport(join(root, path), { configFile: false, logLevel: 'silent' })).module;
}

const FIXTURE = join(root, 'test', 'fixtures', 'mcp-servers', 'fixture-server.mjs');
const CALLS = 300;
const WARMUP = 30;

async function timeCalls(call) {
  const times = [];
  for (let i = 0; i < CALLS + WARMUP; i++) {
    const t = performance.now();
    await call(i);
    if (i >= WARMUP) times.push(performance.now() - t);
  }
  return times;
}

export async function run() {
  const rows = [];
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [FIXTURE], stderr: 'ignore' }));
  await client.listTools();
  let direct;
  try {
    direct = await timeCalls((i) => client.callTool({ name: 'echo', arguments: { text: `call ${i}` } }));
  } finally {
    await client.close();
  }

  const home = mkdtempSync(join(tmpdir(), 'fm-bench-mcp-'));
  writeFileSync(join(home, 'config.yaml'), JSON.stringify({ mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } } }));
  const { Core } = await load('src/main/core/compose.ts');
  const { MemorySecretStore } = await load('src/main/core/secrets/index.ts');
  const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
  let viaRunner;
  let viaManager;
  try {
    await core.ready();
    await core.startMcp();
    core.mcp.setTrust('fixture', true, 'bench');
    const first = await core.tools.call('fixture__echo', { text: 'x' }, { requester: 'bench' });
    if (!first.record.ok) throw new Error(`the echo call failed: ${first.text} ${JSON.stringify(core.mcp.status().map((s) => [s.state, s.error]))}`);
    viaManager = await timeCalls((i) => core.mcp.call('fixture__echo', { text: `call ${i}` }, { requester: 'bench' }));
    viaRunner = await timeCalls((i) => core.tools.call('fixture__echo', { text: `call ${i}` }, { requester: 'bench' }));
  } finally {
    await core.close();
    rmSync(home, { recursive: true, force: true });
  }
  const p50 = (v) => percentile(v, 50);
  rows.push({ metric: `direct SDK callTool (p50 of ${CALLS})`, value: p50(direct), unit: 'ms', target: null });
  rows.push({ metric: 'McpClientManager.call (p50)', value: p50(viaManager), unit: 'ms', target: null });
  rows.push({ metric: 'ToolRunner.call, as the agent calls it (p50)', value: p50(viaRunner), unit: 'ms', target: null });
  rows.push({ metric: 'client overhead over the direct SDK call (manager, p50 difference)', value: Math.max(0, p50(viaManager) - p50(direct)), unit: 'ms', target: 2 });
  rows.push({ metric: 'overhead through the tool runner (p50 difference)', value: Math.max(0, p50(viaRunner) - p50(direct)), unit: 'ms', target: 2 });
  printTable('mcp-client', rows);
  writeResults('mcp-client', { rows });
  return rows.every((r) => r.target === null || r.value <= r.target);
}
