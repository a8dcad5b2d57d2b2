import { ARITHMETIC_TEST_OPERATORS, holdsCode, literalArithmetic, type ArithmeticTracker } from './bash-arithmetic';
import { make, type Finding } from './findings';
import type { CommandItem, DynamicCodeItem, NestedScriptItem, SimpleCommand } from './script-items';
import { staticWord, type ShellWord } from './words';

/**
 * Shell builtins that evaluate their arguments instead of just reading them: names of
 * variables (bash evaluates the subscript of `a[expr]` as arithmetic, so `read 'a[$(id)]'`
 * runs `id`), arithmetic expressions (`let`), command strings and functions run as
 * callbacks (`mapfile -C`, `compgen -C/-F`, `trap`), word lists expanded like commands
 * (`compgen -W '$(id)'`) and commands they run (`jobs -x`). The walker judges each use:
 * names and expressions against what it knows of the variables, code as commands.
 */

export type BuiltinUse =
  /** A variable name; bash expands and evaluates its subscript. `assigns` when the builtin sets it. */
  | { kind: 'name'; word: ShellWord; assigns: boolean }
  /** An arithmetic expression (`let`, a `declare -i` value). */
  | { kind: 'expression'; word: ShellWord }
  /** An operand of `test`/`[` -eq and friends: a plain number to bash, an expression to `[[ ]]` and ksh's test. */
  | { kind: 'test_operand'; word: ShellWord }
  /** A command string bash runs, with the words it appends (`mapfile -C cb` runs `cb INDEX LINE`). */
  | { kind: 'code'; word: ShellWord; appended: string }
  /** A word list bash expands like command words, command substitutions included (`compgen -W`). */
  | { kind: 'expanded'; word: ShellWord }
  /** A shell function the builtin calls (`compgen -F f`). */
  | { kind: 'function'; word: ShellWord }
  /** A command the builtin runs (`jobs -x cmd args`). */
  | { kind: 'command'; words: ShellWord[] };

type OptionRole = 'value' | 'name' | 'code' | 'function' | 'expanded';

interface BuiltinSpec {
  /** Options that take a value, by letter, and what the value is. */
  options: Record<string, OptionRole>;
  /** What the operands are. */
  operands: 'names' | 'first_name' | 'expressions' | 'declarations' | 'none' | 'getopts' | 'trap' | 'jobs';
  /** `+x` options too (declare +x). */
  plus?: boolean;
  /** Runs code from its arguments: a word only known at run time may be an option that runs code. */
  runsCode?: boolean;
  /** The words bash appends to a code option's string when it runs it. */
  appended?: string;
}

const DECLARE: BuiltinSpec = { options: {}, operands: 'declarations', plus: true };
const COMPLETION: BuiltinSpec = {
  options: { C: 'code', F: 'function', W: 'expanded', X: 'value', G: 'value', P: 'value', S: 'value', o: 'value', A: 'value' },
  operands: 'none',
  runsCode: true,
  // The completion command gets the command name, the word being completed and the one before it.
  appended: ' "$1" "$2" "$3"',
};

const BUILTINS: Record<string, BuiltinSpec> = {
  read: { options: { a: 'name', d: 'value', i: 'value', n: 'value', N: 'value', p: 'value', t: 'value', u: 'value' }, operands: 'names' },
  mapfile: { options: { C: 'code', c: 'value', d: 'value', n: 'value', O: 'value', s: 'value', u: 'value' }, operands: 'first_name', runsCode: true, appended: ' 0 "$1"' },
  readarray: { options: { C: 'code', c: 'value', d: 'value', n: 'value', O: 'value', s: 'value', u: 'value' }, operands: 'first_name', runsCode: true, appended: ' 0 "$1"' },
  printf: { options: { v: 'name' }, operands: 'none' },
  wait: { options: { p: 'name' }, operands: 'none' },
  getopts: { options: {}, operands: 'getopts' },
  unset: { options: {}, operands: 'names' },
  let: { options: {}, operands: 'expressions' },
  declare: DECLARE,
  typeset: DECLARE,
  local: DECLARE,
  export: DECLARE,
  readonly: DECLARE,
  compgen: COMPLETION,
  complete: COMPLETION,
  trap: { options: {}, operands: 'trap', runsCode: true },
  jobs: { options: {}, operands: 'jobs', runsCode: true },
};

