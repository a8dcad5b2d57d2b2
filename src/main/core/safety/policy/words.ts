import type { SyntaxNode } from './bash-parser';

/** Stands in for text only known at run time (a variable, a command's output). */
export const DYNAMIC = '\u0000';

interface Segment {
  text: string;
  /** Produced by an expansion (variable, tilde, substitution), even when its value is known. */
  expansion?: boolean;
  /** Quoted text is neither globbed nor brace-expanded. */
  quoted: boolean;
  /** Text the shell computes at run time. */
  dynamic: boolean;
  /** Why the segment is dynamic, e.g. `$FILE` or `$(...)`. */
  source?: string;
  /** The variable holds one match of this glob (`for f in /var/log/*.log`); see VariableScope.setGlobMatch. */
  globMatch?: ShellWord;
}

/** One shell word after quote removal, with what the policy needs to know about it. */
export interface ShellWord {
  /** The value as the program would see it; run-time parts are replaced by DYNAMIC. */
  text: string;
  /** True when the whole value is known before the command runs. */
  static: boolean;
  /** Unquoted `*`, `?` or `[...]` that the shell expands into file names. */
  glob: boolean;
  /** The word as a glob pattern (quoted metacharacters escaped); set when `glob`. */
  globPattern?: string;
  /** Brace expansion alternatives (`/etc/{shadow,passwd}`), the word itself when there are none. */
  alternatives: string[];
  /** The run-time parts, for reasons (`$FILE`, `$(...)`). */
  dynamicParts: string[];
  /** The word came from a process substitution `<(...)`: its value is a pipe path. */
  processSubstitution: boolean;
  /** The shell expands something in it (variable, tilde, substitution), so it cannot run without a shell. */
  expanded: boolean;
  /** The source text of the word. */
  raw: string;
  /**
   * An unquoted run-time expansion is split into several words and globbed by the
   * shell, so one such word can become any number of arguments, options included.
   */
  splittable?: boolean;
  /**
   * The words the shell makes of it when an unquoted expansion with a known value holds
   * blanks (`x='a -o b'; sort $x` is `sort a -o b`); unset when it stays one word.
   */
  fields?: string[];
}

/** Variables that tell the policy nothing dangerous: their likely values stand in when they are not assigned. */
const PLACEHOLDER_VARIABLES: Record<string, string> = {
  HOME: '/home/user',
  USER: 'user',
  LOGNAME: 'user',
  HOSTNAME: 'host',
  SHELL: '/bin/sh',
  TMPDIR: '/tmp',
  TERM: 'xterm',
  LANG: 'C.UTF-8',
};

/**
 * What a variable holds when its literal value is not known: `unknown` (read, a command's
 * output), `number` (arithmetic, `nproc`), `clean` (one of several literals, none holding
 * code), `unset` (never assigned here: empty, or from the minimal environment commands get).
 */
export type ValueKind = 'unknown' | 'number' | 'clean' | 'unset';

/** Variable values known while walking one script: literal assignments, or null when computed. */
export class VariableScope {
  private readonly values = new Map<string, string | null>();
  /** What is known of the values set to null (allocated on the first). */
  private kinds?: Map<string, ValueKind>;
  /** Variables holding one match of a glob (a `for` over it), by name. */
  private globs?: Map<string, ShellWord>;
  constructor(private readonly parent?: VariableScope) {}

  child(): VariableScope {
    return new VariableScope(this);
  }

  /** Sets a literal value, or null with what is known about the run-time value. */
  set(name: string, value: string | null, kind: ValueKind = 'unknown'): void {
    this.values.set(name, value);
    this.globs?.delete(name);
    if (value === null) (this.kinds ??= new Map()).set(name, kind);
    else this.kinds?.delete(name);
  }

  /**
   * The variable holds one file name matched by a glob word (`for f in /var/log/*.log`):
   * its value is only known at run time, but a whole double-quoted `"$f"` is exactly one
   * word the glob could make, so it is judged as that glob (decodeWord).
   */
  setGlobMatch(name: string, glob: ShellWord): void {
    this.set(name, null, 'unknown');
    (this.globs ??= new Map()).set(name, glob);
  }

