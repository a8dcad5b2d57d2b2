import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Builds once if out/ is missing or stale (the same check `npm start` uses). */
export function ensureBuilt(): void {
  execFileSync(process.execPath, ['-e', `import(${JSON.stringify(join(repoRoot, 'scripts', 'ensure-build.mjs'))}).then(m => m.ensureBuild({ quiet: true }))`], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(join(repoRoot, 'out', 'main', 'cli.js'))) throw new Error('build did not produce out/main/cli.js');
}
