import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-errors';

/**
 * The browser UI: the built renderer, and index.html for its client-side routes. Not an
 * encapsulated plugin: the not-found handler and `reply.sendFile` belong to the whole server.
 * Access is the default for unrouted paths: whoever may use the UI (access-control.ts).
 */
export async function registerUi(app: FastifyInstance, rendererDir: string | null): Promise<void> {
  const hasUi = rendererDir !== null && existsSync(join(rendererDir, 'index.html'));
  if (hasUi) {
    await app.register(fastifyStatic, { root: rendererDir, index: 'index.html', wildcard: false });
  } else {
    app.get('/', { config: { access: 'local' } }, async (_request, reply) =>
      reply.type('text/plain').send('Fleetmind API is running; the UI is not built (run `npm run build`).\n'),
    );
  }

  app.setNotFoundHandler(async (request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET' || !hasUi) {
      return sendError(reply, { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
    }
    return reply.sendFile('index.html');
  });
}
