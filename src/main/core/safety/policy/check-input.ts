import type { ParsedArgs } from './args';
import type { Redirect } from './script-items';

/** What a rule's `check:` predicate sees: the program and its parsed arguments. */
export interface CheckInput {
  program: string;
  args: ParsedArgs;
  /** The command's own redirections, when the rule judges a command line (stdin decides some read-only forms). */
  redirects?: readonly Redirect[];
}

/** Predicates for syntax that YAML patterns cannot express; rules refer to them by name (`check:`). */
export type Check = (input: CheckInput) => boolean;
