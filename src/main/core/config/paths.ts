import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FleetmindPaths {
  /** Data dir: SQLite store, API token, logs. FLEETMIND_HOME wins, else XDG data home. */
  dataDir: string;
  /** User config file (YAML). Lives in the data dir when FLEETMIND_HOME is set, so one env var isolates everything. */
  configFile: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): FleetmindPaths {
  if (env.FLEETMIND_HOME) {
    return { dataDir: env.FLEETMIND_HOME, configFile: join(env.FLEETMIND_HOME, 'config.yaml') };
  }
  const home = env.HOME || homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, '.local', 'share');
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  return {
    dataDir: join(dataHome, 'fleetmind'),
    configFile: join(configHome, 'fleetmind', 'config.yaml'),
  };
}

/** The directory holding Fleetmind's package.json, found upward from a module URL (works from src and from out/). */
export function findPackageRoot(fromUrl: string): string | null {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'fleetmind') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
