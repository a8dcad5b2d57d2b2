import { createRequire } from 'node:module';

type Ssh2 = typeof import('ssh2');

let loaded: Ssh2 | null = null;

/**
 * ssh2, loaded the first time a host is reached over SSH: it takes ~40 ms to load (its
 * crypto and protocol modules), which every CLI command that opens the core would pay,
 * including `fleetmind exec --hosts localhost` that never opens a connection (bench: cli).
 */
export function ssh2(): Ssh2 {
  loaded ??= createRequire(import.meta.url)('ssh2') as Ssh2;
  return loaded;
}
