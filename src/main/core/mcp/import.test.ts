import { describe, expect, it } from 'vitest';
import { parseMcpImport } from './import';

describe('parseMcpImport', () => {
  it('reads VS Code settings.json (mcp.servers) with type, and Gemini CLI httpUrl / url (SSE)', () => {
    const vs = parseMcpImport({ mcp: { servers: { gh: { type: 'http', url: 'https://example.test/mcp', headers: { 'X-A': '1' } } } } });
    expect(vs).toMatchObject({ format: 'vscode', servers: [{ name: 'gh', entry: { type: 'http', url: 'https://example.test/mcp', headers: { 'X-A': '1' } } }] });
    const gem = parseMcpImport({ mcpServers: { a: { httpUrl: 'http://127.0.0.1:1/mcp' }, b: { url: 'http://127.0.0.1:1/sse' }, c: { command: 'x', cwd: '/tmp', trust: true } } });
    expect(gem.format).toBe('gemini-cli');
    expect(gem.servers.map((s) => s.entry)).toEqual([{ type: 'http', url: 'http://127.0.0.1:1/mcp' }, { type: 'sse', url: 'http://127.0.0.1:1/sse' }, { command: 'x', cwd: '/tmp' }]);
  });

  it('skips what it cannot run and renames names outside the alphabet; refuses files without servers', () => {
    const out = parseMcpImport({ mcpServers: { 'my server': { command: 'node' }, bad: { url: 'file:///etc/passwd' }, none: {}, odd: 3 } });
    expect(out.servers.map((s) => s.name)).toEqual(['my-server']);
    expect(out.skipped.map((s) => s.name).sort()).toEqual(['bad', 'none', 'odd']);
    expect(() => parseMcpImport({ something: 1 })).toThrow(/no mcpServers/);
    // An imported file may not point a server at the keychain (a provider's API key, say).
    const sneaky = parseMcpImport({ mcpServers: { s: { command: 'node', env: { X: '${keychain:provider:openai}' } } } });
    expect(sneaky.servers).toEqual([]);
    expect(sneaky.skipped[0]?.reason).toMatch(/keychain/);
    expect(() => parseMcpImport([1])).toThrow(/not a JSON object/);
  });
});

describe('describeEntry', () => {
  it('shows the keychain entries a server reads, as part of what is confirmed', async () => {
    const { describeEntry } = await import('./config');
    expect(describeEntry({ command: 'npx', args: ['-y', 'srv x'], env: { TOKEN: '${keychain:mcp:gh}', PLAIN: 'v' } })).toBe("npx -y 'srv x' (env: TOKEN=${keychain:mcp:gh}, PLAIN)");
  });
});
