import { ScanPlan } from './anchors';
import { RULES, type Candidate, type Rule } from './rules';

export interface Finding {
  /** Finding type, e.g. `aws-secret-key`, `password`, `private-key`. */
  type: string;
  /** The placeholder that replaced the secret, e.g. `[REDACTED:aws-secret-key#1]`. */
  placeholder: string;
  /** Offsets of the secret in the input text (UTF-16 code units, end exclusive). */
  start: number;
  end: number;
}

export interface RedactionResult {
  text: string;
  findings: Finding[];
}

/** Our own placeholders: never redacted again (history is redacted on every turn). */
const PLACEHOLDER = /\[REDACTED:[a-z0-9-]+#\d+\]/g;

/**
 * One redaction session, normally one per conversation: a secret gets a typed placeholder
 * (`[REDACTED:aws-secret-key#1]`) and keeps the same one for the life of the session, so the
 * model can tell two secrets apart and refer to them. The mapping lives in memory only and is
 * never used to put secrets back (no de-redaction anywhere).
 */
export class Redactor {
  private readonly placeholders = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  constructor(private readonly rules: readonly Rule[] = RULES) {}

  /** Distinct secrets seen so far. */
  get size(): number {
    return this.placeholders.size;
  }

  redact(text: string): RedactionResult {
    if (text.length === 0) return { text, findings: [] };
    const spans = findSecrets(text, this.rules);
    if (spans.length === 0) return { text, findings: [] };
    const findings: Finding[] = [];
    let out = '';
    let at = 0;
    for (const span of spans) {
      const secret = text.slice(span.start, span.end);
      const placeholder = this.placeholderFor(secret, span.type);
      out += text.slice(at, span.start) + placeholder;
      at = span.end;
      findings.push({ type: placeholder.slice(10, placeholder.lastIndexOf('#')), placeholder, start: span.start, end: span.end });
    }
    out += text.slice(at);
    return { text: out, findings };
  }

  /** The redacted text only. */
  redactText(text: string): string {
    return this.redact(text).text;
  }

  private placeholderFor(secret: string, type: string): string {
    const known = this.placeholders.get(secret);
    if (known) return known;
    const n = (this.counters.get(type) ?? 0) + 1;
    this.counters.set(type, n);
    const placeholder = `[REDACTED:${type}#${n}]`;
    this.placeholders.set(secret, placeholder);
    return placeholder;
  }
}

/** One-shot redaction with a fresh session. */
export function redact(text: string): RedactionResult {
  return new Redactor().redact(text);
}

const plans = new WeakMap<readonly Rule[], ScanPlan>();

function planFor(rules: readonly Rule[]): ScanPlan {
  let plan = plans.get(rules);
  if (!plan || !plan.fits(rules)) {
    plan = new ScanPlan(rules);
    plans.set(rules, plan);
  }
  return plan;
}

/** Non-overlapping secret spans in text order: higher priority first, then the longer span. */
export function findSecrets(text: string, rules: readonly Rule[] = RULES): Candidate[] {
  const candidates: Candidate[] = [];
  planFor(rules).scan(text, candidates);
  if (candidates.length === 0) return [];
  // Spans taken so far: disjoint, so in order of start they are in order of end too.
  const taken: Candidate[] = [];
  // Existing placeholders are protected: nothing may overlap them.
  if (text.includes('[REDACTED:')) {
    for (const m of text.matchAll(PLACEHOLDER)) taken.push({ start: m.index, end: m.index + m[0].length, type: '', priority: Infinity });
  }
  candidates.sort((a, b) => b.priority - a.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  for (const c of candidates) {
    if (c.end <= c.start) continue;
    // The first taken span that ends after c starts: c overlaps one iff it overlaps this one.
    let lo = 0;
    let hi = taken.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (taken[mid]!.end > c.start) hi = mid;
      else lo = mid + 1;
    }
    if (lo < taken.length && taken[lo]!.start < c.end) continue;
    taken.splice(lo, 0, c);
  }
  return taken.filter((t) => t.priority !== Infinity);
}
