import type { FastifyPluginAsync } from 'fastify';
import type { Session } from '../../../../shared/protocol';
import { refuse, sessionCookieName } from '../access-control';
import type { Credentials } from '../credentials';
import { isLoopback } from '../peer-credentials';
import { publicCliName } from '../../config';

/**
 * The UI session. `GET /auth/<code>` uses up a single-use sign-in link (printed at start or
 * made by `fleetmind ui-link`), sets a separate random session id as an HttpOnly,
 * SameSite=Strict cookie and redirects away from the link. The session is bound to the OS
 * user whose connection used the link, so the cookie (which every service on 127.0.0.1
 * receives, cookies ignore ports) is worth nothing to another user.
 */
export const sessionRoutes: FastifyPluginAsync<{ credentials: Credentials }> = async (app, { credentials }) => {
  app.get<{ Params: { code: string } }>('/auth/:code', { config: { access: 'public', what: 'signing in' } }, async (request, reply) => {
    const peer = request.peer;
    // Bind to the uid when the kernel names it. A remote client (no row, not loopback) or a system
    // without /proc gets an unbound session; a loopback socket the kernel cannot vouch for gets none.
    const remote = peer.uid === null && peer.reason === 'not_found' && !isLoopback(request.socket.remoteAddress ?? '');
    if (peer.uid === null && peer.reason !== 'unsupported' && !remote) {
      return refuse(request, reply, 401, 'unauthorized', 'could not tell which OS user this connection belongs to; open the link again');
    }
    if (!credentials.redeemLink(request.params.code)) {
      return refuse(request, reply, 401, 'unauthorized', `this sign-in link has been used or has expired; run \`${publicCliName()} ui-link\` for a new one`, 'link_used');
    }
    const session = credentials.createSession(peer.uid);
    request.log.info({ boundToUid: peer.uid }, 'UI session started from a sign-in link');
    return reply
      .header('Set-Cookie', `${sessionCookieName(request.socket.localPort ?? 0)}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${session.maxAgeSeconds}`)
      .header('Cache-Control', 'no-store')
      .redirect('/', 303);
  });

  app.get('/api/session', { config: { access: 'local', what: 'reading the session' } }, async (request): Promise<Session> => ({ operator: request.principal.kind === 'operator' }));
};
