import type { ParsedArgs, ParsedFlag } from './args';
import { CHECKS, type Check, type CheckInput } from './checks';
import { compilePattern, PatternSet } from './glob';
import type { RuleSpec, VerdictSpec } from './spec';
import type { ShellWord } from './words';

export class PolicyLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyLoadError';
  }
}

export interface RuleInput {
  program: string;
  args: ParsedArgs;
  redirects?: CheckInput['redirects'];
}

/** What a rule tests beyond the program name, built from its spec. */
interface ArgumentMatchers {
  subcommands: RegExp[][] | null;
  flags: FlagMatcher | null;
  notFlags: FlagMatcher | null;
  onlyFlags: FlagMatcher | null;
  args: PatternSet | null;
  notArgs: PatternSet | null;
  positional: PatternSet | null;
}

/** A compiled rule: what it matches and the verdict it gives. */
export class CompiledRule {
  readonly id: string;
  readonly verdict: VerdictSpec;
  readonly programs: PatternSet | null;
  readonly exactCommand: string | null;
  private readonly positionals: { min?: number; max?: number } | null;
  private readonly check: Check | null;
  private built: ArgumentMatchers | null = null;

  /**
   * `options.lazy`: build the argument matchers (and translate globs) when the rule is first
   * tried, for a policy from its snapshot, whose rules all compiled when it was proven: a
   * cold start then pays only for the rules of the programs one command names (bench:
   * cli). Otherwise everything compiles now, so an invalid pattern is a load error.
   */
  constructor(
    readonly spec: RuleSpec,
    readonly source: string,
    options: { lazy?: boolean } = {},
  ) {
    const lazy = options.lazy === true;
    this.id = spec.id;
    this.verdict = { decision: spec.decision, category: spec.category, reason: spec.reason, rememberable: spec.rememberable };
    try {
      this.programs = spec.program ? new PatternSet(toArray(spec.program), false, lazy) : null;
      this.exactCommand = spec.command !== undefined ? normalizeCommandText(spec.command) : null;
      this.positionals = spec.positionals ?? null;
      if (!lazy) this.matchers();
    } catch (err) {
      throw new PolicyLoadError(`${this.where}: ${(err as Error).message}`);
    }
    if (spec.check !== undefined) {
      // `not:NAME` matches where NAME does not: the asking half of a rule pair whose allowing half uses NAME.
      const negated = spec.check.startsWith('not:');
      const name = negated ? spec.check.slice(4) : spec.check;
      const check = CHECKS[name];
      if (!check) throw new PolicyLoadError(`${this.where}: unknown check "${name}" (known: ${Object.keys(CHECKS).join(', ')})`);
      this.check = negated ? (input) => !check(input) : check;
    } else this.check = null;
    if (spec.command !== undefined && spec.program !== undefined) {
      throw new PolicyLoadError(`${this.where}: a rule matches either a whole \`command\` or a \`program\`, not both`);
    }
  }

  private get where(): string {
    return `rule "${this.spec.id}" (${this.source})`;
  }

  private matchers(): ArgumentMatchers {
    if (this.built) return this.built;
    const spec = this.spec;
    this.built = {
      subcommands: spec.subcommand ? toArray(spec.subcommand).map((s) => s.trim().split(/\s+/).map((w) => compilePattern(w, false))) : null,
      flags: spec.flags ? new FlagMatcher(spec.flags) : null,
      notFlags: spec.not_flags ? new FlagMatcher(spec.not_flags) : null,
      onlyFlags: spec.only_flags ? new FlagMatcher(spec.only_flags) : null,
      args: spec.args ? new PatternSet(spec.args) : null,
      notArgs: spec.not_args ? new PatternSet(spec.not_args) : null,
      positional: spec.positional ? new PatternSet(spec.positional) : null,
    };
    return this.built;
  }

  /** The rule excludes some arguments (not_flags, only_flags, not_args, a positional bound, a check): an unseen argument may defeat it. */
  get excludesArguments(): boolean {
    return Boolean(this.spec.not_flags) || Boolean(this.spec.only_flags) || Boolean(this.spec.not_args) || this.positionals !== null || this.check !== null;
  }

