// Builds with electron-vite when out/ is missing or older than the sources, so
// `npm start` and `bin/fleetmind` work straight after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = join(root, 'out', '.build-stamp');
const inputs = ['src', 'resources', 'package.json', 'electron.vite.config.ts'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry.endsWith('.test.ts') || entry.endsWith('.test.tsx')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

export function buildIsCurrent() {
  if (!existsSync(stampFile) || !existsSync(join(root, 'out', 'main', 'cli.js'))) return false;
  const built = statSync(stampFile).mtimeMs;
  return inputs.every((p) => newestMtime(join(root, p)) <= built);
}

export function ensureBuild({ quiet = false } = {}) {
  if (buildIsCurrent()) return;
  if (!quiet) process.stderr.write('fleetmind: building (first run or sources changed)…\n');
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: root,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : ['ignore', 2, 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('fleetmind: the build failed; see the messages above.\n');
    process.exit(1);
  }
  writeFileSync(stampFile, new Date().toISOString());
}