  /** The glob word whose match the variable holds, when setGlobMatch() set it. */
  globMatch(name: string): ShellWord | null {
    if (this.values.has(name)) return this.globs?.get(name) ?? null;
    return this.parent ? this.parent.globMatch(name) : null;
  }

  /** `literal` when get() knows the value, else what is known about it. */
  kind(name: string): ValueKind | 'literal' {
    if (this.values.has(name)) return this.values.get(name) !== null ? 'literal' : (this.kinds?.get(name) ?? 'unknown');
    if (this.parent) return this.parent.kind(name);
    return PLACEHOLDER_VARIABLES[name] !== undefined ? 'literal' : 'unset';
  }

  /** The value, null when it is only known at run time. */
  get(name: string): string | null {
    if (this.values.has(name)) return this.values.get(name) ?? null;
    if (this.parent) return this.parent.get(name);
    return PLACEHOLDER_VARIABLES[name] ?? null;
  }

  /** Positional parameters of a `sh -c` script are dynamic unless given literally. */
  setPositional(values: readonly (string | null)[]): void {
    values.forEach((v, i) => this.values.set(String(i), v));
  }
}

export interface WordContext {
  scope: VariableScope;
  /** Called for every command or process substitution inside the word, so its commands are judged too. */
  onSubstitution?: (node: SyntaxNode) => void;
  /** Called for text the shell evaluates as arithmetic (`$((...))`, `${a[i]}` subscripts). */
  onArithmetic?: (node: SyntaxNode) => void;
  /** Called for every `${...}` with an operator, subscript or offset (some evaluate text: `${a[i]}`, `${!x}`, `${x@P}`). */
  onExpansion?: (node: SyntaxNode) => void;
  /** Called when an expansion assigns a variable (`${NAME:=value}`), with the node of the value when there is one. */
  onAssign?: (name: string, text: string, value?: SyntaxNode) => void;
}

export function staticWord(text: string): ShellWord {
  return {
    text,
    static: true,
    glob: false,
    alternatives: [text],
    dynamicParts: [],
    processSubstitution: false,
    expanded: false,
    raw: text,
  };
}

const STRING_ESCAPES = new Set(['$', '`', '"', '\\', '\n']);

function unescapeDoubleQuoted(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length && STRING_ESCAPES.has(text[i + 1] as string)) {
      const next = text[i + 1] as string;
      if (next !== '\n') out += next;
      i++;
    } else out += c;
  }
  return out;
}

const ANSI_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };

/** The value of `$'...'` (its body without the quotes). */
export function decodeAnsiC(body: string): string {
  const decoded = decodeAnsiCEscapes(body);
  // Bash strings are C strings: $'/etc/shadow\x00.txt' is /etc/shadow.
  const nul = decoded.indexOf('\u0000');
  return nul >= 0 ? decoded.slice(0, nul) : decoded;
}

function decodeAnsiCEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[i + 1] as string;
    if (n in ANSI_ESCAPES) {
      out += ANSI_ESCAPES[n];
      i++;
    } else if (n === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 2))?.[0] ?? '';
      out += hex ? String.fromCharCode(parseInt(hex, 16)) : '\\x';
      i += 1 + hex.length;
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))?.[0] ?? '';
      out += String.fromCharCode(parseInt(oct, 8));
      i += oct.length;
    } else if (n === 'u' || n === 'U') {
      const hex = /^[0-9a-fA-F]{1,8}/.exec(body.slice(i + 2))?.[0] ?? '';
      out += hex ? String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)) : `\\${n}`;
      i += 1 + hex.length;
    } else {
      out += `\\${n}`;
      i++;
    }
  }
  return out;
}

