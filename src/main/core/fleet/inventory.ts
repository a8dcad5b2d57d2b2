import { hostname } from 'node:os';
import type { Host } from '../../../shared/protocol';
import type { HostRepository } from '../store';
import { selectHosts } from './selector';

export const LOCAL_HOST_NAME = 'localhost';

/** The built-in first fleet member: this machine, reached without SSH. */
export function localHost(): Host {
  return {
    name: LOCAL_HOST_NAME,
    address: '127.0.0.1',
    port: 0,
    user: null,
    identityFile: null,
    tags: ['local'],
    jump: null,
    privacy: 'default',
    transport: 'local',
  };
}

/** Stored hosts plus the local machine. The local machine answers to its own hostname too. */
export class Inventory {
  constructor(private readonly repo: HostRepository) {}

  list(): Host[] {
    const stored = this.repo.list().filter((h) => h.name !== LOCAL_HOST_NAME);
    return [localHost(), ...stored];
  }

  /** Resolves a selector; the machine's own hostname is an alias for localhost. */
  select(selector: string): Host[] {
    const own = hostname().toLowerCase();
    const normalised = selector
      .split(',')
      .map((t) => {
        const term = t.trim();
        const neg = term.startsWith('!');
        const bare = neg ? term.slice(1) : term;
        const stored = this.repo.get(bare);
        return !stored && bare.toLowerCase() === own ? `${neg ? '!' : ''}${LOCAL_HOST_NAME}` : term;
      })
      .join(',');
    return selectHosts(normalised, this.list());
  }
}
