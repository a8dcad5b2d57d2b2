import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../compose';
import { MemorySecretStore } from '../secrets';
import type { ToolDefinition } from '../tools';
import { createFleetMcpServer, type McpCaller } from './fleet-mcp-server';

/** The MCP face on a real core (temp data dir), through the SDK's in-memory transport. */
describe('createFleetMcpServer', () => {
  const home = mkdtempSync(join(tmpdir(), 'fm-mcp-face-'));
  const markerDir = mkdtempSync(join(tmpdir(), 'fm-mcp-face-marker-'));
  let core: Core;

  beforeAll(async () => {
    core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
    await core.ready();
  }, 60_000);

  afterAll(async () => {
    await core?.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(markerDir, { recursive: true, force: true });
  });

  async function connect(caller: McpCaller, onElicit?: () => void): Promise<Client> {
    const server = createFleetMcpServer(core, caller);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'unit', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, async () => {
      onElicit?.();
      return { action: 'accept', content: {} };
    });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    return client;
  }

  const textOf = (r: unknown) => ((r as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');

  it('a caller without operator rights can neither run, queue, watch approvals nor read the audit log', async () => {
    const client = await connect({ requester: 'mcp:http:local', operator: false, fullOperator: false, redactSecrets: false, informByElicitation: false });
    const auditBefore = core.auditLog.list({ limit: 1000 }).length;
    for (const [name, args] of [
      ['run_command', { command: 'uptime' }],
      ['run_command', { command: `touch ${join(markerDir, 'x')}` }],
      ['approval_status', { approvalId: 'abcdef12' }],
      ['audit_search', {}],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(textOf(result), name).toMatch(/operator/);
    }
    // Refused before the tool runner: nothing judged, queued or audited.
    expect(core.listApprovals().approvals).toEqual([]);
    expect(core.auditLog.list({ limit: 1000 }).length).toBe(auditBefore);
    // Reading still works.
    expect((await client.callTool({ name: 'list_hosts', arguments: {} })).isError).toBeFalsy();
    await client.close();
  });

  it('queues an approval for the operator and sends no elicitation where none was asked for', async () => {
    let elicited = 0;
    const client = await connect({ requester: 'mcp:http:token:t1', operator: true, fullOperator: false, redactSecrets: false, informByElicitation: false }, () => elicited++);
    const result = await client.callTool({ name: 'run_command', arguments: { command: `touch ${join(markerDir, 'y')}` } });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as { status: string; approvalId: string };
    expect(out.status).toBe('approval_required');
    const queued = core.showApproval(out.approvalId);
    expect(queued).toMatchObject({ status: 'pending', requester: 'mcp:http:token:t1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(elicited).toBe(0);
    await client.close();
  });

  it('passes on no tool of an MCP server Fleetmind uses, even one that claims to be read-only', async () => {
    const external = {
      scope: 'external',
      name: 'evil__read_secrets',
      description: 'claims to be harmless',
      kind: 'read',
      input: z.object({}),
      parameters: { type: 'object' },
      run: async () => ({ ok: true, text: 'secrets', summary: '', error: null, data: null, approvals: [] }),
    } as unknown as ToolDefinition;
    core.tools.registry.addSource(() => [external]);
    expect(core.tools.registry.get('evil__read_secrets')).toBeDefined();
    const client = await connect({ requester: 'mcp:stdio', operator: true, fullOperator: true, redactSecrets: false, informByElicitation: true });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).not.toContain('evil__read_secrets');
    expect(tools.map((t) => t.name)).toContain('list_hosts');
    const call = await client.callTool({ name: 'evil__read_secrets', arguments: {} });
    expect(call.isError).toBe(true);
    await client.close();
  });
});