const EVALUATING = new Set([...Object.keys(BUILTINS), 'test', '[']);

export function isEvaluatingBuiltin(name: string): boolean {
  return EVALUATING.has(name);
}

/** The uses of its arguments by a builtin that evaluates some; empty for other programs. */
export function builtinUses(program: string, args: readonly ShellWord[]): BuiltinUse[] {
  if (program === 'test' || program === '[') return testUses(program === '[' && args[args.length - 1]?.text === ']' ? args.slice(0, -1) : args);
  const spec = Object.hasOwn(BUILTINS, program) ? BUILTINS[program] : undefined;
  if (!spec) return [];
  const uses: BuiltinUse[] = [];
  const flags = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i] as ShellWord;
    const t = word.text;
    if (!word.static) {
      // `mapfile $opts`: a word only known at run time may be `-C cmd`.
      if (spec.runsCode) uses.push({ kind: 'code', word, appended: '' });
      break;
    }
    if (t === '--') {
      i++;
      break;
    }
    if (!(t.startsWith('-') || (spec.plus && t.startsWith('+'))) || t.length < 2) break;
    for (let c = 1; c < t.length; c++) {
      const letter = t[c] as string;
      const role = spec.options[letter];
      if (!role) {
        if (t[0] === '-') flags.add(letter);
        continue;
      }
      const value = c + 1 < t.length ? staticWord(t.slice(c + 1)) : args[++i];
      if (value && role !== 'value') uses.push(optionUse(role, value, spec));
      break;
    }
  }
  const operands = args.slice(i);
  switch (spec.operands) {
    case 'names':
      if (program === 'unset' && flags.has('f')) break;
      for (const word of operands) uses.push({ kind: 'name', word, assigns: program !== 'unset' });
      break;
    case 'first_name':
      if (operands[0]) uses.push({ kind: 'name', word: operands[0], assigns: true });
      break;
    case 'getopts':
      if (operands[1]) uses.push({ kind: 'name', word: operands[1], assigns: true });
      break;
    case 'expressions':
      for (const word of operands) uses.push({ kind: 'expression', word });
      break;
    case 'declarations':
      if (flags.has('f') || flags.has('F')) break;
      for (const word of operands) uses.push(...declarationUses(flags, word));
      break;
    case 'trap':
      // `trap ACTION SIGNAL...`: with one operand it only resets that signal.
      if (operands.length >= 2 && operands[0]?.text !== '-') uses.push({ kind: 'code', word: operands[0] as ShellWord, appended: '' });
      break;
    case 'jobs':
      // `jobs -x cmd args` runs cmd with job specs replaced by process group ids.
      if (flags.has('x') && operands.length > 0) uses.push({ kind: 'command', words: operands });
      break;
    default:
  }
  return uses;
}

function optionUse(role: Exclude<OptionRole, 'value'>, word: ShellWord, spec: BuiltinSpec): BuiltinUse {
  switch (role) {
    case 'name':
      return { kind: 'name', word, assigns: true };
    case 'code':
      return { kind: 'code', word, appended: spec.appended ?? '' };
    case 'function':
      return { kind: 'function', word };
    default:
      return { kind: 'expanded', word };
  }
}

/**
 * One operand of declare/typeset/local/export/readonly as bash reads it after quote
 * removal: `name`, `name[sub]` or `name[sub]=value` (a quoted `'a[$(id)]=1'` is one too).
 * With -i the value is an expression; with -n it is the name of another variable.
 */
export function declarationUses(flags: ReadonlySet<string>, word: ShellWord): BuiltinUse[] {
  if (!word.static) return [{ kind: 'name', word, assigns: true }];
  const split = splitAssignment(word.text);
  if (!split) return [{ kind: 'name', word, assigns: false }];
  const uses: BuiltinUse[] = [{ kind: 'name', word: staticWord(split.name), assigns: true }];
  if (flags.has('i')) uses.push({ kind: 'expression', word: staticWord(split.value) });
  if (flags.has('n')) uses.push({ kind: 'name', word: staticWord(split.value), assigns: false });
  return uses;
}

/** `name[sub]+=value` → name and value, the `=` looked for after the subscript. */
export function splitAssignment(text: string): { name: string; value: string } | null {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[.*?\])?\+?=/s.exec(text) ?? /^([^=]*?)\+?=/s.exec(text);
  if (!m) return null;
  return { name: m[0].replace(/\+?=$/, ''), value: text.slice(m[0].length) };
}

