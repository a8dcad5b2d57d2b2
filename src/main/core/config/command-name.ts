import { existsSync, realpathSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, relative } from 'node:path';
import { findPackageRoot } from './paths';

function real(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * How an operator runs the Fleetmind CLI from here, for every message that names a
 * command: `fleetmind` when that name on PATH is this Fleetmind (after `npm link` or
 * `npm install -g .`), otherwise the path of the `bin/fleetmind` that runs (relative to
 * the working directory when it is below it: `bin/fleetmind` in a checkout). `npm ci`
 * does not put a package's own bin on PATH, so a bare `fleetmind` would not exist there.
 */
export function fleetmindCommand(
  options: { argv1?: string; cwd?: string; path?: string; packageRoot?: string | null } = {},
): string {
  const argv1 = options.argv1 ?? process.argv[1] ?? '';
  const cwd = options.cwd ?? process.cwd();
  const root = options.packageRoot !== undefined ? options.packageRoot : findPackageRoot(import.meta.url);
  // The launcher that was run (the CLI), else this package's own (the server, the desktop app).
  const bin = basename(argv1) === 'fleetmind' ? argv1 : root ? join(root, 'bin', 'fleetmind') : null;
  if (!bin) return 'fleetmind';
  const target = real(bin);
  for (const dir of (options.path ?? process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, 'fleetmind');
    if (existsSync(candidate) && target !== null && real(candidate) === target) return 'fleetmind';
  }
  const rel = relative(cwd, bin);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.includes('/') ? rel : `./${rel}`;
  return bin;
}

let cached: string | null = null;

/** `fleetmindCommand()` for this process (PATH and working directory are read once). */
export function cliName(): string {
  cached ??= fleetmindCommand();
  return cached;
}

/** `cliName()` for text served over HTTP (pages, API errors): never an absolute path of this machine. */
export function publicCliName(): string {
  const name = cliName();
  return isAbsolute(name) ? 'bin/fleetmind' : name;
}
