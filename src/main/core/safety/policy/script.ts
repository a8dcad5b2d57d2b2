import type { SyntaxNode } from './bash-parser';
import { decodeWord, DYNAMIC, expandWord, staticWord, VariableScope, type ShellWord, type WordContext } from './words';

/**
 * Stands for a working directory only known at run time (`cd "$dir"`, `cd -` with no
 * known previous directory, /proc/<pid>/cwd): a relative name there may be any file of
 * that name, so it is compared with the ends of the sensitive paths.
 */
export const ANYWHERE_CWD = '/.anywhere';
const ANYWHERE = ANYWHERE_CWD.slice(1);
/** Stands for the unknown working directory the command starts in (most likely the user's home). */
export const START_CWD = '/.cwd';

export type RedirectKind = 'write' | 'read' | 'readwrite' | 'dup' | 'close' | 'text';

export interface Redirect {
  operator: string;
  kind: RedirectKind;
  /** The file written or read; null for fd duplication and here-documents. */
  target: ShellWord | null;
  text: string;
}

/** Where a command's standard input comes from; shells and interpreters run whatever arrives there. */
export type StdinSource =
  | { kind: 'inherit' }
  | { kind: 'pipe'; upstream: readonly SimpleCommand[] }
  | { kind: 'text'; text: ShellWord }
  | { kind: 'file'; path: ShellWord };

export interface Assignment {
  /** The variable set; empty when its name is only known at run time (`declare -n r=$x`). */
  name: string;
  value: ShellWord;
  /** Exported to every later command (`export`, `declare -x`), like an `env` prefix. */
  exported?: boolean;
}

/** One simple command as the shell would run it: words, prefix assignments and redirections. */
export interface SimpleCommand {
  words: ShellWord[];
  assignments: Assignment[];
  redirects: Redirect[];
  text: string;
  stdin: StdinSource;
  background: boolean;
  /** The working directory when a literal `cd` precedes the command, else null (unknown). */
  cwd: string | null;
}

export type ScriptItem =
  | { kind: 'command'; command: SimpleCommand }
  | { kind: 'assignment'; assignment: Assignment; text: string }
  /** A redirection applied to a compound statement (loop, subshell, group) or standing alone. */
  | { kind: 'redirect'; redirect: Redirect; text: string }
  | { kind: 'function_call'; name: string; text: string }
  /** A condition or arithmetic (`[[ ... ]]`, `(( ... ))`): it runs nothing but what is substituted inside. */
  | { kind: 'test'; text: string }
  /**
   * Text the shell evaluates as arithmetic (`$((...))`, `((...))`, `[[ -eq ]]`, `let`,
   * array subscripts), with the sources of the run-time values it uses: bash expands
   * `a[$(cmd)]` inside values it evaluates, so downloaded text there is code.
   */
  | { kind: 'arithmetic'; text: string; sources: string }
  /** A literal value holding command substitutions that arithmetic, `eval` or a later expansion may run. */
  | { kind: 'embedded_code'; name: string; code: string; text: string }
  /** Text bash parses a second time as commands (the inside of backquotes, once unescaped). */
  | { kind: 'nested_script'; code: string; text: string }
  | { kind: 'syntax_error'; text: string };

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
}

