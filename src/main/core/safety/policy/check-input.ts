import type { ParsedArgs } from './args';

/** What a rule's `check:` predicate sees: the program and its parsed arguments. */
export interface CheckInput {
  program: string;
  args: ParsedArgs;
}

/** Predicates for syntax that YAML patterns cannot express; rules refer to them by name (`check:`). */
export type Check = (input: CheckInput) => boolean;
