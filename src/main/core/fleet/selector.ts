import type { Host } from '../../../shared/protocol';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function matchTerm(term: string, hosts: readonly Host[]): Host[] {
  if (term === 'all' || term === '*') return [...hosts];
  if (term.startsWith('tag:')) {
    const tag = term.slice(4).toLowerCase();
    if (!tag) throw new SelectorError('"tag:" needs a tag name, e.g. tag:web');
    return hosts.filter((h) => h.tags.some((t) => t.toLowerCase() === tag));
  }
  if (/[*?]/.test(term)) {
    const re = globToRegExp(term);
    return hosts.filter((h) => re.test(h.name));
  }
  const lower = term.toLowerCase();
  return hosts.filter((h) => h.name.toLowerCase() === lower);
}

/**
 * Host selectors (DESIGN): `all`, names, globs (`web-*`), `tag:web`, comma lists and
 * `!exclusions`. Every positive term must match something and the result must not be
 * empty: a typo never silently means "no hosts".
 */
export function selectHosts(selector: string, hosts: readonly Host[]): Host[] {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (terms.length === 0) throw new SelectorError('empty host selector');
  const include = terms.filter((t) => !t.startsWith('!'));
  const exclude = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1).trim());
  const selected = new Map<string, Host>();
  for (const term of include.length > 0 ? include : ['all']) {
    const matched = matchTerm(term, hosts);
    if (matched.length === 0) {
      const known = hosts.map((h) => h.name).join(', ') || 'none';
      throw new SelectorError(`no host matches "${term}" (known hosts: ${known})`);
    }
    for (const h of matched) selected.set(h.name, h);
  }
  for (const term of exclude) {
    if (!term) throw new SelectorError('"!" needs a host, glob or tag to exclude');
    for (const h of matchTerm(term, hosts)) selected.delete(h.name);
  }
  if (selected.size === 0) throw new SelectorError(`selector "${selector}" leaves no hosts after exclusions`);
  return [...selected.values()];
}
