import type { SyntaxNode } from './bash-parser';
import { make, type Finding } from './findings';
import type { EmbeddedCodeItem, EvaluationItem, Redirect } from './script-items';
import { decodeAnsiC, DYNAMIC, type ShellWord, type ValueKind, type VariableScope } from './words';

/**
 * Bash evaluates text a second time in arithmetic: `$((...))`, `$[...]`, `((...))`,
 * `for ((...))`, `let`, `declare -i` values, array subscripts (`a[i]=`, `${a[i]}`,
 * `read 'a[i]'`), substring offsets (`${s:i:n}`), the operands of `[[ x -eq y ]]`.
 * There a variable's value is itself an expression, and a subscript in it is expanded
 * again, command substitutions included: `x='a[$(id)]'; echo $((x))` runs `id`. So
 * literal text holding `$(...)` there is code, and a value only known at run time (read,
 * a command's output) may be code too. This module says what such a context evaluates;
 * the walker checks it against what it knows of the variables.
 */

/** The operators of `test` and `[[ ]]` whose operands are arithmetic expressions (in `[[ ]]`, and in ksh's test). */
export const ARITHMETIC_TEST_OPERATORS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);

/** Text that runs commands when bash expands it again. */
const CODE = /\$\(|`/;

export interface Evaluated {
  /** Literal text (quotes removed) holding command substitutions that bash runs when it expands the expression. */
  code: string[];
  /** Variables whose values bash evaluates as expressions in turn. */
  names: string[];
  /** Command and process substitutions whose output bash evaluates as an expression. */
  substitutions: SyntaxNode[];
  /** Variables the expression assigns (`x=...`, `x++`): they hold numbers afterwards. */
  assigned: string[];
}

export function evaluated(): Evaluated {
  return { code: [], names: [], substitutions: [], assigned: [] };
}

export function holdsCode(text: string): boolean {
  return CODE.test(text);
}

const ASSIGNMENT_OPERATORS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|=']);

function targetName(node: SyntaxNode | null): string | null {
  if (!node) return null;
  if (node.type === 'subscript') return targetName(node.childForFieldName('name'));
  if (node.type === 'variable_name' || node.type === 'word') return /^[A-Za-z_][A-Za-z0-9_]*$/.test(node.text) ? node.text : null;
  return null;
}

/** What an arithmetic expression in the syntax tree evaluates (the inside of `$((...))`, `((...))`, a subscript, an offset). */
export function arithmeticOf(node: SyntaxNode, out: Evaluated = evaluated()): Evaluated {
  switch (node.type) {
    case 'command_substitution':
    case 'process_substitution':
      out.substitutions.push(node);
      return out;
    case 'variable_name':
      out.names.push(node.text);
      return out;
    case 'special_variable_name':
      // $1, $@, $*: the positional parameters, known only in `sh -c '...' _ args`; $_: the
      // last word of the previous command. $?, $$, $#, $! are numbers.
      if (/^[0-9]$/.test(node.text)) out.names.push(node.text);
      else if (node.text === '@' || node.text === '*') out.names.push('1');
      else if (node.text === '_') out.names.push('_');
      return out;
    case 'number':
      return out;
    case 'word':
      return literalArithmetic(node.text.replace(/\\(.)/gs, '$1'), out);
    case 'raw_string': {
      // The grammar reads `$'...'` in arithmetic as an error and a '...': its escapes (\x24 is $) may hide code.
      const body = node.text.slice(1, -1);
      literalArithmetic(body, out);
      const decoded = body.includes('\\') ? decodeAnsiC(body) : body;
      if (decoded !== body && CODE.test(decoded) && !CODE.test(body)) out.code.push(decoded);
      return out;
    }
    case 'ansi_c_string':
      return literalArithmetic(decodeAnsiC(node.text.slice(2, -1)), out);
    case 'string_content':
      return literalArithmetic(node.text.replace(/\\([$`"\\])/g, '$1'), out);
    case 'binary_expression': {
      const operator = node.childForFieldName('operator');
      if (operator && ASSIGNMENT_OPERATORS.has(operator.text)) {
        const name = targetName(node.childForFieldName('left'));
        if (name) out.assigned.push(name);
      }
      break;
    }
    case 'postfix_expression':
    case 'unary_expression':
      if (/^(\+\+|--)|(\+\+|--)$/.test(node.text.trim())) {
        const name = targetName(node.namedChild(0));
        if (name) out.assigned.push(name);
      }
      break;
    default:
  }
  for (let i = 0; i < node.namedChildCount; i++) arithmeticOf(node.namedChild(i) as SyntaxNode, out);
  return out;
}

