import type { ParsedFlag } from './args';
import { make, type Finding } from './findings';
import type { ShellWord } from './words';

/**
 * How a shell is started, and the code it reads from files before the command it is
 * given: `--rcfile F`/`--init-file F` (F runs), `-i` (an interactive shell runs ~/.bashrc,
 * or the file $ENV names), `-l`/`--login` and `exec -l`/`exec -a -NAME` (the login
 * profiles), `BASH_ENV`/`ENV` (the file they name runs), zsh (~/.zshenv on every start).
 * The policy runs commands with `bash --noprofile --norc` and BASH_ENV/ENV unset
 * (DESIGN, Execution); a command that starts another shell the other way needs approval.
 */

/** bash's long options, read with one dash or two before any single-letter option (shell.c, parse_long_options). */
const BASH_LONG_FLAGS = new Set(['debug', 'debugger', 'dump-po-strings', 'dump-strings', 'help', 'login', 'noediting', 'noprofile', 'norc', 'posix', 'pretty-print', 'protected', 'restricted', 'verbose', 'version', 'wordexp']);
/** bash's long options that take the next word: a file of commands run at start. */
const BASH_STARTUP_FILE_OPTIONS = new Set(['rcfile', 'init-file']);

/** Environment variables that name a file the shell runs at start. */
export const STARTUP_FILE_VARIABLES = new Set(['BASH_ENV', 'ENV']);

export interface ShellInvocation {
  /** Single-letter options set with `-` (`-c`, `-i`, `-l`, `-s`, `-p`...). */
  letters: Set<string>;
  /** Long options, without dashes (`login`, `norc`, `no-rcs`). */
  long: Set<string>;
  /** Files bash runs at start (`--rcfile F`, `--init-file F`). */
  startupFiles: ShellWord[];
  /** Index of the first operand: the command string with -c, else the script. */
  operands: number;
}

/**
 * Reads a shell's options the way bash does: long options first (`--login`, `-norc`,
 * `--rcfile FILE`; `-rcfile` is one option, not -r -c -f...), then letter clusters, where
 * `o` and `O` take the next word (`-euo pipefail`, `-O extglob`), up to `--`, `-` or the
 * first operand. Other shells read a subset of this the same way.
 */
export function parseShellInvocation(words: readonly ShellWord[]): ShellInvocation {
  const inv: ShellInvocation = { letters: new Set(), long: new Set(), startupFiles: [], operands: words.length };
  let i = 0;
  for (; i < words.length; i++) {
    const t = (words[i] as ShellWord).text;
    if (!t.startsWith('-') || t === '-' || t === '--') break;
    const name = t.startsWith('--') ? t.slice(2) : t.slice(1);
    if (BASH_STARTUP_FILE_OPTIONS.has(name)) {
      inv.long.add(name);
      const file = words[++i];
      if (file) inv.startupFiles.push(file);
    } else if (BASH_LONG_FLAGS.has(name) || t.startsWith('--')) inv.long.add(name);
    else break;
  }
  for (; i < words.length; i++) {
    const t = (words[i] as ShellWord).text;
    if (t === '--' || t === '-') {
      i++;
      break;
    }
    if (!/^[-+]./.test(t)) break;
    if (t.startsWith('--')) {
      inv.long.add(t.slice(2));
      continue;
    }
    for (const c of t.slice(1)) {
      if (t[0] === '-') inv.letters.add(c);
      if (c === 'o' || c === 'O') i++; // -o NAME, +O NAME: the option name is the next word
    }
  }
  inv.operands = Math.min(i, words.length);
  return inv;
}

/**
 * Findings for the code a shell reads from files when started this way. `readFile`
 * judges reading a file (a secret read as a script ends up in error messages).
 */
export function shellStartupFindings(name: string, inv: ShellInvocation, label: string, readFile: (word: ShellWord, what: string) => Finding[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of inv.startupFiles) {
    findings.push(...readFile(file, `${name} runs the commands in`));
    findings.push(make('ask', 'code_download_exec', label, `${name} runs the commands in ${file.static ? file.text : file.raw} when it starts`, false));
  }
  if (inv.letters.has('i')) findings.push(make('ask', 'code_download_exec', label, `${name} -i starts an interactive shell, which first runs ~/.bashrc (or the file $ENV names)`, false));
  if (inv.letters.has('l') || inv.long.has('login')) findings.push(make('ask', 'code_download_exec', label, `${name} starts as a login shell, which first runs /etc/profile and ~/.profile (or ~/.bash_profile)`, false));
  if (inv.long.has('debugger')) findings.push(make('ask', 'code_download_exec', label, `${name} --debugger first runs the debugger's startup code`, false));
  if (name === 'zsh' && !inv.letters.has('f') && !inv.long.has('no-rcs')) {
    findings.push(make('ask', 'code_download_exec', label, 'zsh first runs ~/.zshenv on every start (zsh -f does not)', false));
  }
  return findings;
}

/** `exec -l prog`, `exec -a -NAME prog`: a leading dash in argv[0] makes a shell a login shell. */
export function loginArgv0Findings(flags: readonly ParsedFlag[], label: string): Finding[] {
  const login = flags.some((f) => /^-[a-z]*l/.test(f.name) || (f.name === '-a' && f.value !== null && (!f.value.static || f.value.text.startsWith('-'))));
  return login ? [make('ask', 'code_download_exec', label, 'exec -l (or an argv[0] starting with -) starts the program as a login shell, which first runs the login profiles', false)] : [];
}

/** `BASH_ENV=F bash`, `env ENV=F sh -i`: the shell runs F. */
export function startupVariableFindings(name: string, value: ShellWord, label: string, readFile: (word: ShellWord, what: string) => Finding[]): Finding[] {
  return STARTUP_FILE_VARIABLES.has(name) ? readFile(value, `${name} makes the shell run`) : [];
}
