import { describe, expect, it } from 'vitest';
import { judgeMcpCall, type McpCallFacts } from './mcp-policy';

const base: McpCallFacts = { server: 's', tool: 't', trusted: true, annotations: { readOnlyHint: true }, allowListed: false, denyListed: false, pinned: true };

describe('judgeMcpCall', () => {
  it('allows only a readOnlyHint from a trusted server with a pinned definition', () => {
    expect(judgeMcpCall(base).decision).toBe('allow');
    expect(judgeMcpCall({ ...base, trusted: false }).decision).toBe('ask');
    expect(judgeMcpCall({ ...base, annotations: undefined }).decision).toBe('ask');
    expect(judgeMcpCall({ ...base, annotations: {} }).decision).toBe('ask');
    expect(judgeMcpCall({ ...base, annotations: { readOnlyHint: true, destructiveHint: true } }).decision).toBe('ask');
    expect(judgeMcpCall({ ...base, annotations: { readOnlyHint: false } }).decision).toBe('ask');
  });

  it('deny list and a changed definition refuse, even when allow-listed', () => {
    expect(judgeMcpCall({ ...base, denyListed: true, allowListed: true }).decision).toBe('deny');
    expect(judgeMcpCall({ ...base, pinned: false, allowListed: true }).decision).toBe('deny');
    expect(judgeMcpCall({ ...base, trusted: false, annotations: undefined, allowListed: true }).decision).toBe('allow');
  });
});
