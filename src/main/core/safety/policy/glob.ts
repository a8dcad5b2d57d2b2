export const REGEX_PREFIX = 're:';

/**
 * Glob patterns as the policy files write them: `**` crosses directories, `*` and `?`
 * stay inside one, `[...]` is a class, `{a,b}` alternatives, `\` escapes. A pattern
 * written `re:...` is an unanchored regular expression instead (paths start with `/`,
 * so the usual `/.../` notation would be ambiguous).
 */
export function compilePattern(pattern: string, pathAware = true): RegExp {
  if (pattern.startsWith(REGEX_PREFIX)) {
    try {
      return new RegExp(pattern.slice(REGEX_PREFIX.length), 's');
    } catch (err) {
      throw new Error(`invalid regular expression ${pattern}: ${(err as Error).message}`);
    }
  }
  const source = globToRegexSource(pattern, false);
  // Outside paths (argument words), `*` and `?` match any character, `/` included.
  return new RegExp(`^${pathAware ? source : source.replace(/\[\^\/\]/g, '[^\\0]')}$`, 's');
}

/**
 * A glob as the shell expands it: wildcards never match `/`, and never match a leading
 * dot of a file name (`*` does not match `.ssh`).
 */
export function compileShellGlob(pattern: string): RegExp {
  return new RegExp(`^${globToRegexSource(pattern, true)}$`, 's');
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function globToRegexSource(glob: string, shellDotRule: boolean): string {
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    const atComponentStart = i === 0 || glob[i - 1] === '/';
    const noDot = shellDotRule && atComponentStart ? '(?!\\.)' : '';
    switch (c) {
      case '\\':
        if (i + 1 < glob.length) {
          out += escapeRegex(glob[i + 1] as string);
          i++;
        } else out += '\\\\';
        break;
      case '*':
        if (glob[i + 1] === '*') {
          // `**/` may also match nothing, so `/a/**/b` matches `/a/b`.
          if (glob[i + 2] === '/') {
            out += `(?:${noDot}[^\\0]*/)?`;
            i += 2;
          } else {
            out += `${noDot}[^\\0]*`;
            i++;
          }
        } else out += `${noDot}[^/]*`;
        break;
      case '?':
        out += `${noDot}[^/]`;
        break;
      case '[': {
        const end = glob.indexOf(']', i + 2);
        if (end === -1) {
          out += '\\[';
          break;
        }
        let body = glob.slice(i + 1, end);
        let negate = false;
        if (body.startsWith('!') || body.startsWith('^')) {
          negate = true;
          body = body.slice(1);
        }
        const cls = body.replace(/\\/g, '\\\\').replace(/]/g, '\\]');
        out += negate ? `[^/${cls}]` : `[${cls}]`;
        i = end;
        break;
      }
      case '{':
        if (shellDotRule) {
          out += '\\{';
          break;
        }
        braceDepth++;
        out += '(?:';
        break;
      case '}':
        if (braceDepth > 0) {
          braceDepth--;
          out += ')';
        } else out += '\\}';
        break;
      case ',':
        out += braceDepth > 0 ? '|' : ',';
        break;
      default:
        out += escapeRegex(c);
    }
  }
  while (braceDepth-- > 0) out += ')';
  return out;
}

/**
 * Matches words exactly, or as a glob/regular expression when the pattern has
 * wildcards; `*` matches `/` too unless `pathAware`.
 */
export class PatternSet {
  private readonly exact = new Set<string>();
  private readonly sources: string[] = [];
  private compiled: { source: string; re: RegExp }[] | null = null;

  /**
   * `lazy`: translate the patterns on first use instead of now. For a policy read back from
   * its snapshot, whose patterns all compiled when it was proven: a cold start then pays only
   * for the few rules one command reaches (bench: cli).
   */
  constructor(
    patterns: readonly string[],
    private readonly pathAware = false,
    lazy = false,
  ) {
    for (const p of patterns) {
      if (/[*?[{\\]/.test(p) || p.startsWith(REGEX_PREFIX)) this.sources.push(p);
      else this.exact.add(p);
    }
    if (!lazy) this.compile();
  }

  /** Translates every pattern now; throws on an invalid one. */
  compile(): { source: string; re: RegExp }[] {
    this.compiled ??= this.sources.map((source) => ({ source, re: compilePattern(source, this.pathAware) }));
    return this.compiled;
  }

  get size(): number {
    return this.exact.size + this.sources.length;
  }

  /** The pattern that matches `value`, or null. */
  find(value: string): string | null {
    if (this.exact.has(value)) return value;
    for (const p of this.compile()) if (p.re.test(value)) return p.source;
    return null;
  }

  has(value: string): boolean {
    return this.find(value) !== null;
  }
}
