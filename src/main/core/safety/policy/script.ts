import type { SyntaxNode } from './bash-parser';
import { decodeWord, DYNAMIC, staticWord, VariableScope, type ShellWord, type WordContext } from './words';

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
  name: string;
  value: ShellWord;
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
  | { kind: 'syntax_error'; text: string };

interface WalkState {
  scope: VariableScope;
  cwd: string | null;
  functions: Set<string>;
  items: ScriptItem[];
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
    this.state = { scope, cwd, functions: new Set(), items: [] };
  }

  walk(root: SyntaxNode): ScriptItem[] {
    this.visit(root, NO_CONTEXT);
    return this.state.items;
  }

  private wordContext(): WordContext {
    return {
      scope: this.state.scope,
      onSubstitution: (node) => {
        // A substitution runs in a subshell: its assignments and cd do not leak out.
        const saved = { scope: this.state.scope, cwd: this.state.cwd };
        this.state.scope = saved.scope.child();
        for (let i = 0; i < node.namedChildCount; i++) this.visit(node.namedChild(i) as SyntaxNode, NO_CONTEXT);
        this.state.scope = saved.scope;
        this.state.cwd = saved.cwd;
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
        if (variable) this.state.scope.set(variable.text, null);
        const body = node.childForFieldName('body');
        if (body) this.visit(body, ctx);
        return;
      }
      case 'compound_statement':
        if (node.child(0)?.type === '((') {
          this.state.items.push({ kind: 'test', text: oneLine(node.text) });
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
        this.visitExpressions(node);
        return;
      case 'arithmetic_expansion':
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

  private visitAssignment(node: SyntaxNode): void {
    const assignment = this.assignment(node);
    this.state.scope.set(assignment.name, assignment.value.static ? assignment.value.text : null);
    this.state.items.push({ kind: 'assignment', assignment, text: oneLine(node.text) });
  }

  private assignment(node: SyntaxNode): Assignment {
    const nameNode = node.childForFieldName('name');
    const valueNode = node.childForFieldName('value');
    const name = (nameNode?.text ?? node.text.split('=')[0] ?? '').replace(/\[.*$/, '');
    const value = valueNode ? this.word(valueNode) : staticWord('');
    return { name, value };
  }

  private visitDeclaration(node: SyntaxNode): void {
    // export/declare/local/readonly/typeset: the assignments matter, the flags do not.
    for (let i = 0; i < node.namedChildCount; i++) {
      const child = node.namedChild(i) as SyntaxNode;
      if (child.type === 'variable_assignment') this.visitAssignment(child);
      else this.word(child);
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
      else if (field === 'name') words.push(this.word(child.namedChildCount > 0 ? (child.namedChild(0) as SyntaxNode) : child));
      else if (field === 'redirect' || child.type.endsWith('_redirect')) {
        const followUps: { node: SyntaxNode; pipe: boolean }[] = [];
        const r = this.redirect(child, ownRedirects, words, followUps);
        if (r) stdin = r;
        for (const f of followUps) this.visit(f.node, NO_CONTEXT);
      } else if (child.isError) this.state.items.push({ kind: 'syntax_error', text: oneLine(child.text) });
      else words.push(this.word(child));
    }
    words.push(...extraWords);
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
    switch (program.text) {
      case 'cd':
      case 'pushd': {
        const target = args.find((a) => !a.text.startsWith('-'));
        if (!target) this.state.cwd = this.state.scope.get('HOME');
        else if (target.static && !target.glob) this.state.cwd = resolveDirectory(this.state.cwd, target.text);
        else this.state.cwd = null;
        return;
      }
      case 'popd':
        this.state.cwd = null;
        return;
      case 'read':
      case 'mapfile':
      case 'readarray':
      case 'getopts':
      case 'printf':
        for (const a of args) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.text)) this.state.scope.set(a.text, null);
        return;
      default:
    }
  }
}

export function resolveDirectory(cwd: string | null, target: string): string | null {
  if (target.startsWith('/')) return normalizePath(target);
  if (cwd === null) return null;
  return normalizePath(`${cwd}/${target}`);
}

export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  // /proc/<pid>/root is another way to name `/`; strip it so /proc/1/root/etc/shadow is /etc/shadow.
  if (absolute && parts[0] === 'proc' && parts[2] === 'root' && parts.length > 3) parts.splice(0, 3);
  return (absolute ? '/' : '') + parts.join('/');
}
