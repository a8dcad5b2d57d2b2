import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { HostNameSchema, PrivacySchema, type ExecResultLine, type Host } from '../../../shared/protocol';
import { fanOut, type FanOutRequest } from './fan-out';
import type { Fleet, HostKeyScan } from './fleet';
import { parseAnsibleInventory } from './import/ansible';
import { parseSshConfig, type ImportedHost } from './import/ssh-config';
import { LOCAL_HOST_NAME } from './inventory';
import { parseJumpSpec } from './ssh/pool';

const TagSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'tags use letters, digits, dot, dash and underscore');

/** What `hosts add` and `POST /api/hosts` accept (everything but name and address has a default). */
export const HostInputSchema = z
  .object({
    name: HostNameSchema,
    address: z.string().min(1).max(253).regex(/^[^\s/@]+$/, 'an address is a host name or IP address, without user@ or spaces'),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1).max(64).regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'not a valid user name').nullable().default(null),
    identityFile: z.string().min(1).max(4096).nullable().default(null),
    tags: z.array(TagSchema).max(64).default([]),
    jump: z.string().min(1).max(300).nullable().default(null),
    privacy: PrivacySchema.default('default'),
  })
  .strict();
export type HostInput = z.input<typeof HostInputSchema>;

export class FleetRequestError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'FleetRequestError';
  }
}

function absoluteIdentity(path: string | null): string | null {
  if (!path) return null;
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(path);
}

export interface ImportSummary {
  added: string[];
  updated: string[];
  warnings: string[];
}

/**
 * Inventory operations shared by every face (CLI `hosts ...`, HTTP `/api/hosts`, later
 * the UI): validation, import, host key confirmation and fan-out. Faces only parse
 * their input and print the result.
 */
export class FleetHosts {
  constructor(private readonly fleet: Fleet) {}

  list(): Host[] {
    return this.fleet.inventory.list();
  }

  get(name: string): Host {
    const host = this.fleet.inventory.get(name);
    if (!host) throw new FleetRequestError('not_found', `no host named "${name}" (fleetmind hosts list shows the inventory)`);
    return host;
  }

  add(input: unknown): Host {
    const parsed = HostInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new FleetRequestError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'host'}: ${i.message}`).join('; '));
    }
    const h = parsed.data;
    if (h.name.toLowerCase() === LOCAL_HOST_NAME) throw new FleetRequestError('bad_request', `"${LOCAL_HOST_NAME}" is the built-in local machine; choose another name`);
    if (h.jump) {
      if (h.jump === h.name) throw new FleetRequestError('bad_request', 'a host cannot be its own jump host');
      if (!this.fleet.inventory.get(h.jump) && !parseJumpSpec(h.jump)) {
        throw new FleetRequestError('bad_request', `jump host "${h.jump}" is neither an inventory host nor [user@]host[:port]`);
      }
    }
    const host = this.fleet.inventory.upsert({ ...h, identityFile: absoluteIdentity(h.identityFile), tags: [...new Set(h.tags)] });
    void this.fleet.forget(host.name);
    this.fleet.audit.record({ kind: 'settings', actor: 'operator', host: host.name, subject: 'hosts.add', data: { ...host } });
    return host;
  }

  async remove(name: string): Promise<void> {
    if (name === LOCAL_HOST_NAME) throw new FleetRequestError('bad_request', `"${LOCAL_HOST_NAME}" is built in and cannot be removed`);
    if (!this.fleet.inventory.remove(name)) throw new FleetRequestError('not_found', `no host named "${name}"`);
    this.fleet.audit.record({ kind: 'settings', actor: 'operator', host: name, subject: 'hosts.remove' });
    await this.fleet.forget(name);
  }

  /** Adds or updates every host found; nothing is removed. */
  import(kind: 'ssh-config' | 'ansible', text: string, options: { file?: string; format?: 'ini' | 'yaml' } = {}): ImportSummary {
    let result;
    try {
      result = kind === 'ssh-config' ? parseSshConfig(text, { file: options.file }) : parseAnsibleInventory(text, { format: options.format });
    } catch (err) {
      throw new FleetRequestError('bad_request', (err as Error).message);
    }
    const summary: ImportSummary = { added: [], updated: [], warnings: [...result.warnings] };
    const valid: ImportedHost[] = [];
    for (const h of result.hosts) {
      if (h.name.toLowerCase() === LOCAL_HOST_NAME) {
        summary.warnings.push(`"${h.name}" is the built-in local machine; skipped`);
        continue;
      }
      const parsed = HostInputSchema.safeParse(h);
      if (!parsed.success) {
        summary.warnings.push(`${h.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; skipped`);
        continue;
      }
      valid.push({ ...parsed.data, identityFile: absoluteIdentity(parsed.data.identityFile) });
    }
    for (const h of valid) {
      const existed = this.fleet.inventory.get(h.name) !== null;
      this.fleet.inventory.upsert(h);
      void this.fleet.forget(h.name);
      (existed ? summary.updated : summary.added).push(h.name);
    }
    this.fleet.audit.record({ kind: 'settings', actor: 'operator', subject: `hosts.import.${kind}`, data: { file: options.file ?? null, added: summary.added, updated: summary.updated } });
    return summary;
  }

  hostKey(name: string, signal?: AbortSignal): Promise<HostKeyScan> {
    return this.fleet.scanHostKey(this.get(name), signal);
  }

  async trust(name: string, fingerprint: string | null, addedBy: string) {
    const result = await this.fleet.trustHostKey(this.get(name), fingerprint, addedBy);
    this.fleet.audit.record({ kind: 'settings', actor: addedBy, host: name, subject: 'hosts.trust', data: { fingerprint } });
    return result;
  }

  /** Runs one command on the selected hosts through the safety gate (the API's `exec`). */
  exec(selector: string, request: Omit<FanOutRequest, 'command'> & { command: string }): Promise<ExecResultLine[]> {
    const hosts = this.fleet.inventory.select(selector);
    return fanOut(this.fleet, this.fleet.gate, hosts, request);
  }
}