/** test and [: `-v NAME` and `-R NAME` evaluate a name; -eq and friends compare operands. */
function testUses(args: readonly ShellWord[]): BuiltinUse[] {
  const uses: BuiltinUse[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = (args[i] as ShellWord).text;
    const next = args[i + 1];
    if ((t === '-v' || t === '-R') && next) uses.push({ kind: 'name', word: next, assigns: false });
    else if (ARITHMETIC_TEST_OPERATORS.has(t) && i > 0 && next) uses.push({ kind: 'test_operand', word: args[i - 1] as ShellWord }, { kind: 'test_operand', word: next });
  }
  return uses;
}

/** What the walker shares with this module. */
export interface BuiltinWalker {
  readonly arithmetic: ArithmeticTracker;
  /** Whether a shell function of that name is defined in the command so far. */
  isFunction(name: string): boolean;
  /** A call of a function defined in the command (`compgen -F f`). */
  callFunction(name: string, text: string): void;
  push(item: CommandItem | NestedScriptItem | DynamicCodeItem): void;
}

/**
 * Notes what a builtin evaluates among its arguments; `builtin read` and `command read`
 * are `read`. The walker is asked for only when the command is such a builtin.
 */
export function noteBuiltin(command: SimpleCommand, walker: () => BuiltinWalker): void {
  const first = command.words[0];
  if (!first?.static || !(EVALUATING.has(first.text) || first.text === 'builtin' || first.text === 'command')) return;
  let words: readonly ShellWord[] = command.words;
  while (words.length > 1 && words[0]?.static && (words[0].text === 'builtin' || words[0].text === 'command')) {
    let i = 1;
    // command's options: -p (the default PATH), -v/-V (only look the name up); `--` ends them.
    for (; i < words.length && /^-[pvV]+$/.test((words[i] as ShellWord).text); i++) if (/[vV]/.test((words[i] as ShellWord).text)) return;
    if (words[i]?.text === '--') i++;
    words = words.slice(i);
  }
  const program = words[0];
  if (!program?.static || !isEvaluatingBuiltin(program.text)) return;
  for (const use of builtinUses(program.text, words.slice(1))) noteBuiltinUse(use, program.text, command, walker());
}

/** Judges one use: names and expressions against the variables, code as commands, functions as calls. */
export function noteBuiltinUse(use: BuiltinUse, program: string, command: SimpleCommand, walker: BuiltinWalker): void {
  const text = command.text;
  switch (use.kind) {
    case 'name':
      walker.arithmetic.name(use.word, text);
      return;
    case 'expression':
      walker.arithmetic.expression(use.word, text);
      return;
    case 'test_operand':
      // bash's test reads a plain number here, [[ ]] and ksh's test an expression: literal code is judged.
      if (use.word.static && holdsCode(use.word.text)) walker.arithmetic.evaluated(literalArithmetic(use.word.text), text, `an operand of ${program} (an expression to [[ ]] and ksh)`);
      return;
    case 'code':
    case 'expanded':
      if (!use.word.static) walker.push({ kind: 'dynamic_code', text, what: program, source: use.word.raw });
      else if (use.kind === 'code') walker.push({ kind: 'nested_script', code: `${use.word.text}${use.appended}`, text });
      else if (holdsCode(use.word.text)) walker.push({ kind: 'nested_script', code: `: ${use.word.text}`, text });
      return;
    case 'function':
      if (use.word.static && walker.isFunction(use.word.text)) walker.callFunction(use.word.text, text);
      else walker.push({ kind: 'dynamic_code', text, what: `${program} -F`, source: `the function ${use.word.raw}, not defined in this command` });
      return;
    case 'command':
      walker.push({ kind: 'command', command: { ...command, words: use.words } });
      return;
    default:
  }
}

export function dynamicCodeFindings(item: DynamicCodeItem, label: string, mentionsDownloader: (text: string) => boolean): Finding[] {
  if (mentionsDownloader(item.source)) return [make('deny', 'code_download_exec', label, `${item.what} runs code downloaded from the network`, false)];
  return [make('ask', 'code_download_exec', label, `${item.what} runs code only known at run time (${item.source})`, false)];
}
