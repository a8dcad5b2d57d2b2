/**
 * Visible escaping for text Fleetmind did not write: commands and purposes a model
 * proposed, host output, names from imported inventories. A terminal obeys escape
 * sequences (OSC 52 writes the clipboard, CSI moves the cursor and erases lines, `\r`
 * overwrites what was printed), and a browser obeys bidi overrides and hides zero-width
 * characters, so either can show a different command than the one queued. Every such
 * character is rendered as a visible escape instead (`\x1b`, `\r`, `\u202e`); the text
 * around it is left as it is. Pure: the core, the CLI and the renderer share it.
 */

export interface EscapeOptions {
  /**
   * Keep line feeds and tabs as they are (host output, replies). Off by default: a command,
   * a purpose or a reason is shown on one line, so one line on screen is one command.
   */
  multiline?: boolean;
}

/** A run of ordinary text, or one character that is shown as an escape. */
export type TextSegment = { kind: 'text'; text: string } | { kind: 'control'; text: string; codePoint: number; name: string };

/**
 * Characters never written as they are: C0 controls, DEL, C1 controls (U+0080-U+009F, of
 * which U+009B is an 8-bit CSI), the soft hyphen, the Arabic letter mark, the Mongolian
 * vowel separator, zero-width and direction marks (U+200B-U+200F), line and paragraph
 * separators, bidi embeddings and overrides (U+202A-U+202E), invisible operators
 * (U+2060-U+2064), bidi isolates (U+2066-U+2069), the byte order mark, interlinear
 * annotation marks and the invisible tag characters (U+E0000-U+E007F).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

const NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x07: 'BEL (bell)',
  0x08: 'BS (backspace)',
  0x09: 'TAB',
  0x0a: 'LF (line feed)',
  0x0b: 'VT (vertical tab)',
  0x0c: 'FF (form feed)',
  0x0d: 'CR (carriage return: overwrites the line)',
  0x1b: 'ESC (starts a terminal escape sequence)',
  0x7f: 'DEL',
  0x90: 'DCS (8-bit device control string)',
  0x9b: 'CSI (8-bit control sequence introducer)',
  0x9c: 'ST (8-bit string terminator)',
  0x9d: 'OSC (8-bit operating system command)',
  0xad: 'soft hyphen (invisible)',
  0x061c: 'Arabic letter mark (bidi)',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override (reverses the text that follows)',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space (byte order mark)',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** `\n`, `\r`, `\t`; `\xNN` up to U+00FF; `\uNNNN` in the BMP; `\u{NNNNN}` above. */
export function escapeCodePoint(codePoint: number): string {
  if (codePoint === 0x0a) return '\\n';
  if (codePoint === 0x0d) return '\\r';
  if (codePoint === 0x09) return '\\t';
  if (codePoint <= 0xff) return `\\x${hex(codePoint, 2)}`;
  if (codePoint <= 0xffff) return `\\u${hex(codePoint, 4)}`;
  return `\\u{${hex(codePoint, 5)}}`;
}

/** A short description of a character that is shown escaped ("ESC (starts a terminal escape sequence)"). */
export function describeControl(codePoint: number): string {
  const name = NAMES[codePoint];
  if (name) return name;
  if (codePoint >= 0xe0000 && codePoint <= 0xe007f) return 'invisible tag character';
  if (codePoint >= 0x80 && codePoint <= 0x9f) return '8-bit control character';
  if (codePoint < 0x20) return 'control character';
  return 'invisible or formatting character';
}

function kept(codePoint: number, options: EscapeOptions): boolean {
  return options.multiline === true && (codePoint === 0x0a || codePoint === 0x09);
}

/** Splits text into ordinary runs and the characters to show escaped (for renderers that mark them). */
export function controlSegments(text: string, options: EscapeOptions = {}): TextSegment[] {
  const segments: TextSegment[] = [];
  let plain = '';
  let last = 0;
  for (const match of text.matchAll(UNSAFE)) {
    const char = match[0];
    const codePoint = char.codePointAt(0) as number;
    if (kept(codePoint, options)) continue;
    plain += text.slice(last, match.index);
    last = match.index + char.length;
    if (plain) segments.push({ kind: 'text', text: plain });
    plain = '';
    segments.push({ kind: 'control', text: escapeCodePoint(codePoint), codePoint, name: describeControl(codePoint) });
  }
  plain += text.slice(last);
  if (plain) segments.push({ kind: 'text', text: plain });
  return segments;
}

/**
 * The text with every control, invisible and direction-changing character written as a
 * visible escape. Safe to print to a terminal and to show in a page.
 */
export function escapeControls(text: string, options: EscapeOptions = {}): string {
  return text.replace(UNSAFE, (char) => {
    const codePoint = char.codePointAt(0) as number;
    return kept(codePoint, options) ? char : escapeCodePoint(codePoint);
  });
}

/** Whether escapeControls would change the text. */
export function hasControls(text: string, options: EscapeOptions = {}): boolean {
  for (const match of text.matchAll(UNSAFE)) if (!kept(match[0].codePointAt(0) as number, options)) return true;
  return false;
}

/**
 * What JSON.stringify leaves raw although a terminal or a page may act on it: DEL, C1
 * controls, invisible and bidi characters, U+2028/U+2029 and the tag characters (as
 * UTF-16 code units). JSON.stringify already escapes U+0000-U+001F.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

/**
 * Serialised JSON (a log line, an API body) with what JSON.stringify leaves raw written as
 * `\uNNNN` escapes. Only valid on JSON text: outside string literals JSON holds only
 * ASCII, so every match is inside a string and the value parses back exactly the same.
 */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (units) => units.split('').map((u) => `\\u${hex(u.charCodeAt(0), 4)}`).join(''));
}

/** JSON.stringify whose output holds no control, invisible or bidi character (see escapeJsonText). */
export function safeJsonStringify(value: unknown, space?: number): string {
  const json = JSON.stringify(value, null, space) as string | undefined;
  return json === undefined ? 'null' : escapeJsonText(json);
}
