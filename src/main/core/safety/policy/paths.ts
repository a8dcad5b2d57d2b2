import { compilePattern, compileShellGlob } from './glob';
import { ANYWHERE_CWD, normalizePath, START_CWD } from './script';
import type { PathRuleSpec, VerdictSpec } from './spec';
import { DYNAMIC, type ShellWord } from './words';

/** Stands for the unknown working directory, so relative names still meet basename rules (`id_rsa`). */
export const UNKNOWN_CWD = START_CWD;
const ANYWHERE_PREFIX = `${ANYWHERE_CWD}/`;
/** Stands for the run-time prefix of a partly computed path (`$DIR/.aws/credentials`). */
const DYNAMIC_PREFIX = '/.dynamic';

export interface PathRule extends VerdictSpec {
  id: string;
  source: string;
}

interface CompiledPathRule {
  rule: PathRule;
  include: RegExp[];
  exclude: RegExp[];
  /** Concrete examples stand for the rule when a shell glob or directory tree is tested against it. */
  examples: string[];
}

export class PathRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathRuleError';
  }
}

/** `checkExamples`: false for a policy already proven under this engine (read from its snapshot). */
function compilePathRule(spec: PathRuleSpec, source: string, checkExamples = true): CompiledPathRule {
  const compiled: CompiledPathRule = {
    rule: { id: spec.id, source, decision: spec.decision, category: spec.category, reason: spec.reason, rememberable: spec.rememberable },
    include: spec.paths.map((p) => compilePattern(p)),
    exclude: spec.except.map((p) => compilePattern(p)),
    examples: spec.match.map(normalizePath),
  };
  if (!checkExamples) return compiled;
  for (const example of spec.match) {
    if (!matches(compiled, normalizePath(example))) {
      throw new PathRuleError(`path rule "${spec.id}" (${source}): example "${example}" in match is not matched by its paths`);
    }
  }
  for (const example of spec.not_match) {
    if (matches(compiled, normalizePath(example))) {
      throw new PathRuleError(`path rule "${spec.id}" (${source}): example "${example}" in not_match is matched by its paths`);
    }
  }
  return compiled;
}

