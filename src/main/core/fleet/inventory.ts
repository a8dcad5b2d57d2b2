import { hostname } from 'node:os';
import type { Host } from '../../../shared/protocol';
import type { HostKeyRepository, HostRepository } from '../store';
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

  /** Fleetmind's known_hosts (operator-confirmed host keys), kept beside the inventory. */
  get hostKeys(): HostKeyRepository {
    return this.repo.keys;
  }

  /** A host by exact name (localhost included). */
  get(name: string): Host | null {
    if (name === LOCAL_HOST_NAME) return localHost();
    return this.repo.get(name);
  }

  /** Hosts stored in the inventory (reached over SSH), without the built-in localhost. */
  stored(): Host[] {
    return this.repo.list().filter((h) => h.name !== LOCAL_HOST_NAME);
  }

  /** Adds or replaces a stored host. `localhost` is built in and cannot be redefined. */
  upsert(host: Omit<Host, 'transport'>): Host {
    if (host.name.toLowerCase() === LOCAL_HOST_NAME) {
      throw new Error(`"${LOCAL_HOST_NAME}" is the built-in local machine; give the SSH host another name`);
    }
    this.repo.upsert(host);
    return { ...host, transport: 'ssh' };
  }

  remove(name: string): boolean {
    return this.repo.remove(name);
  }

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
