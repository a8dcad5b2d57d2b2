import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Host } from '../../../../shared/protocol';

export type ImportedHost = Omit<Host, 'transport'>;

/** Where OpenSSH would look up a host's key (ssh_config UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias). */
export interface HostKeySources {
  /** Absolute paths (`~` and %-tokens expanded); null when the config does not set the keyword (OpenSSH's defaults apply). */
  userKnownHostsFiles: string[] | null;
  globalKnownHostsFiles: string[] | null;
  /** The name looked up in known_hosts instead of `[HostName]:Port`. */
  hostKeyAlias: string | null;
}

export interface ImportResult {
  hosts: ImportedHost[];
  /** Per imported host name (ssh_config only). */
  hostKeySources?: Record<string, HostKeySources>;
  /** Things that were skipped or simplified, one sentence each. */
  warnings: string[];
}

interface Block {
  /** Host patterns (`web-*`, `!bastion`, `db1`); null for a Match block (not supported: skipped). */
  patterns: string[] | null;
  options: [keyword: string, value: string, where: string][];
}

/** Splits an ssh_config line into keyword and value (`Key value`, `Key=value`, quoted values). */
function splitLine(line: string): [string, string] | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(line);
  if (!m) return null;
  return [(m[1] as string).toLowerCase(), m[2] as string];
}

/** Words of a value, honouring double quotes (`IdentityFile "~/my keys/id"`). */
function words(value: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) out.push(m[1] ?? (m[2] as string));
  return out;
}

function patternMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** OpenSSH Host matching: some positive pattern matches and no negated one does. */
function blockMatches(patterns: string[], name: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (patternMatch(p.slice(1), name)) return false;
    } else if (patternMatch(p, name)) hit = true;
  }
  return hit;
}

const isConcrete = (pattern: string) => !/[*?!]/.test(pattern);

interface ParseContext {
  home: string;
  depth: number;
  warnings: string[];
}

function expandInclude(pattern: string, baseDir: string, home: string): string[] {
  const path = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : isAbsolute(pattern) ? pattern : join(baseDir, pattern);
  if (!/[*?]/.test(basename(path))) return existsSync(path) ? [path] : [];
  const dir = dirname(path);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => patternMatch(basename(path), f))
    .sort()
    .map((f) => join(dir, f));
}

function parseBlocks(text: string, file: string, ctx: ParseContext, blocks: Block[]): void {
  // Lines before the first Host/Match apply to every host.
  let current: Block = blocks[blocks.length - 1] ?? { patterns: ['*'], options: [] };
  if (blocks.length === 0) blocks.push(current);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) return;
    const kv = splitLine(line);
    const where = `${file}:${i + 1}`;
    if (!kv) {
      ctx.warnings.push(`${where}: cannot read "${raw.trim()}"; skipped`);
      return;
    }
    const [keyword, value] = kv;
    if (keyword === 'host') {
      current = { patterns: words(value), options: [] };
      blocks.push(current);
    } else if (keyword === 'match') {
      ctx.warnings.push(`${where}: Match blocks are not supported; its settings were skipped`);
      current = { patterns: null, options: [] };
      blocks.push(current);
    } else if (keyword === 'include') {
      if (ctx.depth >= 8) {
        ctx.warnings.push(`${where}: Include nested too deeply; skipped`);
        return;
      }
      for (const pattern of words(value)) {
        for (const included of expandInclude(pattern, join(ctx.home, '.ssh'), ctx.home)) {
          // An included file's lines belong to the block that contains the Include.
          const sub: Block[] = [current];
          parseBlocks(readFileSync(included, 'utf8'), included, { ...ctx, depth: ctx.depth + 1 }, sub);
          blocks.push(...sub.slice(1));
          current = blocks[blocks.length - 1] as Block;
        }
      }
    } else {
      current.options.push([keyword, value, where]);
    }
  });
}

function expandTokens(value: string, alias: string, hostName: string, remoteUser: string | null, home: string, port = 22, keyAlias: string | null = null): string {
  return value.replace(/%([%dhknpru])/g, (_m, t: string) => {
    switch (t) {
      case 'k':
        return keyAlias ?? hostName;
      case 'p':
        return String(port);
      case '%':
        return '%';
      case 'd':
        return home;
      case 'h':
        return hostName;
      case 'n':
        return alias;
      case 'r':
        return remoteUser ?? userInfo().username;
      case 'u':
        return userInfo().username;
      default:
        return '';
    }
  });
}

