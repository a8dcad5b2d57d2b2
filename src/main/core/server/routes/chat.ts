import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ChatRequestSchema, type ApiError, type ChatEvent } from '../../../../shared/protocol';
import { ChatError } from '../../agent';
import type { CoreFacade } from '../../services';
import { sendError } from '../http-errors';

function wantsStream(request: FastifyRequest, body: { stream?: boolean }): boolean {
  return body.stream === true || (request.headers.accept ?? '').includes('text/event-stream');
}

/** `POST /api/chat`: JSON, or Server-Sent Events of typed events with "stream": true. */
export const chatRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.post('/api/chat', { config: { access: 'local', what: 'chatting' } }, async (request, reply) => {
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
};
