import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { MAX_MESSAGE_CHARS } from '../../../shared/protocol';
import type { CoreFacade } from '../services';
import { installAccessControl } from './access-control';
import type { Credentials } from './credentials';
import { sendError } from './http-errors';
import type { PeerIdentity } from './peer-credentials';
import { alertRoutes } from './routes/alerts';
import { approvalRoutes } from './routes/approvals';
import { auditRoutes } from './routes/audit';
import { chatRoutes } from './routes/chat';
import { conversationRoutes } from './routes/conversations';
import { healthRoutes } from './routes/health';
import { hostRoutes } from './routes/hosts';
import { mcpRoutes } from './routes/mcp';
import { mcpServerRoutes } from './routes/mcp-servers';
import { metricsRoutes } from './routes/metrics';
import { metricSeriesRoutes } from './routes/metric-series';
import { providerRoutes } from './routes/providers';
import { sessionRoutes } from './routes/session';
import { registerUi } from './routes/ui';
import { usageRoutes } from './routes/usage';
import { privacyRoutes } from './routes/privacy';
import { allowedHostHeaders } from './security';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The operator token, scoped tokens, sign-in links and UI sessions (DESIGN: API security). */
  credentials: Credentials;
  /** The OS user the server runs as: served without credentials. Default: this process's uid. */
  ownUid?: number | null;
  /** Who owns a client socket (default: the kernel's /proc/net/tcp{,6}); for tests. */
  identifyPeer?: (socket: Socket) => Promise<PeerIdentity>;
  /** Built renderer (index.html and assets); the API works without it. */
  rendererDir: string | null;
  /** Extra Host header values to accept (e.g. a name used through an SSH tunnel). */
  allowedHosts?: readonly string[];
  logger?: Logger | false;
}

/** Large enough for any valid chat request; the schema limits the message itself. */
export const BODY_LIMIT_BYTES = MAX_MESSAGE_CHARS * 4 + 4096;

/**
 * Request lines in the log carry no secret: no query strings (nothing of ours uses them for
 * credentials, but a client might), sign-in codes cut out, and no headers at all.
 */
export function loggableUrl(url: string): string {
  const path = url.split('?')[0]!.split('#')[0]!;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // malformed escapes: judge the raw path
  }
  return /^\/+auth\//i.test(decoded) ? '/auth/<redacted>' : path;
}

const requestSerializer = (request: FastifyRequest) => ({
  method: request.method,
  url: loggableUrl(request.url),
  remoteAddress: request.ip,
  remotePort: request.socket?.remotePort,
});

/**
 * The local HTTP API and the browser UI: one plugin per resource under routes/. Loopback
 * by default; Host and Origin must name this server (DNS rebinding, cross-site requests);
 * access-control.ts decides who may use each route (the server's own OS user without
 * credentials, the operator token or its UI session, scoped tokens).
 */
export async function createHttpServer(core: CoreFacade, options: HttpServerOptions): Promise<FastifyInstance> {
  // Request bodies are validated with the shared zod protocol, not fastify's JSON-schema layer.
  const app = (options.logger
    ? Fastify({ loggerInstance: options.logger.child({}, { serializers: { req: requestSerializer } }), bodyLimit: BODY_LIMIT_BYTES })
    : Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES })) as unknown as FastifyInstance;

  let allowedHosts = allowedHostHeaders(options.host, options.port, options.allowedHosts);
  app.addHook('onListen', () => {
    // With --port 0 the real port is known only now.
    const address = app.server.address();
    if (address && typeof address === 'object') allowedHosts = allowedHostHeaders(options.host, address.port, options.allowedHosts);
  });

  app.addHook('onRequest', async (request, reply) => {
    const host = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) {
      return sendError(reply, { code: 'forbidden', message: `Host header "${host}" does not name this server; refused to prevent DNS rebinding` });
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        const url = new URL(origin);
        originHost = url.protocol === 'http:' ? url.host.toLowerCase() : '';
      } catch {
        originHost = '';
      }
      if (!allowedHosts.has(originHost)) {
        return sendError(reply, { code: 'forbidden', message: `cross-origin request from ${origin} refused` });
      }
    }
    if (request.method === 'POST' && request.url.startsWith('/api/')) {
      const type = request.headers['content-type'] ?? '';
      if (!type.toLowerCase().startsWith('application/json')) {
        return sendError(reply, { code: 'unsupported_media_type', message: 'send the request body as JSON (Content-Type: application/json)' });
      }
    }
    return undefined;
  });

  installAccessControl(app, {
    credentials: options.credentials,
    ownUid: options.ownUid !== undefined ? options.ownUid : typeof process.geteuid === 'function' ? process.geteuid() : null,
    identifyPeer: options.identifyPeer,
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && error.statusCode === 400)) {
      return sendError(reply, { code: 'invalid_json', message: `request body is not valid JSON: ${error.message}` });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, { code: 'payload_too_large', message: `request body is larger than ${request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES} bytes` });
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return sendError(reply, { code: 'bad_request', message: 'request body is empty; send a JSON object' });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(reply, { code: 'unsupported_media_type', message: error.message });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, { code: 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, { code: 'internal', message: 'internal error; see the server log' });
  });

  await app.register(healthRoutes, { core });
  await app.register(metricsRoutes, { core });
  await app.register(metricSeriesRoutes, { core });
  await app.register(chatRoutes, { core });
  await app.register(conversationRoutes, { core });
  await app.register(usageRoutes, { core });
  await app.register(privacyRoutes, { core });
  await app.register(providerRoutes, { core });
  await app.register(auditRoutes, { core });
  await app.register(approvalRoutes, { core });
  await app.register(alertRoutes, { core });
  await app.register(hostRoutes, { core });
  await app.register(mcpRoutes, { core });
  await app.register(mcpServerRoutes, { core });
  await app.register(sessionRoutes, { credentials: options.credentials });
  await registerUi(app, options.rendererDir);

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    return payload;
  });

  return app;
}
