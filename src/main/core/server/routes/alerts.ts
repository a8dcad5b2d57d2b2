import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ALERT_BODY_LIMIT_BYTES, AlertmanagerWebhookSchema, AlertSourceSchema, AlertStateSchema, SilenceRequestSchema } from '../../../../shared/protocol';
import { AlertCapacityError, SilenceError, type AlertService } from '../../alerts';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

type Query = Record<string, string | string[] | undefined>;
const single = (q: Query, key: string): string | undefined => {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

/**
 * Alerts (DESIGN: `POST /api/alerts` takes Alertmanager's webhook, version 4, with a bearer
 * token of scope alerts:write; `GET /api/alerts` lists them with labels, state,
 * interpretation and incident link).
 *
 * Who: an alerts:write token (what Alertmanager's `http_config.authorization` sends) or the
 * operator may post; such a token reads nothing back. Reading is inspection (the server's own
 * user, the operator); acknowledging, silencing and asking for an interpretation are the
 * operator's (token or UI session).
 */
export const alertRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const service = (reply: FastifyReply): AlertService | null => {
    if (core.alerts) return core.alerts;
    sendError(reply, { code: 'unavailable', message: 'this server keeps no alerts' });
    return null;
  };
  const read = { access: 'local', what: 'reading alerts' } as const;

  app.post(
    '/api/alerts',
    { bodyLimit: ALERT_BODY_LIMIT_BYTES, config: { access: 'alerts:write', what: 'posting alerts' } },
    async (request, reply) => {
      const alerts = service(reply);
      if (!alerts) return reply;
      const parsed = AlertmanagerWebhookSchema.safeParse(request.body);
      if (!parsed.success) return sendError(reply, { code: 'bad_request', message: `not an Alertmanager webhook payload (version 4): ${issues(parsed.error)}` });
      const principal = request.principal;
      const actor = principal.kind === 'scoped' ? `alertmanager:token:${principal.tokenId}` : `api:${principal.kind}`;
      try {
        return alerts.ingest(parsed.data, actor);
      } catch (err) {
        // 503: Alertmanager retries later, by when room may have been made.
        if (err instanceof AlertCapacityError) return sendError(reply, { code: 'unavailable', message: err.message });
        throw err;
      }
    },
  );

  app.get<{ Querystring: Query }>('/api/alerts', { config: read }, async (request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    const q = request.query;
    const state = single(q, 'state');
    const source = single(q, 'source');
    const limitText = single(q, 'limit');
    const st = state === undefined ? undefined : AlertStateSchema.safeParse(state);
    if (st && !st.success) return sendError(reply, { code: 'bad_request', message: 'state is firing, acknowledged, silenced or resolved' });
    const so = source === undefined ? undefined : AlertSourceSchema.safeParse(source);
    if (so && !so.success) return sendError(reply, { code: 'bad_request', message: 'source is alertmanager, threshold, anomaly or forecast' });
    const limit = limitText === undefined ? 200 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) return sendError(reply, { code: 'bad_request', message: 'limit is an integer from 1 to 5000' });
    return alerts.list({ state: st?.data, source: so?.data, host: single(q, 'host'), limit });
  });

  app.get('/api/alerts/silences', { config: { access: 'local', what: 'reading alert silences' } }, async (_request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    return alerts.listSilences();
  });

  app.post('/api/alerts/silences', { config: { access: 'operator', what: 'silencing alerts' } }, async (request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    const parsed = SilenceRequestSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: issues(parsed.error) });
    try {
      return { silence: alerts.createSilence(parsed.data, 'api:operator') };
    } catch (err) {
      if (err instanceof SilenceError) return sendError(reply, { code: 'bad_request', message: err.message });
      throw err;
    }
  });

  app.delete<{ Params: { id: string } }>('/api/alerts/silences/:id', { config: { access: 'operator', what: 'ending an alert silence' } }, async (request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    if (!alerts.expireSilence(request.params.id, 'api:operator')) return sendError(reply, { code: 'not_found', message: 'no active silence with this id' });
    return { expired: request.params.id };
  });

  app.get<{ Params: { id: string } }>('/api/alerts/:id', { config: read }, async (request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    const alert = alerts.get(request.params.id);
    if (!alert) return sendError(reply, { code: 'not_found', message: 'no alert with this id' });
    return { alert };
  });

  app.post<{ Params: { id: string } }>('/api/alerts/:id/ack', { config: { access: 'operator', what: 'acknowledging an alert' } }, async (request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    const alert = alerts.acknowledge(request.params.id, request.principal.kind === 'operator' ? `api:operator:${request.principal.via}` : 'api');
    if (!alert) return sendError(reply, { code: 'not_found', message: 'no alert with this id' });
    return { alert };
  });

  // An explanation on request: for alerts deferred during a storm, or to refresh an old one.
  app.post<{ Params: { id: string } }>('/api/alerts/:id/interpret', { config: { access: 'operator', what: 'interpreting an alert' } }, async (request, reply) => {
    const alerts = service(reply);
    if (!alerts) return reply;
    const alert = alerts.get(request.params.id);
    if (!alert) return sendError(reply, { code: 'not_found', message: 'no alert with this id' });
    return { interpretation: alerts.requestInterpretation(alert, { force: true }) };
  });
};
