export { createHttpServer, BODY_LIMIT_BYTES, loggableUrl, type HttpServerOptions } from './http-server';
export { serverConfig, DEFAULT_PORT } from './config';
export { allowedHostHeaders } from './security';
export { Credentials, OperatorToken, TOKEN_FILE, LINK_TTL_MS, SESSION_TTL_MS } from './credentials';
export { SESSION_COOKIE, sessionCookieName } from './access-control';
export { lookupPeer, type PeerIdentity } from './peer-credentials';
export { readServerRecord, writeServerRecord, removeServerRecord, SERVER_RECORD_FILE } from './server-record';
