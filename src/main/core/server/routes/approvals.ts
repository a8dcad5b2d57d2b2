import type { FastifyPluginAsync } from 'fastify';
import { ApprovalDecisionRequestSchema } from '../../../../shared/protocol';
import { ApprovalError } from '../../agent';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

/** Pending approvals and decisions: the operator token (or its UI session) only; no scoped token approves. */
export const approvalRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  app.get('/api/approvals', { config: { access: 'operator', what: 'listing approvals' } }, async () => core.listApprovals());

  // Remembered rules ("approve and remember"): listing and revoking are the operator's, like deciding.
  app.get('/api/approvals/rules', { config: { access: 'operator', what: 'listing remembered approval rules' } }, async (_request, reply) => {
    if (!core.listRules) return sendError(reply, { code: 'unavailable', message: 'this server keeps no remembered rules' });
    return core.listRules();
  });

  app.delete<{ Params: { id: string } }>('/api/approvals/rules/:id', { config: { access: 'operator', what: 'revoking a remembered approval rule' } }, async (request, reply) => {
    if (!core.revokeRule) return sendError(reply, { code: 'unavailable', message: 'this server keeps no remembered rules' });
    try {
      return core.revokeRule(request.params.id, 'api');
    } catch (err) {
      if (err instanceof ApprovalError) return sendError(reply, err.error);
      throw err;
    }
  });

  // One approval, pending or decided, with its results once it ran (ids or unique prefixes of 6+ characters).
  app.get<{ Params: { id: string } }>('/api/approvals/:id', { config: { access: 'operator', what: 'reading an approval' } }, async (request, reply) => {
    if (!core.showApproval) return sendError(reply, { code: 'unavailable', message: 'this server cannot show approvals' });
    try {
      return { approval: core.showApproval(request.params.id) };
    } catch (err) {
      if (err instanceof ApprovalError) return sendError(reply, err.error);
      throw err;
    }
  });

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
