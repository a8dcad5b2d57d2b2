import type { GlobSite } from '../types';
import type { SyntaxNode } from './bash-parser';
import { decodeWord, VariableScope } from './words';

/**
 * Glob words whose matches the fleet may expand on the host, for the gate to judge and
 * run as that list of words instead (DESIGN, Execution: "a judged glob runs as the judged
 * list of words, not re-expanded"). A site is replaced by the quoted words bash itself
 * made of it, so it has to be a word bash expands in exactly one way, at one place:
 *
 * - an argument of a simple command or a value of a `for` list (never the program name,
 *   a redirection target, a case pattern, a `[[ ]]` operand, an assignment, an array
 *   element or a here-document, where bash does not expand file names or does it
 *   differently);
 * - made only of literal text, quotes and glob characters: no expansion (`$x/*`, `~`,
 *   `$(...)`), no brace expansion, no extglob, so the host's bash sees the same word;
 * - not inside backquotes, which bash parses a second time after removing backslashes;
 * - relative (`*.log`) only when nothing in the script changes directory, so the
 *   directory it is expanded in on the host is the one the command runs in.
 *
 * A script that changes how bash globs (`shopt`, `set -f`, GLOBIGNORE, the collating
 * locale, or code only known at run time: `eval`, `source`) has no sites: its globs are
 * judged by their text, as before.
 */
export function findGlobSites(root: SyntaxNode, text: string): GlobSite[] {
  if (root.hasError) return [];
  if (GLOB_VARIABLES.test(text)) return [];
  const scan = { changesGlobbing: false, changesDirectory: false };
  scanCommands(root, scan);
  if (scan.changesGlobbing) return [];
  const sites: GlobSite[] = [];
  collectSites(root, text, !scan.changesDirectory, sites);
  return sites;
}

/** Variables that change what a glob matches or in which order (GLOBSORT, bash 5.3) . */
const GLOB_VARIABLES = /\b(?:GLOBIGNORE|GLOBSORT|LC_ALL|LC_COLLATE|LC_CTYPE|LANG)\b/;

/** Builtins that change how later words are globbed, or run code this scan cannot see. */
const GLOBBING_BUILTINS = new Set(['set', 'shopt', 'enable', 'eval', 'source', '.', 'alias']);
const DIRECTORY_BUILTINS = new Set(['cd', 'pushd', 'popd']);
/** `builtin shopt ...`, `command cd ...`: the builtin is the next word. */
const BUILTIN_PREFIXES = new Set(['builtin', 'command']);

function programName(command: SyntaxNode): string | null {
  const name = command.childForFieldName('name');
  if (!name) return null;
  return name.text;
}

function scanCommands(node: SyntaxNode, scan: { changesGlobbing: boolean; changesDirectory: boolean }): void {
  if (node.type === 'command') {
    let name = programName(node);
    if (name !== null && BUILTIN_PREFIXES.has(name)) {
      const first = argumentsOf(node)[0];
      name = first ? first.text : null;
    }
    // A program name that is not plain text (`$x`, quotes) may be any builtin.
    if (name !== null && !/^[A-Za-z0-9_./-]+$/.test(name)) scan.changesGlobbing = true;
    else if (name !== null && GLOBBING_BUILTINS.has(name)) scan.changesGlobbing = true;
    else if (name !== null && DIRECTORY_BUILTINS.has(name)) scan.changesDirectory = true;
  }
  for (let i = 0; i < node.namedChildCount; i++) scanCommands(node.namedChild(i) as SyntaxNode, scan);
}

function argumentsOf(command: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let i = 0; i < command.childCount; i++) {
    if (command.fieldNameForChild(i) === 'argument') out.push(command.child(i) as SyntaxNode);
  }
  return out;
}

/** Words of a declaration (`export a=*`, `command declare a=*`) may be assignments, which bash does not glob. */
const DECLARING = new Set(['builtin', 'command', 'declare', 'typeset', 'local', 'export', 'readonly']);

