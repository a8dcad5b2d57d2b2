import type { ShellWord } from './words';

export interface ParsedFlag {
  /** `-x`, `--long` or (single-dash long programs) `-name`. */
  name: string;
  value: ShellWord | null;
  /** The word the flag came from. */
  word: ShellWord;
}

export interface ParsedArgs {
  flags: ParsedFlag[];
  positionals: ShellWord[];
  /** Every word after the program, in order. */
  words: ShellWord[];
}

export interface ArgGrammar {
  valueOptions: ReadonlySet<string>;
  singleDashLong: boolean;
  dashIsFlag?: boolean;
  /** Stop at the first positional: the rest belongs to a wrapped command. */
  stopAtPositional?: number;
}

function derived(word: ShellWord, text: string): ShellWord {
  return { ...word, text, alternatives: [text], glob: false, globPattern: undefined };
}

/**
 * Splits words into flags (with values) and positionals the way getopt does:
 * short clusters (`-rf`), attached values (`-n5`, `--lines=5`), `--` ending options.
 * Options are recognised after positionals too (GNU permutation), unless
 * `stopAtPositional` says a wrapped command starts there.
 */
export function parseArgs(words: readonly ShellWord[], grammar: ArgGrammar): ParsedArgs & { rest: ShellWord[] } {
  const flags: ParsedFlag[] = [];
  const positionals: ShellWord[] = [];
  let optionsEnded = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as ShellWord;
    const text = word.text;
    if (grammar.stopAtPositional !== undefined && positionals.length >= grammar.stopAtPositional && (optionsEnded || !isOption(text, grammar))) {
      return { flags, positionals, words: [...words], rest: words.slice(i) };
    }
    if (optionsEnded || !isOption(text, grammar)) {
      positionals.push(word);
      continue;
    }
    if (text === '--') {
      optionsEnded = true;
      if (grammar.stopAtPositional !== undefined && positionals.length >= grammar.stopAtPositional) {
        return { flags, positionals, words: [...words], rest: words.slice(i + 1) };
      }
      continue;
    }
    if (text.startsWith('--') || (grammar.singleDashLong && text.length > 2)) {
      const eq = text.indexOf('=');
      if (eq > 0) {
        flags.push({ name: text.slice(0, eq), value: derived(word, text.slice(eq + 1)), word });
        continue;
      }
      // Only an exact option name takes the next word: `--verify` may be an option of its own
      // rather than short for `--verify-options`, and swallowing the next word as a value
      // would hide it (`gpg --verify --exec-path x`); read as a word of its own it is judged.
      if (grammar.valueOptions.has(text)) {
        const value = words[i + 1] ?? null;
        flags.push({ name: text, value, word });
        if (value) i++;
        continue;
      }
      flags.push({ name: text, value: null, word });
      continue;
    }
    if (text === '-') {
      flags.push({ name: '-', value: null, word });
      continue;
    }
    // A short-option cluster: -abc, or -n5 where -n takes a value.
    for (let j = 1; j < text.length; j++) {
      const name = `-${text[j]}`;
      if (grammar.valueOptions.has(name)) {
        const attached = text.slice(j + 1);
        if (attached) flags.push({ name, value: derived(word, attached), word });
        else {
          const value = words[i + 1] ?? null;
          flags.push({ name, value, word });
          if (value) i++;
        }
        break;
      }
      flags.push({ name, value: null, word });
    }
  }
  return { flags, positionals, words: [...words], rest: [] };
}

function isOption(text: string, grammar: ArgGrammar): boolean {
  if (text === '-') return grammar.dashIsFlag === true;
  return text.startsWith('-') && text.length > 1;
}
