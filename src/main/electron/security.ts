import { fileURLToPath } from 'node:url';
import type { App, Session, WebContents, WebFrameMain } from 'electron';

/**
 * The same policy the headless server sends and index.html carries: our own scripts
 * only, no eval, no remote connections, no framing. React sets inline styles.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the renderer legitimately comes from: the built index.html, or the dev server. */
export class RendererOrigin {
  constructor(
    private readonly rendererIndexFile: string,
    private readonly devServerUrl: string | null,
  ) {}

  /** IPC is answered only for our page's top frame, never for an iframe or a page navigated elsewhere. */
  isTrustedSender(frame: WebFrameMain | null): boolean {
    if (!frame || frame.parent !== null) return false;
    const url = frame.url.split('#')[0]?.split('?')[0] ?? '';
    if (this.devServerUrl) return url === this.devServerUrl || url.startsWith(this.devServerUrl.replace(/\/?$/, '/'));
    if (!url.startsWith('file:')) return false;
    try {
      // Compared as paths: Chromium and Node percent-encode file URLs differently.
      return fileURLToPath(url) === this.rendererIndexFile;
    } catch {
      return false;
    }
  }
}

/** Sends the CSP as a header too (the dev server's pages, any future http(s) load). */
export function enforceContentSecurityPolicy(session: Session, devServerUrl: string | null): void {
  const policy = devServerUrl
    ? // Vite's dev client needs its inline preamble and HMR socket; built pages never get this.
      CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*")
    : CONTENT_SECURITY_POLICY;
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
}

/** The chat needs no camera, notifications, geolocation or anything else a page can ask for. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Every web contents (ours and any a bug might create) may not open windows, navigate
 * away, or attach <webview>s: the UI is a single page and never needs to.
 */
export function lockDownWebContents(app: App, log: (message: string) => void): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      log(`blocked a new window for ${url}`);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event) => {
      log(`blocked navigation to ${event.url}`);
      event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      log(`blocked redirect to ${event.url}`);
      event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => {
      log('blocked a <webview>');
      event.preventDefault();
    });
  });
}
