import type { FastifyPluginAsync } from 'fastify';
import type { CoreFacade } from '../../services';
import { sendError } from '../http-errors';

/** `GET /api/usage?by=day|model|conversation&since=YYYY-MM-DD`: model calls, tokens and cost. */
export const usageRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get<{ Querystring: { by?: string; since?: string } }>('/api/usage', { config: { access: 'operator', what: 'reading usage' } }, async (request, reply) => {
    const by = request.query.by ?? 'day';
    if (by !== 'day' && by !== 'model' && by !== 'conversation') return sendError(reply, { code: 'bad_request', message: 'by must be day, model or conversation' });
    const since = request.query.since;
    if (since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(since)) return sendError(reply, { code: 'bad_request', message: 'since takes a date as YYYY-MM-DD' });
    return core.usageReport(by, since);
  });
};
