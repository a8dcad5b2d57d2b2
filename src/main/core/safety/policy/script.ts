import { ArithmeticTracker, holdsCode } from './bash-arithmetic';
import { declarationUses, noteBuiltin, noteBuiltinUse, splitAssignment, type BuiltinWalker } from './bash-builtins';
import type { SyntaxNode } from './bash-parser';
import { CallTracker } from './recursion';
import type { Assignment, Redirect, RedirectKind, ScriptItem, SimpleCommand, StdinSource } from './script-items';
import { decodeWord, DYNAMIC, expandWord, staticWord, VariableScope, type ShellWord, type ValueKind, type WordContext } from './words';

export type { Assignment, Redirect, RedirectKind, ScriptItem, SimpleCommand, StdinSource } from './script-items';

/**
 * Stands for a working directory only known at run time (`cd "$dir"`, `cd -` with no
 * known previous directory, /proc/<pid>/cwd): a relative name there may be any file of
 * that name, so it is compared with the ends of the sensitive paths.
 */
export const ANYWHERE_CWD = '/.anywhere';
const ANYWHERE = ANYWHERE_CWD.slice(1);
/** Stands for the unknown working directory the command starts in (most likely the user's home). */
export const START_CWD = '/.cwd';

interface WalkState {
  scope: VariableScope;
  cwd: string | null;
  functions: Set<string>;
  items: ScriptItem[];
  /** Source text of the run-time values of variables (`n=$(curl ...)`), for arithmetic that evaluates them. */
  sources: Map<string, string>;
}

interface VisitContext {
  stdin: StdinSource;
  background: boolean;
  /** An element of a pipeline: it runs in a process of its own. */
  pipeline?: boolean;
}

const INHERIT: StdinSource = { kind: 'inherit' };
/** At most this many values for a `for` loop whose body is walked once per value, and as many walks in a whole script. */
const MAX_ROUNDS = 16;
const MAX_UNROLLED = 64;
/**
 * A `for` over plain literal words (what a glob becomes once the fleet expanded it on the
 * host and wrote the names in) is walked once per word up to this many words, each name
 * judged as if typed, while the words times the body's length stay within MAX_LITERAL_WORK
 * for the whole script, so hostile input stays cheap.
 */
const MAX_LITERAL_ROUNDS = 1024;
const MAX_LITERAL_WORK = 256 * 1024;
const NO_CONTEXT: VisitContext = { stdin: INHERIT, background: false };

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, '; ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

const REDIRECT_KINDS: Record<string, RedirectKind> = {
  '>': 'write',
  '>>': 'write',
  '>|': 'write',
  '&>': 'write',
  '&>>': 'write',
  '>&': 'dup',
  '<&': 'dup',
  '>&-': 'close',
  '<&-': 'close',
  '<': 'read',
  '<>': 'readwrite',
};

/**
 * Walks a bash syntax tree in execution order and lists every simple command,
 * assignment and redirection, including those nested in substitutions, loops,
 * functions and here-documents. Variable values and `cd` are followed so later
 * words can be judged on their literal values.
 */
export class ScriptWalker {
  private readonly state: WalkState;
  /** Function bodies and calls, for runaway recursion (recursion). */
  private readonly calls = new CallTracker();
  // Made on first use (most commands need neither):
  /** Where bash evaluates text a second time (bash-arithmetic). */
  private tracker?: ArithmeticTracker;
  /** What builtins evaluate among their arguments (bash-builtins). */
  private builtinWalker?: BuiltinWalker;
  /** Loop body walks left for unrolling `for` loops over literals and globs (nested loops multiply). */
  private roundsLeft = MAX_UNROLLED;
  /** What is left of MAX_LITERAL_WORK (long literal lists). */
  private literalWorkLeft = MAX_LITERAL_WORK;

  constructor(scope: VariableScope, cwd: string | null = null) {
    this.state = { scope, cwd, functions: new Set(), items: [], sources: new Map() };
  }

  private get arithmetic(): ArithmeticTracker {
    const state = this.state;
    this.tracker ??= new ArithmeticTracker({
      get scope() {
        return state.scope;
      },
      sources: state.sources,
      push: (item) => state.items.push(item),
      word: (node) => this.word(node),
    });
    return this.tracker;
  }

  private readonly builtinsOnDemand = (): BuiltinWalker => this.builtins();

  private builtins(): BuiltinWalker {
    const state = this.state;
    this.builtinWalker ??= {
      arithmetic: this.arithmetic,
      isFunction: (name) => state.functions.has(name),
      callFunction: (name, text) => {
        this.calls.command(name, NO_CONTEXT);
        this.noteCall(name, NO_CONTEXT, text);
      },
      push: (item) => state.items.push(item),
    };
    return this.builtinWalker;
  }