/** Removes `$(...)` and backquoted spans, so the names inside commands are not taken for variables. */
function withoutCode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '`') {
      const end = text.indexOf('`', i + 1);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (text[i] === '$' && text[i + 1] === '(') {
      let depth = 0;
      for (; i < text.length; i++) {
        if (text[i] === '(') depth++;
        else if (text[i] === ')' && --depth === 0) break;
      }
      out += ' 0 ';
      continue;
    }
    out += text[i];
  }
  return out;
}

const TOKENS = /[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_#@]*/g;

/** What bash evaluates in text it reads as an arithmetic expression after expansion (`let 'x=y'`, a subscript, a `declare -i` value). */
export function literalArithmetic(text: string, out: Evaluated = evaluated()): Evaluated {
  if (CODE.test(text)) out.code.push(text);
  const plain = CODE.test(text) ? withoutCode(text) : text;
  for (const m of plain.matchAll(TOKENS)) {
    const token = m[0];
    if (/^[0-9]/.test(token)) continue; // 42, 0x1f, 16#ff
    out.names.push(token);
    const after = plain.slice((m.index ?? 0) + token.length).trimStart();
    const before = plain.slice(0, m.index ?? 0).trimEnd();
    if (/^(\[[^\]]*\]\s*)?([-+*/%&^|]|<<|>>)?=(?!=)|^(\+\+|--)/.test(after) || /(\+\+|--)$/.test(before)) out.assigned.push(token);
  }
  return out;
}

/** The subscript of a variable name as bash reads it (`a[i+1]` → `i+1`), null when there is none. */
export function subscriptOf(name: string): string | null {
  const m = /^[A-Za-z_][A-Za-z0-9_]*\[(.*)\]$/s.exec(name);
  return m ? (m[1] as string) : null;
}

/**
 * What a variable name given to a builtin evaluates (`read`, `printf -v`, `test -v`,
 * `declare`, `unset`...): bash expands its subscript and evaluates it as arithmetic.
 * Text that is no name but holds command substitutions is judged as code all the same.
 */
export function nameArgument(name: string, out: Evaluated = evaluated()): Evaluated {
  const subscript = subscriptOf(name);
  if (subscript !== null) return literalArithmetic(subscript, out);
  if (CODE.test(name)) out.code.push(name);
  return out;
}

/** What a `${...}` expansion evaluates: arithmetic (subscripts, offsets), and variables whose values it reads as names or prompts. */
export interface ExpansionUse {
  arithmetic: SyntaxNode[];
  /** `${!x}`: the value of x is a variable name, subscript included. */
  indirect: string[];
  /** `${x@P}`: the value of x is expanded like a prompt, command substitutions included. */
  prompt: string[];
}

export function expansionUses(node: SyntaxNode): ExpansionUse {
  const use: ExpansionUse = { arithmetic: [], indirect: [], prompt: [] };
  let indirect = false;
  let offsets = false;
  let subject: string | null = null;
  let operand = false;
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i) as SyntaxNode;
    if (!child.isNamed) {
      const t = child.type;
      if (t === '${' || t === '}') continue;
      if (subject === null && t === '!') indirect = true;
      else if (t === ':') {
        offsets = true;
        operand = true;
      } else if (t === 'P' && node.child(i - 1)?.type === '@' && subject) use.prompt.push(subject);
      else if ((t === '*' || t === '@') && indirect && subject && !operand) indirect = false; // ${!prefix*}, ${!prefix@}: names, not values
      else if (subject !== null) operand = true;
      continue;
    }
    if (subject === null && (child.type === 'variable_name' || child.type === 'subscript' || child.type === 'special_variable_name')) {
      const name = child.type === 'subscript' ? child.childForFieldName('name') : child;
      subject = name?.text ?? '';
      if (child.type === 'subscript') {
        const index = child.childForFieldName('index');
        if (index && !/^[@*]$/.test(index.text)) use.arithmetic.push(index);
        else if (indirect) indirect = false; // ${!a[@]}: the keys
      }
      continue;
    }
    if (offsets) use.arithmetic.push(child);
  }
  if (indirect && subject) use.indirect.push(subject);
  return use;
}

