// How promptly Ctrl-C ends a chat that waits on a host which accepts TCP but never
// answers the SSH handshake (issue "operator's workflow", item 5): time from SIGINT to
// the process's exit, with a connect timeout (1 h) that cannot be what ends it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, printTable, root, writeResults } from './lib.mjs';

const ROUNDS = 5;
const bin = join(root, 'out', 'main', 'cli.js');

export async function run() {
  const sockets = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    s.resume();
  });
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  const dir = mkdtempSync(join(tmpdir(), 'fm-hungbench-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'config.yaml'), 'ssh:\n  connectTimeoutSeconds: 3600\n');
  const env = { ...process.env, FLEETMIND_HOME: dataDir, HOME: dir };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  delete env.SSH_AUTH_SOCK;
  try {
    spawnSync(process.execPath, [bin, 'hosts', 'add', 'hung-1', '--address', '127.0.0.1', '--port', String(port), '--user', 'root'], { env });
    const delays = [];
    for (let i = 0; i < ROUNDS; i++) {
      const before = sockets.length;
      const chat = spawn(process.execPath, [bin, 'chat', '--host', 'hung-1', 'show server status'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
      const exited = new Promise((resolve) => chat.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      while (sockets.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (sockets.length === before) throw new Error('the chat never connected to the hung host');
      const t = performance.now();
      chat.kill('SIGINT');
      const code = await exited;
      delays.push(performance.now() - t);
      if (code !== 130) throw new Error(`chat exited ${code} after SIGINT, not 130`);
    }
    printTable('Ctrl-C of a chat waiting on a hung SSH handshake', [
      { metric: 'SIGINT to exit, p50', value: percentile(delays, 50), unit: 'ms', target: 500 },
      { metric: 'SIGINT to exit, max', value: Math.max(...delays), unit: 'ms' },
    ]);
    writeResults('hung-host', { delaysMs: delays });
    return percentile(delays, 50) <= 500;
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
