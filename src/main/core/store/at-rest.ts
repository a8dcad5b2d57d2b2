/**
 * Privacy at rest: text is redacted before the repositories write it. The redactor lives in
 * `privacy`, a layer above the store, so the composition root passes it in; the store only
 * decides which columns hold free text (messages, tool calls, approvals, usage errors) and
 * sends every one of them through it.
 */

/**
 * Text with every secret replaced by a typed placeholder. `session` picks the redaction
 * session: a conversation's id, so a secret keeps one placeholder across its messages and the
 * requests sent to a model (approvals without a conversation use `approval:<id>`); null for a
 * text of its own.
 */
export type AtRestRedactor = (text: string, session: string | null) => string;

/** For stores opened without a redactor (tests, read-only CLI commands): text is kept as given. */
export const keepText: AtRestRedactor = (text) => text;

/** A copy of a JSON-like value with `fn` applied to every string in it (object keys included). */
export function mapStrings<T>(value: T, fn: (text: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fn(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) out[fn(k)] = walk(inner);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