/** Splits an unquoted word into literal segments, keeping backslash-escaped characters out of globbing. */
function unquotedSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  let plain = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      if (plain) segments.push({ text: plain, quoted: false, dynamic: false });
      plain = '';
      const next = text[i + 1] as string;
      if (next !== '\n') segments.push({ text: next, quoted: true, dynamic: false });
      i++;
    } else plain += c;
  }
  if (plain) segments.push({ text: plain, quoted: false, dynamic: false });
  return segments;
}

function variableSegment(name: string, source: string, ctx: WordContext, quoted: boolean): Segment {
  const value = ctx.scope.get(name);
  if (value === null) {
    const glob = ctx.scope.globMatch(name);
    return { text: DYNAMIC, quoted, dynamic: true, source, expansion: true, ...(glob ? { globMatch: glob } : {}) };
  }
  // Unquoted, the value is split on blanks and globbed like any unquoted text (but never brace-expanded).
  return { text: value, quoted, dynamic: false, expansion: true };
}

function tildeExpand(segments: Segment[], ctx: WordContext): Segment[] {
  const first = segments[0];
  if (!first || first.quoted || first.dynamic || !first.text.startsWith('~')) return segments;
  const m = /^~([A-Za-z0-9_.-]*|\+)(\/.*)?$/s.exec(first.text);
  if (!m) return segments;
  const user = m[1] ?? '';
  // `~-` and `~+` are the previous and the current working directory, not users.
  const named = (variable: string): string => ctx.scope.get(variable) ?? DYNAMIC;
  const home = user === '' ? named('HOME') : user === '-' ? named('OLDPWD') : user === '+' ? named('PWD') : user === 'root' ? '/root' : `/home/${user}`;
  const dynamic = home === DYNAMIC;
  return [
    { text: home, quoted: true, dynamic, source: dynamic ? '~' : undefined, expansion: true },
    ...(m[2] ? [{ text: m[2], quoted: false, dynamic: false }] : []),
    ...segments.slice(1),
  ];
}

function collectSegments(node: SyntaxNode, ctx: WordContext, out: Segment[], quoted: boolean): void {
  switch (node.type) {
    case 'word':
    case 'number':
    case 'extglob_pattern':
      if (quoted) out.push({ text: node.text, quoted: true, dynamic: false });
      else out.push(...unquotedSegments(node.text));
      return;
    case 'raw_string':
      out.push({ text: node.text.slice(1, -1), quoted: true, dynamic: false });
      return;
    case 'ansi_c_string':
      out.push({ text: decodeAnsiC(node.text.slice(2, -1)), quoted: true, dynamic: false });
      return;
    case 'string':
    case 'translated_string': {
      const before = out.length;
      for (let i = 0; i < node.childCount; i++) {
        const child = node.child(i) as SyntaxNode;
        if (!child.isNamed) {
          if (child.type === '"' || child.type === '$"') continue;
          out.push({ text: child.text, quoted: true, dynamic: false });
        } else if (child.type === 'string_content') {
          out.push({ text: unescapeDoubleQuoted(child.text), quoted: true, dynamic: false });
        } else collectSegments(child, ctx, out, true);
      }
      // An empty string "" is still one (empty) word.
      if (out.length === before) out.push({ text: '', quoted: true, dynamic: false });
      return;
    }
    case 'concatenation':
      for (let i = 0; i < node.childCount; i++) collectSegments(node.child(i) as SyntaxNode, ctx, out, quoted);
      return;
    case 'simple_expansion': {
      const nameNode = node.namedChildren[0];
      const name = nameNode ? nameNode.text : node.text.slice(1);
      out.push(variableSegment(name, node.text, ctx, quoted));
      return;
    }
    case 'expansion': {
      // ${NAME} is a plain lookup; any operator (${x:-y}, ${x#p}, ${!x}) is computed.
      const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(node.text);
      if (m) out.push(variableSegment(m[1] as string, node.text, ctx, quoted));
      else {
        // Substitutions first: what the expansion evaluates may be their output.
        visitSubstitutions(node, ctx);
        const assigned = /^\$\{([A-Za-z_][A-Za-z0-9_]*):?=/.exec(node.text);
        if (assigned) ctx.onAssign?.(assigned[1] as string, node.text, assignedValue(node));
        ctx.onExpansion?.(node);
        out.push({ text: DYNAMIC, quoted, dynamic: true, source: node.text, expansion: true });
      }
      return;
    }
    case 'command_substitution':
      ctx.onSubstitution?.(node);
      out.push({ text: DYNAMIC, quoted, dynamic: true, source: summarize(node.text), expansion: true });
      return;
    case 'process_substitution':
      ctx.onSubstitution?.(node);
      out.push({ text: '/dev/fd/63', quoted: true, dynamic: false, expansion: true });
      return;
    case 'arithmetic_expansion':
      visitSubstitutions(node, ctx);
      ctx.onArithmetic?.(node);
      // Arithmetic yields a number; it cannot name a file or a program worth worrying about.
      out.push({ text: '0', quoted: true, dynamic: false, expansion: true });
      return;
    default:
      visitSubstitutions(node, ctx);
      if (quoted) out.push({ text: node.text, quoted: true, dynamic: false });
      else out.push(...unquotedSegments(node.text));
  }
}

/** The value node of `${NAME=value}` / `${NAME:=value}`: what follows the operator. */
function assignedValue(node: SyntaxNode): SyntaxNode | undefined {
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i) as SyntaxNode;
    if (!child.isNamed && (child.type === '=' || child.type === ':=')) {
      const value = node.child(i + 1);
      return value && value.isNamed ? value : undefined;
    }
  }
  return undefined;
}

