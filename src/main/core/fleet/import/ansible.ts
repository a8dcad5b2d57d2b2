import { createRequire } from 'node:module';
import type { ImportedHost, ImportResult } from './ssh-config';

type Vars = Record<string, string>;

interface Group {
  name: string;
  hosts: Map<string, Vars>;
  vars: Vars;
  children: Set<string>;
}

class InventoryModel {
  readonly groups = new Map<string, Group>();
  /** Order hosts were first seen in. */
  readonly hostOrder: string[] = [];

  group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: new Map(), vars: {}, children: new Set() };
      this.groups.set(name, g);
    }
    return g;
  }

  addHost(group: string, host: string, vars: Vars): void {
    const g = this.group(group);
    g.hosts.set(host, { ...(g.hosts.get(host) ?? {}), ...vars });
    if (!this.hostOrder.includes(host)) this.hostOrder.push(host);
  }
}

/** `web[01:03].x`, `db-[a:c]`, `n[0:10:5]` → every name (ranges may repeat in one pattern). */
export function expandHostPattern(pattern: string): string[] {
  const m = /^(.*?)\[([^\]:]+):([^\]:]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, from, to, stepRaw, tail] = m as unknown as [string, string, string, string, string | undefined, string];
  const step = stepRaw ? Number(stepRaw) : 1;
  const out: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.length > 1 && from.startsWith('0') ? from.length : 0;
    for (let i = Number(from); i <= Number(to) && out.length < 10_000; i += step) {
      out.push(`${head}${String(i).padStart(width, '0')}`);
    }
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step) out.push(`${head}${String.fromCharCode(c)}`);
  } else {
    return [pattern];
  }
  return out.flatMap((prefix) => expandHostPattern(`${prefix}${tail}`));
}

/** `a=1 b='two words' c="x"` → vars (quotes removed). */
function parseKeyValues(text: string): Vars {
  const vars: Vars = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    let value = m[2] as string;
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    vars[m[1] as string] = value;
  }
  return vars;
}

function parseIni(text: string, model: InventoryModel, warnings: string[]): void {
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      kind = (header[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      model.group(section);
      return;
    }
    if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        warnings.push(`line ${i + 1}: expected key=value in [${section}:vars]; skipped`);
        return;
      }
      Object.assign(model.group(section).vars, parseKeyValues(`${line.slice(0, eq).trim()}=${line.slice(eq + 1).trim()}`));
      return;
    }
    if (kind === 'children') {
      model.group(section).children.add(line.split(/\s+/)[0] as string);
      model.group(line.split(/\s+/)[0] as string);
      return;
    }
    const [pattern, ...rest] = line.split(/\s+/);
    const vars = parseKeyValues(rest.join(' '));
    for (const name of expandHostPattern(pattern as string)) model.addHost(section, name, vars);
  });
}

