import { setMaxListeners } from 'node:events';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { HostImportRequestSchema } from '../../../../shared/protocol';
import { Fleet, FleetHosts, FleetRequestError, HostConnectionError, HostKeyConfirmationError, SelectorError } from '../../fleet';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

const ExecBodySchema = z
  .object({
    hosts: z.string().min(1).max(2000),
    command: z.string().min(1).max(10_000),
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
  })
  .strict();
const TrustBodySchema = z.object({ fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH SHA256:... fingerprint') }).strict();

/**
 * Fleet inventory, host keys and exec. Reading the inventory is for whoever may chat (like
 * the list_hosts tool); changing it, confirming host keys and running commands are the operator's.
 */
export const hostRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const fleet = (core as { fleet?: unknown }).fleet;
  const hosts = fleet instanceof Fleet ? new FleetHosts(fleet) : null;
  const fail = (reply: FastifyReply, err: unknown): FastifyReply => {
    if (err instanceof FleetRequestError) return sendError(reply, { code: err.code, message: err.message });
    if (err instanceof HostKeyConfirmationError) return sendError(reply, { code: err.code, message: err.message });
    if (err instanceof SelectorError) return sendError(reply, { code: 'unknown_host', message: err.message });
    if (err instanceof HostConnectionError) return reply.code(502).send({ error: err.toApiError() });
    throw err;
  };
  const unavailable = (reply: FastifyReply) => sendError(reply, { code: 'unavailable', message: 'this server has no fleet' });
  const changing = { access: 'operator', what: 'changing the inventory' } as const;

  app.get('/api/hosts', { config: { access: 'local', what: 'reading the inventory' } }, async (_request, reply) => (hosts ? { hosts: hosts.list() } : unavailable(reply)));

  app.post('/api/hosts', { config: changing }, async (request, reply) => {
    if (!hosts) return unavailable(reply);
    try {
      return reply.code(201).send({ host: hosts.add(request.body) });
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.delete<{ Params: { name: string } }>('/api/hosts/:name', { config: changing }, async (request, reply) => {
    if (!hosts) return unavailable(reply);
    try {
      await hosts.remove(request.params.name);
      return { removed: request.params.name };
    } catch (err) {
      return fail(reply, err);
    }
  });

  // `hosts import --ssh-config|--ansible` with the file's text in the body (the UI pastes or uploads it).
  app.post('/api/hosts/import', { config: changing }, async (request, reply) => {
    if (!hosts) return unavailable(reply);
    const body = HostImportRequestSchema.safeParse(request.body);
    if (!body.success) return sendError(reply, { code: 'bad_request', message: issues(body.error) });
    try {
      return hosts.import(body.data.kind, body.data.text, { format: body.data.format });
    } catch (err) {
      return fail(reply, err);
    }
  });

  // The key a host presents now, compared with what is known: what the UI shows before the operator confirms.
  app.get<{ Params: { name: string } }>('/api/hosts/:name/hostkey', { config: { access: 'operator', what: 'scanning a host key' } }, async (request, reply) => {
    if (!hosts) return unavailable(reply);
    try {
      return await hosts.hostKey(request.params.name);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post<{ Params: { name: string } }>('/api/hosts/:name/trust', { config: { access: 'operator', what: 'confirming a host key' } }, async (request, reply) => {
    if (!hosts) return unavailable(reply);
    const body = TrustBodySchema.safeParse(request.body);
    if (!body.success) return sendError(reply, { code: 'bad_request', message: issues(body.error) });
    try {
      const result = await hosts.trust(request.params.name, body.data.fingerprint, 'api:operator');
      return { trusted: result.scan, replaced: result.replaced };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post('/api/exec', { config: { access: 'operator', what: 'running commands' } }, async (request, reply) => {
    if (!hosts) return unavailable(reply);
    const body = ExecBodySchema.safeParse(request.body);
    if (!body.success) return sendError(reply, { code: 'bad_request', message: issues(body.error) });
    const controller = new AbortController();
    // Every host of the fan-out listens for the cancellation at each step (connect, path facts,
    // run): dozens of listeners on this one signal are expected, not a leak to warn about.
    setMaxListeners(0, controller.signal);
    reply.raw.on('close', () => {
      if (!reply.raw.writableEnded) controller.abort();
    });
    try {
      const results = await hosts.exec(body.data.hosts, {
        command: body.data.command,
        requester: 'api:exec',
        concurrency: body.data.concurrency,
        exec: { timeoutMs: body.data.timeoutMs, signal: controller.signal },
        // An `ask` verdict queues one pending approval for the hosts that asked, as the agent's does.
        requestApproval: core.requestApproval ? (ask) => core.requestApproval!({ ...ask, conversationId: null, purpose: null, requester: 'api:exec' }) : undefined,
      });
      const failed = results.filter((r) => !r.ok);
      const byCode: Record<string, number> = {};
      for (const r of failed) byCode[r.error?.code ?? 'exit_code'] = (byCode[r.error?.code ?? 'exit_code'] ?? 0) + 1;
      return { results, summary: { hosts: results.length, ok: results.length - failed.length, failed: failed.length, byCode } };
    } catch (err) {
      return fail(reply, err);
    }
  });
};