function visitSubstitutions(node: SyntaxNode, ctx: WordContext): void {
  for (let i = 0; i < node.namedChildCount; i++) {
    const child = node.namedChild(i) as SyntaxNode;
    if (child.type === 'command_substitution' || child.type === 'process_substitution') ctx.onSubstitution?.(child);
    else visitSubstitutions(child, ctx);
  }
}

function summarize(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}

const GLOB_CHARS = /[*?[]/;

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\{}]/g, (c) => `\\${c}`);
}

/** Expands unquoted `{a,b}` and `{1..3}` the way bash does, capped so hostile input stays cheap. */
function braceExpand(segments: Segment[]): string[] | null {
  // Bash brace-expands only the literal text of a word, never the result of an expansion.
  if (!segments.some((s) => !s.quoted && !s.dynamic && !s.expansion && /[{}]/.test(s.text))) return null;
  // Work on text with quoted parts protected by private-use markers; the grammar may split `{a,b}` over several words.
  const protectedParts: string[] = [];
  let joined = '';
  for (const s of segments) {
    if (s.quoted || s.dynamic || s.expansion) {
      protectedParts.push(s.text);
      joined += `\uE000${protectedParts.length - 1}\uE001`;
    } else joined += s.text;
  }
  if (!/\{[^{}]*(,|\.\.)[^{}]*\}/.test(joined)) return null;
  const results: string[] = [];
  const expand = (text: string): void => {
    if (results.length > 64) return;
    const m = /\{([^{}]*)\}/.exec(text);
    if (!m) {
      results.push(text);
      return;
    }
    const body = m[1] as string;
    let options: string[] | null = null;
    if (body.includes(',')) options = body.split(',');
    else {
      const range = /^(-?\d+)\.\.(-?\d+)$/.exec(body) ?? /^([a-zA-Z])\.\.([a-zA-Z])$/.exec(body);
      if (range) {
        const numeric = /\d/.test(range[1] as string);
        const a = numeric ? Number(range[1]) : (range[1] as string).charCodeAt(0);
        const b = numeric ? Number(range[2]) : (range[2] as string).charCodeAt(0);
        options = [];
        const step = a <= b ? 1 : -1;
        for (let v = a; options.length < 16 && (step > 0 ? v <= b : v >= b); v += step) options.push(numeric ? String(v) : String.fromCharCode(v));
      }
    }
    if (!options) {
      // Not an expansion: keep the braces literally and look further on.
      const head = text.slice(0, m.index + m[0].length).replace(/\{/, '\uE002').replace(/\}/, '\uE003');
      expand(head + text.slice(m.index + m[0].length));
      return;
    }
    for (const o of options) expand(text.slice(0, m.index) + o + text.slice(m.index + m[0].length));
  };
  expand(joined);
  return results.map((r) =>
    r
      .replace(/\uE000(\d+)\uE001/g, (_, i: string) => protectedParts[Number(i)] ?? '')
      .replace(/\uE002/g, '{')
      .replace(/\uE003/g, '}'),
  );
}

