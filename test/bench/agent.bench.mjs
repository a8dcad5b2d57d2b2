// Agent benchmarks (issue 5):
//   agent overhead per turn, excluding model time (in-process core, scripted model)  target < 5 ms
//   pruning a 200-turn conversation into a small window                              target < 50 ms
//   20 concurrent streamed chats through the built HTTP server and the scripted
//   OpenAI-compatible server: every token and event arrives                           target: 0 lost
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, printTable, root, startBinServer, writeResults } from './lib.mjs';

async function load(path) {
  const { runnerImport } = await import('vite');
  return (await runnerImport(join(root, path), { configFile: false, logLevel: 'silent' })).module;
}

function conversation(turns) {
  const messages = [{ role: 'system', content: 'You are Fleetmind.' }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: `question ${i}: how is web-${i} doing today, anything unusual?` });
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: `c${i}`, type: 'function', function: { name: 'server_status', arguments: `{"host":"web-${i}"}` } }] });
    messages.push({ role: 'tool', tool_call_id: `c${i}`, content: `Host: web-${i}\nLoad average: 0.${i % 10} 0.5 0.4\n`.repeat(20) });
    messages.push({ role: 'assistant', content: `web-${i} looks fine: load 0.${i % 10}, memory at 40%, disks below 70%.` });
  }
  messages.push({ role: 'user', content: 'and the database?' });
  return messages;
}

async function sseChat(url, message) {
  const res = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message, stream: true }) });
  const text = await res.text();
  const events = text.split('\n\n').filter((b) => b.includes('data: ')).map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)));
  return events;
}

export async function run() {
  const rows = [];
  const { pruneToFit } = await load('src/main/core/agent/context.ts');
  const messages = conversation(200);
  const pruneTimes = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    pruneToFit(messages, messages.length - 1, 4000);
    pruneTimes.push(performance.now() - t);
  }
  rows.push({ metric: 'prune 200-turn conversation (p50 of 15, after warm-up)', value: percentile(pruneTimes.slice(3), 50), unit: 'ms', target: 50 });

  const { startLlmServer } = await load('test/fixtures/llm-server/index.ts');
  const { Core } = await load('src/main/core/compose.ts');
  const { MemorySecretStore } = await load('src/main/core/secrets/index.ts');
  const llm = await startLlmServer({ scenario: [{ respond: { text: 'All good on every host I checked, nothing to do.' } }] });
  const home = mkdtempSync(join(tmpdir(), 'fm-bench-agent-'));
  try {
    writeFileSync(join(home, 'config.yaml'), `llm:\n  providers:\n    - name: scripted\n      baseURL: ${llm.baseURL}\n      local: true\n  models:\n    chat: scripted/gpt-4o-mini\n`);
    const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
    const overheads = [];
    let conversationId;
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      const response = await core.chat({ message: `turn ${i}: anything to report?`, conversationId });
      const wall = performance.now() - t;
      conversationId = response.conversationId;
      const modelMs = core.store.db.prepare('SELECT latency_ms AS l FROM llm_calls ORDER BY rowid DESC LIMIT 1').get().l;
      if (i >= 5) overheads.push(wall - modelMs);
    }
    await core.close();
    rows.push({ metric: 'agent overhead per turn excl. model (p50, 35 turns)', value: percentile(overheads, 50), unit: 'ms', target: 5 });
    rows.push({ metric: 'agent overhead per turn excl. model (p95)', value: percentile(overheads, 95), unit: 'ms', target: null });

    // 20 concurrent streamed chats through the real built server.
    llm.setScenario([{ respond: { text: 'word '.repeat(200).trim(), chunkSize: 5, chunkDelayMs: 2 } }]);
    const serverHome = mkdtempSync(join(tmpdir(), 'fm-bench-sse-'));
    const { child, url } = await startBinServer({ FLEETMIND_HOME: serverHome, OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' });
    try {
      const t = performance.now();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sseChat(url, `stream ${i}`)));
      const wall = performance.now() - t;
      let lost = 0;
      for (const events of results) {
        const done = events.find((e) => e.type === 'done');
        const tokens = events.filter((e) => e.type === 'token').map((e) => e.text).join('');
        if (!done || tokens !== done.response.reply || done.response.reply !== 'word '.repeat(200).trim()) lost++;
      }
      rows.push({ metric: '20 concurrent streamed chats: chats with lost events', value: lost, unit: '', target: 0 });
      rows.push({ metric: '20 concurrent streamed chats: wall time', value: wall, unit: 'ms', target: null });
    } finally {
      child.kill('SIGTERM');
      rmSync(serverHome, { recursive: true, force: true });
    }
  } finally {
    await llm.stop();
    rmSync(home, { recursive: true, force: true });
  }
  printTable('agent', rows);
  writeResults('agent', { rows });
  return rows.every((r) => r.target === null || r.value <= r.target);
}
