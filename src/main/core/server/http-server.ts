import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { z } from 'zod';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  AuditQuerySchema,
  ApprovalDecisionRequestSchema,
  ChatRequestSchema,
  MAX_MESSAGE_CHARS,
  type ApiError,
  type ChatEvent,
  type ErrorCode,
} from '../../../shared/protocol';
import { ApprovalError, ChatError } from '../agent';
import { ProviderConfigSchema, ProviderSettingsError } from '../llm';
import type { CoreFacade } from '../services';
import { Fleet, FleetHosts, FleetRequestError, HostConnectionError, HostKeyConfirmationError, SelectorError } from '../fleet';
import { createMetricsRegistry } from './metrics';
import { allowedHostHeaders, parseCookies, SESSION_COOKIE, tokensEqual } from './security';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Operator token (data dir, 0600): approvals, settings, conversation list. */
  token: string;
  /** Built renderer (index.html and assets); the API works without it. */
  rendererDir: string | null;
  /** Extra Host header values to accept (e.g. a name used through an SSH tunnel). */
  allowedHosts?: readonly string[];
  logger?: Logger | false;
}

const AddProviderSchema = ProviderConfigSchema.extend({ apiKey: z.string().min(8).max(500).optional() }).strict();

/** Large enough for any valid chat request; the schema limits the message itself. */
export const BODY_LIMIT_BYTES = MAX_MESSAGE_CHARS * 4 + 4096;

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  invalid_json: 400,
  unknown_host: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(STATUS[error.code] ?? 500).send({ error });
}

