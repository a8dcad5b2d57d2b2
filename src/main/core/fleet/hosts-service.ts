import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { HostNameSchema, PrivacySchema, type ExecResultLine, type Host } from '../../../shared/protocol';
import { fanOut, type FanOutRequest } from './fan-out';
import type { Fleet, HostKeyScan } from './fleet';
import { parseAnsibleInventory } from './import/ansible';
import { parseSshConfig, type HostKeySources, type ImportedHost, type ImportResult } from './import/ssh-config';
import { defaultKnownHostsFiles } from './ssh/host-keys';
import { knownHostsName } from './ssh/known-hosts';
import { hostKeysFor, readKnownHostsChecked, type CheckedKnownHosts, type FoundHostKey } from './ssh/known-hosts-files';
import { LOCAL_HOST_NAME } from './inventory';
import { parseJumpSpec } from './ssh/pool';
import { publicCliName } from '../config';

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

/** What `hosts import --ssh-config` found out about an imported host's key. */
export interface ImportedHostKey {
  host: string;
  /** `[address]:port` (or the address on port 22): what Fleetmind checks the key under. */
  endpoint: string;
  /** Keys on record for the host (file:line each); empty: it stays host_key_unknown until `hosts trust`. */
  keys: { keyType: string; fingerprint: string; source: string }[];
  /** Recorded in Fleetmind's store from a file the config names (true), or read live from the default known_hosts files (false). */
  recorded: boolean;
}

export interface ImportSummary {
  added: string[];
  updated: string[];
  warnings: string[];
  /** ssh_config imports: each imported host's key as the config's known_hosts files list it. */
  hostKeys?: ImportedHostKey[];
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
    if (!host) throw new FleetRequestError('not_found', `no host named "${name}" (${publicCliName()} hosts list shows the inventory)`);
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
    if (kind === 'ssh-config') summary.hostKeys = this.importHostKeys(valid, (result as ImportResult).hostKeySources ?? {}, summary.warnings);
    this.fleet.audit.record({
      kind: 'settings',
      actor: 'operator',
      subject: `hosts.import.${kind}`,
      data: {
        file: options.file ?? null,
        added: summary.added,
        updated: summary.updated,
        ...(summary.hostKeys ? { hostKeys: summary.hostKeys.filter((k) => k.recorded).map((k) => ({ host: k.host, endpoint: k.endpoint, keys: k.keys })) } : {}),
      },
    });
    return summary;
  }

  /**
   * Host keys from the imported config's UserKnownHostsFile/GlobalKnownHostsFile, as
   * OpenSSH would look them up (per host, several files, hashed and `[host]:port`
   * entries, HostKeyAlias). Keys from files the config names are recorded in Fleetmind's
   * store so the hosts work at once; the default files (~/.ssh/known_hosts, …) are read at
   * every connection anyway. Refused files (/dev/null, world-writable) give no keys: their
   * hosts stay host_key_unknown, and a warning says why.
   */
  private importHostKeys(hosts: readonly ImportedHost[], sources: Record<string, HostKeySources>, warnings: string[]): ImportedHostKey[] {
    const home = homedir();
    const live = new Set(this.fleet.sshPool.options.knownHostsFiles);
    const [defaultUser, defaultGlobal] = [defaultKnownHostsFiles(home).slice(0, 2), defaultKnownHostsFiles(home).slice(2)];
    const files = new Map<string, CheckedKnownHosts>();
    const refusedFor = new Map<string, { keyword: string; reason: string; hosts: string[] }>();
    const out: ImportedHostKey[] = [];
    for (const h of hosts) {
      const src = sources[h.name];
      const endpoint = knownHostsName(h.address, h.port);
      const lookupName = src?.hostKeyAlias ?? endpoint;
      const listed: [keyword: string, path: string][] = [
        ...(src?.userKnownHostsFiles ?? defaultUser).map((p): [string, string] => ['UserKnownHostsFile', p]),
        ...(src?.globalKnownHostsFiles ?? defaultGlobal).map((p): [string, string] => ['GlobalKnownHostsFile', p]),
      ];
      const keys = new Map<string, FoundHostKey & { fromConfig: boolean }>();
      for (const [keyword, path] of listed) {
        let checked = files.get(path);
        if (!checked) files.set(path, (checked = readKnownHostsChecked(path, home)));
        if (checked.status === 'refused') {
          const r = refusedFor.get(path) ?? { keyword, reason: checked.reason, hosts: [] };
          if (!r.hosts.includes(h.name)) r.hosts.push(h.name);
          refusedFor.set(path, r);
          continue;
        }
        if (checked.status !== 'ok') continue;
        for (const k of hostKeysFor(checked.entries, lookupName)) if (!keys.has(k.keyBase64)) keys.set(k.keyBase64, { ...k, fromConfig: !live.has(path) });
      }
      const found = [...keys.values()];
      const toRecord = found.filter((k) => k.fromConfig);
      if (toRecord.length > 0) {
        const dropped = this.fleet.inventory.hostKeys.replaceAll(
          endpoint,
          toRecord.map((k) => ({ hostName: h.name, keyType: k.keyType, keyBase64: k.keyBase64, fingerprint: k.fingerprint, addedBy: `hosts import from ${k.source}` })),
        );
        if (dropped.length) warnings.push(`${h.name}: the key(s) Fleetmind had for ${endpoint} (${dropped.join(', ')}) were replaced by the imported known_hosts entries`);
        this.fleet.sshPool.resetBackoff(h.name);
      }
      out.push({ host: h.name, endpoint, keys: found.map((k) => ({ keyType: k.keyType, fingerprint: k.fingerprint, source: k.source })), recorded: toRecord.length > 0 });
    }
    const keyless = new Set(out.filter((k) => k.keys.length === 0).map((k) => k.host));
    for (const [path, r] of refusedFor) {
      // /dev/null beside real files only means "no global list": worth a word only where it left a host without keys.
      const names = path === '/dev/null' ? r.hosts.filter((n) => keyless.has(n)) : r.hosts;
      if (names.length) warnings.push(`${r.keyword} ${path} not used for ${names.join(', ')}: ${r.reason}`);
    }
    return out;
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
