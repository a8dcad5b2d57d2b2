import { describe, expect, it } from 'vitest';
import { measureSent } from './sent-record';

describe('measureSent', () => {
  it('counts distinct placeholders per type and the bytes as sent', () => {
    const messages = [
      { role: 'system' as const, content: 'history with [REDACTED:aws-key#1] and [REDACTED:aws-key#2]' },
      { role: 'user' as const, content: 'again [REDACTED:aws-key#1], and [REDACTED:github-token#1] — é' },
    ];
    const sent = measureSent(messages);
    expect(sent.redactions).toEqual({ 'aws-key': 2, 'github-token': 1 });
    expect(sent.bytes).toBe(Buffer.byteLength(JSON.stringify(messages), 'utf8'));
  });

  it('reports nothing for text without placeholders', () => {
    expect(measureSent([{ role: 'user', content: 'uptime please' }]).redactions).toEqual({});
  });
});
