import type { FastifyPluginAsync } from 'fastify';
import type { PublicHealth } from '../../../../shared/protocol';
import type { CoreFacade } from '../../services';
import { grants } from '../access';

/**
 * `GET /api/health`: 503 until the safety policy is loaded (nothing can run before that).
 * The full answer (version, engine, hostname, data dir) is for the server's own user and
 * the operator; anyone else learns only whether it is up.
 */
export const healthRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get('/api/health', { config: { access: 'public' } }, async (request, reply) => {
    const health = core.health();
    reply.code(health.ok ? 200 : 503);
    if (grants(request.principal).has('local')) return reply.send(health);
    const bare: PublicHealth = { status: health.ok ? 'ok' : 'starting' };
    return reply.send(bare);
  });
};
