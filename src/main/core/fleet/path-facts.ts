import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, basename, join, resolve } from 'node:path';

/**
 * Path words of a command, for resolving on the host before the policy judges it: a
 * symlink planted under /var/log or a /proc/PID/fd link says nothing about the file it
 * opens. The policy is the judge; this only finds words worth resolving: those with a
 * `/` (absolute or relative paths) or a leading `~`, option values after `=` included.
 * Quotes are removed the simple way; a word this misreads is still judged as written.
 */
export function pathWords(command: string, argv?: readonly string[]): string[] {
  const words = argv ? [...argv] : shellishWords(command);
  const out = new Set<string>();
  for (const word of words) {
    for (const part of [word, ...(word.includes('=') ? [word.slice(word.indexOf('=') + 1)] : [])]) {
      if (part.length === 0 || part.length > 4096 || part.includes('\n') || part.includes('\0')) continue;
      if (part.includes('$') || part.includes('`')) continue; // computed at run time: the policy asks already
      if (part.includes('/') || part.startsWith('~')) out.add(part);
    }
    if (out.size >= 64) break;
  }
  return [...out];
}

function shellishWords(command: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'";|&<>()]+)/g;
  let current = '';
  let last = -1;
  for (let m = re.exec(command); m; m = re.exec(command)) {
    const piece = m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string));
    if (m.index !== last && current) {
      words.push(current);
      current = '';
    }
    current += piece;
    last = re.lastIndex;
  }
  if (current) words.push(current);
  return words;
}

/** `realpath -m` on this machine: the longest existing prefix resolved (links, /proc magic links), the rest appended. */
export async function resolveLocally(words: readonly string[], cwd = process.cwd()): Promise<Record<string, string>> {
  const facts: Record<string, string> = {};
  await Promise.all(
    words.map(async (word) => {
      const absolute = word.startsWith('~/') || word === '~' ? join(homedir(), word.slice(1)) : word.startsWith('~') ? null : resolve(cwd, word);
      if (!absolute) return;
      const target = await resolveMissingTail(absolute);
      if (target !== null) facts[word] = target;
    }),
  );
  return facts;
}

async function resolveMissingTail(path: string): Promise<string | null> {
  const rest: string[] = [];
  let current = path;
  for (let i = 0; i < 256; i++) {
    try {
      const real = await realpath(current);
      return rest.length ? join(real, ...rest.reverse()) : real;
    } catch {
      const parent = dirname(current);
      if (parent === current) return null;
      rest.push(basename(current));
      current = parent;
    }
  }
  return null;
}

/** Parses `realpath -m -z -- WORDS…` output (one NUL-terminated line per word, in order). */
export function parseRealpathOutput(words: readonly string[], stdout: string): Record<string, string> {
  const lines = stdout.split('\0');
  const facts: Record<string, string> = {};
  words.forEach((word, i) => {
    const target = lines[i];
    if (target && target.startsWith('/')) facts[word] = target;
  });
  return facts;
}

/** The function the expansion script calls once per glob word (and once for the plain path words). */
const EXPAND_FUNCTION = 'fleetmind_expand';
/** Ends each group's `realpath` output: a resolved path always starts with `/`, so this line never is one. */
const GROUP_END = ':';

/**
 * The one script that answers, in one round trip, what the command's glob words match on
 * the host and what every name they match (and every other path word) resolves to.
 * Each glob word is written exactly as in the command (glob-sites keeps only words made
 * of literal text, quotes and glob characters), as the argument of a shell function: bash
 * expands it there just as it would as the command's argument (same options, same
 * directory, same sort order), once; the function prints how many words it made, then
 * the words, then `realpath -m` of each (NUL-terminated, so any name survives), then a
 * group end. Past `cap` names it prints the count only. The plain path words follow as
 * one more group, quoted so nothing in them expands.
 */
export function globExpansionScript(globWords: readonly string[], pathWordList: readonly string[], cap: number): string {
  const body = `printf '%s\\0' "$#"; (($# > ${cap})) && return; printf '%s\\0' "$@"; realpath -m -z -- "$@" 2>/dev/null; printf '${GROUP_END}\\0'`;
  const lines = [`${EXPAND_FUNCTION}() { ${body}; }`, ...globWords.map((w) => `${EXPAND_FUNCTION} ${w}`)];
  if (pathWordList.length > 0) lines.push(`${EXPAND_FUNCTION} ${pathWordList.map(quoteLiteral).join(' ')}`);
  return lines.join('\n');
}

function quoteLiteral(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ExpandedGroup {
  /** The words bash made (null: more than the cap, or the output ended first). */
  words: string[] | null;
  /** How many words bash made, when it said. */
  count: number | null;
  /** Each word's `realpath -m`, in order, when realpath answered for every one. */
  resolved: string[] | null;
}

/**
 * Reads globExpansionScript's output (run with the same `cap`): one group per glob word,
 * then the path words' group when there were any. A group the output does not hold completely (cut at the
 * output cap) has no words; names that were not valid UTF-8 arrive with U+FFFD in them
 * and are kept as they are for the caller to refuse.
 */
export function parseGlobExpansion(stdout: string, groups: number, cap: number): ExpandedGroup[] {
  const fields = stdout.split('\0');
  // The last field follows the last NUL: empty when the output is whole, else a cut line or a truncation marker.
  const complete = fields.length - 1;
  const out: ExpandedGroup[] = [];
  let i = 0;
  for (let g = 0; g < groups; g++) {
    if (i >= complete || !/^\d+$/.test(fields[i] as string)) {
      out.push({ words: null, count: null, resolved: null });
      i = complete;
      continue;
    }
    const count = Number(fields[i]);
    i++;
    if (count > cap) {
      // Over the cap the function printed the count alone.
      out.push({ words: null, count, resolved: null });
      continue;
    }
    if (i + count > complete) {
      // The output was cut: this group and every later one are unknown.
      out.push({ words: null, count, resolved: null });
      i = complete;
      continue;
    }
    const words = fields.slice(i, i + count);
    i += count;
    const end = fields.indexOf(GROUP_END, i);
    if (end < 0 || end >= complete) {
      out.push({ words, count, resolved: null });
      i = complete;
      continue;
    }
    const resolved = fields.slice(i, end);
    i = end + 1;
    out.push({ words, count, resolved: resolved.length === count && resolved.every((r) => r.startsWith('/')) ? resolved : null });
  }
  return out;
}