function yamlVars(value: unknown): Vars {
  const vars: Vars = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      vars[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  return vars;
}

function parseYamlGroup(name: string, body: unknown, model: InventoryModel, warnings: string[], depth = 0): void {
  const group = model.group(name);
  if (depth > 50) {
    warnings.push(`group ${name}: nested too deeply; skipped`);
    return;
  }
  if (body === null || body === undefined) return;
  if (typeof body !== 'object' || Array.isArray(body)) {
    warnings.push(`group ${name}: expected a mapping with hosts/vars/children; skipped`);
    return;
  }
  const b = body as Record<string, unknown>;
  if (b.hosts && typeof b.hosts === 'object') {
    for (const [pattern, hostVars] of Object.entries(b.hosts as Record<string, unknown>)) {
      for (const host of expandHostPattern(pattern)) model.addHost(name, host, yamlVars(hostVars));
    }
  }
  Object.assign(group.vars, yamlVars(b.vars));
  if (b.children && typeof b.children === 'object') {
    for (const [child, childBody] of Object.entries(b.children as Record<string, unknown>)) {
      group.children.add(child);
      parseYamlGroup(child, childBody, model, warnings, depth + 1);
    }
  }
}

/** ProxyJump from `ansible_ssh_common_args` / `ansible_ssh_extra_args` (`-J host` or `-o ProxyJump=host`). */
function jumpFromArgs(args: string | undefined): string | null {
  if (!args) return null;
  const m = /(?:^|\s)-J\s*(\S+)|ProxyJump[= ]\s*([^\s'"]+)/.exec(args);
  return (m?.[1] ?? m?.[2] ?? null)?.replace(/['"]/g, '') ?? null;
}

/**
 * Reads an Ansible inventory, INI or YAML (format from the text unless given). Groups
 * become tags (with every ancestor group through `children`; `all` and `ungrouped` are
 * not tags). Honoured variables (host vars over deeper group vars over `all`):
 * ansible_host, ansible_port, ansible_user (and their old ansible_ssh_* names),
 * ansible_ssh_private_key_file, and ProxyJump inside ansible_ssh_common_args /
 * ansible_ssh_extra_args. Host ranges (`web[01:10]`) are expanded.
 */
export function parseAnsibleInventory(text: string, options: { format?: 'ini' | 'yaml' } = {}): ImportResult {
  const warnings: string[] = [];
  const model = new InventoryModel();
  const format = options.format ?? (/^\s*\[[^\]]+\]\s*$/m.test(text) || !/^\s*[A-Za-z0-9_.-]+:\s*$/m.test(text) ? 'ini' : 'yaml');
  if (format === 'yaml') {
    let doc: unknown;
    try {
      // yaml is loaded only for a YAML inventory (every CLI command that opens the core would pay 40 ms otherwise).
      const { parse: parseYaml } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
      doc = parseYaml(text);
    } catch (err) {
      throw new Error(`not a valid YAML inventory: ${(err as Error).message}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('a YAML inventory must be a mapping of groups (e.g. all: {hosts: ..., children: ...})');
    for (const [name, body] of Object.entries(doc as Record<string, unknown>)) parseYamlGroup(name, body, model, warnings);
  } else {
    parseIni(text, model, warnings);
  }

  // Each group's parents, to give hosts the tags of every ancestor.
  const parents = new Map<string, Set<string>>();
  for (const g of model.groups.values()) {
    for (const child of g.children) {
      const set = parents.get(child) ?? new Set<string>();
      set.add(g.name);
      parents.set(child, set);
    }
  }
  const ancestry = (group: string): { name: string; depth: number }[] => {
    const seen = new Map<string, number>();
    const visit = (name: string, depth: number) => {
      if ((seen.get(name) ?? -1) >= depth || seen.size > 1000) return;
      seen.set(name, depth);
      for (const p of parents.get(name) ?? []) visit(p, depth + 1);
    };
    visit(group, 0);
    return [...seen].map(([name, depth]) => ({ name, depth }));
  };

  const hosts: ImportedHost[] = [];
  for (const name of model.hostOrder) {
    const direct = [...model.groups.values()].filter((g) => g.hosts.has(name));
    const groups = new Map<string, number>();
    for (const g of direct) for (const a of ancestry(g.name)) groups.set(a.name, Math.min(groups.get(a.name) ?? Infinity, a.depth));
    // Variable precedence: all < outer groups < inner groups < host.
    const ordered = [...groups].filter(([g]) => g !== 'all').sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const vars: Vars = { ...model.groups.get('all')?.vars };
    for (const [g] of ordered) Object.assign(vars, model.groups.get(g)?.vars);
    for (const g of direct) Object.assign(vars, g.hosts.get(name));

    let hostName = name;
    let portFromName: number | null = null;
    const withPort = /^(.+):(\d{1,5})$/.exec(name);
    if (withPort && !name.includes('[')) {
      hostName = withPort[1] as string;
      portFromName = Number(withPort[2]);
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(hostName)) {
      warnings.push(`host "${name}": not a usable host name (letters, digits, dot, dash, underscore); skipped`);
      continue;
    }
    const portRaw = vars.ansible_port ?? vars.ansible_ssh_port;
    const port = portRaw !== undefined ? Number(portRaw) : (portFromName ?? 22);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      warnings.push(`host ${name}: invalid port "${portRaw}"; skipped`);
      continue;
    }
    const tags = [...groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped').sort();
    hosts.push({
      name: hostName,
      address: vars.ansible_host ?? vars.ansible_ssh_host ?? hostName,
      port,
      user: vars.ansible_user ?? vars.ansible_ssh_user ?? null,
      identityFile: vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file ?? null,
      tags,
      jump: jumpFromArgs(vars.ansible_ssh_common_args) ?? jumpFromArgs(vars.ansible_ssh_extra_args),
      privacy: 'default',
    });
  }
  return { hosts, warnings };
}
