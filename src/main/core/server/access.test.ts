import { describe, expect, it } from 'vitest';
import { authorize, type Access, type Principal } from './access';

const principals: Record<string, Principal> = {
  operatorToken: { kind: 'operator', via: 'token' },
  session: { kind: 'operator', via: 'session' },
  ownUser: { kind: 'local', uid: 1000 },
  alerts: { kind: 'scoped', scope: 'alerts:write', tokenId: 'a' },
  metrics: { kind: 'scoped', scope: 'metrics:read', tokenId: 'm' },
  mcpRead: { kind: 'scoped', scope: 'mcp:read', tokenId: 'r' },
  mcpOperator: { kind: 'scoped', scope: 'mcp:operator', tokenId: 'o' },
  anonymous: { kind: 'anonymous' },
  invalid: { kind: 'invalid' },
};

// The DESIGN's table: who may reach each kind of route.
const table: Record<Access, string[]> = {
  public: Object.keys(principals),
  local: ['operatorToken', 'session', 'ownUser'],
  operator: ['operatorToken', 'session'],
  'metrics:read': ['operatorToken', 'session', 'ownUser', 'metrics'],
  'alerts:write': ['operatorToken', 'session', 'alerts'],
  'mcp:read': ['operatorToken', 'session', 'ownUser', 'mcpRead', 'mcpOperator'],
  'mcp:operator': ['operatorToken', 'session', 'mcpOperator'],
};

describe('authorize', () => {
  for (const [access, allowed] of Object.entries(table) as [Access, string[]][]) {
    it(`${access}: ${allowed.join(', ')}`, () => {
      const actual = Object.entries(principals)
        .filter(([, p]) => authorize(p, access, 'x').ok)
        .map(([name]) => name);
      expect(actual).toEqual(allowed);
    });
  }

  it('only the operator approves (no scoped token, not the own user without a token)', () => {
    for (const [name, p] of Object.entries(principals)) {
      expect(authorize(p, 'operator', 'deciding an approval').ok, name).toBe(p.kind === 'operator');
    }
  });

  it('says 401 and how to authenticate without valid credentials, 403 with a scope that does not reach', () => {
    const anonymous = authorize(principals.anonymous!, 'local', 'chatting');
    expect(anonymous).toMatchObject({ ok: false, status: 401, code: 'unauthorized' });
    expect(!anonymous.ok && anonymous.message).toContain('Authorization: Bearer <token from DATA_DIR/api-token>');
    expect(authorize(principals.invalid!, 'local', 'chatting')).toMatchObject({ status: 401 });
    const local = authorize(principals.ownUser!, 'operator', 'deciding an approval');
    expect(!local.ok && local.message).toMatch(/^deciding an approval needs the operator token/);
    const scoped = authorize(principals.mcpOperator!, 'operator', 'deciding an approval');
    expect(scoped).toMatchObject({ ok: false, status: 403, code: 'forbidden' });
    expect(!scoped.ok && scoped.message).toContain('mcp:operator');
  });
});
