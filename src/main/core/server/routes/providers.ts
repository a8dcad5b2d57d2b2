import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ProviderConfigSchema, ProviderSettingsError } from '../../llm';
import type { CoreFacade } from '../../services';
import { issues, sendError } from '../http-errors';

const AddProviderSchema = ProviderConfigSchema.extend({ apiKey: z.string().min(8).max(500).optional() }).strict();

/** Model providers: settings, so the operator's; keys go in, never come out. */
export const providerRoutes: FastifyPluginAsync<{ core: CoreFacade }> = async (app, { core }) => {
  const config = { access: 'operator', what: 'provider settings' } as const;

  app.get('/api/providers', { config }, async () => ({ providers: await core.providers.list() }));

  app.post('/api/providers', { config }, async (request, reply) => {
    const parsed = AddProviderSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 'bad_request', message: issues(parsed.error) });
    const { apiKey, ...provider } = parsed.data;
    try {
      await core.providers.add(provider, apiKey ?? null);
    } catch (err) {
      if (err instanceof ProviderSettingsError) return sendError(reply, { code: err.code, message: err.message });
      throw err;
    }
    return reply.code(201).send({ added: provider.name, restartRequired: true });
  });

  app.delete<{ Params: { name: string } }>('/api/providers/:name', { config }, async (request, reply) => {
    try {
      await core.providers.remove(request.params.name);
    } catch (err) {
      if (err instanceof ProviderSettingsError) return sendError(reply, { code: err.code, message: err.message });
      throw err;
    }
    return { removed: request.params.name };
  });

  app.post<{ Params: { name: string } }>('/api/providers/:name/test', { config }, async (request, reply) => {
    const result = await core.testProvider(request.params.name);
    return result.ok ? result : sendError(reply, result.error);
  });
};
