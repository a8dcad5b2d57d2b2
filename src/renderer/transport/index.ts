import { HttpTransport } from './http-transport';
import { IpcTransport } from './ipc-transport';
import type { Transport } from './transport';

export { TransportError, toApiError } from './transport';
export type { MetricsQuery, Session, Transport } from './transport';

/**
 * Electron's preload exposes `window.fleetmind`; a browser served by the headless server
 * has no bridge and talks HTTP + SSE to the origin that served the page.
 */
export function selectTransport(): Transport {
  const bridge = window.fleetmind;
  return bridge ? new IpcTransport(bridge) : new HttpTransport();
}
