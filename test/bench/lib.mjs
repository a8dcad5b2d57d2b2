import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** rows: {metric, value, unit, target|null}; a target is a maximum. */
export function printTable(name, rows) {
  const fmt = (v) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : String(v));
  const lines = rows.map((r) => [r.metric, `${fmt(r.value)} ${r.unit}`, r.target === null || r.target === undefined ? '' : `< ${fmt(r.target)} ${r.unit}`, r.target === null || r.target === undefined ? '' : r.value <= r.target ? 'PASS' : 'MISS']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['metric', 'value', 'target', ''], ...lines].map((l) => l[i].length)));
  const out = [`\n== ${name} ==`, ...[['metric', 'value', 'target', ''], ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i])).join('  '))];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function writeResults(name, data) {
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, at: new Date().toISOString(), ...data }, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
}

/** Starts the built server as a user would (the bin, so its Node flags apply) and resolves with its URL. */
export async function startBinServer(env) {
  const child = spawn(join(root, 'bin', 'fleetmind'), ['serve', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.event === 'listening') {
          clearTimeout(timer);
          resolve(msg.url);
        }
      } catch {}
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url };
}
