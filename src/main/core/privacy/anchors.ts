/**
 * One pass over the text for all rules: an Aho-Corasick automaton over every anchor of every
 * anchored rule (rules.ts, ANCHORED) collects, per rule, the positions where one of its matches
 * can start; a rule then tries its expression only there. Ordinary server output holds few
 * anchors, so most text is read once by a table walk instead of once per rule by 46 expressions
 * (and once more by the keyword prefilter). Rules without an anchored form (a caller's own)
 * run as before, behind their keywords.
 */
import { ANCHORED, type Anchored, type Candidate, type Rule } from './rules';

/** One anchor of one rule. */
interface Entry {
  /** Index into the plan's rules. */
  rule: number;
  length: number;
  /** The anchor as written when it must match case-sensitively (the automaton folds case). */
  exact: string | null;
  starts: Anchored['starts'];
}

const ASCII = 128; // anchors are ASCII; any other character leads back to the root

/** Lower-case ASCII letters and everything else unchanged. */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

class Automaton {
  /**
   * Characters that occur in no anchor share class 0 (and any character >= 128 is class 0);
   * the others get a class each, upper- and lower-case letters the same. A small table walks faster.
   */
  private readonly classOf = new Uint8Array(ASCII);
  /** log2 of the row width (the number of classes rounded up to a power of two). */
  private readonly shift: number;
  /** next[(state << shift) | class]: the goto function completed with the failure links. */
  private readonly next: Uint16Array | Uint32Array;
  /** States are numbered so that those where an anchor ends come last, from `firstOut`. */
  private readonly firstOut: number;
  /** Entries (indices into `entries`) that end at state `firstOut + k`: `outStart[k]`…`outStart[k + 1]`. */
  private readonly outStart: Uint32Array;
  private readonly outList: Uint32Array;

  constructor(readonly entries: readonly Entry[], anchors: readonly string[]) {
    let classes = 1;
    for (const anchor of anchors) {
      for (let i = 0; i < anchor.length; i++) {
        const c = fold(anchor.charCodeAt(i));
        if (c >= ASCII) throw new Error(`anchor ${JSON.stringify(anchor)} is not ASCII`);
        if (this.classOf[c] === 0) this.classOf[c] = classes++;
      }
    }
    for (let c = 65; c <= 90; c++) this.classOf[c] = this.classOf[c + 32]!;
    this.shift = Math.max(1, Math.ceil(Math.log2(classes)));
    // Trie over the classes.
    const goto: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    anchors.forEach((anchor, index) => {
      let s = 0;
      for (let i = 0; i < anchor.length; i++) {
        const k = this.classOf[anchor.charCodeAt(i)]!;
        let t = goto[s]!.get(k);
        if (t === undefined) {
          t = goto.length;
          goto.push(new Map());
          ends.push([]);
          goto[s]!.set(k, t);
        }
        s = t;
      }
      ends[s]!.push(index);
    });
    // Breadth first: a state's failure link and outputs are known before its children's.
    const states = goto.length;
    const delta = new Uint32Array(states * classes);
    const fail = new Uint32Array(states);
    const out: number[][] = ends.map((e) => [...e]);
    const queue: number[] = [];
    for (let k = 1; k < classes; k++) {
      const t = goto[0]!.get(k) ?? 0;
      delta[k] = t;
      if (t !== 0) queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      out[s]!.push(...out[fail[s]!]!);
      for (let k = 1; k < classes; k++) {
        const t = goto[s]!.get(k);
        if (t === undefined) {
          delta[s * classes + k] = delta[fail[s]! * classes + k]!;
        } else {
          delta[s * classes + k] = t;
          fail[t] = delta[fail[s]! * classes + k]!;
          queue.push(t);
        }
      }
    }
    // Renumber: states without output first (the root stays 0), then those with output.
    const order = [...Array(states).keys()].sort((a, b) => Number(out[a]!.length > 0) - Number(out[b]!.length > 0) || a - b);
    const rename = new Uint32Array(states);
    order.forEach((old, i) => (rename[old] = i));
    this.firstOut = order.findIndex((s) => out[s]!.length > 0);
    if (this.firstOut < 0) this.firstOut = states;
    this.next = states < 65536 ? new Uint16Array(states << this.shift) : new Uint32Array(states << this.shift);
    for (let s = 0; s < states; s++) {
      for (let k = 0; k < classes; k++) this.next[(rename[s]! << this.shift) | k] = rename[delta[s * classes + k]!]!;
    }
    this.outStart = new Uint32Array(states - this.firstOut + 1);
    const list: number[] = [];
    for (let i = this.firstOut; i < states; i++) {
      this.outStart[i - this.firstOut] = list.length;
      list.push(...out[order[i]!]!);
    }
    this.outStart[states - this.firstOut] = list.length;
    this.outList = Uint32Array.from(list);
  }