/**
 * Reads OpenSSH client configuration (ssh_config(5)): every concrete name on a `Host`
 * line becomes an inventory host; blocks whose patterns have wildcards or negations
 * (`Host *`, `Host web-*`) are applied to the hosts they match, as defaults, never added
 * as hosts. As in OpenSSH the first value obtained for a keyword wins. Used keywords:
 * HostName (%h), Port, User, IdentityFile (the first one; ~ and %d/%h/%r/%u expanded),
 * ProxyJump, and where the host's key is on record: UserKnownHostsFile and
 * GlobalKnownHostsFile (several files each; ~ and %-tokens expanded), HostKeyAlias
 * (`hostKeySources`). `Include` is followed; `Match` blocks and ProxyCommand are reported as
 * warnings.
 */
export function parseSshConfig(text: string, options: { file?: string; home?: string } = {}): ImportResult {
  const home = options.home ?? homedir();
  const ctx: ParseContext = { home, depth: 0, warnings: [] };
  const blocks: Block[] = [];
  parseBlocks(text, options.file ?? 'ssh_config', ctx, blocks);

  const aliases: string[] = [];
  for (const b of blocks) for (const p of b.patterns ?? []) if (isConcrete(p) && !aliases.includes(p)) aliases.push(p);

  const hosts: ImportedHost[] = [];
  const hostKeySources: Record<string, HostKeySources> = {};
  const warned = new Set<string>();
  for (const alias of aliases) {
    const settings = new Map<string, string>();
    for (const b of blocks) {
      if (!b.patterns || !blockMatches(b.patterns, alias)) continue;
      for (const [keyword, value, where] of b.options) {
        if (!settings.has(keyword)) settings.set(keyword, value);
        if ((keyword === 'proxycommand' || keyword === 'remotecommand') && !warned.has(where)) {
          warned.add(where);
          ctx.warnings.push(`${where}: ${keyword === 'proxycommand' ? 'ProxyCommand' : 'RemoteCommand'} is not supported (use ProxyJump); ignored`);
        }
      }
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(alias)) {
      ctx.warnings.push(`Host "${alias}": not a usable host name (letters, digits, dot, dash, underscore); skipped`);
      continue;
    }
    const user = settings.get('user') ? (words(settings.get('user') as string)[0] ?? null) : null;
    const hostNameRaw = settings.get('hostname');
    const hostName = hostNameRaw ? expandTokens(words(hostNameRaw)[0] ?? alias, alias, alias, user, home) : alias;
    const portRaw = settings.get('port');
    const port = portRaw ? Number(portRaw) : 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.warnings.push(`Host ${alias}: invalid Port "${portRaw}"; skipped`);
      continue;
    }
    let identityFile: string | null = null;
    const identityRaw = settings.get('identityfile');
    if (identityRaw && identityRaw.toLowerCase() !== 'none') {
      const first = expandTokens(words(identityRaw)[0] ?? '', alias, hostName, user, home);
      identityFile = first.startsWith('~/') ? join(home, first.slice(2)) : first;
    }
    let jump: string | null = null;
    const jumpRaw = settings.get('proxyjump');
    if (jumpRaw && jumpRaw.toLowerCase() !== 'none') {
      const hops = jumpRaw.split(',').map((h) => h.trim().replace(/^ssh:\/\//, ''));
      jump = hops[hops.length - 1] ?? null;
      if (hops.length > 1) ctx.warnings.push(`Host ${alias}: multi-hop ProxyJump ${jumpRaw}; using ${jump} (give ${jump} its own jump host for the earlier hops)`);
    }
    hosts.push({ name: alias, address: hostName, port, user, identityFile, tags: [], jump, privacy: 'default' });
    const keyAliasRaw = settings.get('hostkeyalias');
    const hostKeyAlias = keyAliasRaw && keyAliasRaw.toLowerCase() !== 'none' ? (words(keyAliasRaw)[0] ?? null) : null;
    const files = (keyword: string): string[] | null => {
      const raw = settings.get(keyword);
      if (raw === undefined) return null;
      if (raw.toLowerCase() === 'none') return [];
      return words(raw).map((w) => {
        const expanded = expandTokens(w, alias, hostName, user, home, port, hostKeyAlias);
        return expanded === '~' ? home : expanded.startsWith('~/') ? join(home, expanded.slice(2)) : isAbsolute(expanded) ? expanded : resolve(expanded);
      });
    };
    hostKeySources[alias] = { userKnownHostsFiles: files('userknownhostsfile'), globalKnownHostsFiles: files('globalknownhostsfile'), hostKeyAlias };
  }
  return { hosts, warnings: ctx.warnings, hostKeySources };
}
