import { make, type Finding } from './findings';
import type { RecursionItem } from './script-items';

/**
 * Functions that call themselves in the background or in a pipeline: every call starts
 * new processes that call again, so their number grows until the machine stops (the fork
 * bomb `:(){ :|:& };:` and its renamings `bomb(){ bomb|bomb& };bomb`, `f(){ f & f; }; f`).
 * The walker records each shell function and the calls in its body; a cycle of calls with
 * a call that starts a process (background `&`, a pipeline, a process substitution) is
 * runaway recursion. Without a condition on the way round it is certain (deny: DESIGN
 * reserves deny for fork bombs); behind `if`, `&&`, a loop or a case it may stop (ask).
 */

export interface CallSite {
  callee: string;
  /** The call runs in a process of its own alongside the caller: `&`, a pipeline element, `<(...)`, `coproc`. */
  spawns: boolean;
  /** The call sits behind a condition (`if`, `&&`/`||`, a loop, a case). */
  conditional: boolean;
}

export class CallGraph {
  private readonly functions = new Map<string, { text: string; calls: CallSite[] }>();

  define(name: string, text: string): void {
    const existing = this.functions.get(name);
    // A redefinition keeps the earlier calls: either body may be the one that runs.
    if (existing) existing.text = text;
    else this.functions.set(name, { text, calls: [] });
  }

  call(caller: string, site: CallSite): void {
    this.functions.get(caller)?.calls.push(site);
  }

  get size(): number {
    return this.functions.size;
  }

  /** Functions on a cycle of calls that starts processes; certain when some such cycle has no condition. */
  runaways(): RecursionItem[] {
    const found: RecursionItem[] = [];
    for (const [name, fn] of this.functions) {
      let certain = false;
      let possible = false;
      for (const site of fn.calls) {
        if (!site.spawns || !this.functions.has(site.callee)) continue;
        // The spawning call closes a cycle when its callee calls back to this function.
        if (!site.conditional && this.reaches(site.callee, name, true)) certain = true;
        else if (this.reaches(site.callee, name, false)) possible = true;
      }
      if (certain || possible) found.push({ kind: 'runaway_recursion', name, text: fn.text, certain });
    }
    return found;
  }

  /** Whether `from` calls `to`, directly or through other functions (only unconditional calls when `strict`). */
  private reaches(from: string, to: string, strict: boolean): boolean {
    const seen = new Set<string>();
    const queue = [from];
    while (queue.length > 0) {
      const current = queue.pop() as string;
      if (current === to) return true;
      if (seen.has(current)) continue;
      seen.add(current);
      for (const site of this.functions.get(current)?.calls ?? []) if (!strict || !site.conditional) queue.push(site.callee);
    }
    return false;
  }
}

/**
 * The walker's side: which function body is being walked, whether the current command
 * runs on a condition or alongside its caller, and the calls made.
 */
const NONE: RecursionItem[] = [];

export class CallTracker {
  // Allocated when a function is defined: most commands define none.
  private graph?: CallGraph;
  /** The functions whose bodies are being walked, innermost last. */
  private enclosing?: string[];
  /** Depth of conditions (if, case, loops, && and ||) around the current command. */
  private conditional = 0;
  /** Depth of process substitutions around the current command (they run alongside). */
  private async = 0;

  /** Walks a function body: the calls in it are its calls; conditions around the definition do not apply inside. */
  functionBody(name: string, text: string, visit: () => void): void {
    (this.graph ??= new CallGraph()).define(name, text);
    const saved = { conditional: this.conditional, async: this.async };
    const enclosing = (this.enclosing ??= []);
    this.conditional = 0;
    this.async = 0;
    enclosing.push(name);
    try {
      visit();
    } finally {
      enclosing.pop();
      this.conditional = saved.conditional;
      this.async = saved.async;
    }
  }

  /** A command named `name` runs here: inside a function a call, to a function defined before or after. */
  command(name: string, ctx: { background: boolean; pipeline?: boolean }): void {
    if (!this.enclosing || this.enclosing.length === 0) return;
    const caller = this.enclosing[this.enclosing.length - 1] as string;
    this.graph?.call(caller, { callee: name, spawns: ctx.background || ctx.pipeline === true || this.async > 0, conditional: this.conditional > 0 });
  }

  /** Walks a part that runs only on a condition (if, case, loop bodies). */
  conditionally(visit: () => void): void {
    this.conditional++;
    try {
      visit();
    } finally {
      this.conditional--;
    }
  }

  /** Walks a process substitution, which runs alongside the command that reads it. */
  concurrently(visit: () => void): void {
    this.async++;
    try {
      visit();
    } finally {
      this.async--;
    }
  }

  /** The current condition depth, to return to after a list (`a && b; c`). */
  get depth(): number {
    return this.conditional;
  }

  set depth(value: number) {
    this.conditional = value;
  }

  runaways(): RecursionItem[] {
    return this.graph ? this.graph.runaways() : NONE;
  }
}

export function recursionFindings(item: RecursionItem, label: string): Finding[] {
  if (item.certain) {
    return [make('deny', 'destructive', label, `${item.name} calls itself in the background or in a pipeline without end: a fork bomb, which starts processes until the host stops responding`, false)];
  }
  return [make('ask', 'destructive', label, `${item.name} calls itself in the background or in a pipeline, which may start processes without bound`, false)];
}
