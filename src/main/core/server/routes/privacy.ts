import type { FastifyPluginAsync } from 'fastify';
import type { CoreFacade } from '../../services';
import { sendError } from '../http-errors';

/** `GET /api/privacy`: per conversation and provider, what was sent to models (counts and sizes only). */
export const privacyRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get('/api/privacy', { config: { access: 'operator', what: 'reading the privacy report' } }, async (_request, reply) => {
    if (!core.privacyReport) return sendError(reply, { code: 'unavailable', message: 'the privacy report is not available here' });
    return core.privacyReport();
  });
};
