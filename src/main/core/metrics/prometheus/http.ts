import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

/**
 * One bounded GET: a deadline for the whole exchange (connect, headers, body), a body
 * size limit, no redirects followed, TLS always verified (a custom CA is added to the
 * system's roots, never a switch that turns verification off).
 */

export interface HttpGetOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  maxBytes?: number;
  /** PEM text of extra CAs trusted besides the system's roots. */
  ca?: string;
  signal?: AbortSignal;
}

export type HttpFailureCode = 'timeout' | 'unreachable' | 'auth_failed' | 'bad_response' | 'cancelled';

export class HttpGetError extends Error {
  constructor(
    readonly code: HttpFailureCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpGetError';
  }
}

export interface HttpGetResult {
  status: number;
  contentType: string;
  body: string;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/** Resolves with the body of a 2xx answer; rejects with HttpGetError otherwise. */
export function httpGet(url: URL, options: HttpGetOptions): Promise<HttpGetResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const where = `${url.protocol}//${url.host}${url.pathname}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: HttpGetError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new HttpGetError('timeout', `${where} did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => fail(new HttpGetError('cancelled', `request to ${where} cancelled`));
    const common = { method: 'GET', headers: { 'User-Agent': 'fleetmind', ...options.headers } };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { ...common, rejectUnauthorized: true, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}) })
        : httpRequest(url, common);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    req.on('error', (err: NodeJS.ErrnoException) => {
      const tls = err.code?.startsWith('ERR_TLS') || /certificate|self.signed|unable to verify/i.test(err.message);
      fail(new HttpGetError('unreachable', tls ? `TLS verification of ${where} failed: ${err.message}` : `cannot reach ${where}: ${err.message}`));
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) fail(new HttpGetError('bad_response', `${where} sent more than ${maxBytes} bytes`, status));
        else chunks.push(c);
      });
      res.on('error', (err) => fail(new HttpGetError('unreachable', `${where}: ${err.message}`, status)));
      res.on('end', () => {
        if (settled) return;
        const body = Buffer.concat(chunks).toString('utf8');
        if (status === 401 || status === 403) return fail(new HttpGetError('auth_failed', `${where} refused the credentials (HTTP ${status})`, status));
        // Prometheus answers a bad query with 400/422 and a JSON body saying why: the caller reads it.
        if (status < 200 || (status >= 300 && status !== 400 && status !== 422)) {
          return fail(new HttpGetError('bad_response', `${where} answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}: ${body.slice(0, 200).trim()}`, status));
        }
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ status, contentType: String(res.headers['content-type'] ?? ''), body });
      });
    });
    req.end();
  });
}
