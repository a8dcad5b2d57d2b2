import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { terminalSafeLog } from './log-stream';

describe('terminalSafeLog', () => {
  it('log lines carry no raw control, C1 or bidi character, and parse back to the same values', () => {
    const lines: string[] = [];
    const logger = pino({ base: null, timestamp: false }, terminalSafeLog({ write: (line: string) => void lines.push(line) }));
    const command = 'ls\x1b]52;c;aGk=\x07\x1b[1A\x1b[2K\r\x9b2J #\u202efr- mr\x7f\u200b';
    logger.warn({ command, err: new Error(`failed: ${command}`) }, `could not run ${command}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/);
    const parsed = JSON.parse(lines[0]!) as { command: string; msg: string; err: { message: string } };
    expect(parsed.command).toBe(command);
    expect(parsed.msg).toBe(`could not run ${command}`);
    expect(parsed.err.message).toBe(`failed: ${command}`);
  });
});
