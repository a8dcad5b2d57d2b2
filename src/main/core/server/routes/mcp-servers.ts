import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { MCP_TRUST_NOTICE, McpServerAddSchema, McpServerChangeSchema, McpServerNameSchema, type McpServerList } from '../../../../shared/protocol';
import { McpConfigError, McpServerEntrySchema, type McpClientManager } from '../../mcp';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

/**
 * The MCP client's servers (`mcpServers` in config.yaml): status, tools, trust, test. Every
 * route is the operator's: a server runs as the operator, and its launch line, trust and lists
 * are settings. (`/mcp` is the MCP server face, another route file.)
 */
export const mcpServerRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const read = { access: 'operator', what: 'reading MCP servers' } as const;
  const change = { access: 'operator', what: 'changing MCP servers' } as const;
  const mcp = core.mcp as McpClientManager | undefined;
  const unavailable = (reply: FastifyReply) => sendError(reply, { code: 'unavailable', message: 'this server has no MCP client' });
  const failed = (reply: FastifyReply, err: unknown) => {
    if (err instanceof McpConfigError) return sendError(reply, { code: err.code, message: err.message });
    throw err;
  };
  const list = (m: McpClientManager): McpServerList => ({ servers: m.status(), trustNotice: MCP_TRUST_NOTICE });
  const named = (name: string, reply: FastifyReply) => {
    if (McpServerNameSchema.safeParse(name).success) return true;
    void sendError(reply, { code: 'bad_request', message: 'MCP server names are 1-48 letters, digits, _ or -' });
    return false;
  };

  app.get('/api/mcp-servers', { config: read }, async (_request, reply) => (mcp ? list(mcp) : unavailable(reply)));

  app.post('/api/mcp-servers', { config: change }, async (request, reply) => {
    if (!mcp) return unavailable(reply);
    const parsed = McpServerAddSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: issues(parsed.error) });
    const { name, ...rest } = parsed.data;
    const entry = McpServerEntrySchema.safeParse(rest);
    if (!entry.success) return sendError(reply, { code: 'bad_request', message: issues(entry.error) });
    try {
      await mcp.add(name, entry.data, 'api');
    } catch (err) {
      return failed(reply, err);
    }
    return reply.code(201).send(list(mcp));
  });

  app.post('/api/mcp-servers/import', { config: change, bodyLimit: 1 << 20 }, async (request, reply) => {
    if (!mcp) return unavailable(reply);
    try {
      const result = await mcp.importConfig(request.body, 'api');
      return { format: result.format, imported: result.imported, skipped: result.skipped };
    } catch (err) {
      if (err instanceof McpConfigError) return failed(reply, err);
      return sendError(reply, { code: 'bad_request', message: (err as Error).message });
    }
  });

  app.patch<{ Params: { name: string } }>('/api/mcp-servers/:name', { config: change }, async (request, reply) => {
    if (!mcp) return unavailable(reply);
    if (!named(request.params.name, reply)) return reply;
    const parsed = McpServerChangeSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: issues(parsed.error) });
    try {
      // The UI shows what the server runs and sends its digest back: a spec changed meanwhile is not confirmed.
      await mcp.applyChange(request.params.name, parsed.data, 'api');
    } catch (err) {
      return failed(reply, err);
    }
    return list(mcp);
  });

  app.delete<{ Params: { name: string } }>('/api/mcp-servers/:name', { config: change }, async (request, reply) => {
    if (!mcp) return unavailable(reply);
    if (!named(request.params.name, reply)) return reply;
    try {
      await mcp.remove(request.params.name, 'api');
    } catch (err) {
      return failed(reply, err);
    }
    return { removed: request.params.name };
  });

  app.post<{ Params: { name: string } }>('/api/mcp-servers/:name/test', { config: change }, async (request, reply) => {
    if (!mcp) return unavailable(reply);
    if (!named(request.params.name, reply)) return reply;
    try {
      return await mcp.test(request.params.name);
    } catch (err) {
      return failed(reply, err);
    }
  });
};