  /**
   * Fills `starts[rule]` with the candidate starts of each rule's matches (unsorted) and lists
   * the rules whose anchors occur in `touched` (each once, flagged in `seen`); returns how many.
   */
  scan(text: string, starts: number[][], touched: Int32Array, seen: Uint8Array): number {
    const { next, classOf, shift, firstOut, outStart, outList, entries } = this;
    let count = 0;
    let s = 0;
    for (let i = 0, n = text.length; i < n; i++) {
      const c = text.charCodeAt(i);
      s = next[(s << shift) | (c < ASCII ? classOf[c]! : 0)]!;
      if (s < firstOut) continue;
      for (let k = outStart[s - firstOut]!, end = outStart[s - firstOut + 1]!; k < end; k++) {
        const entry = entries[outList[k]!]!;
        const at = i + 1 - entry.length;
        if (entry.exact !== null && !text.startsWith(entry.exact, at)) continue;
        if (seen[entry.rule] === 0) {
          seen[entry.rule] = 1;
          touched[count++] = entry.rule;
        }
        entry.starts(text, at, starts[entry.rule]!);
      }
    }
    return count;
  }
}

/** How findSecrets runs a list of rules: anchored ones through one automaton, the others by keywords. */
export class ScanPlan {
  private readonly anchored: (Anchored | undefined)[];
  private readonly automaton: Automaton | null;
  private readonly allAnchored: boolean;
  /** Per rule: candidate starts found by the automaton; rules with anchors found, once each. */
  private readonly starts: number[][];
  private readonly touched: Int32Array;
  private readonly seen: Uint8Array;

  constructor(readonly rules: readonly Rule[]) {
    this.anchored = rules.map((rule) => ANCHORED.get(rule));
    this.allAnchored = this.anchored.every((a) => a !== undefined);
    const entries: Entry[] = [];
    const anchors: string[] = [];
    this.anchored.forEach((spec, rule) => {
      for (const anchor of spec?.anchors ?? []) {
        entries.push({ rule, length: anchor.length, exact: spec!.ignoreCase ? null : anchor, starts: spec!.starts });
        anchors.push(anchor);
      }
    });
    this.automaton = entries.length > 0 ? new Automaton(entries, anchors) : null;
    this.starts = rules.map(() => []);
    this.touched = new Int32Array(rules.length);
    this.seen = new Uint8Array(rules.length);
  }

  /** Same rules in the same order (the plan is cached by array and checked on use). */
  fits(rules: readonly Rule[]): boolean {
    if (rules.length !== this.rules.length) return false;
    for (let i = 0; i < rules.length; i++) if (rules[i] !== this.rules[i]) return false;
    return true;
  }

  /** Pushes every rule's candidates, rule by rule in list order (as running each rule's scan would). */
  scan(text: string, out: Candidate[]): void {
    const { starts, anchored, rules, touched, seen } = this;
    let count = 0;
    try {
      count = this.automaton?.scan(text, starts, touched, seen) ?? 0;
      if (this.allAnchored) {
        // Only the rules whose anchors occur, in list order.
        sortAscending(touched, count);
        for (let k = 0; k < count; k++) this.run(touched[k]!, text, out);
        return;
      }
      let lower: string | undefined;
      for (let r = 0; r < rules.length; r++) {
        if (anchored[r]) {
          if (seen[r] === 1) this.run(r, text, out);
          continue;
        }
        const rule = rules[r]!;
        lower ??= text.toLowerCase();
        if (rule.keywords.some((k) => lower!.includes(k))) rule.scan(text, out);
      }
    } finally {
      for (let k = 0; k < count; k++) {
        const r = touched[k]!;
        seen[r] = 0;
        if (starts[r]!.length > 0) starts[r]!.length = 0;
      }
    }
  }

  private run(r: number, text: string, out: Candidate[]): void {
    const at = this.starts[r]!;
    if (at.length === 0) return;
    if (at.length > 1 && !ascending(at)) at.sort((a, b) => a - b);
    this.anchored[r]!.scanAt(text, at, out);
  }
}

function ascending(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1]! > xs[i]!) return false;
  return true;
}

/** Insertion sort of xs[0..n) (a handful of rule indices). */
function sortAscending(xs: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && xs[j]! > x) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
}