  walk(root: SyntaxNode): ScriptItem[] {
    this.visit(root, NO_CONTEXT);
    const runaways = this.calls.runaways();
    if (runaways.length > 0) this.state.items.push(...runaways);
    return this.state.items;
  }

  private wordContext(): WordContext {
    return {
      scope: this.state.scope,
      onArithmetic: (node) => this.arithmetic.arithmetic(node),
      onExpansion: (node) => this.arithmetic.expansion(node),
      onAssign: (name, text, value) => {
        const word = value ? this.word(value) : null;
        this.noteAssigned(name, oneLine(text), word?.static ? word : null);
      },
      onSubstitution: (node) => {
        // A substitution runs in a subshell: its assignments and cd do not leak out.
        const saved = { scope: this.state.scope, cwd: this.state.cwd };
        const before = this.state.items.length;
        this.state.scope = saved.scope.child();
        const visitInside = (): void => {
          for (let i = 0; i < node.namedChildCount; i++) this.visit(node.namedChild(i) as SyntaxNode, NO_CONTEXT);
        };
        if (node.type === 'process_substitution') this.calls.concurrently(visitInside);
        else visitInside();
        this.state.scope = saved.scope;
        this.state.cwd = saved.cwd;
        if (node.type === 'command_substitution' && this.state.items.length > before) this.arithmetic.substitution(node, this.lastCommand(before));
        // Inside backquotes bash removes the backslash before $, ` and \ and parses the
        // result again, so \`cmd\` there is a nested substitution the grammar reads as text.
        if (node.text.startsWith('`') && /\\[$`\\]/.test(node.text)) {
          const inner = node.text.slice(1, node.text.endsWith('`') ? -1 : undefined).replace(/\\([$`\\])/g, '$1');
          this.state.items.push({ kind: 'nested_script', code: inner, text: oneLine(node.text) });
        }
      },
    };
  }

  private word(node: SyntaxNode): ShellWord {
    return decodeWord(node, this.wordContext());
  }

  private visitChildren(node: SyntaxNode, ctx: VisitContext, list = false): void {
    const count = node.childCount;
    const depth = this.calls.depth;
    for (let i = 0; i < count; i++) {
      const child = node.child(i) as SyntaxNode;
      if (!child.isNamed) {
        // In a list, what follows `&&` or `||` runs only on a condition.
        if (list && (child.type === '&&' || child.type === '||')) this.calls.depth = depth + 1;
        continue;
      }
      const next = i + 1 < count ? node.child(i + 1) : null;
      const background = ctx.background || (next !== null && !next.isNamed && next.type === '&');
      this.visit(child, background === ctx.background ? ctx : { ...ctx, background });
    }
    this.calls.depth = depth;
  }

  /**
   * The values a `for` variable takes, one body walk each, when every value is a literal or a
   * static glob (judged as the glob: a whole `"$f"` is one of its matches); null when the body
   * is walked once with the variable only known at run time (computed values, too many rounds,
   * an integer variable whose values are arithmetic).
   */
  private unrollable(name: string, values: readonly ShellWord[], bodyLength: number): ShellWord[] | null {
    if (values.length === 0 || this.tracker?.isInteger(name)) return null;
    if (!values.every((v) => v.static && (!v.glob || v.globPattern))) return null;
    if (values.length <= MAX_ROUNDS && this.roundsLeft >= values.length) {
      this.roundsLeft -= values.length;
      return [...values];
    }
    const work = values.length * Math.max(bodyLength, 1);
    if (values.length <= MAX_LITERAL_ROUNDS && values.every((v) => !v.glob) && work <= this.literalWorkLeft) {
      this.literalWorkLeft -= work;
      return [...values];
    }
    return null;
  }

  /** Walks a loop body once per value of its variable, then leaves the variable as the loop header did (break may stop at any round). */
  private unrolled(name: string, values: readonly ShellWord[], visit: () => void): void {
    const after = { value: this.state.scope.get(name), kind: this.state.scope.kind(name), source: this.state.sources.get(name) };
    let bound: string | ShellWord | null = null;
    for (const v of values) {
      if (v.glob) {
        this.state.scope.setGlobMatch(name, v);
        bound = v;
      } else {
        this.state.scope.set(name, v.text);
        bound = v.text;
      }
      this.state.sources.delete(name);
      visit();
    }
    // Unless the body assigned it, the variable holds one of the values afterwards: what the header said.
    const unchanged = typeof bound === 'string' ? this.state.scope.get(name) === bound && this.state.scope.globMatch(name) === null : this.state.scope.globMatch(name) === bound;
    if (!unchanged) return;
    this.state.scope.set(name, after.value, after.kind === 'literal' || after.kind === 'unset' ? 'unknown' : after.kind);
    if (after.source !== undefined) this.state.sources.set(name, after.source);
  }

  /** Walks a loop: it repeats (names it evaluates are checked again) and runs on a condition. */
  private repeatedly(text: string, visit: () => void): void {
    this.arithmetic.repeated(text, () => this.calls.conditionally(visit));
  }

  /** The last simple command found since item `before` (the one whose output a substitution captures). */
  private lastCommand(before: number): SimpleCommand | null {
    for (let i = this.state.items.length - 1; i >= before; i--) {
      const item = this.state.items[i] as ScriptItem;
      if (item.kind === 'command') return item.command;
    }
    return null;
  }

  private visit(node: SyntaxNode, ctx: VisitContext): void {
    if (node.isError || node.isMissing) {
      this.state.items.push({ kind: 'syntax_error', text: oneLine(node.text) });
      this.visitChildren(node, ctx);
      return;
    }
    switch (node.type) {
      case 'comment':
      case 'heredoc_start':
      case 'heredoc_end':
        return;
      case 'command':
        this.visitCommand(node, ctx, [], []);
        return;
      case 'pipeline':
        this.visitPipeline(node, ctx);
        return;
      case 'redirected_statement':
        this.visitRedirected(node, ctx);
        return;
      case 'variable_assignment':
        this.visitAssignment(node);
        return;
      case 'variable_assignments':
        this.visitChildren(node, ctx);
        return;
      case 'list':
        this.visitChildren(node, ctx, true);
        return;
      case 'declaration_command':
        this.visitDeclaration(node);
        return;
      case 'unset_command':
        this.visitUnset(node);
        return;
      case 'function_definition': {
        const name = node.childForFieldName('name');
        const body = node.childForFieldName('body');
        if (name) {
          const fn = name.text;
          this.state.functions.add(fn);
          this.calls.functionBody(fn, oneLine(node.text), () => this.arithmetic.functionBody(fn, () => body && this.visit(body, NO_CONTEXT)));
        } else if (body) this.visit(body, NO_CONTEXT);
        // `f() { ...; } > file` applies the redirection every time f runs: judge it here.
        for (let i = 0; i < node.childCount; i++) {
          if (node.fieldNameForChild(i) !== 'redirect') continue;
          const redirects: Redirect[] = [];
          const followUps: { node: SyntaxNode; pipe: boolean }[] = [];
          this.redirect(node.child(i) as SyntaxNode, redirects, [], followUps);
          for (const redirect of redirects) this.state.items.push({ kind: 'redirect', redirect, text: oneLine(node.text) });
          for (const f of followUps) this.visit(f.node, NO_CONTEXT);
        }
        return;
      }
      case 'for_statement':
      case 'select_statement': {
        const variable = node.childForFieldName('variable');
        const values: ShellWord[] = [];
        // Whether every value is a literal (judged here) or a number (`$(seq 1 5)`); a glob yields any file name.
        let known = true;
        for (let i = 0; i < node.namedChildCount; i++) {
          const child = node.namedChild(i) as SyntaxNode;
          if (child === variable || child.type === 'variable_name') continue;
          if (child.type === 'do_group' || child.type === 'compound_statement') continue;
          const word = this.word(child); // values may hold substitutions
          values.push(...expandWord(word));
          if (word.glob || (!word.static && this.arithmetic.valueKind(child) !== 'number')) known = false;
        }
        const header = oneLine(node.text.split('\n')[0] ?? '');
        // The loop variable is assigned like any other: `for PATH in /tmp; do ls; done` changes PATH.
        if (variable) {
          for (const v of values) if (v.static && !v.glob) this.noteEmbeddedCode(variable.text, v, header);
          const kind: ValueKind = known && values.length > 0 && node.type === 'for_statement' ? 'clean' : 'unknown';
          const only = values.length === 1 && values[0]?.static && !values[0].glob ? values[0] : null;
          this.noteAssigned(variable.text, header, kind === 'clean' ? only : null, kind);
        }
        const body = node.childForFieldName('body');
        if (!body) return;
        const rounds = variable && node.type === 'for_statement' ? this.unrollable(variable.text, values, body.text.length) : null;
        if (rounds) this.repeatedly(header, () => this.unrolled(variable?.text ?? '', rounds, () => this.visit(body, ctx)));
        else this.repeatedly(header, () => this.visit(body, ctx));
        return;
      }
      case 'while_statement':
      case 'until_statement':
        this.repeatedly(oneLine(node.text.split('\n')[0] ?? ''), () => this.visitChildren(node, ctx));
        return;
      case 'if_statement':
      case 'case_statement':
        this.calls.conditionally(() => (node.type === 'case_statement' ? this.visitCase(node, ctx) : this.visitChildren(node, ctx)));
        return;
      case 'compound_statement':
        if (node.child(0)?.type === '((') {
          this.state.items.push({ kind: 'test', text: oneLine(node.text) });
          this.visitExpressions(node);
          this.arithmetic.arithmetic(node);
          return;
        }
        this.visitChildren(node, ctx);
        return;
      case 'subshell': {
        const saved = { scope: this.state.scope, cwd: this.state.cwd };
        this.state.scope = saved.scope.child();
        this.visitChildren(node, ctx);
        this.state.scope = saved.scope;
        this.state.cwd = saved.cwd;
        return;
      }
      case 'command_substitution':
      case 'process_substitution':
        this.wordContext().onSubstitution?.(node);
        return;
      case 'file_redirect':
      case 'heredoc_redirect':
      case 'herestring_redirect': {
        // A redirection on its own, as in `$(<file)`: bash reads or truncates the file.
        const redirects: Redirect[] = [];
        const followUps: { node: SyntaxNode; pipe: boolean }[] = [];
        this.redirect(node, redirects, [], followUps);
        for (const redirect of redirects) this.state.items.push({ kind: 'redirect', redirect, text: oneLine(node.text) });
        for (const f of followUps) this.visit(f.node, NO_CONTEXT);
        return;
      }
      case 'test_command':
        this.state.items.push({ kind: 'test', text: oneLine(node.text) });
        this.visitExpressions(node);
        this.arithmetic.test(node, oneLine(node.text));
        return;
      case 'c_style_for_statement': {
        // for ((init; condition; update)): each part is arithmetic, the condition and update every round.
        const header = oneLine(node.text.split('\n')[0] ?? '');
        const body = node.childForFieldName('body');
        this.arithmetic.repeated(header, () => {
          for (let i = 0; i < node.namedChildCount; i++) {
            const child = node.namedChild(i) as SyntaxNode;
            if (body && child.id === body.id) continue;
            this.visit(child, NO_CONTEXT);
            this.arithmetic.arithmetic(child, header);
          }
          if (body) this.calls.conditionally(() => this.visit(body, ctx));
        });
        return;
      }
      case 'arithmetic_expansion':
        this.visitExpressions(node);
        this.arithmetic.arithmetic(node);
        return;
      case 'binary_expression':
      case 'unary_expression':
      case 'postfix_expression':
      case 'parenthesized_expression':
      case 'ternary_expression':
        this.visitExpressions(node);
        return;
      case 'case_item': {
        for (let i = 0; i < node.childCount; i++) {
          const child = node.child(i) as SyntaxNode;
          if (!child.isNamed) continue;
          if (node.fieldNameForChild(i) === 'value') this.word(child);
          else this.visit(child, ctx);
        }
        return;
      }
      case 'word':
      case 'string':
      case 'raw_string':
      case 'concatenation':
      case 'simple_expansion':
      case 'expansion':
      case 'number':
        this.word(node);
        return;
      default:
        this.visitChildren(node, ctx);
    }
  }

  private visitCase(node: SyntaxNode, ctx: VisitContext): void {
    const value = node.childForFieldName('value');
    if (value) this.word(value);
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'case_item') this.visit(child, ctx);
    }
  }

  /** Conditions and arithmetic: the commands substituted inside them, and the expansions that evaluate text. */
  private visitExpressions(node: SyntaxNode): void {
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'command_substitution' || child.type === 'process_substitution') this.wordContext().onSubstitution?.(child);
      else {
        this.visitExpressions(child);
        if (child.type === 'expansion') this.arithmetic.expansion(child);
      }
    }
  }

  private visitAssignment(node: SyntaxNode, exported = false): void {
    const assignment = this.assignment(node);
    if (exported) assignment.exported = true;
    const text = oneLine(node.text);
    // The subscript of `a[$(cmd)]=1` is evaluated, commands included.
    const nameNode = node.childForFieldName('name');
    if (nameNode && nameNode.type !== 'variable_name') {
      this.visitExpressions(nameNode);
      const index = nameNode.childForFieldName('index');
      if (index) this.arithmetic.arithmetic(index, text);
    }
    // A variable with the integer attribute evaluates what it is given as arithmetic.
    const integer = this.tracker?.isInteger(assignment.name) ?? false;
    if (integer) this.arithmetic.expression(assignment.value, text);
    if (assignment.value.static) this.state.scope.set(assignment.name, assignment.value.text);
    else this.state.scope.set(assignment.name, null, integer ? 'number' : this.arithmetic.valueKind(node.childForFieldName('value')));
    if (assignment.value.static) this.state.sources.delete(assignment.name);
    else this.state.sources.set(assignment.name, assignment.value.raw);
    this.state.items.push({ kind: 'assignment', assignment, text });
    this.noteEmbeddedCode(assignment.name, assignment.value, text);
  }

  /**
   * A variable set by something other than `NAME=value` (read, for, printf -v, ${NAME:=x}):
   * a literal value when known, else what is known about it (`kind`).
   */
  private noteAssigned(name: string, text: string, value: ShellWord | null = null, kind: ValueKind = 'unknown'): void {
    const word = value ?? { ...staticWord(DYNAMIC), static: false, dynamicParts: [text], raw: text };
    if (kind !== 'number' && this.tracker?.isInteger(name)) {
      // `declare -i n; read n`: what is read is evaluated as arithmetic.
      this.arithmetic.expression(word, text);
      kind = 'number';
    }
    this.state.scope.set(name, word.static ? word.text : null, kind);
    if (word.static) this.state.sources.delete(name);
    else this.state.sources.set(name, text);
    this.state.items.push({ kind: 'assignment', assignment: { name, value: word }, text });
    if (word.static) this.noteEmbeddedCode(name, word, text);
  }

  /** A literal value with `$(...)` or backquotes may be run later by arithmetic or eval: its commands are judged now. */
  private noteEmbeddedCode(name: string, value: ShellWord, text: string): void {
    if (value.static && holdsCode(value.text)) this.state.items.push({ kind: 'embedded_code', name, code: value.text, text });
  }

  /** A call of a function defined in the script: a call edge for runaway recursion, and the names its body evaluates, checked now. */
  private noteCall(name: string, ctx: VisitContext, text: string): void {
    this.state.items.push({ kind: 'function_call', name, text, background: ctx.background });
    this.tracker?.called(name, text);
  }

  private assignment(node: SyntaxNode): Assignment {
    const nameNode = node.childForFieldName('name');
    const valueNode = node.childForFieldName('value');
    const name = (nameNode?.text ?? node.text.split('=')[0] ?? '').replace(/\[.*$/, '');
    const value = valueNode ? this.word(valueNode) : staticWord('');
    return { name, value };
  }

  private visitDeclaration(node: SyntaxNode): void {
    // export/declare/local/readonly/typeset: the assignments matter, and three flags:
    // -x exports the variable to every later command, -n makes it a reference to another,
    // -i makes every value assigned to it an arithmetic expression.
    const keyword = node.child(0)?.type ?? 'declare';
    let exported = keyword === 'export';
    let reference = false;
    const flags = new Set<string>();
    const words: ShellWord[] = [staticWord(keyword)];
    const text = oneLine(node.text);
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'word' && /^[-+][A-Za-z]+$/.test(child.text)) {
        words.push(staticWord(child.text));
        if (child.text.startsWith('+')) continue;
        for (const c of child.text.slice(1)) flags.add(c);
        if (child.text.includes('x')) exported = true;
        if (child.text.includes('n')) reference = true;
        continue;
      }
      if (child.type === 'variable_assignment') {
        const nameNode = child.childForFieldName('name');
        const declared = (nameNode?.type === 'subscript' ? nameNode.childForFieldName('name') : nameNode)?.text ?? '';
        if (flags.has('i')) this.arithmetic.markInteger(declared);
        if (reference) {
          // `declare -n r=PATH` makes every later `r=...` set PATH: judge it as setting the target,
          // whose subscript is evaluated at every use of r.
          const value = child.childForFieldName('value');
          const target = value ? this.word(value) : staticWord('');
          const name = target.static && /^[A-Za-z_][A-Za-z0-9_]*$/.test(target.text) ? target.text : '';
          this.noteAssigned(name, oneLine(child.text));
          this.arithmetic.name(target, text);
        } else this.visitAssignment(child, exported);
      } else if (child.type === 'variable_name') {
        words.push(staticWord(child.text));
        if (flags.has('i')) this.arithmetic.markInteger(child.text);
        if (!(exported || reference)) continue;
        // `export NAME` hands an existing value to every later command.
        const name = child.text;
        const known = this.state.scope.get(name);
        const assignment: Assignment = { name: reference ? '' : name, value: known === null ? { ...staticWord(DYNAMIC), static: false, dynamicParts: [name], raw: name } : staticWord(known), exported: true };
        this.state.items.push({ kind: 'assignment', assignment, text });
      } else {
        // A quoted operand is read after quote removal: `declare 'a[$(id)]=1'` assigns, subscript included.
        const word = this.word(child);
        words.push(word);
        if (flags.has('f') || flags.has('F')) continue;
        const split = word.static ? splitAssignment(word.text) : null;
        if (split) {
          const name = split.name.replace(/\[.*$/s, '');
          if (flags.has('i')) this.arithmetic.markInteger(name);
          this.noteAssigned(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : '', text, reference ? null : staticWord(split.value));
        } else if (!word.static) this.noteAssigned('', text);
        for (const use of declarationUses(flags, word)) noteBuiltinUse(use, keyword, this.builtinCommand(words, text), this.builtins());
      }
    }
    // The declaration itself is judged like the builtin it is (`declare -p`, `local x`).
    this.state.items.push({ kind: 'command', command: this.builtinCommand(words, text) });
  }

  private builtinCommand(words: ShellWord[], text: string): SimpleCommand {
    return { words, assignments: [], redirects: [], text, stdin: INHERIT, background: false, cwd: this.state.cwd };
  }

  /** `unset NAME...`: each name's subscript is evaluated; the variables are unset afterwards. */
  private visitUnset(node: SyntaxNode): void {
    const text = oneLine(node.text);
    const words: ShellWord[] = [staticWord('unset')];
    let functions = false;
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      const word = this.word(child);
      words.push(word);
      if (word.static && /^-[fvn]+$/.test(word.text)) {
        functions ||= word.text.includes('f');
        continue;
      }
      if (functions) continue;
      this.arithmetic.name(word, text);
      if (word.static && /^[A-Za-z_][A-Za-z0-9_]*$/.test(word.text)) this.state.scope.set(word.text, null, 'unset');
    }
    this.state.items.push({ kind: 'command', command: this.builtinCommand(words, text) });
  }

  private visitPipeline(node: SyntaxNode, ctx: VisitContext): void {
    let upstream: SimpleCommand[] = [];
    let first = true;
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      const before = this.state.items.length;
      const stdin: StdinSource = first ? ctx.stdin : { kind: 'pipe', upstream };
      this.visit(child, { stdin, background: ctx.background, pipeline: true });
      first = false;
      upstream = [
        ...upstream,
        ...this.state.items.slice(before).flatMap((item) => (item.kind === 'command' ? [item.command] : [])),
      ];
    }
  }

  private visitRedirected(node: SyntaxNode, ctx: VisitContext): void {
    const body = node.childForFieldName('body');
    const redirects: Redirect[] = [];
    const extraWords: ShellWord[] = [];
    const followUps: { node: SyntaxNode; pipe: boolean }[] = [];
    let stdin: StdinSource = ctx.stdin;
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i) as SyntaxNode;
      if (node.fieldNameForChild(i) !== 'redirect') continue;
      const r = this.redirect(child, redirects, extraWords, followUps);
      if (r) stdin = r;
    }
    const bodyCtx: VisitContext = { stdin, background: ctx.background };
    let bodyCommand: SimpleCommand | null = null;
    if (body && body.type === 'command') {
      bodyCommand = this.visitCommand(body, bodyCtx, redirects, extraWords);
    } else {
      if (body) this.visit(body, bodyCtx);
      for (const redirect of redirects) this.state.items.push({ kind: 'redirect', redirect, text: oneLine(node.text) });
    }
    for (const follow of followUps) {
      const upstream = bodyCommand ? [bodyCommand] : [];
      this.visit(follow.node, follow.pipe ? { stdin: { kind: 'pipe', upstream }, background: ctx.background } : NO_CONTEXT);
    }
  }

  /** Records one redirection; returns the standard input it provides, if any. */
  private redirect(
    node: SyntaxNode,
    redirects: Redirect[],
    extraWords: ShellWord[],
    followUps: { node: SyntaxNode; pipe: boolean }[],
  ): StdinSource | null {
    if (node.type === 'file_redirect') {
      let operator = '';
      const destinations: SyntaxNode[] = [];
      for (let i = 0; i < node.childCount; i++) {
        const child = node.child(i) as SyntaxNode;
        const field = node.fieldNameForChild(i);
        if (field === 'destination') destinations.push(child);
        else if (!child.isNamed) operator += child.type;
        else if (child.isError) operator += child.text;
      }
      const [destination, ...rest] = destinations;
      // The grammar hangs words after `< file` onto the redirection; they are the command's arguments.
      for (const w of rest) extraWords.push(this.word(w));
      const target = destination ? this.word(destination) : null;
      let kind: RedirectKind = REDIRECT_KINDS[operator] ?? 'write';
      if ((operator === '>&' || operator === '<&') && target && !/^(\d+|-)$/.test(target.text)) {
        kind = operator === '>&' ? 'write' : 'read';
      }
      if (kind === 'dup' && target?.text === '-') kind = 'close';
      redirects.push({ operator, kind, target: kind === 'dup' || kind === 'close' ? null : target, text: node.text });
      if (kind === 'read' && target) return { kind: 'file', path: target };
      return null;
    }
    if (node.type === 'herestring_redirect') {
      const value = node.namedChildren.find((c) => c !== null && c.type !== 'file_descriptor');
      const text = value ? this.word(value) : staticWord('');
      redirects.push({ operator: '<<<', kind: 'text', target: null, text: node.text });
      return { kind: 'text', text };
    }
    if (node.type === 'heredoc_redirect') {
      let quotedDelimiter = false;
      let body: ShellWord = staticWord('');
      let pendingOperator: string | null = null;
      for (let i = 0; i < node.childCount; i++) {
        const child = node.child(i) as SyntaxNode;
        if (!child.isNamed) {
          if (child.type === '&&' || child.type === '||' || child.type === ';' || child.type === '|') pendingOperator = child.type;
          continue;
        }
        switch (child.type) {
          case 'heredoc_start':
            quotedDelimiter = /['"\\]/.test(child.text);
            break;
          case 'heredoc_body':
            body = quotedDelimiter ? staticWord(child.text) : this.heredocBody(child);
            break;
          case 'heredoc_end':
            break;
          case 'file_redirect':
          case 'herestring_redirect':
            this.redirect(child, redirects, extraWords, followUps);
            break;
          case 'pipeline':
            // `cat <<EOF | sh`: the pipeline continues after the here-document's first line.
            followUps.push({ node: child, pipe: true });
            break;
          default:
            followUps.push({ node: child, pipe: pendingOperator === '|' });
        }
      }
      redirects.push({ operator: '<<', kind: 'text', target: null, text: oneLine(node.text) });
      return { kind: 'text', text: body };
    }
    return null;
  }

  private heredocBody(node: SyntaxNode): ShellWord {
    let dynamic = false;
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'heredoc_content') continue;
      const w = this.word(child);
      if (!w.static) dynamic = true;
    }
    const text = node.text;
    return dynamic ? { ...staticWord(text), static: false, dynamicParts: ['here-document expansion'], text: text + DYNAMIC } : staticWord(text);
  }

  private visitCommand(node: SyntaxNode, ctx: VisitContext, redirects: Redirect[], extraWords: ShellWord[]): SimpleCommand | null {
    const assignments: Assignment[] = [];
    const words: ShellWord[] = [];
    const ownRedirects = [...redirects];
    let stdin = ctx.stdin;
    // Without a command name the assignments set shell variables (`x=1 2>/dev/null`), subscripts and all.
    // (The grammar gives `a[$(x)]=1 2>/dev/null` an empty, missing name.) Looked up at the first assignment.
    let standalone: boolean | undefined;
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i) as SyntaxNode;
      if (!child.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (child.type === 'variable_assignment') {
        if (standalone === undefined) {
          const name = extraWords.length === 0 ? node.childForFieldName('name') : undefined;
          standalone = name === null || name?.text === '';
        }
        if (standalone) this.visitAssignment(child);
        else {
          // `x='a[$(id)]' bash -c 'echo $((x))'`: the program may evaluate the literal it is handed.
          const a = this.assignment(child);
          assignments.push(a);
          this.noteEmbeddedCode(a.name, a.value, oneLine(child.text));
        }
      } else if (field === 'name' && standalone === true) continue;
      else if (field === 'name') words.push(...expandWord(this.word(child.namedChildCount > 0 ? (child.namedChild(0) as SyntaxNode) : child)));
      else if (field === 'redirect' || child.type.endsWith('_redirect')) {
        const followUps: { node: SyntaxNode; pipe: boolean }[] = [];
        const r = this.redirect(child, ownRedirects, words, followUps);
        if (r) stdin = r;
        for (const f of followUps) this.visit(f.node, NO_CONTEXT);
      } else if (child.isError) this.state.items.push({ kind: 'syntax_error', text: oneLine(child.text) });
      // `{a,b}` and unquoted `$x` holding blanks become several words, as the shell makes them.
      else words.push(...expandWord(this.word(child)));
    }
    words.push(...extraWords.flatMap(expandWord));
    const text = oneLine(node.parent?.type === 'redirected_statement' ? node.parent.text : node.text);
    if (words.length === 0) {
      for (const a of assignments) {
        this.state.scope.set(a.name, a.value.static ? a.value.text : null);
        this.state.items.push({ kind: 'assignment', assignment: a, text });
      }
      for (const redirect of ownRedirects) this.state.items.push({ kind: 'redirect', redirect, text });
      return null;
    }
    const programWord = words[0] as ShellWord;
    // Inside a function, a call edge (to a function defined now or later: a(){ b|b& }; b(){ a; }).
    if (programWord.static) this.calls.command(programWord.text, ctx);
    if (programWord.static && this.state.functions.has(programWord.text)) {
      this.noteCall(programWord.text, ctx, text);
      for (const redirect of ownRedirects) this.state.items.push({ kind: 'redirect', redirect, text });
      return null;
    }
    const command: SimpleCommand = {
      words,
      assignments,
      redirects: ownRedirects,
      text,
      stdin,
      background: ctx.background,
      cwd: this.state.cwd,
    };
    this.state.items.push({ kind: 'command', command });
    noteBuiltin(command, this.builtinsOnDemand);
    this.followShellState(command);
    return command;
  }

  /** Keeps variables and the working directory current for the commands that follow. */
  private followShellState(command: SimpleCommand): void {
    const [program, ...args] = command.words;
    if (!program?.static) return;
    const identifier = (w: ShellWord | undefined): boolean => w !== undefined && w.static && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w.text);
    switch (program.text) {
      case 'cd':
      case 'pushd': {
        const previous = this.state.cwd;
        const target = args.find((a) => !a.text.startsWith('-') || a.text === '-');
        let next: string;
        if (!target) next = program.text === 'cd' ? (this.state.scope.get('HOME') ?? ANYWHERE_CWD) : ANYWHERE_CWD;
        else if (target.text === '-') next = this.state.scope.get('OLDPWD') ?? ANYWHERE_CWD;
        else if (target.static && !target.glob) next = resolveDirectory(this.state.cwd, target.text) ?? ANYWHERE_CWD;
        else next = ANYWHERE_CWD;
        this.state.cwd = next;
        // `cd -` and `~-` go back to OLDPWD; `~+` is PWD.
        this.state.scope.set('OLDPWD', previous);
        this.state.scope.set('PWD', next);
        return;
      }
      case 'popd':
        this.state.cwd = ANYWHERE_CWD;
        this.state.scope.set('PWD', null);
        return;
      case 'read':
      case 'mapfile':
      case 'readarray':
      case 'getopts': {
        // Every name these builtins are given may be assigned; option values are skipped.
        const valueOptions = program.text === 'read' ? ['-d', '-i', '-n', '-N', '-p', '-t', '-u'] : program.text === 'getopts' ? [] : ['-d', '-n', '-O', '-s', '-u', '-C', '-c'];
        let named = false;
        for (let i = 0; i < args.length; i++) {
          const a = args[i] as ShellWord;
          if (valueOptions.includes(a.text)) {
            i++;
            continue;
          }
          if (identifier(a)) {
            this.noteAssigned(a.text, command.text);
            named = true;
          } else if (!a.static && !a.text.startsWith('-')) this.noteAssigned('', command.text);
        }
        if (!named) this.noteAssigned(program.text === 'read' ? 'REPLY' : program.text === 'getopts' ? 'OPTARG' : 'MAPFILE', command.text);
        return;
      }
      case 'printf':
      case 'wait': {
        // printf -v NAME, wait -p NAME: the builtin sets NAME.
        const option = program.text === 'printf' ? '-v' : '-p';
        const v = args.findIndex((a) => a.text === option || (a.text.startsWith(option) && program.text === 'printf'));
        if (v < 0) return;
        const flag = args[v] as ShellWord;
        const target = flag.text === option ? args[v + 1] : staticWord(flag.text.slice(2));
        this.noteAssigned(target && identifier(target) ? target.text : '', command.text, null, program.text === 'wait' ? 'number' : 'unknown');
        return;
      }
      case 'let':
        // `let x=...`: x holds a number afterwards (the expressions were judged as builtin uses).
        for (const a of args) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[.*\])?[-+*/%&|^<>]*=/.exec(a.text);
          if (m) this.noteAssigned(m[1] as string, command.text, null, 'number');
        }
        return;
      default:
    }
  }
}

export function resolveDirectory(cwd: string | null, target: string): string | null {
  if (target.startsWith('/')) return normalizePath(target);
  // Relative to the unknown starting directory: keep the names (`cd .aws` then `cat credentials`), unless `..` leaves it.
  if (cwd === null) return target.split('/').includes('..') ? null : normalizePath(`${START_CWD}/${target}`);
  return normalizePath(`${cwd}/${target}`);
}

export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // The parent of a directory only known at run time is just as unknown.
      if (!(absolute && parts.length === 1 && parts[0] === ANYWHERE)) parts.pop();
      continue;
    }
    parts.push(part);
    if (absolute && parts[0] === 'proc') {
      // /proc/<pid>/root (or .../task/<tid>/root) is another way to name `/`, and
      // /proc/<pid>/cwd a directory only known at run time; resolve them before `..`
      // does, so /proc/self/cwd/../../etc/shadow still ends in /etc/shadow.
      const n = parts.length;
      const last = parts[n - 1];
      if ((last === 'root' || last === 'cwd') && (n === 3 || (n === 5 && parts[2] === 'task'))) {
        parts.length = 0;
        if (last === 'cwd') parts.push(ANYWHERE);
      }
    }
  }
  return (absolute ? '/' : '') + parts.join('/');
}