function wantsStream(request: FastifyRequest, body: { stream?: boolean }): boolean {
  return body.stream === true || (request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * The local HTTP API and the browser UI. Loopback by default; Host and Origin must
 * name this server (DNS rebinding, cross-site requests); the operator token guards
 * anything beyond chatting and read-only inspection.
 */
export async function createHttpServer(core: CoreFacade, options: HttpServerOptions): Promise<FastifyInstance> {
  // Request bodies are validated with the shared zod protocol, not fastify's JSON-schema layer.
  const app = (options.logger
    ? Fastify({ loggerInstance: options.logger, bodyLimit: BODY_LIMIT_BYTES })
    : Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES })) as unknown as FastifyInstance;

  let allowedHosts = allowedHostHeaders(options.host, options.port, options.allowedHosts);
  app.addHook('onListen', () => {
    // With --port 0 the real port is known only now.
    const address = app.server.address();
    if (address && typeof address === 'object') allowedHosts = allowedHostHeaders(options.host, address.port, options.allowedHosts);
  });

  const isOperator = (request: FastifyRequest): boolean => {
    const auth = request.headers.authorization;
    if (auth?.startsWith('Bearer ') && tokensEqual(auth.slice(7).trim(), options.token)) return true;
    const cookie = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    return cookie !== undefined && tokensEqual(cookie, options.token);
  };

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

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && error.statusCode === 400)) {
      return sendError(reply, { code: 'invalid_json', message: `request body is not valid JSON: ${error.message}` });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, { code: 'payload_too_large', message: `request body is larger than ${BODY_LIMIT_BYTES} bytes` });
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

  // 503 until the safety policy is loaded: nothing can run before that.
  app.get('/api/health', async (_request, reply) => {
    const health = core.health();
    return reply.code(health.ok ? 200 : 503).send(health);
  });

  const metrics = createMetricsRegistry(core);
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  app.post('/api/chat', async (request, reply) => {
    const parsed = ChatRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      const tooLong = parsed.error.issues.some((i) => i.code === 'too_big');
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return sendError(reply, { code: tooLong ? 'payload_too_large' : 'bad_request', message });
    }
    const body = parsed.data;
    if (!wantsStream(request, body)) {
      // The response closing before we answered means the client went away: stop the tools.
      // (The request stream's own 'close' fires as soon as the body is read, so it cannot tell.)
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableEnded) controller.abort();
      });
      try {
        return await core.chat(body, { signal: controller.signal, actor: 'http' });
      } catch (err) {
        if (err instanceof ChatError) return sendError(reply, err.error);
        throw err;
      }
    }

    // Server-Sent Events: one typed event per message, the event name is its type.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) controller.abort();
    });
    const write = (event: ChatEvent) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    try {
      await core.chat(body, { onEvent: write, signal: controller.signal, actor: 'http' });
    } catch (err) {
      const error: ApiError = err instanceof ChatError ? err.error : { code: 'internal', message: (err as Error).message };
      // ChatService already emitted engine failures; validation failures happen before any event.
      if (!(err instanceof ChatError) || error.code !== 'internal') write({ type: 'error', conversationId: body.conversationId ?? '', error });
    } finally {
      res.end();
    }
    return reply;
  });

  // Cancelling needs only the conversation id (unguessable, like reading the conversation).
  app.post<{ Params: { id: string } }>('/api/conversations/:id/cancel', async (request, reply) => {
    if (!core.getConversation(request.params.id)) return sendError(reply, { code: 'not_found', message: `no conversation with id ${request.params.id}` });
    return { cancelled: core.cancel(request.params.id) };
  });

  app.get<{ Querystring: { by?: string; since?: string } }>('/api/usage', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'usage needs the operator token' });
    const by = request.query.by ?? 'day';
    if (by !== 'day' && by !== 'model' && by !== 'conversation') return sendError(reply, { code: 'bad_request', message: 'by must be day, model or conversation' });
    const since = request.query.since;
    if (since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(since)) return sendError(reply, { code: 'bad_request', message: 'since takes a date as YYYY-MM-DD' });
    return core.usageReport(by, since);
  });

  // Providers: settings, so operator only; keys go in, never come out.
  app.get('/api/providers', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'provider settings need the operator token' });
    return { providers: await core.providers.list() };
  });
  app.post('/api/providers', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'provider settings need the operator token' });
    const parsed = AddProviderSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    const { apiKey, ...provider } = parsed.data;
    try {
      await core.providers.add(provider, apiKey ?? null);
    } catch (err) {
      if (err instanceof ProviderSettingsError) return sendError(reply, { code: err.code, message: err.message });
      throw err;
    }
    return reply.code(201).send({ added: provider.name, restartRequired: true });
  });
  app.delete<{ Params: { name: string } }>('/api/providers/:name', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'provider settings need the operator token' });
    try {
      await core.providers.remove(request.params.name);
    } catch (err) {
      if (err instanceof ProviderSettingsError) return sendError(reply, { code: err.code, message: err.message });
      throw err;
    }
    return { removed: request.params.name };
  });
  app.post<{ Params: { name: string } }>('/api/providers/:name/test', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'provider settings need the operator token' });
    const result = await core.testProvider(request.params.name);
    return result.ok ? result : sendError(reply, result.error);
  });

  app.get('/api/audit', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'reading the audit log needs the operator token' });
    const parsed = AuditQuerySchema.safeParse(request.query);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return core.auditPage(parsed.data);
  });

  app.get('/api/approvals', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'approvals need the operator token' });
    return core.listApprovals();
  });

  app.post<{ Params: { id: string } }>('/api/approvals/:id', async (request, reply) => {
    if (!isOperator(request)) return sendError(reply, { code: 'unauthorized', message: 'deciding an approval needs the operator token (Authorization: Bearer <token from the data dir>)' });
    const parsed = ApprovalDecisionRequestSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    try {
      return await core.decideApproval(request.params.id, parsed.data, 'api');
    } catch (err) {
      if (err instanceof ApprovalError) return sendError(reply, err.error);
      throw err;
    }
  });

  // Live events of one conversation (continuations after approvals included), as SSE.
  app.get<{ Params: { id: string } }>('/api/conversations/:id/events', async (request, reply) => {
    if (!core.getConversation(request.params.id)) return sendError(reply, { code: 'not_found', message: `no conversation with id ${request.params.id}` });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(': subscribed\n\n');
    const unsubscribe = core.subscribe(request.params.id, (event) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    // A comment every 25 s keeps proxies and idle timeouts from closing a quiet stream.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
    res.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
    return reply;
  });

  app.get('/api/conversations', async (request, reply) => {
    if (!isOperator(request)) {
      return sendError(reply, { code: 'unauthorized', message: 'listing conversations needs the operator token (Authorization: Bearer <token from the data dir>)' });
    }
    return core.listConversations();
  });

  app.get<{ Params: { id: string } }>('/api/conversations/:id', async (request, reply) => {
    const detail = core.getConversation(request.params.id);
    if (!detail) return sendError(reply, { code: 'not_found', message: `no conversation with id ${request.params.id}` });
    return detail;
  });

  // The UI session: the URL printed at start carries the token once; it becomes an HttpOnly cookie.
  app.get<{ Querystring: { token?: string } }>('/auth', async (request, reply) => {
    const token = request.query.token ?? '';
    if (!tokensEqual(token, options.token)) return sendError(reply, { code: 'unauthorized', message: 'invalid token' });
    reply.header('Set-Cookie', `${SESSION_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`);
    return reply.redirect('/');
  });

  app.get('/api/session', async (request) => ({ operator: isOperator(request) }));

  registerFleetRoutes(app, core, isOperator);

  const rendererDir = options.rendererDir;
  const hasUi = rendererDir !== null && existsSync(join(rendererDir, 'index.html'));
  if (hasUi) {
    await app.register(fastifyStatic, { root: rendererDir, index: 'index.html', wildcard: false });
  } else {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain').send('Fleetmind API is running; the UI is not built (run `npm run build`).\n'),
    );
  }

  app.setNotFoundHandler(async (request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET' || !hasUi) {
      return sendError(reply, { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
    }
    return reply.sendFile('index.html');
  });

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

// ---------------------------------------------------------------------------------
// Fleet inventory, host keys and exec (issue 4). Reading the inventory is open like the
// list_hosts tool; changing it, confirming host keys and running commands need the token.

const ExecBodySchema = z
  .object({
    hosts: z.string().min(1).max(2000),
    command: z.string().min(1).max(10_000),
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
  })
  .strict();
const TrustBodySchema = z.object({ fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH SHA256:... fingerprint') }).strict();

function registerFleetRoutes(app: FastifyInstance, core: CoreFacade, isOperator: (request: FastifyRequest) => boolean): void {
  const fleet = (core as { fleet?: unknown }).fleet;
  const hosts = fleet instanceof Fleet ? new FleetHosts(fleet) : null;
  const needsOperator = (request: FastifyRequest, reply: FastifyReply, what: string): boolean => {
    if (isOperator(request)) return false;
    sendError(reply, { code: 'unauthorized', message: `${what} needs the operator token (Authorization: Bearer <token from the data dir>)` });
    return true;
  };
  const fail = (reply: FastifyReply, err: unknown): FastifyReply => {
    if (err instanceof FleetRequestError) return sendError(reply, { code: err.code, message: err.message });
    if (err instanceof HostKeyConfirmationError) return sendError(reply, { code: err.code, message: err.message });
    if (err instanceof SelectorError) return sendError(reply, { code: 'unknown_host', message: err.message });
    if (err instanceof HostConnectionError) return reply.code(502).send({ error: err.toApiError() });
    throw err;
  };
  const unavailable = (reply: FastifyReply) => sendError(reply, { code: 'unavailable', message: 'this server has no fleet' });
  const invalid = (reply: FastifyReply, error: z.ZodError) =>
    sendError(reply, { code: 'bad_request', message: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });

  app.get('/api/hosts', async (_request, reply) => (hosts ? { hosts: hosts.list() } : unavailable(reply)));

  app.post('/api/hosts', async (request, reply) => {
    if (needsOperator(request, reply, 'changing the inventory')) return reply;
    if (!hosts) return unavailable(reply);
    try {
      return reply.code(201).send({ host: hosts.add(request.body) });
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.delete<{ Params: { name: string } }>('/api/hosts/:name', async (request, reply) => {
    if (needsOperator(request, reply, 'changing the inventory')) return reply;
    if (!hosts) return unavailable(reply);
    try {
      await hosts.remove(request.params.name);
      return { removed: request.params.name };
    } catch (err) {
      return fail(reply, err);
    }
  });

  // The key a host presents now, compared with what is known: what the UI shows before the operator confirms.
  app.get<{ Params: { name: string } }>('/api/hosts/:name/hostkey', async (request, reply) => {
    if (needsOperator(request, reply, 'scanning a host key')) return reply;
    if (!hosts) return unavailable(reply);
    try {
      return await hosts.hostKey(request.params.name);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post<{ Params: { name: string } }>('/api/hosts/:name/trust', async (request, reply) => {
    if (needsOperator(request, reply, 'confirming a host key')) return reply;
    if (!hosts) return unavailable(reply);
    const body = TrustBodySchema.safeParse(request.body);
    if (!body.success) return invalid(reply, body.error);
    try {
      const result = await hosts.trust(request.params.name, body.data.fingerprint, 'api:operator');
      return { trusted: result.scan, replaced: result.replaced };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post('/api/exec', async (request, reply) => {
    if (needsOperator(request, reply, 'running commands')) return reply;
    if (!hosts) return unavailable(reply);
    const body = ExecBodySchema.safeParse(request.body);
    if (!body.success) return invalid(reply, body.error);
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableEnded) controller.abort();
    });
    try {
      const results = await hosts.exec(body.data.hosts, {
        command: body.data.command,
        requester: 'api:exec',
        concurrency: body.data.concurrency,
        exec: { timeoutMs: body.data.timeoutMs, signal: controller.signal },
      });
      const failed = results.filter((r) => !r.ok);
      const byCode: Record<string, number> = {};
      for (const r of failed) byCode[r.error?.code ?? 'exit_code'] = (byCode[r.error?.code ?? 'exit_code'] ?? 0) + 1;
      return { results, summary: { hosts: results.length, ok: results.length - failed.length, failed: failed.length, byCode } };
    } catch (err) {
      return fail(reply, err);
    }
  });
}