  matches(input: RuleInput): boolean {
    if (!this.programs || !this.programs.has(input.program)) return false;
    const { subcommands, flags, notFlags, onlyFlags, args: argPatterns, notArgs, positional } = this.matchers();
    const { args } = input;
    let positionals: readonly ShellWord[] = args.positionals;
    if (subcommands) {
      const words = subcommands.find((pattern) => pattern.every((re, i) => positionals[i] !== undefined && re.test((positionals[i] as ShellWord).text)));
      if (!words) return false;
      positionals = positionals.slice(words.length);
    }
    if (this.positionals) {
      if (this.positionals.min !== undefined && positionals.length < this.positionals.min) return false;
      if (this.positionals.max !== undefined && positionals.length > this.positionals.max) return false;
    }
    // An abbreviated long option (`--o`) may or may not be the listed one: read it whichever
    // way makes the verdict stricter, so abbreviations never help a command get allowed.
    const lenient = this.verdict.decision === 'allow';
    if (flags && !args.flags.some((f) => flags.matches(f, !lenient))) return false;
    if (notFlags && args.flags.some((f) => notFlags.matches(f, lenient))) return false;
    if (onlyFlags && !args.flags.every((f) => onlyFlags.matches(f, !lenient))) return false;
    if (argPatterns || notArgs) {
      // Attached option values (-O-, --output=x) count as arguments too.
      const values = args.flags.flatMap((f) => (f.value && f.value !== f.word ? [f.value.text] : []));
      const texts = [...args.words.map((w) => w.text), ...values];
      if (argPatterns && !texts.some((t) => argPatterns.has(t))) return false;
      if (notArgs && texts.some((t) => notArgs.has(t))) return false;
    }
    if (positional && !positionals.some((w) => positional.has(w.text))) return false;
    if (this.check && !this.check(input)) return false;
    return true;
  }
}

function toArray(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

export function normalizeCommandText(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/**
 * Flag names as getopt accepts them: exact, globs (`--vacuum-*`), and unambiguous
 * abbreviations of long options (`--in-pl` for `--in-place`), which GNU tools accept.
 */
class FlagMatcher {
  private readonly names: PatternSet;
  /** Long option names, and the literal stems of globs such as `--vacuum-*`. */
  private readonly longStems: string[];

  constructor(flags: readonly string[]) {
    this.names = new PatternSet(flags);
    this.longStems = flags.filter((f) => f.startsWith('--')).map((f) => f.replace(/[*?[{].*$/, ''));
  }

  /** `abbreviations`: also accept a prefix of a long option (getopt_long takes `--o` for `--output` when unambiguous). */
  matches(flag: ParsedFlag, abbreviations = true): boolean {
    if (this.names.has(flag.name)) return true;
    if (abbreviations && flag.name.startsWith('--') && flag.name.length >= 3) return this.longStems.some((l) => l.startsWith(flag.name));
    return false;
  }
}

/** Rules of one layer, indexed by program name for speed. */
export class RuleSet {
  private readonly byProgram = new Map<string, CompiledRule[]>();
  private readonly wildcard: CompiledRule[] = [];
  readonly commandRules: CompiledRule[] = [];
  readonly all: CompiledRule[] = [];

  constructor(rules: readonly CompiledRule[]) {
    for (const rule of rules) this.add(rule);
  }

  add(rule: CompiledRule): void {
    this.all.push(rule);
    if (rule.exactCommand !== null) {
      this.commandRules.push(rule);
      return;
    }
    const names = toArray(rule.spec.program ?? []);
    if (names.some((n) => /[*?[{\\]/.test(n) || n.startsWith('re:'))) {
      this.wildcard.push(rule);
      return;
    }
    for (const name of names) {
      const list = this.byProgram.get(name) ?? [];
      list.push(rule);
      this.byProgram.set(name, list);
    }
  }

  /** Every rule of this layer that names the program (whether or not its other conditions hold). */
  forProgram(program: string): CompiledRule[] {
    const out = [...(this.byProgram.get(program) ?? [])];
    for (const rule of this.wildcard) if (rule.programs?.has(program)) out.push(rule);
    return out;
  }

  /** Every rule of this layer that matches. */
  matching(input: RuleInput): CompiledRule[] {
    const out: CompiledRule[] = [];
    for (const rule of this.byProgram.get(input.program) ?? []) if (rule.matches(input)) out.push(rule);
    for (const rule of this.wildcard) if (rule.matches(input)) out.push(rule);
    return out;
  }

  get size(): number {
    return this.all.length;
  }
}
