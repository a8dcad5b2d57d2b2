import type { ServerResponse } from 'node:http';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { McpBackend, McpCaller } from '../../mcp-server';
import type { CoreFacade } from '../../services';
import { grants, type Principal } from '../access';

/** Larger than any valid tool call (run_command's text is capped at 8000 characters); bigger bodies are refused unread. */
export const MCP_BODY_LIMIT_BYTES = 256 * 1024;

/**
 * A batch runs all its calls at once, so it multiplies what one POST starts: fewer than the
 * SDK's 100 (MCP 2025-06-18 dropped batches; clients send one message per POST).
 */
export const MCP_MAX_BATCH = 16;

/**
 * POSTs in flight at once, per caller and overall. Stateless: each holds its own server and
 * the tool calls it started (processes, SSH sessions) until answered; without a bound, one
 * token could start any number of them. Beyond it: 503 with Retry-After.
 */
export const MCP_MAX_IN_FLIGHT_PER_CALLER = 8;
export const MCP_MAX_IN_FLIGHT = 32;

/** A body that is not JSON: answered with JSON-RPC's parse error, not Fastify's. */
class Unparseable {
  constructor(readonly message: string) {}
}

/** JSON-RPC error codes (the spec's): what an MCP client understands. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const INTERNAL_ERROR = -32603;
/** JSON-RPC's implementation-defined server error range: busy, retry. */
const SERVER_BUSY = -32000;

function jsonRpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/** Who the audit log and the approval queue say asked: never a token, only its id. */
function requesterOf(principal: Principal): string {
  switch (principal.kind) {
    case 'operator':
      return 'mcp:http:operator';
    case 'local':
      return 'mcp:http:local';
    case 'scoped':
      return `mcp:http:token:${principal.tokenId}`;
    default:
      return 'mcp:http:anonymous';
  }
}

function backendOf(core: CoreFacade): McpBackend | null {
  const { tools, inventory } = core;
  if (!tools || !inventory) return null;
  return { tools, inventory, showApproval: core.showApproval?.bind(core), listApprovals: () => core.listApprovals(), auditPage: (query) => core.auditPage(query), alerts: core.alerts };
}

/** The SDK's server side (and its JSON Schema validator) loads on the first /mcp request, not at every server start. */
let mcpModules: Promise<[typeof import('../../mcp-server'), typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js')]> | null = null;
function loadMcp() {
  mcpModules ??= Promise.all([import('../../mcp-server'), import('@modelcontextprotocol/sdk/server/streamableHttp.js')]);
  return mcpModules;
}

function secureHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}

/**
 * `/mcp`: the MCP server face over Streamable HTTP (DESIGN: MCP). The access rules of
 * /api/chat apply: Host/Origin checks and the kernel's word on the client socket run
 * before this (http-server.ts, access-control.ts); the route needs `mcp:read`, which the
 * server's own OS user has without credentials and an mcp:read or mcp:operator token
 * gives. run_command (anything that queues approvals), approval_status and audit_search
 * need `mcp:operator`. Nobody approves through MCP.
 *
 * Stateless: each POST gets its own server and transport, built for the caller who sent
 * it, so no session can be picked up by another principal, and nothing outlives the
 * request. A client that disconnects mid-call aborts the call (its commands are killed).
 */
