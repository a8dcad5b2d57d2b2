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
