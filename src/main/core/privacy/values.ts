/** Helpers that judge a candidate value: is it a real secret or a placeholder, a path, a word? */

const asciiCounts = new Uint32Array(128);
const asciiOrder = new Uint8Array(128);

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  // ASCII (nearly every value): counts in a reused table, summed in order of first occurrence
  // as the general case below does, so both give the same bits.
  let distinct = 0;
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128) {
      ascii = false;
      break;
    }
    const n = asciiCounts[c]!;
    if (n === 0) asciiOrder[distinct++] = c;
    asciiCounts[c] = n + 1;
  }
  if (ascii) {
    let bits = 0;
    for (let k = 0; k < distinct; k++) {
      const c = asciiOrder[k]!;
      const p = asciiCounts[c]! / value.length;
      asciiCounts[c] = 0;
      bits -= p * Math.log2(p);
    }
    return bits;
  }
  asciiCounts.fill(0);
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const PLACEHOLDER_WORDS = new Set([
  '', 'null', 'nil', 'none', 'undefined', 'true', 'false', 'yes', 'no', 'on', 'off', 'empty', 'unset', 'required', 'optional',
  'redacted', 'hidden', 'masked', 'secret', 'password', 'token', 'example', 'dummy', 'placeholder', 'xxx', 'todo', 'tbd', 'n/a', 'na',
  'string', 'str', 'value', 'env', 'enabled', 'disabled', 'auto', 'default', 'prompt', 'ask', 'file', 'keychain', 'vault',
]);

/**
 * Values that stand for a secret without being one: templates (`${API_KEY}`, `{{ .token }}`,
 * `%(pw)s`, `$DB_PASS`), masks (`****`, `<redacted>`), our own placeholders, plain words above.
 */
export function isPlaceholderValue(raw: string): boolean {
  const value = raw.trim();
  if (PLACEHOLDER_WORDS.has(value.toLowerCase())) return true;
  if (value.startsWith('[REDACTED')) return true;
  if (/^[*xX•.#-]+$/.test(value)) return true; // masks
  if (/^<[^<>]*>$/.test(value)) return true; // <redacted>, <your-token>
  if (/^\$\{[^}]*\}?$|^\$\([^)]*\)?$|^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return true; // ${VAR}, $(cmd), $VAR
  if (/^\{\{.*\}\}$|^\{%.*%\}$|^%\(?[A-Za-z_]*\)?[sd]?$|^<%.*%>$/.test(value)) return true; // templates
  if (/^(?:env|secret|keychain|vault|file|op):[A-Za-z0-9_./:-]*$/i.test(value) && !/[0-9]{4}/.test(value)) return true; // references
  return false;
}

/** A filesystem path such as `/run/secrets/db` or `~/.pgpass` (a reference to a secret, or `PWD=/home/x`). */
export function isPathValue(value: string): boolean {
  return /^(?:\/|~\/|\.\.?\/)[A-Za-z0-9_./@%+-]*$/.test(value);
}

/**
 * Does a value next to a weak key (`token`, `api_key`, `auth`, …) look machine-generated?
 * Long enough, several character classes or hex/base64 of some length, and not low entropy.
 */
export function looksRandom(value: string): boolean {
  if (value.length < 8) return false;
  if (/^[0-9]+$/.test(value)) return value.length >= 20;
  if (/^[a-z]+(?:[-_. ][a-z]+)*$/i.test(value)) return false; // words
  if (/^\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$/.test(value)) return false; // versions
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length;
  if (/^[0-9a-f]+$/i.test(value)) return value.length >= 16 && shannonEntropy(value) >= 2.8;
  return classes >= 2 && shannonEntropy(value) >= 2.8;
}
