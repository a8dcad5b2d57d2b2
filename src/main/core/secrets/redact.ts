/**
 * Display helpers: secrets are shown only masked (`sk-…abcd`) and never logged.
 */

/** Well-known key prefixes that say which provider a key belongs to without revealing it. */
const KNOWN_PREFIXES = [
  'sk-proj-',
  'sk-svcacct-',
  'sk-admin-',
  'sk-ant-',
  'sk-or-v1-',
  'sk-',
  'gsk_',
  'xai-',
  'hf_',
  'AIza',
];

/** Keys shorter than this show no characters at all: four of eight would be half the key. */
const MIN_LENGTH_TO_SHOW_TAIL = 16;

/**
 * A masked form of a secret for display: the provider prefix (if a well-known one) and
 * the last four characters, e.g. `sk-…abcd` or `sk-proj-…wxyz`. Short or unusual
 * secrets become `…` plus at most the last four characters, and secrets shorter than
 * 16 characters become `****`. The result never contains more than 4 characters of the
 * secret beyond a public prefix.
 */
export function redactSecret(secret: string | null | undefined): string {
  if (secret == null || secret.length === 0) return '';
  if (secret.length < MIN_LENGTH_TO_SHOW_TAIL) return '****';
  const prefix = KNOWN_PREFIXES.find((p) => secret.startsWith(p)) ?? '';
  return `${prefix}…${secret.slice(-4)}`;
}

/**
 * `text` with every occurrence of each secret replaced by its masked form. Used on
 * error text from native code before it reaches a message, a log or a response.
 */
export function scrubSecret(text: string, ...secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue; // a 1–3 character "secret" would mangle every message
    out = out.split(secret).join(redactSecret(secret) || '****');
  }
  return out;
}