/** Decodes a word node (word, string, concatenation, expansion...) into a ShellWord. */
export function decodeWord(node: SyntaxNode, ctx: WordContext): ShellWord {
  const collected: Segment[] = [];
  collectSegments(node, ctx, collected, false);
  const only = collected.length === 1 ? collected[0] : undefined;
  if (only?.globMatch && only.quoted) {
    // `"$f"` alone, f one match of a glob: exactly one word that glob could make (never split, never
    // globbed again), so it is judged as the glob itself: secrets it could match, a leading wildcard
    // that could match a file named like an option. Mixed with other text or unquoted it stays run-time text.
    const g = only.globMatch;
    return { text: g.text, static: true, glob: true, globPattern: g.globPattern ?? g.text, alternatives: [g.text], dynamicParts: [], processSubstitution: false, expanded: true, raw: node.text };
  }
  const segments = tildeExpand(collected, ctx);
  const text = segments.map((s) => s.text).join('');
  const dynamicParts = segments.filter((s) => s.dynamic).map((s) => s.source ?? '$?');
  const glob = segments.some((s) => !s.quoted && !s.dynamic && GLOB_CHARS.test(s.text));
  const word: ShellWord = {
    text,
    static: dynamicParts.length === 0,
    glob,
    alternatives: braceExpand(segments) ?? [text],
    dynamicParts,
    processSubstitution: node.type === 'process_substitution',
    expanded: segments.some((seg) => seg.expansion === true),
    raw: node.text,
  };
  if (glob) word.globPattern = segments.map((s) => (s.quoted || s.dynamic ? escapeGlob(s.text) : s.text)).join('');
  if (segments.some((s) => s.dynamic && !s.quoted)) word.splittable = true;
  if (segments.some((s) => s.expansion && !s.quoted && !s.dynamic && FIELD_SEPARATORS.test(s.text))) word.fields = splitFields(segments);
  return word;
}

const FIELD_SEPARATORS = /[ \t\n]/;

/** Word splitting as bash does it with the default IFS: only the unquoted results of expansions are split. */
function splitFields(segments: readonly Segment[]): string[] {
  const fields: string[] = [];
  let current = '';
  let started = false;
  for (const s of segments) {
    if (!(s.expansion && !s.quoted && !s.dynamic)) {
      current += s.text;
      started = true;
      continue;
    }
    const parts = s.text.split(/[ \t\n]+/);
    parts.forEach((part, i) => {
      if (i > 0) {
        if (started) fields.push(current);
        current = '';
        started = false;
      }
      if (part) {
        current += part;
        started = true;
      }
    });
  }
  if (started) fields.push(current);
  return fields;
}

/** The words the shell passes for one word: brace alternatives or split fields, each a word of its own. */
export function expandWord(word: ShellWord): ShellWord[] {
  const texts = word.alternatives.length > 1 ? word.alternatives : word.fields;
  if (!texts) return [word];
  return texts.map((text) => {
    const isStatic = !text.includes(DYNAMIC);
    const glob = GLOB_CHARS.test(text.replace(/\u0000/g, ''));
    const part: ShellWord = {
      text,
      static: isStatic,
      glob,
      alternatives: [text],
      dynamicParts: isStatic ? [] : word.dynamicParts,
      processSubstitution: false,
      expanded: word.expanded,
      raw: word.raw,
    };
    if (word.splittable) part.splittable = true;
    if (glob) part.globPattern = text;
    return part;
  });
}
