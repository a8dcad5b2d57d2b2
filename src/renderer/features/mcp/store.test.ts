import { describe, expect, it } from 'vitest';
import { toolPolicy, withToolPolicy } from './store';

describe('MCP tool lists', () => {
  it('deny wins over allow, and setting a policy moves the tool between lists', () => {
    const server = { allow: ['a', 'b'], deny: ['b'] };
    expect(toolPolicy(server, 'a')).toBe('allow');
    expect(toolPolicy(server, 'b')).toBe('deny');
    expect(toolPolicy(server, 'c')).toBe('ask');
    expect(withToolPolicy(server, 'a', 'deny')).toEqual({ allow: ['b'], deny: ['b', 'a'] });
    expect(withToolPolicy(server, 'b', 'ask')).toEqual({ allow: ['a'], deny: [] });
  });
});