function collectSites(node: SyntaxNode, text: string, relativeAllowed: boolean, out: GlobSite[]): void {
  switch (node.type) {
    case 'heredoc_body':
      return;
    case 'command_substitution':
      // Backquotes: bash removes backslashes and parses the text again, so quoting inside differs.
      if (node.text.startsWith('`')) return;
      break;
    case 'command': {
      const declaring = DECLARING.has(programName(node) ?? '');
      for (const argument of argumentsOf(node)) {
        const site = siteOf(argument, text, relativeAllowed, declaring);
        if (site) out.push(site);
      }
      break;
    }
    case 'for_statement':
      for (let i = 0; i < node.childCount; i++) {
        if (node.fieldNameForChild(i) !== 'value') continue;
        const site = siteOf(node.child(i) as SyntaxNode, text, relativeAllowed, false);
        if (site) out.push(site);
      }
      break;
    default:
  }
  for (let i = 0; i < node.namedChildCount; i++) collectSites(node.namedChild(i) as SyntaxNode, text, relativeAllowed, out);
}

/** Characters that make a word more than literal text, quotes and glob characters. */
const NOT_LITERAL = /[$`(){}~\u0000]/;

function siteOf(node: SyntaxNode, text: string, relativeAllowed: boolean, declaring: boolean): GlobSite | null {
  if (node.type !== 'word' && node.type !== 'concatenation') return null;
  const start = node.startIndex;
  const end = node.endIndex;
  const raw = node.text;
  // Offsets are UTF-16 indices into the command; anything else would replace the wrong text.
  if (text.slice(start, end) !== raw) return null;
  if (NOT_LITERAL.test(raw)) return null;
  if (declaring && raw.includes('=')) return null;
  for (let i = 0; i < node.namedChildCount; i++) {
    const part = node.namedChild(i) as SyntaxNode;
    if (part.type !== 'word' && part.type !== 'string' && part.type !== 'raw_string') return null;
    if (part.type === 'string' && part.namedChildren.some((c) => c !== null && c.type !== 'string_content')) return null;
  }
  const word = decodeWord(node, { scope: new VariableScope() });
  if (!word.glob || !word.static || word.expanded || word.splittable || word.alternatives.length !== 1 || !word.globPattern) return null;
  const relative = !word.text.startsWith('/');
  if (relative && !relativeAllowed) return null;
  return { start, end, word: raw, pattern: word.text, relative };
}

/** Words that need no quotes (no `=`, which could read as an assignment; no `~`, `*`, braces). */
const PLAIN = /^[A-Za-z0-9_@%+:,./-]+$/;
/**
 * ASCII control characters, shown escaped inside `$'...'` (a byte each, whatever the
 * locale). Invisible or direction-changing Unicode stays as it is: escaped, bash would
 * encode it by the locale, so the policy asks about it instead (it cannot be shown plainly).
 */
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f]/;

/**
 * One word as bash text that quote removal turns back into exactly that word: bare when
 * plain, single-quoted otherwise (`$(...)`, blanks, `*` are literal there), and `$'...'`
 * with escapes when it holds control characters, so the command shown to the operator
 * and judged says what the name is (a newline, an escape sequence).
 */
export function quoteShellWord(word: string): string {
  if (word.length > 0 && PLAIN.test(word)) return word;
  if (!NEEDS_ESCAPE.test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  let out = "$'";
  for (const c of word) {
    const code = c.codePointAt(0) as number;
    if (c === '\\' || c === "'") out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (NEEDS_ESCAPE.test(c)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}'`;
}

/**
 * The command with each site replaced by its words, quoted (sites given by their offsets,
 * which must not overlap). Everything else stays as written.
 */
export function substituteGlobs(text: string, replacements: readonly { start: number; end: number; words: readonly string[] }[]): string {
  const sorted = [...replacements].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const r of sorted) {
    if (r.start < at || r.end < r.start || r.end > text.length) throw new Error('overlapping or out-of-range glob sites');
    out += text.slice(at, r.start) + r.words.map(quoteShellWord).join(' ');
    at = r.end;
  }
  return out + text.slice(at);
}