function normalizeGlob(glob: string): string {
  return glob.replace(/\/{2,}/g, '/').replace(/\/\.\//g, '/');
}

function alternation(rules: readonly CompiledPathRule[]): RegExp {
  const sources = rules.flatMap((r) => r.include.map((re) => `(?:${re.source})`));
  return sources.length > 0 ? new RegExp(sources.join('|'), 's') : /(?!)/;
}

function matches(rule: CompiledPathRule, path: string): boolean {
  if (rule.include.some((re) => re.test(path)) && !rule.exclude.some((re) => re.test(path))) return true;
  // Under a directory only known at run time, `shadow` may be /etc/shadow: compare with the ends of the examples.
  if (path.startsWith(ANYWHERE_PREFIX)) {
    const tail = path.slice(ANYWHERE_CWD.length);
    return rule.examples.some((e) => e.endsWith(tail));
  }
  return false;
}

/**
 * Paths a word may name: itself, and paths embedded in it (`if=/etc/shadow`,
 * `file:///root/x`, a path inside an awk or lua program). Relative names count only
 * when the word may be a file operand (`relative`), not a search pattern.
 */
export function pathCandidates(word: ShellWord, cwd: string | null, relative = true): string[] {
  const out = new Set<string>();
  if (collecting) {
    const collector = collecting;
    try {
      return pathCandidatesInto(word, cwd, relative, out);
    } finally {
      for (const path of out) if (isConcretePath(path)) collector.add(path);
    }
  }
  return pathCandidatesInto(word, cwd, relative, out);
}

let collecting: Set<string> | null = null;

/**
 * The concrete paths the policy considered while `judge` ran (relative names made
 * absolute with the working directory `cd` gave them): the paths whose link targets the
 * fleet resolves on the host. Evaluation is synchronous, so one collector at a time.
 */
export function collectJudgedPaths(judge: () => void): string[] {
  const outer = collecting;
  const paths = new Set<string>();
  collecting = paths;
  try {
    judge();
  } finally {
    collecting = outer;
  }
  return [...paths];
}

/** A path the host can resolve: absolute, and not one of the policy's stand-ins for the unknown. */
function isConcretePath(path: string): boolean {
  return path.startsWith('/') && ![UNKNOWN_CWD, ANYWHERE_CWD, DYNAMIC_PREFIX].some((p) => path === p || path.startsWith(`${p}/`)) && !path.includes(DYNAMIC);
}

function pathCandidatesInto(word: ShellWord, cwd: string | null, relative: boolean, out: Set<string>): string[] {
  for (const alternative of word.alternatives) {
    let text = alternative;
    if (!word.static) {
      const last = text.lastIndexOf(DYNAMIC);
      text = last >= 0 ? `${DYNAMIC_PREFIX}/${text.slice(last + 1)}` : text;
    }
    addCandidates(text, cwd, relative && !/\s/.test(text), out);
  }
  return [...out];
}

const SEPARATORS = /[\s'"`(){}=@:,;<>|&!]+/;

function expandTilde(token: string): string {
  return token.replace(/^~[^/]*/, (t) => (t === '~' ? '/home/user' : t === '~root' ? '/root' : `/home/${t.slice(1)}`));
}

function addCandidates(text: string, cwd: string | null, relative: boolean, out: Set<string>): void {
  // The word as one path too: a name with blanks (`/srv/fm data/api-token`) is one file to the kernel.
  if (text.startsWith('/') && text.length <= 4096) out.add(normalizePath(text));
  for (const token of text.split(SEPARATORS)) {
    if (!token || token.length > 4096) continue;
    if (token.startsWith('-')) {
      // An attached option value: -F/etc/shadow.
      const slash = token.indexOf('/');
      if (slash > 0) out.add(normalizePath(token.slice(slash)));
      continue;
    }
    if (token.startsWith('/')) out.add(normalizePath(token));
    else if (token.startsWith('~')) out.add(normalizePath(expandTilde(token)));
    else if (relative && !token.includes(DYNAMIC)) out.add(normalizePath(`${cwd ?? UNKNOWN_CWD}/${token}`));
  }
}

interface CompiledPathRules {
  secrets: CompiledPathRule[];
  writeTargets: CompiledPathRule[];
  harmless: RegExp[];
  /** One alternation of every secret pattern: most paths match none, and one test rules them all out. */
  anySecret: RegExp;
  anyWriteTarget: RegExp;
}

/**
 * The file-system knowledge of the policy: secrets (reading them is refused),
 * sensitive write targets (sudoers, cron, units, block devices) and writes that
 * go nowhere (/dev/null).
 */
export class PathRules {
  private built: CompiledPathRules | null = null;

  /**
   * `options.proven`: the policy passed its examples under this engine before (read from its
   * snapshot): the patterns compile when a path is first judged, and the examples are not
   * checked again. Otherwise both happen now, so a broken rule is a load error.
   */
  constructor(
    private readonly secretSpecs: { spec: PathRuleSpec; source: string }[],
    private readonly writeTargetSpecs: { spec: PathRuleSpec; source: string }[],
    private readonly harmlessWrites: readonly string[],
    private readonly options: { proven?: boolean } = {},
  ) {
    if (options.proven !== true) this.rules();
  }

  private rules(): CompiledPathRules {
    if (this.built) return this.built;
    const check = this.options.proven !== true;
    const secrets = this.secretSpecs.map((s) => compilePathRule(s.spec, s.source, check));
    const writeTargets = this.writeTargetSpecs.map((s) => compilePathRule(s.spec, s.source, check));
    this.built = { secrets, writeTargets, harmless: this.harmlessWrites.map((p) => compilePattern(p)), anySecret: alternation(secrets), anyWriteTarget: alternation(writeTargets) };
    return this.built;
  }

  private get secrets(): CompiledPathRule[] {
    return this.rules().secrets;
  }

  private get writeTargets(): CompiledPathRule[] {
    return this.rules().writeTargets;
  }

  private get harmless(): RegExp[] {
    return this.rules().harmless;
  }

  private get anySecret(): RegExp {
    return this.rules().anySecret;
  }

  private get anyWriteTarget(): RegExp {
    return this.rules().anyWriteTarget;
  }

  /** The secret rule a path falls under, if any. */
  secret(path: string): PathRule | null {
    if (!this.anySecret.test(path) && !path.startsWith(ANYWHERE_PREFIX)) return null;
    for (const r of this.secrets) if (matches(r, path)) return r.rule;
    return null;
  }

  /**
   * The secret rule a glob could expand to (`/etc/sha*`, `~/.ssh/*`, `*.key`): the glob is
   * tried on each rule's example paths and on their file names placed in the glob's own
   * directory. Shell globs skip dot files; `find` patterns (`includeDotFiles`) do not.
   * A bare `*` in an unknown working directory says nothing about secrets, so it passes.
   */
  secretMatchedByGlob(glob: string, cwd: string | null, includeDotFiles: boolean): { rule: PathRule; path: string; byName?: boolean } | null {
    const absolute = normalizeGlob(glob.startsWith('/') ? glob : `${cwd ?? UNKNOWN_CWD}/${glob}`);
    const wildcard = absolute.search(/[*?[]/);
    const directory = absolute.slice(0, absolute.lastIndexOf('/', wildcard < 0 ? absolute.length : wildcard)) || '/';
    const rest = absolute.slice(directory.length + 1);
    if (directory === UNKNOWN_CWD && !/[^*?/[\]]/.test(rest.replace(/\[[^\]]*\]/g, ''))) return null;
    let re: RegExp;
    try {
      re = includeDotFiles ? compilePattern(absolute) : compileShellGlob(absolute);
    } catch {
      return null;
    }
    // A hit because of the directory (or an example path itself) wins over one by file name only.
    let byName: { rule: PathRule; path: string; byName: boolean } | null = null;
    for (const r of this.secrets) {
      for (const example of r.examples) {
        if (re.test(example)) return { rule: r.rule, path: example };
        const probe = `${directory === '/' ? '' : directory}/${example.slice(example.lastIndexOf('/') + 1)}`;
        if (!re.test(probe) || !matches(r, probe)) continue;
        // byName: the rule would match that file name in any directory (`**/id_rsa`), not because of this directory.
        if (!matches(r, `/.fleetmind-neutral-dir/${probe.slice(probe.lastIndexOf('/') + 1)}`)) return { rule: r.rule, path: probe };
        byName ??= { rule: r.rule, path: probe, byName: true };
      }
    }
    return byName;
  }

  /** A secret rule with an example inside `dir`: reading the tree recursively would include it. */
  secretBelow(dir: string): { rule: PathRule; path: string } | null {
    const prefix = dir === '/' ? '/' : `${dir.replace(/\/+$/, '')}/`;
    // A directory only known at run time may be any directory: /etc/ssl/private for one.
    const anywhere = prefix.startsWith(ANYWHERE_PREFIX) || prefix === ANYWHERE_PREFIX;
    const inner = anywhere ? prefix.slice(ANYWHERE_CWD.length) : prefix;
    for (const r of this.secrets) {
      const example = r.examples.find((e) => (anywhere ? inner === '/' || e.includes(inner) : e.startsWith(prefix)) && !e.startsWith(`${UNKNOWN_CWD}/`));
      if (example) return { rule: r.rule, path: example };
    }
    return null;
  }

  writeTarget(path: string): PathRule | null {
    if (!this.anyWriteTarget.test(path) && !path.startsWith(ANYWHERE_PREFIX)) return null;
    for (const r of this.writeTargets) if (matches(r, path)) return r.rule;
    return null;
  }

  isHarmlessWrite(path: string): boolean {
    return this.harmless.some((re) => re.test(path));
  }
}
