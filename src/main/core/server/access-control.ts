import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize, type Access, type Principal } from './access';
import type { Credentials } from './credentials';
import { sendError } from './http-errors';
import { lookupPeer, type PeerIdentity } from './peer-credentials';
import { parseCookies } from './security';
import { signInPage } from './sign-in-page';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may use the route (see access.ts). Routes under /api, /auth, /metrics and /mcp must say. */
    access?: Access;
    /** The action, for refusal messages ("deciding an approval needs the operator token"). */
    what?: string;
  }
  interface FastifyRequest {
    /** Who is asking: resolved once per request from credentials and the kernel's word on the peer. */
    principal: Principal;
    /** The OS user owning the client socket, looked up once when the connection was accepted. */
    peer: PeerIdentity;
  }
}

export interface AccessControlOptions {
  credentials: Credentials;
  /** The uid the server runs as; null where there is none (then nothing is served without credentials). */
  ownUid: number | null;
  /** Who owns a client socket; tests replace the /proc lookup. */
  identifyPeer?: (socket: Socket) => Promise<PeerIdentity>;
}

export const SESSION_COOKIE = 'fleetmind_session';

/** Cookies ignore ports: the name carries ours so two Fleetmind servers on one host keep their sessions apart. */
export function sessionCookieName(port: number): string {
  return `${SESSION_COOKIE}_${port}`;
}

/** Paths whose routes must declare an access level; a route without one is a bug caught at start-up. */
const GUARDED = ['/api', '/auth', '/metrics', '/mcp'];

function identifySocket(socket: Socket): Promise<PeerIdentity> {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!localAddress || !localPort || !remoteAddress || !remotePort) return Promise.resolve({ uid: null, reason: 'error' });
  return lookupPeer({ localAddress, localPort, remoteAddress, remotePort });
}

/** A browser navigating (as opposed to fetch or curl): it gets HTML pages, not JSON errors. */
export function isNavigation(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

/** 401: the sign-in page for a browser, `{"error"}` for an API client. */
export function refuse(request: FastifyRequest, reply: FastifyReply, status: 401 | 403, code: 'unauthorized' | 'forbidden', message: string, page: 'no_session' | 'link_used' = 'no_session'): FastifyReply {
  if (status === 401 && isNavigation(request)) {
    return reply.code(401).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(signInPage(page));
  }
  if (status === 401) reply.header('WWW-Authenticate', 'Bearer realm="fleetmind"');
  return sendError(reply, { code, message });
}

/**
 * Identifies every connection once, when it is accepted, and every request from its
 * credentials; refuses what the principal may not do before any route runs. Install
 * after the Host/Origin checks and before the routes.
 *
 * Credentials decide alone when present: a bearer token is exactly what it says (a
 * scoped token does not gain the own user's rights; a wrong one is refused, never
 * ignored). A UI session cookie counts only from the OS user that opened its link, and
 * an unknown or expired one is ignored. Without credentials, the kernel's word on the
 * client socket decides: the server's own uid is served, nobody else (root included).
 */
export function installAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  const identify = options.identifyPeer ?? identifySocket;
  const peers = new WeakMap<object, Promise<PeerIdentity>>();
  app.server.on('connection', (socket: Socket) => {
    peers.set(socket, identify(socket).catch((): PeerIdentity => ({ uid: null, reason: 'error' })));
  });

  app.decorateRequest('principal', null as never);
  app.decorateRequest('peer', null as never);

  app.addHook('onRoute', (route) => {
    if (route.config?.access) return;
    const path = route.url;
    if (GUARDED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
      throw new Error(`route ${String(route.method)} ${path} declares no access level (config.access)`);
    }
  });

  const principalOf = (request: FastifyRequest, peer: PeerIdentity): Principal => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      const who = bearer ? options.credentials.verifyBearer(bearer[1]!) : null;
      if (!who) return { kind: 'invalid' };
      return who.kind === 'operator' ? { kind: 'operator', via: 'token' } : { kind: 'scoped', scope: who.scope, tokenId: who.id };
    }
    const sessionId = parseCookies(request.headers.cookie)[sessionCookieName(request.socket.localPort ?? 0)];
    if (sessionId) {
      const session = options.credentials.session(sessionId);
      if (session && (session.uid === null || session.uid === peer.uid)) return { kind: 'operator', via: 'session' };
    }
    if (options.ownUid !== null && peer.uid === options.ownUid) return { kind: 'local', uid: peer.uid };
    return { kind: 'anonymous' };
  };

  app.addHook('onRequest', async (request, reply) => {
    const peer = (await peers.get(request.raw.socket)) ?? { uid: null, reason: 'error' };
    request.peer = peer;
    request.principal = principalOf(request, peer);
    const config = request.routeOptions.config ?? {};
    // Unrouted paths (the UI's client-side routes, 404s) are for whoever may use the UI.
    const access: Access = config.access ?? 'local';
    const decision = authorize(request.principal, access, config.what ?? 'this request');
    if (decision.ok) return undefined;
    if (peer.uid === null) request.log.debug({ peer: peer.reason }, 'client socket owner unknown; served as without credentials');
    return refuse(request, reply, decision.status, decision.code, decision.message);
  });
}
