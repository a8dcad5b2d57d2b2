export { createHttpServer, BODY_LIMIT_BYTES, type HttpServerOptions } from './http-server';
export { serverConfig, DEFAULT_PORT } from './config';
export { loadOrCreateToken, allowedHostHeaders, TOKEN_FILE, SESSION_COOKIE } from './security';
