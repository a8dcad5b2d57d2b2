import type { FastifyPluginAsync } from 'fastify';
import type { CoreFacade } from '../../services';
import { createMetricsRegistry } from '../metrics';

/** `GET /metrics` (Prometheus text): a metrics:read token, the operator, or the server's own user. */
export const metricsRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const metrics = createMetricsRegistry(core);
  app.get('/metrics', { config: { access: 'metrics:read', what: 'reading metrics' } }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );
};
