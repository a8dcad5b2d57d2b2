import type { FastifyPluginAsync } from 'fastify';
import { AuditQuerySchema } from '../../../../shared/protocol';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

/** `GET /api/audit?kind=&limit=&beforeSeq=`: newest entries with the chain's verification. */
export const auditRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get('/api/audit', { config: { access: 'operator', what: 'reading the audit log' } }, async (request, reply) => {
    const parsed = AuditQuerySchema.safeParse(request.query);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: issues(parsed.error) });
    return core.auditPage(parsed.data);
  });
};
