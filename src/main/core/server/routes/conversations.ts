import type { FastifyPluginAsync } from 'fastify';
import type { CoreFacade } from '../../services';
import { sendError } from '../http-errors';

/**
 * Conversations. One conversation (by its unguessable id), its live events and cancelling
 * its turn are for whoever may chat; the list of all of them is the operator's.
 */
export const conversationRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get('/api/conversations', { config: { access: 'operator', what: 'listing conversations' } }, async () => core.listConversations());

  app.get<{ Params: { id: string } }>('/api/conversations/:id', { config: { access: 'local', what: 'reading a conversation' } }, async (request, reply) => {
    const detail = core.getConversation(request.params.id);
    if (!detail) return sendError(reply, { code: 'not_found', message: `no conversation with id ${request.params.id}` });
    return detail;
  });

  app.post<{ Params: { id: string } }>('/api/conversations/:id/cancel', { config: { access: 'local', what: 'cancelling a turn' } }, async (request, reply) => {
    if (!core.getConversation(request.params.id)) return sendError(reply, { code: 'not_found', message: `no conversation with id ${request.params.id}` });
    return { cancelled: core.cancel(request.params.id) };
  });

  // Live events of one conversation (continuations after approvals included), as SSE.
  app.get<{ Params: { id: string } }>('/api/conversations/:id/events', { config: { access: 'local', what: 'following a conversation' } }, async (request, reply) => {
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
};