const INHERIT: StdinSource = { kind: 'inherit' };
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

  constructor(scope: VariableScope, cwd: string | null = null) {
    this.state = { scope, cwd, functions: new Set(), items: [], sources: new Map() };
  }

  walk(root: SyntaxNode): ScriptItem[] {
    this.visit(root, NO_CONTEXT);
    return this.state.items;
  }

  private wordContext(): WordContext {
    return {
      scope: this.state.scope,
      onArithmetic: (node) => this.noteArithmetic(node),
      onAssign: (name, text) => this.noteAssigned(name, oneLine(text)),
      onSubstitution: (node) => {
        // A substitution runs in a subshell: its assignments and cd do not leak out.
        const saved = { scope: this.state.scope, cwd: this.state.cwd };
        this.state.scope = saved.scope.child();
        for (let i = 0; i < node.namedChildCount; i++) this.visit(node.namedChild(i) as SyntaxNode, NO_CONTEXT);
        this.state.scope = saved.scope;
        this.state.cwd = saved.cwd;
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

  private visitChildren(node: SyntaxNode, ctx: VisitContext): void {
    const count = node.childCount;
    for (let i = 0; i < count; i++) {
      const child = node.child(i) as SyntaxNode;
      if (!child.isNamed) continue;
      const next = i + 1 < count ? node.child(i + 1) : null;
      const background = ctx.background || (next !== null && !next.isNamed && next.type === '&');
      this.visit(child, background === ctx.background ? ctx : { ...ctx, background });
    }
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
      case 'declaration_command':
        this.visitDeclaration(node);
        return;
      case 'unset_command':
        for (let i = 0; i < node.namedChildCount; i++) this.state.scope.set((node.namedChild(i) as SyntaxNode).text, null);
        return;
      case 'function_definition': {
        const name = node.childForFieldName('name');
        if (name) this.state.functions.add(name.text);
        const body = node.childForFieldName('body');
        if (body) this.visit(body, NO_CONTEXT);
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
        for (let i = 0; i < node.namedChildCount; i++) {
          const child = node.namedChild(i) as SyntaxNode;
          if (child === variable || child.type === 'variable_name') continue;
          if (child.type === 'do_group' || child.type === 'compound_statement') continue;
          this.word(child); // values may hold substitutions
        }
        // The loop variable is assigned like any other: `for PATH in /tmp; do ls; done` changes PATH.
        if (variable) this.noteAssigned(variable.text, oneLine(node.text.split('\n')[0] ?? ''));
        const body = node.childForFieldName('body');
        if (body) this.visit(body, ctx);
        return;
      }
      case 'compound_statement':
        if (node.child(0)?.type === '((') {
          this.state.items.push({ kind: 'test', text: oneLine(node.text) });
          this.noteArithmetic(node);
          this.visitExpressions(node);
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
        // [[ a -eq b ]] evaluates both sides as arithmetic.
        this.noteArithmetic(node);
        this.visitExpressions(node);
        return;
      case 'c_style_for_statement':
        this.noteArithmetic(node);
        this.visitChildren(node, ctx);
        return;
      case 'arithmetic_expansion':
        this.noteArithmetic(node);
        this.visitExpressions(node);
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
      case 'case_statement': {
        const value = node.childForFieldName('value');
        if (value) this.word(value);
        for (let i = 0; i < node.namedChildCount; i++) {
          const child = node.namedChild(i) as SyntaxNode;
          if (child.type === 'case_item') this.visit(child, ctx);
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

  /** Conditions and arithmetic only matter for the commands substituted inside them. */
  private visitExpressions(node: SyntaxNode): void {
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'command_substitution' || child.type === 'process_substitution') this.wordContext().onSubstitution?.(child);
      else this.visitExpressions(child);
    }
  }

  private visitAssignment(node: SyntaxNode, exported = false): void {
    const assignment = this.assignment(node);
    if (exported) assignment.exported = true;
    const text = oneLine(node.text);
    // The subscript of `a[$(cmd)]=1` is evaluated, commands included.
    const nameNode = node.childForFieldName('name');
    if (nameNode && nameNode.type !== 'variable_name') {
      this.noteArithmetic(nameNode);
      this.visitExpressions(nameNode);
    }
    this.state.scope.set(assignment.name, assignment.value.static ? assignment.value.text : null);
    if (assignment.value.static) this.state.sources.delete(assignment.name);
    else this.state.sources.set(assignment.name, assignment.value.raw);
    this.state.items.push({ kind: 'assignment', assignment, text });
    this.noteEmbeddedCode(assignment.name, assignment.value, text);
  }

  /** A variable set by something other than `NAME=value` (read, for, printf -v, ${NAME:=x}). */
  private noteAssigned(name: string, text: string, value: ShellWord | null = null): void {
    const word = value ?? { ...staticWord(DYNAMIC), static: false, dynamicParts: [text], raw: text };
    this.state.scope.set(name, word.static ? word.text : null);
    this.state.sources.set(name, text);
    this.state.items.push({ kind: 'assignment', assignment: { name, value: word }, text });
  }

  /** A literal value with `$(...)` or backquotes may be run later by arithmetic or eval: its commands are judged now. */
  private noteEmbeddedCode(name: string, value: ShellWord, text: string): void {
    if (value.static && /\$\(|`/.test(value.text)) this.state.items.push({ kind: 'embedded_code', name, code: value.text, text });
  }

  /** Arithmetic evaluates variable values as expressions, subscripts and their substitutions included. */
  private noteArithmetic(node: SyntaxNode): void {
    const text = node.text;
    const sources: string[] = [];
    for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
      const source = this.state.sources.get(m[0]);
      if (source !== undefined) sources.push(source);
    }
    this.state.items.push({ kind: 'arithmetic', text: oneLine(text), sources: sources.join(' ') });
  }

  private assignment(node: SyntaxNode): Assignment {
    const nameNode = node.childForFieldName('name');
    const valueNode = node.childForFieldName('value');
    const name = (nameNode?.text ?? node.text.split('=')[0] ?? '').replace(/\[.*$/, '');
    const value = valueNode ? this.word(valueNode) : staticWord('');
    return { name, value };
  }

  private visitDeclaration(node: SyntaxNode): void {
    // export/declare/local/readonly/typeset: the assignments matter, and two flags:
    // -x exports the variable to every later command, -n makes it a reference to another.
    let exported = node.child(0)?.type === 'export';
    let reference = false;
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'word' && /^-[A-Za-z]+$/.test(child.text)) {
        if (child.text.includes('x')) exported = true;
        if (child.text.includes('n')) reference = true;
        continue;
      }
      if (child.type === 'variable_assignment') {
        if (reference) {
          // `declare -n r=PATH` makes every later `r=...` set PATH: judge it as setting the target.
          const value = child.childForFieldName('value');
          const target = value ? this.word(value) : staticWord('');
          const name = target.static && /^[A-Za-z_][A-Za-z0-9_]*$/.test(target.text) ? target.text : '';
          this.noteAssigned(name, oneLine(child.text));
        } else this.visitAssignment(child, exported);
      } else if (child.type === 'variable_name' && (exported || reference)) {
        // `export NAME` hands an existing value to every later command.
        const name = child.text;
        const known = this.state.scope.get(name);
        const assignment: Assignment = { name: reference ? '' : name, value: known === null ? { ...staticWord(DYNAMIC), static: false, dynamicParts: [name], raw: name } : staticWord(known), exported: true };
        this.state.items.push({ kind: 'assignment', assignment, text: oneLine(node.text) });
      } else this.word(child);
    }
  }

  private visitPipeline(node: SyntaxNode, ctx: VisitContext): void {
    let upstream: SimpleCommand[] = [];
    let first = true;
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      const before = this.state.items.length;
      const stdin: StdinSource = first ? ctx.stdin : { kind: 'pipe', upstream };
      this.visit(child, { stdin, background: ctx.background });
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
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i) as SyntaxNode;
      if (!child.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (child.type === 'variable_assignment') assignments.push(this.assignment(child));
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
    if (programWord.static && this.state.functions.has(programWord.text)) {
      this.state.items.push({ kind: 'function_call', name: programWord.text, text });
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
      case 'printf': {
        const v = args.findIndex((a) => a.text === '-v' || a.text.startsWith('-v'));
        if (v < 0) return;
        const flag = args[v] as ShellWord;
        const target = flag.text === '-v' ? args[v + 1] : staticWord(flag.text.slice(2));
        this.noteAssigned(target && identifier(target) ? target.text : '', command.text);
        return;
      }
      case 'let':
        this.state.items.push({ kind: 'arithmetic', text: command.text, sources: args.map((a) => a.raw).join(' ') });
        for (const a of args) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[.*\])?[-+*/%&|^<>]*=/.exec(a.text);
          if (m) this.noteAssigned(m[1] as string, command.text);
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
