import type { FastifyPluginAsync } from 'fastify';
import { ApprovalDecisionRequestSchema } from '../../../../shared/protocol';
import { ApprovalError } from '../../agent';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

/** Pending approvals and decisions: the operator token (or its UI session) only; no scoped token approves. */
export const approvalRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get('/api/approvals', { config: { access: 'operator', what: 'listing approvals' } }, async () => core.listApprovals());

  app.post<{ Params: { id: string } }>('/api/approvals/:id', { config: { access: 'operator', what: 'deciding an approval' } }, async (request, reply) => {
    const parsed = ApprovalDecisionRequestSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: issues(parsed.error) });
    try {
      return await core.decideApproval(request.params.id, parsed.data, 'api');
    } catch (err) {
      if (err instanceof ApprovalError) return sendError(reply, err.error);
      throw err;
    }
  });
};
