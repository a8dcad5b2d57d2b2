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

  it('replaces every secret in a line, in messages, fields, nested values and errors, and the line still parses', () => {
    const lines: string[] = [];
    const logger = pino({ base: null, timestamp: false }, terminalSafeLog({ write: (line: string) => void lines.push(line) }));
    const token = 'ghp_R8x2Lq9ZtW4vN7mK3pB6yH1cJ5fD0sA2gE4u';
    const pemBody = 'MIIEowIBAAKCAQEAr3Tz2mr7SuFDQa7xW9kq4r7b1mB0eB6pQ3o8d1f2g3h4j5k6';
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
    logger.warn({ req: { url: `/api/conversations/${token}` }, deep: { list: [`password=Pg-Vault-93kd!x`] }, err: new Error(`could not parse ${pem}`) }, `incoming request for ${token}`);
    logger.warn('nothing secret here');
    expect(lines).toHaveLength(2);
    for (const secret of [token, pemBody, 'Pg-Vault-93kd!x']) expect(lines[0]).not.toContain(secret);
    const parsed = JSON.parse(lines[0]!) as { msg: string; req: { url: string }; deep: { list: string[] }; err: { message: string; stack: string } };
    expect(parsed.msg).toBe('incoming request for [REDACTED:github-token#1]');
    expect(parsed.req.url).toBe('/api/conversations/[REDACTED:github-token#1]');
    expect(parsed.deep.list).toEqual(['password=[REDACTED:password#1]']);
    expect(parsed.err.message).toBe('could not parse [REDACTED:private-key#1]');
    expect(parsed.err.stack).toContain('[REDACTED:private-key#1]');
    expect(lines[1]).toBe('{"level":40,"msg":"nothing secret here"}\n');
  });
});
