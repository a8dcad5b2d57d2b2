import { parseArgs, type ArgGrammar, type ParsedArgs, type ParsedFlag } from './args';
import { evaluationFindings } from './bash-arithmetic';
import { dynamicCodeFindings } from './bash-builtins';
import type { BashParser } from './bash-parser';
import { scriptFileOperands } from './checks';
import { containerCommand, containerExecCommand } from './read-forms';
import { DEFAULT_PROGRAM_SPEC, type CompiledPolicy } from './compiled';
import { finding, make, stricterVerdict, type Finding } from './findings';
import { PatternSet } from './glob';
import { pathCandidates, UNKNOWN_CWD } from './paths';
import { readsDifferentlyFromBash } from './posix-shell';
import { recursionFindings } from './recursion';
import { TextMemo } from './text-memo';
import { loginArgv0Findings, parseShellInvocation, shellStartupFindings, STARTUP_FILE_VARIABLES, startupVariableFindings } from './shell-startup';
import type { CompiledRule, RuleInput, RuleSet } from './ruleset';
import { ANYWHERE_CWD, normalizePath, resolveDirectory, ScriptWalker, type Redirect, type ScriptItem, type SimpleCommand, type StdinSource } from './script';
import type { ProgramSpec, VerdictSpec, WrapperSpec } from './spec';
import { DYNAMIC, staticWord, VariableScope, type ShellWord } from './words';

/** A layer of rules above the defaults: user file, tag profiles, host profile. */
export interface RuleLayer {
  name: string;
  rules: RuleSet;
  /** `replace`: its verdict replaces the lower layers' (above the hard floors); `tighten`: it can only be stricter. */
  mode: 'replace' | 'tighten';
}

export interface EvaluationContext {
  layers: readonly RuleLayer[];
  /** Rule ids that matched, per simple command, when tracing (used to verify examples). */
  trace?: { command: string; ruleIds: string[] }[];
  /** Every program judged, as written (basename of words[0], before aliases), wrappers and nested levels included, when collecting them. */
  programs?: string[];
}