export const mcpRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const inFlight = { total: 0, byCaller: new Map<string, number>() };
  // This plugin's own JSON parser: a body that is not JSON gets a JSON-RPC parse error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MCP_BODY_LIMIT_BYTES }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(null, new Unparseable((err as Error).message));
    }
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return jsonRpcError(reply, 413, INVALID_REQUEST, `request body is larger than ${MCP_BODY_LIMIT_BYTES} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return jsonRpcError(reply, 415, INVALID_REQUEST, 'send JSON-RPC messages as application/json');
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return jsonRpcError(reply, 400, INVALID_REQUEST, 'the request body is empty; send a JSON-RPC message');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return jsonRpcError(reply, error.statusCode, INVALID_REQUEST, error.message);
    request.log.error({ err: error }, 'MCP request failed');
    return jsonRpcError(reply, 500, INTERNAL_ERROR, 'internal error; see the server log');
  });

  app.post('/mcp', { config: { access: 'mcp:read', what: 'using the MCP server' } }, async (request, reply) => {
    const backend = backendOf(core);
    if (!backend) return jsonRpcError(reply, 503, INTERNAL_ERROR, 'this server has no tools to offer over MCP');
    const body = request.body;
    if (body === undefined) return jsonRpcError(reply, 400, INVALID_REQUEST, 'send a JSON-RPC message as application/json');
    if (body instanceof Unparseable) return jsonRpcError(reply, 400, PARSE_ERROR, `Parse error: ${body.message}`);
    const caller: McpCaller = {
      requester: requesterOf(request.principal),
      operator: grants(request.principal).has('mcp:operator'),
      // The operator token or a UI session: the operator themself, not a scoped token.
      fullOperator: request.principal.kind === 'operator',
      // Scoped tokens are handed to other programs: secrets in results are replaced (privacy).
      redactSecrets: request.principal.kind === 'scoped',
      // No reply to an elicitation could reach this request's transport (stateless).
      informByElicitation: false,
    };
    if (Array.isArray(body) && body.length > MCP_MAX_BATCH) return jsonRpcError(reply, 400, INVALID_REQUEST, `a batch may hold at most ${MCP_MAX_BATCH} messages`);
    const mine = inFlight.byCaller.get(caller.requester) ?? 0;
    if (mine >= MCP_MAX_IN_FLIGHT_PER_CALLER || inFlight.total >= MCP_MAX_IN_FLIGHT) {
      reply.header('Retry-After', '1');
      return jsonRpcError(reply, 503, SERVER_BUSY, `too many MCP requests in flight (at most ${MCP_MAX_IN_FLIGHT_PER_CALLER} per caller, ${MCP_MAX_IN_FLIGHT} in all); retry shortly`);
    }
    inFlight.total += 1;
    inFlight.byCaller.set(caller.requester, mine + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      inFlight.total -= 1;
      const left = (inFlight.byCaller.get(caller.requester) ?? 1) - 1;
      if (left > 0) inFlight.byCaller.set(caller.requester, left);
      else inFlight.byCaller.delete(caller.requester);
    };
    // Released when the response is done or the client is gone, whichever way this ends (a
    // client that left before this line is released at once: no slot may leak).
    reply.raw.once('close', release);
    if (reply.raw.destroyed || request.raw.socket.destroyed) release();
    let loaded;
    try {
      loaded = await loadMcp();
    } catch (err) {
      release();
      throw err;
    }
    const [{ createFleetMcpServer }, { StreamableHTTPServerTransport }] = loaded;
    // The client left while the SDK loaded: start nothing for nobody (no 'close' would abort it).
    if (reply.raw.destroyed) {
      reply.hijack();
      return reply;
    }
    const server = createFleetMcpServer(backend, caller);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    reply.hijack();
    const res = reply.raw;
    secureHeaders(res);
    // Answered or abandoned: either way this request's server goes, and an abandoned call is aborted.
    res.on('close', () => {
      void server.close().catch(() => undefined);
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(request.raw, res, body);
    } catch (err) {
      request.log.error({ err }, 'MCP request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: INTERNAL_ERROR, message: 'internal error; see the server log' } }));
      } else if (!res.writableEnded) res.end();
    }
    return reply;
  });

  // Stateless: no server-initiated stream to open and no session to end.
  const notAllowed = async (_request: unknown, reply: FastifyReply) => {
    reply.header('Allow', 'POST');
    return jsonRpcError(reply, 405, INVALID_REQUEST, 'this MCP endpoint is stateless: POST JSON-RPC messages; there is no stream to GET or session to DELETE');
  };
  app.get('/mcp', { config: { access: 'mcp:read', what: 'using the MCP server' } }, notAllowed);
  app.delete('/mcp', { config: { access: 'mcp:read', what: 'using the MCP server' } }, notAllowed);
};
