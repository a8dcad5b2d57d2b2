import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('parses messages split across arbitrary chunk boundaries', () => {
    const stream = 'event: token\ndata: {"a":1}\n\nevent: done\ndata: {"b":2}\n\n';
    for (let size = 1; size <= stream.length; size++) {
      const parser = new SseParser();
      const messages = [];
      for (let i = 0; i < stream.length; i += size) messages.push(...parser.push(stream.slice(i, i + size)));
      expect(messages, `chunk size ${size}`).toEqual([
        { event: 'token', data: '{"a":1}' },
        { event: 'done', data: '{"b":2}' },
      ]);
    }
  });

  it('handles CRLF and CR line endings, including a CRLF split between chunks', () => {
    const parser = new SseParser();
    expect(parser.push('event: a\r\ndata: 1\r')).toEqual([]);
    expect(parser.push('\n\r\nevent: b\rdata: 2\r\r')).toEqual([{ event: 'a', data: '1' }]);
    // The last CR might have been half of a CRLF; only the end of the stream settles it.
    expect(parser.end()).toEqual([{ event: 'b', data: '2' }]);
  });

  it('joins multi-line data, ignores comments, and defaults the event name to "message"', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\n\ndata: one\ndata:two\nid: 7\n\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('drops an unterminated final message at end of stream', () => {
    const parser = new SseParser();
    expect(parser.push('event: token\ndata: {"partial":true}')).toEqual([]);
    expect(parser.end()).toEqual([]);
    expect(parser.push('\n\n')).toEqual([]);
  });
});