const SHELL_PATH = /(?:^|[\s=:,'"!;|&(@])(?:\/usr)?(?:\/local)?\/s?bin\/(?:sh|bash|dash|zsh|ksh|mksh|ash|csh|tcsh|fish|busybox)(?![\w.-])/;
const SHELL_COMMAND_WORD = /^(?:sh|bash|dash|zsh|ksh|mksh|ash|csh|tcsh|fish)\s+-/;

function dynamicWord(reason: string): ShellWord {
  return { ...staticWord(DYNAMIC), static: false, dynamicParts: [reason], raw: reason };
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

function dirname(path: string): string {
  const normalized = normalizePath(path);
  const i = normalized.lastIndexOf('/');
  return i <= 0 ? '/' : normalized.slice(0, i);
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return `"${flat.length > 80 ? `${flat.slice(0, 77)}...` : flat}"`;
}

function grammarOf(spec: { value_options: string[]; single_dash_long: boolean }, extra: Partial<ArgGrammar> = {}): ArgGrammar {
  return { valueOptions: new Set(spec.value_options), singleDashLong: spec.single_dash_long, ...extra };
}

function hasFlag(flags: readonly ParsedFlag[], names: readonly string[]): boolean {
  return flags.some((f) => names.some((n) => sameOption(f.name, n)));
}

/**
 * Whether an option as written names `option`: exactly, or as the abbreviation getopt_long
 * accepts for a long option (`--o` for `--output`). Used where recognising an option can
 * only make the verdict stricter.
 */
export function sameOption(written: string, option: string): boolean {
  return written === option || (written.startsWith('--') && written.length >= 3 && option.startsWith('--') && option.startsWith(written));
}

/**
 * Characters the shell reads differently from this check, or that make a command look
 * different from what it runs: NUL (the command is cut there), other control characters
 * (a carriage return or form feed is a word character to bash, a blank to the grammar),
 * and invisible or direction-changing Unicode (zero-width joiners, bidi overrides).
 */
const MISLEADING_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f\u0085\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

function describeCharacter(text: string): string {
  const c = MISLEADING_CHARACTERS.exec(text)?.[0] ?? '';
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Judges commands against a compiled policy: every simple command, every wrapped or
 * nested command (sudo, sh -c, eval, xargs, find -exec, ssh), every redirection.
 * It never runs anything; the result is a list of findings, strictest first decides.
 */
export class Evaluator {
  private readonly grammars = new Map<string, ArgGrammar>();

  /** Parses of texts walked from a clean start (no variables, directory unknown): the same for every host (text-memo.ts). */
  private readonly parsed = new TextMemo<{ items: ScriptItem[]; hasError: boolean }>();

  constructor(
    private readonly policy: CompiledPolicy,
    private readonly parser: BashParser,
  ) {}

  /** Judges a command line (bash syntax). */
  evaluateScript(text: string, ctx: EvaluationContext, depth = 0, scope?: VariableScope, cwd: string | null = null): { findings: Finding[]; items: ScriptItem[] } {
    const label = quote(text);
    if (depth > this.policy.settings.maxNesting) {
      return { findings: [make('ask', 'unknown', label, `commands are nested more than ${this.policy.settings.maxNesting} levels deep`)], items: [] };
    }
    if (text.length > this.policy.settings.maxCommandLength) {
      return { findings: [make('ask', 'unknown', label, `the command is longer than ${this.policy.settings.maxCommandLength} characters`)], items: [] };
    }
    const hidden: Finding[] = [];
    if (MISLEADING_CHARACTERS.test(text)) {
      // Judged all the same (a deny still wins), but never allowed: the shell may not see what was judged.
      hidden.push(make('ask', 'unknown', label, `the command contains the invisible or control character ${describeCharacter(text)}, which the shell may read differently from this check`, false));
    }
    const parse = () => this.parser.withTree(text, (root) => ({ items: new ScriptWalker(scope ?? new VariableScope(), cwd).walk(root), hasError: root.hasError }));
    // What the walk finds depends on the text, the variables known before it and the directory; from a clean start, on the text alone.
    // (Checking the rules' examples at load, which traces, parses each example once anyway.)
    const { items, hasError } = scope === undefined && cwd === null && !ctx.trace ? this.parsed.get(text, parse) : parse();
    const findings: Finding[] = [...hidden];
    if (hasError && !items.some((i) => i.kind === 'syntax_error')) {
      findings.push(make('ask', 'unknown', label, 'the command could not be parsed as bash'));
    }
    for (const item of items) findings.push(...this.evaluateItem(item, ctx, depth));
    if (items.length === 0 && findings.length === hidden.length) findings.push(make('ask', 'unknown', label, 'the command is empty'));
    return { findings, items };
  }

  /** Judges words that will be executed directly, without a shell (argv). */
  evaluateArgv(argv: readonly string[], ctx: EvaluationContext): Finding[] {
    if (argv.length === 0) return [make('ask', 'unknown', '""', 'the command is empty')];
    const hidden = argv.find((a) => MISLEADING_CHARACTERS.test(a));
    if (hidden !== undefined) return [make('ask', 'unknown', quote(argv.join(' ')), `an argument contains the invisible or control character ${describeCharacter(hidden)}`, false)];
    const words = argv.map(staticWord);
    const command: SimpleCommand = {
      words,
      assignments: [],
      redirects: [],
      text: argv.join(' '),
      stdin: { kind: 'inherit' },
      background: false,
      cwd: null,
    };
    return this.evaluateCommand(command, ctx, 0);
  }

  private evaluateItem(item: ScriptItem, ctx: EvaluationContext, depth: number): Finding[] {
    switch (item.kind) {
      case 'command':
        return this.evaluateCommand(item.command, ctx, depth);
      case 'assignment': {
        const { name, exported } = item.assignment;
        const label = quote(item.text);
        if (name === '') return [make('ask', 'code_download_exec', label, 'sets a variable whose name is only known at run time, which may change what later commands run or load', false)];
        if (this.policy.settings.safeEnvironment.has(name)) return [make('allow', 'read_only', label, `sets the shell variable ${name}`)];
        if (this.policy.settings.dangerousVariables.has(name)) return [make('ask', 'code_download_exec', label, `sets ${name}, which changes what later commands run or load`, false)];
        // An exported variable reaches every later program, as an `env NAME=value` prefix would.
        if (exported) return [make('ask', 'code_download_exec', label, `exports ${name} to every later command, which can change what they run or load`, false)];
        return [make('allow', 'read_only', label, `sets the shell variable ${name}`)];
      }
      case 'evaluation':
        // bash expands `a[$(cmd)]` inside the values it evaluates (arithmetic, names, ${!x}, ${x@P}).
        return evaluationFindings(item, quote(item.text), (text) => this.mentionsDownloader(text));
      case 'dynamic_code':
        return dynamicCodeFindings(item, quote(item.text), (text) => this.mentionsDownloader(text));
      case 'runaway_recursion':
        return recursionFindings(item, quote(item.text));
      case 'nested_script':
        return this.evaluateScript(item.code, ctx, depth + 1).findings.map((f) => ({ ...f, rememberable: false }));
      case 'embedded_code':
        // `x='a[$(cmd)]'; echo $((x))` runs cmd: judge the commands inside the literal as if they ran.
        return this.evaluateScript(`: ${item.code}`, ctx, depth + 1).findings.filter((f) => f.decision !== 'allow').map((f) => ({ ...f, reason: `${item.why ?? `${item.name} holds code that arithmetic or eval can run`}: ${f.reason}`, rememberable: false }));
      case 'redirect':
        return this.evaluateRedirect(item.redirect, null, quote(item.text));
      case 'function_call': {
        const called = make('allow', 'read_only', quote(item.text), `calls the shell function ${item.name} defined in the same command (its body is judged too)`);
        return item.background ? [called, make('ask', 'unknown', quote(item.text), 'runs in the background, where it outlives this check')] : [called];
      }
      case 'test':
        return [make('allow', 'read_only', quote(item.text), 'only tests a condition or computes a number')];
      case 'syntax_error':
        return [make('ask', 'unknown', quote(item.text), 'this part of the command could not be parsed as bash')];
      default:
        return [];
    }
  }

  private evaluateRedirect(redirect: Redirect, cwd: string | null, label: string): Finding[] {
    const target = redirect.target;
    if (!target || redirect.kind === 'dup' || redirect.kind === 'close' || redirect.kind === 'text') return [];
    const paths = this.policy.paths;
    const findings: Finding[] = [];
    const candidates = target.static && !target.glob ? target.alternatives.map((a) => normalizePath(a.startsWith('/') ? a : `${cwd ?? UNKNOWN_CWD}/${a}`)) : [];
    for (const path of candidates) {
      if (/^\/dev\/(tcp|udp)\//.test(path)) {
        findings.push(make('deny', 'network_exfiltration', label, `opens a network connection through ${path}`, false));
      }
    }
    if (redirect.kind === 'read' || redirect.kind === 'readwrite') {
      if (!target.static) findings.push(make('ask', 'unknown', label, `reads a file whose name is computed at run time (${target.dynamicParts.join(', ')})`));
      for (const path of pathCandidates(target, cwd)) {
        const secret = paths.secret(path);
        if (secret) findings.push(finding(secret, label, secret.id, `reads ${path}, which ${secret.reason}`));
      }
      if (target.glob && target.globPattern) {
        const hit = paths.secretMatchedByGlob(target.globPattern, cwd, false);
        if (hit) findings.push(wholeDirectoryGlob(target.globPattern, hit) ? globByName(label, target.text, hit) : finding(hit.rule, label, hit.rule.id, `reads ${target.text}, which can expand to ${hit.path}, which ${hit.rule.reason}`));
      }
    }
    if (redirect.kind === 'write' || redirect.kind === 'readwrite') {
      if (!target.static || target.glob) {
        findings.push(make('ask', 'mutating', label, `writes to a file whose name is only known at run time (${target.raw})`));
      } else {
        for (const path of candidates) {
          if (paths.isHarmlessWrite(path) || /^\/dev\/(tcp|udp)\//.test(path)) continue;
          const rule = paths.writeTarget(path);
          findings.push(rule ? finding(rule, label, rule.id, `writes to ${path}, which ${rule.reason}`) : make('ask', 'mutating', label, `writes to the file ${path}`));
        }
      }
    }
    return findings;
  }

  private evaluateCommand(command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const findings: Finding[] = [];
    for (const a of command.assignments) {
      findings.push(...this.environmentFinding(a.name, label));
      if (STARTUP_FILE_VARIABLES.has(a.name)) findings.push(...startupVariableFindings(a.name, a.value, label, (w, what) => this.fileRead(w, command, label, what)));
    }
    for (const r of command.redirects) findings.push(...this.evaluateRedirect(r, command.cwd, label));
    if (command.background) findings.push(make('ask', 'unknown', label, 'runs in the background, where it outlives this check'));
    findings.push(...this.evaluateWords(command.words, command, ctx, depth));
    return findings;
  }

  /** Reading a file named by a word: the secrets it may be (`what` says how it is read). */
  private fileRead(word: ShellWord, command: SimpleCommand, label: string, what: string): Finding[] {
    const findings: Finding[] = [];
    for (const path of pathCandidates(word, command.cwd)) {
      const secret = this.policy.paths.secret(path);
      if (secret) findings.push(finding(secret, label, secret.id, `${what} ${path}, which ${secret.reason}`));
    }
    return findings;
  }

  private environmentFinding(name: string, label: string): Finding[] {
    if (this.policy.settings.safeEnvironment.has(name)) return [];
    return [make('ask', 'code_download_exec', label, `sets ${name} for the command, which can change what it runs or loads`, false)];
  }

  /** Judges a program and its arguments (words[0] is the program). */
  private evaluateWords(words: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const program = words[0];
    if (!program) return [];
    const args = words.slice(1);
    if (!program.static || program.glob) {
      const why = program.static ? `the pattern ${program.text}` : program.dynamicParts.join(', ');
      return [make('ask', 'unknown', label, `the program to run is only known at run time (${why})`, false), ...this.argumentChecks('', DEFAULT_PROGRAM_SPEC, this.parse('', DEFAULT_PROGRAM_SPEC, args), command)];
    }
    ctx.programs?.push(basename(program.text));
    let name = program.text;
    if (name.includes('/')) {
      const dir = dirname(name);
      name = basename(name);
      if (!this.policy.settings.systemProgramDirs.has(dir)) {
        return [
          make('ask', 'unknown', label, `runs ${program.text}, which is not in a system program directory`, false),
          ...this.argumentChecks(name, DEFAULT_PROGRAM_SPEC, this.parse('', DEFAULT_PROGRAM_SPEC, args), command),
        ];
      }
    }
    if (!name) return [make('ask', 'unknown', label, 'the program name is empty')];
    name = this.policy.aliases.get(name) ?? name;
    const wrapper = this.policy.wrappers.get(name);
    if (wrapper) return this.evaluateWrapper(name, wrapper, args, command, ctx, depth);
    return this.evaluateProgram(name, args, command, ctx, depth);
  }

  private parse(name: string, spec: ProgramSpec, words: readonly ShellWord[]): ParsedArgs {
    let grammar = this.grammars.get(name);
    if (!grammar) {
      grammar = grammarOf(spec);
      if (name) this.grammars.set(name, grammar);
    }
    return parseArgs(words, grammar);
  }

  /** The verdict of the rules, layer by layer; null when no rule in any layer matches. */
  private ruleVerdict(input: RuleInput, ctx: EvaluationContext): { verdict: VerdictSpec; ruleId: string } | null {
    let current: { verdict: VerdictSpec; ruleId: string } | null = null;
    const floors = this.policy.settings.hardFloorCategories;
    for (const [index, layer] of ctx.layers.entries()) {
      const matched = layer.rules.matching(input);
      if (matched.length === 0) continue;
      const strictest = matched.reduce((a, b) => stricterVerdict(a.verdict, b.verdict) === a.verdict ? a : b);
      const candidate = { verdict: strictest.verdict, ruleId: strictest.id };
      if (ctx.trace) ctx.trace[ctx.trace.length - 1]?.ruleIds.push(...matched.map((m: CompiledRule) => m.id));
      if (index === 0 || current === null) {
        current = layer.mode === 'tighten' && index > 0 ? { verdict: stricterVerdict(candidate.verdict, this.policy.settings.unknownProgram), ruleId: candidate.ruleId } : candidate;
        continue;
      }
      if (layer.mode === 'tighten') {
        if (stricterVerdict(current.verdict, candidate.verdict) !== current.verdict) current = candidate;
      } else if (!(candidate.verdict.decision === 'allow' && floors.has(current.verdict.category))) {
        current = candidate;
      }
    }
    return current;
  }

  private evaluateProgram(name: string, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth = 0): Finding[] {
    const label = quote(command.text);
    const spec = this.policy.programs.get(name) ?? DEFAULT_PROGRAM_SPEC;
    const args = this.parse(name, spec, argWords);
    ctx.trace?.push({ command: command.text, ruleIds: [] });
    const findings: Finding[] = [];
    // Only for programs the policy knows: a site script that ignores its options just runs (`deploy --help`).
    const soleArgument = argWords.length === 1 && argWords[0]?.static && this.policy.settings.safeSoleArguments.has(argWords[0].text) && this.policy.programs.has(name);
    if (soleArgument) {
      findings.push(make('allow', 'read_only', label, `${name} ${argWords[0]?.text} only prints help or version information`));
      return findings;
    }
    const ruled = this.ruleVerdict({ program: name, args, redirects: command.redirects }, ctx);
    if (ruled) findings.push(finding(ruled.verdict, label, ruled.ruleId));
    else if (spec.default) findings.push(finding(spec.default, label));
    else if (this.policy.programs.has(name)) findings.push(make('ask', 'unknown', label, `no rule covers this use of ${name}`));
    else findings.push(finding(this.policy.settings.unknownProgram, label, undefined, `${name} is not a program this policy knows`));
    if (findings[0]?.decision === 'allow') {
      const unseen = runTimeOption(args);
      if (unseen && this.couldBeStricter(name, ruled?.ruleId ?? null, ctx)) {
        findings.push(make('ask', 'unknown', label, `${name} gets an argument only known at run time (${unseen}), which may be an option that changes what it does`));
      }
    }
    findings.push(...this.argumentChecks(name, spec, args, command));
    if (spec.interpreter) findings.push(...this.interpreterInput(name, args, command));
    // `docker exec C cmd`, `kubectl exec P -- cmd`: the command inside is judged as a nested argv.
    const inner = containerExecCommand(name, argWords);
    if (inner) findings.push(...this.evaluateWords(inner, containerCommand(inner), ctx, depth + 1));
    return findings;
  }

  /**
   * Whether some use of the program is judged stricter than allow, so an argument this
   * check cannot see (an option produced at run time) might turn an allowed use into it:
   * a non-allow rule for the program, or an allowing rule that excludes some arguments.
   */
  private couldBeStricter(name: string, ruleId: string | null, ctx: EvaluationContext): boolean {
    for (const layer of ctx.layers) {
      for (const rule of layer.rules.forProgram(name)) {
        if (rule.verdict.decision !== 'allow' || (rule.id === ruleId && rule.excludesArguments)) return true;
      }
    }
    return false;
  }

  /** Checks that hold whatever the rules say: secrets read, run-time arguments, shells handed over. */
  private argumentChecks(name: string, spec: ProgramSpec, args: ParsedArgs, command: SimpleCommand): Finding[] {
    const label = quote(command.text);
    const paths = this.policy.paths;
    const cwd = command.cwd;
    const findings: Finding[] = [];
    const seen = new Set<string>();
    const contentWords: { word: ShellWord; relative: boolean }[] = [];
    if (spec.file_access === 'content') {
      const patterns = new Set(args.positionals.slice(0, hasFlag(args.flags, PATTERN_OPTIONS) ? 0 : spec.pattern_positionals));
      for (const w of args.words) contentWords.push({ word: w, relative: !patterns.has(w) });
      // Program text (sed, awk) names the files it reads; relative ones resolve in the working directory.
      for (const w of args.words) if (w.static) for (const file of scriptFileOperands(name, w.text)) contentWords.push({ word: staticWord(file), relative: true });
    } else {
      const contentOptions = new PatternSet(spec.content_options);
      for (const f of args.flags) if (f.value && (contentOptions.has(f.name) || spec.content_options.some((o) => sameOption(f.name, o)))) contentWords.push({ word: f.value, relative: true });
    }
    for (const { word, relative } of contentWords) {
      const candidates = pathCandidates(word, cwd, relative);
      // Programs that resolve relative names under system directories read those files instead.
      if (relative) for (const dir of spec.search_dirs) candidates.push(...pathCandidates(word, dir, true));
      for (const path of candidates) {
        const secret = paths.secret(path);
        if (secret && !seen.has(`${secret.id}:${path}`)) {
          seen.add(`${secret.id}:${path}`);
          findings.push(finding(secret, label, secret.id, `touches ${path}, which ${secret.reason}`));
        }
        if (/^\/dev\/(tcp|udp)\//.test(path)) findings.push(make('deny', 'network_exfiltration', label, `opens a network connection through ${path}`, false));
      }
      if (word.glob && word.globPattern) {
        const hit = paths.secretMatchedByGlob(word.globPattern, cwd, word.raw === '{}');
        if (hit) {
          const what = word.raw === '{}' ? `the files found (${word.globPattern})` : word.text;
          if (word.raw !== '{}' && wholeDirectoryGlob(word.globPattern, hit)) findings.push(globByName(label, what, hit));
          else findings.push(finding(hit.rule, label, hit.rule.id, `${what} can include ${hit.path}, which ${hit.rule.reason}`));
        }
      }
    }
    if (spec.always_recursive || (spec.recursive_flags.length > 0 && args.flags.some((f) => spec.recursive_flags.includes(f.name)))) {
      for (const w of args.positionals) {
        if (!w.static || w.glob) continue;
        const dir = normalizePath(w.text.startsWith('/') ? w.text : `${cwd ?? UNKNOWN_CWD}/${w.text}`);
        const hit = paths.secretBelow(dir);
        if (hit) {
          findings.push(make('ask', 'credential_access', label, `reads everything under ${dir}, including ${hit.path}, which ${hit.rule.reason}`));
          break;
        }
      }
    }
    for (const target of writeTargets(spec, args)) {
      if (!target.static || target.glob) continue;
      for (const alternative of target.alternatives) {
        const path = normalizePath(alternative.startsWith('/') ? alternative : `${cwd ?? UNKNOWN_CWD}/${alternative}`);
        const rule = paths.writeTarget(path);
        if (rule) findings.push(finding(rule, label, rule.id, `${name} writes to ${path}, which ${rule.reason}`));
      }
    }
    if (spec.dynamic_args === 'ask' && spec.file_access === 'content') {
      const dynamic = args.words.filter((w) => !w.static);
      if (dynamic.length > 0) {
        const parts = [...new Set(dynamic.flatMap((w) => w.dynamicParts))].join(', ');
        findings.push(make('ask', 'unknown', label, `${name || 'the program'} gets arguments only known at run time (${parts}), which may name any file`));
      }
    }
    for (const w of args.words) {
      if (!w.static) continue;
      const isOperand = args.positionals.includes(w) && w.text === w.raw && !/\s/.test(w.text);
      if ((!isOperand && SHELL_PATH.test(w.text)) || SHELL_COMMAND_WORD.test(w.text)) {
        findings.push(make('ask', 'code_download_exec', label, `hands a shell to ${name || 'the program'} (${quote(w.text)}), a common way to escape its restrictions`, false));
        break;
      }
    }
    return findings;
  }

  /** Interpreters and shells run what arrives on standard input; downloaded code is refused. */
  private interpreterInput(name: string, args: ParsedArgs, command: SimpleCommand): Finding[] {
    const label = quote(command.text);
    const script = args.positionals[0];
    if (script?.processSubstitution && this.mentionsDownloader(script.raw)) {
      return [make('deny', 'code_download_exec', label, `${name} runs code downloaded from the network`, false)];
    }
    if (args.positionals.length > 0 || args.flags.length > 0) return [];
    return this.stdinVerdict(name, command.stdin, label, false);
  }

  private mentionsDownloader(text: string): boolean {
    for (const word of text.split(/[^A-Za-z0-9_.+-]+/)) if (this.policy.settings.downloaders.has(word)) return true;
    return false;
  }

  private stdinVerdict(name: string, stdin: StdinSource, label: string, isShell: boolean): Finding[] {
    switch (stdin.kind) {
      case 'pipe': {
        const downloader = stdin.upstream.flatMap((c) => c.words.filter((w) => w.static).map((w) => basename(w.text))).find((w) => this.policy.settings.downloaders.has(w));
        if (downloader) return [make('deny', 'code_download_exec', label, `${name} runs code that ${downloader} downloads`, false)];
        return [make('ask', 'code_download_exec', label, `${name} runs whatever arrives on its input from the pipeline`, false)];
      }
      case 'file':
        return [make('ask', 'code_download_exec', label, `${name} runs the code in ${stdin.path.text}`, false)];
      case 'text':
        return isShell ? [] : [make('ask', 'code_download_exec', label, `${name} runs the code given on its input`, false)];
      default:
        return [make('ask', 'code_download_exec', label, isShell ? `starts an interactive ${name} shell` : `starts an interactive ${name} session`, false)];
    }
  }

  private nestedScript(text: string, command: SimpleCommand, ctx: EvaluationContext, depth: number, positional: readonly ShellWord[] = []): Finding[] {
    const scope = new VariableScope();
    scope.setPositional(positional.map((w) => (w.static ? w.text : null)));
    return this.evaluateScript(text, ctx, depth + 1, scope, command.cwd).findings;
  }

  private evaluateWrapper(name: string, wrapper: WrapperSpec, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    switch (wrapper.kind) {
      case 'shell':
        return this.evaluateShell(name, wrapper, argWords, command, ctx, depth);
      case 'eval':
        return this.evaluateEval(name, argWords, command, ctx, depth);
      case 'ssh':
        return this.evaluateSsh(name, wrapper, argWords, command, ctx, depth);
      case 'xargs':
        return this.evaluateXargs(name, wrapper, argWords, command, ctx, depth);
      case 'watch':
        return this.evaluateWatch(name, wrapper, argWords, command, ctx, depth);
      case 'find':
        return this.evaluateFind(argWords, command, ctx, depth);
      case 'busybox':
        if (argWords.length === 0) return [make('allow', 'read_only', label, `${name} without an applet lists its applets`)];
        return this.evaluateWords(argWords, command, ctx, depth + 1);
      default:
    }
    const parsed = parseArgs(argWords, grammarOf(wrapper, { stopAtPositional: wrapper.skip_positionals, dashIsFlag: wrapper.dash_is_flag }));
    if (wrapper.direct_flags.length > 0 && hasFlag(parsed.flags, wrapper.direct_flags)) {
      return this.evaluateProgram(name, argWords, command, ctx);
    }
    const findings: Finding[] = [];
    if (wrapper.verdict) findings.push(finding(wrapper.verdict, label));
    if (name === 'exec') findings.push(...loginArgv0Findings(parsed.flags, label));
    if (wrapper.lock_file) findings.push(...this.lockFileFindings(name, parsed.positionals[0], command));
    if (wrapper.kind === 'command' && hasFlag(parsed.flags, ['-v', '-V'])) {
      findings.push(make('allow', 'read_only', label, `${name} -v only looks up how a name would be run`));
      return findings;
    }
    // `env -C dir`, `sudo -D dir`: the wrapped command runs (and resolves relative names) elsewhere.
    const chdir = parsed.flags.find((f) => wrapper.chdir_options.some((o) => sameOption(f.name, o)));
    if (chdir) {
      const dir = chdir.value;
      command = { ...command, cwd: dir && dir.static && !dir.glob ? (resolveDirectory(command.cwd, dir.text) ?? ANYWHERE_CWD) : ANYWHERE_CWD };
    }
    // Abbreviations count (`flock --comm 'cmd'` is `--command`), so a command string is never missed.
    const commandOption = parsed.flags.find((f) => wrapper.command_options.some((o) => sameOption(f.name, o)));
    if (commandOption) {
      const value = commandOption.value;
      if (!value || !value.static) findings.push(make('ask', 'code_download_exec', label, `${name} runs a command string only known at run time`, false));
      else findings.push(...this.nestedScript(value.text, command, ctx, depth));
      return findings;
    }
    let inner = parsed.rest;
    if (wrapper.kind === 'env') {
      const split = parsed.flags.find((f) => sameOption(f.name, '-S') || sameOption(f.name, '--split-string'));
      if (split) {
        // env -S 'prog args' splits a string into words: judge it as a command line.
        findings.push(...(split.value?.static ? this.nestedScript([split.value.text, ...inner.map((w) => w.raw)].join(' '), command, ctx, depth) : [make('ask', 'code_download_exec', label, 'env -S splits a string only known at run time', false)]));
        return findings;
      }
      while (inner[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(inner[0].text)) {
        const variable = inner[0].text.split('=')[0] as string;
        findings.push(...this.environmentFinding(variable, label));
        const value = { ...inner[0], text: inner[0].text.slice(variable.length + 1), alternatives: inner[0].alternatives.map((a) => a.slice(variable.length + 1)) };
        findings.push(...startupVariableFindings(variable, value, label, (w, what) => this.fileRead(w, command, label, what)));
        inner = inner.slice(1);
      }
    }
    if (inner.length === 0) {
      findings.push(wrapper.bare ? finding(wrapper.bare, label) : make('allow', 'read_only', label, `${name} without a command only reports its settings`));
      return findings;
    }
    findings.push(...this.evaluateWords(inner, command, ctx, depth + 1));
    return findings;
  }

  /**
   * `flock FILE cmd` creates FILE when it is missing: an empty /etc/nologin stops every
   * login, an empty file elsewhere in /etc can switch features off. Lock directories are fine.
   */
  private lockFileFindings(name: string, word: ShellWord | undefined, command: SimpleCommand): Finding[] {
    const label = quote(command.text);
    if (!word || (word.static && /^\d+$/.test(word.text))) return [];
    if (!word.static || word.glob) return [make('ask', 'mutating', label, `${name} creates a lock file whose name is only known at run time`)];
    const path = normalizePath(word.text.startsWith('/') ? word.text : `${command.cwd ?? UNKNOWN_CWD}/${word.text}`);
    if (/^\/(tmp|var\/tmp|run\/lock|var\/lock|var\/run\/lock|dev\/shm)\//.test(path)) return [];
    const rule = this.policy.paths.writeTarget(path);
    return [rule ? finding(rule, label, rule.id, `${name} creates ${path} if it is missing, which ${rule.reason}`) : make('ask', 'mutating', label, `${name} creates the lock file ${path} if it is missing`)];
  }

  private evaluateShell(name: string, wrapper: WrapperSpec, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const findings: Finding[] = [];
    const invocation = parseShellInvocation(argWords);
    const runsString = invocation.letters.has('c');
    const rest = argWords.slice(invocation.operands);
    if (wrapper.verdict) findings.push(finding(wrapper.verdict, label));
    findings.push(...shellStartupFindings(name, invocation, label, (w, what) => this.fileRead(w, command, label, what)));
    if (invocation.letters.has('p')) findings.push(make('ask', 'privilege_escalation', label, `${name} -p keeps the privileges of a setuid caller`, false));
    if (!wrapper.posix) findings.push(make('ask', 'code_download_exec', label, `${name} is not a POSIX shell, so its commands can only be judged approximately`, false));
    if (runsString) {
      const script = rest[0];
      if (!script) findings.push(make('ask', 'unknown', label, `${name} -c without a command string`));
      else if (!script.static) {
        const downloaded = script.dynamicParts.some((part) => this.mentionsDownloader(part));
        findings.push(make(downloaded ? 'deny' : 'ask', 'code_download_exec', label, downloaded ? `${name} -c runs code downloaded from the network` : `${name} -c runs a command string only known at run time`, false));
      }
      else {
        const differs = readsDifferentlyFromBash(name, script.text);
        if (differs) findings.push(make('ask', 'code_download_exec', label, differs, false));
        findings.push(...this.nestedScript(script.text, command, ctx, depth, rest.slice(1)).map((f) => ({ ...f, rememberable: false })));
      }
      if (findings.every((f) => f.decision === 'allow')) findings.push(make('allow', 'read_only', label, `${name} -c runs only the commands judged above`, false));
      return findings;
    }
    const script = rest[0];
    if (script) {
      if (script.processSubstitution) {
        const downloaded = this.mentionsDownloader(script.raw);
        findings.push(make(downloaded ? 'deny' : 'ask', 'code_download_exec', label, downloaded ? `${name} runs code downloaded from the network` : `${name} runs commands produced by a process substitution`, false));
      } else {
        findings.push(make('ask', 'code_download_exec', label, `${name} runs the script ${script.text}`, false));
        findings.push(...this.argumentChecks(name, DEFAULT_PROGRAM_SPEC, this.parse('', DEFAULT_PROGRAM_SPEC, rest), command));
      }
      return findings;
    }
    if (command.stdin.kind === 'text' && command.stdin.text.static) {
      findings.push(...this.nestedScript(command.stdin.text.text, command, ctx, depth).map((f) => ({ ...f, rememberable: false })));
      findings.push(make('ask', 'code_download_exec', label, `${name} runs the script given on its input`, false));
      return findings;
    }
    const echoed = echoedScript(command.stdin);
    if (echoed !== null) findings.push(...this.nestedScript(echoed, command, ctx, depth).map((f) => ({ ...f, rememberable: false })));
    findings.push(...this.stdinVerdict(name, command.stdin, label, true));
    return findings;
  }

  private evaluateEval(name: string, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    if (argWords.length === 0) return [make('allow', 'read_only', label, `${name} without arguments does nothing`)];
    if (argWords.some((w) => !w.static)) return [make('ask', 'code_download_exec', label, `${name} runs text only known at run time`, false)];
    const findings = this.nestedScript(argWords.map((w) => w.text).join(' '), command, ctx, depth).map((f) => ({ ...f, rememberable: false }));
    findings.push(make('allow', 'read_only', label, `${name} runs only the commands judged above`, false));
    return findings;
  }

  private evaluateSsh(name: string, wrapper: WrapperSpec, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const parsed = parseArgs(argWords, grammarOf(wrapper, { stopAtPositional: 1 }));
    const findings: Finding[] = [];
    if (wrapper.verdict) findings.push(finding(wrapper.verdict, label));
    // -F FILE is read (and printed by -G, whatever it holds), -E FILE written; -G still reads the configuration.
    for (const f of parsed.flags) {
      if (f.name === '-F' && f.value && !(f.value.static && f.value.text === '/dev/null')) {
        findings.push(...this.fileRead(f.value, command, label, `${name} -F reads`));
        findings.push(make('ask', 'code_download_exec', label, `${name} -F reads another configuration, which can run local commands`, false));
      }
      if (f.name === '-E' && f.value) findings.push(...this.evaluateRedirect({ operator: '>>', kind: 'write', target: f.value, text: `-E ${f.value.raw}` }, command.cwd, label));
    }
    const printOnly = hasFlag(parsed.flags, ['-V', '-G']);
    if (!printOnly && hasFlag(parsed.flags, ['-L', '-R', '-D', '-W', '-w'])) findings.push(make('ask', 'network_exfiltration', label, `${name} forwards network connections through the remote host`));
    if (!printOnly && hasFlag(parsed.flags, ['-A'])) findings.push(make('ask', 'credential_access', label, `${name} -A lets the remote host use your SSH agent's keys`));
    if (!printOnly && hasFlag(parsed.flags, ['-O', '-M', '-S', '-N', '-f'])) findings.push(make('ask', 'unknown', label, `${name} manages a background or shared connection`));
    for (const f of parsed.flags) {
      if (f.name !== '-o' || !f.value) continue;
      const key = (f.value.text.split(/[=\s]/)[0] ?? '').toLowerCase();
      if (!f.value.static || SSH_COMMAND_OPTIONS.has(key)) {
        findings.push(make('ask', 'code_download_exec', label, `${name} -o ${key || '(computed)'} can run a local command`, false));
      } else if (SSH_FORWARD_OPTIONS.has(key)) {
        // The -o spellings of -L/-R/-D/-A/-X/-w.
        findings.push(make('ask', 'network_exfiltration', label, `${name} -o ${key} forwards connections, agents or environment through the remote host`));
      } else if (SSH_FILE_OPTIONS.has(key)) {
        findings.push(make('ask', 'mutating', label, `${name} -o ${key} makes ssh write a file of your choosing (known hosts, control socket)`));
      }
    }
    if (printOnly) return [...findings, make('allow', 'read_only', label, `${name} ${parsed.flags.find((f) => f.name === '-V' || f.name === '-G')?.name} only prints its version or configuration`)];
    const host = parsed.positionals[0];
    if (!host) return [...findings, make('ask', 'unknown', label, `${name} without a destination host`)];
    const remote = parsed.rest;
    if (remote.length === 0) return [...findings, make('ask', 'unknown', label, `${name} opens an interactive session on ${host.text}`)];
    if (remote.some((w) => !w.static)) return [...findings, make('ask', 'unknown', label, `${name} runs a remote command only known at run time`)];
    findings.push(...this.nestedScript(remote.map((w) => w.text).join(' '), command, ctx, depth));
    return findings;
  }

  private evaluateXargs(name: string, wrapper: WrapperSpec, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const parsed = parseArgs(argWords, grammarOf(wrapper, { stopAtPositional: 0 }));
    const findings: Finding[] = [];
    for (const f of parsed.flags) {
      if ((f.name === '-a' || f.name === '--arg-file') && f.value) {
        for (const path of pathCandidates(f.value, command.cwd)) {
          const secret = this.policy.paths.secret(path);
          if (secret) findings.push(finding(secret, label, secret.id, `reads ${path}, which ${secret.reason}`));
        }
      }
    }
    const replaceFlag = parsed.flags.find((f) => f.name === '-I' || f.name === '-i' || f.name === '--replace');
    const replace = replaceFlag ? (replaceFlag.value?.text ?? '{}') || '{}' : null;
    const inner = parsed.rest.length > 0 ? parsed.rest : [staticWord('echo')];
    const items = dynamicWord(`items ${name} reads from its input`);
    const words = replace !== null ? inner.map((w) => (w.text.includes(replace) ? items : w)) : [...inner, items];
    findings.push(...this.evaluateWords(words, command, ctx, depth + 1));
    return findings;
  }

  private evaluateWatch(name: string, wrapper: WrapperSpec, argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const parsed = parseArgs(argWords, grammarOf(wrapper, { stopAtPositional: 0 }));
    const inner = parsed.rest;
    if (inner.length === 0) return [make('ask', 'unknown', label, `${name} without a command`)];
    if (hasFlag(parsed.flags, ['-x', '--exec'])) return this.evaluateWords(inner, command, ctx, depth + 1);
    if (inner.some((w) => !w.static)) return [make('ask', 'code_download_exec', label, `${name} runs a command only known at run time`, false)];
    // watch hands the joined words to /bin/sh -c, not to bash.
    const text = inner.map((w) => w.text).join(' ');
    ctx.programs?.push('sh');
    const differs = readsDifferentlyFromBash('sh', text);
    return [...(differs ? [make('ask', 'code_download_exec', label, `${name} runs its command with /bin/sh: ${differs}`, false)] : []), ...this.nestedScript(text, command, ctx, depth)];
  }

  private evaluateFind(argWords: readonly ShellWord[], command: SimpleCommand, ctx: EvaluationContext, depth: number): Finding[] {
    const label = quote(command.text);
    const own: ShellWord[] = [];
    const executions: ShellWord[][] = [];
    const roots: string[] = [];
    const names: string[] = [];
    let inRoots = true;
    for (let i = 0; i < argWords.length; i++) {
      const word = argWords[i] as ShellWord;
      const t = word.text;
      if (inRoots && (t === '-H' || t === '-L' || t === '-P' || t.startsWith('-O'))) {
        own.push(word);
        continue;
      }
      if (inRoots && t === '-D') {
        own.push(word, ...(argWords[i + 1] ? [argWords[i + 1] as ShellWord] : []));
        i++;
        continue;
      }
      if (inRoots && !t.startsWith('-') && t !== '(' && t !== '!' && t !== ')') {
        roots.push(word.static ? t : '.');
        own.push(word);
        continue;
      }
      inRoots = false;
      if (['-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename'].includes(t) && argWords[i + 1]?.static) {
        names.push((argWords[i + 1] as ShellWord).text);
      }
      if (['-exec', '-execdir', '-ok', '-okdir'].includes(t)) {
        own.push(word);
        const inner: ShellWord[] = [];
        let j = i + 1;
        for (; j < argWords.length; j++) {
          const w = argWords[j] as ShellWord;
          if (w.text === ';' || (w.text === '+' && inner.length > 0 && inner[inner.length - 1]?.text === '{}')) break;
          inner.push(w);
        }
        executions.push(inner);
        i = j;
        continue;
      }
      own.push(word);
    }
    const findings = this.evaluateProgram('find', own, command, ctx);
    if (roots.length === 0) roots.push('.');
    for (const inner of executions) {
      if (inner.length === 0) {
        findings.push(make('ask', 'unknown', label, 'find -exec without a command'));
        continue;
      }
      for (const root of roots.slice(0, 4)) {
        const base = normalizePath(root.startsWith('/') ? root : `${command.cwd ?? UNKNOWN_CWD}/${root}`);
        const found = (pattern: string): ShellWord => ({ ...staticWord('{}'), glob: true, globPattern: pattern, raw: '{}' });
        const variants: ShellWord[] = names.length > 0 ? names.map((n) => found(n.includes('/') ? n : `${base === '/' ? '' : base}/**/${n}`)) : [staticWord(base), found(`${base === '/' ? '' : base}/**`)];
        for (const variant of variants) {
          const words = inner.map((w) => (w.text === '{}' ? variant : w.text.includes('{}') ? { ...w, text: w.text.split('{}').join(variant.text), alternatives: [w.text.split('{}').join(variant.text)] } : w));
          findings.push(...this.evaluateWords(words, command, ctx, depth + 1));
        }
      }
    }
    return findings;
  }
}

/**
 * An argument only known at run time that may be an option: an unquoted expansion (the
 * shell splits it into words, any of which may start with `-`), a computed word in an
 * operand position, an option whose name is computed (`-$x`), or a glob starting with a
 * wildcard (file names are chosen by whoever can write the directory). The value of a
 * known option (`-p "$pid"`, `--since=$t`) is not one.
 */
function runTimeOption(args: ParsedArgs): string | null {
  for (const w of args.words) if (w.splittable) return w.dynamicParts[0] ?? w.raw;
  for (const w of args.positionals) if (!w.static && w.text.startsWith(DYNAMIC)) return w.dynamicParts[0] ?? w.raw;
  // A glob that starts with a wildcard can match a file named like an option (`--to-command=sh`).
  for (const w of args.positionals) if (w.glob && /^[*?[]/.test(w.text)) return `the file names ${w.raw} expands to`;
  for (const f of args.flags) if (f.name.includes(DYNAMIC)) return f.word.dynamicParts[0] ?? f.word.raw;
  return null;
}

/** The script `echo '...' | sh` feeds a shell, when the upstream is a plain echo of static words. */
function echoedScript(stdin: StdinSource): string | null {
  if (stdin.kind !== 'pipe' || stdin.upstream.length !== 1) return null;
  const [program, ...args] = (stdin.upstream[0] as SimpleCommand).words;
  if (!program?.static || program.text !== 'echo' || !args.every((w) => w.static)) return null;
  return args
    .filter((w) => !/^-[neE]+$/.test(w.text))
    .map((w) => w.text)
    .join(' ');
}

/** The words a program writes to, by its declared operands, options and NAME=PATH arguments. */
function writeTargets(spec: ProgramSpec, args: ParsedArgs): ShellWord[] {
  const targets: ShellWord[] = [];
  if (spec.write_operands === 'all') targets.push(...args.positionals);
  else if (spec.write_operands === 'last' && args.positionals.length > 1) targets.push(args.positionals[args.positionals.length - 1] as ShellWord);
  for (const f of args.flags) if (f.value && spec.write_options.some((o) => sameOption(f.name, o))) targets.push(f.value);
  for (const key of spec.write_assignments) {
    for (const w of args.positionals) if (w.text.startsWith(`${key}=`)) targets.push({ ...w, text: w.text.slice(key.length + 1), alternatives: w.alternatives.map((a) => a.slice(key.length + 1)) });
  }
  return targets;
}

const SSH_COMMAND_OPTIONS = new Set(['proxycommand', 'localcommand', 'permitlocalcommand', 'knownhostscommand', 'remotecommand', 'match', 'include', 'proxyusefdpass', 'securitykeyprovider', 'pkcs11provider', 'identityagent']);

const SSH_FORWARD_OPTIONS = new Set(['localforward', 'remoteforward', 'dynamicforward', 'forwardagent', 'forwardx11', 'forwardx11trusted', 'tunnel', 'tunneldevice', 'gatewayports', 'permitremoteopen', 'sendenv', 'setenv', 'streamlocalbindunlink']);
const SSH_FILE_OPTIONS = new Set(['userknownhostsfile', 'globalknownhostsfile', 'controlpath', 'controlmaster', 'controlpersist', 'hostkeyalias', 'revokedhostkeys']);

const PATTERN_OPTIONS = ['-e', '--regexp', '-f', '--file', '--expression', '--from-file', '--source'];

/**
 * A shell glob for every file of one literal directory (`/var/log/nginx/*`) that reaches a
 * secret only by a file name it could hold (a rule for `id_rsa` in any directory), in a directory that is
 * not itself a credential directory: the host decides, so it needs approval rather than a refusal.
 * (Judging the glob's matches on the host and running that list is the fleet layer's job.)
 */
function wholeDirectoryGlob(pattern: string, hit: { byName?: boolean }): boolean {
  const slash = pattern.lastIndexOf('/');
  return hit.byName === true && pattern.slice(slash + 1) === '*' && !/[*?[]/.test(pattern.slice(0, Math.max(slash, 0)));
}

function globByName(label: string, what: string, hit: { rule: { category: Finding['category']; reason: string }; path: string }): Finding {
  return make('ask', hit.rule.category, label, `${what} may include a file named like ${hit.path} (which ${hit.rule.reason}); which files it matches is only known on the host`, false);
}