const DATE_NUMERIC = /^\+(?:%[-_0^#]?[0-9]*[sYmdHMSjuwNVGgyCeIklz%]|[-:.,/ T0-9])*$/;
const STAT_NUMERIC = /^(?:%[sbBhiugXYZWdD]|[-:.,/ 0-9\\n])*$/;

/**
 * Whether a command prints only a number or literal text that is no code, so its output
 * evaluated as arithmetic runs nothing: `nproc`, `id -u`, `date +%s`, `wc -l` on its
 * input, `stat -c %s FILE`, `getconf NAME`, `seq`, `echo`/`printf`/`expr` of literal words.
 */
export function numericOutput(words: readonly ShellWord[]): boolean {
  const [program, ...args] = words;
  if (!program?.static || !args.every((w) => w.static && !w.glob && !holdsCode(w.text))) return false;
  const flags = args.filter((w) => w.text.startsWith('-')).map((w) => w.text);
  const operands = args.filter((w) => !w.text.startsWith('-')).map((w) => w.text);
  switch (program.text) {
    case 'nproc':
    case 'getconf':
    case 'seq':
    case 'echo':
    case 'printf':
    case 'expr':
      return true;
    case 'id':
      return flags.length > 0 && flags.every((f) => /^-[ugGrz]+$|^--(user|group|groups|real|zero)$/.test(f)) && !flags.some((f) => /n|name/.test(f));
    case 'date':
      return flags.length === 0 && operands.length === 1 && DATE_NUMERIC.test(operands[0] as string);
    case 'wc':
      return operands.length === 0 && flags.every((f) => /^-[lcmwL]+$|^--(lines|bytes|chars|words|max-line-length)$/.test(f));
    case 'stat': {
      const i = args.findIndex((w) => /^(-c|--format|--printf)$/.test(w.text));
      const format = i >= 0 ? args[i + 1]?.text : args.find((w) => /^--(format|printf)=/.test(w.text))?.text.replace(/^--\w+=/, '');
      return format !== undefined && STAT_NUMERIC.test(format) && flags.every((f) => /^(-c|--format|--printf|-L|--dereference)$|^--(format|printf)=/.test(f));
    }
    default:
      return false;
  }
}

export function evaluationFindings(item: EvaluationItem, label: string, mentionsDownloader: (text: string) => boolean): Finding[] {
  if (mentionsDownloader(item.sources)) {
    return [make('deny', 'code_download_exec', label, `evaluates downloaded text as ${item.what}, where an array subscript can run commands`, false)];
  }
  if (item.unknown.length === 0) return [];
  const values = [...new Set(item.unknown)].slice(0, 3).join(', ');
  return [make('ask', 'code_download_exec', label, `evaluates ${values}, only known at run time, as ${item.what}: an array subscript in it (a[$(...)]) would run commands`, false)];
}

const EVALUATING_EXPANSION = /^\$\{!|\[|@P|:(?![-=?+])/;
const EVALUATING_TEST = /\s-(?:eq|ne|lt|le|gt|ge|v|R)\s/;

/** Variables bash keeps as numbers: a value copied from them is one too. */
const NUMERIC_VARIABLES = new Set(['#', '?', '$', '!', 'RANDOM', 'SRANDOM', 'SECONDS', 'LINENO', 'BASHPID', 'PPID', 'UID', 'EUID', 'EPOCHSECONDS', 'OPTIND', 'HISTCMD']);

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, '; ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/** What the walker shares with the tracker: the variables in scope, where run-time values came from, the items found. */
export interface ArithmeticWalker {
  /** The current scope (a subshell has its own). */
  readonly scope: VariableScope;
  /** Source text of the run-time values of variables (`n=$(curl ...)`). */
  readonly sources: ReadonlyMap<string, string>;
  push(item: EvaluationItem | EmbeddedCodeItem): void;
  /** Decodes a word node (the operand of `[[ -v ]]`). */
  word(node: SyntaxNode): ShellWord;
}

/**
 * The walker's side of arithmetic: notes each place bash evaluates text a second time and
 * checks it against what is known of the variables there. Literal code is judged as
 * commands; a variable whose value is only known at run time (read, a command's output)
 * or a substitution's output may be code; a literal value is evaluated in turn (`y=x`
 * makes $((y)) evaluate x). Names evaluated in loop and function bodies are checked
 * again after the loop and at each call, with what is known then.
 */
export class ArithmeticTracker {
  // Allocated on first use: most commands have no arithmetic.
  /** Command substitutions (by start offset) whose output is a number or code-free literal text. */
  private numeric?: Set<number>;
  /** Variables with the integer attribute (`declare -i`): every value assigned to them is evaluated as arithmetic. */
  private integers?: Set<string>;
  /** Names evaluated inside the loop and function bodies being walked. */
  private readonly deferred: Set<string>[] = [];
  /** Names each function's body evaluates. */
  private evaluatedBy?: Map<string, Set<string>>;

  constructor(private readonly walker: ArithmeticWalker) {}

  /** Notes what an evaluation uses; `mode` says how the value of a literal variable is read (an expression, a name, or not at all). */
  evaluated(ev: Evaluated, text: string, what: string, mode: 'arithmetic' | 'name' | 'value' = 'arithmetic'): void {
    for (const code of ev.code) {
      const shown = JSON.stringify(code.length > 60 ? `${code.slice(0, 57)}...` : code);
      this.walker.push({ kind: 'embedded_code', name: what, code, text, why: `bash runs the command substitution in ${shown} when it evaluates it as ${what}` });
    }
    const unknown: string[] = [];
    const sources: string[] = [];
    const seen = new Set<string>();
    const scope = this.walker.scope;
    const visit = (name: string, as: 'arithmetic' | 'name' | 'value', depth: number): void => {
      if (seen.has(name) || depth > 8) return;
      seen.add(name);
      for (const names of this.deferred) names.add(name);
      const source = this.walker.sources.get(name);
      if (source !== undefined) sources.push(source);
      const kind = name === '_' ? 'unknown' : scope.kind(name);
      if (kind === 'unknown') unknown.push(`$${name}`);
      else if (kind === 'literal' && as === 'value') {
        // A prompt string decodes `\140` (a backquote), `\x60`... before it expands `$(...)` and backquotes.
        if (/[`$\\]/.test(scope.get(name) ?? '')) unknown.push(`$${name}`);
      } else if (kind === 'literal') {
        // Literal code was judged when it was assigned; the names it mentions are evaluated in turn.
        const value = scope.get(name) ?? '';
        for (const n of (as === 'name' ? nameArgument(value) : literalArithmetic(value)).names) visit(n, 'arithmetic', depth + 1);
      }
    };
    for (const name of ev.names) visit(name, mode, 0);
    for (const node of ev.substitutions) {
      if (this.numeric?.has(node.startIndex)) continue;
      unknown.push(oneLine(node.text));
      sources.push(node.text);
    }
    for (const name of ev.assigned) scope.set(name, null, 'number');
    if (unknown.length > 0 || sources.length > 0) this.walker.push({ kind: 'evaluation', text, what, unknown, sources: sources.join(' ') });
  }

  /** An arithmetic expression in the tree: `$((...))`, `((...))`, a part of `for ((...))`. */
  arithmetic(node: SyntaxNode, text = oneLine(node.text)): void {
    this.evaluated(arithmeticOf(node), text, 'arithmetic');
  }

  /** `${a[i]}`, `${s:i:n}`: arithmetic; `${!x}`: the value of x is a name; `${x@P}`: the value of x is expanded again. */
  expansion(node: SyntaxNode): void {
    // Only a subscript, an offset, `${!...}` or `@P` evaluates anything (`${x:-y}` does not).
    if (!EVALUATING_EXPANSION.test(node.text)) return;
    const use = expansionUses(node);
    if (use.arithmetic.length === 0 && use.indirect.length === 0 && use.prompt.length === 0) return;
    const text = oneLine(node.text);
    for (const part of use.arithmetic) this.evaluated(arithmeticOf(part), text, 'arithmetic');
    if (use.indirect.length > 0) this.evaluated({ ...evaluated(), names: use.indirect }, text, 'a variable name (${!name})', 'name');
    if (use.prompt.length > 0) {
      this.evaluated({ ...evaluated(), names: use.prompt }, text, 'a prompt string (${name@P})', 'value');
      // `"${x=\140id\140}${x@P}"`: a value assigned by `${x=...}` in the same command is only known once the word is expanded.
      const whole = node.tree?.rootNode?.text ?? '';
      const assignedHere = use.prompt.filter((name) => new RegExp(`\\$\\{${name.replace(/[^A-Za-z0-9_]/g, '')}:?[=]`).test(whole));
      if (assignedHere.length > 0) this.walker.push({ kind: 'evaluation', text, what: 'a prompt string (${name@P})', unknown: assignedHere.map((n) => `$${n}`), sources: text });
    }
  }

  /** A variable name bash evaluates (read, printf -v, test -v, declare, unset...): its subscript is arithmetic. */
  name(word: ShellWord, text: string): void {
    if (word.static) this.evaluated(nameArgument(word.text), text, 'a variable name', 'name');
    else this.runTime(word, text, 'a variable name');
  }

  /** A word bash evaluates as an arithmetic expression (`let`, a `declare -i` value). */
  expression(word: ShellWord, text: string): void {
    if (word.static) {
      this.evaluated(literalArithmetic(word.text), text, 'arithmetic');
      return;
    }
    this.evaluated(literalArithmetic(word.text.split(DYNAMIC).join(' 0 ')), text, 'arithmetic');
    this.runTime(word, text, 'arithmetic');
  }

  /** A word only known at run time that bash evaluates: the variables it expands, or the output of its substitutions. */
  private runTime(word: ShellWord, text: string, what: string): void {
    const names: string[] = [];
    const unknown: string[] = [];
    for (const part of word.dynamicParts) {
      const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*|[0-9])\}?$/.exec(part);
      if (m) names.push(m[1] as string);
      else unknown.push(part);
    }
    this.evaluated({ ...evaluated(), names }, text, what, what === 'arithmetic' ? 'arithmetic' : 'name');
    if (unknown.length > 0) this.walker.push({ kind: 'evaluation', text, what, unknown, sources: word.raw });
  }

  /** `[[ ]]`: the operands of -eq and friends are arithmetic, the operand of -v a variable name. */
  test(node: SyntaxNode, text: string): void {
    if (!EVALUATING_TEST.test(node.text)) return;
    this.testOperands(node, text);
  }

  private testOperands(node: SyntaxNode, text: string): void {
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      const operator = child.childForFieldName('operator');
      if (child.type === 'binary_expression' && operator && ARITHMETIC_TEST_OPERATORS.has(operator.text)) {
        for (const side of ['left', 'right']) {
          const operand = child.childForFieldName(side);
          if (operand) this.arithmetic(operand, text);
        }
      } else if (child.type === 'unary_expression' && operator && (operator.text === '-v' || operator.text === '-R')) {
        for (let j = 0; j < child.namedChildCount; j++) {
          const operand = child.namedChild(j) as SyntaxNode;
          if (operand.id !== operator.id) this.name(this.walker.word(operand), text);
        }
      } else this.testOperands(child, text);
    }
  }

  /**
   * Walks a loop's parts: names evaluated in them are checked again afterwards, since the
   * next round sees what the body assigned (`for x in 1 2; do echo $((n)); read n; done`).
   */
  repeated(text: string, visit: () => void): void {
    this.recheck(this.namesEvaluatedBy(visit), text);
  }

  /** Walks a function body, keeping the names it evaluates for its calls. */
  functionBody(name: string, visit: () => void): void {
    const names = this.namesEvaluatedBy(visit);
    const known = this.evaluatedBy?.get(name);
    if (known) for (const n of names) known.add(n);
    else (this.evaluatedBy ??= new Map()).set(name, names);
  }

  /** Visits, collecting the variable names evaluated meanwhile (for a later check). */
  private namesEvaluatedBy(visit: () => void): Set<string> {
    const names = new Set<string>();
    this.deferred.push(names);
    try {
      visit();
    } finally {
      this.deferred.pop();
    }
    return names;
  }

  /** `declare -i NAME`: values assigned to NAME are evaluated as arithmetic from now on. */
  markInteger(name: string): void {
    (this.integers ??= new Set()).add(name);
  }

  isInteger(name: string): boolean {
    return this.integers?.has(name) ?? false;
  }

  /** A call of a function: the names its body evaluates, with what is known now. */
  called(name: string, text: string): void {
    const names = this.evaluatedBy?.get(name);
    if (names) this.recheck(names, text);
  }

  private recheck(names: ReadonlySet<string>, text: string): void {
    if (names.size > 0) this.evaluated({ ...evaluated(), names: [...names] }, text, 'arithmetic or a variable name');
  }

  /**
   * Notes a command substitution whose last command prints only a number (`$(nproc)`,
   * `$(ps ax | wc -l)`): its output evaluated as arithmetic runs nothing.
   */
  substitution(node: SyntaxNode, last: { words: readonly ShellWord[]; redirects: readonly Redirect[] } | null): void {
    if (!last || !numericOutput(last.words)) return;
    const inner = node.namedChildren.filter((c) => c !== null && c.type !== 'comment');
    if (inner.length !== 1 || !['command', 'pipeline', 'redirected_statement'].includes((inner[0] as SyntaxNode).type)) return;
    // Only its standard output is captured; `2>&1` would add messages that quote file names.
    if (!last.redirects.every((r) => r.kind === 'read' || r.kind === 'text' || r.kind === 'close' || (r.kind === 'write' && r.target?.text === '/dev/null'))) return;
    (this.numeric ??= new Set()).add(node.startIndex);
  }

  /** What is known of a value assigned from this node when it is not literal: a number (`$(nproc)`, `${#x}`, `$RANDOM`), or nothing. */
  valueKind(node: SyntaxNode | null): ValueKind {
    if (!node) return 'unknown';
    switch (node.type) {
      case 'command_substitution':
        return this.numeric?.has(node.startIndex) ? 'number' : 'unknown';
      case 'arithmetic_expansion':
        return 'number';
      case 'expansion':
        // ${#x}: a length; ${!a[@]}: the indices of an indexed array (an associative array's keys are not evaluated as arithmetic).
        return /^\$\{#[^}]|^\$\{![A-Za-z_][A-Za-z0-9_]*\[[@*]\]\}$/.test(node.text) ? 'number' : 'unknown';
      case 'simple_expansion': {
        const name = node.text.slice(1);
        if (NUMERIC_VARIABLES.has(name)) return 'number';
        const kind = this.walker.scope.kind(name);
        return kind === 'number' || kind === 'clean' ? kind : kind === 'unset' ? 'clean' : 'unknown';
      }
      case 'string': {
        const parts = node.namedChildren.filter((c) => c !== null && c.type !== 'string_content') as SyntaxNode[];
        const kinds = parts.map((p) => this.valueKind(p));
        if (kinds.includes('unknown')) return 'unknown';
        return parts.length === 1 && kinds[0] === 'number' ? 'number' : 'clean';
      }
      default:
        return 'unknown';
    }
  }
}
