import type { ShellWord } from './words';

/**
 * What the walker (script.ts) finds in a command line and the evaluator judges: simple
 * commands, assignments, redirections, and the places where bash evaluates text a second
 * time. The construct modules (bash-arithmetic, bash-builtins, recursion) add items here.
 */

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

export interface CommandItem {
  kind: 'command';
  command: SimpleCommand;
}

/** A call of a shell function defined in the same command line (its body is judged where it is defined). */
export interface FunctionCallItem {
  kind: 'function_call';
  name: string;
  text: string;
  background: boolean;
}

/**
 * A literal holding command substitutions that arithmetic, `eval` or a later expansion
 * may run (`why` says where; by default, a variable's value): its commands are judged.
 */
export interface EmbeddedCodeItem {
  kind: 'embedded_code';
  name: string;
  code: string;
  text: string;
  why?: string;
}

/** Text bash parses a second time as commands (the inside of backquotes, once unescaped; a builtin's callback). */
export interface NestedScriptItem {
  kind: 'nested_script';
  code: string;
  text: string;
}

/**
 * A place where bash evaluates text a second time (arithmetic, the subscript of a name,
 * `${!x}`, `${x@P}`), with the run-time values it evaluates: bash expands `a[$(cmd)]` there.
 */
export interface EvaluationItem {
  kind: 'evaluation';
  text: string;
  /** What is evaluated: `arithmetic`, `a variable name`, ... */
  what: string;
  /** The run-time values evaluated (`$n`, `$(cat f)`); none when only the sources matter. */
  unknown: string[];
  /** Source text of those values (`n=$(curl ...)`), to recognise downloaded code. */
  sources: string;
}

/** Code a builtin runs that is only known at run time (`mapfile -C "$cb"`, `compgen -F` of an unknown function). */
export interface DynamicCodeItem {
  kind: 'dynamic_code';
  text: string;
  /** What runs it, e.g. `mapfile`. */
  what: string;
  /** The source of the code, to recognise downloaded code. */
  source: string;
}

/** A function found to call itself without bound in the background or a pipeline (a fork bomb). */
export interface RecursionItem {
  kind: 'runaway_recursion';
  name: string;
  text: string;
  /** No condition on the cycle: it never stops. */
  certain: boolean;
}

export type ScriptItem =
  | CommandItem
  | { kind: 'assignment'; assignment: Assignment; text: string }
  /** A redirection applied to a compound statement (loop, subshell, group) or standing alone. */
  | { kind: 'redirect'; redirect: Redirect; text: string }
  | FunctionCallItem
  /** A condition or arithmetic (`[[ ... ]]`, `(( ... ))`): it runs nothing but what is substituted inside. */
  | { kind: 'test'; text: string }
  | EvaluationItem
  | EmbeddedCodeItem
  | NestedScriptItem
  | DynamicCodeItem
  | RecursionItem
  | { kind: 'syntax_error'; text: string };
