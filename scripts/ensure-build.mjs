// Builds with electron-vite when out/ is missing or older than the sources, so
// `npm start` and `bin/fleetmind` work straight after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

const lockDir = join(root, '.build-lock');

/** Waits (bounded) for another process's build; a lock older than ten minutes is a crashed build's and is taken over. */
function takeBuildLock() {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      return;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 10 * 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // the other build just finished
      }
      if (Date.now() > deadline) throw new Error(`fleetmind: another build holds ${lockDir}; remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

export function ensureBuild({ quiet = false } = {}) {
  if (buildIsCurrent()) return;
  // Two processes building into out/ at once leave a broken bundle: one builds, the others wait and re-check.
  takeBuildLock();
  try {
    if (buildIsCurrent()) return;
    buildNow(quiet);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function buildNow(quiet) {
  if (!quiet) process.stderr.write('fleetmind: building (first run or sources changed)…\n');
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: root,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : ['ignore', 2, 'inherit'],
  });
  if (result.status !== 0) {
    process.stderr.write('fleetmind: the build failed; see the messages above.\n');
    rmSync(lockDir, { recursive: true, force: true });
    process.exit(1);
  }
  writeFileSync(stampFile, new Date().toISOString());
}
